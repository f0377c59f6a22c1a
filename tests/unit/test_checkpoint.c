/* Unit tests: the checkpoint stored in the uploaders' commit metadata. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/checkpoint.h"

static void test_roundtrip(void **state)
{
        struct retl_checkpoint cp, back;
        char err[256], *text;

        retl_checkpoint_init(&cp);
        assert_true(retl_checkpoint_get(&cp, "people") == 0);
        retl_checkpoint_set(&cp, "people", 1714566600);
        retl_checkpoint_set(&cp, "companies.v2", 0);
        retl_checkpoint_set(&cp, "people", 1714570000);
        cp.run_offset = 120;
        cp.run_rows = 10000;
        cp.run_imported = 9990;
        cp.run_failed = 10;
        text = retl_checkpoint_format(&cp, err, sizeof(err));
        assert_non_null(text);
        assert_string_equal(text, "retl1 run=120,10000,9990,10 s=people:1714570000 s=companies.v2:0");
        assert_int_equal(retl_checkpoint_parse(&back, text, strlen(text), err, sizeof(err)), 0);
        assert_true(back.run_offset == 120 && back.run_rows == 10000);
        assert_true(back.run_imported == 9990 && back.run_failed == 10);
        assert_int_equal(back.nsyncs, 2);
        assert_true(retl_checkpoint_get(&back, "people") == 1714570000);
        assert_true(retl_checkpoint_get(&back, "companies.v2") == 0);
        free(text);
        retl_checkpoint_free(&back);

        /* suppressed people ignored ride along when there are any */
        cp.run_suppressed = 3;
        text = retl_checkpoint_format(&cp, err, sizeof(err));
        assert_string_equal(text, "retl1 run=120,10000,9990,10,3 s=people:1714570000 s=companies.v2:0");
        assert_int_equal(retl_checkpoint_parse(&back, text, strlen(text), err, sizeof(err)), 0);
        assert_true(back.run_suppressed == 3 && back.run_failed == 10);
        free(text);
        retl_checkpoint_free(&back);

        /* and rows skipped as unchanged (row state), after them */
        cp.run_unchanged = 9000;
        text = retl_checkpoint_format(&cp, err, sizeof(err));
        assert_string_equal(text, "retl1 run=120,10000,9990,10,3,9000 s=people:1714570000 "
                                  "s=companies.v2:0");
        assert_int_equal(retl_checkpoint_parse(&back, text, strlen(text), err, sizeof(err)), 0);
        assert_true(back.run_unchanged == 9000 && back.run_suppressed == 3);
        free(text);
        retl_checkpoint_free(&back);
        cp.run_suppressed = 0;
        text = retl_checkpoint_format(&cp, err, sizeof(err));
        assert_string_equal(text, "retl1 run=120,10000,9990,10,0,9000 s=people:1714570000 "
                                  "s=companies.v2:0");
        free(text);
        cp.run_unchanged = 0;

        cp.run_offset = -1;
        text = retl_checkpoint_format(&cp, err, sizeof(err));
        assert_string_equal(text, "retl1 s=people:1714570000 s=companies.v2:0");
        assert_int_equal(retl_checkpoint_parse(&back, text, strlen(text), err, sizeof(err)), 0);
        assert_true(back.run_offset == -1);
        free(text);
        retl_checkpoint_free(&back);
        retl_checkpoint_free(&cp);
}

static void test_remove(void **state)
{
        struct retl_checkpoint cp;
        char err[256], *text;

        retl_checkpoint_init(&cp);
        retl_checkpoint_set(&cp, "a", 1);
        retl_checkpoint_set(&cp, "b", 2);
        retl_checkpoint_set(&cp, "c", 3);
        assert_int_equal(retl_checkpoint_remove(&cp, "b"), 1);
        assert_int_equal(retl_checkpoint_remove(&cp, "b"), 0);
        assert_int_equal(retl_checkpoint_remove(&cp, "zz"), 0);
        assert_true(retl_checkpoint_get(&cp, "b") == 0);
        text = retl_checkpoint_format(&cp, err, sizeof(err));
        assert_string_equal(text, "retl1 s=a:1 s=c:3");
        free(text);
        assert_int_equal(retl_checkpoint_remove(&cp, "c"), 1);
        assert_int_equal(retl_checkpoint_remove(&cp, "a"), 1);
        assert_int_equal(cp.nsyncs, 0);
        text = retl_checkpoint_format(&cp, err, sizeof(err));
        assert_string_equal(text, "retl1");
        free(text);
        retl_checkpoint_set(&cp, "b", 5);
        assert_true(retl_checkpoint_get(&cp, "b") == 5);
        retl_checkpoint_free(&cp);
}

static void test_empty_and_bad(void **state)
{
        struct retl_checkpoint cp;
        char err[256];
        static const char *const bad[] = {"lst=5", "retl1 s=people", "retl1 s=:5",
                                          "retl1 run=1,2", "retl1 x=1", "retl2 s=a:1",
                                          "retl1 s=a:1x", "retl1 s=a:1,", "retl1 s=a:1,5",
                                          "retl1 s=a:1,0,7", "retl1 s=a:1,5,4294967296",
                                          "retl1 s=a:1,5,-1", "retl1 s=a:1,5,7,8"};

        assert_int_equal(retl_checkpoint_parse(&cp, NULL, 0, err, sizeof(err)), 0);
        assert_int_equal(cp.nsyncs, 0);
        assert_true(cp.run_offset == -1);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                if (retl_checkpoint_parse(&cp, bad[i], strlen(bad[i]), err, sizeof(err)) != -1)
                        fail_msg("'%s' parsed", bad[i]);
                assert_int_equal(cp.nsyncs, 0);
        }
}

/* The segment a sync found by name rides along with its last_sync_time,
 * tied to the name's hash; forgetting it leaves the entry as it was. */
static void test_segment(void **state)
{
        struct retl_checkpoint cp, back, copy;
        char err[256], *text;
        uint32_t h = retl_checkpoint_name_hash("Imported from CRM");

        assert_true(h != retl_checkpoint_name_hash("Imported from CRM "));
        retl_checkpoint_init(&cp);
        retl_checkpoint_set(&cp, "people", 1714570000);
        retl_checkpoint_segment_set(&cp, "people", 12, h);
        retl_checkpoint_segment_set(&cp, "leads", 13, h);   /* no entry yet: lst 0 */
        text = retl_checkpoint_format(&cp, err, sizeof(err));
        assert_non_null(text);
        snprintf(err, sizeof(err), "retl1 s=people:1714570000,12,%lu s=leads:0,13,%lu",
                 (unsigned long)h, (unsigned long)h);
        assert_string_equal(text, err);
        assert_int_equal(retl_checkpoint_parse(&back, text, strlen(text), err, sizeof(err)), 0);
        assert_true(retl_checkpoint_get(&back, "people") == 1714570000);
        assert_true(retl_checkpoint_segment_get(&back, "people", h) == 12);
        assert_true(retl_checkpoint_segment_get(&back, "people", h + 1) == 0);
        assert_true(retl_checkpoint_segment_get(&back, "leads", h) == 13);
        assert_true(retl_checkpoint_segment_get(&back, "other", h) == 0);
        retl_checkpoint_copy(&copy, &back);
        assert_true(retl_checkpoint_segment_get(&copy, "leads", h) == 13);
        /* a new last_sync_time keeps the segment */
        retl_checkpoint_set(&copy, "people", 1714580000);
        assert_true(retl_checkpoint_segment_get(&copy, "people", h) == 12);
        retl_checkpoint_segment_set(&copy, "people", 0, h);
        free(text);
        text = retl_checkpoint_format(&copy, err, sizeof(err));
        snprintf(err, sizeof(err), "retl1 s=people:1714580000 s=leads:0,13,%lu",
                 (unsigned long)h);
        assert_string_equal(text, err);
        free(text);
        retl_checkpoint_free(&copy);
        retl_checkpoint_free(&back);
        retl_checkpoint_free(&cp);
}

static void test_size_limit(void **state)
{
        struct retl_checkpoint cp;
        char err[256], name[120], *text;

        retl_checkpoint_init(&cp);
        for (int i = 0; i < 200; i++) {
                snprintf(name, sizeof(name), "a-rather-long-sync-name-number-%03d", i);
                retl_checkpoint_set(&cp, name, 1714570000);
        }
        text = retl_checkpoint_format(&cp, err, sizeof(err));
        assert_null(text);
        assert_non_null(strstr(err, "over 4000 bytes"));
        retl_checkpoint_free(&cp);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_roundtrip),
                cmocka_unit_test(test_remove),
                cmocka_unit_test(test_empty_and_bad),
                cmocka_unit_test(test_segment),
                cmocka_unit_test(test_size_limit),
        };
        return cmocka_run_group_tests_name("checkpoint", tests, NULL, NULL);
}
