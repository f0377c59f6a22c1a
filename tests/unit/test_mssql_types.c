/* Unit tests for the SQL Server stand-in's type mapping, wire encoding and
 * T-SQL rewriter (sandbox/mssql), table-driven, no network. The stand-in is
 * not in libretl.a, so its modules are compiled in here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sandbox/mssql/wire.c"
#include "sandbox/mssql/types.c"
#include "sandbox/mssql/types_binary.c"
#include "sandbox/mssql/types_convert.c"
#include "sandbox/mssql/types_datetime.c"
#include "sandbox/mssql/types_number.c"
#include "sandbox/mssql/types_string.c"
#include "sandbox/mssql/types_legacy.c"
#include "sandbox/mssql/tsql_errors.c"
#include "sandbox/mssql/tsql_functions.c"
#include "sandbox/mssql/tsql_rewrite.c"
#include "sandbox/mssql/tsql_cast.c"
#include "sandbox/mssql/tsql_typer.c"
#include "sandbox/mssql/tsql_typer_expr.c"
#include "sandbox/mssql/tsql_typer_lex.c"
#include "sandbox/mssql/tsql_typer_types.c"
#include "sandbox/mssql/types_decode.c"

/* ------------------------------------------------------------ parse */

static void test_parse(void **state)
{
        static const struct {
                const char *decl;
                int rc;
                const char *name; /* retl_mssql_type_name */
        } cases[] = {
                {"INT", 0, "int"},
                {"integer", 0, "int"},
                {"TINYINT", 0, "tinyint"},
                {"BIGINT", 0, "bigint"},
                {"DECIMAL(12,4)", 0, "decimal(12,4)"},
                {"DECIMAL TEXT(38,10)", 0, "decimal(38,10)"},
                {"numeric( 10 , 2 )", 0, "numeric(10,2)"},
                {"DECIMAL", 0, "decimal(18,0)"},
                {"MONEY", 0, "money"},
                {"FLOAT", 0, "float"},
                {"FLOAT(24)", 0, "real"},
                {"VARCHAR(50)", 0, "varchar(50)"},
                {"VARCHAR(MAX)", 0, "varchar(max)"},
                {"VARCHAR(-1)", 0, "varchar(max)"},
                {"VARCHAR MAX", 0, "varchar(max)"},
                {"[nvarchar](max)", 0, "nvarchar(max)"},
                {"NVARCHAR", 0, "nvarchar(4000)"},
                {"NCHAR(5)", 0, "nchar(5)"},
                {"DATETIME2", 0, "datetime2(7)"},
                {"DATETIME2(3)", 0, "datetime2(3)"},
                {"TIME(0)", 0, "time(0)"},
                {"DATETIMEOFFSET(7)", 0, "datetimeoffset(7)"},
                {"UNIQUEIDENTIFIER", 0, "uniqueidentifier"},
                {"BLOB", 0, "varbinary(max)"},
                {"TEXT", 0, "text"},
                {"NTEXT", 0, "ntext"},
                {"IMAGE", 0, "image"},
                {"XML", 0, "xml"},
                {"SQL_VARIANT", 0, "sql_variant"},
                {"CLOB", 0, "nvarchar(max)"},
                {"VARCHAR(8001)", -1, NULL},
                {"NVARCHAR(4001)", -1, NULL},
                {"CHAR(MAX)", -1, NULL},
                {"DECIMAL(39,2)", -1, NULL},
                {"DATETIME2(8)", -1, NULL},
                {"INT(4)", -1, NULL},
                {"GEOGRAPHY", -1, NULL},
                {"", -1, NULL},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct retl_mssql_type t;
                char name[64];
                int rc = retl_mssql_type_parse(cases[i].decl, &t);
                if (rc != cases[i].rc)
                        fail_msg("%s: rc %d, want %d", cases[i].decl, rc, cases[i].rc);
                if (rc == 0) {
                        retl_mssql_type_name(&t, name, sizeof(name));
                        if (strcmp(name, cases[i].name) != 0)
                                fail_msg("%s: %s, want %s", cases[i].decl, name, cases[i].name);
                }
        }
        assert_int_equal(retl_mssql_type_parse(NULL, &(struct retl_mssql_type){0}), -1);
}

/* ------------------------------------------------------------ encode */

struct enc_case {
        const char *decl;
        int vtype; /* SQLITE_TEXT, SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_BLOB */
        const char *text;
        int64_t i;
        double d;
        const char *hex; /* expected bytes, or NULL when an error is expected */
        int err;         /* expected SQL Server error number */
};

static void to_hex(const uint8_t *p, size_t n, char *out)
{
        for (size_t i = 0; i < n; i++)
                sprintf(out + 2 * i, "%02X", p[i]);
        out[2 * n] = '\0';
}

/* Encodes case @p c as type @p t and checks the bytes or the error;
 * @p label names the case in failure messages. */
static void expect_encoding(const struct enc_case *c, const struct retl_mssql_type *t,
                            const char *label)
{
        struct retl_mssql_value v = {.v_type = c->vtype, .v_int = c->i, .v_real = c->d};
        struct retl_mssql_error err = {0};
        struct retl_wbuf wb;
        char got[512];
        int rc;

        if (c->text) {
                v.v_ptr = (const uint8_t *)c->text;
                v.v_len = strlen(c->text);
        }
        retl_wbuf_init(&wb, 0);
        rc = retl_mssql_encode(t, &v, &wb, &err);
        to_hex(wb.wb_data, wb.wb_len > 200 ? 200 : wb.wb_len, got);
        retl_wbuf_free(&wb);
        if (c->hex && (rc != 0 || strcmp(got, c->hex) != 0))
                fail_msg("%s %s '%s': got rc %d %s (%s), want %s", label, c->decl,
                         c->text ? c->text : "", rc, got, err.me_msg, c->hex);
        if (!c->hex && (rc != -1 || err.me_number != c->err))
                fail_msg("%s %s '%s': got rc %d error %d, want error %d", label, c->decl,
                         c->text ? c->text : "", rc, err.me_number, c->err);
}

static void test_encode(void **state)
{
        static const struct enc_case cases[] = {
                {"INT", SQLITE_INTEGER, NULL, 1, 0, "0401000000", 0},
                {"INT", SQLITE_TEXT, " -7 ", 0, 0, "04F9FFFFFF", 0},
                {"INT", SQLITE_FLOAT, NULL, 0, 2.9, "0402000000", 0},
                {"INT", SQLITE_TEXT, "abc", 0, 0, NULL, 245},
                {"INT", SQLITE_TEXT, "1.5", 0, 0, NULL, 245},
                {"TINYINT", SQLITE_INTEGER, NULL, 256, 0, NULL, 8115},
                {"SMALLINT", SQLITE_INTEGER, NULL, -2, 0, "02FEFF", 0},
                {"BIGINT", SQLITE_TEXT, "99999999999999999999", 0, 0, NULL, 8115},
                {"BIT", SQLITE_TEXT, "true", 0, 0, "0101", 0},
                {"BIT", SQLITE_INTEGER, NULL, 5, 0, "0101", 0},
                {"DECIMAL(10,4)", SQLITE_TEXT, "-123456.7891", 0, 0, "0900D302964900000000", 0},
                {"DECIMAL(5,2)", SQLITE_TEXT, "1.005", 0, 0, "050165000000", 0},
                {"DECIMAL(5,2)", SQLITE_FLOAT, NULL, 0, 12.5, "0501E2040000", 0},
                {"DECIMAL(5,2)", SQLITE_INTEGER, NULL, -3, 0, "05002C010000", 0},
                {"DECIMAL(5,2)", SQLITE_TEXT, "1234.5", 0, 0, NULL, 8115},
                {"DECIMAL(5,2)", SQLITE_TEXT, "1e2", 0, 0, "050110270000", 0},
                {"DECIMAL(5,2)", SQLITE_TEXT, "x1", 0, 0, NULL, 8114},
                {"DECIMAL(38,0)", SQLITE_TEXT, "99999999999999999999999999999999999999", 0, 0,
                 "1101FFFFFFFF3F228A097AC4865AA84C3B4B", 0},
                {"DECIMAL(38,0)", SQLITE_TEXT, "999999999999999999999999999999999999999", 0, 0,
                 NULL, 8115},
                {"MONEY", SQLITE_TEXT, "1.5", 0, 0, "0800000000983A0000", 0},
                {"MONEY", SQLITE_TEXT, "-0.0001", 0, 0, "08FFFFFFFFFFFFFFFF", 0},
                {"SMALLMONEY", SQLITE_INTEGER, NULL, 1, 0, "0410270000", 0},
                {"SMALLMONEY", SQLITE_INTEGER, NULL, 300000, 0, NULL, 8115},
                {"REAL", SQLITE_FLOAT, NULL, 0, 1.5, "040000C03F", 0},
                {"FLOAT", SQLITE_TEXT, "2", 0, 0, "080000000000000040", 0},
                {"FLOAT", SQLITE_TEXT, "nan", 0, 0, NULL, 8114},
                {"NVARCHAR(10)", SQLITE_TEXT, "\xC3\xA9", 0, 0, "0200E900", 0},
                {"NVARCHAR(10)", SQLITE_TEXT, "\xF0\x9F\x98\x80", 0, 0, "04003DD800DE", 0},
                {"NVARCHAR(1)", SQLITE_TEXT, "\xF0\x9F\x98\x80", 0, 0, NULL, 8152},
                {"NVARCHAR(10)", SQLITE_INTEGER, NULL, 42, 0, "040034003200", 0},
                {"VARCHAR(5)", SQLITE_TEXT, "\xE2\x82\xAC", 0, 0, "010080", 0},
                {"VARCHAR(5)", SQLITE_TEXT, "\xE6\x97\xA5", 0, 0, "01003F", 0},
                {"VARCHAR(2)", SQLITE_TEXT, "abc", 0, 0, NULL, 8152},
                {"CHAR(3)", SQLITE_TEXT, "a", 0, 0, "0300612020", 0},
                {"NCHAR(2)", SQLITE_TEXT, "a", 0, 0, "040061002000", 0},
                {"NVARCHAR(MAX)", SQLITE_TEXT, "ab", 0, 0, "0400000000000000040000006100620000000000", 0},
                {"VARCHAR(MAX)", SQLITE_TEXT, "", 0, 0, "000000000000000000000000", 0},
                {"VARBINARY(MAX)", SQLITE_BLOB, "\x01\x02", 0, 0, "020000000000000002000000010200000000", 0},
                /* text, ntext, image: a 16-byte text pointer, an 8-byte
                 * timestamp, LONGLEN, the bytes */
                {"TEXT", SQLITE_TEXT, "Caf\xc3\xa9", 0, 0, "1000000000000000000000000000000000000000000000000004000000436166E9", 0},
                {"NTEXT", SQLITE_TEXT, "\xc3\xa9", 0, 0, "1000000000000000000000000000000000000000000000000002000000E900", 0},
                {"IMAGE", SQLITE_BLOB, "\x01\x02", 0, 0, "10000000000000000000000000000000000000000000000000020000000102", 0},
                {"IMAGE", SQLITE_FLOAT, NULL, 0, 1.5, NULL, 245},
                /* xml: UTF-16LE in PLP */
                {"XML", SQLITE_TEXT, "<a/>", 0, 0, "0800000000000000080000003C0061002F003E0000000000", 0},
                /* sql_variant: LONGLEN, base type, property bytes, value */
                {"SQL_VARIANT", SQLITE_INTEGER, NULL, 42, 0, "0600000038002A000000", 0},
                {"SQL_VARIANT", SQLITE_INTEGER, NULL, 5000000000, 0, "0A0000007F0000F2052A01000000", 0},
                {"SQL_VARIANT", SQLITE_FLOAT, NULL, 0, 1.5, "0A0000003E00000000000000F83F", 0},
                {"SQL_VARIANT", SQLITE_TEXT, "ab", 0, 0, "0D000000E7070904D00000040061006200", 0},
                {"SQL_VARIANT", SQLITE_BLOB, "\x01\x02", 0, 0, "06000000A50202000102", 0},
                {"VARBINARY(4)", SQLITE_BLOB, "\x01\x02", 0, 0, "02000102", 0},
                {"BINARY(4)", SQLITE_BLOB, "\x01\x02", 0, 0, "040001020000", 0},
                {"VARBINARY(1)", SQLITE_BLOB, "\x01\x02", 0, 0, NULL, 8152},
                {"DATE", SQLITE_TEXT, "0001-01-01", 0, 0, "03000000", 0},
                {"DATE", SQLITE_TEXT, "2024-05-01", 0, 0, "03BE460B", 0},
                {"DATE", SQLITE_TEXT, "2024-02-30", 0, 0, NULL, 241},
                {"DATE", SQLITE_INTEGER, NULL, 20240501, 0, NULL, 241},
                {"TIME(7)", SQLITE_TEXT, "00:00:01", 0, 0, "058096980000", 0},
                {"TIME(0)", SQLITE_TEXT, "00:00:01.4", 0, 0, "03010000", 0},
                {"DATETIME", SQLITE_TEXT, "1900-01-01 00:00:01", 0, 0, "08000000002C010000", 0},
                {"DATETIME", SQLITE_TEXT, "1899-12-31", 0, 0, "08FFFFFFFF00000000", 0},
                {"DATETIME", SQLITE_TEXT, "1700-01-01", 0, 0, NULL, 242},
                {"SMALLDATETIME", SQLITE_TEXT, "1900-01-02 00:01:30", 0, 0, "0401000200", 0},
                {"DATETIME2(0)", SQLITE_TEXT, "2024-04-30 23:59:59.6", 0, 0, "06000000BE460B", 0},
                {"DATETIMEOFFSET(0)", SQLITE_TEXT, "2024-05-01T00:30:00+01:00", 0, 0,
                 "08784A01BD460B3C00", 0},
                {"DATETIMEOFFSET(0)", SQLITE_TEXT, "2024-05-01 00:30:00 -00:30", 0, 0,
                 "08100E00BE460BE2FF", 0},
                {"UNIQUEIDENTIFIER", SQLITE_TEXT, "6F9619FF-8B86-D011-B42D-00C04FC964FF", 0, 0,
                 "10FF19966F868B11D0B42D00C04FC964FF", 0},
                {"UNIQUEIDENTIFIER", SQLITE_TEXT, "{6f9619ff-8b86-d011-b42d-00c04fc964ff}", 0, 0,
                 "10FF19966F868B11D0B42D00C04FC964FF", 0},
                {"UNIQUEIDENTIFIER", SQLITE_TEXT, "zz", 0, 0, NULL, 8169},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const struct enc_case *c = &cases[i];
                struct retl_mssql_type t;
                char label[32];

                if (!c->hex && !c->err)
                        continue; /* placeholder row */
                assert_int_equal(retl_mssql_type_parse(c->decl, &t), 0);
                snprintf(label, sizeof(label), "case %zu", i);
                expect_encoding(c, &t, label);
        }
}

/* NOT NULL columns: fixed-length TYPE_INFO and values without a length
 * byte where SQL Server uses them, the nullable forms elsewhere. */
static void test_fixed_types(void **state)
{
        static const struct {
                struct enc_case enc;
                const char *info;
                int fixed;
        } cases[] = {
                {{"TINYINT", SQLITE_INTEGER, NULL, 255, 0, "FF", 0}, "30", 1},
                {{"SMALLINT", SQLITE_INTEGER, NULL, -2, 0, "FEFF", 0}, "34", 1},
                {{"INT", SQLITE_INTEGER, NULL, 1, 0, "01000000", 0}, "38", 1},
                {{"BIGINT", SQLITE_INTEGER, NULL, 1, 0, "0100000000000000", 0}, "7F", 1},
                {{"BIT", SQLITE_INTEGER, NULL, 5, 0, "01", 0}, "32", 1},
                {{"REAL", SQLITE_FLOAT, NULL, 0, 1.5, "0000C03F", 0}, "3B", 1},
                {{"FLOAT", SQLITE_TEXT, "2", 0, 0, "0000000000000040", 0}, "3E", 1},
                {{"MONEY", SQLITE_TEXT, "1.5", 0, 0, "00000000983A0000", 0}, "3C", 1},
                {{"SMALLMONEY", SQLITE_INTEGER, NULL, 1, 0, "10270000", 0}, "7A", 1},
                {{"DATETIME", SQLITE_TEXT, "1900-01-01 00:00:01", 0, 0, "000000002C010000", 0},
                 "3D", 1},
                {{"SMALLDATETIME", SQLITE_TEXT, "1900-01-02 00:01:30", 0, 0, "01000200", 0},
                 "3A", 1},
                {{"INT", SQLITE_TEXT, "abc", 0, 0, NULL, 245}, "38", 1},
                {{"DECIMAL(5,2)", SQLITE_TEXT, "1.005", 0, 0, "050165000000", 0}, "6A050502", 0},
                {{"NVARCHAR(2)", SQLITE_TEXT, "a", 0, 0, "02006100", 0}, "E7040009", 0},
                {{"DATE", SQLITE_TEXT, "0001-01-01", 0, 0, "03000000", 0}, "28", 0},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const struct enc_case *c = &cases[i].enc;
                struct retl_mssql_type t;
                struct retl_wbuf wb;
                char got[64];

                assert_int_equal(retl_mssql_type_parse(c->decl, &t), 0);
                assert_false(retl_mssql_type_is_fixed(&t));
                t.mt_not_null = 1;
                assert_int_equal(retl_mssql_type_is_fixed(&t), cases[i].fixed);
                retl_wbuf_init(&wb, 0);
                retl_mssql_type_info(&t, &wb);
                to_hex(wb.wb_data, wb.wb_len > 4 ? 4 : wb.wb_len, got);
                retl_wbuf_free(&wb);
                if (strcmp(got, cases[i].info) != 0)
                        fail_msg("%s NOT NULL: TYPE_INFO %s, want %s", c->decl, got,
                                 cases[i].info);
                expect_encoding(c, &t, "NOT NULL");
        }
}

/* NULLs, TYPE_INFO and inference. */
static void test_type_info(void **state)
{
        static const struct {
                const char *decl;
                const char *info;
                size_t null_size;
        } cases[] = {
                {"INT", "2604", 1},
                {"DECIMAL(12,4)", "6A090C04", 1},
                {"NUMERIC(38,2)", "6C112602", 1},
                {"MONEY", "6E08", 1},
                {"SMALLDATETIME", "6F04", 1},
                {"VARCHAR(10)", "A70A000904D00000", 2},
                {"NVARCHAR(10)", "E714000904D00000", 2},
                {"NVARCHAR(MAX)", "E7FFFF0904D00000", 8},
                {"BINARY(4)", "AD0400", 2},
                {"VARBINARY(MAX)", "A5FFFF", 8},
                {"DATE", "28", 1},
                {"TIME(3)", "2903", 1},
                {"DATETIME2(7)", "2A07", 1},
                {"DATETIMEOFFSET(2)", "2B02", 1},
                {"UNIQUEIDENTIFIER", "2410", 1},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct retl_mssql_type t;
                struct retl_wbuf wb;
                char got[64];

                assert_int_equal(retl_mssql_type_parse(cases[i].decl, &t), 0);
                retl_wbuf_init(&wb, 0);
                retl_mssql_type_info(&t, &wb);
                to_hex(wb.wb_data, wb.wb_len, got);
                if (strcmp(got, cases[i].info) != 0)
                        fail_msg("%s: TYPE_INFO %s, want %s", cases[i].decl, got, cases[i].info);
                retl_wbuf_reset(&wb);
                retl_mssql_put_null(&t, &wb);
                assert_int_equal(wb.wb_len, cases[i].null_size);
                assert_int_equal(retl_mssql_null_size(&t), cases[i].null_size);
                retl_wbuf_free(&wb);
        }
}

/* ------------------------------------------------------------ text */

static void test_utf16_round_trip(void **state)
{
        const char *s = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z"; /* aé€😀z */
        struct retl_wbuf u16, u8;
        size_t units;

        retl_wbuf_init(&u16, 0);
        retl_wbuf_init(&u8, 0);
        units = retl_utf8_to_utf16le(&u16, (const uint8_t *)s, strlen(s));
        assert_int_equal(units, 6);
        assert_int_equal(retl_utf8_utf16_units((const uint8_t *)s, strlen(s)), 6);
        retl_utf16le_to_utf8(&u8, u16.wb_data, units);
        assert_int_equal(u8.wb_len, strlen(s));
        assert_memory_equal(u8.wb_data, s, strlen(s));
        /* a lone surrogate becomes U+FFFD */
        retl_wbuf_reset(&u8);
        retl_utf16le_to_utf8(&u8, (const uint8_t *)"\x3D\xD8" "a\x00", 2);
        assert_int_equal(u8.wb_len, 4);
        assert_memory_equal(u8.wb_data, "\xEF\xBF\xBD" "a", 4);
        retl_wbuf_free(&u16);
        retl_wbuf_free(&u8);
}

/* ------------------------------------------------------------ rewrite */

static void test_rewrite(void **state)
{
        static const struct {
                const char *in, *out;
        } cases[] = {
                {"SELECT TOP (5) a FROM [dbo].[t]", "SELECT  a FROM \"t\"\nLIMIT (5)"},
                {"select top 3 * from t where x = N'it''s' ;",
                 "select  * from t where x = /*N*/'it''s' COLLATE NOCASE \nLIMIT 3;"},
                {"SELECT * FROM (SELECT TOP 2 a FROM t ORDER BY a) s",
                 "SELECT * FROM (SELECT  a FROM t ORDER BY a\nLIMIT 2) s"},
                {"SELECT DATEDIFF(second, '1970-01-01', c) FROM t WITH (NOLOCK)",
                 "SELECT DATEDIFF('second', '1970-01-01', c) FROM t "},
                {"SELECT TOP 1 DATEDIFF_BIG(ms, a, b) FROM dbo.t (NOLOCK)",
                 "SELECT  DATEDIFF_BIG('ms', a, b) FROM t \nLIMIT 1"},
                {"-- TOP 5 [x]\nSELECT 'TOP 5 [x]', \"a b\" /* [y] */",
                 "-- TOP 5 [x]\nSELECT 'TOP 5 [x]', \"a b\" /* [y] */"},
                {"SELECT [a\"b], [c]]d] FROM t", "SELECT \"a\"\"b\", \"c]d\" FROM t"},
                {"SELECT ISNULL(a, 0), ISNULL FROM t", "SELECT IFNULL(a, 0), ISNULL FROM t"},
                {"BEGIN TRAN; COMMIT TRAN", "BEGIN TRANSACTION; COMMIT TRANSACTION"},
                {"SELECT TOP 10 PERCENT a FROM t", "SELECT TOP 10 PERCENT a FROM t"},
                {"SELECT @@SPID", "SELECT 57"},
                {"SELECT TOP(2) a FROM t; SELECT TOP(1) b FROM u",
                 "SELECT  a FROM t\nLIMIT (2); SELECT  b FROM u\nLIMIT (1)"},
                /* conversions become the stand-in's functions */
                {"SELECT CAST(a AS NVARCHAR(5)), TRY_CAST('x' AS [int])",
                 "SELECT RETL_CAST(a , 'NVARCHAR(5)'), RETL_TRY_CAST('x' , 'int')"},
                {"SELECT CAST(CAST(a AS DATE) AS VARCHAR(10))",
                 "SELECT RETL_CAST(RETL_CAST(a , 'DATE') , 'VARCHAR(10)')"},
                {"SELECT CONVERT(varchar, c, 126), CONVERT(nvarchar(max), id)",
                 "SELECT RETL_CONVERT('varchar', c, 126), RETL_CONVERT('nvarchar(max)', id)"},
                {"SELECT LEFT(a, 3), RIGHT(a, 2) FROM t LEFT JOIN u ON 1 = 1",
                 "SELECT RETL_LEFT(a, 3), RETL_RIGHT(a, 2) FROM t LEFT JOIN u ON 1 = 1"},
                {"SELECT DATEPART(month, c), @@TRANCOUNT", "SELECT DATEPART('month', c), RETL_TRANCOUNT()"},
                /* Latin1_General_CI_AS: literals compared case-insensitively */
                {"SELECT 'PRO' FROM t WHERE p = 'PRO' AND 'x' <> q",
                 "SELECT 'PRO' FROM t WHERE p = 'PRO' COLLATE NOCASE AND 'x' COLLATE NOCASE <> q"},
                {"SELECT a FROM t WHERE p IN ('a', 'b') AND q NOT IN ('c')",
                 "SELECT a FROM t WHERE p COLLATE NOCASE IN ('a', 'b') AND q COLLATE NOCASE NOT IN ('c')"},
                /* a date-time with a T compares as the stored form, with a space */
                {"SELECT 1 WHERE u > '2024-05-01T09:00:00'",
                 "SELECT 1 WHERE u > '2024-05-01 09:00:00' COLLATE NOCASE"},
                {"INSERT INTO t VALUES ('2024-05-01T09:00:00')", "INSERT INTO t VALUES ('2024-05-01T09:00:00')"},
                {"SELECT @P0 FROM t WHERE name <> @P1", "SELECT @P0 FROM t WHERE name <> @P1 COLLATE NOCASE"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *got = retl_mssql_rewrite(cases[i].in, strlen(cases[i].in), 57);
                if (strcmp(got, cases[i].out) != 0)
                        fail_msg("rewrite %zu:\n  in:   %s\n  got:  %s\n  want: %s", i,
                                 cases[i].in, got, cases[i].out);
                free(got);
        }
        {
                /* SET QUOTED_IDENTIFIER OFF: "x" is a string, [x] still a name */
                const char *in = "SELECT \"it's\", [a] FROM t";
                char *got = retl_mssql_rewrite_opts(in, strlen(in), 57, 0);
                assert_string_equal(got, "SELECT 'it''s', \"a\" FROM t");
                free(got);
        }
}

/* Result columns typed from their expressions, as SQL Server types them. */
static void test_typer(void **state)
{
        static const struct {
                const char *sql;
                const char *want; /* type names, ';' after each; "?" = refused */
        } cases[] = {
                {"SELECT 1, 2147483648, 1.50, 'ab', NULL, 1e3", "int;decimal(10,0);decimal(3,2);varchar(2);int;float;"},
                {"SELECT /*N*/'ab', /*N*/'' + 'x'", "nvarchar(2);nvarchar(2);"},
                {"SELECT i * 10, i + b, d * 2, d + d, m + i, f / i FROM t",
                 "int;bigint;decimal(21,2);decimal(11,2);money;float;"},
                {"SELECT s + ' ' + n, s + s FROM t", "nvarchar(51);varchar(20);"},
                {"SELECT COUNT(*), COUNT_BIG(*), SUM(i), SUM(d), AVG(d), MAX(dt), MIN(s) FROM t",
                 "int;bigint;int;decimal(38,2);decimal(38,6);datetime2(7);varchar(10);"},
                {"SELECT CASE WHEN i = 1 THEN 1 ELSE NULL END, COALESCE(i, b), IFNULL(s, 'x') FROM t",
                 "int;bigint;varchar(10);"},
                {"SELECT RETL_CAST(dt , 'DATE'), RETL_CONVERT('varchar', dt, 126), RETL_CAST(i, 'varchar') FROM t",
                 "date;varchar(30);varchar(30);"},
                {"SELECT GETDATE(), SYSDATETIME(), SYSDATETIMEOFFSET(), DATEADD('day', 1, dt), DATEADD('day', 1, '2024-01-01') FROM t",
                 "datetime;datetime2(7);datetimeoffset(7);datetime2(7);datetime;"},
                {"SELECT DATEDIFF('day', dt, dt), DATEDIFF_BIG('day', dt, dt), YEAR(dt), CHARINDEX('a', s), "
                 "RETL_LEFT(n, 2), CONCAT(s, i), DB_NAME(), STR(1.5, 6) FROM t",
                 "int;bigint;int;int;nvarchar(40);varchar(40);nvarchar(128);varchar(6);"},
                {"SELECT (SELECT MAX(i) FROM t), t.* FROM t", "int;int;bigint;decimal(10,2);money;float;varchar(10);nvarchar(40);datetime2(7);"},
                {"SELECT t.i FROM t LEFT JOIN t u ON 1 = 1", "int;"},
                /* CTE and derived-table columns by their expressions; UNION by precedence */
                {"WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 5) SELECT x, x * 2 FROM n",
                 "int;int;"},
                {"WITH l AS (SELECT MAX(dt) AS last_dt, i + 1 AS j FROM t GROUP BY i) SELECT l.last_dt, j FROM l",
                 "datetime2(7);int;"},
                {"SELECT y.k, y.s FROM (SELECT d * 2 AS k, s FROM t) y", "decimal(21,2);varchar(10);"},
                {"SELECT 1 UNION SELECT 2.5", "decimal(11,1);"},
                {"SELECT i FROM t UNION ALL SELECT b FROM t", "bigint;"},
                /* a date/time column compared with a literal compares instants */
                {"SELECT i FROM t WHERE dt >= '2024-05-01 10:00' AND t.dt BETWEEN '2024-01-01' AND "
                 "'2025-01-01' AND s = '2024-05-01'",
                 "int;"},
                {"SELECT s + i FROM t", "?;"},
                {"SELECT i = 1 FROM t", "?;"},
                {"SELECT unknown_fn(i) FROM t", "?;"},
        };
        sqlite3 *db;

        (void)state;
        assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
        assert_int_equal(retl_mssql_register_functions(db), SQLITE_OK);
        assert_int_equal(sqlite3_create_function(db, "unknown_fn", 1, SQLITE_UTF8, NULL, fn_len, NULL, NULL),
                         SQLITE_OK);
        assert_int_equal(retl_mssql_register_db_name(db, "retldb"), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(i INT, b BIGINT, d DECIMAL(10,2), m MONEY, f FLOAT, "
                                          "s VARCHAR(10), n NVARCHAR(40), dt DATETIME2(7))",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                sqlite3_stmt *st;
                struct retl_mssql_typed ty;
                char got[400] = "";
                int n;

                if (sqlite3_prepare_v2(db, cases[i].sql, -1, &st, NULL) != SQLITE_OK)
                        fail_msg("%s: %s", cases[i].sql, sqlite3_errmsg(db));
                n = sqlite3_column_count(st);
                retl_mssql_typer_run(db, cases[i].sql, n, NULL, 0, &ty);
                for (int c = 0; c < n; c++) {
                        char name[64] = "?";
                        struct retl_mssql_type t;
                        if (ty.ty_compound && ty.ty_known[c])
                                retl_mssql_type_name(&ty.ty_types[c], name, sizeof(name));
                        else if (retl_mssql_type_parse(sqlite3_column_decltype(st, c), &t) == 0)
                                retl_mssql_type_name(&t, name, sizeof(name));
                        else if (ty.ty_known[c])
                                retl_mssql_type_name(&ty.ty_types[c], name, sizeof(name));
                        else
                                assert_non_null(ty.ty_why[c]);
                        strcat(got, name);
                        strcat(got, ";");
                }
                if (strcmp(got, cases[i].want) != 0)
                        fail_msg("%s:\n  got  %s\n  want %s", cases[i].sql, got, cases[i].want);
                if (strstr(cases[i].sql, "LEFT JOIN"))
                        assert_true(ty.ty_outer_join);
                if (strstr(cases[i].sql, "s + ' ' + n"))
                        assert_string_equal(ty.ty_sql, "SELECT s || ' ' || n, s || s FROM t");
                if (strstr(cases[i].sql, "WHERE dt"))
                        assert_string_equal(ty.ty_sql, "SELECT i FROM t WHERE RETL_DT(dt) >= RETL_DT('2024-05-01 10:00') "
                                                       "AND RETL_DT(t.dt) BETWEEN RETL_DT('2024-01-01') AND "
                                                       "RETL_DT('2025-01-01') AND s = '2024-05-01'");
                retl_mssql_typer_free(&ty);
                sqlite3_finalize(st);
        }
        sqlite3_close(db);
}

static void test_error_map(void **state)
{
        static const struct {
                const char *msg;
                int number, severity;
                const char *text;
        } cases[] = {
                {"near \"SELEC\": syntax error", 102, 15, "Incorrect syntax near 'SELEC'."},
                {"near \"FROM\": syntax error", 156, 15, "Incorrect syntax near the keyword 'FROM'."},
                {"no such table: people", 208, 16, "Invalid object name 'people'."},
                {"no such column: x", 207, 16, "Invalid column name 'x'."},
                {"retl:8134:16:Divide by zero error encountered.", 8134, 16,
                 "Divide by zero error encountered."},
                {"database is locked", 50000, 16, "database is locked"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct retl_mssql_error err;
                retl_mssql_map_error(1, cases[i].msg, &err);
                assert_int_equal(err.me_number, cases[i].number);
                assert_int_equal(err.me_severity, cases[i].severity);
                assert_string_equal(err.me_msg, cases[i].text);
        }
        {
                /* the rewriter drops dbo.; the error names it as written */
                struct retl_mssql_error err;
                const char *batch = "SELECT * FROM [dbo].[nosuch]; SELECT * FROM dbo.other";
                retl_mssql_map_error(1, "no such table: other", &err);
                retl_mssql_name_object(&err, batch, strlen(batch));
                assert_string_equal(err.me_msg, "Invalid object name 'dbo.other'.");
                retl_mssql_map_error(1, "no such table: nosuch", &err);
                retl_mssql_name_object(&err, batch, strlen(batch));
                assert_string_equal(err.me_msg, "Invalid object name 'dbo.nosuch'.");
                retl_mssql_map_error(1, "no such table: plain", &err);
                retl_mssql_name_object(&err, batch, strlen(batch));
                assert_string_equal(err.me_msg, "Invalid object name 'plain'.");
        }
}

/* DATEDIFF/DATEADD/RETL_FAIL_AT through a real SQLite connection. */
static void test_functions(void **state)
{
        static const struct {
                const char *sql;
                const char *want; /* text of the single result, or "ERR:n" */
        } cases[] = {
                {"SELECT DATEDIFF('second', '1970-01-01', '2024-05-01 00:00:01.5')", "1714521601"},
                {"SELECT DATEDIFF('day', '2024-05-01 23:59', '2024-05-02 00:01')", "1"},
                {"SELECT DATEDIFF('month', '2024-01-31', '2024-02-01')", "1"},
                {"SELECT DATEDIFF('year', '2023-12-31', '2024-01-01')", "1"},
                {"SELECT DATEDIFF('minute', '2024-05-01T10:00:00+02:00', '2024-05-01 08:30:00Z')", "30"},
                {"SELECT DATEDIFF('week', '2024-05-04', '2024-05-05')", "1"}, /* Sat → Sun */
                {"SELECT DATEDIFF('nanosecond', '1900-01-01', '2024-01-01')", "ERR:535"},
                {"SELECT DATEDIFF_BIG('nanosecond', '2024-01-01', '2024-01-01 00:00:01')", "1000000000"},
                {"SELECT DATEDIFF('fortnight', '2024-01-01', '2024-01-01')", "ERR:155"},
                {"SELECT DATEDIFF('day', NULL, '2024-01-01')", "NULL"},
                {"SELECT DATEADD('month', 1, '2024-01-31')", "2024-02-29 00:00:00.0000000"},
                {"SELECT DATEADD('second', -1, '2024-01-01')", "2023-12-31 23:59:59.0000000"},
                {"SELECT LEN('ab  ')", "2"},
                {"SELECT RETL_FAIL_AT(3, 4)", "3"},
                {"SELECT RETL_FAIL_AT(4, 4)", "ERR:8134"},
                {"SELECT RETL_FAIL_AT(4, 4, 50001)", "ERR:50001"},
                {"SELECT length(GETDATE()), length(SYSDATETIME()), length(NEWID())", "23"},
                /* DATEADD takes any int: the usual incremental pattern */
                {"SELECT DATEADD('second', 1714550400, '1970-01-01')", "2024-05-01 08:00:00.0000000"},
                {"SELECT DATEADD('second', 2147483648, '1970-01-01')", "ERR:8115"},
                /* CAST and CONVERT as SQL Server converts */
                {"SELECT RETL_CAST('12.7', 'INT')", "ERR:245"},
                {"SELECT RETL_CAST(12.7, 'INT')", "12"},
                {"SELECT RETL_TRY_CAST('x', 'INT')", "NULL"},
                {"SELECT RETL_CAST('2024-05-01 10:00:00', 'DATE')", "2024-05-01"},
                {"SELECT RETL_CAST('2024-05-01 12:34:56.789', 'DATETIME')", "2024-05-01 12:34:56.7900000"},
                {"SELECT RETL_CAST('2024-13-01', 'DATE')", "ERR:241"},
                {"SELECT RETL_CAST('ada@example.com', 'NVARCHAR(5)')", "ada@e"},
                {"SELECT RETL_CAST('12.345', 'DECIMAL(5,2)')", "12.35"},
                {"SELECT RETL_CAST('1234.5', 'DECIMAL(5,2)')", "ERR:8115"},
                {"SELECT RETL_CAST('2024-05-01 22:05:00', 'varchar', 'datetime')", "May  1 2024 10:05PM"},
                {"SELECT RETL_CONVERT('varchar', '2024-05-01 09:30:00', 126, 'datetime')", "2024-05-01T09:30:00"},
                {"SELECT RETL_CONVERT('varchar', '2024-05-01 09:30:00.5', 126, 'datetime')", "2024-05-01T09:30:00.500"},
                {"SELECT RETL_CONVERT('varchar(19)', '2024-05-01 09:30:00.5', 120)", "2024-05-01 09:30:00"},
                {"SELECT RETL_CONVERT('varchar', '2024-05-01', 999)", "ERR:50000"},
                {"SELECT FORMAT('2024-05-01 09:30:00', 'yyyy-MM-dd HH:mm')", "2024-05-01 09:30"},
                {"SELECT FORMAT('2024-05-01', 'D', 'de-DE')", "ERR:50000"},
                {"SELECT STR(12.7)", "        13"},
                {"SELECT STR(12.345, 6, 2)", " 12.35"},
                {"SELECT CONCAT('a', NULL, 1)", "a1"},
                {"SELECT CHARINDEX('B', 'abc')", "2"},
                {"SELECT RETL_LEFT('h\xc3\xa9llo', 2), RETL_RIGHT('abc', 5)", "h\xc3\xa9"},
                {"SELECT RETL_LEFT('abc', -1)", "ERR:536"},
                {"SELECT DATEPART('month', '2024-05-01'), YEAR('2024-05-01'), DAY('2024-05-01')", "5"},
                {"SELECT DATEPART('weekday', '2024-05-05')", "1"}, /* a Sunday */
                {"SELECT length(SYSDATETIMEOFFSET())", "34"},
                {"SELECT RETL_DT('2024-05-01 10:00:00') = RETL_DT('2024-05-01T10:00:00.0000000')", "1"},
                {"SELECT RETL_DT('2024-05-01T12:00:00+02:00', 1)", "2024-05-01 10:00:00.0000000"},
                {"SELECT RETL_DT('2024-05-01T12:00:00+02:00')", "2024-05-01 12:00:00.0000000"},
                {"SELECT RETL_DT('not a date')", "not a date"},
        };
        sqlite3 *db;

        assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
        assert_int_equal(retl_mssql_register_functions(db), SQLITE_OK);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                sqlite3_stmt *st;
                char got[128];
                int rc;

                assert_int_equal(sqlite3_prepare_v2(db, cases[i].sql, -1, &st, NULL), SQLITE_OK);
                rc = sqlite3_step(st);
                if (rc == SQLITE_ROW) {
                        const unsigned char *t = sqlite3_column_text(st, 0);
                        snprintf(got, sizeof(got), "%s", t ? (const char *)t : "NULL");
                } else {
                        struct retl_mssql_error err;
                        retl_mssql_map_error(rc, sqlite3_errmsg(db), &err);
                        snprintf(got, sizeof(got), "ERR:%d", err.me_number);
                }
                sqlite3_finalize(st);
                if (strcmp(got, cases[i].want) != 0)
                        fail_msg("%s: got %s, want %s", cases[i].sql, got, cases[i].want);
        }
        sqlite3_close(db);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_encode),
                cmocka_unit_test(test_fixed_types),
                cmocka_unit_test(test_type_info),
                cmocka_unit_test(test_utf16_round_trip),
                cmocka_unit_test(test_rewrite),
                cmocka_unit_test(test_typer),
                cmocka_unit_test(test_error_map),
                cmocka_unit_test(test_functions),
        };
        return cmocka_run_group_tests_name("test_mssql_types", tests, NULL, NULL);
}
