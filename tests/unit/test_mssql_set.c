/* Unit tests: the stand-in's SET statements (sandbox/mssql/session_set.c) —
 * the options each login starts with, what each statement changes, and
 * SQL Server's errors for unknown options and bad values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/mssql/session_set.c" /* the stand-in is not in libretl.a */

#define B(f) (1u << RETL_SET_##f)

static int apply(struct retl_mssql_set_state *st, const char *sql, struct retl_mssql_error *err)
{
        return retl_mssql_set_apply(st, sql, sql + strlen(sql), err);
}

static void test_login_defaults(void **state)
{
        struct retl_mssql_set_state st;

        (void)state;
        retl_mssql_set_init(&st, 0);
        assert_int_equal(st.ss_on, 0);
        assert_true(st.ss_lock_timeout == -1);
        assert_true(st.ss_textsize == 4096);
        assert_string_equal(st.ss_isolation, "READ COMMITTED");
        retl_mssql_set_init(&st, 1);
        assert_int_equal(st.ss_on, B(ANSI_NULLS) | B(ANSI_NULL_DFLT_ON) | B(ANSI_PADDING) |
                                           B(ANSI_WARNINGS) | B(QUOTED_IDENTIFIER) |
                                           B(CONCAT_NULL_YIELDS_NULL));
        assert_true(st.ss_textsize == 2147483647);
}

struct good {
        const char *sql;
        unsigned on_after;      /* from a DB-Library login's state */
        long long lock_timeout, textsize;
        const char *isolation;
};

static const struct good good_cases[] = {
        {"SET ANSI_NULLS ON", B(ANSI_NULLS), -1, 4096, "READ COMMITTED"},
        {"set quoted_identifier on", B(QUOTED_IDENTIFIER), -1, 4096, "READ COMMITTED"},
        {"SET ANSI_NULLS, ANSI_WARNINGS ON", B(ANSI_NULLS) | B(ANSI_WARNINGS), -1, 4096,
         "READ COMMITTED"},
        {"SET ANSI_DEFAULTS ON",
         B(ANSI_NULLS) | B(ANSI_NULL_DFLT_ON) | B(ANSI_PADDING) | B(ANSI_WARNINGS) |
                 B(CURSOR_CLOSE_ON_COMMIT) | B(IMPLICIT_TRANSACTIONS) | B(QUOTED_IDENTIFIER),
         -1, 4096, "READ COMMITTED"},
        {"SET ANSI_NULL_DFLT_OFF ON", B(ANSI_NULL_DFLT_OFF), -1, 4096, "READ COMMITTED"},
        {"SET NOCOUNT ON", B(NOCOUNT), -1, 4096, "READ COMMITTED"},
        {"SET LOCK_TIMEOUT 7000", 0, 7000, 4096, "READ COMMITTED"},
        {"SET LOCK_TIMEOUT -1", 0, -1, 4096, "READ COMMITTED"},
        {"SET TEXTSIZE 2147483647", 0, -1, 2147483647, "READ COMMITTED"},
        {"SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", 0, -1, 4096, "SERIALIZABLE"},
        {"SET TRANSACTION ISOLATION LEVEL READ UNCOMMITTED", 0, -1, 4096, "READ UNCOMMITTED"},
        {"SET DATEFORMAT ymd", 0, -1, 4096, "READ COMMITTED"},
        {"SET LANGUAGE 'British English'", 0, -1, 4096, "READ COMMITTED"},
        {"SET STATISTICS IO ON", 0, -1, 4096, "READ COMMITTED"},
        {"SET FMTONLY OFF", 0, -1, 4096, "READ COMMITTED"},
        {"SET @x = 1", 0, -1, 4096, "READ COMMITTED"},
};

static void test_good(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(good_cases) / sizeof(good_cases[0]); i++) {
                const struct good *g = &good_cases[i];
                struct retl_mssql_set_state st;
                struct retl_mssql_error err;

                retl_mssql_set_init(&st, 0);
                if (apply(&st, g->sql, &err))
                        fail_msg("%s: error %d %s", g->sql, err.me_number, err.me_msg);
                if (st.ss_on != g->on_after || st.ss_lock_timeout != g->lock_timeout ||
                    st.ss_textsize != g->textsize || strcmp(st.ss_isolation, g->isolation))
                        fail_msg("%s: on 0x%x lock %lld textsize %lld %s", g->sql, st.ss_on,
                                 st.ss_lock_timeout, st.ss_textsize, st.ss_isolation);
        }
}

static void test_off_and_exclusive(void **state)
{
        struct retl_mssql_set_state st;
        struct retl_mssql_error err;

        (void)state;
        retl_mssql_set_init(&st, 1);
        assert_int_equal(apply(&st, "SET ANSI_NULLS OFF", &err), 0);
        assert_int_equal(st.ss_on & B(ANSI_NULLS), 0);
        assert_int_not_equal(st.ss_on & B(ANSI_NULL_DFLT_ON), 0);
        assert_int_equal(apply(&st, "SET ANSI_NULL_DFLT_OFF ON", &err), 0);
        assert_int_equal(st.ss_on & B(ANSI_NULL_DFLT_ON), 0);
        assert_int_equal(apply(&st, "SET ANSI_NULL_DFLT_ON ON", &err), 0);
        assert_int_equal(st.ss_on & B(ANSI_NULL_DFLT_OFF), 0);
}

struct bad {
        const char *sql;
        int number;
        const char *msg;
};

static const struct bad bad_cases[] = {
        {"SET ANSI_NULL ON", 195, "'ANSI_NULL' is not a recognized SET option."},
        {"SET ANSI_NULLS, NOPE ON", 195, "'NOPE' is not a recognized SET option."},
        {"SET ANSI_NULLS YES", 102, "Incorrect syntax near 'YES'."},
        {"SET ANSI_NULLS", 102, "Incorrect syntax near 'SET'."},
        {"SET ANSI_NULLS ON OFF", 102, "Incorrect syntax near 'OFF'."},
        {"SET LOCK_TIMEOUT 30s", 102, "Incorrect syntax near '30S'."},
        {"SET LOCK_TIMEOUT -2", 102, "Incorrect syntax near '-2'."},
        {"SET TEXTSIZE", 102, "Incorrect syntax near 'SET'."},
        {"SET TRANSACTION ISOLATION LEVEL READ", 102, "Incorrect syntax near 'READ'."},
        {"SET TRANSACTION LEVEL READ COMMITTED", 102, "Incorrect syntax near 'LEVEL'."},
};

static void test_bad(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
                const struct bad *b = &bad_cases[i];
                struct retl_mssql_set_state st, before;
                struct retl_mssql_error err = {0};

                retl_mssql_set_init(&st, 0);
                before = st;
                if (apply(&st, b->sql, &err) == 0)
                        fail_msg("%s: accepted", b->sql);
                if (err.me_number != b->number || err.me_severity != 15 ||
                    strcmp(err.me_msg, b->msg))
                        fail_msg("%s: %d (%d) %s", b->sql, err.me_number, err.me_severity,
                                 err.me_msg);
                /* a refused statement changes nothing */
                assert_memory_equal(&st, &before, sizeof(st));
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_login_defaults),
                cmocka_unit_test(test_good),
                cmocka_unit_test(test_off_and_exclusive),
                cmocka_unit_test(test_bad),
        };
        return cmocka_run_group_tests_name("mssql_set", tests, NULL, NULL);
}
