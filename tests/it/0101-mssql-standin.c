/* 0101: the SQL Server stand-in seen through FreeTDS db-lib (TDS 7.4).
 * Every mapped type with a value and with NULL, login failures, SQL
 * errors (also in the middle of a result), cancel, 100k rows, T-SQL
 * rewrites, and a clean SIGTERM stop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/it/mssql_it.h"

static struct it_standin standin;
static char db_path[1024];

static const char *fixture_sql =
        "CREATE TABLE types_t(id INT, c_tinyint TINYINT, c_smallint SMALLINT, c_int INT,"
        " c_bigint BIGINT, c_bit BIT, c_dec DECIMAL TEXT(38,10), c_num NUMERIC(10,4),"
        " c_money MONEY, c_smallmoney SMALLMONEY, c_real REAL, c_float FLOAT,"
        " c_char CHAR(10), c_varchar VARCHAR(50), c_nchar NCHAR(5), c_nvarchar NVARCHAR(50),"
        " c_date DATE, c_time TIME(7), c_datetime DATETIME, c_dt2 DATETIME2(7),"
        " c_sdt SMALLDATETIME, c_dto DATETIMEOFFSET(7), c_guid UNIQUEIDENTIFIER,"
        " c_binary BINARY(4), c_varbinary VARBINARY(16), c_vcmax \"VARCHAR(MAX)\","
        " c_nvcmax [NVARCHAR(MAX)], c_vbmax VARBINARY(-1));\n"
        "INSERT INTO types_t VALUES(1, 255, -32768, -2147483648, 9223372036854775807, 1,"
        " '12345678901234567890123456.1234567890', '-123456.7891', '123456789.1234',"
        " '-214748.3648', 3.5, 2.718281828459045, 'abc', 'Café ñ €', 'äö',"
        " 'Zoë 😀 日本', '2024-05-01', '23:59:59.1234567', '2024-05-01 12:34:56.789',"
        " '2024-05-01 12:34:56.1234567', '2024-05-01 12:34:29',"
        " '2024-05-01T12:34:56.1234567+02:00', '6F9619FF-8B86-D011-B42D-00C04FC964FF',"
        " X'DEADBEEF', X'00FF10', replace(hex(zeroblob(4500)), '00', 'ab'),"
        " replace(hex(zeroblob(3000)), '00', 'é😀'), CAST(replace(hex(zeroblob(10000)), '00', 'Z') AS BLOB));\n"
        "INSERT INTO types_t(id) VALUES(2);\n"
        "CREATE TABLE big(n INTEGER PRIMARY KEY, label VARCHAR(20));\n"
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000)"
        " INSERT INTO big SELECT x, 'row ' || x FROM c;\n"
        "CREATE TABLE bad(id INT, v INT);\n"
        "INSERT INTO bad VALUES(1, 10), (2, 20), (3, 'abc'), (4, 40);\n"
        "CREATE TABLE \"order details\"(id INT, note NVARCHAR(20), at DATETIME2(3));\n"
        "INSERT INTO \"order details\" VALUES(1, 'first', '1970-01-02 00:00:00'),"
        " (2, 'second', '2024-05-01 00:00:01.5'), (3, NULL, NULL);\n";

static DBPROCESS *conn(void)
{
        DBPROCESS *dbproc = it_connect_port(standin.port, "retl", "s3cret", "retldb");
        assert_non_null(dbproc);
        return dbproc;
}

static int group_setup(void **state)
{
        (void)state;
        if (it_sqlite_create("0101", fixture_sql, db_path, sizeof(db_path)))
                return -1;
        setenv("RETL_IT_PASSWORD", "s3cret", 1);
        if (dbinit() == FAIL)
                return -1;
        dberrhandle(it_err_handler);
        dbmsghandle(it_msg_handler);
        return it_standin_start(&standin, db_path, "--database", "retldb", "--user", "retl",
                                "--password-env", "RETL_IT_PASSWORD", NULL);
}

static int group_teardown(void **state)
{
        (void)state;
        dbexit();
        /* a clean stop: SIGTERM, exit status 0 (and no sanitizer report) */
        return it_standin_stop(&standin) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------ types */

struct expect {
        const char *col;
        int type;
        const char *text; /* via dbconvert to SYBCHAR, trailing blanks trimmed */
};

static void test_types(void **state)
{
        static const struct expect ex[] = {
                {"c_tinyint", SYBINT1, "255"},
                {"c_smallint", SYBINT2, "-32768"},
                {"c_int", SYBINT4, "-2147483648"},
                {"c_bigint", SYBINT8, "9223372036854775807"},
                {"c_bit", SYBBIT, "1"},
                {"c_dec", SYBDECIMAL, "12345678901234567890123456.1234567890"},
                {"c_num", SYBNUMERIC, "-123456.7891"},
                {"c_money", SYBMONEY, "123456789.1234"},
                {"c_smallmoney", SYBMONEY4, "-214748.3648"},
                {"c_real", SYBREAL, "3.5"},
                {"c_float", SYBFLT8, "2.7182818284590451"} /* 17 digits */,
                {"c_char", SYBCHAR, "abc       "},
                {"c_varchar", SYBCHAR, "Café ñ €"},
                {"c_nchar", SYBCHAR, "äö   "},
                {"c_nvarchar", SYBCHAR, "Zoë 😀 日本"},
                /* the date/time types as dbanydatecrack sees them */
                {"c_date", SYBMSDATE, "2024-05-01 00:00:00.000000000 +0"},
                {"c_time", SYBMSTIME, "1900-01-01 23:59:59.123456700 +0"},
                {"c_dt2", SYBMSDATETIME2, "2024-05-01 12:34:56.123456700 +0"},
                {"c_dto", SYBMSDATETIMEOFFSET, "2024-05-01 12:34:56.123456700 +120"},
                {"c_guid", 36, "6F9619FF-8B86-D011-B42D-00C04FC964FF"},
        };
        DBPROCESS *dbproc = conn();
        char buf[256], sql[2048] = "SELECT ";
        size_t i;
        int cols;

        (void)state;
        for (i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
                strcat(sql, ex[i].col);
                strcat(sql, ", ");
        }
        strcat(sql, "c_datetime, c_sdt, c_binary, c_varbinary, c_vcmax, c_nvcmax, c_vbmax"
                    " FROM types_t ORDER BY id");
        it_exec_sql(dbproc, sql);
        assert_int_equal(dbresults(dbproc), SUCCEED);
        cols = dbnumcols(dbproc);
        assert_int_equal(cols, (int)(sizeof(ex) / sizeof(ex[0])) + 7);

        /* row 1: values */
        assert_int_equal(dbnextrow(dbproc), REG_ROW);
        for (i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
                int c = (int)i + 1;
                const char *got = it_col_text(dbproc, c, buf, sizeof(buf));
                int t = dbcoltype(dbproc, c);
                if (t == SYBMSDATE || t == SYBMSTIME || t == SYBMSDATETIME2 ||
                    t == SYBMSDATETIMEOFFSET) {
                        DBDATEREC2 dr;
                        assert_int_equal(dbanydatecrack(dbproc, &dr, t, dbdata(dbproc, c)), SUCCEED);
                        snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d.%09d %+d",
                                 dr.dateyear, dr.datemonth + 1, dr.datedmonth, dr.datehour,
                                 dr.dateminute, dr.datesecond, dr.datensecond, dr.datetzone);
                }
                if (getenv("RETL_IT_VERBOSE"))
                        fprintf(stderr, "%s type %d: '%s'\n", ex[i].col, dbcoltype(dbproc, c), got);
                assert_string_equal(dbcolname(dbproc, c), ex[i].col);
                assert_int_equal(dbcoltype(dbproc, c), ex[i].type);
                assert_string_equal(got, ex[i].text);
        }
        {
                int c = (int)i + 1;
                DBDATEREC dr;
                /* DATETIME: 1/300 s ticks, .789 rounds to .790 as SQL Server does */
                assert_int_equal(dbcoltype(dbproc, c), SYBDATETIME);
                assert_int_equal(dbdatecrack(dbproc, &dr, (DBDATETIME *)dbdata(dbproc, c)), SUCCEED);
                assert_int_equal(dr.dateyear, 2024);
                assert_int_equal(dr.datemonth, 4); /* 0-based */
                assert_int_equal(dr.datedmonth, 1);
                assert_int_equal(dr.datehour, 12);
                assert_int_equal(dr.dateminute, 34);
                assert_int_equal(dr.datesecond, 56);
                assert_int_equal(dr.datemsecond, 790);
                /* SMALLDATETIME: whole minutes, 12:34:29 rounds down */
                c++;
                assert_int_equal(dbcoltype(dbproc, c), SYBDATETIME4);
                {
                        DBDATETIME dt;
                        assert_true(dbconvert(dbproc, SYBDATETIME4, dbdata(dbproc, c), -1,
                                              SYBDATETIME, (BYTE *)&dt, -1) > 0);
                        assert_int_equal(dbdatecrack(dbproc, &dr, &dt), SUCCEED);
                        assert_int_equal(dr.datehour, 12);
                        assert_int_equal(dr.dateminute, 34);
                        assert_int_equal(dr.datesecond, 0);
                }
                /* BINARY(4), VARBINARY(16) */
                c++;
                assert_int_equal(dbcoltype(dbproc, c), SYBBINARY);
                assert_int_equal(dbdatlen(dbproc, c), 4);
                assert_memory_equal(dbdata(dbproc, c), "\xDE\xAD\xBE\xEF", 4);
                c++;
                assert_int_equal(dbcoltype(dbproc, c), SYBBINARY);
                assert_int_equal(dbdatlen(dbproc, c), 3);
                assert_memory_equal(dbdata(dbproc, c), "\x00\xFF\x10", 3);
                /* VARCHAR(MAX) of 9000 bytes, PLP */
                c++;
                assert_int_equal(dbdatlen(dbproc, c), 9000);
                for (int k = 0; k < 9000; k += 2)
                        assert_memory_equal(dbdata(dbproc, c) + k, "ab", 2);
                /* NVARCHAR(MAX): 3000 × "é😀" = 3000 × 6 UTF-8 bytes */
                c++;
                assert_int_equal(dbdatlen(dbproc, c), 18000);
                for (int k = 0; k < 18000; k += 6)
                        assert_memory_equal(dbdata(dbproc, c) + k, "é😀", 6);
                /* VARBINARY(MAX) of 10000 bytes */
                c++;
                assert_int_equal(dbdatlen(dbproc, c), 10000);
                for (int k = 0; k < 10000; k++)
                        assert_int_equal(dbdata(dbproc, c)[k], 'Z');
        }

        /* row 2: all NULL (sent as NBCROW) */
        assert_int_equal(dbnextrow(dbproc), REG_ROW);
        for (int c = 1; c <= cols; c++) {
                assert_null(dbdata(dbproc, c));
                assert_int_equal(dbdatlen(dbproc, c), 0);
        }
        assert_int_equal(dbnextrow(dbproc), NO_MORE_ROWS);
        assert_int_equal(DBCOUNT(dbproc), 2);
        assert_int_equal(dbresults(dbproc), NO_MORE_RESULTS);
        dbclose(dbproc);
}

/* Decimal through dbconvert_ps, as the extractor reads it. */
static void test_decimal_exact(void **state)
{
        DBPROCESS *dbproc = conn();
        char buf[64];

        (void)state;
        it_exec_sql(dbproc, "SELECT c_dec, c_num FROM types_t WHERE id = 1");
        assert_int_equal(dbresults(dbproc), SUCCEED);
        assert_int_equal(dbnextrow(dbproc), REG_ROW);
        {
                DBDECIMAL *d = (DBDECIMAL *)dbdata(dbproc, 1);
                assert_int_equal(d->precision, 38);
                assert_int_equal(d->scale, 10);
        }
        assert_string_equal(it_col_text(dbproc, 1, buf, sizeof(buf)),
                            "12345678901234567890123456.1234567890");
        assert_string_equal(it_col_text(dbproc, 2, buf, sizeof(buf)), "-123456.7891");
        assert_int_equal(dbnextrow(dbproc), NO_MORE_ROWS);
        dbclose(dbproc);
}

/* ------------------------------------------------------------ logins */

static void test_wrong_password(void **state)
{
        DBPROCESS *dbproc;

        (void)state;
        it_reset_msgs();
        dbproc = it_connect_port(standin.port, "retl", "wrong", "retldb");
        assert_null(dbproc);
        assert_int_equal(it_msgno, 18456);
        assert_string_equal(it_msgtext, "Login failed for user 'retl'.");

        it_reset_msgs();
        dbproc = it_connect_port(standin.port, "mallory", "s3cret", "retldb");
        assert_null(dbproc);
        assert_int_equal(it_msgno, 18456);
        assert_string_equal(it_msgtext, "Login failed for user 'mallory'.");
}

static void test_unknown_database(void **state)
{
        DBPROCESS *dbproc;

        (void)state;
        it_reset_msgs();
        dbproc = it_connect_port(standin.port, "retl", "s3cret", "nosuchdb");
        assert_null(dbproc);
        /* SQL Server sends 4060 then 18456; both reach the handler */
        assert_int_equal(it_msg_count, 2);
        assert_int_equal(it_msgno, 18456);
        it_reset_msgs();
        dbproc = it_connect_port(standin.port, "retl", "s3cret", "nosuchdb");
        assert_null(dbproc);
        (void)dbproc;
}

/* ------------------------------------------------------------ errors */

static void test_syntax_error(void **state)
{
        DBPROCESS *dbproc = conn();

        (void)state;
        it_reset_msgs();
        assert_int_equal(dbcmd(dbproc, "SELEC 1"), SUCCEED);
        assert_int_equal(dbsqlexec(dbproc), FAIL);
        assert_int_equal(it_msgno, 102);
        assert_int_equal(it_msg_severity, 15);
        assert_string_equal(it_msgtext, "Incorrect syntax near 'SELEC'.");

        it_reset_msgs();
        assert_int_equal(dbcmd(dbproc, "SELECT * FROM no_such_table"), SUCCEED);
        assert_int_equal(dbsqlexec(dbproc), FAIL);
        assert_int_equal(it_msgno, 208);
        assert_string_equal(it_msgtext, "Invalid object name 'no_such_table'.");

        it_reset_msgs();
        assert_int_equal(dbcmd(dbproc, "SELECT no_such_col FROM big"), SUCCEED);
        assert_int_equal(dbsqlexec(dbproc), FAIL);
        assert_int_equal(it_msgno, 207);
        assert_string_equal(it_msgtext, "Invalid column name 'no_such_col'.");

        /* the connection still works */
        it_exec_sql(dbproc, "SELECT 42");
        assert_int_equal(dbresults(dbproc), SUCCEED);
        assert_int_equal(dbnextrow(dbproc), REG_ROW);
        assert_int_equal(*(DBBIGINT *)dbdata(dbproc, 1), 42);
        assert_int_equal(dbnextrow(dbproc), NO_MORE_ROWS);
        dbclose(dbproc);
}

static void test_error_mid_stream(void **state)
{
        DBPROCESS *dbproc = conn();

        (void)state;
        /* RETL_FAIL_AT raises "Divide by zero" (8134) at n = 1001 */
        it_reset_msgs();
        it_exec_sql(dbproc, "SELECT n, RETL_FAIL_AT(n, 1001) AS x FROM big ORDER BY n");
        assert_int_equal(dbresults(dbproc), SUCCEED);
        assert_int_equal(it_read_all(dbproc), 1000);
        assert_int_equal(it_msgno, 8134);
        assert_string_equal(it_msgtext, "Divide by zero error encountered.");
        while (dbresults(dbproc) == SUCCEED)
                it_read_all(dbproc);

        /* a value that does not convert to its INT column: 245, after 2 rows */
        it_reset_msgs();
        it_exec_sql(dbproc, "SELECT id, v FROM bad ORDER BY id");
        assert_int_equal(dbresults(dbproc), SUCCEED);
        assert_int_equal(it_read_all(dbproc), 2);
        assert_int_equal(it_msgno, 245);
        assert_string_equal(it_msgtext,
                            "Conversion failed when converting the varchar value 'abc' to data type int.");
        while (dbresults(dbproc) == SUCCEED)
                it_read_all(dbproc);

        /* and the connection goes on */
        it_exec_sql(dbproc, "SELECT COUNT(*) FROM big");
        assert_int_equal(dbresults(dbproc), SUCCEED);
        assert_int_equal(dbnextrow(dbproc), REG_ROW);
        assert_int_equal(*(DBBIGINT *)dbdata(dbproc, 1), 100000);
        it_read_all(dbproc);
        dbclose(dbproc);
}

/* ------------------------------------------------------------ cancel, volume */

static void test_cancel(void **state)
{
        DBPROCESS *dbproc = conn();

        (void)state;
        /* a result far bigger than socket buffers: the server is still
         * streaming when the cancel arrives */
        it_exec_sql(dbproc, "SELECT a.n, a.label, b.n FROM big a, big b");
        assert_int_equal(dbresults(dbproc), SUCCEED);
        for (int i = 0; i < 1000; i++)
                assert_int_equal(dbnextrow(dbproc), REG_ROW);
        assert_int_equal(dbcancel(dbproc), SUCCEED);

        /* a query still computing its first row (10^10 combinations):
         * the cancel interrupts SQLite itself */
        assert_int_equal(dbcmd(dbproc, "SELECT COUNT(*) FROM big a, big b"), SUCCEED);
        assert_int_equal(dbsqlsend(dbproc), SUCCEED);
        assert_int_equal(dbcancel(dbproc), SUCCEED);

        it_exec_sql(dbproc, "SELECT label FROM big WHERE n = 77");
        assert_int_equal(dbresults(dbproc), SUCCEED);
        assert_int_equal(dbnextrow(dbproc), REG_ROW);
        assert_int_equal(dbdatlen(dbproc, 1), 6);
        assert_memory_equal(dbdata(dbproc, 1), "row 77", 6);
        assert_int_equal(dbnextrow(dbproc), NO_MORE_ROWS);
        assert_int_equal(dbresults(dbproc), NO_MORE_RESULTS);
        dbclose(dbproc);
}

static void test_100k_rows(void **state)
{
        DBPROCESS *dbproc = conn();
        long long sum = 0;
        int rows = 0;

        (void)state;
        it_exec_sql(dbproc, "SELECT n, label FROM big ORDER BY n");
        assert_int_equal(dbresults(dbproc), SUCCEED);
        while (dbnextrow(dbproc) == REG_ROW) {
                rows++;
                sum += *(DBINT *)dbdata(dbproc, 1);
        }
        assert_int_equal(rows, 100000);
        assert_true(sum == 100000LL * 100001 / 2);
        assert_int_equal(DBCOUNT(dbproc), 100000);
        assert_int_equal(dbresults(dbproc), NO_MORE_RESULTS);
        dbclose(dbproc);
}

/* Three connections streaming at once, read in turns: a thread and an
 * SQLite connection each. */
static void test_concurrent(void **state)
{
        DBPROCESS *d[3];
        int rows[3] = {0, 0, 0};

        (void)state;
        for (int k = 0; k < 3; k++) {
                d[k] = conn();
                it_exec_sql(d[k], "SELECT n FROM big ORDER BY n");
                assert_int_equal(dbresults(d[k]), SUCCEED);
        }
        for (int i = 0; i < 100000; i++) {
                for (int k = 0; k < 3; k++) {
                        assert_int_equal(dbnextrow(d[k]), REG_ROW);
                        assert_int_equal(*(DBINT *)dbdata(d[k], 1), i + 1);
                        rows[k]++;
                }
        }
        for (int k = 0; k < 3; k++) {
                assert_int_equal(dbnextrow(d[k]), NO_MORE_ROWS);
                assert_int_equal(rows[k], 100000);
                dbclose(d[k]);
        }
}

/* ------------------------------------------------------------ T-SQL */

static void test_tsql(void **state)
{
        DBPROCESS *dbproc = conn();
        char buf[128];

        (void)state;
        /* several statements, each with its result; SET is accepted */
        it_exec_sql(dbproc, "SET NOCOUNT ON; SET ANSI_NULLS ON\n"
                         "SELECT TOP (2) [id], [note] FROM [dbo].[order details] WITH (NOLOCK) ORDER BY id;\n"
                         "SELECT TOP 1 N'żółw' AS w, DATEDIFF(second, '1970-01-01', at) AS s,"
                         " DATEDIFF_BIG(millisecond, '2024-05-01', at) AS ms FROM \"order details\""
                         " WHERE id = 2");
        assert_int_equal(dbresults(dbproc), SUCCEED);
        assert_int_equal(dbnumcols(dbproc), 2);
        assert_int_equal(it_read_all(dbproc), 2);
        assert_int_equal(dbresults(dbproc), SUCCEED);
        assert_int_equal(dbnextrow(dbproc), REG_ROW);
        assert_string_equal(it_col_text(dbproc, 1, buf, sizeof(buf)), "żółw");
        assert_int_equal(dbcoltype(dbproc, 2), SYBINT4); /* DATEDIFF is int */
        assert_int_equal(*(DBINT *)dbdata(dbproc, 2), 1714521601);
        assert_int_equal(dbcoltype(dbproc, 3), SYBINT8); /* DATEDIFF_BIG bigint */
        assert_int_equal(*(DBBIGINT *)dbdata(dbproc, 3), 1500);
        assert_int_equal(dbnextrow(dbproc), NO_MORE_ROWS);
        assert_int_equal(dbresults(dbproc), NO_MORE_RESULTS);

        /* a DB-Library login starts with QUOTED_IDENTIFIER OFF, as in SQL
         * Server: "id" is a string until SET QUOTED_IDENTIFIER ON */
        it_exec_sql(dbproc, "SELECT \"id\" FROM [order details] WHERE id = 1");
        assert_int_equal(dbresults(dbproc), SUCCEED);
        assert_int_equal(dbnextrow(dbproc), REG_ROW);
        assert_string_equal(it_col_text(dbproc, 1, buf, sizeof(buf)), "id");
        it_read_all(dbproc);
        it_exec_sql(dbproc, "SET QUOTED_IDENTIFIER ON");
        while (dbresults(dbproc) == SUCCEED)
                it_read_all(dbproc);
        it_exec_sql(dbproc, "SELECT \"id\" FROM [order details] WHERE id = 1");
        assert_int_equal(dbresults(dbproc), SUCCEED);
        assert_int_equal(dbnextrow(dbproc), REG_ROW);
        assert_string_equal(it_col_text(dbproc, 1, buf, sizeof(buf)), "1");
        it_read_all(dbproc);

        /* USE: the configured name works, another is error 911 */
        it_exec_sql(dbproc, "USE [retldb]");
        while (dbresults(dbproc) == SUCCEED)
                it_read_all(dbproc);
        it_reset_msgs();
        assert_int_equal(dbcmd(dbproc, "USE other"), SUCCEED);
        dbsqlexec(dbproc);
        while (dbresults(dbproc) == SUCCEED)
                it_read_all(dbproc);
        assert_int_equal(it_msgno, 911);

        /* DML through the stand-in, with its row count */
        it_exec_sql(dbproc, "SET NOCOUNT OFF; INSERT INTO bad VALUES (5, 50), (6, 60)");
        {
                int saw2 = 0;
                while (dbresults(dbproc) == SUCCEED)
                        saw2 |= DBCOUNT(dbproc) == 2;
                assert_true(saw2);
        }
        it_exec_sql(dbproc, "DELETE FROM bad WHERE id >= 5");
        while (dbresults(dbproc) == SUCCEED)
                ;

        /* GETDATE() is a datetime and SYSDATETIME() a datetime2, as in SQL Server */
        it_exec_sql(dbproc, "SELECT GETDATE(), SYSDATETIME()");
        assert_int_equal(dbresults(dbproc), SUCCEED);
        assert_int_equal(dbcoltype(dbproc, 1), SYBDATETIME);
        assert_int_equal(dbcoltype(dbproc, 2), SYBMSDATETIME2);
        assert_int_equal(dbnextrow(dbproc), REG_ROW);
        it_read_all(dbproc);
        dbclose(dbproc);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_types),
                cmocka_unit_test(test_decimal_exact),
                cmocka_unit_test(test_wrong_password),
                cmocka_unit_test(test_unknown_database),
                cmocka_unit_test(test_syntax_error),
                cmocka_unit_test(test_error_mid_stream),
                cmocka_unit_test(test_cancel),
                cmocka_unit_test(test_100k_rows),
                cmocka_unit_test(test_concurrent),
                cmocka_unit_test(test_tsql),
        };
        return cmocka_run_group_tests_name("0101-mssql-standin", tests, group_setup,
                                           group_teardown);
}
