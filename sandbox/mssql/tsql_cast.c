/* retl-mssql-standin — T-SQL conversions for SQLite: CAST, TRY_CAST,
 * CONVERT with its date styles, FORMAT (date patterns) and STR, with SQL
 * Server's results and errors (245, 241, 8114, 8115...). */
#include "sandbox/mssql/tsql_cast.h"
#include "sandbox/mssql/types.h"
#include "sandbox/mssql/types_convert.h"
#include "sandbox/mssql/types_datetime.h"
#include "sandbox/mssql/types_decode.h"

#include "mem.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void result_error(sqlite3_context *ctx, int number, int severity, const char *msg)
{
        char buf[600];

        snprintf(buf, sizeof(buf), "retl:%d:%d:%s", number, severity, msg);
        sqlite3_result_error(ctx, buf, -1);
}

static void refuse(sqlite3_context *ctx, const char *what)
{
        char buf[300];

        snprintf(buf, sizeof(buf), "retl-mssql-standin does not support %s.", what);
        result_error(ctx, 50000, 16, buf);
}

static void value_from(sqlite3_value *x, struct retl_mssql_value *v)
{
        v->v_type = sqlite3_value_type(x);
        switch (v->v_type) {
        case SQLITE_INTEGER:
                v->v_int = sqlite3_value_int64(x);
                break;
        case SQLITE_FLOAT:
                v->v_real = sqlite3_value_double(x);
                break;
        case SQLITE_TEXT:
                v->v_ptr = sqlite3_value_text(x);
                v->v_len = (size_t)sqlite3_value_bytes(x);
                break;
        case SQLITE_BLOB:
                v->v_ptr = sqlite3_value_blob(x);
                v->v_len = (size_t)sqlite3_value_bytes(x);
                break;
        }
}

static int is_string_kind(enum retl_mssql_kind k)
{
        return k == RETL_MT_CHAR || k == RETL_MT_VARCHAR || k == RETL_MT_NCHAR ||
               k == RETL_MT_NVARCHAR;
}

static int is_date_kind(enum retl_mssql_kind k)
{
        return k >= RETL_MT_DATE && k <= RETL_MT_DATETIMEOFFSET;
}

/* ------------------------------------------------------------ dates as text */

static const char *const month_abbr[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Fraction digits of a time: @p digits of 7 (100 ns). */
static void put_frac(char *buf, size_t size, int64_t ns, int digits)
{
        char f[16];
        snprintf(f, sizeof(f), "%07lld", (long long)(ns % 1000000000LL / 100));
        snprintf(buf, size, ".%.*s", digits, f);
}

/* A date/time of SQL Server type @p src as CONVERT(varchar, x, style)
 * writes it. @returns 0, or -1 for a style the stand-in does not write. */
static int format_style(const struct retl_mssql_dt *in, const struct retl_mssql_type *src,
                        int style, char *out, size_t size)
{
        struct retl_mssql_dt dt = *in;
        int64_t y, secs;
        unsigned m, d;
        int scale = src->mt_scale, is_dt = src->mt_kind == RETL_MT_DATETIME ||
                                            src->mt_kind == RETL_MT_SMALLDATETIME;
        char frac[16] = "", off[16] = "";

        if (src->mt_kind == RETL_MT_DATETIME) { /* 1/300 s: .789 → .790 */
                int64_t ticks = (dt.dt_ns * 3 + 5000000) / 10000000;
                dt.dt_ns = (ticks * 10 + 1) / 3 * 1000000;
                scale = 3;
        } else if (src->mt_kind == RETL_MT_SMALLDATETIME) {
                dt.dt_ns = (dt.dt_ns + 30001000000LL) / 60000000000LL * 60000000000LL;
                scale = 0;
        }
        if (dt.dt_ns >= 86400000000000LL) {
                dt.dt_ns -= 86400000000000LL;
                dt.dt_days++;
        }
        retl_mssql_civil_from_days(dt.dt_days, &y, &m, &d);
        secs = dt.dt_ns / 1000000000LL;
        if (scale > 0)
                put_frac(frac, sizeof(frac), dt.dt_ns, scale);
        if (src->mt_kind == RETL_MT_DATETIMEOFFSET) {
                int o = dt.dt_offset_min < 0 ? -dt.dt_offset_min : dt.dt_offset_min;
                snprintf(off, sizeof(off), " %c%02d:%02d", dt.dt_offset_min < 0 ? '-' : '+', o / 60,
                         o % 60);
        }
#define HMS (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60)
        switch (style) {
        case 0:
        case 100:
                if (is_dt) {
                        int h = (int)(secs / 3600) % 12;
                        snprintf(out, size, "%s %2u %04lld %2d:%02d%s", month_abbr[m - 1], d,
                                 (long long)y, h ? h : 12, (int)(secs / 60 % 60),
                                 secs >= 12 * 3600 ? "PM" : "AM");
                } else if (src->mt_kind == RETL_MT_DATE) {
                        snprintf(out, size, "%04lld-%02u-%02u", (long long)y, m, d);
                } else if (src->mt_kind == RETL_MT_TIME) {
                        snprintf(out, size, "%02d:%02d:%02d%s", HMS, frac);
                } else {
                        snprintf(out, size, "%04lld-%02u-%02u %02d:%02d:%02d%s%s", (long long)y, m, d,
                                 HMS, frac, off);
                }
                return 0;
        case 20:
        case 120:
                snprintf(out, size, "%04lld-%02u-%02u %02d:%02d:%02d", (long long)y, m, d, HMS);
                return 0;
        case 21:
        case 25:
        case 121:
                snprintf(out, size, "%04lld-%02u-%02u %02d:%02d:%02d%s", (long long)y, m, d, HMS,
                         scale > 0 ? frac : ".000");
                return 0;
        case 23:
                snprintf(out, size, "%04lld-%02u-%02u", (long long)y, m, d);
                return 0;
        case 126:
        case 127:
                /* datetime leaves out .mmm when it is zero */
                if (is_dt && dt.dt_ns % 1000000000LL == 0)
                        frac[0] = '\0';
                snprintf(out, size, "%04lld-%02u-%02uT%02d:%02d:%02d%s%s", (long long)y, m, d, HMS,
                         frac, style == 127 && src->mt_kind == RETL_MT_DATETIMEOFFSET ? "Z" : "");
                return 0;
        case 112:
                snprintf(out, size, "%04lld%02u%02u", (long long)y, m, d);
                return 0;
        case 108:
        case 8:
                snprintf(out, size, "%02d:%02d:%02d", HMS);
                return 0;
        case 101:
                snprintf(out, size, "%02u/%02u/%04lld", m, d, (long long)y);
                return 0;
        case 103:
                snprintf(out, size, "%02u/%02u/%04lld", d, m, (long long)y);
                return 0;
        default:
                return -1;
        }
#undef HMS
}

/* ------------------------------------------------------------ CAST */

/* Characters (UTF-16 units for n-types) of UTF-8 @p s kept by a length of
 * @p n: @returns the bytes to keep. */
static size_t keep_chars(const unsigned char *s, size_t len, int n, int wide)
{
        size_t i = 0;
        int used = 0;

        while (i < len) {
                size_t cl = s[i] < 0x80 ? 1 : s[i] < 0xE0 ? 2 : s[i] < 0xF0 ? 3 : 4;
                int units = wide && cl == 4 ? 2 : 1;
                if (used + units > n)
                        break;
                used += units;
                i += cl;
        }
        return i < len ? i : len;
}

/* x converted to the string type @p t; @p src is x's SQL Server type when
 * the typer knew it. */
static void cast_to_string(sqlite3_context *ctx, sqlite3_value *x, const struct retl_mssql_type *t,
                           int style, const struct retl_mssql_type *src)
{
        char buf[128];
        const unsigned char *s = NULL;
        size_t len = 0;
        struct retl_mssql_dt dt;
        struct retl_mssql_type guess = {RETL_MT_DATETIME2, 0, 0, 7, 0, NULL};

        switch (sqlite3_value_type(x)) {
        case SQLITE_INTEGER:
                snprintf(buf, sizeof(buf), "%lld", (long long)sqlite3_value_int64(x));
                s = (const unsigned char *)buf;
                len = strlen(buf);
                break;
        case SQLITE_FLOAT: {
                double v = sqlite3_value_double(x);
                if (src && (src->mt_kind == RETL_MT_FLOAT || src->mt_kind == RETL_MT_REAL)) {
                        /* style 0: at most 6 digits, e+NNN when needed */
                        char *e;
                        snprintf(buf, sizeof(buf), "%.6g", v);
                        if ((e = strchr(buf, 'e')) && strlen(e) == 4)
                                memmove(e + 3, e + 2, 3), e[2] = '0';
                } else {
                        snprintf(buf, sizeof(buf), "%.15g", v);
                }
                s = (const unsigned char *)buf;
                len = strlen(buf);
                break;
        }
        default:
                s = sqlite3_value_text(x);
                len = (size_t)sqlite3_value_bytes(x);
                if (!s)
                        s = (const unsigned char *)"";
                if ((src && is_date_kind(src->mt_kind)) || (!src && style >= 0)) {
                        if (retl_mssql_dt_parse((const char *)s, len, &dt) == 0) {
                                if (!src) {
                                        const char *dot = strchr((const char *)s, '.');
                                        if (!dt.dt_has_time)
                                                guess.mt_kind = RETL_MT_DATE;
                                        else if (!dot || strlen(dot + 1) <= 3)
                                                guess.mt_kind = RETL_MT_DATETIME;
                                }
                                if (format_style(&dt, src ? src : &guess, style < 0 ? 0 : style, buf,
                                                 sizeof(buf))) {
                                        char what[64];
                                        snprintf(what, sizeof(what), "CONVERT style %d", style);
                                        refuse(ctx, what);
                                        return;
                                }
                                s = (const unsigned char *)buf;
                                len = strlen(buf);
                        }
                }
        }
        if (t->mt_length != RETL_MT_MAX)
                len = keep_chars(s, len, t->mt_length, t->mt_kind == RETL_MT_NCHAR ||
                                                           t->mt_kind == RETL_MT_NVARCHAR);
        sqlite3_result_text(ctx, (const char *)s, (int)len, SQLITE_TRANSIENT);
}

/* CAST(x AS t): through the type's encoder (SQL Server's checks and
 * rounding), then read back into the stored form. */
static void cast_value(sqlite3_context *ctx, sqlite3_value *x, const char *tname, int style,
                       const char *srcname, int try)
{
        struct retl_mssql_type t, src;
        struct retl_mssql_value v = {0};
        struct retl_mssql_error err;
        struct retl_wbuf wb;
        struct retl_mssql_param p;
        struct retl_mssql_rd r;
        int have_src = srcname && retl_mssql_type_parse(srcname, &src) == 0;

        if (!tname || retl_mssql_type_parse(tname, &t)) {
                char msg[200];
                snprintf(msg, sizeof(msg), "Type %s is not a defined system type.", tname ? tname : "?");
                result_error(ctx, 243, 16, msg);
                return;
        }
        if (t.mt_kind >= RETL_MT_TEXT) {
                /* xml would need its parser, sql_variant its base types */
                char what[80];
                snprintf(what, sizeof(what), "CAST or CONVERT to %s",
                         retl_mssql_type_kind_name(t.mt_kind));
                refuse(ctx, what);
                return;
        }
        if (sqlite3_value_type(x) == SQLITE_NULL) {
                sqlite3_result_null(ctx);
                return;
        }
        if (is_string_kind(t.mt_kind)) {
                if (!strchr(tname, '('))
                        t.mt_length = 30; /* varchar without a length */
                cast_to_string(ctx, x, &t, style, have_src ? &src : NULL);
                return;
        }
        value_from(x, &v);
        retl_wbuf_init(&wb, 0);
        retl_mssql_type_info(&t, &wb);
        if (v.v_type == SQLITE_TEXT && t.mt_kind >= RETL_MT_TINYINT && t.mt_kind <= RETL_MT_BIGINT) {
                /* '12.7' is not an integer's text: SQL Server says 245 */
                for (size_t i = 0; i < v.v_len; i++) {
                        if (v.v_ptr[i] == '.' || v.v_ptr[i] == 'e' || v.v_ptr[i] == 'E') {
                                retl_mssql_error_conversion(&err, &v, &t);
                                goto fail;
                        }
                }
        }
        if (retl_mssql_encode(&t, &v, &wb, &err))
                goto fail;
        memset(&p, 0, sizeof(p));
        r = (struct retl_mssql_rd){wb.wb_data, wb.wb_len, 0, 0};
        if (t.mt_length == RETL_MT_MAX || retl_mssql_read_param(&r, &p)) {
                /* varbinary(max) and other forms read_param does not read back */
                sqlite3_result_value(ctx, x);
        } else {
                switch (p.rp_value.v_type) {
                case SQLITE_INTEGER: sqlite3_result_int64(ctx, p.rp_value.v_int); break;
                case SQLITE_FLOAT: sqlite3_result_double(ctx, p.rp_value.v_real); break;
                case SQLITE_TEXT:
                        sqlite3_result_text(ctx, (const char *)p.rp_value.v_ptr, (int)p.rp_value.v_len,
                                            SQLITE_TRANSIENT);
                        break;
                case SQLITE_BLOB:
                        sqlite3_result_blob(ctx, p.rp_value.v_ptr, (int)p.rp_value.v_len,
                                            SQLITE_TRANSIENT);
                        break;
                default: sqlite3_result_null(ctx);
                }
        }
        free(p.rp_buf);
        retl_wbuf_free(&wb);
        return;
fail:
        retl_wbuf_free(&wb);
        if (try)
                sqlite3_result_null(ctx);
        else
                result_error(ctx, err.me_number, err.me_severity, err.me_msg);
}

/* RETL_CAST(x, 'type' [, 'source type']), RETL_TRY_CAST: user data 1 = TRY. */
static void fn_cast(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
        cast_value(ctx, argv[0], (const char *)sqlite3_value_text(argv[1]), -1,
                   argc > 2 ? (const char *)sqlite3_value_text(argv[2]) : NULL,
                   (int)(intptr_t)sqlite3_user_data(ctx));
}

/* RETL_CONVERT('type', x [, style [, 'source type']]), RETL_TRY_CONVERT. */
static void fn_convert(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
        int style = argc > 2 && sqlite3_value_type(argv[2]) != SQLITE_NULL
                            ? sqlite3_value_int(argv[2])
                            : -1;
        cast_value(ctx, argv[1], (const char *)sqlite3_value_text(argv[0]), style,
                   argc > 3 ? (const char *)sqlite3_value_text(argv[3]) : NULL,
                   (int)(intptr_t)sqlite3_user_data(ctx));
}

/* ------------------------------------------------------------ FORMAT, STR */

/* FORMAT(date, 'custom pattern' [, culture]): yyyy yy MM M dd d HH H hh h
 * mm m ss s f… tt, quoted text and separators, as .NET writes them for
 * en-US and the invariant culture. */
static void fn_format(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
        const char *fmt = (const char *)sqlite3_value_text(argv[1]);
        const char *s = (const char *)sqlite3_value_text(argv[0]);
        struct retl_mssql_dt dt;
        char out[256], what[200];
        size_t n = 0;
        int64_t y, secs;
        unsigned m, d;

        if (argc > 2 && sqlite3_value_type(argv[2]) != SQLITE_NULL) {
                const char *cul = (const char *)sqlite3_value_text(argv[2]);
                if (strcasecmp(cul, "en-US") != 0 && strcasecmp(cul, "") != 0) {
                        snprintf(what, sizeof(what), "FORMAT with the culture '%s'", cul);
                        refuse(ctx, what);
                        return;
                }
        }
        if (!s || !fmt) {
                sqlite3_result_null(ctx);
                return;
        }
        if (sqlite3_value_type(argv[0]) != SQLITE_TEXT ||
            retl_mssql_dt_parse(s, (size_t)sqlite3_value_bytes(argv[0]), &dt)) {
                refuse(ctx, "FORMAT of a value that is not a date or time");
                return;
        }
        if (strlen(fmt) == 1) {
                snprintf(what, sizeof(what), "FORMAT with the standard format '%s'", fmt);
                refuse(ctx, what);
                return;
        }
        retl_mssql_civil_from_days(dt.dt_days, &y, &m, &d);
        secs = dt.dt_ns / 1000000000LL;
        for (const char *p = fmt; *p && n + 32 < sizeof(out);) {
                int run = 1;
                while (p[run] == *p)
                        run++;
                switch (*p) {
                case 'y':
                        n += (size_t)(run <= 2 ? snprintf(out + n, 8, run == 1 ? "%d" : "%02d", (int)(y % 100))
                                               : snprintf(out + n, 8, "%0*d", run, (int)y));
                        break;
                case 'M':
                        if (run > 2) {
                                snprintf(what, sizeof(what), "FORMAT pattern %.*s", run, p);
                                refuse(ctx, what);
                                return;
                        }
                        n += (size_t)snprintf(out + n, 8, run == 1 ? "%u" : "%02u", m);
                        break;
                case 'd':
                        if (run > 2) {
                                snprintf(what, sizeof(what), "FORMAT pattern %.*s", run, p);
                                refuse(ctx, what);
                                return;
                        }
                        n += (size_t)snprintf(out + n, 8, run == 1 ? "%u" : "%02u", d);
                        break;
                case 'H':
                        n += (size_t)snprintf(out + n, 8, run == 1 ? "%d" : "%02d", (int)(secs / 3600));
                        break;
                case 'h': {
                        int h = (int)(secs / 3600) % 12;
                        n += (size_t)snprintf(out + n, 8, run == 1 ? "%d" : "%02d", h ? h : 12);
                        break;
                }
                case 'm':
                        n += (size_t)snprintf(out + n, 8, run == 1 ? "%d" : "%02d", (int)(secs / 60 % 60));
                        break;
                case 's':
                        n += (size_t)snprintf(out + n, 8, run == 1 ? "%d" : "%02d", (int)(secs % 60));
                        break;
                case 'f':
                case 'F': {
                        char f[16];
                        snprintf(f, sizeof(f), "%09lld", (long long)(dt.dt_ns % 1000000000LL));
                        n += (size_t)snprintf(out + n, 16, "%.*s", run > 7 ? 7 : run, f);
                        break;
                }
                case 't':
                        n += (size_t)snprintf(out + n, 8, "%.*s", run == 1 ? 1 : 2,
                                              secs >= 12 * 3600 ? "PM" : "AM");
                        break;
                case '\'':
                case '"': {
                        const char *e = strchr(p + 1, *p);
                        size_t l = e ? (size_t)(e - p - 1) : strlen(p + 1);
                        if (n + l + 1 >= sizeof(out))
                                l = sizeof(out) - n - 1;
                        memcpy(out + n, p + 1, l);
                        n += l;
                        p += l + (e ? 2 : 1);
                        continue;
                }
                case '-': case ':': case '/': case ' ': case '.': case 'T': case ',': case '_':
                        memset(out + n, *p, (size_t)run);
                        n += (size_t)run;
                        break;
                default:
                        snprintf(what, sizeof(what), "FORMAT pattern character '%c'", *p);
                        refuse(ctx, what);
                        return;
                }
                p += run;
        }
        sqlite3_result_text(ctx, out, (int)n, SQLITE_TRANSIENT);
}

/* STR(x [, length [, decimals]]): right-aligned, rounded; '*' when too long. */
static void fn_str(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
        int len = argc > 1 ? sqlite3_value_int(argv[1]) : 10;
        int dec = argc > 2 ? sqlite3_value_int(argv[2]) : 0;
        double v = sqlite3_value_double(argv[0]), r;
        char buf[400];

        if (sqlite3_value_type(argv[0]) == SQLITE_NULL || len < 1 || len > 8000 || dec < 0) {
                sqlite3_result_null(ctx);
                return;
        }
        if (dec > 16)
                dec = 16;
        r = round(v * pow(10, dec)) / pow(10, dec); /* half away from zero */
        snprintf(buf, sizeof(buf), "%*.*f", len, dec, r);
        if ((int)strlen(buf) > len) {
                /* fewer decimals first, then stars */
                int k;
                for (k = dec - 1; k >= 0; k--) {
                        snprintf(buf, sizeof(buf), "%*.*f", len, k, round(v * pow(10, k)) / pow(10, k));
                        if ((int)strlen(buf) <= len)
                                break;
                }
                if (k < 0)
                        memset(buf, '*', (size_t)len), buf[len] = '\0';
        }
        sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
}

int retl_mssql_register_cast(sqlite3 *db)
{
        static const struct {
                const char *name;
                int nargs;
                void (*fn)(sqlite3_context *, int, sqlite3_value **);
                intptr_t data;
        } fns[] = {
                {"RETL_CAST", 2, fn_cast, 0},          {"RETL_CAST", 3, fn_cast, 0},
                {"RETL_TRY_CAST", 2, fn_cast, 1},      {"RETL_TRY_CAST", 3, fn_cast, 1},
                {"RETL_CONVERT", 2, fn_convert, 0},    {"RETL_CONVERT", 3, fn_convert, 0},
                {"RETL_CONVERT", 4, fn_convert, 0},    {"RETL_TRY_CONVERT", 2, fn_convert, 1},
                {"RETL_TRY_CONVERT", 3, fn_convert, 1}, {"RETL_TRY_CONVERT", 4, fn_convert, 1},
                {"FORMAT", 2, fn_format, 0},           {"FORMAT", 3, fn_format, 0},
                {"STR", 1, fn_str, 0},                 {"STR", 2, fn_str, 0},
                {"STR", 3, fn_str, 0},
        };
        for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
                int rc = sqlite3_create_function(db, fns[i].name, fns[i].nargs,
                                                 SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                                 (void *)fns[i].data, fns[i].fn, NULL, NULL);
                if (rc != SQLITE_OK)
                        return rc;
        }
        return SQLITE_OK;
}
