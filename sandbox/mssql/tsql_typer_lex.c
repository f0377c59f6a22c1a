/* retl-mssql-standin — the expression typer's tokens (T-SQL words, names,
 * strings, numbers, parameters, operators), the tests on them, the reason
 * a type is unknown, and the patches made to the statement. */
#include "sandbox/mssql/tsql_typer_int.h"

#include "mem.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------ tokens */

static const char *const multi_ops[] = {"||", "<=", ">=", "<>", "!=", "==", "<<", ">>", NULL};

void ty_tokenize(struct ctx *c)
{
        const char *s = c->sql;
        size_t i = 0, n = strlen(s), cap = 64;
        int wide = 0; /* the comment just read was the N marker */

        c->toks = retl_malloc(cap * sizeof(*c->toks));
        c->ntoks = 0;
        while (i < n) {
                struct tok t = {T_OP, i, 1, 0};
                unsigned char ch = (unsigned char)s[i];
                if (isspace(ch)) {
                        i++;
                        continue;
                }
                if (ch == '-' && s[i + 1] == '-') {
                        while (i < n && s[i] != '\n')
                                i++;
                        continue;
                }
                if (ch == '/' && s[i + 1] == '*') {
                        const char *e = strstr(s + i + 2, "*/");
                        wide = strncmp(s + i, "/*N*/", 5) == 0;
                        i = e ? (size_t)(e - s) + 2 : n;
                        continue;
                }
                if (ch == '\'' || ch == '"') {
                        size_t j = i + 1;
                        while (j < n && !(s[j] == (char)ch && s[j + 1] != (char)ch))
                                j += s[j] == (char)ch ? 2 : 1;
                        t.t_kind = ch == '\'' ? T_STRING : T_QIDENT;
                        t.t_len = (j < n ? j + 1 : n) - i;
                        t.t_wide = wide && ch == '\'';
                } else if (isdigit(ch) || (ch == '.' && isdigit((unsigned char)s[i + 1]))) {
                        size_t j = i;
                        while (j < n && (isalnum((unsigned char)s[j]) || s[j] == '.' ||
                                         ((s[j] == '+' || s[j] == '-') &&
                                          (s[j - 1] == 'e' || s[j - 1] == 'E'))))
                                j++;
                        t.t_kind = T_NUMBER;
                        t.t_len = j - i;
                } else if (ch == '@' || ch == '?' || ch == ':' || ch == '$') {
                        size_t j = i + 1;
                        while (j < n && (isalnum((unsigned char)s[j]) || s[j] == '_' || s[j] == '@'))
                                j++;
                        t.t_kind = T_PARAM;
                        t.t_len = j - i;
                } else if (isalpha(ch) || ch == '_' || ch >= 0x80) {
                        size_t j = i;
                        while (j < n && (isalnum((unsigned char)s[j]) || s[j] == '_' || s[j] == '$' ||
                                         s[j] == '#' || (unsigned char)s[j] >= 0x80))
                                j++;
                        t.t_kind = T_IDENT;
                        t.t_len = j - i;
                } else {
                        for (int k = 0; multi_ops[k]; k++)
                                if (strncmp(s + i, multi_ops[k], 2) == 0)
                                        t.t_len = 2;
                }
                if ((size_t)c->ntoks + 3 >= cap) {
                        cap *= 2;
                        c->toks = retl_realloc(c->toks, cap * sizeof(*c->toks));
                }
                c->toks[c->ntoks++] = t;
                i += t.t_len;
                wide = 0;
        }
        /* three ends, so that looking two tokens ahead stays inside */
        for (int k = 0; k < 3; k++)
                c->toks[c->ntoks + k] = (struct tok){T_END, n, 0, 0};
}

const struct tok *ty_peek(const struct ctx *c, int k)
{
        int i = c->pos + k;
        return &c->toks[i < c->ntoks ? i : c->ntoks];
}

int ty_tok_is(const struct ctx *c, const struct tok *t, const char *w)
{
        size_t n = strlen(w);
        return (t->t_kind == T_IDENT || t->t_kind == T_OP) && t->t_len == n &&
               strncasecmp(c->sql + t->t_at, w, n) == 0;
}

int ty_at(const struct ctx *c, const char *w)
{
        return ty_tok_is(c, ty_peek(c, 0), w);
}

/* Skips a balanced (...) starting at the current '('. */
void ty_skip_parens(struct ctx *c)
{
        int depth = 0;

        do {
                if (ty_at(c, "("))
                        depth++;
                else if (ty_at(c, ")"))
                        depth--;
                c->pos++;
        } while (depth > 0 && ty_peek(c, 0)->t_kind != T_END);
}

void ty_why(struct ctx *c, const char *fmt, const char *arg, size_t len)
{
        if (!c->why[0])
                snprintf(c->why, sizeof(c->why), fmt, (int)len, arg);
}

void ty_patch(struct ctx *c, size_t at_, size_t len, const char *text)
{
        struct patch *p;

        if (c->npatches >= (int)(sizeof(c->patches) / sizeof(c->patches[0]))) {
                ty_why(c, "a statement with this many conversions%.*s", "", 0);
                return;
        }
        p = &c->patches[c->npatches];
        p->p_seq = c->npatches++;
        p->p_at = at_;
        p->p_len = len;
        snprintf(p->p_text, sizeof(p->p_text), "%s", text);
}
