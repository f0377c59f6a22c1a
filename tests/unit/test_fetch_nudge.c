/* retl — unit tests: when the uploader nudges librdkafka's fetcher
 * (consumer/fetch_nudge.c): after 20 ms of hunger with more on the broker,
 * never when caught up, and on a slow link not before a fetch could come. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "consumer/fetch_nudge.h"

/* (Times are a monotonic clock's milliseconds: never 0.) */

/* The first time from @p from on (1 ms steps, up to @p until) at which a
 * hungry partition with more on the broker is told to nudge; -1 if never. */
static int64_t next_nudge(struct retl_fetch_nudge *n, int64_t from, int64_t until)
{
        for (int64_t t = from; t <= until; t++)
                if (retl_fetch_nudge_hungry(n, t, 1))
                        return t;
        return -1;
}

static void test_nudges_after_the_minimum(void **state)
{
        struct retl_fetch_nudge n = {0};

        (void)state;
        assert_int_equal(next_nudge(&n, 1000, 2000), 1000 + RETL_FETCH_NUDGE_MIN_MS);
        assert_int_equal(n.count, 1);
        /* a fast fetch (5 ms): the wait stays at the minimum */
        retl_fetch_nudge_fed(&n, 1025);
        assert_int_equal(next_nudge(&n, 1100, 2000), 1100 + RETL_FETCH_NUDGE_MIN_MS);
}

static void test_never_when_caught_up(void **state)
{
        struct retl_fetch_nudge n = {0};

        (void)state;
        for (int64_t t = 0; t < 5000; t++)
                assert_int_equal(retl_fetch_nudge_hungry(&n, t, 0), 0);
        assert_int_equal(n.count, 0);
        /* more arrives on the broker: hunger counts from then */
        assert_int_equal(next_nudge(&n, 5000, 6000), 5000 + RETL_FETCH_NUDGE_MIN_MS);
}

static void test_no_room_is_not_hunger(void **state)
{
        struct retl_fetch_nudge n = {0};

        (void)state;
        assert_int_equal(retl_fetch_nudge_hungry(&n, 500, 1), 0);
        retl_fetch_nudge_full(&n);          /* busy for a second */
        assert_int_equal(retl_fetch_nudge_hungry(&n, 1000, 1), 0);   /* hunger starts now */
        assert_int_equal(next_nudge(&n, 1001, 2000), 1000 + RETL_FETCH_NUDGE_MIN_MS);
}

/* A link where a fetch takes 150 ms: after one nudge, the wait is twice
 * that, so a fetch in flight is no longer cut short. */
static void test_learns_a_slow_link(void **state)
{
        struct retl_fetch_nudge n = {0};
        int64_t t;

        (void)state;
        t = next_nudge(&n, 1000, 2000);
        assert_int_equal(t, 1000 + RETL_FETCH_NUDGE_MIN_MS);
        retl_fetch_nudge_fed(&n, t + 150);
        assert_int_equal(n.wait_ms, 300);
        assert_int_equal(next_nudge(&n, 2000, 3000), 2300);
}

/* Nudges that bring nothing wait twice as long each time, up to a second. */
static void test_backs_off(void **state)
{
        struct retl_fetch_nudge n = {0};
        int64_t t = 1000, prev = 0, gap = 0;

        (void)state;
        for (int i = 0; i < 12; i++) {
                t = next_nudge(&n, t + 1, t + 5000);
                assert_true(t > 0);
                if (i > 0) {
                        assert_true(t - prev >= gap);
                        gap = t - prev;
                }
                prev = t;
        }
        assert_int_equal(gap, RETL_FETCH_NUDGE_MAX_MS);
        /* a message resets the wait to twice the last nudge's round trip */
        retl_fetch_nudge_fed(&n, t + 10);
        assert_int_equal(n.wait_ms, RETL_FETCH_NUDGE_MIN_MS);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_nudges_after_the_minimum),
                cmocka_unit_test(test_never_when_caught_up),
                cmocka_unit_test(test_no_room_is_not_hunger),
                cmocka_unit_test(test_learns_a_slow_link),
                cmocka_unit_test(test_backs_off),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
