/* retl-mssql-standin — the SQL Server type table: declared-type parsing,
 * TYPE_INFO, NULL forms, and the encoder each type dispatches to. */
#include "sandbox/mssql/types.h"
#include "sandbox/mssql/types_binary.h"
#include "sandbox/mssql/types_convert.h"
#include "sandbox/mssql/types_datetime.h"
#include "sandbox/mssql/types_legacy.h"
#include "sandbox/mssql/types_number.h"
#include "sandbox/mssql/types_string.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

/* ------------------------------------------------------------ names */

static const struct {
        const char *name;
        enum retl_mssql_kind kind;
        int args; /* 0 none, 1 length, 2 precision/scale, 3 scale, 4 float(n) */
        int def_len;
} type_names[] = {
        {"TINYINT", RETL_MT_TINYINT, 0, 0},
        {"SMALLINT", RETL_MT_SMALLINT, 0, 0},
        {"INT", RETL_MT_INT, 0, 0},
        {"INTEGER", RETL_MT_INT, 0, 0},
        {"BIGINT", RETL_MT_BIGINT, 0, 0},
        {"BIT", RETL_MT_BIT, 0, 0},
        {"BOOLEAN", RETL_MT_BIT, 0, 0},
        {"DECIMAL", RETL_MT_DECIMAL, 2, 0},
        {"DEC", RETL_MT_DECIMAL, 2, 0},
        {"NUMERIC", RETL_MT_NUMERIC, 2, 0},
        {"MONEY", RETL_MT_MONEY, 0, 0},
        {"SMALLMONEY", RETL_MT_SMALLMONEY, 0, 0},
        {"REAL", RETL_MT_REAL, 0, 0},
        {"FLOAT", RETL_MT_FLOAT, 4, 0},
        {"DOUBLE", RETL_MT_FLOAT, 0, 0},
        {"DOUBLE PRECISION", RETL_MT_FLOAT, 0, 0},
        {"CHAR", RETL_MT_CHAR, 1, 1},
        {"CHARACTER", RETL_MT_CHAR, 1, 1},
        {"VARCHAR", RETL_MT_VARCHAR, 1, 8000},
        {"CHARACTER VARYING", RETL_MT_VARCHAR, 1, 8000},
        {"NCHAR", RETL_MT_NCHAR, 1, 1},
        {"NVARCHAR", RETL_MT_NVARCHAR, 1, 4000},
        {"SYSNAME", RETL_MT_NVARCHAR, 0, 128},
        {"TEXT", RETL_MT_TEXT, 0, 0},
        {"NTEXT", RETL_MT_NTEXT, 0, 0},
        {"CLOB", RETL_MT_NVARCHAR, 0, RETL_MT_MAX},
        {"DATE", RETL_MT_DATE, 0, 0},
        {"TIME", RETL_MT_TIME, 3, 0},
        {"DATETIME", RETL_MT_DATETIME, 0, 0},
        {"DATETIME2", RETL_MT_DATETIME2, 3, 0},
        {"SMALLDATETIME", RETL_MT_SMALLDATETIME, 0, 0},
        {"DATETIMEOFFSET", RETL_MT_DATETIMEOFFSET, 3, 0},
        {"UNIQUEIDENTIFIER", RETL_MT_UNIQUEIDENTIFIER, 0, 0},
        {"BINARY", RETL_MT_BINARY, 1, 1},
        {"VARBINARY", RETL_MT_VARBINARY, 1, 8000},
        {"BLOB", RETL_MT_VARBINARY, 0, RETL_MT_MAX},
        {"IMAGE", RETL_MT_IMAGE, 0, 0},
        {"XML", RETL_MT_XML, 0, 0},
        {"SQL_VARIANT", RETL_MT_SQL_VARIANT, 0, 0},
};

static int max_length(enum retl_mssql_kind k)
{
        return k == RETL_MT_NCHAR || k == RETL_MT_NVARCHAR ? 4000 : 8000;
}

int retl_mssql_type_parse(const char *decl, struct retl_mssql_type *t)
{
        char name[64], args[64];
        size_t nl = 0, al = 0;
        const char *p = decl;
        int a1 = -1, a2 = -1, have_args = 0;

        if (!decl)
                return -1;
        /* The name: words, brackets and quotes dropped, spaces collapsed. */
        while (*p && *p != '(' && nl + 1 < sizeof(name)) {
                char c = *p++;
                if (c == '[' || c == ']' || c == '"' || c == '`')
                        continue;
                if (isspace((unsigned char)c)) {
                        if (nl && name[nl - 1] != ' ')
                                name[nl++] = ' ';
                        continue;
                }
                name[nl++] = (char)toupper((unsigned char)c);
        }
        while (nl && name[nl - 1] == ' ')
                nl--;
        name[nl] = '\0';
        /* "DECIMAL TEXT(38,10)": TEXT only steers SQLite's affinity. */
        if (nl > 5 && strcmp(name + nl - 5, " TEXT") == 0)
                name[nl -= 5] = '\0';
        /* SQLite's grammar has no VARCHAR(MAX): accept "VARCHAR MAX" and
         * VARCHAR(-1) too (quoted "VARCHAR(MAX)" reaches us unquoted). */
        if (nl > 4 && strcmp(name + nl - 4, " MAX") == 0 && *p != '(') {
                name[nl -= 4] = '\0';
                have_args = 1;
                a1 = RETL_MT_MAX;
        }
        if (*p == '(') {
                have_args = 1;
                p++;
                while (*p && *p != ')' && al + 1 < sizeof(args)) {
                        if (!isspace((unsigned char)*p))
                                args[al++] = (char)toupper((unsigned char)*p);
                        p++;
                }
                args[al] = '\0';
                if (*p != ')')
                        return -1;
                if (strcmp(args, "MAX") == 0 || strcmp(args, "-1") == 0) {
                        a1 = RETL_MT_MAX;
                } else {
                        char *end;
                        long v = strtol(args, &end, 10);
                        if (end == args || v < 0 || v > 100000)
                                return -1;
                        a1 = (int)v;
                        if (*end == ',') {
                                const char *s2 = end + 1;
                                v = strtol(s2, &end, 10);
                                if (end == s2 || v < 0 || v > 100)
                                        return -1;
                                a2 = (int)v;
                        }
                        if (*end)
                                return -1;
                }
        }
        for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
                if (strcmp(name, type_names[i].name) != 0)
                        continue;
                t->mt_kind = type_names[i].kind;
                t->mt_length = type_names[i].def_len;
                t->mt_precision = 0;
                t->mt_scale = 0;
                t->mt_not_null = 0;
                t->mt_table = NULL;
                switch (type_names[i].args) {
                case 0:
                        if (have_args)
                                return -1;
                        break;
                case 1:
                        if (have_args) {
                                if (a2 >= 0)
                                        return -1;
                                if (a1 == RETL_MT_MAX &&
                                    (t->mt_kind == RETL_MT_CHAR ||
                                     t->mt_kind == RETL_MT_NCHAR ||
                                     t->mt_kind == RETL_MT_BINARY))
                                        return -1;
                                if (a1 != RETL_MT_MAX &&
                                    (a1 < 1 || a1 > max_length(t->mt_kind)))
                                        return -1;
                                t->mt_length = a1;
                        }
                        break;
                case 2:
                        t->mt_precision = 18;
                        if (have_args) {
                                if (a1 < 1 || a1 > 38 || a2 > a1)
                                        return -1;
                                t->mt_precision = a1;
                                t->mt_scale = a2 < 0 ? 0 : a2;
                        }
                        break;
                case 3:
                        t->mt_scale = 7;
                        if (have_args) {
                                if (a1 < 0 || a1 > 7 || a2 >= 0)
                                        return -1;
                                t->mt_scale = a1;
                        }
                        break;
                case 4:
                        if (have_args) {
                                if (a1 < 1 || a1 > 53 || a2 >= 0)
                                        return -1;
                                if (a1 <= 24)
                                        t->mt_kind = RETL_MT_REAL;
                        }
                        break;
                }
                return 0;
        }
        return -1;
}

const char *retl_mssql_type_kind_name(enum retl_mssql_kind k)
{
        switch (k) {
        case RETL_MT_TINYINT: return "tinyint";
        case RETL_MT_SMALLINT: return "smallint";
        case RETL_MT_INT: return "int";
        case RETL_MT_BIGINT: return "bigint";
        case RETL_MT_BIT: return "bit";
        case RETL_MT_DECIMAL: return "decimal";
        case RETL_MT_NUMERIC: return "numeric";
        case RETL_MT_MONEY: return "money";
        case RETL_MT_SMALLMONEY: return "smallmoney";
        case RETL_MT_REAL: return "real";
        case RETL_MT_FLOAT: return "float";
        case RETL_MT_CHAR: return "char";
        case RETL_MT_VARCHAR: return "varchar";
        case RETL_MT_NCHAR: return "nchar";
        case RETL_MT_NVARCHAR: return "nvarchar";
        case RETL_MT_DATE: return "date";
        case RETL_MT_TIME: return "time";
        case RETL_MT_DATETIME: return "datetime";
        case RETL_MT_DATETIME2: return "datetime2";
        case RETL_MT_SMALLDATETIME: return "smalldatetime";
        case RETL_MT_DATETIMEOFFSET: return "datetimeoffset";
        case RETL_MT_UNIQUEIDENTIFIER: return "uniqueidentifier";
        case RETL_MT_BINARY: return "binary";
        case RETL_MT_VARBINARY: return "varbinary";
        case RETL_MT_TEXT: return "text";
        case RETL_MT_NTEXT: return "ntext";
        case RETL_MT_IMAGE: return "image";
        case RETL_MT_XML: return "xml";
        case RETL_MT_SQL_VARIANT: return "sql_variant";
        }
        return "?";
}

void retl_mssql_type_name(const struct retl_mssql_type *t, char *out, size_t out_size)
{
        switch (t->mt_kind) {
        case RETL_MT_DECIMAL:
        case RETL_MT_NUMERIC:
                snprintf(out, out_size, "%s(%d,%d)", retl_mssql_type_kind_name(t->mt_kind),
                         t->mt_precision, t->mt_scale);
                break;
        case RETL_MT_TIME:
        case RETL_MT_DATETIME2:
        case RETL_MT_DATETIMEOFFSET:
                snprintf(out, out_size, "%s(%d)", retl_mssql_type_kind_name(t->mt_kind),
                         t->mt_scale);
                break;
        case RETL_MT_CHAR:
        case RETL_MT_VARCHAR:
        case RETL_MT_NCHAR:
        case RETL_MT_NVARCHAR:
        case RETL_MT_BINARY:
        case RETL_MT_VARBINARY:
                if (t->mt_length == RETL_MT_MAX)
                        snprintf(out, out_size, "%s(max)", retl_mssql_type_kind_name(t->mt_kind));
                else
                        snprintf(out, out_size, "%s(%d)", retl_mssql_type_kind_name(t->mt_kind),
                                 t->mt_length);
                break;
        default:
                snprintf(out, out_size, "%s", retl_mssql_type_kind_name(t->mt_kind));
        }
}

/* ------------------------------------------------------------ TYPE_INFO */

/* The fixed-length type byte of a NOT NULL column, or 0 for a type that
 * keeps its nullable form (decimal, strings, binary, date/time 2008 types,
 * uniqueidentifier: SQL Server sends those the same way either way). */
static unsigned fixed_type(const struct retl_mssql_type *t)
{
        if (!t->mt_not_null)
                return 0;
        switch (t->mt_kind) {
        case RETL_MT_TINYINT: return TDS_T_INT1;
        case RETL_MT_SMALLINT: return TDS_T_INT2;
        case RETL_MT_INT: return TDS_T_INT4;
        case RETL_MT_BIGINT: return TDS_T_INT8;
        case RETL_MT_BIT: return TDS_T_BIT;
        case RETL_MT_REAL: return TDS_T_FLT4;
        case RETL_MT_FLOAT: return TDS_T_FLT8;
        case RETL_MT_MONEY: return TDS_T_MONEY;
        case RETL_MT_SMALLMONEY: return TDS_T_MONEY4;
        case RETL_MT_DATETIME: return TDS_T_DATETIME;
        case RETL_MT_SMALLDATETIME: return TDS_T_DATETIM4;
        default: return 0;
        }
}

int retl_mssql_type_is_fixed(const struct retl_mssql_type *t)
{
        return fixed_type(t) != 0;
}

int retl_mssql_type_is_plp(const struct retl_mssql_type *t)
{
        return t->mt_kind == RETL_MT_XML ||
               (t->mt_length == RETL_MT_MAX &&
                (t->mt_kind == RETL_MT_VARCHAR || t->mt_kind == RETL_MT_NVARCHAR ||
                 t->mt_kind == RETL_MT_VARBINARY));
}

void retl_mssql_type_info(const struct retl_mssql_type *t, struct retl_wbuf *wb)
{
        unsigned maxlen;

        if (fixed_type(t)) {
                retl_wbuf_u8(wb, fixed_type(t)); /* the type says the length */
                return;
        }
        switch (t->mt_kind) {
        case RETL_MT_TINYINT:
                retl_wbuf_u8(wb, TDS_T_INTN); retl_wbuf_u8(wb, 1); break;
        case RETL_MT_SMALLINT:
                retl_wbuf_u8(wb, TDS_T_INTN); retl_wbuf_u8(wb, 2); break;
        case RETL_MT_INT:
                retl_wbuf_u8(wb, TDS_T_INTN); retl_wbuf_u8(wb, 4); break;
        case RETL_MT_BIGINT:
                retl_wbuf_u8(wb, TDS_T_INTN); retl_wbuf_u8(wb, 8); break;
        case RETL_MT_BIT:
                retl_wbuf_u8(wb, TDS_T_BITN); retl_wbuf_u8(wb, 1); break;
        case RETL_MT_DECIMAL:
        case RETL_MT_NUMERIC:
                retl_wbuf_u8(wb, t->mt_kind == RETL_MT_DECIMAL ? TDS_T_DECIMALN
                                                               : TDS_T_NUMERICN);
                retl_wbuf_u8(wb, retl_mssql_decimal_size(t->mt_precision));
                retl_wbuf_u8(wb, (unsigned)t->mt_precision);
                retl_wbuf_u8(wb, (unsigned)t->mt_scale);
                break;
        case RETL_MT_MONEY:
                retl_wbuf_u8(wb, TDS_T_MONEYN); retl_wbuf_u8(wb, 8); break;
        case RETL_MT_SMALLMONEY:
                retl_wbuf_u8(wb, TDS_T_MONEYN); retl_wbuf_u8(wb, 4); break;
        case RETL_MT_REAL:
                retl_wbuf_u8(wb, TDS_T_FLTN); retl_wbuf_u8(wb, 4); break;
        case RETL_MT_FLOAT:
                retl_wbuf_u8(wb, TDS_T_FLTN); retl_wbuf_u8(wb, 8); break;
        case RETL_MT_CHAR:
        case RETL_MT_VARCHAR:
        case RETL_MT_NCHAR:
        case RETL_MT_NVARCHAR:
                retl_wbuf_u8(wb, t->mt_kind == RETL_MT_CHAR      ? TDS_T_BIGCHAR
                                 : t->mt_kind == RETL_MT_VARCHAR ? TDS_T_BIGVARCHR
                                 : t->mt_kind == RETL_MT_NCHAR   ? TDS_T_NCHAR
                                                                 : TDS_T_NVARCHAR);
                maxlen = t->mt_length == RETL_MT_MAX ? 0xFFFF
                         : (t->mt_kind == RETL_MT_NCHAR || t->mt_kind == RETL_MT_NVARCHAR)
                                 ? (unsigned)t->mt_length * 2
                                 : (unsigned)t->mt_length;
                retl_wbuf_u16le(wb, maxlen);
                retl_wbuf_put(wb, retl_tds_collation, 5);
                break;
        case RETL_MT_BINARY:
        case RETL_MT_VARBINARY:
                retl_wbuf_u8(wb, t->mt_kind == RETL_MT_BINARY ? TDS_T_BIGBINARY
                                                              : TDS_T_BIGVARBIN);
                retl_wbuf_u16le(wb, t->mt_length == RETL_MT_MAX ? 0xFFFF
                                                                : (unsigned)t->mt_length);
                break;
        case RETL_MT_DATE:
                retl_wbuf_u8(wb, TDS_T_DATEN); break;
        case RETL_MT_TIME:
                retl_wbuf_u8(wb, TDS_T_TIMEN); retl_wbuf_u8(wb, (unsigned)t->mt_scale); break;
        case RETL_MT_DATETIME2:
                retl_wbuf_u8(wb, TDS_T_DATETIME2N);
                retl_wbuf_u8(wb, (unsigned)t->mt_scale);
                break;
        case RETL_MT_DATETIMEOFFSET:
                retl_wbuf_u8(wb, TDS_T_DTOFFSETN);
                retl_wbuf_u8(wb, (unsigned)t->mt_scale);
                break;
        case RETL_MT_DATETIME:
                retl_wbuf_u8(wb, TDS_T_DATETIMN); retl_wbuf_u8(wb, 8); break;
        case RETL_MT_SMALLDATETIME:
                retl_wbuf_u8(wb, TDS_T_DATETIMN); retl_wbuf_u8(wb, 4); break;
        case RETL_MT_UNIQUEIDENTIFIER:
                retl_wbuf_u8(wb, TDS_T_GUID); retl_wbuf_u8(wb, 16); break;
        case RETL_MT_TEXT:
        case RETL_MT_NTEXT:
        case RETL_MT_IMAGE:
        case RETL_MT_XML:
        case RETL_MT_SQL_VARIANT:
                retl_mssql_legacy_type_info(t, wb);
                break;
        }
}

size_t retl_mssql_null_size(const struct retl_mssql_type *t)
{
        if (retl_mssql_type_is_plp(t))
                return 8;
        switch (t->mt_kind) {
        case RETL_MT_SQL_VARIANT:
                return 4;       /* a LONGLEN of 0 */
        case RETL_MT_CHAR:
        case RETL_MT_VARCHAR:
        case RETL_MT_NCHAR:
        case RETL_MT_NVARCHAR:
        case RETL_MT_BINARY:
        case RETL_MT_VARBINARY:
                return 2;
        default:
                return 1;
        }
}

void retl_mssql_put_null(const struct retl_mssql_type *t, struct retl_wbuf *wb)
{
        switch (retl_mssql_null_size(t)) {
        case 8: retl_wbuf_u64le(wb, UINT64_MAX); break;
        case 4: retl_wbuf_u32le(wb, 0); break;
        case 2: retl_wbuf_u16le(wb, 0xFFFF); break;
        default: retl_wbuf_u8(wb, 0); break;
        }
}

/* ------------------------------------------------------------ encode */

static int encode_value(const struct retl_mssql_type *t, const struct retl_mssql_value *v,
                        struct retl_wbuf *wb, struct retl_mssql_error *err)
{
        switch (t->mt_kind) {
        case RETL_MT_TINYINT:
        case RETL_MT_SMALLINT:
        case RETL_MT_INT:
        case RETL_MT_BIGINT:
                return retl_mssql_encode_int(t, v, wb, err);
        case RETL_MT_BIT:
                return retl_mssql_encode_bit(t, v, wb, err);
        case RETL_MT_DECIMAL:
        case RETL_MT_NUMERIC:
                return retl_mssql_encode_decimal(t, v, wb, err);
        case RETL_MT_MONEY:
        case RETL_MT_SMALLMONEY:
                return retl_mssql_encode_money(t, v, wb, err);
        case RETL_MT_REAL:
        case RETL_MT_FLOAT:
                return retl_mssql_encode_float(t, v, wb, err);
        case RETL_MT_CHAR:
        case RETL_MT_VARCHAR:
        case RETL_MT_NCHAR:
        case RETL_MT_NVARCHAR:
                return retl_mssql_encode_string(t, v, wb, err);
        case RETL_MT_BINARY:
        case RETL_MT_VARBINARY:
                return retl_mssql_encode_binary(t, v, wb, err);
        case RETL_MT_DATE:
        case RETL_MT_TIME:
        case RETL_MT_DATETIME:
        case RETL_MT_DATETIME2:
        case RETL_MT_SMALLDATETIME:
        case RETL_MT_DATETIMEOFFSET:
                return retl_mssql_encode_datetime(t, v, wb, err);
        case RETL_MT_UNIQUEIDENTIFIER:
                return retl_mssql_encode_guid(t, v, wb, err);
        case RETL_MT_TEXT:
        case RETL_MT_NTEXT:
        case RETL_MT_IMAGE:
        case RETL_MT_XML:
        case RETL_MT_SQL_VARIANT:
                return retl_mssql_encode_legacy(t, v, wb, err);
        }
        retl_mssql_error_conversion(err, v, t);
        return -1;
}

int retl_mssql_encode(const struct retl_mssql_type *t, const struct retl_mssql_value *v,
                      struct retl_wbuf *wb, struct retl_mssql_error *err)
{
        size_t at = wb->wb_len;

        if (encode_value(t, v, wb, err))
                return -1;
        /* A fixed-length type is the nullable form's bytes without the
         * length byte the encoders write first. */
        if (fixed_type(t) && !wb->wb_over && wb->wb_len > at) {
                memmove(wb->wb_data + at, wb->wb_data + at + 1, wb->wb_len - at - 1);
                wb->wb_len--;
        }
        return 0;
}
