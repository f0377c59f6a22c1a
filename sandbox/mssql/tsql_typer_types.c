/* retl-mssql-standin — the expression typer's type algebra: SQL Server's
 * data type precedence, and the precision and scale of decimal arithmetic. */
#include "sandbox/mssql/tsql_typer_int.h"

#include "mem.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------ types */

struct et ty_et_kind(enum retl_mssql_kind k, int len, int p, int s)
{
        struct et e = {1, 0, 0, {k, len, p, s, 0, NULL}};
        return e;
}

struct et ty_et_unknown(void)
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

int ty_is_string(enum retl_mssql_kind k)
{
        return k == RETL_MT_CHAR || k == RETL_MT_VARCHAR || k == RETL_MT_NCHAR ||
               k == RETL_MT_NVARCHAR;
}

int ty_is_wide(enum retl_mssql_kind k)
{
        return k == RETL_MT_NCHAR || k == RETL_MT_NVARCHAR;
}

int ty_is_int(enum retl_mssql_kind k)
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
        return ty_is_int(k) || is_exact(k) || k == RETL_MT_REAL || k == RETL_MT_FLOAT;
}

/* An exact number's precision and scale, ints included. */
static void exact_ps(const struct retl_mssql_type *t, int *p, int *s)
{
        static const int int_p[] = {3, 5, 10, 19};
        if (ty_is_int(t->mt_kind)) {
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

struct et ty_decimal_of(int p, int s)
{
        if (p > 38) { /* SQL Server keeps the integral digits, scale gives way */
                int keep = 38 - (p - s), min6 = s < 6 ? s : 6;
                int ns = keep > min6 ? keep : min6;
                s = s < ns ? s : ns;
                p = 38;
        }
        if (s > p)
                s = p;
        return ty_et_kind(RETL_MT_DECIMAL, 0, p, s);
}

/* The higher-precedence type of two (CASE, COALESCE, comparisons). */
/* text, ntext, image, xml, sql_variant: SQL Server refuses most operators
 * on them or has rules of their own; the stand-in types no expression
 * mixing them (the column is refused by name: CAST it). */
static int is_legacy(const struct et *e)
{
        return e->known && e->t.mt_kind >= RETL_MT_TEXT;
}

struct et ty_higher(struct et a, struct et b)
{
        if (is_legacy(&a) || is_legacy(&b))
                return ty_et_unknown();
        if (a.is_null)
                return b;
        if (b.is_null || !a.known)
                return a;
        if (!b.known)
                return b;
        if (ty_is_string(a.t.mt_kind) && ty_is_string(b.t.mt_kind)) {
                struct et r = a;
                if (ty_is_wide(b.t.mt_kind) && !ty_is_wide(a.t.mt_kind))
                        r = b;
                r.t.mt_kind = ty_is_wide(r.t.mt_kind) ? RETL_MT_NVARCHAR : RETL_MT_VARCHAR;
                if (a.t.mt_length == RETL_MT_MAX || b.t.mt_length == RETL_MT_MAX)
                        r.t.mt_length = RETL_MT_MAX;
                else
                        r.t.mt_length = a.t.mt_length > b.t.mt_length ? a.t.mt_length
                                                                      : b.t.mt_length;
                return r;
        }
        if ((is_exact(a.t.mt_kind) || ty_is_int(a.t.mt_kind)) &&
            (is_exact(b.t.mt_kind) || ty_is_int(b.t.mt_kind)) &&
            (a.t.mt_kind == RETL_MT_DECIMAL || a.t.mt_kind == RETL_MT_NUMERIC ||
             b.t.mt_kind == RETL_MT_DECIMAL || b.t.mt_kind == RETL_MT_NUMERIC)) {
                /* decimal(p,s) big enough for both (ints as decimal(10,0)...) */
                int p1, s1, p2, s2, s;
                exact_ps(&a.t, &p1, &s1);
                exact_ps(&b.t, &p2, &s2);
                s = s1 > s2 ? s1 : s2;
                return ty_decimal_of((p1 - s1 > p2 - s2 ? p1 - s1 : p2 - s2) + s, s);
        }
        return rank(a.t.mt_kind) <= rank(b.t.mt_kind) ? a : b;
}

/* The result of a +, -, *, / or % between numbers. */
struct et ty_arith(struct ctx *c, struct et a, struct et b, char op)
{
        int p1, s1, p2, s2, p, s;

        if (a.is_null || b.is_null) {
                struct et r = a.is_null ? b : a;
                return r.is_null ? ty_et_kind(RETL_MT_INT, 0, 0, 0) : r;
        }
        if (!a.known || !b.known)
                return ty_et_unknown();
        if (!is_number(a.t.mt_kind) || !is_number(b.t.mt_kind)) {
                ty_why(c, "%.*s between these types", &op, 1);
                return ty_et_unknown();
        }
        if (a.t.mt_kind == RETL_MT_FLOAT || b.t.mt_kind == RETL_MT_FLOAT ||
            a.t.mt_kind == RETL_MT_REAL || b.t.mt_kind == RETL_MT_REAL)
                return ty_higher(a, b);
        if (ty_is_int(a.t.mt_kind) && ty_is_int(b.t.mt_kind)) {
                struct et r = ty_higher(a, b);
                if (r.t.mt_kind == RETL_MT_BIT || r.t.mt_kind == RETL_MT_TINYINT ||
                    r.t.mt_kind == RETL_MT_SMALLINT)
                        r.t.mt_kind = RETL_MT_INT; /* arithmetic on small ints is int */
                return r;
        }
        if ((a.t.mt_kind == RETL_MT_MONEY || a.t.mt_kind == RETL_MT_SMALLMONEY) &&
            (ty_is_int(b.t.mt_kind) || b.t.mt_kind == a.t.mt_kind) && op != '/')
                return ty_et_kind(RETL_MT_MONEY, 0, 0, 0);
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
        return ty_decimal_of(p, s);
}
