/* retl-mssql-standin — the T-SQL rewriter: a batch's SQL Server syntax
 * turned into SQLite's (TOP, [brackets], N'', dbo., table hints...). */
#include "sandbox/mssql/tsql_rewrite.h"
#include "sandbox/mssql/wire.h"

#include "mem.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_DEPTH 64

struct rw {
        const char *s;
        size_t n, i;
        struct retl_wbuf out;
        char *limit[MAX_DEPTH]; /* TOP waiting for the end of its SELECT */
        int depth;
        char last_word[32]; /* previous keyword, uppercase; "" after others */
        unsigned char cast_at[MAX_DEPTH]; /* a CAST( opened at this depth: AS ends x */
        char prev_sig;      /* the last non-blank character written */
        int quoted_off;     /* SET QUOTED_IDENTIFIER OFF: "x" is a string */
};

static int is_cmp(char c)
{
        return c == '=' || c == '<' || c == '>' || c == '!';
}

/* The next non-blank input character from j. */
static char next_sig(const struct rw *rw, size_t j)
{
        while (j < rw->n && isspace((unsigned char)rw->s[j]))
                j++;
        return j < rw->n ? rw->s[j] : '\0';
}

/* 'YYYY-MM-DDThh:mm…' (ISO 8601 with a T): SQL Server reads it as the same
 * instant as with a space, and the stand-in stores the space form. */
static int is_iso_t(const char *p, size_t n)
{
        static const char pat[] = "dddd-dd-ddTdd:dd";
        if (n < sizeof(pat) - 1)
                return 0;
        for (size_t i = 0; i < sizeof(pat) - 1; i++)
                if (pat[i] == 'd' ? !isdigit((unsigned char)p[i]) : p[i] != pat[i])
                        return 0;
        return 1;
}

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

/* A string literal at rw->i. Next to a comparison operator it gets
 * COLLATE NOCASE (Latin1_General_CI_AS compares case-insensitively), and a
 * date-time written with a T is written with a space. */
static void copy_string(struct rw *rw)
{
        size_t start = rw->i, at = rw->out.wb_len;
        int cmp;

        copy_quoted(rw, '\'');
        cmp = is_cmp(rw->prev_sig) || is_cmp(next_sig(rw, rw->i));
        if (!cmp)
                return;
        if (is_iso_t(rw->s + start + 1, rw->i - start - 1))
                rw->out.wb_data[at + 11] = ' ';
        emits(rw, " COLLATE NOCASE");
}

/* "x" under QUOTED_IDENTIFIER OFF: the string 'x'. */
static void copy_dq_string(struct rw *rw)
{
        size_t j = rw->i + 1;

        emits(rw, "'");
        while (j < rw->n) {
                if (rw->s[j] == '"') {
                        if (j + 1 < rw->n && rw->s[j + 1] == '"') {
                                emits(rw, "\"");
                                j += 2;
                                continue;
                        }
                        j++;
                        break;
                }
                if (rw->s[j] == '\'')
                        emits(rw, "''");
                else
                        emit(rw, rw->s + j, 1);
                j++;
        }
        emits(rw, "'");
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

/* Opens the call of the SQLite function standing in for T-SQL's @p w
 * (CAST → RETL_CAST, LEFT → RETL_LEFT...); the '(' counts as the main
 * loop counts it. */
static void open_call(struct rw *rw, const char *w)
{
        if (rw->depth + 1 < MAX_DEPTH && rw->limit[rw->depth + 1]) {
                free(rw->limit[rw->depth + 1]);
                rw->limit[rw->depth + 1] = NULL;
        }
        rw->depth++;
        if (rw->depth < MAX_DEPTH)
                rw->cast_at[rw->depth] = 0;
        emits(rw, "RETL_");
        emits(rw, strcmp(w, "TRY_CONVERT") == 0 ? "TRY_CONVERT" : w);
        emits(rw, "(");
}

static void rewrite_word(struct rw *rw, int spid)
{
        char w[32];
        size_t len = peek_word(rw, rw->i, w, sizeof(w)), j = rw->i + len;
        size_t k;

        if (strcmp(w, "N") == 0 && j < rw->n && rw->s[j] == '\'') {
                /* SQLite has no N'': the comment tells the typer it is nvarchar */
                rw->i = j;
                emits(rw, "/*N*/");
                copy_string(rw);
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
        if (strcmp(w, "AS") == 0 && rw->depth < MAX_DEPTH && rw->cast_at[rw->depth]) {
                /* CAST(x AS type) → RETL_CAST(x, 'type') */
                size_t t0 = j, e = j, t1;
                int lvl = 0;
                while (e < rw->n && !(rw->s[e] == ')' && lvl == 0)) {
                        lvl += rw->s[e] == '(' ? 1 : rw->s[e] == ')' ? -1 : 0;
                        e++;
                }
                while (t0 < e && isspace((unsigned char)rw->s[t0]))
                        t0++;
                for (t1 = e; t1 > t0 && isspace((unsigned char)rw->s[t1 - 1]);)
                        t1--;
                emits(rw, ", '");
                for (size_t q = t0; q < t1; q++)
                        if (rw->s[q] != '[' && rw->s[q] != ']' && rw->s[q] != '\'')
                                emit(rw, rw->s + q, 1);
                emits(rw, "'");
                rw->cast_at[rw->depth] = 0;
                rw->i = e;
                return;
        }
        k = j;
        skip_space(rw, &k);
        if (k < rw->n && rw->s[k] == '(' &&
            (strcmp(w, "CAST") == 0 || strcmp(w, "TRY_CAST") == 0 || strcmp(w, "CONVERT") == 0 ||
             strcmp(w, "TRY_CONVERT") == 0 || strcmp(w, "LEFT") == 0 || strcmp(w, "RIGHT") == 0)) {
                open_call(rw, w);
                if (strcmp(w, "CAST") == 0 || strcmp(w, "TRY_CAST") == 0) {
                        rw->cast_at[rw->depth] = 1;
                        rw->i = k + 1;
                } else if (strcmp(w, "CONVERT") == 0 || strcmp(w, "TRY_CONVERT") == 0) {
                        /* CONVERT(type, x [, style]) → RETL_CONVERT('type', x [, style]) */
                        size_t e = k + 1;
                        int lvl = 0;
                        while (e < rw->n && !(lvl == 0 && (rw->s[e] == ',' || rw->s[e] == ')'))) {
                                lvl += rw->s[e] == '(' ? 1 : rw->s[e] == ')' ? -1 : 0;
                                e++;
                        }
                        emits(rw, "'");
                        for (size_t q = k + 1; q < e; q++)
                                if (rw->s[q] != '[' && rw->s[q] != ']' && rw->s[q] != '\'' &&
                                    !(isspace((unsigned char)rw->s[q]) && (q == k + 1 || q + 1 == e)))
                                        emit(rw, rw->s + q, 1);
                        emits(rw, "'");
                        rw->i = e;
                } else {
                        rw->i = k + 1;
                }
                rw->last_word[0] = '\0';
                return;
        }
        {
                char w2[32] = "";
                k = j;
                skip_space(rw, &k);
                peek_word(rw, k, w2, sizeof(w2));
                if ((strcmp(w, "IN") == 0 || (strcmp(w, "NOT") == 0 && strcmp(w2, "IN") == 0)) &&
                    (isalnum((unsigned char)rw->prev_sig) || rw->prev_sig == '"' ||
                     rw->prev_sig == ')' || rw->prev_sig == '_') &&
                    strcmp(rw->last_word, "WHERE") != 0 && strcmp(rw->last_word, "AND") != 0 &&
                    strcmp(rw->last_word, "OR") != 0 && strcmp(rw->last_word, "NOT") != 0)
                        /* x IN ('a'): the left side's collation decides */
                        emits(rw, rw->out.wb_len && isspace(rw->out.wb_data[rw->out.wb_len - 1])
                                          ? "COLLATE NOCASE "
                                          : " COLLATE NOCASE ");
        }
        rw->i = j;
        snprintf(rw->last_word, sizeof(rw->last_word), "%s", w);
        if (w[0] == '@' && w[1] != '@' &&
            (is_cmp(rw->prev_sig) || is_cmp(next_sig(rw, j)))) {
                /* a parameter compared: case-insensitive, as a literal */
                emit(rw, rw->s + j - len, len);
                emits(rw, " COLLATE NOCASE");
                return;
        }
        if (strcmp(w, "@@TRANCOUNT") == 0) {
                emits(rw, "RETL_TRANCOUNT()");
                return;
        }
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
                   strcmp(w, "DATEADD") == 0 || strcmp(w, "DATEPART") == 0) {
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
        return retl_mssql_rewrite_opts(sql, len, spid, 1);
}

char *retl_mssql_rewrite_opts(const char *sql, size_t len, int spid, int quoted_identifier)
{
        struct rw rw;
        char *res;

        memset(&rw, 0, sizeof(rw));
        rw.s = sql;
        rw.n = len;
        rw.quoted_off = !quoted_identifier;
        retl_wbuf_init(&rw.out, 0);
        while (rw.i < rw.n) {
                unsigned char c = (unsigned char)rw.s[rw.i];
                size_t e;

                for (size_t k = rw.out.wb_len; k-- > 0;) {
                        if (!isspace(rw.out.wb_data[k])) {
                                rw.prev_sig = (char)rw.out.wb_data[k];
                                break;
                        }
                }
                if (c == '\'' ) {
                        copy_string(&rw);
                        rw.last_word[0] = '\0';
                } else if (c == '"' && rw.quoted_off) {
                        copy_dq_string(&rw);
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
                        if (rw.depth < MAX_DEPTH)
                                rw.cast_at[rw.depth] = 0;
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
