/* retl — what the extractor's SQL Server session is made of: the private
 * freetds.conf (TDS version, charset, encryption and certificate checks) and
 * the SET batch sent right after login. source_mssql.c uses both. */
#ifndef RETL_MSSQL_SESSION_H
#define RETL_MSSQL_SESSION_H

#include "lib/cfg.h"

#include <stddef.h>
#include <stdio.h>

/* How TLS is set up for one connection attempt. */
enum retl_mssql_tls {
        RETL_MSSQL_TLS_VERIFY = 0,      /* CA file + host name checked */
        RETL_MSSQL_TLS_VERIFY_CA,       /* CA file only (diagnosis: is it the name?) */
        RETL_MSSQL_TLS_TRUST,           /* encrypted, nothing verified */
};

/** @brief The TLS mode a database's settings ask for. */
enum retl_mssql_tls retl_mssql_session_tls(const struct retl_cfg_database *db);

/** @brief Writes freetds.conf text for @p db (section [retl]) to @p f:
 *  encryption @p encryption (may differ from db's while diagnosing), the
 *  CA and host name checks of @p tls. @returns 0, or -1 on a write error. */
int retl_mssql_session_conf(FILE *f, const struct retl_cfg_database *db,
                            enum retl_encryption encryption, enum retl_mssql_tls tls);

/** @brief The SET batch retl sends after login, into @p out.
 *  @returns its length, or -1 when @p out_size is too small. */
int retl_mssql_session_sql(const struct retl_cfg_database *db, char *out, size_t out_size);

#endif
