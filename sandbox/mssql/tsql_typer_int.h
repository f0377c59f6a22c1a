/* retl-mssql-standin — the expression typer's insides, shared by its files:
 * tsql_typer.c (column references, derived columns, select lists, date
 * comparisons, the run), tsql_typer_lex.c (tokens), tsql_typer_types.c (the
 * type algebra) and tsql_typer_expr.c (expressions); nothing else includes
 * it (callers use tsql_typer.h). */
#ifndef RETL_TSQL_TYPER_INT_H
#define RETL_TSQL_TYPER_INT_H

#include "sandbox/mssql/tsql_typer.h"

#include <stddef.h>

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

/* tsql_typer_lex.c: tokens, their tests, messages and patches */
void ty_tokenize(struct ctx *c);
const struct tok *ty_peek(const struct ctx *c, int k);
int ty_tok_is(const struct ctx *c, const struct tok *t, const char *w);
int ty_at(const struct ctx *c, const char *w);
void ty_skip_parens(struct ctx *c);
void ty_why(struct ctx *c, const char *fmt, const char *arg, size_t len);
void ty_patch(struct ctx *c, size_t at_, size_t len, const char *text);

/* tsql_typer_types.c: the type algebra (precedence, decimal precision and scale) */
struct et ty_et_kind(enum retl_mssql_kind k, int len, int p, int s);
struct et ty_et_unknown(void);
int ty_is_string(enum retl_mssql_kind k);
int ty_is_wide(enum retl_mssql_kind k);
int ty_is_int(enum retl_mssql_kind k);
struct et ty_decimal_of(int p, int s);
struct et ty_higher(struct et a, struct et b);
struct et ty_arith(struct ctx *c, struct et a, struct et b, char op);

/* tsql_typer_expr.c: expressions (literals, functions, CAST, CASE, operators) */
struct et ty_expr(struct ctx *c, const struct scope *sc);

/* tsql_typer.c: column references and the first column of a subquery */
struct et ty_column_type(struct ctx *c, size_t at, size_t len, const struct scope *sc);
struct et ty_select_first(struct ctx *c, const struct scope *outer);

#endif
