/* retl-mssql-standin — the SQL Server type of each result column computed
 * by an expression, derived from the expression (never from its values),
 * and the SQLite text changes typing calls for ('+' between strings). */
#ifndef RETL_MSSQL_TSQL_TYPER_H
#define RETL_MSSQL_TSQL_TYPER_H

#include "sandbox/mssql/types.h"

#include <sqlite3.h>

struct retl_mssql_typed {
        int ty_ncols;
        struct retl_mssql_type *ty_types; /* per result column */
        unsigned char *ty_known;          /* 1: ty_types[i] is the expression's type */
        char **ty_why;                    /* 0: why it is not known (for the refusal) */
        int ty_outer_join;                /* LEFT/RIGHT/FULL JOIN: every column nullable */
        int ty_compound;                  /* UNION/EXCEPT/INTERSECT: ty_types wins over
                                             the first SELECT's declared types */
        char *ty_sql;                     /* the statement to run instead, or NULL */
};

/** @brief Types the select list of @p sql (one SQLite statement, after
 *  tsql_rewrite) with @p ncols result columns. Column references are typed
 *  by preparing probes on @p db; @p params type the statement's @names.
 *  Fills @p ty (free it with retl_mssql_typer_free). Never fails: columns
 *  it cannot type have ty_known 0 and a reason. */
void retl_mssql_typer_run(sqlite3 *db, const char *sql, int ncols,
                          const struct retl_mssql_param *params, int nparams,
                          struct retl_mssql_typed *ty);

void retl_mssql_typer_free(struct retl_mssql_typed *ty);

#endif
