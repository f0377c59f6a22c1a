/* retl-mssql-standin — one client connection from start to end: login,
 * then requests dispatched by packet type until the client leaves. */
#include "sandbox/mssql/session.h"
#include "sandbox/mssql/session_batch.h"
#include "sandbox/mssql/session_cancel.h"
#include "sandbox/mssql/session_int.h"
#include "sandbox/mssql/session_io.h"
#include "sandbox/mssql/session_login.h"
#include "sandbox/mssql/session_rpc.h"
#include "sandbox/mssql/session_tls.h"
#include "sandbox/mssql/session_token.h"

#include "log.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>

#include <sqlite3.h>

static void reply_error(struct retl_mssql_sess *s, int number, const char *msg)
{
        struct retl_mssql_error err = {number, 16, 1, ""};

        snprintf(err.me_msg, sizeof(err.me_msg), "%s", msg);
        retl_mssql_io_begin(s, TDS_PKT_REPLY);
        retl_mssql_token_error(s, &err);
        retl_mssql_token_done(s, TDS_DONE_ERROR, 0, 0);
        retl_mssql_io_end(s);
}

void retl_mssql_session_run(const struct retl_mssql_conf *conf, int fd, int spid,
                            const char *peer, volatile sig_atomic_t *stop)
{
        struct retl_mssql_sess *s = retl_calloc(1, sizeof(*s));
        int tls_mode = 0;
        uint8_t type;
        unsigned long batches = 0;

        s->conf = conf;
        s->stop = stop;
        s->fd = fd;
        s->spid = spid;
        s->packet_size = DEFAULT_PACKET;
        s->out = retl_malloc(OUT_CAP);
        retl_wbuf_init(&s->msg, MAX_MESSAGE);
        retl_wbuf_init(&s->tok, 1u << 20);
        retl_wbuf_init(&s->row, MAX_ROW);
        snprintf(s->ctx, sizeof(s->ctx), "mssql spid=%d peer=%s", spid, peer);
        retl_log_info(s->ctx, "connection");

        if (retl_mssql_login_prelogin(s, &tls_mode))
                goto out;
        if (tls_mode && retl_mssql_tls_handshake(s))
                goto out;
        if (retl_mssql_login_run(s, tls_mode))
                goto out;
        while (!s->dead && !*stop) {
                if (retl_mssql_io_read_message(s, &type))
                        break;
                switch (type) {
                case TDS_PKT_SQL_BATCH:
                        batches++;
                        retl_mssql_batch_run(s);
                        break;
                case TDS_PKT_ATTENTION:
                        /* a cancel that crossed our reply: acknowledge it */
                        retl_mssql_cancel_ack(s);
                        break;
                case TDS_PKT_RPC:
                        batches++;
                        retl_mssql_rpc_run(s);
                        break;
                case TDS_PKT_TRANS_MGR:
                        retl_mssql_tm_run(s);
                        break;
                default:
                        retl_log_warn(s->ctx, "packet type 0x%02x not supported", type);
                        reply_error(s, 50000, "retl-mssql-standin does not support this request "
                                              "type (bulk load, SSPI...).");
                        break;
                }
        }
out:
        retl_log_info(s->ctx, "disconnected after %lu batches", batches);
        retl_mssql_tls_end(s);
        if (s->db)
                sqlite3_close_v2(s->db);
        retl_wbuf_free(&s->msg);
        retl_wbuf_free(&s->tok);
        retl_wbuf_free(&s->row);
        for (int i = 0; i < MAX_PREPARED; i++)
                free(s->prepared[i]);
        free(s->out);
        free(s);
}
