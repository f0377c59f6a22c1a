/* retl-mssql-standin — the T-SQL rewriter: a batch's SQL Server syntax
 * turned into SQLite's. */
#ifndef RETL_MSSQL_TSQL_REWRITE_H
#define RETL_MSSQL_TSQL_REWRITE_H

#include <stddef.h>

/** @brief Rewrites a T-SQL batch into SQLite SQL: TOP (n) / TOP n → LIMIT,
 *  [x] → "x", N'…' → '…', "dbo." dropped, WITH (NOLOCK) dropped, ISNULL( →
 *  IFNULL(, the datepart of DATEDIFF/DATEDIFF_BIG/DATEADD quoted, TRAN →
 *  TRANSACTION, @@VERSION and @@SPID as literals. Strings and comments are
 *  left alone. @returns a NUL-terminated string to free(). */
char *retl_mssql_rewrite(const char *sql, size_t len, int spid);

/** @brief The same, with the session's SET QUOTED_IDENTIFIER (0: OFF, so
 *  "x" is the string 'x'). Also: CAST(x AS t) / TRY_CAST → RETL_CAST(x, 't')
 *  / RETL_TRY_CAST, CONVERT(t, x[, style]) → RETL_CONVERT('t', x[, style]),
 *  LEFT( / RIGHT( → RETL_LEFT( / RETL_RIGHT(, @@TRANCOUNT → RETL_TRANCOUNT(),
 *  the datepart of DATEPART quoted, COLLATE NOCASE after a string literal
 *  next to a comparison and before IN, and 'YYYY-MM-DDThh:mm…' compared as
 *  'YYYY-MM-DD hh:mm…'. */
char *retl_mssql_rewrite_opts(const char *sql, size_t len, int spid, int quoted_identifier);

#endif
