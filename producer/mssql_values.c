/* retl — SQL Server values as retl's: which Avro branch each db-lib type
 * takes, and one column's value of the current row converted (exact decimal
 * and money text, GUIDs in their display order, dates and times as ISO 8601
 * text at the column's scale; strings and bytes borrowed from db-lib). */
#include "producer/mssql_values.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

const char *retl_mssql_type_name(int t)
{
        switch (t) {
        case SYBINT1: return "tinyint";
        case SYBINT2: return "smallint";
        case SYBINT4: return "int";
        case SYBINT8: return "bigint";
        case SYBBIT: case SYBBITN: return "bit";
        case SYBREAL: return "real";
        case SYBFLT8: return "float";
        case SYBDECIMAL: return "decimal";
        case SYBNUMERIC: return "numeric";
        case SYBMONEY: return "money";
        case SYBMONEY4: return "smallmoney";
        case SYBCHAR: return "char";
        case SYBVARCHAR: return "varchar";
        case SYBNVARCHAR: return "nvarchar";
        case SYBTEXT: return "text";
        case SYBNTEXT: return "ntext";
        case SYB_XML: return "xml";
        case SYBMSDATE: return "date";
        case SYBMSTIME: return "time";
        case SYBMSDATETIME2: return "datetime2";
        case SYBMSDATETIMEOFFSET: return "datetimeoffset";
        case SYBDATETIME: return "datetime";
        case SYBDATETIME4: return "smalldatetime";
        case SYB_UNIQUE: return "uniqueidentifier";
        case SYBBINARY: return "binary";
        case SYBVARBINARY: return "varbinary";
        case SYBIMAGE: return "image";
        /* not carried (retl_mssql_vtype), named so that the error says which */
        case SYB_VARIANT: return "sql_variant";
        case SYB_UDT: return "CLR type (geography, geometry, hierarchyid)";
        default: return NULL;
        }
}

int retl_mssql_vtype(int t)
{
        switch (t) {
        case SYBINT1: case SYBINT2: case SYBINT4: case SYBINT8:
                return RETL_V_LONG;
        case SYBBIT: case SYBBITN:
                return RETL_V_BOOL;
        case SYBREAL: case SYBFLT8:
                return RETL_V_DOUBLE;
        case SYBDECIMAL: case SYBNUMERIC: case SYBMONEY: case SYBMONEY4:
                return RETL_V_DECIMAL;
        case SYBCHAR: case SYBVARCHAR: case SYBNVARCHAR: case SYBTEXT: case SYBNTEXT:
        case SYB_XML:
                return RETL_V_STRING;
        case SYBMSDATE:
                return RETL_V_DATE;
        case SYBMSTIME:
                return RETL_V_TIME;
        case SYBMSDATETIME2: case SYBDATETIME: case SYBDATETIME4:
                return RETL_V_DATETIME;
        case SYBMSDATETIMEOFFSET:
                return RETL_V_DATETIMEOFFSET;
        case SYB_UNIQUE:
                return RETL_V_UUID;
        case SYBBINARY: case SYBVARBINARY: case SYBIMAGE:
                return RETL_V_BYTES;
        default:
                return -1;
        }
}

static size_t put_frac(char *p, size_t size, int nanos, int scale)
{
        static const int div[] = {1000000000, 100000000, 10000000, 1000000, 100000,
                                  10000, 1000, 100, 10, 1};
        if (scale <= 0)
                return 0;
        if (scale > 9)
                scale = 9;
        return (size_t)snprintf(p, size, ".%0*d", scale, nanos / div[scale]);
}

/* Decimal text from db-lib's exact character conversion, with exactly
 * @p scale fraction digits and a leading 0 before a bare point. */
static int fmt_decimal(DBPROCESS *dbproc, int type, const BYTE *data, int len, int scale,
                       char *out, size_t out_size)
{
        char raw[RETL_MSSQL_SCRATCH];
        const char *p, *dot;
        size_t o = 0;
        int n, frac;

        n = dbconvert(dbproc, type, data, len, SYBCHAR, (BYTE *)raw, sizeof(raw) - 1);
        if (n < 0 || n >= (int)sizeof(raw))
                return -1;
        raw[n] = '\0';
        p = raw;
        while (*p == ' ')
                p++;
        if (*p == '-') {
                out[o++] = '-';
                p++;
        }
        if (*p == '.')
                out[o++] = '0';
        dot = strchr(p, '.');
        frac = dot ? (int)strlen(dot + 1) : 0;
        if (o + strlen(p) + (size_t)scale + 2 >= out_size)
                return -1;
        if (dot && scale == 0) {
                memcpy(out + o, p, (size_t)(dot - p));
                o += (size_t)(dot - p);
        } else {
                memcpy(out + o, p, strlen(p));
                o += strlen(p);
                if (!dot && scale > 0)
                        out[o++] = '.';
                for (; frac < scale; frac++)
                        out[o++] = '0';
        }
        out[o] = '\0';
        /* "-0.00" is how SQL Server never shows zero */
        if (out[0] == '-' && strspn(out + 1, "0.") == strlen(out + 1))
                memmove(out, out + 1, strlen(out));
        return 0;
}

static void fmt_money(int64_t v, char *out, size_t out_size)
{
        uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        snprintf(out, out_size, "%s%llu.%04llu", v < 0 ? "-" : "",
                 (unsigned long long)(a / 10000), (unsigned long long)(a % 10000));
}

int retl_mssql_value(DBPROCESS *dbproc, int col, int t, const struct retl_source_column *c,
                     struct retl_value *v, char *s, char *errstr, size_t errstr_size)
{
        BYTE *data = dbdata(dbproc, col);
        DBINT len = dbdatlen(dbproc, col);
        DBDATEREC2 dr;
        size_t n;

        if (!data) {
                v->type = RETL_V_NULL;
                return 0;
        }
        v->type = c->vtype;
        switch (t) {
        case SYBINT1: v->u.l = *(const uint8_t *)data; return 0;
        case SYBINT2: { int16_t x; memcpy(&x, data, 2); v->u.l = x; return 0; }
        case SYBINT4: { int32_t x; memcpy(&x, data, 4); v->u.l = x; return 0; }
        case SYBINT8: { int64_t x; memcpy(&x, data, 8); v->u.l = x; return 0; }
        case SYBBIT: case SYBBITN: v->u.b = *(const uint8_t *)data != 0; return 0;
        case SYBREAL: { float x; memcpy(&x, data, 4); v->u.d = x; return 0; }
        case SYBFLT8: { double x; memcpy(&x, data, 8); v->u.d = x; return 0; }
        case SYBMONEY: {
                DBMONEY x;
                memcpy(&x, data, sizeof(x));
                fmt_money((int64_t)(((uint64_t)(uint32_t)x.mnyhigh << 32) | x.mnylow), s,
                          RETL_MSSQL_SCRATCH);
                break;
        }
        case SYBMONEY4: {
                DBMONEY4 x;
                memcpy(&x, data, sizeof(x));
                fmt_money(x.mny4, s, RETL_MSSQL_SCRATCH);
                break;
        }
        case SYBDECIMAL: case SYBNUMERIC:
                if (fmt_decimal(dbproc, t, data, len, c->scale, s, RETL_MSSQL_SCRATCH)) {
                        snprintf(errstr, errstr_size, "column '%s': decimal conversion failed",
                                 c->name);
                        return -1;
                }
                break;
        case SYB_UNIQUE: {
                const unsigned char *u = data;
                if (len != 16) {
                        snprintf(errstr, errstr_size, "column '%s': uniqueidentifier of %d bytes",
                                 c->name, (int)len);
                        return -1;
                }
                /* GUID byte order: the first three groups little-endian */
                snprintf(s, RETL_MSSQL_SCRATCH,
                         "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X",
                         u[3], u[2], u[1], u[0], u[5], u[4], u[7], u[6], u[8], u[9], u[10],
                         u[11], u[12], u[13], u[14], u[15]);
                break;
        }
        case SYBMSDATE: case SYBMSTIME: case SYBMSDATETIME2: case SYBMSDATETIMEOFFSET:
        case SYBDATETIME: case SYBDATETIME4:
                memset(&dr, 0, sizeof(dr));
                if (dbanydatecrack(dbproc, &dr, t, data) == FAIL) {
                        snprintf(errstr, errstr_size, "column '%s': date conversion failed",
                                 c->name);
                        return -1;
                }
                n = 0;
                if (t != SYBMSTIME)
                        n += (size_t)snprintf(s + n, RETL_MSSQL_SCRATCH - n, "%04d-%02d-%02d",
                                              (int)dr.dateyear, (int)dr.datemonth + 1,
                                              (int)dr.datedmonth);
                if (t == SYBMSDATE)
                        break;
                if (t != SYBMSTIME)
                        s[n++] = 'T';
                n += (size_t)snprintf(s + n, RETL_MSSQL_SCRATCH - n, "%02d:%02d:%02d", (int)dr.datehour,
                                      (int)dr.dateminute, (int)dr.datesecond);
                n += put_frac(s + n, RETL_MSSQL_SCRATCH - n, (int)dr.datensecond, c->scale);
                if (t == SYBMSDATETIMEOFFSET) {
                        int tz = (int)dr.datetzone, a = tz < 0 ? -tz : tz;
                        snprintf(s + n, RETL_MSSQL_SCRATCH - n, "%c%02d:%02d", tz < 0 ? '-' : '+', a / 60,
                                 a % 60);
                }
                break;
        default: /* strings and bytes: borrowed from db-lib until the next row */
                v->u.s.ptr = (const char *)data;
                v->u.s.len = (size_t)len;
                return 0;
        }
        v->u.s.ptr = s;
        v->u.s.len = strlen(s);
        return 0;
}
