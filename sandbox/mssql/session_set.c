/* retl-mssql-standin — SET statements: options kept per connection, and
 * SQL Server's errors for unknown options and bad values. */
#include "sandbox/mssql/session_set.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const flag_names[RETL_SET_NFLAGS] = {
        "ANSI_NULLS", "ANSI_NULL_DFLT_ON", "ANSI_NULL_DFLT_OFF", "ANSI_PADDING", "ANSI_WARNINGS",
        "ARITHABORT", "ARITHIGNORE", "CONCAT_NULL_YIELDS_NULL", "CURSOR_CLOSE_ON_COMMIT",
        "IMPLICIT_TRANSACTIONS", "NOCOUNT", "NUMERIC_ROUNDABORT", "QUOTED_IDENTIFIER",
        "XACT_ABORT",
};

#define BIT(f) (1u << (f))

/* What SET ANSI_DEFAULTS ON|OFF turns on or off. */
#define ANSI_DEFAULTS                                                                          \
        (BIT(RETL_SET_ANSI_NULLS) | BIT(RETL_SET_ANSI_NULL_DFLT_ON) |                          \
         BIT(RETL_SET_ANSI_PADDING) | BIT(RETL_SET_ANSI_WARNINGS) |                            \
         BIT(RETL_SET_CURSOR_CLOSE_ON_COMMIT) | BIT(RETL_SET_IMPLICIT_TRANSACTIONS) |          \
         BIT(RETL_SET_QUOTED_IDENTIFIER))

/* Known ON/OFF options the stand-in accepts without keeping them. */
static const char *const other_flags[] = {
        "FMTONLY", "FORCEPLAN", "NOEXEC", "PARSEONLY", "REMOTE_PROC_TRANSACTIONS",
        "SHOWPLAN_ALL", "SHOWPLAN_TEXT", "SHOWPLAN_XML", "NO_BROWSETABLE", NULL,
};

/* Known options taking one value, accepted without keeping them. */
static const char *const other_values[] = {
        "DATEFIRST", "DATEFORMAT", "LANGUAGE", "DEADLOCK_PRIORITY", "CONTEXT_INFO",
        "QUERY_GOVERNOR_COST_LIMIT", "ROWCOUNT", NULL,
};

static const char *const isolations[] = {
        "READ UNCOMMITTED", "READ COMMITTED", "REPEATABLE READ", "SNAPSHOT", "SERIALIZABLE", NULL,
};

void retl_mssql_set_init(struct retl_mssql_set_state *st, int odbc)
{
        memset(st, 0, sizeof(*st));
        st->ss_lock_timeout = -1;
        st->ss_textsize = 4096;
        st->ss_isolation = isolations[1];
        if (odbc) {
                st->ss_on = (ANSI_DEFAULTS & ~(BIT(RETL_SET_CURSOR_CLOSE_ON_COMMIT) |
                                               BIT(RETL_SET_IMPLICIT_TRANSACTIONS))) |
                            BIT(RETL_SET_CONCAT_NULL_YIELDS_NULL);
                st->ss_textsize = 2147483647;
        }
}

/* The next word of [*q, end), upper-cased into @p out ("" at the end); a
 * comma is a word of its own. */
static void next_word(const char **q, const char *end, char *out, size_t size)
{
        const char *p = *q;
        size_t n = 0;

        while (p < end && isspace((unsigned char)*p))
                p++;
        if (p < end && *p == ',') {
                p++;
                if (size > 1)
                        out[n++] = ',';
        } else {
                for (; p < end && !isspace((unsigned char)*p) && *p != ','; p++)
                        if (n + 1 < size)
                                out[n++] = (char)toupper((unsigned char)*p);
        }
        out[n] = '\0';
        *q = p;
}

/* @returns the entry of @p list equal to @p w, or NULL. */
static const char *in_list(const char *const *list, const char *w)
{
        for (size_t i = 0; list[i]; i++)
                if (!strcmp(list[i], w))
                        return list[i];
        return NULL;
}

static int flag_of(const char *w)
{
        for (int i = 0; i < RETL_SET_NFLAGS; i++)
                if (!strcmp(flag_names[i], w))
                        return i;
        return -1;
}

static int set_error(struct retl_mssql_error *err, int number, const char *word)
{
        err->me_number = number;
        err->me_severity = 15;
        err->me_state = 1;
        if (number == 195)
                snprintf(err->me_msg, sizeof(err->me_msg), "'%s' is not a recognized SET option.",
                         word);
        else
                snprintf(err->me_msg, sizeof(err->me_msg), "Incorrect syntax near '%s'.",
                         *word ? word : "SET");
        return -1;
}

/* A whole integer, as LOCK_TIMEOUT and TEXTSIZE take. */
static int parse_int(const char *w, long long *v)
{
        char *e;

        if (!*w)
                return -1;
        *v = strtoll(w, &e, 10);
        return *e ? -1 : 0;
}

/* SET opt [, opt …] ON|OFF */
static int apply_flags(struct retl_mssql_set_state *st, const char *first, const char **q,
                       const char *end, struct retl_mssql_error *err)
{
        unsigned bits = 0;
        char w[64];

        snprintf(w, sizeof(w), "%s", first);
        for (;;) {
                int f = flag_of(w);
                if (!strcmp(w, "ANSI_DEFAULTS"))
                        bits |= ANSI_DEFAULTS;
                else if (f >= 0)
                        bits |= BIT(f);
                else if (!in_list(other_flags, w))
                        return set_error(err, 195, w);
                next_word(q, end, w, sizeof(w));
                if (strcmp(w, ","))
                        break;
                next_word(q, end, w, sizeof(w));
        }
        if (strcmp(w, "ON") && strcmp(w, "OFF"))
                return set_error(err, 102, w);
        if (!strcmp(w, "ON")) {
                st->ss_on |= bits;
                /* the two defaults for new columns exclude each other */
                if (bits & BIT(RETL_SET_ANSI_NULL_DFLT_ON))
                        st->ss_on &= ~BIT(RETL_SET_ANSI_NULL_DFLT_OFF);
                else if (bits & BIT(RETL_SET_ANSI_NULL_DFLT_OFF))
                        st->ss_on &= ~BIT(RETL_SET_ANSI_NULL_DFLT_ON);
        } else {
                st->ss_on &= ~bits;
        }
        next_word(q, end, w, sizeof(w));
        return *w ? set_error(err, 102, w) : 0;
}

static int apply_one(struct retl_mssql_set_state *st, const char *p, const char *end,
                     struct retl_mssql_error *err)
{
        const char *q = p + 3;
        char w[64], v[64];
        long long n;

        while (q < end && isspace((unsigned char)*q))
                q++;
        if (q < end && *q == '@')
                return 0;
        next_word(&q, end, w, sizeof(w));
        if (!strcmp(w, "LOCK_TIMEOUT") || !strcmp(w, "TEXTSIZE")) {
                next_word(&q, end, v, sizeof(v));
                if (parse_int(v, &n) || (n < -1 && w[0] == 'L'))
                        return set_error(err, 102, v);
                if (w[0] == 'L')
                        st->ss_lock_timeout = n;
                else    /* 0 or less: back to the default */
                        st->ss_textsize = n > 0 ? n : 4096;
        } else if (!strcmp(w, "TRANSACTION")) {
                char a[32], b[32], level[64];
                const char *lv;
                next_word(&q, end, a, sizeof(a));
                next_word(&q, end, b, sizeof(b));
                if (strcmp(a, "ISOLATION") || strcmp(b, "LEVEL"))
                        return set_error(err, 102, strcmp(a, "ISOLATION") ? a : b);
                next_word(&q, end, a, sizeof(a));
                next_word(&q, end, b, sizeof(b));
                snprintf(level, sizeof(level), "%s%s%s", a, *b ? " " : "", b);
                lv = in_list(isolations, level);
                if (!lv)
                        return set_error(err, 102, a);
                st->ss_isolation = lv;
        } else if (in_list(other_values, w)) {
                next_word(&q, end, v, sizeof(v));
                /* the value may be a quoted string with blanks */
                return *v ? 0 : set_error(err, 102, w);
        } else if (!strcmp(w, "STATISTICS") || !strcmp(w, "IDENTITY_INSERT")) {
                next_word(&q, end, v, sizeof(v));         /* IO, TIME, …; the table */
                next_word(&q, end, v, sizeof(v));
                if (strcmp(v, "ON") && strcmp(v, "OFF"))
                        return set_error(err, 102, v);
        } else {
                return apply_flags(st, w, &q, end, err);
        }
        next_word(&q, end, v, sizeof(v));
        return *v ? set_error(err, 102, v) : 0;
}

int retl_mssql_set_apply(struct retl_mssql_set_state *st, const char *p, const char *end,
                         struct retl_mssql_error *err)
{
        /* a refused statement changes nothing: it is applied to a copy */
        struct retl_mssql_set_state next = *st;

        if (apply_one(&next, p, end, err))
                return -1;
        *st = next;
        return 0;
}

json_t *retl_mssql_set_json(const struct retl_mssql_set_state *st)
{
        json_t *on = json_array();

        for (int i = 0; i < RETL_SET_NFLAGS; i++)
                if (st->ss_on & BIT(i))
                        json_array_append_new(on, json_string(flag_names[i]));
        return json_pack("{s:o, s:I, s:I, s:s}", "on", on, "lock_timeout",
                         (json_int_t)st->ss_lock_timeout, "textsize", (json_int_t)st->ss_textsize,
                         "isolation", st->ss_isolation ? st->ss_isolation : "");
}
