/* Unit tests: JSON writing (consumer/jsonw.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer/jsonw.h"

static void test_utf8(void **state)
{
        static const struct {
                const char *s;
                int ok;
        } cases[] = {
                {"plain", 1},         {"caf\xc3\xa9", 1},      {"\xe2\x82\xac", 1},
                {"\xf0\x9f\x98\x80", 1}, {"\xc3", 0},          {"\xc0\xaf", 0},
                {"\xe0\x80\xaf", 0},  {"\xed\xa0\x80", 0},      {"\xf4\x90\x80\x80", 0},
                {"\xff", 0},          {"\x80", 0},              {"\xe2\x82", 0},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                if (retl_jsonw_utf8_valid(cases[i].s, strlen(cases[i].s)) != cases[i].ok)
                        fail_msg("%s:%d case %zu", __FILE__, __LINE__, i);
}

static void test_string(void **state)
{
        struct retl_buf b;

        retl_buf_init(&b, 0);
        assert_int_equal(retl_jsonw_string(&b, "a\"b\\c\n\t\x01/\xc3\xa9", 11), RETL_JSONW_OK);
        assert_string_equal(retl_buf_str(&b), "\"a\\\"b\\\\c\\n\\t\\u0001/\xc3\xa9\"");
        retl_buf_reset(&b);
        assert_int_equal(retl_jsonw_string(&b, "a\0b", 3), RETL_JSONW_OK);
        assert_string_equal(retl_buf_str(&b), "\"a\\u0000b\"");
        retl_buf_reset(&b);
        assert_int_equal(retl_jsonw_string(&b, "\xc3", 1), RETL_JSONW_UTF8);
        retl_buf_free(&b);
        retl_buf_init(&b, 4);
        assert_int_equal(retl_jsonw_string(&b, "abcdef", 6), RETL_JSONW_TOOBIG);
        retl_buf_free(&b);
}

static void test_numbers(void **state)
{
        static const struct {
                const char *in, *out;
        } dec[] = {
                {"123.4500", "123.4500"}, {"-0.5", "-0.5"}, {"0012.50", "12.50"},
                {"000", "0"}, {".5", "0.5"}, {"-.25", "-0.25"},
                {"12345678901234567890123456789.123456789", "12345678901234567890123456789.123456789"},
                {"7", "7"},
        };
        static const char *bad[] = {"", "-", "1e5", "1.2.3", "abc", "1,5", "."};
        struct retl_buf b;

        retl_buf_init(&b, 0);
        for (size_t i = 0; i < sizeof(dec) / sizeof(dec[0]); i++) {
                retl_buf_reset(&b);
                assert_int_equal(retl_jsonw_decimal(&b, dec[i].in, strlen(dec[i].in)), 0);
                if (strcmp(retl_buf_str(&b), dec[i].out))
                        fail_msg("%s:%d decimal '%s' -> '%s'", __FILE__, __LINE__, dec[i].in,
                                 retl_buf_str(&b));
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(retl_jsonw_decimal(&b, bad[i], strlen(bad[i])),
                                 RETL_JSONW_NUMBER);
        retl_buf_reset(&b);
        assert_int_equal(retl_jsonw_double(&b, 0.1), 0);
        assert_string_equal(retl_buf_str(&b), "0.1");
        retl_buf_reset(&b);
        assert_int_equal(retl_jsonw_double(&b, 1.0 / 3), 0);
        assert_true(strtod(retl_buf_str(&b), NULL) == 1.0 / 3);
        assert_int_equal(retl_jsonw_double(&b, NAN), RETL_JSONW_NONFINITE);
        assert_int_equal(retl_jsonw_double(&b, INFINITY), RETL_JSONW_NONFINITE);
        retl_buf_reset(&b);
        assert_int_equal(retl_jsonw_long(&b, INT64_MIN), 0);
        assert_string_equal(retl_buf_str(&b), "-9223372036854775808");
        {
                static const struct { int64_t v; const char *text; } longs[] = {
                        {0, "0"}, {-1, "-1"}, {10, "10"}, {-90, "-90"},
                        {INT64_MAX, "9223372036854775807"},
                };
                char tmp[RETL_JSONW_LONG_MAX];
                for (size_t i = 0; i < sizeof(longs) / sizeof(longs[0]); i++) {
                        assert_int_equal(retl_jsonw_long_text(tmp, longs[i].v),
                                         strlen(longs[i].text));
                        assert_string_equal(tmp, longs[i].text);
                }
        }
        retl_buf_free(&b);
}

static void test_base64(void **state)
{
        static const struct {
                const char *in, *out;
        } cases[] = {
                {"", "\"\""}, {"f", "\"Zg==\""}, {"fo", "\"Zm8=\""}, {"foo", "\"Zm9v\""},
                {"foob", "\"Zm9vYg==\""}, {"fooba", "\"Zm9vYmE=\""}, {"foobar", "\"Zm9vYmFy\""},
        };
        struct retl_buf b;

        retl_buf_init(&b, 0);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                retl_buf_reset(&b);
                assert_int_equal(retl_jsonw_base64(&b, cases[i].in, strlen(cases[i].in)), 0);
                assert_string_equal(retl_buf_str(&b), cases[i].out);
        }
        retl_buf_free(&b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_utf8),
                cmocka_unit_test(test_string),
                cmocka_unit_test(test_numbers),
                cmocka_unit_test(test_base64),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
