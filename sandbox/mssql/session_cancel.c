/* retl-mssql-standin — cancel: a client's ATTENTION noticed while a reply
 * streams or while SQLite computes, and its DONE_ATTN acknowledgement. */
#include "sandbox/mssql/session_cancel.h"
#include "sandbox/mssql/session_io.h"
#include "sandbox/mssql/session_token.h"

#include "log.h"

#include <poll.h>

void retl_mssql_cancel_check(struct retl_mssql_sess *s)
{
        struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
        uint8_t type = 0;

        if (s->attn || s->dead)
                return;
        if (!retl_mssql_io_pending(s) && poll(&pfd, 1, 0) <= 0)
                return;
        if (retl_mssql_io_read_message(s, &type))
                return;
        if (type == TDS_PKT_ATTENTION) {
                retl_log_info(s->ctx, "attention: cancelling the running batch");
                s->attn = 1;
        } else {
                retl_log_warn(s->ctx, "packet type 0x%02x while a reply is running; dropped",
                              type);
        }
}

/* SQLite calls this every PROGRESS_STEPS VM steps: a query that computes
 * long before its first row (or between rows) still sees a cancel. A
 * non-zero return interrupts the statement (SQLITE_INTERRUPT). */
#define PROGRESS_STEPS 100000

static int on_progress(void *arg)
{
        struct retl_mssql_sess *s = arg;

        retl_mssql_cancel_check(s);
        return s->attn || s->dead;
}

void retl_mssql_cancel_watch(struct retl_mssql_sess *s)
{
        sqlite3_progress_handler(s->db, PROGRESS_STEPS, on_progress, s);
}

void retl_mssql_cancel_ack(struct retl_mssql_sess *s)
{
        retl_mssql_io_begin(s, TDS_PKT_REPLY);
        retl_mssql_token_done(s, TDS_DONE_ATTN, 0, 0);
        retl_mssql_io_end(s);
}

void retl_mssql_cancel_finish(struct retl_mssql_sess *s)
{
        /* the cut-off result ends its message with DONE(ERROR), as SQL
         * Server 2005 and later do even when nothing else was sent... */
        retl_mssql_token_done(s, TDS_DONE_ERROR, 0, 0);
        retl_mssql_io_end(s);
        /* ...and the acknowledgement is a message of its own, as SQL Server
         * sends it: a client reads up to the EOM of the reply, then waits
         * for the DONE_ATTN */
        retl_mssql_cancel_ack(s);
}
