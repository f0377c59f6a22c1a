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

#endif
