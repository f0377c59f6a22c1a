/* Unit tests: the set of in-flight entity keys (consumer/keyset.c), checked
 * against a plain array under random adds and removes, with keys that share
 * their low bits and key 0. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "consumer/keyset.h"

#define NREF 3000

static uint64_t next_rnd(uint64_t *s)
{
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        return *s;
}

static void test_exact(void **state)
{
        struct retl_keyset ks;

        retl_keyset_init(&ks);
        assert_false(retl_keyset_has(&ks, 42));
        retl_keyset_remove(&ks, 42);            /* nothing there: fine */
        /* same low 16 bits: a slot table would confuse them, the set not */
        retl_keyset_add(&ks, 0x10000 | 7);
        assert_true(retl_keyset_has(&ks, 0x10000 | 7));
        assert_false(retl_keyset_has(&ks, 0x20000 | 7));
        retl_keyset_add(&ks, 0x10000 | 7);
        assert_int_equal(retl_keyset_count(&ks), 1);
        retl_keyset_add(&ks, 0);
        assert_true(retl_keyset_has(&ks, 0));
        assert_int_equal(retl_keyset_count(&ks), 2);
        retl_keyset_remove(&ks, 0);
        assert_false(retl_keyset_has(&ks, 0));
        retl_keyset_clear(&ks);
        assert_int_equal(retl_keyset_count(&ks), 0);
        assert_false(retl_keyset_has(&ks, 0x10000 | 7));
        retl_keyset_free(&ks);
}

static void test_random(void **state)
{
        static uint64_t ref[NREF];
        static int in[NREF];
        struct retl_keyset ks;
        uint64_t rnd = 88172645463325252ULL;
        size_t n = 0;

        /* a small key space (values sharing most bits) so that adds hit
         * keys already there and removes hit keys held */
        for (size_t i = 0; i < NREF; i++)
                ref[i] = (i % 5 == 0) ? (uint64_t)i << 40 : next_rnd(&rnd);
        retl_keyset_init(&ks);
        for (int round = 0; round < 200000; round++) {
                size_t i = next_rnd(&rnd) % NREF;
                if (next_rnd(&rnd) % 3) {
                        n += !in[i];
                        in[i] = 1;
                        retl_keyset_add(&ks, ref[i]);
                } else {
                        n -= in[i];
                        in[i] = 0;
                        retl_keyset_remove(&ks, ref[i]);
                }
                if (round % 997 == 0)
                        for (size_t k = 0; k < NREF; k++)
                                assert_int_equal(retl_keyset_has(&ks, ref[k]), in[k]);
                assert_int_equal(retl_keyset_count(&ks), n);
        }
        for (size_t k = 0; k < NREF; k++)
                retl_keyset_remove(&ks, ref[k]);
        assert_int_equal(retl_keyset_count(&ks), 0);
        retl_keyset_free(&ks);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_exact),
                cmocka_unit_test(test_random),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
