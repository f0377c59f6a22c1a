/* Unit tests: the row state table and fingerprints (consumer/rowstate.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "consumer/rowstate.h"

static uint64_t key_of(const char *sync, long i)
{
        char k[64];
        int n = snprintf(k, sizeof(k), "%s%cpid%c%ld", sync, 0, 0, i);
        return retl_rowstate_hash(k, (size_t)n);
}

static void test_insert_lookup(void **state)
{
        struct retl_rowstate *rs = retl_rowstate_new();
        int s = retl_rowstate_sync(rs, "people");
        uint64_t fp = 0;

        assert_int_equal(s, 0);
        assert_int_equal(retl_rowstate_sync(rs, "people"), 0);
        assert_int_equal(retl_rowstate_sync_find(rs, "other"), -1);
        assert_false(retl_rowstate_lookup(rs, key_of("people", 1), &fp));
        retl_rowstate_put(rs, key_of("people", 1), s, 111);
        retl_rowstate_put(rs, key_of("people", 2), s, 222);
        assert_true(retl_rowstate_lookup(rs, key_of("people", 1), &fp));
        assert_int_equal(fp, 111);
        retl_rowstate_put(rs, key_of("people", 1), s, 333);  /* replaced, not added */
        assert_true(retl_rowstate_lookup(rs, key_of("people", 1), &fp));
        assert_int_equal(fp, 333);
        assert_int_equal(retl_rowstate_count(rs, -1), 2);
        /* key 0 is a real key too */
        retl_rowstate_put(rs, 0, s, 7);
        assert_true(retl_rowstate_lookup(rs, 0, &fp));
        assert_int_equal(fp, 7);
        assert_int_equal(retl_rowstate_remove(rs, 0), 1);
        assert_int_equal(retl_rowstate_remove(rs, 0), 0);
        assert_int_equal(retl_rowstate_remove(rs, key_of("people", 2)), 1);
        assert_false(retl_rowstate_lookup(rs, key_of("people", 2), &fp));
        assert_true(retl_rowstate_lookup(rs, key_of("people", 1), &fp));
        assert_int_equal(retl_rowstate_count(rs, s), 1);
        retl_rowstate_destroy(rs);
        retl_rowstate_destroy(NULL);
}

/* Growth keeps every entry; removals in crowded clusters keep the rest
 * reachable (keys chosen to collide in the low bits). */
static void test_grow_and_remove(void **state)
{
        struct retl_rowstate *rs = retl_rowstate_new();
        int s = retl_rowstate_sync(rs, "s");
        size_t before = retl_rowstate_bytes(rs);
        uint64_t fp;

        for (long i = 0; i < 50000; i++)
                retl_rowstate_put(rs, key_of("s", i), s, (uint64_t)i * 3);
        for (long i = 0; i < 5000; i++)
                retl_rowstate_put(rs, (uint64_t)i << 44, s, (uint64_t)i);
        assert_true(retl_rowstate_bytes(rs) > before);
        assert_int_equal(retl_rowstate_count(rs, -1), 55000);
        for (long i = 0; i < 50000; i += 2)
                assert_int_equal(retl_rowstate_remove(rs, key_of("s", i)), 1);
        for (long i = 0; i < 5000; i += 3)
                assert_int_equal(retl_rowstate_remove(rs, (uint64_t)i << 44), 1);
        for (long i = 0; i < 50000; i++) {
                int found = retl_rowstate_lookup(rs, key_of("s", i), &fp);
                assert_int_equal(found, i % 2);
                if (found)
                        assert_int_equal(fp, (uint64_t)i * 3);
        }
        for (long i = 0; i < 5000; i++) {
                int found = retl_rowstate_lookup(rs, (uint64_t)i << 44, &fp);
                assert_int_equal(found, i % 3 != 0);
                if (found)
                        assert_int_equal(fp, (uint64_t)i);
        }
        assert_int_equal(retl_rowstate_count(rs, s), 25000 + 3333);
        retl_rowstate_destroy(rs);
}

static void test_reset_by_sync(void **state)
{
        struct retl_rowstate *rs = retl_rowstate_new();
        int a = retl_rowstate_sync(rs, "a"), b = retl_rowstate_sync(rs, "b");
        uint64_t fp;

        for (long i = 0; i < 3000; i++) {
                retl_rowstate_put(rs, key_of("a", i), a, 1);
                retl_rowstate_put(rs, key_of("b", i), b, 2);
        }
        retl_rowstate_set_generation(rs, a, 42);
        assert_int_equal(retl_rowstate_generation(rs, a), 42);
        assert_int_equal(retl_rowstate_generation(rs, b), 0);
        assert_int_equal(retl_rowstate_reset_sync(rs, a), 3000);
        assert_int_equal(retl_rowstate_reset_sync(rs, a), 0);
        assert_int_equal(retl_rowstate_count(rs, a), 0);
        assert_int_equal(retl_rowstate_count(rs, b), 3000);
        assert_int_equal(retl_rowstate_count(rs, -1), 3000);
        for (long i = 0; i < 3000; i++) {
                assert_false(retl_rowstate_lookup(rs, key_of("a", i), &fp));
                assert_true(retl_rowstate_lookup(rs, key_of("b", i), &fp));
                assert_int_equal(fp, 2);
        }
        /* the generation is the caller's to move; the reset keeps it */
        assert_int_equal(retl_rowstate_generation(rs, a), 42);
        retl_rowstate_destroy(rs);
}

/* The memory bound: 1,000,000 identifiers in under 48 MiB. */
static void test_million_bytes(void **state)
{
        struct retl_rowstate *rs = retl_rowstate_new();
        int s = retl_rowstate_sync(rs, "people");
        uint64_t fp;
        size_t bytes;

        for (long i = 0; i < 1000000; i++)
                retl_rowstate_put(rs, key_of("people", i), s, (uint64_t)i);
        bytes = retl_rowstate_bytes(rs);
        printf("row state: 1,000,000 entries in %zu bytes (%.1f MiB)\n", bytes,
               (double)bytes / (1024 * 1024));
        assert_int_equal(retl_rowstate_count(rs, -1), 1000000);
        assert_true(bytes < 48u * 1024 * 1024);
        assert_true(retl_rowstate_lookup(rs, key_of("people", 999999), &fp));
        assert_int_equal(fp, 999999);
        retl_rowstate_destroy(rs);
}

static void test_fingerprint(void **state)
{
        const char *a = "{\"type\":\"person\",\"identifiers\":{\"id\":\"1\"},\"action\":\"identify\"}";
        const char *b = "{\"type\":\"person\",\"identifiers\":{\"id\":\"2\"},\"action\":\"identify\"}";
        uint64_t fa = retl_rowstate_fingerprint(a, strlen(a), 0);

        assert_int_equal(fa, retl_rowstate_fingerprint(a, strlen(a), 0));
        assert_int_not_equal(fa, retl_rowstate_fingerprint(b, strlen(b), 0));
        /* a segment changes what lands */
        assert_int_not_equal(fa, retl_rowstate_fingerprint(a, strlen(a), 12));
        /* one byte shorter, one byte different */
        assert_int_not_equal(fa, retl_rowstate_fingerprint(a, strlen(a) - 1, 0));
        assert_int_not_equal(retl_rowstate_hash("ab", 2), retl_rowstate_hash("ba", 2));
        assert_int_not_equal(retl_rowstate_hash("a\0b", 3), retl_rowstate_hash("ab", 2));
        assert_int_not_equal(retl_rowstate_hash("", 0), retl_rowstate_hash("\0", 1));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_insert_lookup),
                cmocka_unit_test(test_grow_and_remove),
                cmocka_unit_test(test_reset_by_sync),
                cmocka_unit_test(test_million_bytes),
                cmocka_unit_test(test_fingerprint),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
