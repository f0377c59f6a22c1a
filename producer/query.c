/* retl — query template and read-only rule, see query.h. */
#include "producer/query.h"
#include "lib/buf.h"
#include "lib/mem.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define QUERY_MAX (16 * 1024 * 1024)

int retl_query_render(const char *tmpl, int64_t last_sync_time, char **out, char *errstr,
                      size_t errstr_size)
{
        struct retl_buf b;
        const char *p = tmpl, *open;
        int line = 1;

        retl_buf_init(&b, QUERY_MAX);
        while ((open = strstr(p, "{{")) != NULL) {
                const char *q = open + 2, *close, *ns, *ne;

                for (const char *c = p; c < open; c++)
                        line += *c == '\n';
                close = strstr(q, "}}");
                if (!close) {
                        snprintf(errstr, errstr_size,
                                 "line %d: '{{' without '}}'; the only template is "
                                 "{{last_sync_time}}", line);
                        goto fail;
                }
                ns = q;
                while (ns < close && isspace((unsigned char)*ns))
                        ns++;
                ne = close;
                while (ne > ns && isspace((unsigned char)ne[-1]))
                        ne--;
                if ((size_t)(ne - ns) != strlen("last_sync_time") ||
                    strncmp(ns, "last_sync_time", (size_t)(ne - ns)) != 0) {
                        snprintf(errstr, errstr_size,
                                 "line %d: unknown template {{%.*s}}; the only template is "
                                 "{{last_sync_time}}", line, (int)(close - q > 60 ? 60 : close - q),
                                 q);
                        goto fail;
                }
                if (retl_buf_append(&b, p, (size_t)(open - p)) ||
                    retl_buf_printf(&b, "%lld", (long long)last_sync_time))
                        goto toobig;
                for (const char *c = open; c < close; c++)
                        line += *c == '\n';
                p = close + 2;
        }
        if (retl_buf_puts(&b, p))
                goto toobig;
        *out = retl_buf_take(&b, NULL);
        return 0;
toobig:
        snprintf(errstr, errstr_size, "the query is over %d bytes", QUERY_MAX);
fail:
        retl_buf_free(&b);
        *out = NULL;
        return -1;
}

/* ---------------------------------------------------------------- lexer */

enum tok_kind { T_END = 0, T_WORD, T_NUMBER, T_PUNCT, T_QUOTED };

struct tok {
        enum tok_kind kind;
        const char *p;
        size_t len;
        int line;
        char punct;
};

struct lexer {
        const char *p;
        int line;
        const char *err;        /* unterminated comment / literal */
        int err_line;
};

static void skip_space(struct lexer *lx)
{
        for (;;) {
                const char *p = lx->p;
                if (*p == '\n') {
                        lx->line++;
                        lx->p++;
                } else if (isspace((unsigned char)*p)) {
                        lx->p++;
                } else if (p[0] == '-' && p[1] == '-') {
                        while (*lx->p && *lx->p != '\n')
                                lx->p++;
                } else if (p[0] == '/' && p[1] == '*') {
                        /* T-SQL block comments nest */
                        int depth = 0, start = lx->line;
                        do {
                                if (lx->p[0] == '/' && lx->p[1] == '*') {
                                        depth++;
                                        lx->p += 2;
                                } else if (lx->p[0] == '*' && lx->p[1] == '/') {
                                        depth--;
                                        lx->p += 2;
                                } else if (!*lx->p) {
                                        lx->err = "a comment /* ... is not closed";
                                        lx->err_line = start;
                                        return;
                                } else {
                                        lx->line += *lx->p == '\n';
                                        lx->p++;
                                }
                        } while (depth > 0);
                } else {
                        return;
                }
        }
}

/* Skips a delimited run that ends at @p close, where a doubled close is an
 * escaped one. lx->p is at the opening character. */
static int skip_delimited(struct lexer *lx, char close, const char *what)
{
        int start = lx->line;

        lx->p++;
        for (;;) {
                if (!*lx->p) {
                        lx->err = what;
                        lx->err_line = start;
                        return -1;
                }
                if (*lx->p == close) {
                        if (lx->p[1] == close) {
                                lx->p += 2;
                                continue;
                        }
                        lx->p++;
                        return 0;
                }
                lx->line += *lx->p == '\n';
                lx->p++;
        }
}

static int is_word_start(char c)
{
        return isalpha((unsigned char)c) || c == '_' || c == '@' || c == '#' ||
               (unsigned char)c >= 0x80;
}

static int is_word_char(char c)
{
        return is_word_start(c) || isdigit((unsigned char)c) || c == '$';
}

static void next_tok(struct lexer *lx, struct tok *t)
{
        skip_space(lx);
        t->line = lx->line;
        t->p = lx->p;
        t->len = 0;
        t->punct = 0;
        if (lx->err || !*lx->p) {
                t->kind = T_END;
                return;
        }
        if ((lx->p[0] == 'N' || lx->p[0] == 'n') && lx->p[1] == '\'') {
                lx->p++;
                t->kind = T_QUOTED;
                skip_delimited(lx, '\'', "a string literal '... is not closed");
        } else if (*lx->p == '\'') {
                t->kind = T_QUOTED;
                skip_delimited(lx, '\'', "a string literal '... is not closed");
        } else if (*lx->p == '[') {
                t->kind = T_QUOTED;
                skip_delimited(lx, ']', "a [bracketed identifier is not closed");
        } else if (*lx->p == '"') {
                t->kind = T_QUOTED;
                skip_delimited(lx, '"', "a \"quoted identifier is not closed");
        } else if (is_word_start(*lx->p)) {
                t->kind = T_WORD;
                while (is_word_char(*lx->p))
                        lx->p++;
        } else if (isdigit((unsigned char)*lx->p) ||
                   (*lx->p == '.' && isdigit((unsigned char)lx->p[1]))) {
                t->kind = T_NUMBER;
                while (isalnum((unsigned char)*lx->p) || *lx->p == '.')
                        lx->p++;
        } else {
                t->kind = T_PUNCT;
                t->punct = *lx->p++;
        }
        t->len = (size_t)(lx->p - t->p);
}

static int is_kw(const struct tok *t, const char *kw)
{
        return t->kind == T_WORD && strlen(kw) == t->len && !strncasecmp(t->p, kw, t->len);
}

/* Keywords that have no place in a read-only SELECT, with why. */
static const struct {
        const char *kw;
        const char *why;
} forbidden[] = {
        {"INSERT", "changes data"}, {"UPDATE", "changes data"}, {"DELETE", "changes data"},
        {"MERGE", "changes data"}, {"TRUNCATE", "changes data"}, {"INTO", "writes a table (SELECT ... INTO)"},
        {"EXEC", "runs a procedure"}, {"EXECUTE", "runs a procedure"},
        {"DROP", "changes the schema"}, {"ALTER", "changes the schema"},
        {"CREATE", "changes the schema"}, {"GRANT", "changes permissions"},
        {"REVOKE", "changes permissions"}, {"DENY", "changes permissions"},
        {"BULK", "loads data"}, {"BACKUP", "is administration"}, {"RESTORE", "is administration"},
        {"DBCC", "is administration"}, {"KILL", "is administration"},
        {"SHUTDOWN", "is administration"}, {"RECONFIGURE", "is administration"},
        {"USE", "changes the session"}, {"SET", "changes the session"},
        {"DECLARE", "is a batch statement"}, {"BEGIN", "is a batch statement"},
        {"COMMIT", "is a batch statement"}, {"ROLLBACK", "is a batch statement"},
        {"SAVE", "is a batch statement"}, {"GO", "is a batch separator"},
        {"PRINT", "is a batch statement"}, {"RAISERROR", "is a batch statement"},
        {"THROW", "is a batch statement"}, {"WAITFOR", "is a batch statement"},
        {"OPENROWSET", "reaches other servers"}, {"OPENQUERY", "reaches other servers"},
        {"OPENDATASOURCE", "reaches other servers"},
};

int retl_query_check(const char *sql, struct retl_query_info *info, char *errstr,
                     size_t errstr_size)
{
        struct lexer lx = {.p = sql, .line = 1};
        struct tok t, prev = {0}, prev2 = {0}, first = {0};
        int ntok = 0, has_star = 0, depth = 0;

        for (;;) {
                next_tok(&lx, &t);
                if (t.kind == T_END)
                        break;
                if (ntok++ == 0)
                        first = t;
                if (t.kind == T_PUNCT && t.punct == '(')
                        depth++;
                else if (t.kind == T_PUNCT && t.punct == ')')
                        depth--;
                if (t.kind == T_PUNCT && t.punct == ';') {
                        struct tok rest;
                        int line = t.line;
                        /* a trailing ';' (then comments or ';') is harmless */
                        do
                                next_tok(&lx, &rest);
                        while (rest.kind == T_PUNCT && rest.punct == ';');
                        if (rest.kind != T_END) {
                                snprintf(errstr, errstr_size,
                                         "line %d: the query must be a single SELECT; ';' "
                                         "starts another statement (%.*s...)", line,
                                         (int)(rest.len > 20 ? 20 : rest.len), rest.p);
                                return -1;
                        }
                        break;
                }
                if (t.kind == T_WORD) {
                        for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++)
                                if (is_kw(&t, forbidden[i].kw)) {
                                        snprintf(errstr, errstr_size,
                                                 "line %d: the query must be read-only "
                                                 "(a single SELECT); %s %s", t.line,
                                                 forbidden[i].kw, forbidden[i].why);
                                        return -1;
                                }
                }
                if (t.kind == T_PUNCT && t.punct == '*' &&
                    (is_kw(&prev, "SELECT") || is_kw(&prev, "DISTINCT") || is_kw(&prev, "ALL") ||
                     (prev.kind == T_PUNCT && (prev.punct == ',' || prev.punct == '.')) ||
                     (prev.kind == T_NUMBER && is_kw(&prev2, "TOP")) || is_kw(&prev, "PERCENT") ||
                     is_kw(&prev, "TIES")))
                        has_star = 1;
                prev2 = prev;
                prev = t;
        }
        if (lx.err) {
                snprintf(errstr, errstr_size, "line %d: %s", lx.err_line, lx.err);
                return -1;
        }
        if (ntok == 0 || (first.kind == T_PUNCT && first.punct == ';')) {
                snprintf(errstr, errstr_size, "the query is empty");
                return -1;
        }
        if (!(is_kw(&first, "SELECT") || is_kw(&first, "WITH") ||
              (first.kind == T_PUNCT && first.punct == '('))) {
                snprintf(errstr, errstr_size,
                         "line %d: the query must be a single SELECT (or WITH ... SELECT); it "
                         "starts with '%.*s'", first.line, (int)(first.len > 30 ? 30 : first.len),
                         first.p);
                return -1;
        }
        if (depth != 0) {
                snprintf(errstr, errstr_size, "the query's parentheses do not balance");
                return -1;
        }
        if (info)
                info->has_star = has_star;
        return 0;
}

int64_t retl_query_watermark(int64_t last_sync_time, int64_t overlap_s)
{
        if (last_sync_time <= 0)
                return 0;
        return last_sync_time > overlap_s ? last_sync_time - overlap_s : 0;
}

int retl_query_check_template(const char *tmpl, char *errstr, size_t errstr_size)
{
        char *sql = NULL;
        int rc = retl_query_render(tmpl, 0, &sql, errstr, errstr_size) ||
                         retl_query_check(sql, NULL, errstr, errstr_size)
                 ? -1
                 : 0;
        free(sql);
        return rc;
}
