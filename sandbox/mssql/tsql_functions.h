/* retl-mssql-standin — the SQL Server functions SQLite is taught. */
#ifndef RETL_MSSQL_TSQL_FUNCTIONS_H
#define RETL_MSSQL_TSQL_FUNCTIONS_H

#include <sqlite3.h>

/** @brief Registers GETDATE, GETUTCDATE, SYSDATETIME, SYSUTCDATETIME,
 *  DATEDIFF, DATEDIFF_BIG, DATEADD, LEN, NEWID and RETL_FAIL_AT on @p db.
 *  Errors they raise read "retl:NUMBER:SEVERITY:message", which
 *  retl_mssql_map_error turns back into that SQL Server error.
 *  @returns an SQLite result code. */
int retl_mssql_register_functions(sqlite3 *db);

/** @brief Registers DB_NAME(), answering @p name (kept, not copied: it
 *  must outlive @p db). */
int retl_mssql_register_db_name(sqlite3 *db, const char *name);

#endif
