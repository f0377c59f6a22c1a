/* retl-mssql-standin — SQL batches run on SQLite. */
#ifndef RETL_MSSQL_SESSION_BATCH_H
#define RETL_MSSQL_SESSION_BATCH_H

#include "sandbox/mssql/session_int.h"

/** @brief Runs the SQL batch in s->msg and sends its whole reply. */
#include "sandbox/mssql/types.h"

/** @brief Runs the SQL batch request in s->msg: its reply, ended by DONE,
 *  DONE_ERROR or the acknowledgement of a cancel. */
void retl_mssql_batch_run(struct retl_mssql_sess *s);

/** @brief Runs @p text (UTF-8 T-SQL) statement by statement into the reply
 *  already begun, binding @p params to its @names. The DONE of the last
 *  statement carries DONE_MORE when @p last_more.
 *  @returns 0, -1 after an error (ERROR and DONE_ERROR sent), 1 when a
 *  cancel stopped it (the caller acknowledges it). */
int retl_mssql_batch_exec(struct retl_mssql_sess *s, const char *text, size_t len,
                          const struct retl_mssql_param *params, int nparams, int last_more);

/** @brief The size of the ALL_HEADERS in front of a request (0 if none). */
size_t retl_mssql_all_headers(const uint8_t *p, size_t n);

#endif
