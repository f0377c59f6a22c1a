/* retl-mssql-standin — T-SQL conversions (CAST, TRY_CAST, CONVERT, FORMAT,
 * STR) as SQLite functions; the rewriter turns the T-SQL forms into calls. */
#ifndef RETL_MSSQL_TSQL_CAST_H
#define RETL_MSSQL_TSQL_CAST_H

#include <sqlite3.h>

/** @brief Registers RETL_CAST(x, 'type' [, 'source type']), RETL_TRY_CAST,
 *  RETL_CONVERT('type', x [, style [, 'source type']]), RETL_TRY_CONVERT,
 *  FORMAT(date, pattern [, culture]) and STR(x [, length [, decimals]]).
 *  @returns SQLITE_OK or an SQLite error code. */
int retl_mssql_register_cast(sqlite3 *db);

#endif
