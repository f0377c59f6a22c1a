/* Unit tests: producer/schedule — first slot at launch, next slot after a
 * run, catching up without bursts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "producer/schedule.h"

static void test_first(void **state)
{
        assert_int_equal(retl_schedule_first(0, 3600, 1000), 1000);         /* no start: now */
        assert_int_equal(retl_schedule_first(5000, 3600, 1000), 5000);      /* future start */
        assert_int_equal(retl_schedule_first(1000, 3600, 1000), 1000);      /* start = now */
        /* start passed: its latest slot, due at once, aligned on start */
        assert_int_equal(retl_schedule_first(1000, 3600, 1000 + 3 * 3600 + 5), 1000 + 3 * 3600);
}

static void test_next(void **state)
{
        /* a quick run: the next slot is last start + interval */
        assert_int_equal(retl_schedule_next(5400, 3600, 5460), 9000);
        /* 1:30 start, overran past 2:30 (finished 2:45): next is 3:30, no burst */
        assert_int_equal(retl_schedule_next(5400, 3600, 9900), 12600);
        /* exactly on the next slot: that one has begun, so the one after */
        assert_int_equal(retl_schedule_next(5400, 3600, 9000), 12600);
        /* down for days: one slot after now */
        assert_int_equal(retl_schedule_next(0, 60, 100000), 100020);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_first),
                cmocka_unit_test(test_next),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
