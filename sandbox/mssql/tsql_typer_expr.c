/* retl-mssql-standin — expressions typed by SQL Server's rules: literals,
 * column references, functions, CAST and CONVERT, CASE, unary, arithmetic
 * and string operators, comparisons. */
#include "sandbox/mssql/tsql_typer_int.h"

#include "mem.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------ expressions */


/* The type named by a string literal such as 'NVARCHAR(5)'. */
static struct et type_literal(struct ctx *c, const struct tok *t)
{
        char buf[80];
        struct et e = ty_et_unknown();

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
        if (ty_at(c, "DISTINCT") || ty_at(c, "ALL"))
                c->pos++;
        if (ty_at(c, ")")) {
                c->pos++;
                return 0;
        }
        if (ty_at(c, "*")) {
                c->pos++;
                if (ty_at(c, ")"))
                        c->pos++;
                return 0;
        }
        for (;;) {
                const struct tok *t = ty_peek(c, 0);
                struct et e = ty_expr(c, sc);
                if (n < 8) {
                        args[n] = e;
                        if (first)
                                first[n] = t;
                }
                n++;
                if (ty_at(c, ",")) {
                        c->pos++;
                        continue;
                }
                if (ty_at(c, ")"))
                        c->pos++;
                else
                        ty_why(c, "the call%.*s", "", 0);
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
        ty_patch(c, ty_peek(c, -1)->t_at, 1, text);
}

static struct et string_of(const struct et *a, int len)
{
        return ty_et_kind(a->known && ty_is_wide(a->t.mt_kind) ? RETL_MT_NVARCHAR : RETL_MT_VARCHAR,
                       a->known && a->t.mt_length == RETL_MT_MAX ? RETL_MT_MAX : len, 0, 0);
}

static struct et function(struct ctx *c, const struct tok *name, const struct scope *sc)
{
        struct et a[8], r = ty_et_unknown();
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
                return ty_et_kind(RETL_MT_INT, 0, 0, 0);
        if (!strcmp(fn, "COUNT_BIG") || !strcmp(fn, "DATEDIFF_BIG"))
                return ty_et_kind(RETL_MT_BIGINT, 0, 0, 0);
        if (!strcmp(fn, "DATEDIFF") || !strcmp(fn, "YEAR") || !strcmp(fn, "MONTH") ||
            !strcmp(fn, "DAY") || !strcmp(fn, "DATEPART") || !strcmp(fn, "RETL_TRANCOUNT") ||
            !strcmp(fn, "CHARINDEX") || !strcmp(fn, "LEN"))
                return ty_et_kind(RETL_MT_INT, 0, 0, 0);
        if (!strcmp(fn, "GETDATE") || !strcmp(fn, "GETUTCDATE"))
                return ty_et_kind(RETL_MT_DATETIME, 0, 0, 0);
        if (!strcmp(fn, "SYSDATETIME") || !strcmp(fn, "SYSUTCDATETIME"))
                return ty_et_kind(RETL_MT_DATETIME2, 0, 0, 7);
        if (!strcmp(fn, "SYSDATETIMEOFFSET"))
                return ty_et_kind(RETL_MT_DATETIMEOFFSET, 0, 0, 7);
        if (!strcmp(fn, "NEWID"))
                return ty_et_kind(RETL_MT_UNIQUEIDENTIFIER, 0, 0, 0);
        if (!strcmp(fn, "DB_NAME"))
                return ty_et_kind(RETL_MT_NVARCHAR, 128, 0, 0);
        if (!strcmp(fn, "FORMAT"))
                return ty_et_kind(RETL_MT_NVARCHAR, 4000, 0, 0);
        if (!strcmp(fn, "STR")) {
                int len = 10;
                if (n >= 2 && first[1] && first[1]->t_kind == T_NUMBER)
                        len = atoi(c->sql + first[1]->t_at);
                return ty_et_kind(RETL_MT_VARCHAR, len > 0 && len <= 8000 ? len : 10, 0, 0);
        }
        if (!strcmp(fn, "CONCAT")) {
                int wide = 0, max = 0;
                long len = 0;
                for (int i = 0; i < n && i < 8; i++) {
                        if (!a[i].known)
                                continue;
                        wide |= ty_is_wide(a[i].t.mt_kind);
                        max |= a[i].t.mt_length == RETL_MT_MAX;
                        len += ty_is_string(a[i].t.mt_kind) ? a[i].t.mt_length : 30;
                }
                r = ty_et_kind(wide ? RETL_MT_NVARCHAR : RETL_MT_VARCHAR, 0, 0, 0);
                r.t.mt_length = max || len > (wide ? 4000 : 8000) ? (wide ? 4000 : 8000) : (int)len;
                if (max)
                        r.t.mt_length = RETL_MT_MAX;
                return r;
        }
        if (n >= 1 && (!strcmp(fn, "RETL_LEFT") || !strcmp(fn, "RETL_RIGHT") ||
                       !strcmp(fn, "SUBSTRING") || !strcmp(fn, "SUBSTR") || !strcmp(fn, "UPPER") ||
                       !strcmp(fn, "LOWER") || !strcmp(fn, "LTRIM") || !strcmp(fn, "RTRIM") ||
                       !strcmp(fn, "TRIM") || !strcmp(fn, "REPLACE") || !strcmp(fn, "REVERSE"))) {
                if (a[0].known && ty_is_string(a[0].t.mt_kind)) {
                        r = string_of(&a[0], a[0].t.mt_length);
                        return r;
                }
                if (a[0].is_null)
                        return ty_et_kind(RETL_MT_VARCHAR, 1, 0, 0);
                ty_why(c, "%.*s of a value that is not a string", fn, strlen(fn));
                return ty_et_unknown();
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
                return ty_et_kind(RETL_MT_DATETIME, 0, 0, 0); /* a string: datetime */
        }
        if (n >= 1 && (!strcmp(fn, "SUM") || !strcmp(fn, "AVG"))) {
                if (!a[0].known)
                        return a[0];
                if (ty_is_int(a[0].t.mt_kind))
                        return ty_et_kind(a[0].t.mt_kind == RETL_MT_BIGINT ? RETL_MT_BIGINT : RETL_MT_INT, 0,
                                       0, 0);
                if (a[0].t.mt_kind == RETL_MT_DECIMAL || a[0].t.mt_kind == RETL_MT_NUMERIC)
                        return ty_et_kind(RETL_MT_DECIMAL, 0, 38,
                                       !strcmp(fn, "AVG") && a[0].t.mt_scale < 6 ? 6 : a[0].t.mt_scale);
                if (a[0].t.mt_kind == RETL_MT_MONEY || a[0].t.mt_kind == RETL_MT_SMALLMONEY)
                        return ty_et_kind(RETL_MT_MONEY, 0, 0, 0);
                if (a[0].t.mt_kind == RETL_MT_REAL || a[0].t.mt_kind == RETL_MT_FLOAT)
                        return ty_et_kind(RETL_MT_FLOAT, 0, 0, 0);
                ty_why(c, "%.*s of a value that is not a number", fn, strlen(fn));
                return ty_et_unknown();
        }
        if (!strcmp(fn, "COALESCE") || !strcmp(fn, "IIF")) {
                r.is_null = 1;
                for (int i = !strcmp(fn, "IIF"); i < n && i < 8; i++)
                        r = ty_higher(r, a[i]);
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
        ty_why(c, "the function %.*s", fn, strlen(fn));
        return ty_et_unknown();
}

static struct et number_literal(struct ctx *c, const struct tok *t)
{
        const char *s = c->sql + t->t_at;
        int digits = 0, scale = 0, dot = 0;

        for (size_t i = 0; i < t->t_len; i++) {
                if (s[i] == 'e' || s[i] == 'E')
                        return ty_et_kind(RETL_MT_FLOAT, 0, 0, 0);
                if (s[i] == '.') {
                        dot = 1;
                } else if (isdigit((unsigned char)s[i])) {
                        if (digits || s[i] != '0' || dot)
                                digits++;
                        scale += dot;
                } else {
                        ty_why(c, "the number %.*s", s, t->t_len);
                        return ty_et_unknown();
                }
        }
        if (!dot) {
                long long v = strtoll(s, NULL, 10);
                if (digits <= 10 && v <= 2147483647LL)
                        return ty_et_kind(RETL_MT_INT, 0, 0, 0);
                return ty_decimal_of(digits, 0);
        }
        if (digits < scale)
                digits = scale;
        return ty_decimal_of(digits ? digits : 1, scale);
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
                return ty_et_kind(wide ? RETL_MT_NVARCHAR : RETL_MT_VARCHAR, RETL_MT_MAX, 0, 0);
        return ty_et_kind(wide ? RETL_MT_NVARCHAR : RETL_MT_VARCHAR, (int)chars, 0, 0);
}

static struct et primary(struct ctx *c, const struct scope *sc)
{
        const struct tok *t = ty_peek(c, 0);

        switch (t->t_kind) {
        case T_NUMBER:
                c->pos++;
                return number_literal(c, t);
        case T_STRING:
                c->pos++;
                if (ty_at(c, "COLLATE"))
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
                ty_why(c, "the parameter %.*s", c->sql + t->t_at, t->t_len);
                return ty_et_unknown();
        case T_OP:
                if (ty_at(c, "(")) {
                        struct et e;
                        if (ty_tok_is(c, ty_peek(c, 1), "SELECT") || ty_tok_is(c, ty_peek(c, 1), "WITH")) {
                                int end;
                                int save = c->pos;
                                ty_skip_parens(c);
                                end = c->pos;
                                c->pos = save + 1;
                                e = ty_select_first(c, sc);
                                c->pos = end;
                                return e;
                        }
                        c->pos++;
                        e = ty_expr(c, sc);
                        if (ty_at(c, ","))
                                ty_why(c, "a row value%.*s", "", 0);
                        if (ty_at(c, ")"))
                                c->pos++;
                        return e;
                }
                break;
        case T_QIDENT:
        case T_IDENT: {
                size_t start = t->t_at, end;
                if (t->t_kind == T_IDENT) {
                        if (ty_at(c, "NULL")) {
                                struct et e = ty_et_kind(RETL_MT_INT, 0, 0, 0);
                                c->pos++;
                                e.is_null = 1;
                                return e;
                        }
                        if (ty_at(c, "CASE")) {
                                struct et r = {0, 1, 0, {0}};
                                int simple;
                                c->pos++;
                                simple = !ty_at(c, "WHEN");
                                if (simple)
                                        ty_expr(c, sc);
                                while (ty_at(c, "WHEN")) {
                                        c->pos++;
                                        ty_expr(c, sc);
                                        if (ty_at(c, "THEN"))
                                                c->pos++;
                                        r = ty_higher(r, ty_expr(c, sc));
                                }
                                if (ty_at(c, "ELSE")) {
                                        c->pos++;
                                        r = ty_higher(r, ty_expr(c, sc));
                                }
                                if (ty_at(c, "END"))
                                        c->pos++;
                                return r;
                        }
                        if (ty_at(c, "EXISTS") || ty_at(c, "NOT")) {
                                struct et e;
                                c->pos++;
                                e = primary(c, sc);
                                e.is_bool = 1;
                                return e;
                        }
                        if (ty_tok_is(c, ty_peek(c, 1), "(")) {
                                c->pos++;
                                return function(c, t, sc);
                        }
                }
                /* a column: name, table.name, schema.table.name */
                c->pos++;
                while (ty_at(c, ".") && (ty_peek(c, 1)->t_kind == T_IDENT || ty_peek(c, 1)->t_kind == T_QIDENT))
                        c->pos += 2;
                end = ty_peek(c, -1)->t_at + ty_peek(c, -1)->t_len;
                if (ty_at(c, "COLLATE"))
                        c->pos += 2;
                return ty_column_type(c, start, end - start, sc);
        }
        default:
                break;
        }
        ty_why(c, "the expression at '%.*s'", c->sql + t->t_at, t->t_len < 20 ? t->t_len : 20);
        c->pos++;
        return ty_et_unknown();
}

static struct et unary(struct ctx *c, const struct scope *sc)
{
        if (ty_at(c, "-") || ty_at(c, "+") || ty_at(c, "~")) {
                c->pos++;
                return unary(c, sc);
        }
        return primary(c, sc);
}

static struct et mul(struct ctx *c, const struct scope *sc)
{
        struct et a = unary(c, sc);

        while (ty_at(c, "*") || ty_at(c, "/") || ty_at(c, "%")) {
                char op = c->sql[ty_peek(c, 0)->t_at];
                c->pos++;
                a = ty_arith(c, a, unary(c, sc), op);
        }
        return a;
}


static struct et add(struct ctx *c, const struct scope *sc)
{
        struct et a = mul(c, sc);

        while (ty_at(c, "+") || ty_at(c, "-") || ty_at(c, "||") || ty_at(c, "&") || ty_at(c, "|") || ty_at(c, "^")) {
                const struct tok *op = ty_peek(c, 0);
                char o = c->sql[op->t_at];
                struct et b;
                c->pos++;
                b = mul(c, sc);
                if (o == '+' && ((a.known && ty_is_string(a.t.mt_kind) && !a.is_null) ||
                                 (b.known && ty_is_string(b.t.mt_kind) && !b.is_null))) {
                        struct et sa = a, sb = b;
                        if (sa.is_null)
                                sa = sb;
                        if (sb.is_null)
                                sb = sa;
                        if (!sa.known || !sb.known || !ty_is_string(sa.t.mt_kind) ||
                            !ty_is_string(sb.t.mt_kind)) {
                                ty_why(c, "+ between a string and a value that is not one%.*s", "", 0);
                                a = ty_et_unknown();
                                continue;
                        }
                        ty_patch(c, op->t_at, 1, "||"); /* SQLite's concatenation */
                        a = ty_higher(sa, sb);
                        if (a.t.mt_length != RETL_MT_MAX) {
                                long len = (long)sa.t.mt_length + sb.t.mt_length;
                                int cap = ty_is_wide(a.t.mt_kind) ? 4000 : 8000;
                                a.t.mt_length = len > cap ? cap : (int)len;
                        }
                        continue;
                }
                if (o == '|' && op->t_len == 2) {
                        ty_why(c, "the operator ||%.*s", "", 0);
                        a = ty_et_unknown();
                        continue;
                }
                a = ty_arith(c, a, b, o == '-' || o == '+' ? o : '+');
        }
        return a;
}

static struct et comparison(struct ctx *c, const struct scope *sc)
{
        struct et a = add(c, sc);

        for (;;) {
                if (ty_at(c, "=") || ty_at(c, "==") || ty_at(c, "<>") || ty_at(c, "!=") || ty_at(c, "<") ||
                    ty_at(c, ">") || ty_at(c, "<=") || ty_at(c, ">=") || ty_at(c, "LIKE") || ty_at(c, "GLOB")) {
                        c->pos++;
                        add(c, sc);
                } else if (ty_at(c, "IS")) {
                        c->pos++;
                        if (ty_at(c, "NOT"))
                                c->pos++;
                        add(c, sc);
                } else if (ty_at(c, "NOT") && (ty_tok_is(c, ty_peek(c, 1), "IN") ||
                                            ty_tok_is(c, ty_peek(c, 1), "LIKE") ||
                                            ty_tok_is(c, ty_peek(c, 1), "BETWEEN"))) {
                        c->pos++;
                        continue;
                } else if (ty_at(c, "IN")) {
                        c->pos++;
                        if (ty_at(c, "("))
                                ty_skip_parens(c);
                } else if (ty_at(c, "BETWEEN")) {
                        c->pos++;
                        add(c, sc);
                        if (ty_at(c, "AND"))
                                c->pos++;
                        add(c, sc);
                } else {
                        return a;
                }
                a.is_bool = 1;
        }
}

struct et ty_expr(struct ctx *c, const struct scope *sc)
{
        struct et a;

        if (ty_at(c, "NOT")) {
                c->pos++;
                a = ty_expr(c, sc);
                a.is_bool = 1;
                return a;
        }
        a = comparison(c, sc);
        while (ty_at(c, "AND") || ty_at(c, "OR")) {
                c->pos++;
                comparison(c, sc);
                a.is_bool = 1;
        }
        return a;
}
