/* retl-mssql-standin — RPC requests (sp_executesql, sp_prepexec,
 * sp_execute, sp_unprepare) and transaction-manager requests. */
#ifndef RETL_MSSQL_SESSION_RPC_H
#define RETL_MSSQL_SESSION_RPC_H

#include "sandbox/mssql/session_int.h"

/** @brief Runs the RPC request in s->msg and sends its reply: the results,
 *  RETURNSTATUS, RETURNVALUE (sp_prepexec's handle) and DONEPROC. Other
 *  procedures are refused by name (50000). */
void retl_mssql_rpc_run(struct retl_mssql_sess *s);

/** @brief Runs the transaction-manager request in s->msg: begin, commit,
 *  rollback (ENVCHANGE 8, 9, 10 with the transaction descriptor), DONE. */
void retl_mssql_tm_run(struct retl_mssql_sess *s);

/** @brief Keeps @p sql and its @params declaration @p decl for
 *  sp_execute. @returns its handle (1..), or -1 when the connection holds
 *  MAX_PREPARED already. */
int retl_mssql_rpc_prepare(struct retl_mssql_sess *s, const char *decl, const char *sql,
                           size_t len);

/** @brief The declaration of @p handle, followed after its NUL by the
 *  statement, or NULL. */
const char *retl_mssql_rpc_prepared(struct retl_mssql_sess *s, int handle);

/** @brief Forgets @p handle (unknown handles are ignored). */
void retl_mssql_rpc_unprepare(struct retl_mssql_sess *s, int handle);

#endif
