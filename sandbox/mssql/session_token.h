/* retl-mssql-standin — reply tokens: DONE, ERROR and INFO, ENVCHANGE. */
#ifndef RETL_MSSQL_SESSION_TOKEN_H
#define RETL_MSSQL_SESSION_TOKEN_H

#include "sandbox/mssql/session_int.h"
#include "sandbox/mssql/types.h"

/* Each appends one token to the reply begun with retl_mssql_io_begin. */

/** @brief DONE with TDS_DONE_* @p status, CurCmd and row count. */
void retl_mssql_token_done(struct retl_mssql_sess *s, unsigned status, unsigned curcmd,
                           uint64_t count);

/** @brief ERROR (TDS_TOK_ERROR) or INFO (TDS_TOK_INFO). */
void retl_mssql_token_message(struct retl_mssql_sess *s, uint8_t token, int number, int state,
                              int severity, const char *msg);

/** @brief ERROR from @p err, logged at info level. */
void retl_mssql_token_error(struct retl_mssql_sess *s, const struct retl_mssql_error *err);

/** @brief ENVCHANGE of a B_VARCHAR value: 1 database, 2 language, 4 packet
 *  size. */
void retl_mssql_token_envchange(struct retl_mssql_sess *s, unsigned type,
                                const char *new_value, const char *old_value);

/** @brief ENVCHANGE 7: the collation, Latin1_General_CI_AS. */
void retl_mssql_token_collation(struct retl_mssql_sess *s);

#endif
