/* retl-mssql-standin — SQLite errors as SQL Server errors. */
#ifndef RETL_MSSQL_TSQL_ERRORS_H
#define RETL_MSSQL_TSQL_ERRORS_H

#include "sandbox/mssql/types.h"

/** @brief Turns an SQLite error into a SQL Server error: syntax → 102 (15),
 *  no such table → 208 (16), no such column → 207 (16), constraint
 *  violations → 2627/515, errors raised by our functions keep their number,
 *  anything else → 50000 (16). */
void retl_mssql_map_error(int rc, const char *msg, struct retl_mssql_error *err);

#endif
