/* retl-mssql-standin — the T-SQL that SQLite is taught: a rewriter for the
 * syntax it lacks, functions it lacks, and SQL Server style error numbers. */
#ifndef RETL_MSSQL_TSQL_H
#define RETL_MSSQL_TSQL_H

#include "sandbox/mssql/types.h"

#include <sqlite3.h>

/** @brief Rewrites a T-SQL batch into SQLite SQL: TOP (n) / TOP n → LIMIT,
 *  [x] → "x", N'…' → '…', "dbo." dropped, WITH (NOLOCK) dropped, ISNULL( →
 *  IFNULL(, the datepart of DATEDIFF/DATEDIFF_BIG/DATEADD quoted, TRAN →
 *  TRANSACTION, @@VERSION and @@SPID as literals. Strings and comments are
 *  left alone. @returns a NUL-terminated string to free(). */
char *retl_mssql_rewrite(const char *sql, size_t len, int spid);

/** @brief Registers GETDATE, GETUTCDATE, SYSDATETIME, SYSUTCDATETIME,
 *  DATEDIFF, DATEDIFF_BIG, DATEADD, LEN, NEWID and RETL_FAIL_AT on @p db.
 *  @returns an SQLite result code. */
int retl_mssql_register_functions(sqlite3 *db);

/** @brief Turns an SQLite error into a SQL Server error: syntax → 102 (15),
 *  no such table → 208 (16), no such column → 207 (16), constraint
 *  violations → 2627/515, errors raised by our functions keep their number,
 *  anything else → 50000 (16). */
void retl_mssql_map_error(int rc, const char *msg, struct retl_mssql_error *err);

#endif
