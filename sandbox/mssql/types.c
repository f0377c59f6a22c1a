/* retl-mssql-standin — SQL Server types and their wire form, see types.h. */
#include "sandbox/mssql/types.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sqlite3.h>

/* unsigned __int128 holds the 38 digits of DECIMAL(38,s). */
__extension__ typedef unsigned __int128 u128;

static void set_err(struct retl_mssql_error *err, int number, int severity,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void set_err(struct retl_mssql_error *err, int number, int severity,
                    const char *fmt, ...)
{
        va_list ap;

        err->me_number = number;
        err->me_severity = severity;
        err->me_state = 1;
        va_start(ap, fmt);
        vsnprintf(err->me_msg, sizeof(err->me_msg), fmt, ap);
        va_end(ap);
}

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
        {"TEXT", RETL_MT_NVARCHAR, 0, RETL_MT_MAX},
        {"NTEXT", RETL_MT_NVARCHAR, 0, RETL_MT_MAX},
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
        {"IMAGE", RETL_MT_VARBINARY, 0, RETL_MT_MAX},
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

void retl_mssql_type_infer(const struct retl_mssql_value *v, struct retl_mssql_type *t)
{
        t->mt_precision = 0;
        t->mt_scale = 0;
        t->mt_length = 0;
        switch (v->v_type) {
        case SQLITE_INTEGER:
                t->mt_kind = RETL_MT_BIGINT;
                break;
        case SQLITE_FLOAT:
                t->mt_kind = RETL_MT_FLOAT;
                break;
        case SQLITE_BLOB:
                t->mt_kind = RETL_MT_VARBINARY;
                t->mt_length = RETL_MT_MAX;
                break;
        case SQLITE_TEXT:
                t->mt_kind = RETL_MT_NVARCHAR;
                t->mt_length = retl_utf8_utf16_units(v->v_ptr, v->v_len) > 4000
                                       ? RETL_MT_MAX
                                       : 4000;
                break;
        default:
                t->mt_kind = RETL_MT_NVARCHAR;
                t->mt_length = 4000;
                break;
        }
}

static const char *kind_name(enum retl_mssql_kind k)
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
        }
        return "?";
}

void retl_mssql_type_name(const struct retl_mssql_type *t, char *out, size_t out_size)
{
        switch (t->mt_kind) {
        case RETL_MT_DECIMAL:
        case RETL_MT_NUMERIC:
                snprintf(out, out_size, "%s(%d,%d)", kind_name(t->mt_kind),
                         t->mt_precision, t->mt_scale);
                break;
        case RETL_MT_TIME:
        case RETL_MT_DATETIME2:
        case RETL_MT_DATETIMEOFFSET:
                snprintf(out, out_size, "%s(%d)", kind_name(t->mt_kind), t->mt_scale);
                break;
        case RETL_MT_CHAR:
        case RETL_MT_VARCHAR:
        case RETL_MT_NCHAR:
        case RETL_MT_NVARCHAR:
        case RETL_MT_BINARY:
        case RETL_MT_VARBINARY:
                if (t->mt_length == RETL_MT_MAX)
                        snprintf(out, out_size, "%s(max)", kind_name(t->mt_kind));
                else
                        snprintf(out, out_size, "%s(%d)", kind_name(t->mt_kind),
                                 t->mt_length);
                break;
        default:
                snprintf(out, out_size, "%s", kind_name(t->mt_kind));
        }
}

/* ------------------------------------------------------------ TYPE_INFO */

static unsigned decimal_size(int precision)
{
        if (precision <= 9)
                return 5;
        if (precision <= 19)
                return 9;
        if (precision <= 28)
                return 13;
        return 17;
}

static unsigned time_size(int scale)
{
        return scale <= 2 ? 3 : scale <= 4 ? 4 : 5;
}

int retl_mssql_type_is_plp(const struct retl_mssql_type *t)
{
        return t->mt_length == RETL_MT_MAX &&
               (t->mt_kind == RETL_MT_VARCHAR || t->mt_kind == RETL_MT_NVARCHAR ||
                t->mt_kind == RETL_MT_VARBINARY);
}

void retl_mssql_type_info(const struct retl_mssql_type *t, struct retl_wbuf *wb)
{
        unsigned maxlen;

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
                retl_wbuf_u8(wb, decimal_size(t->mt_precision));
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
        }
}

size_t retl_mssql_null_size(const struct retl_mssql_type *t)
{
        if (retl_mssql_type_is_plp(t))
                return 8;
        switch (t->mt_kind) {
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
        case 2: retl_wbuf_u16le(wb, 0xFFFF); break;
        default: retl_wbuf_u8(wb, 0); break;
        }
}

/* ------------------------------------------------------------ helpers */

/* The value as text for error messages and string conversions; @p tmp
 * holds the digits of numbers. */
static const uint8_t *value_text(const struct retl_mssql_value *v, char *tmp,
                                 size_t tmp_size, size_t *len)
{
        switch (v->v_type) {
        case SQLITE_INTEGER:
                *len = (size_t)snprintf(tmp, tmp_size, "%lld", (long long)v->v_int);
                return (const uint8_t *)tmp;
        case SQLITE_FLOAT:
                *len = (size_t)snprintf(tmp, tmp_size, "%.17g", v->v_real);
                /* Shortest form that reads back, as SQLite prints it. */
                for (int prec = 15; prec <= 17; prec++) {
                        char probe[64];
                        int n = snprintf(probe, sizeof(probe), "%.*g", prec, v->v_real);
                        if (strtod(probe, NULL) == v->v_real) {
                                *len = (size_t)snprintf(tmp, tmp_size, "%.*s", n, probe);
                                break;
                        }
                }
                return (const uint8_t *)tmp;
        default:
                *len = v->v_len;
                return v->v_ptr ? v->v_ptr : (const uint8_t *)"";
        }
}

/* Copies text into a NUL-terminated buffer, trimmed; false if too long. */
static int trimmed(const uint8_t *p, size_t n, char *out, size_t out_size)
{
        while (n && isspace(*p)) {
                p++;
                n--;
        }
        while (n && isspace(p[n - 1]))
                n--;
        if (n + 1 > out_size)
                return 0;
        memcpy(out, p, n);
        out[n] = '\0';
        return 1;
}

static void conv_err(struct retl_mssql_error *err, const struct retl_mssql_value *v,
                     const struct retl_mssql_type *t)
{
        char tmp[64], tn[40];
        size_t n;
        const uint8_t *s = value_text(v, tmp, sizeof(tmp), &n);
        int shown = n > 200 ? 200 : (int)n;

        retl_mssql_type_name(t, tn, sizeof(tn));
        switch (t->mt_kind) {
        case RETL_MT_DECIMAL:
        case RETL_MT_NUMERIC:
                set_err(err, 8114, 16, "Error converting data type %s to %s.",
                        v->v_type == SQLITE_TEXT ? "varchar" : "float",
                        kind_name(t->mt_kind));
                break;
        case RETL_MT_MONEY:
        case RETL_MT_SMALLMONEY:
                set_err(err, 235, 16, "Cannot convert a char value to %s. The char value has incorrect syntax.",
                        kind_name(t->mt_kind));
                break;
        case RETL_MT_DATE:
        case RETL_MT_TIME:
        case RETL_MT_DATETIME:
        case RETL_MT_DATETIME2:
        case RETL_MT_SMALLDATETIME:
        case RETL_MT_DATETIMEOFFSET:
                set_err(err, 241, 16,
                        "Conversion failed when converting date and/or time from character string.");
                break;
        case RETL_MT_UNIQUEIDENTIFIER:
                set_err(err, 8169, 16,
                        "Conversion failed when converting from a character string to uniqueidentifier.");
                break;
        case RETL_MT_FLOAT:
        case RETL_MT_REAL:
                set_err(err, 8114, 16, "Error converting data type varchar to %s.",
                        kind_name(t->mt_kind));
                break;
        default:
                if (v->v_type == SQLITE_BLOB)
                        set_err(err, 206, 16,
                                "Operand type clash: varbinary is incompatible with %s", tn);
                else
                        set_err(err, 245, 16,
                                "Conversion failed when converting the varchar value '%.*s' to data type %s.",
                                shown, (const char *)s, kind_name(t->mt_kind));
        }
}

static void overflow_err(struct retl_mssql_error *err, const struct retl_mssql_type *t)
{
        set_err(err, 8115, 16,
                "Arithmetic overflow error converting expression to data type %s.",
                kind_name(t->mt_kind));
}

static void trunc_err(struct retl_mssql_error *err)
{
        set_err(err, 8152, 16, "String or binary data would be truncated.");
}

/* Parses decimal text (optional exponent) into a magnitude scaled by
 * 10^scale, rounding half away from zero. @returns 0, -1 syntax, -2 more
 * than 38 digits. */
static int parse_decimal(const char *s, int scale, u128 *mag, int *neg)
{
        char digits[80];
        int nd = 0, point = -1, exp10 = 0, seen = 0;
        const char *p = s;
        u128 m = 0;
        int keep, i;

        *neg = 0;
        if (*p == '+' || *p == '-')
                *neg = *p++ == '-';
        for (; *p; p++) {
                if (isdigit((unsigned char)*p)) {
                        seen = 1;
                        if (nd == 0 && *p == '0' && point < 0)
                                continue; /* leading zero */
                        if (nd >= (int)sizeof(digits) - 1)
                                return -2;
                        digits[nd++] = *p;
                } else if (*p == '.' && point < 0) {
                        point = nd;
                } else {
                        break;
                }
        }
        if (!seen)
                return -1;
        if (*p == 'e' || *p == 'E') {
                char *end;
                long e = strtol(p + 1, &end, 10);
                if (end == p + 1 || e < -100 || e > 100)
                        return -1;
                exp10 = (int)e;
                p = end;
        }
        if (*p)
                return -1;
        if (point < 0)
                point = nd;
        point += exp10;
        /* digits[0..nd) with the decimal point after digit index point-1 */
        keep = point + scale; /* digits that make the scaled integer */
        if (keep > 38)
                return -2;
        for (i = 0; i < keep; i++)
                m = m * 10 + (u128)(i >= 0 && i < nd ? digits[i] - '0' : 0);
        if (keep >= 0 && keep < nd && digits[keep] >= '5')
                m++;
        else if (keep < 0)
                m = 0;
        *mag = m;
        if (m == 0)
                *neg = 0;
        return 0;
}

static u128 pow10_u128(int n)
{
        u128 v = 1;
        while (n-- > 0)
                v *= 10;
        return v;
}

/* Number of the value into a scaled magnitude; handles every storage class. */
static int value_decimal(const struct retl_mssql_value *v, int scale, u128 *mag,
                         int *neg)
{
        char buf[128];

        switch (v->v_type) {
        case SQLITE_INTEGER: {
                uint64_t a = v->v_int < 0 ? (uint64_t)0 - (uint64_t)v->v_int
                                          : (uint64_t)v->v_int;
                *neg = v->v_int < 0;
                if (scale > 19)
                        return -2;
                *mag = (u128)a * pow10_u128(scale);
                return 0;
        }
        case SQLITE_FLOAT:
                if (!isfinite(v->v_real))
                        return -1;
                if (fabs(v->v_real) >= 1e38)
                        return -2;
                snprintf(buf, sizeof(buf), "%.*f", scale, v->v_real);
                return parse_decimal(buf, scale, mag, neg);
        case SQLITE_TEXT:
                if (!trimmed(v->v_ptr, v->v_len, buf, sizeof(buf)))
                        return -1;
                return parse_decimal(buf, scale, mag, neg);
        default:
                return -1;
        }
}

static int value_int(const struct retl_mssql_value *v, int64_t *out)
{
        char buf[64], *end;

        switch (v->v_type) {
        case SQLITE_INTEGER:
                *out = v->v_int;
                return 0;
        case SQLITE_FLOAT:
                /* float to int truncates, as CONVERT(int, 1.9e0) does */
                if (!(v->v_real > -9223372036854775808.0 &&
                      v->v_real < 9223372036854775808.0))
                        return -2;
                *out = (int64_t)v->v_real;
                return 0;
        case SQLITE_TEXT: {
                long long r;
                if (!trimmed(v->v_ptr, v->v_len, buf, sizeof(buf)) || !buf[0])
                        return -1;
                for (const char *p = buf + (buf[0] == '-' || buf[0] == '+'); *p; p++)
                        if (!isdigit((unsigned char)*p))
                                return -1;
                errno = 0;
                r = strtoll(buf, &end, 10);
                if (errno == ERANGE)
                        return -2;
                if (end == buf || *end)
                        return -1;
                *out = r;
                return 0;
        }
        default:
                return -1;
        }
}

static int value_real(const struct retl_mssql_value *v, double *out)
{
        char buf[128], *end;

        switch (v->v_type) {
        case SQLITE_INTEGER:
                *out = (double)v->v_int;
                return 0;
        case SQLITE_FLOAT:
                *out = v->v_real;
                return isfinite(v->v_real) ? 0 : -1;
        case SQLITE_TEXT:
                if (!trimmed(v->v_ptr, v->v_len, buf, sizeof(buf)) || !buf[0])
                        return -1;
                *out = strtod(buf, &end);
                if (*end || !isfinite(*out) || isalpha((unsigned char)buf[0]) ||
                    strchr(buf, 'x') || strchr(buf, 'X') || strchr(buf, 'n') ||
                    strchr(buf, 'N'))
                        return -1;
                return 0;
        default:
                return -1;
        }
}

/* ------------------------------------------------------------ dates */

int64_t retl_mssql_days_from_civil(int64_t y, unsigned m, unsigned d)
{
        /* Howard Hinnant's days_from_civil, shifted to 0001-01-01 = 0. */
        int64_t era, yoe, doy, doe;

        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = y - era * 400;
        doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468 + 719162;
}

void retl_mssql_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
        int64_t z = days - 719162 + 719468;
        int64_t era = (z >= 0 ? z : z - 146096) / 146097;
        int64_t doe = z - era * 146097;
        int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        int64_t mp = (5 * doy + 2) / 153;

        *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
        *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
        *y = yoe + era * 400 + (*m <= 2);
}

static int month_days(int64_t y, unsigned m)
{
        static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        return m == 2 && leap ? 29 : dm[m - 1];
}

/* Reads exactly @p w digits. */
static int digits_n(const char **p, const char *end, int w, int *out)
{
        int v = 0;
        for (int i = 0; i < w; i++) {
                if (*p >= end || !isdigit((unsigned char)**p))
                        return -1;
                v = v * 10 + (*(*p)++ - '0');
        }
        *out = v;
        return 0;
}

static int parse_time(const char **pp, const char *end, int64_t *ns)
{
        const char *p = *pp;
        int h, mi, s = 0;
        int64_t frac = 0, unit = 100000000;

        if (digits_n(&p, end, 2, &h) || p >= end || *p != ':')
                return -1;
        p++;
        if (digits_n(&p, end, 2, &mi))
                return -1;
        if (p < end && *p == ':') {
                p++;
                if (digits_n(&p, end, 2, &s))
                        return -1;
                if (p < end && *p == '.') {
                        p++;
                        if (p >= end || !isdigit((unsigned char)*p))
                                return -1;
                        while (p < end && isdigit((unsigned char)*p)) {
                                frac += (*p - '0') * unit;
                                unit /= 10;
                                p++;
                        }
                }
        }
        if (h > 23 || mi > 59 || s > 59)
                return -1;
        *ns = ((int64_t)h * 3600 + mi * 60 + s) * 1000000000LL + frac;
        *pp = p;
        return 0;
}

int retl_mssql_dt_parse(const char *s, size_t n, struct retl_mssql_dt *dt)
{
        const char *p = s, *end = s + n;
        int y, m, d;

        memset(dt, 0, sizeof(*dt));
        while (p < end && isspace((unsigned char)*p))
                p++;
        while (end > p && isspace((unsigned char)end[-1]))
                end--;
        if (end - p >= 10 && p[4] == '-') {
                if (digits_n(&p, end, 4, &y) || *p++ != '-' || digits_n(&p, end, 2, &m) ||
                    p >= end || *p++ != '-' || digits_n(&p, end, 2, &d))
                        return -1;
                if (y < 1 || m < 1 || m > 12 || d < 1 || d > month_days(y, (unsigned)m))
                        return -1;
                dt->dt_days = retl_mssql_days_from_civil(y, (unsigned)m, (unsigned)d);
                dt->dt_has_date = 1;
                if (p < end && (*p == 'T' || *p == ' ')) {
                        p++;
                        while (p < end && *p == ' ')
                                p++;
                        if (parse_time(&p, end, &dt->dt_ns))
                                return -1;
                        dt->dt_has_time = 1;
                }
        } else {
                if (parse_time(&p, end, &dt->dt_ns))
                        return -1;
                dt->dt_has_time = 1;
                dt->dt_days = retl_mssql_days_from_civil(1900, 1, 1);
        }
        while (p < end && *p == ' ')
                p++;
        if (p < end && (*p == 'Z' || *p == 'z')) {
                p++;
                dt->dt_has_offset = 1;
        } else if (p < end && (*p == '+' || *p == '-')) {
                int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
                if (digits_n(&p, end, 2, &oh))
                        return -1;
                if (p < end && *p == ':')
                        p++;
                if (p < end && digits_n(&p, end, 2, &om))
                        return -1;
                if (oh > 14 || om > 59 || oh * 60 + om > 14 * 60)
                        return -1;
                dt->dt_has_offset = 1;
                dt->dt_offset_min = sign * (oh * 60 + om);
        }
        return p == end ? 0 : -1;
}

static const int64_t NS_DAY = 86400LL * 1000000000LL;

/* Rounds the time of day to 10^-scale s, carrying into the date. */
static void round_scale(struct retl_mssql_dt *dt, int scale, int64_t *units)
{
        int64_t div = 1;
        for (int i = scale; i < 9; i++)
                div *= 10;
        *units = (dt->dt_ns + div / 2) / div;
        if (*units * div >= NS_DAY) {
                *units = 0;
                dt->dt_days++;
        }
        dt->dt_ns = *units * div;
}

static int value_dt(const struct retl_mssql_value *v, struct retl_mssql_dt *dt)
{
        if (v->v_type != SQLITE_TEXT)
                return -1;
        return retl_mssql_dt_parse((const char *)v->v_ptr, v->v_len, dt);
}

static int encode_datetime(const struct retl_mssql_type *t, struct retl_mssql_dt *dt,
                           struct retl_wbuf *wb)
{
        int64_t units, base = retl_mssql_days_from_civil(1900, 1, 1);

        switch (t->mt_kind) {
        case RETL_MT_DATE:
                if (dt->dt_has_time && !dt->dt_has_date)
                        return -1;
                retl_wbuf_u8(wb, 3);
                retl_wbuf_uintle(wb, (uint64_t)dt->dt_days, 3);
                return 0;
        case RETL_MT_TIME:
                if (!dt->dt_has_time && dt->dt_has_date)
                        dt->dt_ns = 0;
                round_scale(dt, t->mt_scale, &units);
                retl_wbuf_u8(wb, time_size(t->mt_scale));
                retl_wbuf_uintle(wb, (uint64_t)units, time_size(t->mt_scale));
                return 0;
        case RETL_MT_DATETIME2:
                round_scale(dt, t->mt_scale, &units);
                if (dt->dt_days > retl_mssql_days_from_civil(9999, 12, 31))
                        return -2;
                retl_wbuf_u8(wb, time_size(t->mt_scale) + 3);
                retl_wbuf_uintle(wb, (uint64_t)units, time_size(t->mt_scale));
                retl_wbuf_uintle(wb, (uint64_t)dt->dt_days, 3);
                return 0;
        case RETL_MT_DATETIMEOFFSET: {
                /* Date and time travel in UTC, then the offset. */
                int64_t div = 1;
                round_scale(dt, t->mt_scale, &units);
                dt->dt_ns -= (int64_t)dt->dt_offset_min * 60 * 1000000000LL;
                if (dt->dt_ns < 0) {
                        dt->dt_ns += NS_DAY;
                        dt->dt_days--;
                } else if (dt->dt_ns >= NS_DAY) {
                        dt->dt_ns -= NS_DAY;
                        dt->dt_days++;
                }
                if (dt->dt_days < 0 ||
                    dt->dt_days > retl_mssql_days_from_civil(9999, 12, 31))
                        return -2;
                for (int i = t->mt_scale; i < 9; i++)
                        div *= 10;
                retl_wbuf_u8(wb, time_size(t->mt_scale) + 5);
                retl_wbuf_uintle(wb, (uint64_t)(dt->dt_ns / div), time_size(t->mt_scale));
                retl_wbuf_uintle(wb, (uint64_t)dt->dt_days, 3);
                retl_wbuf_u16le(wb, (unsigned)(uint16_t)(int16_t)dt->dt_offset_min);
                return 0;
        }
        case RETL_MT_DATETIME: {
                /* 1/300 s ticks since midnight, days since 1900-01-01. */
                int64_t ticks = (dt->dt_ns * 3 + 5000000) / 10000000;
                int64_t days = dt->dt_days - base;
                if (ticks >= 300LL * 86400) {
                        ticks = 0;
                        days++;
                }
                if (days < retl_mssql_days_from_civil(1753, 1, 1) - base ||
                    days > retl_mssql_days_from_civil(9999, 12, 31) - base)
                        return -2;
                retl_wbuf_u8(wb, 8);
                retl_wbuf_u32le(wb, (uint32_t)(int32_t)days);
                retl_wbuf_u32le(wb, (uint32_t)ticks);
                return 0;
        }
        case RETL_MT_SMALLDATETIME: {
                /* 29.998 s rounds down, 29.999 s up, as in SQL Server */
                int64_t mins = (dt->dt_ns + 30001000000LL) / 60000000000LL;
                int64_t days = dt->dt_days - base;
                if (mins >= 1440) {
                        mins = 0;
                        days++;
                }
                if (days < 0 || days > 65535)
                        return -2;
                retl_wbuf_u8(wb, 4);
                retl_wbuf_u16le(wb, (unsigned)days);
                retl_wbuf_u16le(wb, (unsigned)mins);
                return 0;
        }
        default:
                return -1;
        }
}

static int hexval(int c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        c = toupper(c);
        return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static int parse_guid(const struct retl_mssql_value *v, uint8_t out[16])
{
        char buf[64];
        const char *p = buf;
        uint8_t raw[16];
        int k = 0;

        if (v->v_type == SQLITE_BLOB) {
                if (v->v_len != 16)
                        return -1;
                memcpy(out, v->v_ptr, 16); /* already SQL Server's byte order */
                return 0;
        }
        if (v->v_type != SQLITE_TEXT || !trimmed(v->v_ptr, v->v_len, buf, sizeof(buf)))
                return -1;
        if (*p == '{') {
                size_t l = strlen(buf);
                if (buf[l - 1] != '}')
                        return -1;
                buf[l - 1] = '\0';
                p++;
        }
        if (strlen(p) != 36)
                return -1;
        for (int i = 0; i < 36; i++) {
                if (i == 8 || i == 13 || i == 18 || i == 23) {
                        if (p[i] != '-')
                                return -1;
                        continue;
                }
                int hi = hexval((unsigned char)p[i]), lo = hexval((unsigned char)p[i + 1]);
                if (hi < 0 || lo < 0)
                        return -1;
                raw[k++] = (uint8_t)(hi << 4 | lo);
                i++;
        }
        /* Data1, Data2 and Data3 little-endian, the last 8 bytes as written. */
        out[0] = raw[3]; out[1] = raw[2]; out[2] = raw[1]; out[3] = raw[0];
        out[4] = raw[5]; out[5] = raw[4];
        out[6] = raw[7]; out[7] = raw[6];
        memcpy(out + 8, raw + 8, 8);
        return 0;
}

/* PLP: total length, chunks of at most 64 KiB, zero terminator. */
static void put_plp(struct retl_wbuf *wb, const uint8_t *p, size_t n)
{
        retl_wbuf_u64le(wb, n);
        while (n) {
                size_t c = n > 65536 ? 65536 : n;
                retl_wbuf_u32le(wb, (uint32_t)c);
                retl_wbuf_put(wb, p, c);
                p += c;
                n -= c;
        }
        retl_wbuf_u32le(wb, 0);
}

static int encode_string(const struct retl_mssql_type *t, const struct retl_mssql_value *v,
                         struct retl_wbuf *wb, struct retl_mssql_error *err)
{
        char tmp[64];
        size_t n, at = wb->wb_len, units, bytes;
        const uint8_t *s = value_text(v, tmp, sizeof(tmp), &n);
        int wide = t->mt_kind == RETL_MT_NCHAR || t->mt_kind == RETL_MT_NVARCHAR;
        int plp = retl_mssql_type_is_plp(t);
        size_t hdr = plp ? 8 : 2;

        /* Placeholder for the length, then the text, then fix it up. */
        for (size_t i = 0; i < hdr; i++)
                retl_wbuf_u8(wb, 0);
        if (wide)
                units = retl_utf8_to_utf16le(wb, s, n);
        else
                units = retl_utf8_to_cp1252(wb, s, n);
        if (wb->wb_over)
                return 0;
        if (t->mt_length != RETL_MT_MAX && units > (size_t)t->mt_length) {
                trunc_err(err);
                return -1;
        }
        if (t->mt_kind == RETL_MT_CHAR || t->mt_kind == RETL_MT_NCHAR) {
                for (; units < (size_t)t->mt_length; units++) {
                        retl_wbuf_u8(wb, ' ');
                        if (wide)
                                retl_wbuf_u8(wb, 0);
                }
        }
        bytes = wb->wb_len - at - hdr;
        if (!plp) {
                retl_wbuf_set_u16le(wb, at, (unsigned)bytes);
                return 0;
        }
        /* Rewrite as PLP: move the text behind the chunk headers. */
        {
                size_t chunks = bytes ? (bytes + 65535) / 65536 : 0;
                size_t extra = chunks * 4 + 4;
                size_t i;
                if (!retl_wbuf_reserve(wb, extra))
                        return 0;
                memmove(wb->wb_data + at + hdr + extra, wb->wb_data + at + hdr, bytes);
                wb->wb_len = at;
                retl_wbuf_u64le(wb, bytes);
                for (i = 0; i < chunks; i++) {
                        size_t off = i * 65536;
                        size_t c = bytes - off > 65536 ? 65536 : bytes - off;
                        retl_wbuf_u32le(wb, (uint32_t)c);
                        memmove(wb->wb_data + wb->wb_len,
                                wb->wb_data + at + hdr + extra + off, c);
                        wb->wb_len += c;
                }
                retl_wbuf_u32le(wb, 0);
        }
        return 0;
}

static int encode_binary(const struct retl_mssql_type *t, const struct retl_mssql_value *v,
                         struct retl_wbuf *wb, struct retl_mssql_error *err)
{
        uint8_t be[8];
        const uint8_t *p = v->v_ptr;
        size_t n = v->v_len;

        if (v->v_type == SQLITE_INTEGER) {
                /* CONVERT(varbinary, bigint): 8 bytes, big-endian */
                for (int i = 0; i < 8; i++)
                        be[i] = (uint8_t)((uint64_t)v->v_int >> (56 - 8 * i));
                p = be;
                n = 8;
        } else if (v->v_type == SQLITE_FLOAT) {
                conv_err(err, v, t);
                return -1;
        }
        if (!p)
                p = (const uint8_t *)"";
        if (retl_mssql_type_is_plp(t)) {
                put_plp(wb, p, n);
                return 0;
        }
        if (n > (size_t)t->mt_length) {
                trunc_err(err);
                return -1;
        }
        if (t->mt_kind == RETL_MT_BINARY) {
                retl_wbuf_u16le(wb, (unsigned)t->mt_length);
                retl_wbuf_put(wb, p, n);
                for (size_t i = n; i < (size_t)t->mt_length; i++)
                        retl_wbuf_u8(wb, 0);
        } else {
                retl_wbuf_u16le(wb, (unsigned)n);
                retl_wbuf_put(wb, p, n);
        }
        return 0;
}

int retl_mssql_encode(const struct retl_mssql_type *t, const struct retl_mssql_value *v,
                      struct retl_wbuf *wb, struct retl_mssql_error *err)
{
        int64_t i64;
        double d;
        u128 mag;
        int neg, rc;
        struct retl_mssql_dt dt;
        uint8_t guid[16];

        switch (t->mt_kind) {
        case RETL_MT_TINYINT:
        case RETL_MT_SMALLINT:
        case RETL_MT_INT:
        case RETL_MT_BIGINT: {
                static const int64_t lo[] = {0, -32768, INT32_MIN, INT64_MIN};
                static const int64_t hi[] = {255, 32767, INT32_MAX, INT64_MAX};
                static const unsigned sz[] = {1, 2, 4, 8};
                int k = t->mt_kind - RETL_MT_TINYINT;
                rc = value_int(v, &i64);
                if (rc == -1) {
                        conv_err(err, v, t);
                        return -1;
                }
                if (rc == -2 || i64 < lo[k] || i64 > hi[k]) {
                        overflow_err(err, t);
                        return -1;
                }
                retl_wbuf_u8(wb, sz[k]);
                retl_wbuf_uintle(wb, (uint64_t)i64, sz[k]);
                return 0;
        }
        case RETL_MT_BIT:
                if (v->v_type == SQLITE_TEXT) {
                        char buf[16];
                        if (trimmed(v->v_ptr, v->v_len, buf, sizeof(buf)) &&
                            (strcasecmp(buf, "true") == 0 || strcasecmp(buf, "false") == 0)) {
                                retl_wbuf_u8(wb, 1);
                                retl_wbuf_u8(wb, strcasecmp(buf, "true") == 0);
                                return 0;
                        }
                }
                if (v->v_type == SQLITE_FLOAT) {
                        retl_wbuf_u8(wb, 1);
                        retl_wbuf_u8(wb, v->v_real != 0);
                        return 0;
                }
                if (value_int(v, &i64)) {
                        conv_err(err, v, t);
                        return -1;
                }
                retl_wbuf_u8(wb, 1);
                retl_wbuf_u8(wb, i64 != 0);
                return 0;
        case RETL_MT_DECIMAL:
        case RETL_MT_NUMERIC: {
                unsigned size = decimal_size(t->mt_precision);
                rc = value_decimal(v, t->mt_scale, &mag, &neg);
                if (rc == -1) {
                        conv_err(err, v, t);
                        return -1;
                }
                if (rc == -2 || mag >= pow10_u128(t->mt_precision)) {
                        overflow_err(err, t);
                        return -1;
                }
                retl_wbuf_u8(wb, size);
                retl_wbuf_u8(wb, neg ? 0 : 1);
                retl_wbuf_uintle(wb, (uint64_t)mag, size - 1 > 8 ? 8 : size - 1);
                if (size - 1 > 8)
                        retl_wbuf_uintle(wb, (uint64_t)(mag >> 64), size - 9);
                return 0;
        }
        case RETL_MT_MONEY:
        case RETL_MT_SMALLMONEY: {
                int small = t->mt_kind == RETL_MT_SMALLMONEY;
                rc = value_decimal(v, 4, &mag, &neg);
                if (rc == -1) {
                        conv_err(err, v, t);
                        return -1;
                }
                if (rc == -2 || mag > (small ? (u128)INT32_MAX + neg
                                             : (u128)INT64_MAX + neg)) {
                        overflow_err(err, t);
                        return -1;
                }
                i64 = neg ? (int64_t)(0 - (uint64_t)mag) : (int64_t)(uint64_t)mag;
                if (small) {
                        retl_wbuf_u8(wb, 4);
                        retl_wbuf_u32le(wb, (uint32_t)(int32_t)i64);
                } else {
                        /* MONEY: high 32 bits first, then the low 32 */
                        retl_wbuf_u8(wb, 8);
                        retl_wbuf_u32le(wb, (uint32_t)((uint64_t)i64 >> 32));
                        retl_wbuf_u32le(wb, (uint32_t)(uint64_t)i64);
                }
                return 0;
        }
        case RETL_MT_REAL:
        case RETL_MT_FLOAT:
                if (value_real(v, &d)) {
                        conv_err(err, v, t);
                        return -1;
                }
                if (t->mt_kind == RETL_MT_REAL) {
                        float f = (float)d;
                        uint32_t u;
                        if (!isfinite(f)) {
                                overflow_err(err, t);
                                return -1;
                        }
                        memcpy(&u, &f, 4);
                        retl_wbuf_u8(wb, 4);
                        retl_wbuf_u32le(wb, u);
                } else {
                        uint64_t u;
                        memcpy(&u, &d, 8);
                        retl_wbuf_u8(wb, 8);
                        retl_wbuf_u64le(wb, u);
                }
                return 0;
        case RETL_MT_CHAR:
        case RETL_MT_VARCHAR:
        case RETL_MT_NCHAR:
        case RETL_MT_NVARCHAR:
                return encode_string(t, v, wb, err);
        case RETL_MT_BINARY:
        case RETL_MT_VARBINARY:
                return encode_binary(t, v, wb, err);
        case RETL_MT_DATE:
        case RETL_MT_TIME:
        case RETL_MT_DATETIME:
        case RETL_MT_DATETIME2:
        case RETL_MT_SMALLDATETIME:
        case RETL_MT_DATETIMEOFFSET:
                if (value_dt(v, &dt)) {
                        conv_err(err, v, t);
                        return -1;
                }
                rc = encode_datetime(t, &dt, wb);
                if (rc == -1) {
                        conv_err(err, v, t);
                        return -1;
                }
                if (rc == -2) {
                        set_err(err, 242, 16,
                                "The conversion of a varchar data type to a %s data type resulted in an out-of-range value.",
                                kind_name(t->mt_kind));
                        return -1;
                }
                return 0;
        case RETL_MT_UNIQUEIDENTIFIER:
                if (parse_guid(v, guid)) {
                        conv_err(err, v, t);
                        return -1;
                }
                retl_wbuf_u8(wb, 16);
                retl_wbuf_put(wb, guid, 16);
                return 0;
        }
        conv_err(err, v, t);
        return -1;
}
