/* Unit tests: the console's escaping and plumbing (cli/console_html.c,
 * cli/console_http.c, cli/console_svg.c) and the failed rows' CSV lines
 * (cli/failed_rows.c), which `retl errors` and the console's download share. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli/console_html.h"
#include "cli/console_http.h"
#include "cli/console_svg.h"
#include "cli/failed_rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *text_of(void (*put)(struct retl_html *, const char *), const char *s)
{
        struct retl_html h;
        retl_html_init(&h);
        put(&h, s);
        return retl_html_take(&h, NULL);
}

static void test_text_escapes(void **state)
{
        static const struct {
                const char *in, *want;
        } cases[] = {
                {"", ""},
                {"plain text", "plain text"},
                {"<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
                {"a & b", "a &amp; b"},
                {"\"quoted\" 'single'", "&quot;quoted&quot; &#39;single&#39;"},
                {"x\" onmouseover=\"y", "x&quot; onmouseover=&quot;y"},
                {"&amp;", "&amp;amp;"},
                {"é ünïcode ✓", "é ünïcode ✓"},
                {"<<>>", "&lt;&lt;&gt;&gt;"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *got = text_of(retl_html_text, cases[i].in);
                if (strcmp(got, cases[i].want))
                        fail_msg("%s:%d case %zu: '%s' -> '%s', want '%s'", __FILE__, __LINE__, i,
                                 cases[i].in, got, cases[i].want);
                free(got);
        }
        {
                char *got = text_of(retl_html_text, NULL);
                assert_string_equal(got, "");
                free(got);
        }
}

static void test_url_value(void **state)
{
        static const struct {
                const char *in, *want;
        } cases[] = {
                {"people-123-ab", "people-123-ab"},
                {"a b&c=d", "a%20b%26c%3Dd"},
                {"\"><script>", "%22%3E%3Cscript%3E"},
                {"é", "%C3%A9"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *got = text_of(retl_html_url_value, cases[i].in);
                if (strcmp(got, cases[i].want))
                        fail_msg("%s:%d case %zu: '%s' -> '%s', want '%s'", __FILE__, __LINE__, i,
                                 cases[i].in, got, cases[i].want);
                free(got);
        }
}

static void test_count(void **state)
{
        static const struct {
                int64_t n;
                const char *want;
        } cases[] = {{0, "0"}, {999, "999"}, {1000, "1,000"}, {1234567, "1,234,567"},
                     {-1234, "-1,234"}, {INT64_MIN, "-9,223,372,036,854,775,808"}};
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct retl_html h;
                char *got;
                retl_html_init(&h);
                retl_html_count(&h, cases[i].n);
                got = retl_html_take(&h, NULL);
                assert_string_equal(got, cases[i].want);
                free(got);
        }
}

static void test_form_parse(void **state)
{
        char body[] = "id=run%2D1+x&csrf=abc&empty=&&q=%3Cb%3E";
        char bad[] = "novalue&x=1";
        struct retl_console_req rq = {.method = "POST"};

        assert_int_equal(retl_console_form_parse(&rq, body), 0);
        assert_int_equal(rq.nfields, 4);
        assert_string_equal(retl_console_arg(&rq, "id"), "run-1 x");
        assert_string_equal(retl_console_arg(&rq, "csrf"), "abc");
        assert_string_equal(retl_console_arg(&rq, "empty"), "");
        assert_string_equal(retl_console_arg(&rq, "q"), "<b>");
        assert_null(retl_console_arg(&rq, "missing"));
        assert_int_equal(retl_console_form_parse(&rq, bad), -1);
}

static void test_same_secret(void **state)
{
        assert_true(retl_console_same_secret("token-0123456789", "token-0123456789"));
        assert_false(retl_console_same_secret("token-0123456789", "token-0123456788"));
        assert_false(retl_console_same_secret("token", "token-0123456789"));
        assert_false(retl_console_same_secret("token-0123456789", "token"));
        assert_false(retl_console_same_secret("", "token"));
        assert_false(retl_console_same_secret("x", ""));
}

static void test_chart(void **state)
{
        struct retl_chart_point pts[RETL_CHART_MAX + 5];
        struct retl_html h;
        char *svg;
        size_t rects = 0;

        for (size_t i = 0; i < sizeof(pts) / sizeof(pts[0]); i++)
                pts[i] = (struct retl_chart_point){1700000000000LL + (int64_t)i * 3600000,
                                                   (int64_t)i * 10, i % 2 ? 3 : 0, 1000};
        retl_html_init(&h);
        retl_console_svg_chart(&h, pts, sizeof(pts) / sizeof(pts[0]));
        svg = retl_html_take(&h, NULL);
        assert_non_null(svg);
        assert_true(!strncmp(svg, "<svg ", 5));
        for (const char *p = svg; (p = strstr(p, "<rect ")); p++)
                rects++;
        /* the newest RETL_CHART_MAX, each a bar, plus a red one where rows failed */
        assert_int_equal(rects, RETL_CHART_MAX + RETL_CHART_MAX / 2);
        assert_non_null(strstr(svg, "<polyline "));
        assert_non_null(strstr(svg, "</svg>"));
        free(svg);
        retl_html_init(&h);
        retl_console_svg_chart(&h, NULL, 0);
        svg = retl_html_take(&h, NULL);
        assert_non_null(strstr(svg, "no imports yet"));
        free(svg);
}

static void test_csv_rows(void **state)
{
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);

        retl_failed_rows_csv_header(f);
        retl_failed_rows_csv_row(f, 0, 2, "4", "invalid email: '<script>x</script>'");
        retl_failed_rows_csv_row(f, 1, 7, "a,b", "said \"no\"\nthen left");
        retl_failed_rows_csv_row(f, 0, 9, NULL, "plain");
        fclose(f);
        assert_string_equal(out, "row_number,query,identifier,reason\n"
                                 "2,main,4,invalid email: '<script>x</script>'\n"
                                 "7,relationships,\"a,b\",\"said \"\"no\"\"\nthen left\"\n"
                                 "9,main,,plain\n");
        free(out);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_text_escapes), cmocka_unit_test(test_url_value),
                cmocka_unit_test(test_count),        cmocka_unit_test(test_form_parse),
                cmocka_unit_test(test_same_secret),  cmocka_unit_test(test_chart),
                cmocka_unit_test(test_csv_rows),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
