/* 0106: the extractor's SQL Server driver (producer/source_mssql.c) as a
 * client of the stand-in. What it sends, from the stand-in's session log
 * (--log-session): its LOGIN7 fields, never the password, application name
 * "retl", then on each connection exactly one batch of SET statements (the
 * ANSI options as ODBC and SSMS set them, ARITHABORT, READ COMMITTED, the
 * lock_timeout setting, TEXTSIZE) before the first query, and each batch
 * text as sent; from the options the stand-in keeps per connection, that
 * the login started with the ANSI options OFF (DB-Library) and the query ran
 * with each of them ON; a misspelt SET option is refused (195), as SQL
 * Server refuses it, so a typo in the driver's batch would fail the
 * connection rather than pass unseen. time, datetime2 and datetimeoffset at
 * every scale 0..7, and char(n)/nchar(n) padding, mapped to their type
 * names, Avro branches, scales and text forms. How it maps NOT NULL int, bigint, bit, float and datetime
 * columns, which arrive as fixed-length types (INT4, INT8, BIT, FLT8,
 * DATETIME): the same names, Avro branches and values as their nullable
 * twins (INTN, BITN, FLTN, DATETIMN). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>

#include "tests/it/mssql_it.h"
#include "producer/source.h"

#define PASSWORD "s3cret-0106"

static struct it_standin standin;
static char db_path[1024];
static char log_path[1024];

static const char *fixture_sql =
        "CREATE TABLE fixed_t(id INT NOT NULL, c_int INT NOT NULL, c_bigint BIGINT NOT NULL,"
        " c_bit BIT NOT NULL, c_float FLOAT NOT NULL, c_datetime DATETIME NOT NULL,"
        " n_int INT, n_bigint BIGINT, n_bit BIT, n_float FLOAT, n_datetime DATETIME);\n"
        "INSERT INTO fixed_t VALUES(1, -2147483648, 9223372036854775807, 1, 2.718281828459045,"
        " '2024-05-01 12:34:56.789', -2147483648, 9223372036854775807, 1, 2.718281828459045,"
        " '2024-05-01 12:34:56.789');\n"
        "INSERT INTO fixed_t VALUES(2, 7, -1, 0, -0.5, '1753-01-01 00:00:00',"
        " 7, -1, 0, -0.5, '1753-01-01 00:00:00');\n"
        /* one value per scale: .1111111 reads the same truncated or rounded */
        "CREATE TABLE scales_t(id INT NOT NULL,"
        " t0 TIME(0), t1 TIME(1), t2 TIME(2), t3 TIME(3), t4 TIME(4), t5 TIME(5), t6 TIME(6),"
        " t7 TIME(7),"
        " d0 DATETIME2(0), d1 DATETIME2(1), d2 DATETIME2(2), d3 DATETIME2(3), d4 DATETIME2(4),"
        " d5 DATETIME2(5), d6 DATETIME2(6), d7 DATETIME2(7),"
        " o0 DATETIMEOFFSET(0), o1 DATETIMEOFFSET(1), o2 DATETIMEOFFSET(2),"
        " o3 DATETIMEOFFSET(3), o4 DATETIMEOFFSET(4), o5 DATETIMEOFFSET(5),"
        " o6 DATETIMEOFFSET(6), o7 DATETIMEOFFSET(7),"
        " c CHAR(5), nc NCHAR(5), c_nn CHAR(3) NOT NULL);\n"
        "INSERT INTO scales_t SELECT 1,"
        " v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, o, o, o, o, o, o, o, o, 'ab', 'é', 'x'"
        " FROM (SELECT '2024-05-01 12:34:56.1111111' AS v,"
        " '2024-05-01T12:34:56.1111111-05:30' AS o);\n"
        "INSERT INTO scales_t (id, c_nn) VALUES(2, 'abc');\n";

static struct retl_source *connect_source(void)
{
        struct retl_cfg_database db = {
                .name = "src",
                .driver = "mssql",
                .host = "127.0.0.1",
                .port = standin.port,
                .database = "retldb",
                .user = "retl",
                .password = PASSWORD,
                .encryption = RETL_ENCRYPT_OFF,
                .login_timeout_s = 10,
                .query_timeout_s = 60,
                .lock_timeout_s = 7,
        };
        enum retl_source_fail fail = RETL_SRC_OK;
        char errstr[512];
        struct retl_source *src = retl_source_open(&db, "0106", NULL, &fail, errstr,
                                                   sizeof(errstr));

        if (!src)
                fail_msg("connect: %s", errstr);
        return src;
}

static int group_setup(void **state)
{
        (void)state;
        snprintf(log_path, sizeof(log_path), "%s/0106-session.jsonl", it_tmp());
        unlink(log_path);
        if (it_sqlite_create("0106", fixture_sql, db_path, sizeof(db_path)))
                return -1;
        setenv("RETL_IT_PASSWORD", PASSWORD, 1);
        return it_standin_start(&standin, db_path, "--database", "retldb", "--user", "retl",
                                "--password-env", "RETL_IT_PASSWORD", "--log-session",
                                log_path, NULL);
}

static int group_teardown(void **state)
{
        (void)state;
        return it_standin_stop(&standin) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------ mapping */

struct expect {
        const char *col;
        const char *type_name;
        enum retl_vtype vtype;
        int scale;
};

static void expect_row(const struct retl_value *v, int64_t i, int64_t l, int b, double d,
                       const char *dt)
{
        /* columns: id, then c_int c_bigint c_bit c_float c_datetime, then the n_ twins */
        for (int twin = 0; twin < 2; twin++) {
                const struct retl_value *t = v + 1 + 5 * twin;
                assert_int_equal(t[0].type, RETL_V_LONG);
                assert_int_equal(t[0].u.l, i);
                assert_int_equal(t[1].type, RETL_V_LONG);
                assert_int_equal(t[1].u.l, l);
                assert_int_equal(t[2].type, RETL_V_BOOL);
                assert_int_equal(t[2].u.b, b);
                assert_int_equal(t[3].type, RETL_V_DOUBLE);
                assert_true(t[3].u.d == d);
                assert_int_equal(t[4].type, RETL_V_DATETIME);
                assert_int_equal(t[4].u.s.len, strlen(dt));
                assert_memory_equal(t[4].u.s.ptr, dt, strlen(dt));
        }
}

static void test_not_null_mapping(void **state)
{
        static const struct expect ex[] = {
                {"id", "int", RETL_V_LONG, 0},
                {"c_int", "int", RETL_V_LONG, 0},
                {"c_bigint", "bigint", RETL_V_LONG, 0},
                {"c_bit", "bit", RETL_V_BOOL, 0},
                {"c_float", "float", RETL_V_DOUBLE, 0},
                {"c_datetime", "datetime", RETL_V_DATETIME, 3},
                {"n_int", "int", RETL_V_LONG, 0},
                {"n_bigint", "bigint", RETL_V_LONG, 0},
                {"n_bit", "bit", RETL_V_BOOL, 0},
                {"n_float", "float", RETL_V_DOUBLE, 0},
                {"n_datetime", "datetime", RETL_V_DATETIME, 3},
        };
        const size_t n = sizeof(ex) / sizeof(ex[0]);
        struct retl_source *src = connect_source();
        const struct retl_source_column *cols;
        const struct retl_value *v;
        enum retl_source_fail fail = RETL_SRC_OK;
        char errstr[512];

        (void)state;
        if (retl_source_query(src, "SELECT * FROM fixed_t ORDER BY id", &fail, errstr,
                              sizeof(errstr)))
                fail_msg("query: %s", errstr);
        assert_int_equal(retl_source_ncolumns(src), n);
        cols = retl_source_columns(src);
        for (size_t i = 0; i < n; i++) {
                if (getenv("RETL_IT_VERBOSE"))
                        fprintf(stderr, "%s: %s, %s, scale %d\n", cols[i].name,
                                cols[i].type_name, retl_vtype_name(cols[i].vtype),
                                cols[i].scale);
                assert_string_equal(cols[i].name, ex[i].col);
                assert_string_equal(cols[i].type_name, ex[i].type_name);
                assert_int_equal(cols[i].vtype, ex[i].vtype);
                assert_int_equal(cols[i].scale, ex[i].scale);
        }
        assert_int_equal(retl_source_next(src, &v, &fail, errstr, sizeof(errstr)), 1);
        assert_int_equal(v[0].type, RETL_V_LONG);
        assert_int_equal(v[0].u.l, 1);
        expect_row(v, -2147483648LL, INT64_MAX, 1, 2.718281828459045,
                   "2024-05-01T12:34:56.790");
        assert_int_equal(retl_source_next(src, &v, &fail, errstr, sizeof(errstr)), 1);
        assert_int_equal(v[0].u.l, 2);
        expect_row(v, 7, -1, 0, -0.5, "1753-01-01T00:00:00.000");
        assert_int_equal(retl_source_next(src, &v, &fail, errstr, sizeof(errstr)), 0);
        retl_source_close(src);
}

/* ------------------------------------------------------------ session log */

/* A batch line's "options": the ON options as one string, and the rest. */
static void expect_options(json_t *batch, const char *on, json_int_t lock_timeout,
                           json_int_t textsize)
{
        json_t *o = json_object_get(batch, "options"), *v;
        char names[512] = "";
        size_t i;

        assert_non_null(o);
        json_array_foreach(json_object_get(o, "on"), i, v) {
                strncat(names, i ? " " : "", sizeof(names) - strlen(names) - 1);
                strncat(names, json_string_value(v), sizeof(names) - strlen(names) - 1);
        }
        assert_string_equal(names, on);
        assert_int_equal(json_integer_value(json_object_get(o, "lock_timeout")), lock_timeout);
        assert_int_equal(json_integer_value(json_object_get(o, "textsize")), textsize);
        assert_string_equal(json_string_value(json_object_get(o, "isolation")), "READ COMMITTED");
}

static void test_session_log(void **state)
{
        static const char query[] =
                "SELECT id,\n\tc_int AS \"x\" -- 'é'\nFROM fixed_t ORDER BY id";
        static const char *const flags[] = {"option_flags2", "type_flags", "option_flags3"};
        /* what the driver must send after login, nothing before it */
        static const char session_sql[] =
                "SET ANSI_NULLS ON; SET ANSI_PADDING ON; SET ANSI_WARNINGS ON; "
                "SET CONCAT_NULL_YIELDS_NULL ON; SET QUOTED_IDENTIFIER ON; "
                "SET ANSI_NULL_DFLT_ON ON; SET ARITHABORT ON; "
                "SET TRANSACTION ISOLATION LEVEL READ COMMITTED; "
                "SET LOCK_TIMEOUT 7000; SET TEXTSIZE 2147483647";
        json_int_t spids[8];
        int nbatches[8] = {0}, sets = 0;
        struct retl_source *src = connect_source();
        const struct retl_value *v;
        enum retl_source_fail fail = RETL_SRC_OK;
        char errstr[512], line[8192];
        int logins = 0, batches = 0, rows = 0;
        FILE *f;

        (void)state;
        if (retl_source_query(src, query, &fail, errstr, sizeof(errstr)))
                fail_msg("query: %s", errstr);
        while (retl_source_next(src, &v, &fail, errstr, sizeof(errstr)) == 1)
                rows++;
        assert_int_equal(rows, 2);
        retl_source_close(src);

        /* One JSON object a line; the stand-in flushed each before it
         * answered, so the file is complete now. */
        f = fopen(log_path, "r");
        assert_non_null(f);
        while (fgets(line, sizeof(line), f)) {
                json_error_t jerr;
                json_t *o = json_loads(line, 0, &jerr);
                const char *event;

                if (!o)
                        fail_msg("not JSON: %s (%s)", line, jerr.text);
                assert_non_null(strchr(line, '\n'));
                assert_null(strstr(line, PASSWORD));
                assert_true(json_integer_value(json_object_get(o, "spid")) >= 51);
                event = json_string_value(json_object_get(o, "event"));
                assert_non_null(event);
                if (strcmp(event, "login") == 0) {
                        assert_true(logins < 8);
                        spids[logins] = json_integer_value(json_object_get(o, "spid"));
                        logins++;
                        /* what FreeTDS db-lib sends for the extractor (TDS 7.4) */
                        assert_string_equal(json_string_value(json_object_get(o, "tds_version")),
                                            "0x74000004");
                        assert_string_equal(json_string_value(json_object_get(o, "user")), "retl");
                        assert_string_equal(json_string_value(json_object_get(o, "database")),
                                            "retldb");
                        assert_string_equal(json_string_value(json_object_get(o, "app")), "retl");
                        assert_string_equal(json_string_value(json_object_get(o, "library")),
                                            "DB-Library");
                        assert_true(json_string_length(json_object_get(o, "host")) > 0);
                        assert_null(json_object_get(o, "password"));
                        /* OptionFlags1: fUseDB, fDatabase (fatal), fSetLang */
                        assert_string_equal(
                                json_string_value(json_object_get(o, "option_flags1")), "0xE0");
                        for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); k++) {
                                const char *hex = json_string_value(json_object_get(o, flags[k]));
                                assert_non_null(hex);
                                assert_int_equal(strlen(hex), 4);
                                assert_memory_equal(hex, "0x", 2);
                        }
                } else if (strcmp(event, "batch") == 0) {
                        const char *text = json_string_value(json_object_get(o, "text"));
                        json_int_t spid = json_integer_value(json_object_get(o, "spid"));
                        int c = logins - 1;

                        assert_non_null(text);
                        /* the connection's login came before (spids can be
                         * reused after a close, so the latest login counts) */
                        while (c >= 0 && spids[c] != spid)
                                c--;
                        assert_true(c >= 0);
                        if (nbatches[c]++ == 0) {
                                assert_string_equal(text, session_sql);
                                /* what a DB-Library login starts with */
                                expect_options(o, "", -1, 4096);
                                sets++;
                        } else {
                                assert_string_not_equal(text, session_sql);
                                expect_options(o,
                                               "ANSI_NULLS ANSI_NULL_DFLT_ON ANSI_PADDING "
                                               "ANSI_WARNINGS ARITHABORT CONCAT_NULL_YIELDS_NULL "
                                               "QUOTED_IDENTIFIER",
                                               7000, 2147483647);
                        }
                        if (strcmp(text, query) == 0)
                                batches++;
                } else {
                        fail_msg("unknown event %s", event);
                }
                json_decref(o);
        }
        fclose(f);
        /* this test's connection and test_not_null_mapping's */
        assert_int_equal(logins, 2);
        assert_int_equal(sets, 2);
        assert_int_equal(batches, 1);
}

/* ------------------------------------------------------------ scales */

static void expect_text(const struct retl_value *v, enum retl_vtype vt, const char *text)
{
        assert_int_equal(v->type, vt);
        if (v->u.s.len != strlen(text) || memcmp(v->u.s.ptr, text, v->u.s.len))
                fail_msg("'%.*s', expected '%s'", (int)v->u.s.len, v->u.s.ptr, text);
}

static void test_temporal_scales(void **state)
{
        static const char frac[] = ".1111111";
        static const struct {
                const char *prefix;     /* column name and type name */
                enum retl_vtype vtype;
                const char *before, *after; /* the text around the fraction */
        } kinds[] = {
                {"time", RETL_V_TIME, "12:34:56", ""},
                {"datetime2", RETL_V_DATETIME, "2024-05-01T12:34:56", ""},
                {"datetimeoffset", RETL_V_DATETIMEOFFSET, "2024-05-01T12:34:56", "-05:30"},
        };
        struct retl_source *src = connect_source();
        const struct retl_source_column *cols;
        const struct retl_value *v;
        enum retl_source_fail fail = RETL_SRC_OK;
        char errstr[512], want[80];

        (void)state;
        if (retl_source_query(src, "SELECT * FROM scales_t ORDER BY id", &fail, errstr,
                              sizeof(errstr)))
                fail_msg("query: %s", errstr);
        assert_int_equal(retl_source_ncolumns(src), 1 + 24 + 3);
        cols = retl_source_columns(src);
        assert_int_equal(retl_source_next(src, &v, &fail, errstr, sizeof(errstr)), 1);
        for (int k = 0; k < 3; k++) {
                for (int n = 0; n <= 7; n++) {
                        const struct retl_source_column *c = &cols[1 + 8 * k + n];
                        snprintf(want, sizeof(want), "%s(%d)", kinds[k].prefix, n);
                        assert_string_equal(c->type_name, want);
                        assert_int_equal(c->vtype, kinds[k].vtype);
                        assert_int_equal(c->scale, n);
                        /* scale 0: no point, no fraction */
                        snprintf(want, sizeof(want), "%s%.*s%s", kinds[k].before, n ? n + 1 : 0,
                                 frac, kinds[k].after);
                        expect_text(&v[1 + 8 * k + n], kinds[k].vtype, want);
                }
        }
        /* char(n) and nchar(n) keep their padding, in UTF-8 */
        expect_text(&v[25], RETL_V_STRING, "ab   ");
        expect_text(&v[26], RETL_V_STRING, "\xc3\xa9    ");
        expect_text(&v[27], RETL_V_STRING, "x  ");
        assert_int_equal(retl_source_next(src, &v, &fail, errstr, sizeof(errstr)), 1);
        for (int i = 1; i <= 26; i++)
                assert_int_equal(v[i].type, RETL_V_NULL);
        expect_text(&v[27], RETL_V_STRING, "abc");
        assert_int_equal(retl_source_next(src, &v, &fail, errstr, sizeof(errstr)), 0);
        retl_source_close(src);
}

/* ------------------------------------------------------------ refused SET */

/* Runs last: it installs the test's db-lib handlers in place of the
 * driver's (both are process-wide). */
static void test_set_refused(void **state)
{
        DBPROCESS *dbproc;

        (void)state;
        if (dbinit() == FAIL)
                fail_msg("dbinit");
        dberrhandle(it_err_handler);
        dbmsghandle(it_msg_handler);
        it_reset_msgs();
        dbproc = it_connect_port(standin.port, "retl", PASSWORD, "retldb");
        assert_non_null(dbproc);
        assert_int_equal(dbcmd(dbproc, "SET ANSI_NULL ON; SELECT 1"), SUCCEED);
        assert_int_equal(dbsqlexec(dbproc), FAIL);
        assert_int_equal(it_msgno, 195);
        assert_int_equal(it_msg_severity, 15);
        assert_string_equal(it_msgtext, "'ANSI_NULL' is not a recognized SET option.");
        it_reset_msgs();
        assert_int_equal(dbcmd(dbproc, "SET QUOTED_IDENTIFIER MAYBE"), SUCCEED);
        assert_int_equal(dbsqlexec(dbproc), FAIL);
        assert_int_equal(it_msgno, 102);
        assert_string_equal(it_msgtext, "Incorrect syntax near 'MAYBE'.");
        /* the connection still works */
        it_exec_sql(dbproc, "SET ANSI_NULLS ON; SELECT 42");
        assert_int_equal(dbresults(dbproc), SUCCEED);
        assert_int_equal(dbnextrow(dbproc), REG_ROW);
        assert_int_equal(dbnextrow(dbproc), NO_MORE_ROWS);
        dbclose(dbproc);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_not_null_mapping),
                cmocka_unit_test(test_session_log),
                cmocka_unit_test(test_temporal_scales),
                cmocka_unit_test(test_set_refused),
        };
        return cmocka_run_group_tests_name("0106-mssql-extractor-client", tests, group_setup,
                                           group_teardown);
}
