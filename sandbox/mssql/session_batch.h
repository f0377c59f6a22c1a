/* retl-mssql-standin — SQL batches run on SQLite. */
#ifndef RETL_MSSQL_SESSION_BATCH_H
#define RETL_MSSQL_SESSION_BATCH_H

#include "sandbox/mssql/session_int.h"

/** @brief Runs the SQL batch in s->msg and sends its whole reply. */
void retl_mssql_batch_run(struct retl_mssql_sess *s);

#endif
