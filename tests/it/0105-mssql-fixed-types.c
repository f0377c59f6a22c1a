/* 0105: NOT NULL columns through FreeTDS db-lib. As SQL Server does, the
 * stand-in sends a NOT NULL tinyint, smallint, int, bigint, bit, real, float,
 * money, smallmoney, datetime or smalldatetime column as the fixed-length
 * type (INT1 ... DATETIM4, no length byte per value) and its nullable twin
 * as INTN, BITN, FLTN, MONEYN, DATETIMN; the COLMETADATA nullable flag
 * follows the table. A NULL that an outer join brings into a fixed column
 * is an error, not a corrupt row. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/it/mssql_it.h"

/* NVARCHAR's wire type; sybdb.h's SYBNVARCHAR is the older 0x67 */
#define NVARCHAR_WIRE 0xE7

static struct it_standin standin;
static char db_path[1024];

static const char *fixture_sql =
        "CREATE TABLE fixed_t(id INT NOT NULL, c_tinyint TINYINT NOT NULL,"
        " c_smallint SMALLINT NOT NULL, c_int INT NOT NULL, c_bigint BIGINT NOT NULL,"
        " c_bit BIT NOT NULL, c_real REAL NOT NULL, c_float FLOAT NOT NULL,"
        " c_money MONEY NOT NULL, c_smallmoney SMALLMONEY NOT NULL,"
        " c_datetime DATETIME NOT NULL, c_sdt SMALLDATETIME NOT NULL,"
        " n_int INT, n_bigint BIGINT, n_bit BIT, n_float FLOAT, n_datetime DATETIME,"
        " c_nvarchar NVARCHAR(10) NOT NULL, c_dec DECIMAL(10,2) NOT NULL);\n"
        "INSERT INTO fixed_t VALUES(1, 255, -32768, -2147483648, 9223372036854775807, 1,"
        " 3.5, 2.718281828459045, '123456789.1234', '-214748.3648',"
        " '2024-05-01 12:34:56.789', '2024-05-01 12:34:29',"
        " -2147483648, 9223372036854775807, 1, 2.718281828459045, '2024-05-01 12:34:56.789',"
        " 'abc', '12.34');\n"
        "INSERT INTO fixed_t(id, c_tinyint, c_smallint, c_int, c_bigint, c_bit, c_real,"
        " c_float, c_money, c_smallmoney, c_datetime, c_sdt, c_nvarchar, c_dec)"
        " VALUES(2, 0, 0, 0, 0, 0, 0, 0, 0, 0, '1753-01-01', '1900-01-01', '', 0);\n"
        "CREATE TABLE parent(id INT NOT NULL);\n"
        "INSERT INTO parent VALUES(1), (2), (3);\n"
        "CREATE TABLE child(pid INT NOT NULL, n INT NOT NULL);\n"
        "INSERT INTO child VALUES(1, 10), (3, 30);\n";

static DBPROCESS *conn(void)
{
        DBPROCESS *dbproc = it_connect_port(standin.port, "retl", "s3cret", "retldb");
        assert_non_null(dbproc);
        return dbproc;
}

static int group_setup(void **state)
{
        (void)state;
        if (it_sqlite_create("0105", fixture_sql, db_path, sizeof(db_path)))
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
        return it_standin_stop(&standin) == 0 ? 0 : -1;
}

/* One result column: the type db-lib reports (the same for both forms),
 * the type on the wire, the nullable flag, row 1's value as text and row
 * 2's length. */
struct expect {
        const char *col;
        int type;
        int wire;
        int nullable;
        const char *text;
        int len2; /* row 2's length: 0 = NULL, -1 = not checked */
};

static void test_wire_types(void **state)
{
        static const struct expect ex[] = {
                {"c_tinyint", SYBINT1, SYBINT1, 0, "255", 1},
                {"c_smallint", SYBINT2, SYBINT2, 0, "-32768", 2},
                {"c_int", SYBINT4, SYBINT4, 0, "-2147483648", 4},
                {"c_bigint", SYBINT8, SYBINT8, 0, "9223372036854775807", 8},
                {"c_bit", SYBBIT, SYBBIT, 0, "1", 1},
                {"c_real", SYBREAL, SYBREAL, 0, "3.5", 4},
                {"c_float", SYBFLT8, SYBFLT8, 0, "2.7182818284590451", 8},
                {"c_money", SYBMONEY, SYBMONEY, 0, "123456789.1234", 8},
                {"c_smallmoney", SYBMONEY4, SYBMONEY4, 0, "-214748.3648", 4},
                {"c_datetime", SYBDATETIME, SYBDATETIME, 0, "May  1 2024 12:34:56:790PM", 8},
                {"c_sdt", SYBDATETIME4, SYBDATETIME4, 0, "May  1 2024 12:34:00:000PM", 4},
                {"n_int", SYBINT4, SYBINTN, 1, "-2147483648", 0},
                {"n_bigint", SYBINT8, SYBINTN, 1, "9223372036854775807", 0},
                {"n_bit", SYBBIT, SYBBITN, 1, "1", 0},
                {"n_float", SYBFLT8, SYBFLTN, 1, "2.7182818284590451", 0},
                {"n_datetime", SYBDATETIME, SYBDATETIMN, 1, "May  1 2024 12:34:56:790PM", 0},
                /* NOT NULL, but SQL Server keeps these forms: only the flag changes */
                {"c_nvarchar", SYBCHAR, NVARCHAR_WIRE, 0, "abc", -1},
                {"c_dec", SYBDECIMAL, SYBDECIMAL, 0, "12.34", -1},
                /* an expression is nullable, typed from the expression: int + int is int */
                {"e", SYBINT4, SYBINTN, 1, "2", 4},
        };
        const int n = (int)(sizeof(ex) / sizeof(ex[0]));
        DBPROCESS *dbproc = conn();
        char buf[256], sql[2048] = "SELECT ";

        (void)state;
        for (int i = 0; i < n - 1; i++) {
                strcat(sql, ex[i].col);
                strcat(sql, ", ");
        }
        strcat(sql, "id + 1 AS e FROM fixed_t ORDER BY id");
        it_exec_sql(dbproc, sql);
        assert_int_equal(dbresults(dbproc), SUCCEED);
        assert_int_equal(dbnumcols(dbproc), n);
        assert_int_equal(dbnextrow(dbproc), REG_ROW);
        for (int i = 0; i < n; i++) {
                DBCOL2 wire;
                DBCOL info;
                int c = i + 1;

                /* dbtablecolinfo's ServerType is the type on the wire;
                 * dbcolinfo has the nullable flag */
                memset(&wire, 0, sizeof(wire));
                wire.SizeOfStruct = sizeof(wire);
                assert_int_equal(dbtablecolinfo(dbproc, c, (DBCOL *)&wire), SUCCEED);
                memset(&info, 0, sizeof(info));
                info.SizeOfStruct = sizeof(info);
                assert_int_equal(dbcolinfo(dbproc, CI_REGULAR, c, 0, &info), SUCCEED);
                it_col_text(dbproc, c, buf, sizeof(buf));
                if (getenv("RETL_IT_VERBOSE"))
                        fprintf(stderr, "%s: type %d, wire %d, null %d, '%s'\n", ex[i].col,
                                dbcoltype(dbproc, c), wire.ServerType, info.Null, buf);
                assert_string_equal(dbcolname(dbproc, c), ex[i].col);
                assert_int_equal(dbcoltype(dbproc, c), ex[i].type);
                assert_int_equal(wire.ServerType, ex[i].wire);
                assert_int_equal(info.Null != 0, ex[i].nullable);
                assert_string_equal(buf, ex[i].text);
        }
        /* row 2: zeros in the fixed columns, NULL in their nullable twins */
        assert_int_equal(dbnextrow(dbproc), REG_ROW);
        for (int i = 0; i < n; i++) {
                int c = i + 1;
                if (ex[i].len2 == 0)
                        assert_null(dbdata(dbproc, c));
                else if (ex[i].len2 > 0)
                        assert_int_equal(dbdatlen(dbproc, c), ex[i].len2);
        }
        it_col_text(dbproc, 4, buf, sizeof(buf));
        assert_string_equal(buf, "0");
        it_col_text(dbproc, 10, buf, sizeof(buf));
        assert_string_equal(buf, "Jan  1 1753 12:00:00:000AM");
        assert_int_equal(dbnextrow(dbproc), NO_MORE_ROWS);
        assert_int_equal(DBCOUNT(dbproc), 2);
        assert_int_equal(dbresults(dbproc), NO_MORE_RESULTS);
        dbclose(dbproc);
}

/* A column taken through a subquery keeps its table's NOT NULL. */
static void test_subquery(void **state)
{
        DBPROCESS *dbproc = conn();
        DBCOL2 wire;

        (void)state;
        it_exec_sql(dbproc, "SELECT x.c_int FROM (SELECT c_int FROM fixed_t) x ORDER BY 1");
        assert_int_equal(dbresults(dbproc), SUCCEED);
        memset(&wire, 0, sizeof(wire));
        wire.SizeOfStruct = sizeof(wire);
        assert_int_equal(dbtablecolinfo(dbproc, 1, (DBCOL *)&wire), SUCCEED);
        assert_int_equal(wire.ServerType, SYBINT4);
        assert_int_equal(it_read_all(dbproc), 2);
        dbclose(dbproc);
}

/* An outer join makes a NOT NULL column nullable: SQL Server then sends
 * every column of the statement in its nullable form (INTN), and the NULL
 * of the unmatched row arrives as a NULL. */
static void test_outer_join_null(void **state)
{
        DBPROCESS *dbproc = conn();
        DBCOL2 wire;
        DBCOL info;
        int rows = 0, nulls = 0;

        (void)state;
        it_reset_msgs();
        it_exec_sql(dbproc, "SELECT p.id, c.n FROM parent p LEFT JOIN child c ON c.pid = p.id"
                         " ORDER BY p.id");
        assert_int_equal(dbresults(dbproc), SUCCEED);
        for (int c = 1; c <= 2; c++) {
                memset(&wire, 0, sizeof(wire));
                wire.SizeOfStruct = sizeof(wire);
                assert_int_equal(dbtablecolinfo(dbproc, c, (DBCOL *)&wire), SUCCEED);
                assert_int_equal(wire.ServerType, SYBINTN);
                memset(&info, 0, sizeof(info));
                info.SizeOfStruct = sizeof(info);
                assert_int_equal(dbcolinfo(dbproc, CI_REGULAR, c, 0, &info), SUCCEED);
                assert_true(info.Null != 0);
        }
        while (dbnextrow(dbproc) == REG_ROW) {
                rows++;
                nulls += dbdatlen(dbproc, 2) == 0;
        }
        assert_int_equal(rows, 3);
        assert_int_equal(nulls, 1);
        assert_int_equal(it_msgno, 0);
        while (dbresults(dbproc) == SUCCEED)
                it_read_all(dbproc);
        dbclose(dbproc);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_wire_types),
                cmocka_unit_test(test_subquery),
                cmocka_unit_test(test_outer_join_null),
        };
        return cmocka_run_group_tests_name("0105-mssql-fixed-types", tests, group_setup,
                                           group_teardown);
}
