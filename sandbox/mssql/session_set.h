/* retl-mssql-standin — SET statements: the options a connection has set,
 * kept per connection as SQL Server keeps them, and the errors SQL Server
 * gives for an option it does not know or a value it cannot take. */
#ifndef RETL_MSSQL_SESSION_SET_H
#define RETL_MSSQL_SESSION_SET_H

#include "sandbox/mssql/types.h"

#include <jansson.h>

/* The ON/OFF options recorded, one bit each (ss_on). */
enum retl_mssql_set_flag {
        RETL_SET_ANSI_NULLS = 0,
        RETL_SET_ANSI_NULL_DFLT_ON,
        RETL_SET_ANSI_NULL_DFLT_OFF,
        RETL_SET_ANSI_PADDING,
        RETL_SET_ANSI_WARNINGS,
        RETL_SET_ARITHABORT,
        RETL_SET_ARITHIGNORE,
        RETL_SET_CONCAT_NULL_YIELDS_NULL,
        RETL_SET_CURSOR_CLOSE_ON_COMMIT,
        RETL_SET_IMPLICIT_TRANSACTIONS,
        RETL_SET_NOCOUNT,
        RETL_SET_NUMERIC_ROUNDABORT,
        RETL_SET_QUOTED_IDENTIFIER,
        RETL_SET_XACT_ABORT,
        RETL_SET_NFLAGS
};

struct retl_mssql_set_state {
        unsigned ss_on;                 /* 1u << flag when ON */
        long long ss_lock_timeout;      /* ms; -1 = wait for ever (the default) */
        long long ss_textsize;          /* bytes */
        const char *ss_isolation;       /* e.g. "READ COMMITTED" (static) */
};

/** @brief A new login's options. SQL Server sets ANSI_DEFAULTS (less
 *  CURSOR_CLOSE_ON_COMMIT and IMPLICIT_TRANSACTIONS), CONCAT_NULL_YIELDS_NULL
 *  and TEXTSIZE 2147483647 for a client whose LOGIN7 has fODBC (@p odbc);
 *  a DB-Library login starts with them OFF and TEXTSIZE 4096. */
void retl_mssql_set_init(struct retl_mssql_set_state *st, int odbc);

/** @brief Applies one SET statement, [@p p, @p end) with @p p at "SET".
 *  `SET @variable …` is left alone (variables are not supported).
 *  @returns 0, or -1 with @p err: 195 (severity 15) "'X' is not a
 *  recognized SET option.", 102 (15) for a value the option cannot take. */
int retl_mssql_set_apply(struct retl_mssql_set_state *st, const char *p, const char *end,
                         struct retl_mssql_error *err);

/** @brief {"on": ["ANSI_NULLS", …], "lock_timeout": ms, "textsize": n,
 *  "isolation": "READ COMMITTED"}: a new reference for the session log. */
json_t *retl_mssql_set_json(const struct retl_mssql_set_state *st);

#endif
