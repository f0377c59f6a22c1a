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
