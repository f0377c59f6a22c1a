/* Unit tests: the commands' shared option handling (lib/args.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/args.h"

static void test_value(void **state)
{
        char *argv[] = {"x", "-c", "f.cfg", "--config", NULL};
        struct retl_args ra = {"x", 4, argv, 1};
        const char *v = NULL;

        assert_true(retl_args_is(&ra, "-c", "--config"));
        assert_false(retl_args_is(&ra, NULL, "--config"));
        assert_int_equal(retl_args_value(&ra, &v), 0);
        assert_string_equal(v, "f.cfg");
        assert_int_equal(ra.ra_i, 2);
        ra.ra_i = 3;
        assert_true(retl_args_is(&ra, "-c", "--config"));
        v = NULL;
        assert_int_equal(retl_args_value(&ra, &v), -1);         /* the value is missing */
        assert_null(v);
}

static void test_count(void **state)
{
        static const struct {
                const char *arg;
                int64_t min, max;
                int ok;
                int64_t want;
        } cases[] = {
                {"0", 0, 100, 1, 0},        {"100", 0, 100, 1, 100},  {"101", 0, 100, 0, 0},
                {"abc", 0, 100, 0, 0},      {"-5", 0, 100, 0, 0},     {"3x", 0, 100, 0, 0},
                {"", 0, 100, 0, 0},         {" 5", 0, 100, 0, 0},     {"+5", 0, 100, 0, 0},
                {"-5", -10, 10, 1, -5},     {"-", -10, 10, 0, 0},
                {"9223372036854775807", 0, INT64_MAX, 1, INT64_MAX},
                {"9223372036854775808", 0, INT64_MAX, 0, 0},
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *argv[] = {"x", "--limit", (char *)cases[i].arg, NULL};
                struct retl_args ra = {"x", 3, argv, 1};
                int64_t v = 42;
                int rc = retl_args_count(&ra, cases[i].min, cases[i].max, &v);

                if (rc != (cases[i].ok ? 0 : -1) || v != (cases[i].ok ? cases[i].want : 42))
                        fail_msg("case %zu '%s': rc %d value %lld", i, cases[i].arg, rc,
                                 (long long)v);
        }
}

static void test_unknown(void **state)
{
        char *argv[] = {"x", "--nope", NULL};
        struct retl_args ra = {"x", 2, argv, 1};

        assert_int_equal(retl_args_unknown(&ra), 2);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_value),
                cmocka_unit_test(test_count),
                cmocka_unit_test(test_unknown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
