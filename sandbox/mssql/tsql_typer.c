/* retl-mssql-standin — result columns typed from their expressions, by SQL
 * Server's rules (literals, column types, functions, CAST, CASE, data type
 * precedence, decimal precision and scale), and '+' between strings turned
 * into SQLite's '||'. */
#include "sandbox/mssql/tsql_typer_int.h"

#include "mem.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------ column references */

static void find_from(struct ctx *c, struct scope *sc);
static struct et derived_column(struct ctx *c, const struct scope *sc, size_t at, size_t len);

/* The declared type of a column reference, from a probe statement over the
 * FROM clause of the scope (then of the enclosing ones). */
struct et ty_column_type(struct ctx *c, size_t at, size_t len, const struct scope *sc)
{
        for (; sc; sc = sc->outer) {
                char *probe;
                size_t from_at, from_len, plen;
                sqlite3_stmt *st = NULL;
                struct et e = ty_et_unknown();

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
                                ty_why(c, "the column %.*s (it has no declared SQL Server type)",
                                    c->sql + at, len);
                        sqlite3_finalize(st);
                        free(probe);
                        return e;
                }
                sqlite3_finalize(st);
                free(probe);
        }
        ty_why(c, "the column %.*s", c->sql + at, len);
        return ty_et_unknown();
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

        if (ty_tok_is(c, &c->toks[i], "DISTINCT") || ty_tok_is(c, &c->toks[i], "ALL"))
                i++;
        for (;;) {
                int start = i, depth = 0, last;
                for (; i < c->ntoks; i++) {
                        const struct tok *t = &c->toks[i];
                        if (ty_tok_is(c, t, "(")) {
                                depth++;
                        } else if (ty_tok_is(c, t, ")")) {
                                if (--depth < 0)
                                        break;
                        } else if (depth == 0 &&
                                   (ty_tok_is(c, t, ",") || ty_tok_is(c, t, "FROM") ||
                                    ty_tok_is(c, t, "WHERE") || ty_tok_is(c, t, "GROUP") ||
                                    ty_tok_is(c, t, "ORDER") || ty_tok_is(c, t, "UNION") ||
                                    ty_tok_is(c, t, "LIMIT") || ty_tok_is(c, t, "HAVING") ||
                                    ty_tok_is(c, t, "EXCEPT") || ty_tok_is(c, t, "INTERSECT") ||
                                    ty_tok_is(c, t, ";"))) {
                                break;
                        }
                }
                last = i - 1;
                if (last < start)
                        return -1;
                if (index >= 0 ? k == index : name_eq(c, &c->toks[last], col, clen))
                        return start;
                k++;
                if (i >= c->ntoks || !ty_tok_is(c, &c->toks[i], ","))
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
        e = ty_expr(c, &sc);
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

        if (c->top_select > 0 && ty_tok_is(c, &c->toks[0], "WITH")) {
                i = 1;
                if (ty_tok_is(c, &c->toks[i], "RECURSIVE"))
                        i++;
                while (i < c->top_select && n < max) {
                        struct source s = {i, -1, -1};
                        int depth;
                        i++;
                        if (ty_tok_is(c, &c->toks[i], "(")) {
                                s.cols = i + 1;
                                for (depth = 0; i < c->top_select; i++) {
                                        depth += ty_tok_is(c, &c->toks[i], "(") - ty_tok_is(c, &c->toks[i], ")");
                                        if (depth == 0)
                                                break;
                                }
                                i++;
                        }
                        while (i < c->top_select && !ty_tok_is(c, &c->toks[i], "("))
                                i++; /* AS [NOT] [MATERIALIZED] */
                        if (i + 1 < c->top_select && ty_tok_is(c, &c->toks[i + 1], "SELECT"))
                                s.sel = i + 2;
                        for (depth = 0; i < c->top_select; i++) {
                                depth += ty_tok_is(c, &c->toks[i], "(") - ty_tok_is(c, &c->toks[i], ")");
                                if (depth == 0)
                                        break;
                        }
                        i++;
                        if (s.sel >= 0)
                                out[n++] = s;
                        if (i < c->top_select && ty_tok_is(c, &c->toks[i], ","))
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
                        if (!ty_tok_is(c, &c->toks[i], "(") || !ty_tok_is(c, &c->toks[i + 1], "SELECT"))
                                continue;
                        start = i;
                        for (depth = 0; i < sc->from_end; i++) {
                                depth += ty_tok_is(c, &c->toks[i], "(") - ty_tok_is(c, &c->toks[i], ")");
                                if (depth == 0)
                                        break;
                        }
                        if (ty_tok_is(c, &c->toks[i + 1], "AS"))
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
        struct et found = ty_et_unknown();
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
                                for (int t = src[i].cols; t < c->ntoks && !ty_tok_is(c, &c->toks[t], ")");
                                     t++) {
                                        if (name_eq(c, &c->toks[t], col, clen)) {
                                                item = find_item(c, src[i].sel, NULL, 0, k);
                                                break;
                                        }
                                        k += ty_tok_is(c, &c->toks[t], ",");
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
        return matches == 1 ? found : ty_et_unknown();
}

/* ------------------------------------------------------------ select lists */

static int is_clause_end(const struct ctx *c)
{
        static const char *const ends[] = {"FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT",
                                           "UNION", "EXCEPT", "INTERSECT", "WINDOW", ";", ")",
                                           NULL};
        if (ty_peek(c, 0)->t_kind == T_END)
                return 1;
        for (int i = 0; ends[i]; i++)
                if (ty_at(c, ends[i]))
                        return 1;
        return 0;
}

/* The FROM range of the select core whose list starts at the current token. */
static void find_from(struct ctx *c, struct scope *sc)
{
        int save = c->pos, depth = 0;

        sc->from = sc->from_end = -1;
        for (; ty_peek(c, 0)->t_kind != T_END; c->pos++) {
                if (ty_at(c, "(")) {
                        depth++;
                } else if (ty_at(c, ")")) {
                        if (--depth < 0)
                                break;
                } else if (depth == 0 && sc->from < 0 && ty_at(c, "FROM")) {
                        sc->from = c->pos;
                } else if (depth == 0 && sc->from >= 0 &&
                           (ty_at(c, "WHERE") || ty_at(c, "GROUP") || ty_at(c, "HAVING") || ty_at(c, "ORDER") ||
                            ty_at(c, "LIMIT") || ty_at(c, "UNION") || ty_at(c, "EXCEPT") ||
                            ty_at(c, "INTERSECT") || ty_at(c, "WINDOW") || ty_at(c, ";"))) {
                        break;
                }
                if (sc->from >= 0 && (ty_at(c, "LEFT") || ty_at(c, "RIGHT") || ty_at(c, "FULL")))
                        c->outer_join = 1;
        }
        if (sc->from >= 0)
                sc->from_end = c->pos;
        c->pos = save;
}

/* Skips "WITH [RECURSIVE] name [(cols)] AS [NOT] [MATERIALIZED] (...), ..." */
static void skip_with(struct ctx *c)
{
        if (!ty_at(c, "WITH"))
                return;
        c->pos++;
        if (ty_at(c, "RECURSIVE"))
                c->pos++;
        while (ty_peek(c, 0)->t_kind != T_END && !ty_at(c, "SELECT")) {
                if (ty_at(c, "("))
                        ty_skip_parens(c);
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

        if (ty_at(c, "DISTINCT") || ty_at(c, "ALL"))
                c->pos++;
        *nstars = 0;
        while (!is_clause_end(c)) {
                struct et e;
                c->why[0] = '\0';
                if (ty_at(c, "*") || (ty_peek(c, 1)->t_kind == T_OP && ty_tok_is(c, ty_peek(c, 1), ".") &&
                                   ty_tok_is(c, ty_peek(c, 2), "*"))) {
                        c->pos += ty_at(c, "*") ? 1 : 3;
                        e = ty_et_unknown();
                        if (!*nstars)
                                *star_at = n;
                        (*nstars)++;
                } else {
                        e = ty_expr(c, sc);
                        if (e.is_bool) {
                                e = ty_et_unknown();
                                ty_why(c, "a comparison used as a value (SQL Server has no boolean "
                                       "columns)%.*s",
                                    "", 0);
                        }
                        if (ty_at(c, "AS"))
                                c->pos++;
                        if (ty_peek(c, 0)->t_kind == T_IDENT || ty_peek(c, 0)->t_kind == T_QIDENT ||
                            ty_peek(c, 0)->t_kind == T_STRING) {
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
                if (!ty_at(c, ","))
                        break;
                c->pos++;
        }
        return n;
}

/* The type of a scalar subquery: its first item. */
struct et ty_select_first(struct ctx *c, const struct scope *outer)
{
        struct scope sc = {-1, -1, outer};
        struct et e = ty_et_unknown();
        int star = 0, nstars;

        skip_with(c);
        if (!ty_at(c, "SELECT"))
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

                while (ty_peek(c, 0)->t_kind != T_END) {
                        if (ty_at(c, "("))
                                depth++;
                        else if (ty_at(c, ")") && --depth < 0)
                                return compound;
                        else if (depth == 0 && (ty_at(c, "UNION") || ty_at(c, "EXCEPT") || ty_at(c, "INTERSECT")))
                                break;
                        c->pos++;
                }
                if (ty_peek(c, 0)->t_kind == T_END)
                        return compound;
                c->pos++;
                if (ty_at(c, "ALL"))
                        c->pos++;
                if (!ty_at(c, "SELECT"))
                        return compound;
                c->pos++;
                compound = 1;
                find_from(c, &sc);
                more = retl_calloc((size_t)n + 1, sizeof(*more));
                n2 = select_items(c, &sc, more, NULL, n, &star, &stars2);
                for (int k = 0; k < n; k++) {
                        if (nstars || stars2 || n2 != n) {
                                items[k] = ty_et_unknown(); /* SQLite says the counts match */
                        } else {
                                struct et h = ty_higher(items[k], more[k]);
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
                if (ty_tok_is(c, &c->toks[i], ")"))
                        depth++;
                else if (ty_tok_is(c, &c->toks[i], "("))
                        depth = depth > 0 ? depth - 1 : 0;
                else if (depth == 0 && ty_tok_is(c, &c->toks[i], "SELECT"))
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
        while (i >= 2 && ty_tok_is(c, &c->toks[i - 1], ".") &&
               (c->toks[i - 2].t_kind == T_IDENT || c->toks[i - 2].t_kind == T_QIDENT))
                i -= 2;
        *first = i;
        return 1;
}

static int ref_fwd(const struct ctx *c, int first, int *last)
{
        int i = first;

        if (i >= c->ntoks || (c->toks[i].t_kind != T_IDENT && c->toks[i].t_kind != T_QIDENT) ||
            ty_tok_is(c, &c->toks[i + 1], "("))
                return 0;
        while (ty_tok_is(c, &c->toks[i + 1], ".") &&
               (c->toks[i + 2].t_kind == T_IDENT || c->toks[i + 2].t_kind == T_QIDENT))
                i += 2;
        *last = i;
        return 1;
}

/* RETL_DT(x) around tokens first..last; RETL_DT(x, 1) in UTC (for a
 * datetimeoffset column). */
static void wrap(struct ctx *c, int first, int last, int utc)
{
        ty_patch(c, c->toks[first].t_at, 0, "RETL_DT(");
        ty_patch(c, c->toks[last].t_at + c->toks[last].t_len, 0, utc ? ", 1)" : ")");
}

/* A date/time column compared with a string literal ("updated > '2024-05-01
 * 10:00'", BETWEEN too) compares instants, as SQL Server does, not text:
 * both sides go through RETL_DT, which writes them in one form. */
static void date_comparisons(struct ctx *c)
{
        for (int i = 1; i + 1 < c->ntoks; i++) {
                const struct tok *t = &c->toks[i];
                int first, last, lit, rf, rl, utc, between = ty_tok_is(c, t, "BETWEEN");
                struct scope sc;
                struct et e;

                if (!between && !(t->t_kind == T_OP && (ty_tok_is(c, t, "=") || ty_tok_is(c, t, "<") ||
                                                        ty_tok_is(c, t, ">") || ty_tok_is(c, t, "<=") ||
                                                        ty_tok_is(c, t, ">=") || ty_tok_is(c, t, "<>") ||
                                                        ty_tok_is(c, t, "!=") || ty_tok_is(c, t, "=="))))
                        continue;
                /* column op 'literal' */
                if (ref_back(c, i - 1, &first) && c->toks[i + 1].t_kind == T_STRING) {
                        rf = first;
                        rl = i - 1;
                        lit = i + 1;
                } else if (!between && c->toks[i - 1].t_kind != T_STRING && i >= 3 &&
                           ty_tok_is(c, &c->toks[i - 2], "COLLATE") &&
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
                e = ty_column_type(c, c->toks[rf].t_at,
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
                        if (ty_tok_is(c, &c->toks[k], "COLLATE"))
                                k += 2;
                        if (ty_tok_is(c, &c->toks[k], "AND") && c->toks[k + 1].t_kind == T_STRING)
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
        ty_tokenize(&c);
        for (int i = 0; i < c.ntoks; i++)
                if (ty_tok_is(&c, &c.toks[i], "JOIN") && i > 0 &&
                    (ty_tok_is(&c, &c.toks[i - 1], "LEFT") || ty_tok_is(&c, &c.toks[i - 1], "RIGHT") ||
                     ty_tok_is(&c, &c.toks[i - 1], "FULL") || ty_tok_is(&c, &c.toks[i - 1], "OUTER")))
                        c.outer_join = 1;
        skip_with(&c);
        if (!ty_at(&c, "SELECT")) {
                for (int i = 0; i < ncols; i++)
                        ty->ty_why[i] = retl_strdup("a result that is not a SELECT list");
                goto out;
        }
        c.prefix_len = ty_peek(&c, 0)->t_at;
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
                                                  ? ty_et_kind(RETL_MT_INT, 0, 0, 0).t
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
