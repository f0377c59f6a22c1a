/* retl — unit tests: the growable buffer with a ceiling (lib/buf.c):
 * reserve and move, the two the uploader's mapping builds rows with. */
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

static void test_move(void **state)
{
        struct retl_buf dst, src, small;
        const char *data;

        (void)state;
        retl_buf_init(&dst, 0);
        retl_buf_init(&src, 10);
        retl_buf_init(&small, 3);
        assert_int_equal(retl_buf_puts(&dst, "old contents"), 0);
        assert_int_equal(retl_buf_puts(&src, "new"), 0);
        data = retl_buf_str(&src);
        assert_int_equal(retl_buf_move(&dst, &src), 0);
        /* the same bytes, not a copy; the source left empty and usable */
        assert_ptr_equal(retl_buf_str(&dst), data);
        assert_string_equal(retl_buf_str(&dst), "new");
        assert_int_equal(retl_buf_len(&src), 0);
        assert_int_equal(retl_buf_puts(&src, "again"), 0);
        assert_string_equal(retl_buf_str(&src), "again");
        /* past the destination's ceiling: refused, nothing moved */
        assert_int_equal(retl_buf_move(&small, &src), RETL_BUF_TOOBIG);
        assert_string_equal(retl_buf_str(&src), "again");
        assert_int_equal(retl_buf_len(&small), 0);
        /* the destination keeps its own ceiling */
        assert_int_equal(retl_buf_puts(&dst, " and a good deal more than ten bytes"), 0);
        retl_buf_free(&dst);
        retl_buf_free(&src);
        retl_buf_free(&small);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_reserve),
                cmocka_unit_test(test_move),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
