/* Unit tests: token bucket and backoff (consumer/pace.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "consumer/pace.h"

static void test_bucket(void **state)
{
        struct retl_pace_bucket pb;
        int64_t t = 1000, taken = 0;

        retl_pace_bucket_init(&pb, 100, 10, t);
        for (int i = 0; i < 10; i++)
                assert_true(retl_pace_bucket_take(&pb, t) == 0);
        assert_true(retl_pace_bucket_take(&pb, t) > 0);
        /* over 10 simulated seconds: 100/s plus the initial burst */
        for (int64_t now = t; now < t + 10000; now++)
                if (retl_pace_bucket_take(&pb, now) == 0)
                        taken++;
        assert_true(taken >= 995 && taken <= 1001);
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
                cmocka_unit_test(test_bucket),
                cmocka_unit_test(test_backoff),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
