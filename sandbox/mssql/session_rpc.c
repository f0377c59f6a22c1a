/* retl-mssql-standin — RPC requests (sp_executesql, sp_prepexec, sp_execute,
 * sp_unprepare: what drivers send for parameterised queries) and
 * transaction-manager requests (begin, commit, rollback). */
#include "sandbox/mssql/session_rpc.h"
#include "sandbox/mssql/session_batch.h"
#include "sandbox/mssql/session_cancel.h"
#include "sandbox/mssql/session_io.h"
#include "sandbox/mssql/session_log.h"
#include "sandbox/mssql/session_token.h"
#include "sandbox/mssql/types_convert.h"
#include "sandbox/mssql/types_decode.h"

#include "log.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_PARAMS 2100 /* SQL Server's limit */

/* ProcIDs of the system procedures (MS-TDS 2.2.6.6). */
#define PROC_EXECUTESQL 10
#define PROC_PREPARE    11
#define PROC_EXECUTE    12
#define PROC_PREPEXEC   13
#define PROC_UNPREPARE  15

#define TOK_RETURNSTATUS 0x79
#define TOK_RETURNVALUE  0xAC
#define TOK_DONEPROC     0xFE

static void params_free(struct retl_mssql_param *params, int n)
{
        for (int i = 0; i < n; i++)
                free(params[i].rp_buf);
        free(params);
}

static void reply_refusal(struct retl_mssql_sess *s, int number, const char *fmt, const char *arg)
{
        struct retl_mssql_error err;

        retl_mssql_error_set(&err, number, 16, fmt, arg);
        retl_mssql_io_begin(s, TDS_PKT_REPLY);
        retl_mssql_token_error(s, &err);
        retl_mssql_token_done(s, TDS_DONE_ERROR, 0, 0);
        retl_mssql_io_end(s);
}

static void token_doneproc(struct retl_mssql_sess *s, unsigned status)
{
        retl_wbuf_u8(&s->tok, TOK_DONEPROC);
        retl_wbuf_u16le(&s->tok, status);
        retl_wbuf_u16le(&s->tok, 0xE0); /* CurCmd of an RPC */
        retl_wbuf_u64le(&s->tok, 0);
        retl_mssql_io_put_token(s);
}

/* RETURNVALUE of an int OUTPUT parameter: the handle of sp_prepexec. */
static void token_return_int(struct retl_mssql_sess *s, int ordinal, const char *name, int32_t v)
{
        retl_wbuf_u8(&s->tok, TOK_RETURNVALUE);
        retl_wbuf_u16le(&s->tok, (unsigned)ordinal);
        retl_tds_bvarchar(&s->tok, name);
        retl_wbuf_u8(&s->tok, 0x01); /* an output parameter */
        retl_wbuf_u32le(&s->tok, 0); /* user type */
        retl_wbuf_u16le(&s->tok, 0x0009); /* nullable, updatable unknown */
        retl_wbuf_u8(&s->tok, TDS_T_INTN);
        retl_wbuf_u8(&s->tok, 4);
        retl_wbuf_u8(&s->tok, 4);
        retl_wbuf_u32le(&s->tok, (uint32_t)v);
        retl_mssql_io_put_token(s);
}

static const char *proc_name(unsigned id)
{
        switch (id) {
        case 1: return "sp_cursor";
        case 2: return "sp_cursoropen";
        case 3: return "sp_cursorprepare";
        case 4: return "sp_cursorexecute";
        case 5: return "sp_cursorprepexec";
        case 6: return "sp_cursorunprepare";
        case 7: return "sp_cursorfetch";
        case 8: return "sp_cursoroption";
        case 9: return "sp_cursorclose";
        case PROC_EXECUTESQL: return "sp_executesql";
        case PROC_PREPARE: return "sp_prepare";
        case PROC_EXECUTE: return "sp_execute";
        case PROC_PREPEXEC: return "sp_prepexec";
        case 14: return "sp_prepexecrpc";
        case PROC_UNPREPARE: return "sp_unprepare";
        }
        return "?";
}

static unsigned proc_id_of(const char *name)
{
        static const unsigned ids[] = {PROC_EXECUTESQL, PROC_PREPARE, PROC_EXECUTE,
                                       PROC_PREPEXEC, PROC_UNPREPARE};
        const char *n = name;

        if (strncasecmp(n, "sys.", 4) == 0)
                n += 4;
        for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
                if (strcasecmp(n, proc_name(ids[i])) == 0)
                        return ids[i];
        return 0;
}

/* Values sent without a name take the names of the @params declaration
 * ("@P0 int,@P1 decimal(38,4)"), in order. */
static void name_params(struct retl_mssql_param *params, int n, const char *decl)
{
        const char *p = decl;

        for (int i = 0; i < n && p && *p; i++) {
                const char *at = strchr(p, '@'), *e;
                int depth = 0;
                if (!at)
                        return;
                for (e = at; *e && *e != ' ' && *e != '\t' && *e != ','; e++)
                        ;
                if (!params[i].rp_name[0])
                        snprintf(params[i].rp_name, sizeof(params[i].rp_name), "%.*s",
                                 (int)(e - at), at);
                for (p = e; *p && (depth || *p != ','); p++)
                        depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
        }
}

/* The statement text of a parameter (an NVARCHAR value). */
static const char *param_text(const struct retl_mssql_param *p, size_t *len)
{
        if (p->rp_value.v_type != SQLITE_TEXT)
                return NULL;
        *len = p->rp_value.v_len;
        return (const char *)p->rp_value.v_ptr;
}

/* The @params declaration ("" when absent or NULL). */
static const char *decl_text(const struct retl_mssql_param *p)
{
        return p->rp_value.v_type == SQLITE_TEXT ? (const char *)p->rp_value.v_ptr : "";
}

void retl_mssql_rpc_run(struct retl_mssql_sess *s)
{
        struct retl_mssql_rd r = {s->msg.wb_data, s->msg.wb_len, 0, 0};
        struct retl_mssql_param *params = NULL;
        int nparams = 0, rc = 0, handle = 0, first_value;
        unsigned id = 0, name_len;
        char name[260] = "";
        const char *sql = NULL;
        size_t sql_len = 0;

        r.i = retl_mssql_all_headers(r.p, r.n);
        name_len = (unsigned)retl_mssql_rd_le(&r, 2);
        if (name_len == 0xFFFF) {
                id = (unsigned)retl_mssql_rd_le(&r, 2);
                snprintf(name, sizeof(name), "%s", proc_name(id));
        } else {
                const uint8_t *b = retl_mssql_rd_bytes(&r, (size_t)name_len * 2);
                if (b) {
                        char *n8 = retl_mssql_utf16_to_utf8(b, name_len, NULL);
                        snprintf(name, sizeof(name), "%s", n8);
                        free(n8);
                }
                id = proc_id_of(name);
        }
        retl_mssql_rd_le(&r, 2); /* option flags */
        while (!r.bad && r.i < r.n && nparams < MAX_PARAMS) {
                struct retl_mssql_param *p;
                if ((nparams & (nparams - 1)) == 0) { /* 0, 1, 2, 4...: grow */
                        params = retl_realloc(params, (size_t)(nparams ? 2 * nparams : 1) *
                                                              sizeof(*params));
                }
                p = &params[nparams];
                memset(p, 0, sizeof(*p));
                unsigned nl = retl_mssql_rd_u8(&r), status;
                const uint8_t *b;

                if (nl == 0x80 || nl == 0xFF) { /* a second RPC in the same request */
                        r.bad = 2;
                        break;
                }
                if (!(b = retl_mssql_rd_bytes(&r, (size_t)nl * 2)))
                        break;
                {
                        char *n8 = retl_mssql_utf16_to_utf8(b, nl, NULL);
                        snprintf(p->rp_name, sizeof(p->rp_name), "%s", n8);
                        free(n8);
                }
                status = retl_mssql_rd_u8(&r);
                p->rp_output = status & 0x01;
                nparams++;
                if (retl_mssql_read_param(&r, p)) {
                        r.bad = 3;
                        break;
                }
        }
        retl_log_info(s->ctx, "rpc %s: %d parameters", name, nparams);
        if (r.bad) {
                reply_refusal(s, 50000,
                              r.bad == 2 ? "retl-mssql-standin does not support several RPCs in one "
                                           "request (%s)"
                              : r.bad == 3 ? "retl-mssql-standin does not support a parameter type "
                                             "of this RPC (%s)"
                                           : "retl-mssql-standin could not read this RPC request (%s)",
                              name);
                goto out;
        }
        switch (id) {
        case PROC_EXECUTESQL: /* @stmt, @params, values... */
                sql = nparams >= 1 ? param_text(&params[0], &sql_len) : NULL;
                first_value = 2;
                if (nparams > 2)
                        name_params(params + 2, nparams - 2, decl_text(&params[1]));
                break;
        case PROC_PREPEXEC: /* @handle OUTPUT, @params, @stmt, values... */
                sql = nparams >= 3 ? param_text(&params[2], &sql_len) : NULL;
                first_value = 3;
                if (nparams > 3)
                        name_params(params + 3, nparams - 3, decl_text(&params[1]));
                if (sql) {
                        handle = retl_mssql_rpc_prepare(s, decl_text(&params[1]), sql, sql_len);
                        if (handle < 0) {
                                reply_refusal(s, 50000, "retl-mssql-standin holds at most 4096 "
                                                        "prepared statements per connection (%s)",
                                              name);
                                goto out;
                        }
                }
                break;
        case PROC_EXECUTE: /* @handle, values... */
                first_value = 1;
                if (nparams >= 1 && params[0].rp_value.v_type == SQLITE_INTEGER)
                        sql = retl_mssql_rpc_prepared(s, (int)params[0].rp_value.v_int);
                if (sql && nparams > 1) /* the declaration is kept in front */
                        name_params(params + 1, nparams - 1, sql);
                if (sql)
                        sql += strlen(sql) + 1;
                if (!sql) {
                        char h[24];
                        snprintf(h, sizeof(h), "%lld",
                                 nparams >= 1 ? (long long)params[0].rp_value.v_int : 0LL);
                        reply_refusal(s, 8179, "Could not find prepared statement with handle %s.",
                                      h);
                        goto out;
                }
                sql_len = strlen(sql);
                break;
        case PROC_UNPREPARE:
                if (nparams >= 1 && params[0].rp_value.v_type == SQLITE_INTEGER)
                        retl_mssql_rpc_unprepare(s, (int)params[0].rp_value.v_int);
                retl_mssql_io_begin(s, TDS_PKT_REPLY);
                retl_wbuf_u8(&s->tok, TOK_RETURNSTATUS);
                retl_wbuf_u32le(&s->tok, 0);
                retl_mssql_io_put_token(s);
                token_doneproc(s, 0);
                retl_mssql_io_end(s);
                goto out;
        default:
                reply_refusal(s, 50000, "retl-mssql-standin does not support the procedure %s "
                                        "(RPC supports sp_executesql, sp_prepexec, sp_execute and "
                                        "sp_unprepare)",
                              name);
                goto out;
        }
        if (!sql) {
                reply_refusal(s, 50000, "retl-mssql-standin could not find the statement of this %s",
                              name);
                goto out;
        }
        retl_mssql_session_log_rpc(s->conf->mc_session_log, s->spid, name, sql, sql_len);
        s->attn = 0;
        s->in_proc = 1;
        retl_mssql_io_begin(s, TDS_PKT_REPLY);
        rc = retl_mssql_batch_exec(s, sql, sql_len, nparams > first_value ? params + first_value : NULL,
                                   nparams > first_value ? nparams - first_value : 0, 1);
        s->in_proc = 0;
        if (rc == 1) {
                retl_mssql_cancel_finish(s);
        } else {
                retl_wbuf_u8(&s->tok, TOK_RETURNSTATUS);
                retl_wbuf_u32le(&s->tok, rc ? 1 : 0);
                retl_mssql_io_put_token(s);
                if (id == PROC_PREPEXEC)
                        token_return_int(s, 0, params[0].rp_name, handle);
                token_doneproc(s, rc ? TDS_DONE_ERROR : 0);
                retl_mssql_io_end(s);
        }
        s->attn = 0;
out:
        params_free(params, nparams);
}

int retl_mssql_rpc_prepare(struct retl_mssql_sess *s, const char *decl, const char *sql,
                           size_t len)
{
        for (int i = 0; i < MAX_PREPARED; i++) {
                if (!s->prepared[i]) {
                        size_t dl = strlen(decl);
                        s->prepared[i] = retl_malloc(dl + 1 + len + 1);
                        memcpy(s->prepared[i], decl, dl + 1);
                        memcpy(s->prepared[i] + dl + 1, sql, len);
                        s->prepared[i][dl + 1 + len] = '\0';
                        return i + 1;
                }
        }
        return -1;
}

const char *retl_mssql_rpc_prepared(struct retl_mssql_sess *s, int handle)
{
        return handle >= 1 && handle <= MAX_PREPARED ? s->prepared[handle - 1] : NULL;
}

void retl_mssql_rpc_unprepare(struct retl_mssql_sess *s, int handle)
{
        if (handle >= 1 && handle <= MAX_PREPARED) {
                free(s->prepared[handle - 1]);
                s->prepared[handle - 1] = NULL;
        }
}

/* ------------------------------------------------------------ TM */

#define TM_BEGIN_XACT    5
#define TM_COMMIT_XACT   7
#define TM_ROLLBACK_XACT 8
#define TM_SAVE_XACT     9

/* ENVCHANGE 8 (begin), 9 (commit) or 10 (rollback) with the 8-byte
 * transaction descriptor. */
static void envchange_xact(struct retl_mssql_sess *s, unsigned type, uint64_t xact)
{
        size_t at;

        retl_wbuf_u8(&s->tok, TDS_TOK_ENVCHANGE);
        at = s->tok.wb_len;
        retl_wbuf_u16le(&s->tok, 0);
        retl_wbuf_u8(&s->tok, type);
        if (type == 8) {
                retl_wbuf_u8(&s->tok, 8);
                retl_wbuf_u64le(&s->tok, xact);
                retl_wbuf_u8(&s->tok, 0);
        } else {
                retl_wbuf_u8(&s->tok, 0);
                retl_wbuf_u8(&s->tok, 8);
                retl_wbuf_u64le(&s->tok, xact);
        }
        retl_wbuf_set_u16le(&s->tok, at, (unsigned)(s->tok.wb_len - at - 2));
        retl_mssql_io_put_token(s);
}

static int tm_sql(struct retl_mssql_sess *s, const char *sql)
{
        char *msg = NULL;
        int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);

        if (rc != SQLITE_OK) {
                struct retl_mssql_error err;
                retl_mssql_error_set(&err, 3902, 16, "%s", msg ? msg : sqlite3_errstr(rc));
                retl_mssql_token_error(s, &err);
        }
        sqlite3_free(msg);
        return rc;
}

void retl_mssql_tm_run(struct retl_mssql_sess *s)
{
        struct retl_mssql_rd r = {s->msg.wb_data, s->msg.wb_len, 0, 0};
        unsigned type;
        int err = 0;

        r.i = retl_mssql_all_headers(r.p, r.n);
        type = (unsigned)retl_mssql_rd_le(&r, 2);
        retl_log_info(s->ctx, "transaction manager request %u", type);
        retl_mssql_io_begin(s, TDS_PKT_REPLY);
        switch (type) {
        case TM_BEGIN_XACT:
                if (!(err = tm_sql(s, "BEGIN") != SQLITE_OK))
                        envchange_xact(s, 8, ++s->xact);
                break;
        case TM_COMMIT_XACT:
        case TM_ROLLBACK_XACT: {
                unsigned nl = retl_mssql_rd_u8(&r), begin;
                retl_mssql_rd_bytes(&r, (size_t)nl * 2);
                begin = retl_mssql_rd_u8(&r) & 1;
                if (sqlite3_get_autocommit(s->db)) {
                        struct retl_mssql_error e;
                        retl_mssql_error_set(&e, type == TM_COMMIT_XACT ? 3902 : 3903, 16,
                                             "The %s TRANSACTION request has no corresponding "
                                             "BEGIN TRANSACTION.",
                                             type == TM_COMMIT_XACT ? "COMMIT" : "ROLLBACK");
                        retl_mssql_token_error(s, &e);
                        err = 1;
                        break;
                }
                if ((err = tm_sql(s, type == TM_COMMIT_XACT ? "COMMIT" : "ROLLBACK") != SQLITE_OK))
                        break;
                envchange_xact(s, type == TM_COMMIT_XACT ? 9 : 10, s->xact);
                if (begin && !(err = tm_sql(s, "BEGIN") != SQLITE_OK))
                        envchange_xact(s, 8, ++s->xact);
                break;
        }
        default: {
                struct retl_mssql_error e;
                retl_mssql_error_set(&e, 50000, 16,
                                     "retl-mssql-standin does not support transaction-manager "
                                     "request %u (it serves begin, commit and rollback)",
                                     type);
                retl_mssql_token_error(s, &e);
                err = 1;
        }
        }
        retl_mssql_token_done(s, err ? TDS_DONE_ERROR : 0, 0, 0);
        retl_mssql_io_end(s);
}
