/* Unit tests: producer/query — the {{last_sync_time}} template and the
 * read-only rule's T-SQL lexer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "producer/query.h"

static void test_render(void **state)
{
        static const struct {
                const char *in;
                int64_t lst;
                const char *out; /* NULL = error */
                const char *err_has;
        } cases[] = {
                {"SELECT 1", 5, "SELECT 1", NULL},
                {"WHERE t > {{last_sync_time}}", 0, "WHERE t > 0", NULL},
                {"a {{ last_sync_time }} b {{last_sync_time}}", 1714564800,
                 "a 1714564800 b 1714564800", NULL},
                {"a {{\tlast_sync_time\n}}", 7, "a 7", NULL},
                {"a {{last_sync}}", 7, NULL, "unknown template {{last_sync}}"},
                {"a {{ }}", 7, NULL, "unknown template"},
                {"line1\nline2 {{oops", 7, NULL, "line 2"},
                {"{{LAST_SYNC_TIME}}", 7, NULL, "unknown template"},
        };
        char err[512];

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *out = NULL;
                int rc = retl_query_render(cases[i].in, cases[i].lst, &out, err, sizeof(err));
                if (cases[i].out) {
                        if (rc)
                                fail_msg("case %zu: %s", i, err);
                        assert_string_equal(out, cases[i].out);
                } else {
                        assert_int_equal(rc, -1);
                        assert_null(out);
                        if (!strstr(err, cases[i].err_has))
                                fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].err_has);
                }
                free(out);
        }
}

static void test_watermark(void **state)
{
        (void)state;
        assert_int_equal(retl_query_watermark(0, 300), 0);              /* first run: all */
        assert_int_equal(retl_query_watermark(1714564800, 300), 1714564500);
        assert_int_equal(retl_query_watermark(1714564800, 1), 1714564799);
        assert_int_equal(retl_query_watermark(100, 300), 0);            /* never negative */
}

static void test_check(void **state)
{
        static const struct {
                const char *sql;
                int ok;
                int star;
                const char *err_has;
        } cases[] = {
                {"SELECT id, email FROM people WHERE updated > 0", 1, 0, NULL},
                {"select * from people", 1, 1, NULL},
                {"SELECT p.* FROM people p", 1, 1, NULL},
                {"SELECT TOP 10 * FROM people", 1, 1, NULL},
                {"SELECT DISTINCT * FROM people", 1, 1, NULL},
                {"SELECT COUNT(*) AS n, 2*3 AS six FROM people", 1, 0, NULL},
                {"WITH c AS (SELECT id FROM t) SELECT id FROM c", 1, 0, NULL},
                {"(SELECT 1 AS id)", 1, 0, NULL},
                {"SELECT id FROM t;", 1, 0, NULL},
                {"SELECT id FROM t; -- trailing comment\n", 1, 0, NULL},
                {"SELECT 'DROP TABLE x; DELETE' AS id", 1, 0, NULL},
                {"SELECT N'it''s; INSERT' AS id", 1, 0, NULL},
                {"SELECT [update] AS id, [a;b] FROM [delete]", 1, 0, NULL},
                {"SELECT \"insert\" AS id FROM t", 1, 0, NULL},
                {"SELECT id -- DROP TABLE t\nFROM t", 1, 0, NULL},
                {"SELECT id /* ; EXEC /* nested */ x */ FROM t", 1, 0, NULL},
                {"SELECT id FROM t; DROP TABLE t", 0, 0, "single SELECT"},
                {"SELECT id FROM t; SELECT 2", 0, 0, "another statement"},
                {"INSERT INTO t VALUES (1)", 0, 0, "INSERT changes data"},
                {"UPDATE t SET a = 1", 0, 0, "UPDATE"},
                {"DELETE FROM t", 0, 0, "DELETE"},
                {"MERGE t USING s ON 1=1", 0, 0, "MERGE"},
                {"EXEC sp_who", 0, 0, "EXEC runs a procedure"},
                {"exec('select 1')", 0, 0, "EXEC"},
                {"DROP TABLE t", 0, 0, "DROP"},
                {"ALTER TABLE t ADD c int", 0, 0, "ALTER"},
                {"CREATE TABLE t (a int)", 0, 0, "CREATE"},
                {"TRUNCATE TABLE t", 0, 0, "TRUNCATE"},
                {"GRANT SELECT ON t TO u", 0, 0, "GRANT"},
                {"SELECT id INTO t2 FROM t", 0, 0, "SELECT ... INTO"},
                {"WITH c AS (SELECT 1 AS id) DELETE FROM c", 0, 0, "DELETE"},
                {"SELECT id FROM OPENROWSET('x', 'y', 'z')", 0, 0, "OPENROWSET"},
                {"DECLARE @x int", 0, 0, "DECLARE"},
                {"SET NOCOUNT ON", 0, 0, "SET"},
                {"SELECT 1 AS id\nGO", 0, 0, "line 2"},
                {"", 0, 0, "empty"},
                {"  -- only a comment", 0, 0, "empty"},
                {"SELECT 'unterminated", 0, 0, "not closed"},
                {"SELECT [unterminated", 0, 0, "not closed"},
                {"SELECT 1 /* open", 0, 0, "not closed"},
                {"SELECT (1 AS id", 0, 0, "parentheses"},
                {"sp_who", 0, 0, "starts with 'sp_who'"},
        };
        char err[512];

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct retl_query_info qi = {-1};
                int rc;

                err[0] = '\0';
                rc = retl_query_check(cases[i].sql, &qi, err, sizeof(err));
                if (cases[i].ok) {
                        if (rc)
                                fail_msg("case %zu (%s): %s", i, cases[i].sql, err);
                        if (qi.has_star != cases[i].star)
                                fail_msg("case %zu (%s): has_star %d", i, cases[i].sql,
                                         qi.has_star);
                } else {
                        if (rc != -1)
                                fail_msg("case %zu (%s) was accepted", i, cases[i].sql);
                        if (!strstr(err, cases[i].err_has))
                                fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].err_has);
                }
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_render),
                cmocka_unit_test(test_watermark),
                cmocka_unit_test(test_check),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
