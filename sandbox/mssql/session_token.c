/* retl-mssql-standin — the reply tokens every part of a session sends:
 * DONE, ERROR and INFO, ENVCHANGE. */
#include "sandbox/mssql/session_token.h"
#include "sandbox/mssql/session_io.h"

#include "log.h"

void retl_mssql_token_done(struct retl_mssql_sess *s, unsigned status, unsigned curcmd,
                           uint64_t count)
{
        /* inside an RPC, statements end with DONEINPROC, and DONEPROC
         * (session_rpc.c) ends the reply */
        int in_proc = s->in_proc && !(status & TDS_DONE_ATTN);

        retl_wbuf_u8(&s->tok, in_proc ? 0xFF : TDS_TOK_DONE);
        retl_wbuf_u16le(&s->tok, in_proc ? status | TDS_DONE_MORE : status);
        retl_wbuf_u16le(&s->tok, curcmd);
        retl_wbuf_u64le(&s->tok, count);
        retl_mssql_io_put_token(s);
}

void retl_mssql_token_message(struct retl_mssql_sess *s, uint8_t token, int number, int state,
                              int severity, const char *msg)
{
        size_t at;

        retl_wbuf_u8(&s->tok, token);
        at = s->tok.wb_len;
        retl_wbuf_u16le(&s->tok, 0);
        retl_wbuf_u32le(&s->tok, (uint32_t)number);
        retl_wbuf_u8(&s->tok, (unsigned)state);
        retl_wbuf_u8(&s->tok, (unsigned)severity);
        retl_tds_usvarchar(&s->tok, msg);
        retl_tds_bvarchar(&s->tok, "RETL-MSSQL");
        retl_tds_bvarchar(&s->tok, "");
        retl_wbuf_u32le(&s->tok, 1); /* line number */
        retl_wbuf_set_u16le(&s->tok, at, (unsigned)(s->tok.wb_len - at - 2));
        retl_mssql_io_put_token(s);
}

void retl_mssql_token_error(struct retl_mssql_sess *s, const struct retl_mssql_error *err)
{
        retl_log_info(s->ctx, "error %d (severity %d): %s", err->me_number,
                      err->me_severity, err->me_msg);
        retl_mssql_token_message(s, TDS_TOK_ERROR, err->me_number, err->me_state,
                                 err->me_severity, err->me_msg);
}

void retl_mssql_token_envchange(struct retl_mssql_sess *s, unsigned type,
                                const char *new_value, const char *old_value)
{
        size_t at;

        retl_wbuf_u8(&s->tok, TDS_TOK_ENVCHANGE);
        at = s->tok.wb_len;
        retl_wbuf_u16le(&s->tok, 0);
        retl_wbuf_u8(&s->tok, type);
        retl_tds_bvarchar(&s->tok, new_value);
        retl_tds_bvarchar(&s->tok, old_value);
        retl_wbuf_set_u16le(&s->tok, at, (unsigned)(s->tok.wb_len - at - 2));
        retl_mssql_io_put_token(s);
}

void retl_mssql_token_collation(struct retl_mssql_sess *s)
{
        retl_wbuf_u8(&s->tok, TDS_TOK_ENVCHANGE);
        retl_wbuf_u16le(&s->tok, 1 + 1 + 5 + 1);
        retl_wbuf_u8(&s->tok, 7);
        retl_wbuf_u8(&s->tok, 5);
        retl_wbuf_put(&s->tok, retl_tds_collation, 5);
        retl_wbuf_u8(&s->tok, 0);
        retl_mssql_io_put_token(s);
}
