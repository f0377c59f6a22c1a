/* retl-mssql-standin — SQLite errors as SQL Server errors. */
#ifndef RETL_MSSQL_TSQL_ERRORS_H
#define RETL_MSSQL_TSQL_ERRORS_H

#include "sandbox/mssql/types.h"

/** @brief Turns an SQLite error into a SQL Server error: syntax → 102 (15),
 *  no such table → 208 (16), no such column → 207 (16), constraint
 *  violations → 2627/515, errors raised by our functions keep their number,
 *  anything else → 50000 (16). */
void retl_mssql_map_error(int rc, const char *msg, struct retl_mssql_error *err);

/** @brief A 208 "Invalid object name" for a table the batch @p text names
 *  with a dbo. prefix (which the rewriter drops) gets the name as written,
 *  "dbo.x", as SQL Server reports it. Other errors are left alone. */
void retl_mssql_name_object(struct retl_mssql_error *err, const char *text, size_t len);

#endif
