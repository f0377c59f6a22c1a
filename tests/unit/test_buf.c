/* retl — unit tests: the growable buffer with a ceiling (lib/buf.c):
 * reserve (a request body at its size) and a ceiling set and set back (a
 * row's entity built in the uploader's reused buffer). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/buf.h"

#include <string.h>

static void test_reserve(void **state)
{
        struct retl_buf b;
        const char *before;

        (void)state;
        retl_buf_init(&b, 100);
        assert_int_equal(retl_buf_reserve(&b, 101), RETL_BUF_TOOBIG);
        assert_int_equal(retl_buf_reserve(&b, 80), 0);
        before = retl_buf_str(&b);
        /* what was reserved takes no second allocation */
        for (int i = 0; i < 80; i++)
                assert_int_equal(retl_buf_putc(&b, 'x'), 0);
        assert_ptr_equal(retl_buf_str(&b), before);
        assert_int_equal(retl_buf_len(&b), 80);
        /* the ceiling still holds */
        assert_int_equal(retl_buf_reserve(&b, 21), RETL_BUF_TOOBIG);
        assert_int_equal(retl_buf_append(&b, "0123456789012345678901", 21), RETL_BUF_TOOBIG);
        assert_int_equal(retl_buf_len(&b), 80);
        retl_buf_free(&b);
}

static void test_set_max(void **state)
{
        struct retl_buf b;

        (void)state;
        retl_buf_init(&b, 0);
        assert_int_equal(retl_buf_puts(&b, "0123456789"), 0);
        /* a lower ceiling: what is there stays, appends past it fail */
        assert_int_equal(retl_buf_set_max(&b, 12), (size_t)1 << 30);
        assert_int_equal(retl_buf_puts(&b, "ab"), 0);
        assert_int_equal(retl_buf_putc(&b, 'c'), RETL_BUF_TOOBIG);
        assert_string_equal(retl_buf_str(&b), "0123456789ab");
        assert_int_equal(retl_buf_set_max(&b, 5), 12);
        assert_string_equal(retl_buf_str(&b), "0123456789ab");
        assert_int_equal(retl_buf_putc(&b, 'c'), RETL_BUF_TOOBIG);
        /* set back (0: the default) */
        assert_int_equal(retl_buf_set_max(&b, 0), 5);
        assert_int_equal(retl_buf_putc(&b, 'c'), 0);
        assert_string_equal(retl_buf_str(&b), "0123456789abc");
        retl_buf_free(&b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_reserve),
                cmocka_unit_test(test_set_max),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
