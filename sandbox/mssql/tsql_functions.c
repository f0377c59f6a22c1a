/* retl-mssql-standin — the SQL Server functions SQLite lacks (GETDATE,
 * DATEDIFF, DATEADD, LEN, NEWID...) and the test-only RETL_FAIL_AT. */
#include "sandbox/mssql/tsql_functions.h"
#include "sandbox/mssql/tsql_cast.h"
#include "sandbox/mssql/types_datetime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

__extension__ typedef __int128 i128;

static void fn_now(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
        /* user data: bit 0 = UTC, bit 1 = 7 fractional digits */
        intptr_t mode = (intptr_t)sqlite3_user_data(ctx);
        struct timespec ts;
        struct tm tm;
        char buf[64];
        size_t n;

        clock_gettime(CLOCK_REALTIME, &ts);
        if (mode & 1)
                gmtime_r(&ts.tv_sec, &tm);
        else
                localtime_r(&ts.tv_sec, &tm);
        n = strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
        if (mode & 2)
                n += (size_t)snprintf(buf + n, sizeof(buf) - n, ".%07ld", ts.tv_nsec / 100);
        else
                n += (size_t)snprintf(buf + n, sizeof(buf) - n, ".%03ld", ts.tv_nsec / 1000000);
        if (mode & 4) { /* SYSDATETIMEOFFSET: local time and its offset */
                long off = tm.tm_gmtoff / 60;
                snprintf(buf + n, sizeof(buf) - n, " %c%02ld:%02ld", off < 0 ? '-' : '+',
                         (off < 0 ? -off : off) / 60, (off < 0 ? -off : off) % 60);
        }
        sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
}

static int arg_dt(sqlite3_value *v, struct retl_mssql_dt *dt)
{
        const unsigned char *s = sqlite3_value_text(v);
        int rc;

        if (!s)
                return -1;
        rc = retl_mssql_dt_parse((const char *)s, (size_t)sqlite3_value_bytes(v), dt);
        if (rc == 0 && dt->dt_has_offset) {
                /* Compare instants in UTC, as SQL Server does for datetimeoffset. */
                dt->dt_ns -= (int64_t)dt->dt_offset_min * 60000000000LL;
                while (dt->dt_ns < 0) {
                        dt->dt_ns += 86400000000000LL;
                        dt->dt_days--;
                }
                while (dt->dt_ns >= 86400000000000LL) {
                        dt->dt_ns -= 86400000000000LL;
                        dt->dt_days++;
                }
        }
        return rc;
}

enum datepart { DP_YEAR, DP_QUARTER, DP_MONTH, DP_DAY, DP_WEEK, DP_HOUR, DP_MINUTE,
                DP_SECOND, DP_MS, DP_MCS, DP_NS, DP_BAD };

static enum datepart parse_part(const char *p)
{
        static const struct { const char *n; enum datepart d; } parts[] = {
                {"year", DP_YEAR}, {"yy", DP_YEAR}, {"yyyy", DP_YEAR},
                {"quarter", DP_QUARTER}, {"qq", DP_QUARTER}, {"q", DP_QUARTER},
                {"month", DP_MONTH}, {"mm", DP_MONTH}, {"m", DP_MONTH},
                {"dayofyear", DP_DAY}, {"dy", DP_DAY}, {"y", DP_DAY},
                {"day", DP_DAY}, {"dd", DP_DAY}, {"d", DP_DAY},
                {"week", DP_WEEK}, {"wk", DP_WEEK}, {"ww", DP_WEEK},
                {"hour", DP_HOUR}, {"hh", DP_HOUR},
                {"minute", DP_MINUTE}, {"mi", DP_MINUTE}, {"n", DP_MINUTE},
                {"second", DP_SECOND}, {"ss", DP_SECOND}, {"s", DP_SECOND},
                {"millisecond", DP_MS}, {"ms", DP_MS},
                {"microsecond", DP_MCS}, {"mcs", DP_MCS},
                {"nanosecond", DP_NS}, {"ns", DP_NS},
        };
        for (size_t i = 0; p && i < sizeof(parts) / sizeof(parts[0]); i++)
                if (strcasecmp(p, parts[i].n) == 0)
                        return parts[i].d;
        return DP_BAD;
}

static i128 units_of(const struct retl_mssql_dt *dt, enum datepart part)
{
        static const int64_t unit_ns[] = {
                [DP_HOUR] = 3600000000000LL, [DP_MINUTE] = 60000000000LL,
                [DP_SECOND] = 1000000000LL, [DP_MS] = 1000000LL,
                [DP_MCS] = 1000LL, [DP_NS] = 1LL,
        };
        int64_t y;
        unsigned m, d;

        retl_mssql_civil_from_days(dt->dt_days, &y, &m, &d);
        switch (part) {
        case DP_YEAR: return y;
        case DP_QUARTER: return (i128)y * 4 + (m - 1) / 3;
        case DP_MONTH: return (i128)y * 12 + m - 1;
        case DP_DAY: return dt->dt_days;
        case DP_WEEK: return (dt->dt_days + 1) / 7; /* weeks start on Sunday */
        default:
                return (i128)dt->dt_days * (86400000000000LL / unit_ns[part]) +
                       dt->dt_ns / unit_ns[part];
        }
}

static void fn_datediff(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
        int big = (int)(intptr_t)sqlite3_user_data(ctx);
        enum datepart part = parse_part((const char *)sqlite3_value_text(argv[0]));
        struct retl_mssql_dt a, b;
        i128 diff;

        if (part == DP_BAD) {
                sqlite3_result_error(ctx, "retl:155:15:'datediff' does not recognize the datepart option.", -1);
                return;
        }
        if (sqlite3_value_type(argv[1]) == SQLITE_NULL ||
            sqlite3_value_type(argv[2]) == SQLITE_NULL) {
                sqlite3_result_null(ctx);
                return;
        }
        if (arg_dt(argv[1], &a) || arg_dt(argv[2], &b)) {
                sqlite3_result_error(ctx, "retl:241:16:Conversion failed when converting date and/or time from character string.", -1);
                return;
        }
        diff = units_of(&b, part) - units_of(&a, part);
        if ((!big && (diff > INT32_MAX || diff < INT32_MIN)) ||
            diff > INT64_MAX || diff < INT64_MIN) {
                sqlite3_result_error(ctx, big ? "retl:9810:16:The datediff_big function resulted in an overflow."
                                              : "retl:535:16:The datediff function resulted in an overflow. The number of dateparts separating two date/time instances is too large. Try to use datediff with a less precise datepart.", -1);
                return;
        }
        sqlite3_result_int64(ctx, (sqlite3_int64)diff);
}

static void fn_dateadd(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
        enum datepart part = parse_part((const char *)sqlite3_value_text(argv[0]));
        struct retl_mssql_dt dt;
        int64_t n = sqlite3_value_int64(argv[1]), y;
        unsigned m, d;
        char buf[64];
        const unsigned char *s = sqlite3_value_text(argv[2]);
        int64_t secs;

        if (part == DP_BAD) {
                sqlite3_result_error(ctx, "retl:155:15:'dateadd' does not recognize the datepart option.", -1);
                return;
        }
        if (!s || sqlite3_value_type(argv[1]) == SQLITE_NULL) {
                sqlite3_result_null(ctx);
                return;
        }
        if (retl_mssql_dt_parse((const char *)s, (size_t)sqlite3_value_bytes(argv[2]), &dt)) {
                sqlite3_result_error(ctx, "retl:241:16:Conversion failed when converting date and/or time from character string.", -1);
                return;
        }
        if (n > INT32_MAX || n < INT32_MIN) { /* the number is an int */
                sqlite3_result_error(ctx, "retl:8115:16:Arithmetic overflow error converting expression to data type int.", -1);
                return;
        }
        if (part == DP_YEAR || part == DP_QUARTER || part == DP_MONTH) {
                int64_t months = part == DP_YEAR ? 12 * n : part == DP_QUARTER ? 3 * n : n, t;
                retl_mssql_civil_from_days(dt.dt_days, &y, &m, &d);
                t = y * 12 + (m - 1) + months;
                y = t / 12;
                m = (unsigned)(t % 12) + 1;
                {
                        static const unsigned dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
                        unsigned lim = dm[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100) || y % 400 == 0));
                        if (d > lim)
                                d = lim;
                }
                dt.dt_days = retl_mssql_days_from_civil(y, m, d);
        } else if (part == DP_DAY || part == DP_WEEK) {
                dt.dt_days += part == DP_WEEK ? 7 * n : n;
        } else {
                static const int64_t unit_ns[] = {
                        [DP_HOUR] = 3600000000000LL, [DP_MINUTE] = 60000000000LL,
                        [DP_SECOND] = 1000000000LL, [DP_MS] = 1000000LL,
                        [DP_MCS] = 1000LL, [DP_NS] = 1LL,
                };
                i128 t = (i128)dt.dt_days * 86400000000000LL + dt.dt_ns + (i128)n * unit_ns[part];
                dt.dt_days = (int64_t)(t / 86400000000000LL);
                dt.dt_ns = (int64_t)(t % 86400000000000LL);
                if (dt.dt_ns < 0) {
                        dt.dt_ns += 86400000000000LL;
                        dt.dt_days--;
                }
        }
        if (dt.dt_days < 0 || dt.dt_days > retl_mssql_days_from_civil(9999, 12, 31)) {
                sqlite3_result_error(ctx, "retl:517:16:Adding a value to a 'datetime' column caused an overflow.", -1);
                return;
        }
        retl_mssql_civil_from_days(dt.dt_days, &y, &m, &d);
        secs = dt.dt_ns / 1000000000LL;
        snprintf(buf, sizeof(buf), "%04lld-%02u-%02u %02lld:%02lld:%02lld.%07lld", (long long)y, m, d,
                 (long long)(secs / 3600), (long long)(secs / 60 % 60), (long long)(secs % 60),
                 (long long)(dt.dt_ns % 1000000000LL / 100));
        if (dt.dt_has_offset) {
                size_t l = strlen(buf);
                int off = dt.dt_offset_min < 0 ? -dt.dt_offset_min : dt.dt_offset_min;
                snprintf(buf + l, sizeof(buf) - l, " %c%02d:%02d", dt.dt_offset_min < 0 ? '-' : '+',
                         off / 60, off % 60);
        }
        sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
}

static void fn_len(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
        const unsigned char *s = sqlite3_value_text(argv[0]);
        size_t n, chars = 0;

        if (!s) {
                sqlite3_result_null(ctx);
                return;
        }
        n = (size_t)sqlite3_value_bytes(argv[0]);
        while (n && s[n - 1] == ' ')
                n--; /* LEN ignores trailing spaces */
        for (size_t i = 0; i < n; i++)
                chars += (s[i] & 0xC0) != 0x80;
        sqlite3_result_int64(ctx, (sqlite3_int64)chars);
}

static void fn_newid(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
        uint8_t r[16];
        char buf[40];

        if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
                for (size_t i = 0; i < sizeof(r); i++)
                        r[i] = (uint8_t)rand();
        r[6] = (uint8_t)((r[6] & 0x0F) | 0x40);
        r[8] = (uint8_t)((r[8] & 0x3F) | 0x80);
        snprintf(buf, sizeof(buf),
                 "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X",
                 r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11],
                 r[12], r[13], r[14], r[15]);
        sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
}

/* RETL_FAIL_AT(value, n [, number]): value, unless value = n; then a
 * "Divide by zero" error (8134) or the given error number: tests use it
 * for an error in the middle of a result. */
static void fn_fail_at(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
        if (sqlite3_value_type(argv[0]) != SQLITE_NULL &&
            sqlite3_value_int64(argv[0]) == sqlite3_value_int64(argv[1])) {
                char msg[160];
                int number = argc > 2 ? sqlite3_value_int(argv[2]) : 8134;
                if (number == 8134)
                        snprintf(msg, sizeof(msg), "retl:8134:16:Divide by zero error encountered.");
                else
                        snprintf(msg, sizeof(msg), "retl:%d:16:RETL_FAIL_AT reached %lld.", number,
                                 (long long)sqlite3_value_int64(argv[1]));
                sqlite3_result_error(ctx, msg, -1);
                return;
        }
        sqlite3_result_value(ctx, argv[0]);
}

/* UTF-8 helpers for the string functions: characters, not bytes. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
        size_t c = 0;
        for (size_t i = 0; i < n; i++)
                c += (s[i] & 0xC0) != 0x80;
        return c;
}

/* The byte offset of character @p k (or n). */
static size_t utf8_at(const unsigned char *s, size_t n, size_t k)
{
        size_t i = 0;
        while (i < n && k) {
                i++;
                while (i < n && (s[i] & 0xC0) == 0x80)
                        i++;
                k--;
        }
        return i;
}

/* CONCAT(a, b, ...): NULL counts as '' (needs two arguments or more). */
static void fn_concat(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
        sqlite3_str *str = sqlite3_str_new(sqlite3_context_db_handle(ctx));
        char *out;

        if (argc < 2) {
                sqlite3_free(sqlite3_str_finish(str));
                sqlite3_result_error(ctx, "retl:189:15:The concat function requires 2 to 254 arguments.", -1);
                return;
        }
        for (int i = 0; i < argc; i++)
                if (sqlite3_value_type(argv[i]) != SQLITE_NULL)
                        sqlite3_str_appendall(str, (const char *)sqlite3_value_text(argv[i]));
        out = sqlite3_str_finish(str);
        sqlite3_result_text(ctx, out ? out : "", -1, SQLITE_TRANSIENT);
        sqlite3_free(out);
}

/* CHARINDEX(find, in [, start]): 1-based, case-insensitive for ASCII as
 * Latin1_General_CI_AS compares; 0 when absent. */
static void fn_charindex(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
        const unsigned char *f = sqlite3_value_text(argv[0]), *s = sqlite3_value_text(argv[1]);
        size_t fl, sl, from = 0;

        if (!f || !s || (argc > 2 && sqlite3_value_type(argv[2]) == SQLITE_NULL)) {
                sqlite3_result_null(ctx);
                return;
        }
        fl = (size_t)sqlite3_value_bytes(argv[0]);
        sl = (size_t)sqlite3_value_bytes(argv[1]);
        if (argc > 2 && sqlite3_value_int64(argv[2]) > 1)
                from = utf8_at(s, sl, (size_t)sqlite3_value_int64(argv[2]) - 1);
        if (fl == 0) {
                sqlite3_result_int(ctx, 0);
                return;
        }
        for (size_t i = from; i + fl <= sl; i++) {
                if ((s[i] & 0xC0) == 0x80)
                        continue;
                if (strncasecmp((const char *)s + i, (const char *)f, fl) == 0) {
                        sqlite3_result_int64(ctx, (sqlite3_int64)utf8_len(s, i) + 1);
                        return;
                }
        }
        sqlite3_result_int(ctx, 0);
}

/* RETL_LEFT / RETL_RIGHT(s, n): the first / last n characters. */
static void fn_left_right(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
        int right = (int)(intptr_t)sqlite3_user_data(ctx);
        const unsigned char *s = sqlite3_value_text(argv[0]);
        sqlite3_int64 k = sqlite3_value_int64(argv[1]);
        size_t n, chars, from, to;

        (void)argc;
        if (!s || sqlite3_value_type(argv[1]) == SQLITE_NULL) {
                sqlite3_result_null(ctx);
                return;
        }
        if (k < 0) {
                sqlite3_result_error(ctx, right ? "retl:536:16:Invalid length parameter passed to the right function."
                                                : "retl:536:16:Invalid length parameter passed to the left function.", -1);
                return;
        }
        n = (size_t)sqlite3_value_bytes(argv[0]);
        chars = utf8_len(s, n);
        if ((size_t)k > chars)
                k = (sqlite3_int64)chars;
        from = right ? utf8_at(s, n, chars - (size_t)k) : 0;
        to = right ? n : utf8_at(s, n, (size_t)k);
        sqlite3_result_text(ctx, (const char *)s + from, (int)(to - from), SQLITE_TRANSIENT);
}

/* DATEPART(part, d), and YEAR(d) / MONTH(d) / DAY(d) (user data: the part). */
static void fn_datepart(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
        static const char *const fixed[] = {NULL, "year", "month", "day"};
        intptr_t which = (intptr_t)sqlite3_user_data(ctx);
        const char *part = which ? fixed[which] : (const char *)sqlite3_value_text(argv[0]);
        sqlite3_value *v = argv[argc - 1];
        struct retl_mssql_dt dt;
        int64_t y;
        unsigned m, d;
        long long r;

        if (sqlite3_value_type(v) == SQLITE_NULL) {
                sqlite3_result_null(ctx);
                return;
        }
        if (retl_mssql_dt_parse((const char *)sqlite3_value_text(v), (size_t)sqlite3_value_bytes(v), &dt)) {
                sqlite3_result_error(ctx, "retl:241:16:Conversion failed when converting date and/or time from character string.", -1);
                return;
        }
        retl_mssql_civil_from_days(dt.dt_days, &y, &m, &d);
        if (!part) {
                sqlite3_result_null(ctx);
                return;
        }
        if (!strcasecmp(part, "year") || !strcasecmp(part, "yy") || !strcasecmp(part, "yyyy"))
                r = y;
        else if (!strcasecmp(part, "quarter") || !strcasecmp(part, "qq") || !strcasecmp(part, "q"))
                r = (m - 1) / 3 + 1;
        else if (!strcasecmp(part, "month") || !strcasecmp(part, "mm") || !strcasecmp(part, "m"))
                r = m;
        else if (!strcasecmp(part, "dayofyear") || !strcasecmp(part, "dy") || !strcasecmp(part, "y"))
                r = dt.dt_days - retl_mssql_days_from_civil(y, 1, 1) + 1;
        else if (!strcasecmp(part, "day") || !strcasecmp(part, "dd") || !strcasecmp(part, "d"))
                r = d;
        else if (!strcasecmp(part, "weekday") || !strcasecmp(part, "dw"))
                r = (dt.dt_days + 1) % 7 + 1; /* 0001-01-01 was a Monday; Sunday = 1 */
        else if (!strcasecmp(part, "week") || !strcasecmp(part, "wk") || !strcasecmp(part, "ww"))
                r = ((dt.dt_days + 1) / 7) - ((retl_mssql_days_from_civil(y, 1, 1) + 1) / 7) + 1;
        else if (!strcasecmp(part, "hour") || !strcasecmp(part, "hh"))
                r = dt.dt_ns / 3600000000000LL;
        else if (!strcasecmp(part, "minute") || !strcasecmp(part, "mi") || !strcasecmp(part, "n"))
                r = dt.dt_ns / 60000000000LL % 60;
        else if (!strcasecmp(part, "second") || !strcasecmp(part, "ss") || !strcasecmp(part, "s"))
                r = dt.dt_ns / 1000000000LL % 60;
        else if (!strcasecmp(part, "millisecond") || !strcasecmp(part, "ms"))
                r = dt.dt_ns / 1000000LL % 1000;
        else if (!strcasecmp(part, "microsecond") || !strcasecmp(part, "mcs"))
                r = dt.dt_ns / 1000LL % 1000000;
        else if (!strcasecmp(part, "nanosecond") || !strcasecmp(part, "ns"))
                r = dt.dt_ns % 1000000000LL / 100 * 100;
        else if (!strcasecmp(part, "tzoffset") || !strcasecmp(part, "tz"))
                r = dt.dt_offset_min;
        else {
                sqlite3_result_error(ctx, "retl:155:15:'datepart' does not recognize the datepart option.", -1);
                return;
        }
        sqlite3_result_int64(ctx, r);
}

/* RETL_DT(x [, utc]): a date/time in one sortable form, 'YYYY-MM-DD
 * HH:MM:SS.fffffff' (a date alone at midnight, a time alone on 1900-01-01),
 * so that comparisons go by instant as in SQL Server; with utc, an offset
 * is applied (datetimeoffset), else dropped. Text that is not a date/time
 * comes back as it is. */
static void fn_dt(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
        const unsigned char *s = sqlite3_value_text(argv[0]);
        struct retl_mssql_dt dt;
        int64_t y, secs;
        unsigned m, d;
        char buf[64];

        if (sqlite3_value_type(argv[0]) != SQLITE_TEXT ||
            retl_mssql_dt_parse((const char *)s, (size_t)sqlite3_value_bytes(argv[0]), &dt)) {
                sqlite3_result_value(ctx, argv[0]);
                return;
        }
        if (!dt.dt_has_date)
                dt.dt_days = retl_mssql_days_from_civil(1900, 1, 1);
        if (argc > 1 && sqlite3_value_int(argv[1]) && dt.dt_has_offset) {
                dt.dt_ns -= (int64_t)dt.dt_offset_min * 60000000000LL;
                while (dt.dt_ns < 0) {
                        dt.dt_ns += 86400000000000LL;
                        dt.dt_days--;
                }
                while (dt.dt_ns >= 86400000000000LL) {
                        dt.dt_ns -= 86400000000000LL;
                        dt.dt_days++;
                }
        }
        retl_mssql_civil_from_days(dt.dt_days, &y, &m, &d);
        secs = dt.dt_ns / 1000000000LL;
        snprintf(buf, sizeof(buf), "%04lld-%02u-%02u %02lld:%02lld:%02lld.%07lld", (long long)y, m, d,
                 (long long)(secs / 3600), (long long)(secs / 60 % 60), (long long)(secs % 60),
                 (long long)(dt.dt_ns % 1000000000LL / 100));
        sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
}

/* COUNT_BIG(*) and COUNT_BIG(x): COUNT as a bigint (the typer types it). */
static void count_big_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
        sqlite3_int64 *n = sqlite3_aggregate_context(ctx, sizeof(*n));

        if (n && (argc == 0 || sqlite3_value_type(argv[0]) != SQLITE_NULL))
                (*n)++;
}

static void count_big_final(sqlite3_context *ctx)
{
        sqlite3_int64 *n = sqlite3_aggregate_context(ctx, 0);

        sqlite3_result_int64(ctx, n ? *n : 0);
}

/* @@TRANCOUNT: 1 inside a transaction, else 0. */
static void fn_trancount(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
        (void)argc;
        (void)argv;
        sqlite3_result_int(ctx, !sqlite3_get_autocommit(sqlite3_context_db_handle(ctx)));
}

static void fn_db_name(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
        (void)argv;
        if (argc > 0) {
                sqlite3_result_error(ctx, "retl:50000:16:retl-mssql-standin does not support DB_NAME with a database id.", -1);
                return;
        }
        sqlite3_result_text(ctx, (const char *)sqlite3_user_data(ctx), -1, SQLITE_STATIC);
}

int retl_mssql_register_db_name(sqlite3 *db, const char *name)
{
        int rc = sqlite3_create_function(db, "DB_NAME", 0, SQLITE_UTF8, (void *)name, fn_db_name,
                                         NULL, NULL);
        return rc ? rc : sqlite3_create_function(db, "DB_NAME", 1, SQLITE_UTF8, (void *)name,
                                                 fn_db_name, NULL, NULL);
}

int retl_mssql_register_functions(sqlite3 *db)
{
        static const struct {
                const char *name;
                int nargs;
                void (*fn)(sqlite3_context *, int, sqlite3_value **);
                intptr_t data;
                int det;
        } fns[] = {
                {"GETDATE", 0, fn_now, 0, 0},
                {"CURRENT_TIMESTAMP_MS", 0, fn_now, 0, 0},
                {"GETUTCDATE", 0, fn_now, 1, 0},
                {"SYSDATETIME", 0, fn_now, 2, 0},
                {"SYSUTCDATETIME", 0, fn_now, 3, 0},
                {"DATEDIFF", 3, fn_datediff, 0, 1},
                {"DATEDIFF_BIG", 3, fn_datediff, 1, 1},
                {"DATEADD", 3, fn_dateadd, 0, 1},
                {"LEN", 1, fn_len, 0, 1},
                {"NEWID", 0, fn_newid, 0, 0},
                {"RETL_FAIL_AT", 2, fn_fail_at, 0, 1},
                {"RETL_FAIL_AT", 3, fn_fail_at, 0, 1},
                {"SYSDATETIMEOFFSET", 0, fn_now, 6, 0},
                {"CONCAT", -1, fn_concat, 0, 1},
                {"CHARINDEX", 2, fn_charindex, 0, 1},
                {"CHARINDEX", 3, fn_charindex, 0, 1},
                {"RETL_LEFT", 2, fn_left_right, 0, 1},
                {"RETL_RIGHT", 2, fn_left_right, 1, 1},
                {"DATEPART", 2, fn_datepart, 0, 1},
                {"YEAR", 1, fn_datepart, 1, 1},
                {"MONTH", 1, fn_datepart, 2, 1},
                {"DAY", 1, fn_datepart, 3, 1},
                {"RETL_TRANCOUNT", 0, fn_trancount, 0, 0},
                {"RETL_DT", 1, fn_dt, 0, 1},
                {"RETL_DT", 2, fn_dt, 0, 1},
        };
        for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
                int rc = sqlite3_create_function(
                        db, fns[i].name, fns[i].nargs,
                        SQLITE_UTF8 | (fns[i].det ? SQLITE_DETERMINISTIC : 0),
                        (void *)fns[i].data, fns[i].fn, NULL, NULL);
                if (rc != SQLITE_OK)
                        return rc;
        }
        for (int nargs = 0; nargs <= 1; nargs++) {
                int rc = sqlite3_create_function(db, "COUNT_BIG", nargs, SQLITE_UTF8, NULL, NULL,
                                                 count_big_step, count_big_final);
                if (rc != SQLITE_OK)
                        return rc;
        }
        return retl_mssql_register_cast(db);
}
