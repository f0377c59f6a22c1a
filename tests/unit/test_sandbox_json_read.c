/* retl — unit tests: the sandbox's fast reader of request bodies
 * (sbx_json_read.c) builds exactly jansson's tree, or gives up; and it
 * does not give up on what the uploader sends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sandbox/track/sbx_json_read.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The reader's answer for @p len bytes at @p text, checked against
 * jansson's. @returns 1 when the reader built a tree, 0 when it gave up. */
static int compare(const char *text, size_t len)
{
        json_t *fast = retl_sbx_json_read(text, len);
        json_t *ref = json_loadb(text, len, 0, NULL);
        int built = fast != NULL;

        if (fast) {
                char *a = json_dumps(fast, JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
                char *b = json_dumps(ref, JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));

                if (!ref)
                        fail_msg("read a tree jansson refuses: %.*s", (int)len, text);
                if (strcmp(a, b) || !json_equal(fast, ref))
                        fail_msg("trees differ for %.*s:\n  %s\n  %s", (int)len, text, a, b);
                free(a);
                free(b);
        }
        json_decref(fast);
        json_decref(ref);
        return built;
}

static int cmp(const char *text)
{
        return compare(text, strlen(text));
}

/* What the reader must read itself, as jansson does. */
static void test_reads_what_jansson_reads(void **state)
{
        static const char *const read[] = {
                "{}",
                "[]",
                " \r\n\t{ \"a\" : [ 1 , 2 ] , \"b\" : { } , \"c\" : [ ] } \n",
                "{\"batch\":[{\"type\":\"person\",\"action\":\"identify\",\"identifiers\":{\"id\":\"42\"},"
                "\"attributes\":{\"email\":\"person42@example.com\",\"first_name\":\"First42\","
                "\"score\":42.0042,\"active\":false,\"visits\":294,\"signed_up\":1714567296}}]}",
                "[0,-0,1,-1,9223372036854775807,-9223372036854775808]",
                "[0.5,-0.0,1e5,1E-7,2.50,1.7976931348623157e308,5e-324,1e-400]",
                "[123456789012345678901234567890.125,1.0E+2,-3e-2]",
                "{\"a\":1,\"b\":2,\"a\":3}",
                "{\"a\\\"b\":\"q\\\"\\\\\\/\\b\\f\\n\\r\\t\",\"k\\u0041\":1}",
                "[\"\\u00e9\\u20AC\\ud83d\\ude00\\uFFFF\\u0001\"]",
                "{\"\xc3\xa9\":\"\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\x89\",\"\\u00e9\":2}",
                "[true,false,null,{\"t\":true,\"n\":null}]",
                "[[[[[[[[[[[[[[[[[[[[{\"deep\":[1]}]]]]]]]]]]]]]]]]]]]]",
        };

        for (size_t i = 0; i < sizeof(read) / sizeof(read[0]); i++)
                if (!cmp(read[i]))
                        fail_msg("gave up on %s", read[i]);
}

/* What it leaves to jansson: errors, and the few valid texts outside its
 * subset. Either way, jansson's answer is the one given. */
static void test_gives_up(void **state)
{
        static const char *const refused[] = {
                "", " ", "\"top\"", "42", "true", "{\"a\":1} x", "{\"a\":1}}", "[1,]", "[,1]",
                "{\"a\"}", "{\"a\":}", "{a:1}", "{\"a\":1,}", "[01]", "[1.]", "[-]", "[1e+]",
                "[.5]", "[+1]", "[0x10]", "[Infinity]", "[NaN]", "[tru]", "[nul]",
                "[9223372036854775808]", "[-9223372036854775809]", "[1e400]", "[-1e400]",
                "[\"\\ud83d\"]", "[\"\\ude00x\"]", "[\"\\ud83d\\u0041\"]", "[\"x\\u0000y\"]",
                "[\"\\x\"]", "[\"\\u12\"]", "[\"\\u12G4\"]", "[\"a\x01" "b\"]", "[\"\xc0\xaf\"]",
                "[\"\xed\xa0\x80\"]", "[\"\xf4\x90\x80\x80\"]", "[\"\xe6\x97\"]", "[\"\xff\"]",
                "\xef\xbb\xbf{}", "[\"unterminated]", "{\"a\":[1,2}", "[1 2]",
        };

        for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
                if (cmp(refused[i]))
                        fail_msg("read %s", refused[i]);
        /* a NUL byte inside the text, and text cut short */
        assert_int_equal(compare("[\"a\0b\"]", 7), 0);
        assert_int_equal(compare("{\"a\":[1,2]}", 8), 0);
}

/* Nesting: the reader stops at 1,000 levels; jansson's limit is 2,048. */
static void test_depth(void **state)
{
        size_t n = 1001;
        char *deep = malloc(2 * n + 1);

        memset(deep, '[', n);
        memset(deep + n, ']', n);
        deep[2 * n] = '\0';
        assert_int_equal(cmp(deep), 0);
        deep[n - 1] = ' ';
        deep[n] = ' ';      /* 1,000 levels */
        assert_int_equal(cmp(deep), 1);
        free(deep);
}

/* A body of 2,000 entities like the uploader's, escapes in half of them. */
static void test_large_body(void **state)
{
        size_t cap = 1 << 20, used = 0;
        char *body = malloc(cap);

        used += (size_t)snprintf(body + used, cap - used, "{\"batch\":[");
        for (int i = 0; i < 2000; i++)
                used += (size_t)snprintf(body + used, cap - used,
                                         "%s{\"type\":\"person\",\"action\":\"identify\","
                                         "\"identifiers\":{\"id\":\"%d\"},\"attributes\":{"
                                         "\"name\":\"%s%d\",\"score\":%d.%02d}}",
                                         i ? "," : "", i, i % 2 ? "O\\u2019Brien \\\"" : "plain",
                                         i, i, i % 100);
        used += (size_t)snprintf(body + used, cap - used, "]}");
        assert_int_equal(compare(body, used), 1);
        free(body);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_reads_what_jansson_reads),
                cmocka_unit_test(test_gives_up),
                cmocka_unit_test(test_depth),
                cmocka_unit_test(test_large_body),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
