/* retl-mssql-standin — cancel: a client's ATTENTION while a batch runs. */
#ifndef RETL_MSSQL_SESSION_CANCEL_H
#define RETL_MSSQL_SESSION_CANCEL_H

#include "sandbox/mssql/session_int.h"

/** @brief Looks, without waiting, for a request that arrived while a reply
 *  is running: an ATTENTION sets s->attn, anything else is dropped. */
void retl_mssql_cancel_check(struct retl_mssql_sess *s);

/** @brief Makes SQLite check for a cancel every 100,000 VM steps, so a query
 *  still computing its first row is interrupted too (SQLITE_INTERRUPT). */
void retl_mssql_cancel_watch(struct retl_mssql_sess *s);

/** @brief Answers a cancel that arrived after the reply ended: DONE_ATTN. */
void retl_mssql_cancel_ack(struct retl_mssql_sess *s);

/** @brief Ends a reply cut off by a cancel: the message written so far
 *  ends with DONE(ERROR), then DONE_ATTN comes in a message of its own. */
void retl_mssql_cancel_finish(struct retl_mssql_sess *s);

#endif
