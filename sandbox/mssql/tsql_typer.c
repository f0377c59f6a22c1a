/* retl-mssql-standin — result columns typed from their expressions, by SQL
 * Server's rules (literals, column types, functions, CAST, CASE, data type
 * precedence, decimal precision and scale), and '+' between strings turned
 * into SQLite's '||'. */
#include "sandbox/mssql/tsql_typer.h"

#include "mem.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum tk { T_END, T_IDENT, T_QIDENT, T_STRING, T_NUMBER, T_PARAM, T_OP };

struct tok {
        enum tk t_kind;
        size_t t_at, t_len;
        int t_wide; /* a string written N'…' (the rewriter leaves an N comment before it) */
};

/* An expression's type while typing: known, a NULL literal (fits any
 * type), a boolean (a comparison: not a value in T-SQL), or unknown. */
struct et {
        int known, is_null, is_bool;
        struct retl_mssql_type t;
};

struct patch {
        size_t p_at, p_len;
        int p_seq; /* order of making, for patches at one place */
        char p_text[48];
};

struct scope {
        int from, from_end; /* token range of FROM ... (from = -1: none) */
        const struct scope *outer;
};

struct ctx {
        sqlite3 *db;
        const char *sql;
        struct tok *toks;
        int ntoks, pos;
        size_t prefix_len; /* the WITH clause in front of the top SELECT */
        const struct retl_mssql_param *params;
        int nparams;
        char why[200];
        struct patch patches[256];
        int npatches;
        int outer_join;
        int top_select; /* token index of the top SELECT */
        int depth;      /* derived columns typed inside derived columns */
};

/* ------------------------------------------------------------ tokens */

static const char *const multi_ops[] = {"||", "<=", ">=", "<>", "!=", "==", "<<", ">>", NULL};

static void tokenize(struct ctx *c)
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

static const struct tok *peek(const struct ctx *c, int k)
{
        int i = c->pos + k;
        return &c->toks[i < c->ntoks ? i : c->ntoks];
}

static int tok_is(const struct ctx *c, const struct tok *t, const char *w)
{
        size_t n = strlen(w);
        return (t->t_kind == T_IDENT || t->t_kind == T_OP) && t->t_len == n &&
               strncasecmp(c->sql + t->t_at, w, n) == 0;
}

static int at(const struct ctx *c, const char *w)
{
        return tok_is(c, peek(c, 0), w);
}

/* Skips a balanced (...) starting at the current '('. */
static void skip_parens(struct ctx *c)
{
        int depth = 0;

        do {
                if (at(c, "("))
                        depth++;
                else if (at(c, ")"))
                        depth--;
                c->pos++;
        } while (depth > 0 && peek(c, 0)->t_kind != T_END);
}

static void why(struct ctx *c, const char *fmt, const char *arg, size_t len)
{
        if (!c->why[0])
                snprintf(c->why, sizeof(c->why), fmt, (int)len, arg);
}

static void patch(struct ctx *c, size_t at_, size_t len, const char *text)
{
        struct patch *p;

        if (c->npatches >= (int)(sizeof(c->patches) / sizeof(c->patches[0]))) {
                why(c, "a statement with this many conversions%.*s", "", 0);
                return;
        }
        p = &c->patches[c->npatches];
        p->p_seq = c->npatches++;
        p->p_at = at_;
        p->p_len = len;
        snprintf(p->p_text, sizeof(p->p_text), "%s", text);
}

/* ------------------------------------------------------------ types */

static struct et et_kind(enum retl_mssql_kind k, int len, int p, int s)
{
        struct et e = {1, 0, 0, {k, len, p, s, 0}};
        return e;
}

static struct et et_unknown(void)
{
        struct et e = {0, 0, 0, {0}};
        return e;
}

/* SQL Server's data type precedence: a lower rank wins. */
static int rank(enum retl_mssql_kind k)
{
        static const enum retl_mssql_kind order[] = {
                RETL_MT_DATETIMEOFFSET, RETL_MT_DATETIME2, RETL_MT_DATETIME,
                RETL_MT_SMALLDATETIME, RETL_MT_DATE, RETL_MT_TIME, RETL_MT_FLOAT,
                RETL_MT_REAL, RETL_MT_DECIMAL, RETL_MT_NUMERIC, RETL_MT_MONEY,
                RETL_MT_SMALLMONEY, RETL_MT_BIGINT, RETL_MT_INT, RETL_MT_SMALLINT,
                RETL_MT_TINYINT, RETL_MT_BIT, RETL_MT_UNIQUEIDENTIFIER, RETL_MT_NVARCHAR,
                RETL_MT_NCHAR, RETL_MT_VARCHAR, RETL_MT_CHAR, RETL_MT_VARBINARY, RETL_MT_BINARY,
        };
        for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
                if (order[i] == k)
                        return (int)i;
        return 99;
}

static int is_string(enum retl_mssql_kind k)
{
        return k == RETL_MT_CHAR || k == RETL_MT_VARCHAR || k == RETL_MT_NCHAR ||
               k == RETL_MT_NVARCHAR;
}

static int is_wide(enum retl_mssql_kind k)
{
        return k == RETL_MT_NCHAR || k == RETL_MT_NVARCHAR;
}

static int is_int(enum retl_mssql_kind k)
{
        return k == RETL_MT_TINYINT || k == RETL_MT_SMALLINT || k == RETL_MT_INT ||
               k == RETL_MT_BIGINT || k == RETL_MT_BIT;
}

static int is_exact(enum retl_mssql_kind k)
{
        return k == RETL_MT_DECIMAL || k == RETL_MT_NUMERIC || k == RETL_MT_MONEY ||
               k == RETL_MT_SMALLMONEY;
}

static int is_number(enum retl_mssql_kind k)
{
        return is_int(k) || is_exact(k) || k == RETL_MT_REAL || k == RETL_MT_FLOAT;
}

/* An exact number's precision and scale, ints included. */
static void exact_ps(const struct retl_mssql_type *t, int *p, int *s)
{
        static const int int_p[] = {3, 5, 10, 19};
        if (is_int(t->mt_kind)) {
                *p = t->mt_kind == RETL_MT_BIT ? 1 : int_p[t->mt_kind - RETL_MT_TINYINT];
                *s = 0;
        } else if (t->mt_kind == RETL_MT_MONEY || t->mt_kind == RETL_MT_SMALLMONEY) {
                *p = t->mt_kind == RETL_MT_MONEY ? 19 : 10;
                *s = 4;
        } else {
                *p = t->mt_precision;
                *s = t->mt_scale;
        }
}

static struct et decimal_of(int p, int s)
{
        if (p > 38) { /* SQL Server keeps the integral digits, scale gives way */
                int keep = 38 - (p - s), min6 = s < 6 ? s : 6;
                int ns = keep > min6 ? keep : min6;
                s = s < ns ? s : ns;
                p = 38;
        }
        if (s > p)
                s = p;
        return et_kind(RETL_MT_DECIMAL, 0, p, s);
}

/* The higher-precedence type of two (CASE, COALESCE, comparisons). */
static struct et higher(struct et a, struct et b)
{
        if (a.is_null)
                return b;
        if (b.is_null || !a.known)
                return a;
        if (!b.known)
                return b;
        if (is_string(a.t.mt_kind) && is_string(b.t.mt_kind)) {
                struct et r = a;
                if (is_wide(b.t.mt_kind) && !is_wide(a.t.mt_kind))
                        r = b;
                r.t.mt_kind = is_wide(r.t.mt_kind) ? RETL_MT_NVARCHAR : RETL_MT_VARCHAR;
                if (a.t.mt_length == RETL_MT_MAX || b.t.mt_length == RETL_MT_MAX)
                        r.t.mt_length = RETL_MT_MAX;
                else
                        r.t.mt_length = a.t.mt_length > b.t.mt_length ? a.t.mt_length
                                                                      : b.t.mt_length;
                return r;
        }
        if ((is_exact(a.t.mt_kind) || is_int(a.t.mt_kind)) &&
            (is_exact(b.t.mt_kind) || is_int(b.t.mt_kind)) &&
            (a.t.mt_kind == RETL_MT_DECIMAL || a.t.mt_kind == RETL_MT_NUMERIC ||
             b.t.mt_kind == RETL_MT_DECIMAL || b.t.mt_kind == RETL_MT_NUMERIC)) {
                /* decimal(p,s) big enough for both (ints as decimal(10,0)...) */
                int p1, s1, p2, s2, s;
                exact_ps(&a.t, &p1, &s1);
                exact_ps(&b.t, &p2, &s2);
                s = s1 > s2 ? s1 : s2;
                return decimal_of((p1 - s1 > p2 - s2 ? p1 - s1 : p2 - s2) + s, s);
        }
        return rank(a.t.mt_kind) <= rank(b.t.mt_kind) ? a : b;
}

/* The result of a +, -, *, / or % between numbers. */
static struct et arith(struct ctx *c, struct et a, struct et b, char op)
{
        int p1, s1, p2, s2, p, s;

        if (a.is_null || b.is_null) {
                struct et r = a.is_null ? b : a;
                return r.is_null ? et_kind(RETL_MT_INT, 0, 0, 0) : r;
        }
        if (!a.known || !b.known)
                return et_unknown();
        if (!is_number(a.t.mt_kind) || !is_number(b.t.mt_kind)) {
                why(c, "%.*s between these types", &op, 1);
                return et_unknown();
        }
        if (a.t.mt_kind == RETL_MT_FLOAT || b.t.mt_kind == RETL_MT_FLOAT ||
            a.t.mt_kind == RETL_MT_REAL || b.t.mt_kind == RETL_MT_REAL)
                return higher(a, b);
        if (is_int(a.t.mt_kind) && is_int(b.t.mt_kind)) {
                struct et r = higher(a, b);
                if (r.t.mt_kind == RETL_MT_BIT || r.t.mt_kind == RETL_MT_TINYINT ||
                    r.t.mt_kind == RETL_MT_SMALLINT)
                        r.t.mt_kind = RETL_MT_INT; /* arithmetic on small ints is int */
                return r;
        }
        if ((a.t.mt_kind == RETL_MT_MONEY || a.t.mt_kind == RETL_MT_SMALLMONEY) &&
            (is_int(b.t.mt_kind) || b.t.mt_kind == a.t.mt_kind) && op != '/')
                return et_kind(RETL_MT_MONEY, 0, 0, 0);
        exact_ps(&a.t, &p1, &s1);
        exact_ps(&b.t, &p2, &s2);
        switch (op) {
        case '*':
                p = p1 + p2 + 1;
                s = s1 + s2;
                break;
        case '/':
                s = s1 + p2 + 1 > 6 ? s1 + p2 + 1 : 6;
                p = p1 - s1 + s2 + s;
                break;
        case '%':
                s = s1 > s2 ? s1 : s2;
                p = (p1 - s1 < p2 - s2 ? p1 - s1 : p2 - s2) + s;
                break;
        default:
                s = s1 > s2 ? s1 : s2;
                p = (p1 - s1 > p2 - s2 ? p1 - s1 : p2 - s2) + s + 1;
        }
        return decimal_of(p, s);
}

/* ------------------------------------------------------------ column references */

static struct et expr(struct ctx *c, const struct scope *sc);
static void find_from(struct ctx *c, struct scope *sc);
static struct et derived_column(struct ctx *c, const struct scope *sc, size_t at, size_t len);

/* The declared type of a column reference, from a probe statement over the
 * FROM clause of the scope (then of the enclosing ones). */
static struct et column_type(struct ctx *c, size_t at, size_t len, const struct scope *sc)
{
        for (; sc; sc = sc->outer) {
                char *probe;
                size_t from_at, from_len, plen;
                sqlite3_stmt *st = NULL;
                struct et e = et_unknown();

                if (sc->from < 0)
                        continue;
                from_at = c->toks[sc->from].t_at;
                from_len = c->toks[sc->from_end].t_at - from_at;
                plen = c->prefix_len + len + from_len + 16;
                probe = retl_malloc(plen);
                snprintf(probe, plen, "%.*s SELECT %.*s %.*s", (int)c->prefix_len, c->sql,
                         (int)len, c->sql + at, (int)from_len, c->sql + from_at);
                if (sqlite3_prepare_v2(c->db, probe, -1, &st, NULL) == SQLITE_OK && st &&
                    sqlite3_column_count(st) == 1) {
                        if (retl_mssql_type_parse(sqlite3_column_decltype(st, 0), &e.t) == 0)
                                e.known = 1;
                        else /* a column of a CTE or derived table: its expression */
                                e = derived_column(c, sc, at, len);
                        if (!e.known)
                                why(c, "the column %.*s (it has no declared SQL Server type)",
                                    c->sql + at, len);
                        sqlite3_finalize(st);
                        free(probe);
                        return e;
                }
                sqlite3_finalize(st);
                free(probe);
        }
        why(c, "the column %.*s", c->sql + at, len);
        return et_unknown();
}

/* ------------------------------------------------------------ expressions */

static struct et expr(struct ctx *c, const struct scope *sc);
static struct et select_first(struct ctx *c, const struct scope *outer);

/* The type named by a string literal such as 'NVARCHAR(5)'. */
static struct et type_literal(struct ctx *c, const struct tok *t)
{
        char buf[80];
        struct et e = et_unknown();

        if (t->t_kind != T_STRING || t->t_len < 2 || t->t_len - 2 >= sizeof(buf))
                return e;
        snprintf(buf, sizeof(buf), "%.*s", (int)t->t_len - 2, c->sql + t->t_at + 1);
        if (retl_mssql_type_parse(buf, &e.t) == 0) {
                e.known = 1;
                /* CAST(x AS varchar) without a length is varchar(30) */
                if (!strchr(buf, '(') && (e.t.mt_kind == RETL_MT_VARCHAR ||
                                          e.t.mt_kind == RETL_MT_NVARCHAR ||
                                          e.t.mt_kind == RETL_MT_CHAR ||
                                          e.t.mt_kind == RETL_MT_NCHAR))
                        e.t.mt_length = 30;
        }
        return e;
}

/* Arguments of a call, after its '(': their types, up to 8. */
static int call_args(struct ctx *c, const struct scope *sc, struct et *args, const struct tok **first)
{
        int n = 0;

        c->pos++; /* ( */
        if (at(c, "DISTINCT") || at(c, "ALL"))
                c->pos++;
        if (at(c, ")")) {
                c->pos++;
                return 0;
        }
        if (at(c, "*")) {
                c->pos++;
                if (at(c, ")"))
                        c->pos++;
                return 0;
        }
        for (;;) {
                const struct tok *t = peek(c, 0);
                struct et e = expr(c, sc);
                if (n < 8) {
                        args[n] = e;
                        if (first)
                                first[n] = t;
                }
                n++;
                if (at(c, ",")) {
                        c->pos++;
                        continue;
                }
                if (at(c, ")"))
                        c->pos++;
                else
                        why(c, "the call%.*s", "", 0);
                return n;
        }
}

/* Tells RETL_CAST / RETL_CONVERT, whose ')' was the last token, the SQL
 * Server type of what they convert: a datetime becomes 'May  1 2024
 * 10:00AM' in a string, a datetime2 '2024-05-01 10:00:00.0000000'. */
static void source_type(struct ctx *c, const struct et *src, const char *sep)
{
        char name[40], text[48];

        if (!sep || !src->known || src->is_null)
                return;
        retl_mssql_type_name(&src->t, name, sizeof(name));
        snprintf(text, sizeof(text), "%s'%s')", sep, name);
        patch(c, peek(c, -1)->t_at, 1, text);
}

static struct et string_of(const struct et *a, int len)
{
        return et_kind(a->known && is_wide(a->t.mt_kind) ? RETL_MT_NVARCHAR : RETL_MT_VARCHAR,
                       a->known && a->t.mt_length == RETL_MT_MAX ? RETL_MT_MAX : len, 0, 0);
}

static struct et function(struct ctx *c, const struct tok *name, const struct scope *sc)
{
        struct et a[8], r = et_unknown();
        const struct tok *first[8] = {0};
        char fn[40];
        int n;

        snprintf(fn, sizeof(fn), "%.*s", (int)(name->t_len < 39 ? name->t_len : 39),
                 c->sql + name->t_at);
        for (char *p = fn; *p; p++)
                *p = (char)toupper((unsigned char)*p);
        memset(a, 0, sizeof(a));
        n = call_args(c, sc, a, first);
        if (!strcmp(fn, "COUNT"))
                return et_kind(RETL_MT_INT, 0, 0, 0);
        if (!strcmp(fn, "COUNT_BIG") || !strcmp(fn, "DATEDIFF_BIG"))
                return et_kind(RETL_MT_BIGINT, 0, 0, 0);
        if (!strcmp(fn, "DATEDIFF") || !strcmp(fn, "YEAR") || !strcmp(fn, "MONTH") ||
            !strcmp(fn, "DAY") || !strcmp(fn, "DATEPART") || !strcmp(fn, "RETL_TRANCOUNT") ||
            !strcmp(fn, "CHARINDEX") || !strcmp(fn, "LEN"))
                return et_kind(RETL_MT_INT, 0, 0, 0);
        if (!strcmp(fn, "GETDATE") || !strcmp(fn, "GETUTCDATE"))
                return et_kind(RETL_MT_DATETIME, 0, 0, 0);
        if (!strcmp(fn, "SYSDATETIME") || !strcmp(fn, "SYSUTCDATETIME"))
                return et_kind(RETL_MT_DATETIME2, 0, 0, 7);
        if (!strcmp(fn, "SYSDATETIMEOFFSET"))
                return et_kind(RETL_MT_DATETIMEOFFSET, 0, 0, 7);
        if (!strcmp(fn, "NEWID"))
                return et_kind(RETL_MT_UNIQUEIDENTIFIER, 0, 0, 0);
        if (!strcmp(fn, "DB_NAME"))
                return et_kind(RETL_MT_NVARCHAR, 128, 0, 0);
        if (!strcmp(fn, "FORMAT"))
                return et_kind(RETL_MT_NVARCHAR, 4000, 0, 0);
        if (!strcmp(fn, "STR")) {
                int len = 10;
                if (n >= 2 && first[1] && first[1]->t_kind == T_NUMBER)
                        len = atoi(c->sql + first[1]->t_at);
                return et_kind(RETL_MT_VARCHAR, len > 0 && len <= 8000 ? len : 10, 0, 0);
        }
        if (!strcmp(fn, "CONCAT")) {
                int wide = 0, max = 0;
                long len = 0;
                for (int i = 0; i < n && i < 8; i++) {
                        if (!a[i].known)
                                continue;
                        wide |= is_wide(a[i].t.mt_kind);
                        max |= a[i].t.mt_length == RETL_MT_MAX;
                        len += is_string(a[i].t.mt_kind) ? a[i].t.mt_length : 30;
                }
                r = et_kind(wide ? RETL_MT_NVARCHAR : RETL_MT_VARCHAR, 0, 0, 0);
                r.t.mt_length = max || len > (wide ? 4000 : 8000) ? (wide ? 4000 : 8000) : (int)len;
                if (max)
                        r.t.mt_length = RETL_MT_MAX;
                return r;
        }
        if (n >= 1 && (!strcmp(fn, "RETL_LEFT") || !strcmp(fn, "RETL_RIGHT") ||
                       !strcmp(fn, "SUBSTRING") || !strcmp(fn, "SUBSTR") || !strcmp(fn, "UPPER") ||
                       !strcmp(fn, "LOWER") || !strcmp(fn, "LTRIM") || !strcmp(fn, "RTRIM") ||
                       !strcmp(fn, "TRIM") || !strcmp(fn, "REPLACE") || !strcmp(fn, "REVERSE"))) {
                if (a[0].known && is_string(a[0].t.mt_kind)) {
                        r = string_of(&a[0], a[0].t.mt_length);
                        return r;
                }
                if (a[0].is_null)
                        return et_kind(RETL_MT_VARCHAR, 1, 0, 0);
                why(c, "%.*s of a value that is not a string", fn, strlen(fn));
                return et_unknown();
        }
        if (n >= 1 && (!strcmp(fn, "MIN") || !strcmp(fn, "MAX") || !strcmp(fn, "ABS") ||
                       !strcmp(fn, "ROUND") || !strcmp(fn, "FLOOR") || !strcmp(fn, "CEILING") ||
                       !strcmp(fn, "IFNULL") || !strcmp(fn, "NULLIF") ||
                       !strcmp(fn, "RETL_FAIL_AT")))
                return a[0];
        if (n >= 3 && !strcmp(fn, "DATEADD")) {
                if (a[2].known && a[2].t.mt_kind >= RETL_MT_DATE &&
                    a[2].t.mt_kind <= RETL_MT_DATETIMEOFFSET)
                        return a[2];
                return et_kind(RETL_MT_DATETIME, 0, 0, 0); /* a string: datetime */
        }
        if (n >= 1 && (!strcmp(fn, "SUM") || !strcmp(fn, "AVG"))) {
                if (!a[0].known)
                        return a[0];
                if (is_int(a[0].t.mt_kind))
                        return et_kind(a[0].t.mt_kind == RETL_MT_BIGINT ? RETL_MT_BIGINT : RETL_MT_INT, 0,
                                       0, 0);
                if (a[0].t.mt_kind == RETL_MT_DECIMAL || a[0].t.mt_kind == RETL_MT_NUMERIC)
                        return et_kind(RETL_MT_DECIMAL, 0, 38,
                                       !strcmp(fn, "AVG") && a[0].t.mt_scale < 6 ? 6 : a[0].t.mt_scale);
                if (a[0].t.mt_kind == RETL_MT_MONEY || a[0].t.mt_kind == RETL_MT_SMALLMONEY)
                        return et_kind(RETL_MT_MONEY, 0, 0, 0);
                if (a[0].t.mt_kind == RETL_MT_REAL || a[0].t.mt_kind == RETL_MT_FLOAT)
                        return et_kind(RETL_MT_FLOAT, 0, 0, 0);
                why(c, "%.*s of a value that is not a number", fn, strlen(fn));
                return et_unknown();
        }
        if (!strcmp(fn, "COALESCE") || !strcmp(fn, "IIF")) {
                r.is_null = 1;
                for (int i = !strcmp(fn, "IIF"); i < n && i < 8; i++)
                        r = higher(r, a[i]);
                return r;
        }
        if ((!strcmp(fn, "RETL_CAST") || !strcmp(fn, "RETL_TRY_CAST")) && n >= 2 && first[1]) {
                source_type(c, &a[0], n == 2 ? ", " : NULL);
                return type_literal(c, first[1]);
        }
        if ((!strcmp(fn, "RETL_CONVERT") || !strcmp(fn, "RETL_TRY_CONVERT")) && n >= 2 && first[0]) {
                source_type(c, &a[1], n == 2 ? ", NULL, " : n == 3 ? ", " : NULL);
                return type_literal(c, first[0]);
        }
        why(c, "the function %.*s", fn, strlen(fn));
        return et_unknown();
}

static struct et number_literal(struct ctx *c, const struct tok *t)
{
        const char *s = c->sql + t->t_at;
        int digits = 0, scale = 0, dot = 0;

        for (size_t i = 0; i < t->t_len; i++) {
                if (s[i] == 'e' || s[i] == 'E')
                        return et_kind(RETL_MT_FLOAT, 0, 0, 0);
                if (s[i] == '.') {
                        dot = 1;
                } else if (isdigit((unsigned char)s[i])) {
                        if (digits || s[i] != '0' || dot)
                                digits++;
                        scale += dot;
                } else {
                        why(c, "the number %.*s", s, t->t_len);
                        return et_unknown();
                }
        }
        if (!dot) {
                long long v = strtoll(s, NULL, 10);
                if (digits <= 10 && v <= 2147483647LL)
                        return et_kind(RETL_MT_INT, 0, 0, 0);
                return decimal_of(digits, 0);
        }
        if (digits < scale)
                digits = scale;
        return decimal_of(digits ? digits : 1, scale);
}

static struct et string_literal(struct ctx *c, const struct tok *t)
{
        const unsigned char *s = (const unsigned char *)c->sql + t->t_at + 1;
        size_t n = t->t_len >= 2 ? t->t_len - 2 : 0, chars = 0;
        int wide = 0;

        for (size_t i = 0; i < n; i++) {
                if ((s[i] & 0xC0) != 0x80)
                        chars++;
                if (s[i] == '\'' && i + 1 < n && s[i + 1] == '\'')
                        i++;
                if (s[i] >= 0xC4) /* beyond U+00FF: not Latin-1 */
                        wide = 1;
        }
        wide |= t->t_wide;
        if (chars == 0)
                chars = 1;
        if (chars > (wide ? 4000u : 8000u))
                return et_kind(wide ? RETL_MT_NVARCHAR : RETL_MT_VARCHAR, RETL_MT_MAX, 0, 0);
        return et_kind(wide ? RETL_MT_NVARCHAR : RETL_MT_VARCHAR, (int)chars, 0, 0);
}

static struct et primary(struct ctx *c, const struct scope *sc)
{
        const struct tok *t = peek(c, 0);

        switch (t->t_kind) {
        case T_NUMBER:
                c->pos++;
                return number_literal(c, t);
        case T_STRING:
                c->pos++;
                if (at(c, "COLLATE"))
                        c->pos += 2;
                return string_literal(c, t);
        case T_PARAM:
                c->pos++;
                for (int i = 0; i < c->nparams; i++)
                        if (strlen(c->params[i].rp_name) == t->t_len &&
                            strncasecmp(c->params[i].rp_name, c->sql + t->t_at, t->t_len) == 0 &&
                            c->params[i].rp_has_type) {
                                struct et e = {1, c->params[i].rp_value.v_type == SQLITE_NULL, 0,
                                               c->params[i].rp_type};
                                e.is_null = 0;
                                return e;
                        }
                why(c, "the parameter %.*s", c->sql + t->t_at, t->t_len);
                return et_unknown();
        case T_OP:
                if (at(c, "(")) {
                        struct et e;
                        if (tok_is(c, peek(c, 1), "SELECT") || tok_is(c, peek(c, 1), "WITH")) {
                                int end;
                                int save = c->pos;
                                skip_parens(c);
                                end = c->pos;
                                c->pos = save + 1;
                                e = select_first(c, sc);
                                c->pos = end;
                                return e;
                        }
                        c->pos++;
                        e = expr(c, sc);
                        if (at(c, ","))
                                why(c, "a row value%.*s", "", 0);
                        if (at(c, ")"))
                                c->pos++;
                        return e;
                }
                break;
        case T_QIDENT:
        case T_IDENT: {
                size_t start = t->t_at, end;
                if (t->t_kind == T_IDENT) {
                        if (at(c, "NULL")) {
                                struct et e = et_kind(RETL_MT_INT, 0, 0, 0);
                                c->pos++;
                                e.is_null = 1;
                                return e;
                        }
                        if (at(c, "CASE")) {
                                struct et r = {0, 1, 0, {0}};
                                int simple;
                                c->pos++;
                                simple = !at(c, "WHEN");
                                if (simple)
                                        expr(c, sc);
                                while (at(c, "WHEN")) {
                                        c->pos++;
                                        expr(c, sc);
                                        if (at(c, "THEN"))
                                                c->pos++;
                                        r = higher(r, expr(c, sc));
                                }
                                if (at(c, "ELSE")) {
                                        c->pos++;
                                        r = higher(r, expr(c, sc));
                                }
                                if (at(c, "END"))
                                        c->pos++;
                                return r;
                        }
                        if (at(c, "EXISTS") || at(c, "NOT")) {
                                struct et e;
                                c->pos++;
                                e = primary(c, sc);
                                e.is_bool = 1;
                                return e;
                        }
                        if (tok_is(c, peek(c, 1), "(")) {
                                c->pos++;
                                return function(c, t, sc);
                        }
                }
                /* a column: name, table.name, schema.table.name */
                c->pos++;
                while (at(c, ".") && (peek(c, 1)->t_kind == T_IDENT || peek(c, 1)->t_kind == T_QIDENT))
                        c->pos += 2;
                end = peek(c, -1)->t_at + peek(c, -1)->t_len;
                if (at(c, "COLLATE"))
                        c->pos += 2;
                return column_type(c, start, end - start, sc);
        }
        default:
                break;
        }
        why(c, "the expression at '%.*s'", c->sql + t->t_at, t->t_len < 20 ? t->t_len : 20);
        c->pos++;
        return et_unknown();
}

static struct et unary(struct ctx *c, const struct scope *sc)
{
        if (at(c, "-") || at(c, "+") || at(c, "~")) {
                c->pos++;
                return unary(c, sc);
        }
        return primary(c, sc);
}

static struct et mul(struct ctx *c, const struct scope *sc)
{
        struct et a = unary(c, sc);

        while (at(c, "*") || at(c, "/") || at(c, "%")) {
                char op = c->sql[peek(c, 0)->t_at];
                c->pos++;
                a = arith(c, a, unary(c, sc), op);
        }
        return a;
}


static struct et add(struct ctx *c, const struct scope *sc)
{
        struct et a = mul(c, sc);

        while (at(c, "+") || at(c, "-") || at(c, "||") || at(c, "&") || at(c, "|") || at(c, "^")) {
                const struct tok *op = peek(c, 0);
                char o = c->sql[op->t_at];
                struct et b;
                c->pos++;
                b = mul(c, sc);
                if (o == '+' && ((a.known && is_string(a.t.mt_kind) && !a.is_null) ||
                                 (b.known && is_string(b.t.mt_kind) && !b.is_null))) {
                        struct et sa = a, sb = b;
                        if (sa.is_null)
                                sa = sb;
                        if (sb.is_null)
                                sb = sa;
                        if (!sa.known || !sb.known || !is_string(sa.t.mt_kind) ||
                            !is_string(sb.t.mt_kind)) {
                                why(c, "+ between a string and a value that is not one%.*s", "", 0);
                                a = et_unknown();
                                continue;
                        }
                        patch(c, op->t_at, 1, "||"); /* SQLite's concatenation */
                        a = higher(sa, sb);
                        if (a.t.mt_length != RETL_MT_MAX) {
                                long len = (long)sa.t.mt_length + sb.t.mt_length;
                                int cap = is_wide(a.t.mt_kind) ? 4000 : 8000;
                                a.t.mt_length = len > cap ? cap : (int)len;
                        }
                        continue;
                }
                if (o == '|' && op->t_len == 2) {
                        why(c, "the operator ||%.*s", "", 0);
                        a = et_unknown();
                        continue;
                }
                a = arith(c, a, b, o == '-' || o == '+' ? o : '+');
        }
        return a;
}

static struct et comparison(struct ctx *c, const struct scope *sc)
{
        struct et a = add(c, sc);

        for (;;) {
                if (at(c, "=") || at(c, "==") || at(c, "<>") || at(c, "!=") || at(c, "<") ||
                    at(c, ">") || at(c, "<=") || at(c, ">=") || at(c, "LIKE") || at(c, "GLOB")) {
                        c->pos++;
                        add(c, sc);
                } else if (at(c, "IS")) {
                        c->pos++;
                        if (at(c, "NOT"))
                                c->pos++;
                        add(c, sc);
                } else if (at(c, "NOT") && (tok_is(c, peek(c, 1), "IN") ||
                                            tok_is(c, peek(c, 1), "LIKE") ||
                                            tok_is(c, peek(c, 1), "BETWEEN"))) {
                        c->pos++;
                        continue;
                } else if (at(c, "IN")) {
                        c->pos++;
                        if (at(c, "("))
                                skip_parens(c);
                } else if (at(c, "BETWEEN")) {
                        c->pos++;
                        add(c, sc);
                        if (at(c, "AND"))
                                c->pos++;
                        add(c, sc);
                } else {
                        return a;
                }
                a.is_bool = 1;
        }
}

static struct et expr(struct ctx *c, const struct scope *sc)
{
        struct et a;

        if (at(c, "NOT")) {
                c->pos++;
                a = expr(c, sc);
                a.is_bool = 1;
                return a;
        }
        a = comparison(c, sc);
        while (at(c, "AND") || at(c, "OR")) {
                c->pos++;
                comparison(c, sc);
                a.is_bool = 1;
        }
        return a;
}

/* ------------------------------------------------------------ derived columns */

/* Token text without the quotes of a "quoted" name. */
static void name_of(const struct ctx *c, const struct tok *t, const char **p, size_t *n)
{
        *p = c->sql + t->t_at;
        *n = t->t_len;
        if (t->t_kind == T_QIDENT && *n >= 2) {
                (*p)++;
                *n -= 2;
        }
}

static int name_eq(const struct ctx *c, const struct tok *t, const char *w, size_t wn)
{
        const char *p;
        size_t n;

        if (t->t_kind != T_IDENT && t->t_kind != T_QIDENT)
                return 0;
        name_of(c, t, &p, &n);
        return n == wn && strncasecmp(p, w, n) == 0;
}

/* In the select list starting at token @p sel (after SELECT [DISTINCT]):
 * the start token of the item named @p col (its alias, or the column a
 * bare reference names), or of item number @p index when index >= 0.
 * @returns the token index or -1. */
static int find_item(struct ctx *c, int sel, const char *col, size_t clen, int index)
{
        int i = sel, k = 0;

        if (tok_is(c, &c->toks[i], "DISTINCT") || tok_is(c, &c->toks[i], "ALL"))
                i++;
        for (;;) {
                int start = i, depth = 0, last;
                for (; i < c->ntoks; i++) {
                        const struct tok *t = &c->toks[i];
                        if (tok_is(c, t, "(")) {
                                depth++;
                        } else if (tok_is(c, t, ")")) {
                                if (--depth < 0)
                                        break;
                        } else if (depth == 0 &&
                                   (tok_is(c, t, ",") || tok_is(c, t, "FROM") ||
                                    tok_is(c, t, "WHERE") || tok_is(c, t, "GROUP") ||
                                    tok_is(c, t, "ORDER") || tok_is(c, t, "UNION") ||
                                    tok_is(c, t, "LIMIT") || tok_is(c, t, "HAVING") ||
                                    tok_is(c, t, "EXCEPT") || tok_is(c, t, "INTERSECT") ||
                                    tok_is(c, t, ";"))) {
                                break;
                        }
                }
                last = i - 1;
                if (last < start)
                        return -1;
                if (index >= 0 ? k == index : name_eq(c, &c->toks[last], col, clen))
                        return start;
                k++;
                if (i >= c->ntoks || !tok_is(c, &c->toks[i], ","))
                        return -1;
                i++;
        }
}

/* The type of item @p item of the select whose list starts at @p sel. */
static struct et type_item(struct ctx *c, int sel, int item, const struct scope *outer)
{
        struct scope sc = {-1, -1, outer};
        int save = c->pos;
        struct et e;

        c->pos = sel;
        find_from(c, &sc);
        c->pos = item;
        e = expr(c, &sc);
        c->pos = save;
        return e;
}

/* A source a column may come from: a CTE or a derived table. */
struct source {
        int name;   /* token of its name or alias (-1: none) */
        int cols;   /* token after '(' of its column list (-1: none) */
        int sel;    /* token after its SELECT */
};

/* The CTEs in front of the top SELECT and the derived tables of each
 * scope's FROM, up to @p max. */
static int sources(struct ctx *c, const struct scope *sc, struct source *out, int max)
{
        int n = 0, i = 0;

        if (c->top_select > 0 && tok_is(c, &c->toks[0], "WITH")) {
                i = 1;
                if (tok_is(c, &c->toks[i], "RECURSIVE"))
                        i++;
                while (i < c->top_select && n < max) {
                        struct source s = {i, -1, -1};
                        int depth;
                        i++;
                        if (tok_is(c, &c->toks[i], "(")) {
                                s.cols = i + 1;
                                for (depth = 0; i < c->top_select; i++) {
                                        depth += tok_is(c, &c->toks[i], "(") - tok_is(c, &c->toks[i], ")");
                                        if (depth == 0)
                                                break;
                                }
                                i++;
                        }
                        while (i < c->top_select && !tok_is(c, &c->toks[i], "("))
                                i++; /* AS [NOT] [MATERIALIZED] */
                        if (i + 1 < c->top_select && tok_is(c, &c->toks[i + 1], "SELECT"))
                                s.sel = i + 2;
                        for (depth = 0; i < c->top_select; i++) {
                                depth += tok_is(c, &c->toks[i], "(") - tok_is(c, &c->toks[i], ")");
                                if (depth == 0)
                                        break;
                        }
                        i++;
                        if (s.sel >= 0)
                                out[n++] = s;
                        if (i < c->top_select && tok_is(c, &c->toks[i], ","))
                                i++;
                        else
                                break;
                }
        }
        for (; sc; sc = sc->outer) {
                if (sc->from < 0)
                        continue;
                for (i = sc->from; i < sc->from_end && n < max; i++) {
                        int depth, start;
                        if (!tok_is(c, &c->toks[i], "(") || !tok_is(c, &c->toks[i + 1], "SELECT"))
                                continue;
                        start = i;
                        for (depth = 0; i < sc->from_end; i++) {
                                depth += tok_is(c, &c->toks[i], "(") - tok_is(c, &c->toks[i], ")");
                                if (depth == 0)
                                        break;
                        }
                        if (tok_is(c, &c->toks[i + 1], "AS"))
                                i++;
                        out[n++] = (struct source){
                                c->toks[i + 1].t_kind == T_IDENT || c->toks[i + 1].t_kind == T_QIDENT
                                        ? i + 1 : -1,
                                -1, start + 2};
                }
        }
        return n;
}

/* A column reference (a, t.a, "t"."a") whose probe has no declared type:
 * the type of the expression behind it in a CTE or derived table. */
static struct et derived_column(struct ctx *c, const struct scope *sc, size_t at, size_t len)
{
        struct source src[32];
        struct et found = et_unknown();
        int nsrc, matches = 0, first = c->pos, last = c->pos;
        const char *qual = NULL, *col;
        size_t qlen = 0, clen;

        if (c->depth >= 8)
                return found;
        /* the reference's tokens: [qualifier .] name */
        while (first > 0 && c->toks[first - 1].t_at >= at)
                first--;
        while (last > first && c->toks[last - 1].t_at + c->toks[last - 1].t_len > at + len)
                last--;
        if (last - first >= 3) {
                name_of(c, &c->toks[last - 3], &qual, &qlen);
        }
        name_of(c, &c->toks[last - 1], &col, &clen);
        nsrc = sources(c, sc, src, 32);
        c->depth++;
        for (int pass = 0; pass < 2 && !matches; pass++) {
                /* first the sources the qualifier names, then (a table alias
                 * of a CTE) all of them */
                for (int i = 0; i < nsrc; i++) {
                        int item = -1;
                        if (pass == 0 && qual &&
                            (src[i].name < 0 || !name_eq(c, &c->toks[src[i].name], qual, qlen)))
                                continue;
                        if (pass == 1 && !qual)
                                continue;
                        if (src[i].cols >= 0) {
                                /* WITH n(x, y): by position */
                                int k = 0;
                                for (int t = src[i].cols; t < c->ntoks && !tok_is(c, &c->toks[t], ")");
                                     t++) {
                                        if (name_eq(c, &c->toks[t], col, clen)) {
                                                item = find_item(c, src[i].sel, NULL, 0, k);
                                                break;
                                        }
                                        k += tok_is(c, &c->toks[t], ",");
                                }
                        } else {
                                item = find_item(c, src[i].sel, col, clen, -1);
                        }
                        if (item < 0)
                                continue;
                        matches++;
                        found = type_item(c, src[i].sel, item, sc);
                }
        }
        c->depth--;
        return matches == 1 ? found : et_unknown();
}

/* ------------------------------------------------------------ select lists */

static int is_clause_end(const struct ctx *c)
{
        static const char *const ends[] = {"FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT",
                                           "UNION", "EXCEPT", "INTERSECT", "WINDOW", ";", ")",
                                           NULL};
        if (peek(c, 0)->t_kind == T_END)
                return 1;
        for (int i = 0; ends[i]; i++)
                if (at(c, ends[i]))
                        return 1;
        return 0;
}

/* The FROM range of the select core whose list starts at the current token. */
static void find_from(struct ctx *c, struct scope *sc)
{
        int save = c->pos, depth = 0;

        sc->from = sc->from_end = -1;
        for (; peek(c, 0)->t_kind != T_END; c->pos++) {
                if (at(c, "(")) {
                        depth++;
                } else if (at(c, ")")) {
                        if (--depth < 0)
                                break;
                } else if (depth == 0 && sc->from < 0 && at(c, "FROM")) {
                        sc->from = c->pos;
                } else if (depth == 0 && sc->from >= 0 &&
                           (at(c, "WHERE") || at(c, "GROUP") || at(c, "HAVING") || at(c, "ORDER") ||
                            at(c, "LIMIT") || at(c, "UNION") || at(c, "EXCEPT") ||
                            at(c, "INTERSECT") || at(c, "WINDOW") || at(c, ";"))) {
                        break;
                }
                if (sc->from >= 0 && (at(c, "LEFT") || at(c, "RIGHT") || at(c, "FULL")))
                        c->outer_join = 1;
        }
        if (sc->from >= 0)
                sc->from_end = c->pos;
        c->pos = save;
}

/* Skips "WITH [RECURSIVE] name [(cols)] AS [NOT] [MATERIALIZED] (...), ..." */
static void skip_with(struct ctx *c)
{
        if (!at(c, "WITH"))
                return;
        c->pos++;
        if (at(c, "RECURSIVE"))
                c->pos++;
        while (peek(c, 0)->t_kind != T_END && !at(c, "SELECT")) {
                if (at(c, "("))
                        skip_parens(c);
                else
                        c->pos++;
        }
}

/* Types each item of the select list at the current token (after SELECT);
 * @p out gets up to @p max types; @returns the number of items, -1 when an
 * item is '*' (then *star is its index). */
static int select_items(struct ctx *c, const struct scope *sc, struct et *out, char **whys,
                        int max, int *star_at, int *nstars)
{
        int n = 0;

        if (at(c, "DISTINCT") || at(c, "ALL"))
                c->pos++;
        *nstars = 0;
        while (!is_clause_end(c)) {
                struct et e;
                c->why[0] = '\0';
                if (at(c, "*") || (peek(c, 1)->t_kind == T_OP && tok_is(c, peek(c, 1), ".") &&
                                   tok_is(c, peek(c, 2), "*"))) {
                        c->pos += at(c, "*") ? 1 : 3;
                        e = et_unknown();
                        if (!*nstars)
                                *star_at = n;
                        (*nstars)++;
                } else {
                        e = expr(c, sc);
                        if (e.is_bool) {
                                e = et_unknown();
                                why(c, "a comparison used as a value (SQL Server has no boolean "
                                       "columns)%.*s",
                                    "", 0);
                        }
                        if (at(c, "AS"))
                                c->pos++;
                        if (peek(c, 0)->t_kind == T_IDENT || peek(c, 0)->t_kind == T_QIDENT ||
                            peek(c, 0)->t_kind == T_STRING) {
                                if (!is_clause_end(c))
                                        c->pos++; /* the alias */
                        }
                }
                if (n < max) {
                        out[n] = e;
                        if (whys)
                                whys[n] = e.known || e.is_null ? NULL : retl_strdup(c->why[0] ? c->why : "this expression");
                }
                n++;
                if (!at(c, ","))
                        break;
                c->pos++;
        }
        return n;
}

/* The type of a scalar subquery: its first item. */
static struct et select_first(struct ctx *c, const struct scope *outer)
{
        struct scope sc = {-1, -1, outer};
        struct et e = et_unknown();
        int star = 0, nstars;

        skip_with(c);
        if (!at(c, "SELECT"))
                return e;
        c->pos++;
        find_from(c, &sc);
        select_items(c, &sc, &e, NULL, 1, &star, &nstars);
        return e;
}

/* The other SELECTs of a UNION, EXCEPT or INTERSECT: each column takes the
 * highest-precedence type of its branches, as SQL Server types it. */
static int union_types(struct ctx *c, struct et *items, char **whys, int n, int nstars)
{
        int compound = 0;

        for (;;) {
                int depth = 0, star = 0, stars2 = 0, n2;
                struct scope sc = {-1, -1, NULL};
                struct et *more;

                while (peek(c, 0)->t_kind != T_END) {
                        if (at(c, "("))
                                depth++;
                        else if (at(c, ")") && --depth < 0)
                                return compound;
                        else if (depth == 0 && (at(c, "UNION") || at(c, "EXCEPT") || at(c, "INTERSECT")))
                                break;
                        c->pos++;
                }
                if (peek(c, 0)->t_kind == T_END)
                        return compound;
                c->pos++;
                if (at(c, "ALL"))
                        c->pos++;
                if (!at(c, "SELECT"))
                        return compound;
                c->pos++;
                compound = 1;
                find_from(c, &sc);
                more = retl_calloc((size_t)n + 1, sizeof(*more));
                n2 = select_items(c, &sc, more, NULL, n, &star, &stars2);
                for (int k = 0; k < n; k++) {
                        if (nstars || stars2 || n2 != n) {
                                items[k] = et_unknown(); /* SQLite says the counts match */
                        } else {
                                struct et h = higher(items[k], more[k]);
                                items[k] = h;
                                if (!h.known && !h.is_null && whys && !whys[k])
                                        whys[k] = retl_strdup("a UNION branch");
                        }
                        if (!items[k].known && !items[k].is_null && whys && !whys[k])
                                whys[k] = retl_strdup("a UNION of SELECT * lists");
                }
                free(more);
        }
}

/* ------------------------------------------------------------ date comparisons */

/* The scope of the select core around token @p i: the nearest SELECT
 * before it at its own parenthesis depth. */
static void scope_at(struct ctx *c, int i, struct scope *sc)
{
        int depth = 0, save = c->pos;

        sc->from = sc->from_end = -1;
        sc->outer = NULL;
        for (; i >= 0; i--) {
                if (tok_is(c, &c->toks[i], ")"))
                        depth++;
                else if (tok_is(c, &c->toks[i], "("))
                        depth = depth > 0 ? depth - 1 : 0;
                else if (depth == 0 && tok_is(c, &c->toks[i], "SELECT"))
                        break;
        }
        if (i < 0)
                return;
        c->pos = i + 1;
        find_from(c, sc);
        c->pos = save;
}

/* A column reference ending at token @p last (going back), or starting at
 * @p first (going forward): its token range, or 0. */
static int ref_back(const struct ctx *c, int last, int *first)
{
        int i = last;

        if (i < 0 || (c->toks[i].t_kind != T_IDENT && c->toks[i].t_kind != T_QIDENT))
                return 0;
        while (i >= 2 && tok_is(c, &c->toks[i - 1], ".") &&
               (c->toks[i - 2].t_kind == T_IDENT || c->toks[i - 2].t_kind == T_QIDENT))
                i -= 2;
        *first = i;
        return 1;
}

static int ref_fwd(const struct ctx *c, int first, int *last)
{
        int i = first;

        if (i >= c->ntoks || (c->toks[i].t_kind != T_IDENT && c->toks[i].t_kind != T_QIDENT) ||
            tok_is(c, &c->toks[i + 1], "("))
                return 0;
        while (tok_is(c, &c->toks[i + 1], ".") &&
               (c->toks[i + 2].t_kind == T_IDENT || c->toks[i + 2].t_kind == T_QIDENT))
                i += 2;
        *last = i;
        return 1;
}

/* RETL_DT(x) around tokens first..last; RETL_DT(x, 1) in UTC (for a
 * datetimeoffset column). */
static void wrap(struct ctx *c, int first, int last, int utc)
{
        patch(c, c->toks[first].t_at, 0, "RETL_DT(");
        patch(c, c->toks[last].t_at + c->toks[last].t_len, 0, utc ? ", 1)" : ")");
}

/* A date/time column compared with a string literal ("updated > '2024-05-01
 * 10:00'", BETWEEN too) compares instants, as SQL Server does, not text:
 * both sides go through RETL_DT, which writes them in one form. */
static void date_comparisons(struct ctx *c)
{
        for (int i = 1; i + 1 < c->ntoks; i++) {
                const struct tok *t = &c->toks[i];
                int first, last, lit, rf, rl, utc, between = tok_is(c, t, "BETWEEN");
                struct scope sc;
                struct et e;

                if (!between && !(t->t_kind == T_OP && (tok_is(c, t, "=") || tok_is(c, t, "<") ||
                                                        tok_is(c, t, ">") || tok_is(c, t, "<=") ||
                                                        tok_is(c, t, ">=") || tok_is(c, t, "<>") ||
                                                        tok_is(c, t, "!=") || tok_is(c, t, "=="))))
                        continue;
                /* column op 'literal' */
                if (ref_back(c, i - 1, &first) && c->toks[i + 1].t_kind == T_STRING) {
                        rf = first;
                        rl = i - 1;
                        lit = i + 1;
                } else if (!between && c->toks[i - 1].t_kind != T_STRING && i >= 3 &&
                           tok_is(c, &c->toks[i - 2], "COLLATE") &&
                           c->toks[i - 3].t_kind == T_STRING && ref_fwd(c, i + 1, &last)) {
                        rf = i + 1; /* 'literal' COLLATE NOCASE op column */
                        rl = last;
                        lit = i - 3;
                } else if (!between && c->toks[i - 1].t_kind == T_STRING && ref_fwd(c, i + 1, &last)) {
                        rf = i + 1;
                        rl = last;
                        lit = i - 1;
                } else {
                        continue;
                }
                scope_at(c, i, &sc);
                c->why[0] = '\0';
                e = column_type(c, c->toks[rf].t_at,
                                c->toks[rl].t_at + c->toks[rl].t_len - c->toks[rf].t_at, &sc);
                c->why[0] = '\0';
                if (!e.known || e.t.mt_kind < RETL_MT_DATE || e.t.mt_kind > RETL_MT_DATETIMEOFFSET)
                        continue;
                utc = e.t.mt_kind == RETL_MT_DATETIMEOFFSET;
                if (lit < rf) {
                        wrap(c, lit, lit, utc);
                        wrap(c, rf, rl, utc);
                } else {
                        wrap(c, rf, rl, utc);
                        wrap(c, lit, lit, utc);
                }
                if (between) { /* ... AND 'literal' */
                        int k = lit + 1;
                        if (tok_is(c, &c->toks[k], "COLLATE"))
                                k += 2;
                        if (tok_is(c, &c->toks[k], "AND") && c->toks[k + 1].t_kind == T_STRING)
                                wrap(c, k + 1, k + 1, utc);
                }
        }
}

static int patch_cmp(const void *a, const void *b)
{
        const struct patch *x = a, *y = b;

        if (x->p_at != y->p_at)
                return x->p_at < y->p_at ? -1 : 1;
        return x->p_seq < y->p_seq ? -1 : x->p_seq > y->p_seq;
}

void retl_mssql_typer_run(sqlite3 *db, const char *sql, int ncols,
                          const struct retl_mssql_param *params, int nparams,
                          struct retl_mssql_typed *ty)
{
        struct ctx c = {0};
        struct scope sc = {-1, -1, NULL};
        struct et *items = NULL;
        char **whys = NULL;
        int nitems, star = 0, nstars = 0, max = ncols + 64;

        memset(ty, 0, sizeof(*ty));
        ty->ty_ncols = ncols;
        ty->ty_types = retl_calloc((size_t)ncols + 1, sizeof(*ty->ty_types));
        ty->ty_known = retl_calloc((size_t)ncols + 1, 1);
        ty->ty_why = retl_calloc((size_t)ncols + 1, sizeof(char *));
        c.db = db;
        c.sql = sql;
        c.params = params;
        c.nparams = nparams;
        tokenize(&c);
        for (int i = 0; i < c.ntoks; i++)
                if (tok_is(&c, &c.toks[i], "JOIN") && i > 0 &&
                    (tok_is(&c, &c.toks[i - 1], "LEFT") || tok_is(&c, &c.toks[i - 1], "RIGHT") ||
                     tok_is(&c, &c.toks[i - 1], "FULL") || tok_is(&c, &c.toks[i - 1], "OUTER")))
                        c.outer_join = 1;
        skip_with(&c);
        if (!at(&c, "SELECT")) {
                for (int i = 0; i < ncols; i++)
                        ty->ty_why[i] = retl_strdup("a result that is not a SELECT list");
                goto out;
        }
        c.prefix_len = peek(&c, 0)->t_at;
        c.top_select = c.pos;
        c.pos++;
        find_from(&c, &sc);
        items = retl_calloc((size_t)max, sizeof(*items));
        whys = retl_calloc((size_t)max, sizeof(char *));
        nitems = select_items(&c, &sc, items, whys, max, &star, &nstars);
        ty->ty_compound = union_types(&c, items, whys, nitems < max ? nitems : max, nstars);
        for (int i = 0; i < ncols; i++) {
                int k = i; /* the item behind column i */
                if (nstars == 1 && i >= star)
                        k = i - (ncols - nitems) >= star ? i - (ncols - nitems) : -1;
                else if (nstars > 1 && i >= star)
                        k = -1;
                if (nstars == 0 && nitems != ncols)
                        k = -1;
                if (k < 0 || k >= max) {
                        ty->ty_why[i] = retl_strdup("a column the stand-in could not match to its "
                                                    "select-list item");
                        continue;
                }
                if (items[k].known || items[k].is_null) {
                        ty->ty_known[i] = 1;
                        ty->ty_types[i] = items[k].is_null && !items[k].known
                                                  ? et_kind(RETL_MT_INT, 0, 0, 0).t
                                                  : items[k].t;
                } else {
                        ty->ty_why[i] = whys[k] ? retl_strdup(whys[k]) : NULL;
                }
        }
out:
        ty->ty_outer_join = c.outer_join;
        date_comparisons(&c);
        if (c.npatches) {
                qsort(c.patches, (size_t)c.npatches, sizeof(c.patches[0]), patch_cmp);
                struct retl_wbuf wb;
                size_t from = 0;
                retl_wbuf_init(&wb, 0);
                for (int i = 0; i < c.npatches; i++) {
                        retl_wbuf_put(&wb, sql + from, c.patches[i].p_at - from);
                        retl_wbuf_put(&wb, c.patches[i].p_text, strlen(c.patches[i].p_text));
                        from = c.patches[i].p_at + c.patches[i].p_len;
                }
                retl_wbuf_put(&wb, sql + from, strlen(sql + from));
                retl_wbuf_u8(&wb, 0);
                ty->ty_sql = (char *)wb.wb_data;
        }
        for (int i = 0; whys && i < max; i++)
                free(whys[i]);
        free(whys);
        free(items);
        free(c.toks);
}

void retl_mssql_typer_free(struct retl_mssql_typed *ty)
{
        for (int i = 0; ty->ty_why && i < ty->ty_ncols; i++)
                free(ty->ty_why[i]);
        free(ty->ty_why);
        free(ty->ty_types);
        free(ty->ty_known);
        free(ty->ty_sql);
        memset(ty, 0, sizeof(*ty));
}
