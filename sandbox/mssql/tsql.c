/* retl-mssql-standin — T-SQL on SQLite, see tsql.h. */
#include "sandbox/mssql/tsql.h"

#include "mem.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

__extension__ typedef __int128 i128;

/* ------------------------------------------------------------ rewrite */

#define MAX_DEPTH 64

struct rw {
        const char *s;
        size_t n, i;
        struct retl_wbuf out;
        char *limit[MAX_DEPTH]; /* TOP waiting for the end of its SELECT */
        int depth;
        char last_word[32]; /* previous keyword, uppercase; "" after others */
};

static int is_ident_start(int c)
{
        return isalpha(c) || c == '_' || c == '@' || c == '#' || c >= 0x80;
}

static int is_ident_char(int c)
{
        return isalnum(c) || c == '_' || c == '@' || c == '#' || c == '$' || c >= 0x80;
}

static void emit(struct rw *rw, const char *p, size_t n)
{
        retl_wbuf_put(&rw->out, p, n);
}

static void emits(struct rw *rw, const char *p)
{
        emit(rw, p, strlen(p));
}

static void skip_space(struct rw *rw, size_t *j)
{
        while (*j < rw->n && isspace((unsigned char)rw->s[*j]))
                (*j)++;
}

/* Reads a plain word at *j into w (uppercase); returns its length. */
static size_t peek_word(const struct rw *rw, size_t j, char *w, size_t w_size)
{
        size_t k = 0;

        if (j >= rw->n || !is_ident_start((unsigned char)rw->s[j]))
                return 0;
        while (j + k < rw->n && is_ident_char((unsigned char)rw->s[j + k])) {
                if (k + 1 < w_size)
                        w[k] = (char)toupper((unsigned char)rw->s[j + k]);
                k++;
        }
        w[k + 1 < w_size ? k : w_size - 1] = '\0';
        return k;
}

/* Copies a quoted run ('…', "…", [...]) starting at rw->i. */
static void copy_quoted(struct rw *rw, char close)
{
        size_t j = rw->i + 1;

        while (j < rw->n) {
                if (rw->s[j] == close) {
                        if (j + 1 < rw->n && rw->s[j + 1] == close) {
                                j += 2;
                                continue;
                        }
                        j++;
                        break;
                }
                j++;
        }
        emit(rw, rw->s + rw->i, j - rw->i);
        rw->i = j;
}

/* [a]]b] → "a]b"; the closing bracket doubled means a literal one. */
static void copy_bracketed(struct rw *rw)
{
        size_t j = rw->i + 1;

        emits(rw, "\"");
        while (j < rw->n) {
                char c = rw->s[j];
                if (c == ']') {
                        if (j + 1 < rw->n && rw->s[j + 1] == ']') {
                                emits(rw, "]");
                                j += 2;
                                continue;
                        }
                        j++;
                        break;
                }
                if (c == '"')
                        emits(rw, "\"\"");
                else
                        emit(rw, &c, 1);
                j++;
        }
        emits(rw, "\"");
        rw->i = j;
}

static void flush_limit(struct rw *rw)
{
        if (rw->depth < MAX_DEPTH && rw->limit[rw->depth]) {
                emits(rw, "\nLIMIT ");
                emits(rw, rw->limit[rw->depth]);
                free(rw->limit[rw->depth]);
                rw->limit[rw->depth] = NULL;
        }
}

/* Is "dbo" (plain or bracketed) at j followed by a dot? Then skip it. */
static int skip_dbo(struct rw *rw)
{
        size_t j = rw->i;

        if (j + 3 < rw->n && strncasecmp(rw->s + j, "dbo.", 4) == 0 &&
            (j == 0 || !is_ident_char((unsigned char)rw->s[j - 1]))) {
                rw->i += 4;
                return 1;
        }
        if (j + 5 < rw->n && strncasecmp(rw->s + j, "[dbo].", 6) == 0) {
                rw->i += 6;
                return 1;
        }
        return 0;
}

static const char *const table_hints[] = {
        "NOLOCK", "READUNCOMMITTED", "READCOMMITTED", "READPAST", "ROWLOCK",
        "PAGLOCK", "TABLOCK", "TABLOCKX", "UPDLOCK", "HOLDLOCK", "XLOCK",
        "NOWAIT", "SERIALIZABLE", "REPEATABLEREAD", "SNAPSHOT", NULL,
};

/* At '(' (j): a table hint list? Returns the index after ')' or 0. */
static size_t hint_list_end(const struct rw *rw, size_t j)
{
        char w[32];
        size_t k;

        if (j >= rw->n || rw->s[j] != '(')
                return 0;
        k = j + 1;
        while (k < rw->n && isspace((unsigned char)rw->s[k]))
                k++;
        if (!peek_word(rw, k, w, sizeof(w)))
                return 0;
        for (int h = 0; table_hints[h]; h++) {
                if (strcmp(w, table_hints[h]) == 0) {
                        while (k < rw->n && rw->s[k] != ')')
                                k++;
                        return k < rw->n ? k + 1 : 0;
                }
        }
        return 0;
}

/* TOP after SELECT [DISTINCT|ALL]: "TOP (expr)" or "TOP n", not PERCENT
 * or WITH TIES (left for SQLite to reject). */
static int take_top(struct rw *rw, size_t after)
{
        size_t j = after, start, end;
        char w[32];
        int lvl;

        skip_space(rw, &j);
        if (j < rw->n && rw->s[j] == '(') {
                start = j;
                lvl = 0;
                for (; j < rw->n; j++) {
                        if (rw->s[j] == '(')
                                lvl++;
                        else if (rw->s[j] == ')' && --lvl == 0)
                                break;
                }
                if (j >= rw->n)
                        return 0;
                end = ++j;
        } else {
                start = j;
                while (j < rw->n && isdigit((unsigned char)rw->s[j]))
                        j++;
                if (j == start)
                        return 0;
                end = j;
        }
        {
                size_t k = j;
                skip_space(rw, &k);
                if (peek_word(rw, k, w, sizeof(w)) &&
                    (strcmp(w, "PERCENT") == 0 || strcmp(w, "WITH") == 0))
                        return 0;
        }
        if (rw->depth >= MAX_DEPTH || rw->limit[rw->depth])
                return 0;
        rw->limit[rw->depth] = retl_strndup(rw->s + start, end - start);
        rw->i = end;
        return 1;
}

static void rewrite_word(struct rw *rw, int spid)
{
        char w[32];
        size_t len = peek_word(rw, rw->i, w, sizeof(w)), j = rw->i + len;
        size_t k;

        if (strcmp(w, "N") == 0 && j < rw->n && rw->s[j] == '\'') {
                rw->i = j;
                copy_quoted(rw, '\'');
                rw->last_word[0] = '\0';
                return;
        }
        if (strcmp(w, "TOP") == 0 &&
            (strcmp(rw->last_word, "SELECT") == 0 || strcmp(rw->last_word, "DISTINCT") == 0 ||
             strcmp(rw->last_word, "ALL") == 0) &&
            take_top(rw, j)) {
                rw->last_word[0] = '\0';
                return;
        }
        if (strcmp(w, "WITH") == 0) {
                k = j;
                skip_space(rw, &k);
                if ((k = hint_list_end(rw, k))) {
                        rw->i = k;
                        return;
                }
        }
        rw->i = j;
        snprintf(rw->last_word, sizeof(rw->last_word), "%s", w);
        if (strcmp(w, "ISNULL") == 0) {
                k = j;
                skip_space(rw, &k);
                if (k < rw->n && rw->s[k] == '(') {
                        emits(rw, "IFNULL");
                        return;
                }
        } else if (strcmp(w, "TRAN") == 0) {
                emits(rw, "TRANSACTION");
                return;
        } else if (strcmp(w, "@@VERSION") == 0) {
                emits(rw, "'Microsoft SQL Server 2019 (retl SQLite stand-in) - 15.0.2000.5'");
                return;
        } else if (strcmp(w, "@@SPID") == 0) {
                char num[16];
                snprintf(num, sizeof(num), "%d", spid);
                emits(rw, num);
                return;
        } else if (strcmp(w, "DATEDIFF") == 0 || strcmp(w, "DATEDIFF_BIG") == 0 ||
                   strcmp(w, "DATEADD") == 0) {
                /* The datepart is a bare word in T-SQL: quote it. */
                char part[32];
                size_t plen;
                k = j;
                skip_space(rw, &k);
                if (k < rw->n && rw->s[k] == '(') {
                        size_t p0 = k + 1;
                        skip_space(rw, &p0);
                        plen = peek_word(rw, p0, part, sizeof(part));
                        if (plen) {
                                /* the '(' is ours to count, as in the main loop */
                                if (rw->depth + 1 < MAX_DEPTH && rw->limit[rw->depth + 1]) {
                                        free(rw->limit[rw->depth + 1]);
                                        rw->limit[rw->depth + 1] = NULL;
                                }
                                rw->depth++;
                                emit(rw, rw->s + rw->i - len, len);
                                emit(rw, rw->s + j, p0 - j);
                                emits(rw, "'");
                                emit(rw, rw->s + p0, plen);
                                emits(rw, "'");
                                rw->i = p0 + plen;
                                return;
                        }
                }
        }
        emit(rw, rw->s + j - len, len);
}

char *retl_mssql_rewrite(const char *sql, size_t len, int spid)
{
        struct rw rw;
        char *res;

        memset(&rw, 0, sizeof(rw));
        rw.s = sql;
        rw.n = len;
        retl_wbuf_init(&rw.out, 0);
        while (rw.i < rw.n) {
                unsigned char c = (unsigned char)rw.s[rw.i];
                size_t e;

                if (c == '\'' ) {
                        copy_quoted(&rw, '\'');
                        rw.last_word[0] = '\0';
                } else if (c == '"') {
                        copy_quoted(&rw, '"');
                        rw.last_word[0] = '\0';
                } else if (c == '[') {
                        if (!skip_dbo(&rw)) {
                                copy_bracketed(&rw);
                                rw.last_word[0] = '\0';
                        }
                } else if (c == '-' && rw.i + 1 < rw.n && rw.s[rw.i + 1] == '-') {
                        e = rw.i;
                        while (e < rw.n && rw.s[e] != '\n')
                                e++;
                        emit(&rw, rw.s + rw.i, e - rw.i);
                        rw.i = e;
                } else if (c == '/' && rw.i + 1 < rw.n && rw.s[rw.i + 1] == '*') {
                        const char *end = strstr(rw.s + rw.i + 2, "*/");
                        e = end && (size_t)(end - rw.s) < rw.n ? (size_t)(end - rw.s) + 2 : rw.n;
                        emit(&rw, rw.s + rw.i, e - rw.i);
                        rw.i = e;
                } else if (is_ident_start(c)) {
                        if (!skip_dbo(&rw))
                                rewrite_word(&rw, spid);
                } else if (isdigit(c)) {
                        e = rw.i;
                        while (e < rw.n && (isalnum((unsigned char)rw.s[e]) || rw.s[e] == '.'))
                                e++;
                        emit(&rw, rw.s + rw.i, e - rw.i);
                        rw.i = e;
                        rw.last_word[0] = '\0';
                } else if (c == '(') {
                        if ((e = hint_list_end(&rw, rw.i))) {
                                rw.i = e; /* bare (NOLOCK) */
                                continue;
                        }
                        if (rw.depth + 1 < MAX_DEPTH && rw.limit[rw.depth + 1]) {
                                free(rw.limit[rw.depth + 1]);
                                rw.limit[rw.depth + 1] = NULL;
                        }
                        rw.depth++;
                        emit(&rw, "(", 1);
                        rw.i++;
                        rw.last_word[0] = '\0';
                } else if (c == ')') {
                        flush_limit(&rw);
                        if (rw.depth > 0)
                                rw.depth--;
                        emit(&rw, ")", 1);
                        rw.i++;
                        rw.last_word[0] = '\0';
                } else if (c == ';') {
                        flush_limit(&rw);
                        rw.depth = 0;
                        emit(&rw, ";", 1);
                        rw.i++;
                        rw.last_word[0] = '\0';
                } else {
                        emit(&rw, (const char *)&c, 1);
                        rw.i++;
                        if (!isspace(c))
                                rw.last_word[0] = '\0';
                }
        }
        rw.depth = 0;
        flush_limit(&rw);
        for (int d = 0; d < MAX_DEPTH; d++)
                free(rw.limit[d]);
        retl_wbuf_u8(&rw.out, 0);
        if (rw.out.wb_over) {
                retl_wbuf_free(&rw.out);
                return retl_strdup("");
        }
        res = (char *)rw.out.wb_data;
        return res;
}

/* ------------------------------------------------------------ functions */

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
                snprintf(buf + n, sizeof(buf) - n, ".%07ld", ts.tv_nsec / 100);
        else
                snprintf(buf + n, sizeof(buf) - n, ".%03ld", ts.tv_nsec / 1000000);
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
        if (retl_mssql_dt_parse((const char *)s, (size_t)sqlite3_value_bytes(argv[2]), &dt) ||
            n > 100000000 || n < -100000000) {
                sqlite3_result_error(ctx, "retl:241:16:Conversion failed when converting date and/or time from character string.", -1);
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
        };
        for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
                int rc = sqlite3_create_function(
                        db, fns[i].name, fns[i].nargs,
                        SQLITE_UTF8 | (fns[i].det ? SQLITE_DETERMINISTIC : 0),
                        (void *)fns[i].data, fns[i].fn, NULL, NULL);
                if (rc != SQLITE_OK)
                        return rc;
        }
        return SQLITE_OK;
}

/* ------------------------------------------------------------ errors */

static void err_set(struct retl_mssql_error *err, int number, int severity,
                    const char *fmt, const char *arg, int arg_len)
{
        err->me_number = number;
        err->me_severity = severity;
        err->me_state = 1;
        snprintf(err->me_msg, sizeof(err->me_msg), fmt, arg_len, arg);
}

void retl_mssql_map_error(int rc, const char *msg, struct retl_mssql_error *err)
{
        const char *p;

        if (!msg)
                msg = "unknown error";
        if (strncmp(msg, "retl:", 5) == 0) {
                int number = 0, severity = 16, used = 0;
                if (sscanf(msg + 5, "%d:%d:%n", &number, &severity, &used) >= 2 && used) {
                        err_set(err, number, severity, "%.*s", msg + 5 + used,
                                (int)strlen(msg + 5 + used));
                        return;
                }
        }
        if ((p = strstr(msg, "near \"")) && strstr(msg, "syntax error")) {
                const char *q = p + 6, *e = strstr(q, "\": syntax error");
                int n = e ? (int)(e - q) : (int)strlen(q);
                err_set(err, 102, 15, "Incorrect syntax near '%.*s'.", q, n);
        } else if (strstr(msg, "incomplete input")) {
                err_set(err, 102, 15, "Incorrect syntax near the end of the batch.%.*s", "", 0);
        } else if (strncmp(msg, "no such table: ", 15) == 0) {
                err_set(err, 208, 16, "Invalid object name '%.*s'.", msg + 15,
                        (int)strlen(msg + 15));
        } else if (strncmp(msg, "no such column: ", 16) == 0) {
                err_set(err, 207, 16, "Invalid column name '%.*s'.", msg + 16,
                        (int)strlen(msg + 16));
        } else if (strncmp(msg, "no such function: ", 18) == 0) {
                err_set(err, 195, 15, "'%.*s' is not a recognized built-in function name.",
                        msg + 18, (int)strlen(msg + 18));
        } else if (strncmp(msg, "UNIQUE constraint failed: ", 26) == 0) {
                err_set(err, 2627, 14,
                        "Violation of UNIQUE KEY constraint. Cannot insert duplicate key (%.*s).",
                        msg + 26, (int)strlen(msg + 26));
        } else if (strncmp(msg, "NOT NULL constraint failed: ", 28) == 0) {
                err_set(err, 515, 16,
                        "Cannot insert the value NULL into column '%.*s'; column does not allow nulls.",
                        msg + 28, (int)strlen(msg + 28));
        } else if (strncmp(msg, "table ", 6) == 0 && strstr(msg, "already exists")) {
                err_set(err, 2714, 16, "There is already an object named '%.*s' in the database.",
                        msg + 6, (int)(strstr(msg, " already exists") - (msg + 6)));
        } else {
                err_set(err, 50000, 16, "%.*s", msg, (int)strlen(msg));
        }
        (void)rc;
}
