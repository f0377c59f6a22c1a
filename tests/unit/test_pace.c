/* Unit tests: the sliding-window rate cap and backoff (consumer/pace.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "consumer/pace.h"

/* Sends as fast as the window allows, one millisecond at a time, for
 * @p ms: the number sent, and the most that fell in one fixed one-second
 * window of any phase. */
static int64_t saturate(struct retl_pace_window *pw, int64_t t0, int64_t ms, int64_t *worst)
{
        static int64_t at[20000];
        int64_t n = 0;

        for (int64_t now = t0; now < t0 + ms; now++)
                while (n < 20000 && retl_pace_window_take(pw, now) == 0)
                        at[n++] = now;
        *worst = 0;
        for (int64_t phase = 0; phase < 1000; phase += 7)
                for (int64_t w = t0 + phase; w < t0 + ms; w += 1000) {
                        int64_t c = 0;
                        for (int64_t i = 0; i < n; i++)
                                c += at[i] >= w && at[i] < w + 1000;
                        if (c > *worst)
                                *worst = c;
                }
        return n;
}

static void test_window(void **state)
{
        struct retl_pace_window pw;
        int64_t worst, n;

        /* idle: a burst of the whole limit at once, then a wait */
        retl_pace_window_init(&pw, 100, RETL_PACE_JITTER_MS);
        for (int i = 0; i < 100; i++)
                assert_true(retl_pace_window_take(&pw, 1000) == 0);
        assert_true(retl_pace_window_take(&pw, 1000) == 1000 + RETL_PACE_JITTER_MS);
        retl_pace_window_free(&pw);

        /* busy for 10 s: never more than 100 in any one-second window,
         * yet at least 97% of the rate */
        retl_pace_window_init(&pw, 100, RETL_PACE_JITTER_MS);
        n = saturate(&pw, 5000, 10000, &worst);
        assert_true(worst <= 100);
        assert_true(n >= 970 && n <= 1000);
        retl_pace_window_free(&pw);

        /* a rate above the ring: the same shape over a shorter window */
        retl_pace_window_init(&pw, 5000, 0);
        n = saturate(&pw, 0, 2000, &worst);
        assert_true(worst <= 5000);
        assert_true(n >= 9900 && n <= 10000);
        retl_pace_window_free(&pw);
}

static void test_backoff(void **state)
{
        uint64_t rnd = 12345;

        for (int i = 0; i < 100; i++) {
                int64_t d1 = retl_pace_backoff_ms(1, 500, 30000, &rnd);
                int64_t d3 = retl_pace_backoff_ms(3, 500, 30000, &rnd);
                int64_t d20 = retl_pace_backoff_ms(20, 500, 30000, &rnd);
                assert_true(d1 >= 250 && d1 <= 500);
                assert_true(d3 >= 1000 && d3 <= 2000);
                assert_true(d20 >= 15000 && d20 <= 30000);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_window),
                cmocka_unit_test(test_backoff),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
