/* retl-mssql-standin — logging in: PRELOGIN and LOGIN7. */
#ifndef RETL_MSSQL_SESSION_LOGIN_H
#define RETL_MSSQL_SESSION_LOGIN_H

#include "sandbox/mssql/session_int.h"

/** @brief Reads PRELOGIN and answers it. @p tls_mode: 0 no TLS, 1 TLS for
 *  LOGIN7 only, 2 TLS for the whole session. @returns 0 or -1. */
int retl_mssql_login_prelogin(struct retl_mssql_sess *s, int *tls_mode);

/** @brief Reads LOGIN7, checks user, password and database, opens the
 *  SQLite file and sends SQL Server's login reply; a failed login is
 *  answered (18456, 4060) before -1 is returned. @returns 0 or -1. */
int retl_mssql_login_run(struct retl_mssql_sess *s, int tls_mode);

#endif
