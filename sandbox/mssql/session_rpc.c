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
#include "sandbox/mssql/types_datetime.h"

#include "log.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

__extension__ typedef unsigned __int128 u128;

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

struct rd { /* a request being read */
        const uint8_t *p;
        size_t n, i;
        int bad;
};

static unsigned rd_u8(struct rd *r)
{
        if (r->i + 1 > r->n) {
                r->bad = 1;
                return 0;
        }
        return r->p[r->i++];
}

static uint64_t rd_le(struct rd *r, size_t n)
{
        uint64_t v = 0;

        if (r->i + n > r->n) {
                r->bad = 1;
                return 0;
        }
        for (size_t k = 0; k < n; k++)
                v |= (uint64_t)r->p[r->i + k] << (8 * k);
        r->i += n;
        return v;
}

static const uint8_t *rd_bytes(struct rd *r, size_t n)
{
        const uint8_t *p = r->p + r->i;

        if (r->i + n > r->n) {
                r->bad = 1;
                return NULL;
        }
        r->i += n;
        return p;
}

/* UTF-16 text of @p units into a new NUL-terminated UTF-8 string. */
static char *utf8_of(const uint8_t *p, size_t units, size_t *len)
{
        struct retl_wbuf wb;

        retl_wbuf_init(&wb, 0);
        retl_utf16le_to_utf8(&wb, p, units);
        if (len)
                *len = wb.wb_len;
        retl_wbuf_u8(&wb, 0);
        return (char *)wb.wb_data;
}

/* A PLP value (MAX types) joined into one buffer; NULL for the PLP NULL. */
static uint8_t *rd_plp(struct rd *r, size_t *len, int *is_null)
{
        uint64_t total = rd_le(r, 8);
        struct retl_wbuf wb;

        *is_null = total == UINT64_MAX;
        *len = 0;
        if (*is_null || r->bad)
                return NULL;
        retl_wbuf_init(&wb, MAX_MESSAGE);
        for (;;) {
                uint32_t chunk = (uint32_t)rd_le(r, 4);
                const uint8_t *b;
                if (r->bad || chunk == 0)
                        break;
                if (!(b = rd_bytes(r, chunk)))
                        break;
                retl_wbuf_put(&wb, b, chunk);
        }
        *len = wb.wb_len;
        return wb.wb_data;
}

static void set_text(struct retl_mssql_param *p, char *owned, size_t len)
{
        p->rp_buf = owned;
        p->rp_value.v_type = SQLITE_TEXT;
        p->rp_value.v_ptr = (const uint8_t *)owned;
        p->rp_value.v_len = len;
}

/* A date/time value (days since 0001-01-01 and 100 ns units of the day) as
 * the ISO 8601 text the stand-in stores. */
static void set_datetime(struct retl_mssql_param *p, int64_t days, uint64_t ticks, int scale,
                         int has_date, int has_time, int offset_min)
{
        char buf[64];
        size_t n = 0;
        int64_t y;
        unsigned m, d;

        if (offset_min != INT32_MIN) { /* datetimeoffset travels as UTC */
                int64_t t = (int64_t)ticks + (int64_t)offset_min * 600000000LL;
                while (t < 0) {
                        t += 864000000000LL;
                        days--;
                }
                while (t >= 864000000000LL) {
                        t -= 864000000000LL;
                        days++;
                }
                ticks = (uint64_t)t;
        }
        if (has_date) {
                retl_mssql_civil_from_days(days, &y, &m, &d);
                n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%04lld-%02u-%02u%s", (long long)y, m,
                                      d, has_time ? " " : "");
        }
        if (has_time) {
                uint64_t secs = ticks / 10000000;
                n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%02u:%02u:%02u",
                                      (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60),
                                      (unsigned)(secs % 60));
                if (scale > 0)
                        n += (size_t)snprintf(buf + n, sizeof(buf) - n, ".%07llu",
                                              (unsigned long long)(ticks % 10000000));
        }
        if (offset_min != INT32_MIN) {
                int off = offset_min < 0 ? -offset_min : offset_min;
                snprintf(buf + n, sizeof(buf) - n, "%c%02d:%02d", offset_min < 0 ? '-' : '+', off / 60,
                         off % 60);
        }
        set_text(p, retl_strdup(buf), strlen(buf));
}

/* The unsigned magnitude of a DECIMAL as digits with @p scale decimals. */
static void set_decimal(struct retl_mssql_param *p, int positive, const uint8_t *mag, size_t n,
                        int scale)
{
        u128 v = 0;
        char digits[64], buf[72];
        size_t nd = 0, k = 0;

        for (size_t i = n; i-- > 0;)
                v = v << 8 | mag[i];
        do {
                digits[nd++] = (char)('0' + (int)(v % 10));
                v /= 10;
        } while (v);
        while ((int)nd <= scale)
                digits[nd++] = '0';
        if (!positive)
                buf[k++] = '-';
        while (nd) {
                if ((int)nd == scale)
                        buf[k++] = '.';
                buf[k++] = digits[--nd];
        }
        buf[k] = '\0';
        set_text(p, retl_strdup(buf), k);
}

/* TYPE_INFO and the value of one parameter. @returns 0 or -1 (unknown type). */
static int read_value(struct rd *r, struct retl_mssql_param *p)
{
        unsigned type = rd_u8(r), len, maxlen = 0, scale = 0;
        const uint8_t *b;
        int is_null = 0;

        p->rp_value.v_type = SQLITE_NULL;
        p->rp_has_type = 1;
        switch (type) {
        case TDS_T_INT1: case TDS_T_INT2: case TDS_T_INT4: case TDS_T_INT8: case TDS_T_BIT:
                len = type == TDS_T_INT1 || type == TDS_T_BIT ? 1 : type == TDS_T_INT2 ? 2
                      : type == TDS_T_INT4 ? 4 : 8;
                goto integer;
        case TDS_T_INTN:
        case TDS_T_BITN:
                rd_u8(r);
                len = rd_u8(r);
        integer:
                p->rp_type.mt_kind = type == TDS_T_BIT || type == TDS_T_BITN ? RETL_MT_BIT
                                     : len == 1 ? RETL_MT_TINYINT : len == 2 ? RETL_MT_SMALLINT
                                     : len == 4 ? RETL_MT_INT : RETL_MT_BIGINT;
                if (len == 0)
                        return 0;
                {
                        uint64_t v = rd_le(r, len);
                        int64_t sv = len == 1 ? (int64_t)(uint8_t)v : len == 2 ? (int16_t)v
                                     : len == 4 ? (int32_t)v : (int64_t)v;
                        p->rp_value.v_type = SQLITE_INTEGER;
                        p->rp_value.v_int = sv;
                }
                return 0;
        case TDS_T_FLTN:
        case TDS_T_FLT4:
        case TDS_T_FLT8:
                len = type == TDS_T_FLT4 ? 4 : type == TDS_T_FLT8 ? 8 : (rd_u8(r), rd_u8(r));
                p->rp_type.mt_kind = len == 4 ? RETL_MT_REAL : RETL_MT_FLOAT;
                if (len == 4) {
                        uint32_t u = (uint32_t)rd_le(r, 4);
                        float f;
                        memcpy(&f, &u, 4);
                        p->rp_value.v_real = f;
                } else if (len == 8) {
                        uint64_t u = rd_le(r, 8);
                        memcpy(&p->rp_value.v_real, &u, 8);
                } else {
                        return 0;
                }
                p->rp_value.v_type = SQLITE_FLOAT;
                return 0;
        case TDS_T_DECIMALN:
        case TDS_T_NUMERICN:
                rd_u8(r);
                p->rp_type.mt_kind = type == TDS_T_DECIMALN ? RETL_MT_DECIMAL : RETL_MT_NUMERIC;
                p->rp_type.mt_precision = (int)rd_u8(r);
                p->rp_type.mt_scale = (int)(scale = rd_u8(r));
                len = rd_u8(r);
                if (len == 0)
                        return 0;
                {
                        unsigned sign = rd_u8(r);
                        if (len < 2 || len > 17 || !(b = rd_bytes(r, len - 1)))
                                return -1;
                        set_decimal(p, sign == 1, b, len - 1, (int)scale);
                }
                return 0;
        case TDS_T_NVARCHAR: case TDS_T_NCHAR: case TDS_T_BIGVARCHR: case TDS_T_BIGCHAR:
        case TDS_T_BIGVARBIN: case TDS_T_BIGBINARY: {
                int wide = type == TDS_T_NVARCHAR || type == TDS_T_NCHAR;
                int binary = type == TDS_T_BIGVARBIN || type == TDS_T_BIGBINARY;
                uint8_t *data;
                size_t dlen;

                maxlen = (unsigned)rd_le(r, 2);
                if (!binary)
                        rd_bytes(r, 5); /* collation */
                p->rp_type.mt_kind = binary ? (type == TDS_T_BIGBINARY ? RETL_MT_BINARY
                                                                       : RETL_MT_VARBINARY)
                                     : wide ? (type == TDS_T_NCHAR ? RETL_MT_NCHAR : RETL_MT_NVARCHAR)
                                            : (type == TDS_T_BIGCHAR ? RETL_MT_CHAR : RETL_MT_VARCHAR);
                p->rp_type.mt_length = maxlen == 0xFFFF ? RETL_MT_MAX
                                       : (int)(wide ? maxlen / 2 : maxlen);
                if (maxlen == 0xFFFF) {
                        data = rd_plp(r, &dlen, &is_null);
                } else {
                        len = (unsigned)rd_le(r, 2);
                        if (len == 0xFFFF)
                                return 0;
                        if (!(b = rd_bytes(r, len)))
                                return -1;
                        data = retl_malloc(len + 1);
                        memcpy(data, b, len);
                        dlen = len;
                }
                if (is_null || r->bad) {
                        free(data);
                        return r->bad ? -1 : 0;
                }
                if (binary) {
                        p->rp_buf = (char *)data;
                        p->rp_value.v_type = SQLITE_BLOB;
                        p->rp_value.v_ptr = data;
                        p->rp_value.v_len = dlen;
                } else if (wide) {
                        size_t n8;
                        char *t = utf8_of(data, dlen / 2, &n8);
                        free(data);
                        set_text(p, t, n8);
                } else { /* CP1252 bytes: Latin-1 is what the stand-in reads */
                        struct retl_wbuf wb;
                        retl_wbuf_init(&wb, 0);
                        for (size_t i = 0; i < dlen; i++) {
                                if (data[i] < 0x80) {
                                        retl_wbuf_u8(&wb, data[i]);
                                } else {
                                        retl_wbuf_u8(&wb, 0xC0 | data[i] >> 6);
                                        retl_wbuf_u8(&wb, 0x80 | (data[i] & 0x3F));
                                }
                        }
                        free(data);
                        {
                                size_t n8 = wb.wb_len;
                                retl_wbuf_u8(&wb, 0);
                                set_text(p, (char *)wb.wb_data, n8);
                        }
                }
                return 0;
        }
        case TDS_T_DATEN:
                p->rp_type.mt_kind = RETL_MT_DATE;
                len = rd_u8(r);
                if (len == 0)
                        return 0;
                set_datetime(p, (int64_t)rd_le(r, 3), 0, 0, 1, 0, INT32_MIN);
                return 0;
        case TDS_T_TIMEN:
        case TDS_T_DATETIME2N:
        case TDS_T_DTOFFSETN: {
                uint64_t ticks;
                int64_t days = 0;
                int off = INT32_MIN;
                unsigned tlen;

                scale = rd_u8(r);
                p->rp_type.mt_kind = type == TDS_T_TIMEN ? RETL_MT_TIME
                                     : type == TDS_T_DATETIME2N ? RETL_MT_DATETIME2
                                                                : RETL_MT_DATETIMEOFFSET;
                p->rp_type.mt_scale = (int)scale;
                len = rd_u8(r);
                if (len == 0)
                        return 0;
                tlen = retl_mssql_time_size((int)scale);
                ticks = rd_le(r, tlen);
                for (unsigned k = scale; k < 7; k++)
                        ticks *= 10;
                if (type != TDS_T_TIMEN)
                        days = (int64_t)rd_le(r, 3);
                if (type == TDS_T_DTOFFSETN)
                        off = (int16_t)rd_le(r, 2);
                set_datetime(p, days, ticks, 7, type != TDS_T_TIMEN, 1, off);
                return 0;
        }
        case TDS_T_DATETIMN:
        case TDS_T_DATETIME: {
                int64_t days;
                uint64_t t;
                len = type == TDS_T_DATETIME ? 8 : (rd_u8(r), rd_u8(r));
                p->rp_type.mt_kind = len == 4 ? RETL_MT_SMALLDATETIME : RETL_MT_DATETIME;
                if (len == 0)
                        return 0;
                if (len == 4) {
                        days = (int64_t)rd_le(r, 2);
                        t = rd_le(r, 2) * 600000000ULL;
                } else {
                        days = (int32_t)rd_le(r, 4);
                        t = (rd_le(r, 4) * 100000ULL + 1) / 3; /* 1/300 s in 100 ns units */
                }
                set_datetime(p, days + retl_mssql_days_from_civil(1900, 1, 1), t, 3, 1, 1,
                             INT32_MIN);
                return 0;
        }
        case TDS_T_GUID: {
                char buf[40];
                rd_u8(r);
                p->rp_type.mt_kind = RETL_MT_UNIQUEIDENTIFIER;
                len = rd_u8(r);
                if (len == 0)
                        return 0;
                if (len != 16 || !(b = rd_bytes(r, 16)))
                        return -1;
                snprintf(buf, sizeof(buf),
                         "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X",
                         b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11],
                         b[12], b[13], b[14], b[15]);
                set_text(p, retl_strdup(buf), 36);
                return 0;
        }
        default:
                p->rp_has_type = 0;
                return -1;
        }
}

struct prepared {
        char *pr_sql; /* the statement; NULL when free */
};

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
        struct rd r = {s->msg.wb_data, s->msg.wb_len, 0, 0};
        struct retl_mssql_param *params = NULL;
        int nparams = 0, rc = 0, handle = 0, first_value;
        unsigned id = 0, name_len;
        char name[260] = "";
        const char *sql = NULL;
        size_t sql_len = 0;

        r.i = retl_mssql_all_headers(r.p, r.n);
        name_len = (unsigned)rd_le(&r, 2);
        if (name_len == 0xFFFF) {
                id = (unsigned)rd_le(&r, 2);
                snprintf(name, sizeof(name), "%s", proc_name(id));
        } else {
                const uint8_t *b = rd_bytes(&r, (size_t)name_len * 2);
                if (b) {
                        char *n8 = utf8_of(b, name_len, NULL);
                        snprintf(name, sizeof(name), "%s", n8);
                        free(n8);
                }
                id = proc_id_of(name);
        }
        rd_le(&r, 2); /* option flags */
        params = retl_calloc(MAX_PARAMS, sizeof(*params));
        while (!r.bad && r.i < r.n && nparams < MAX_PARAMS) {
                struct retl_mssql_param *p = &params[nparams];
                unsigned nl = rd_u8(&r), status;
                const uint8_t *b;

                if (nl == 0x80 || nl == 0xFF) { /* a second RPC in the same request */
                        r.bad = 2;
                        break;
                }
                if (!(b = rd_bytes(&r, (size_t)nl * 2)))
                        break;
                {
                        char *n8 = utf8_of(b, nl, NULL);
                        snprintf(p->rp_name, sizeof(p->rp_name), "%s", n8);
                        free(n8);
                }
                status = rd_u8(&r);
                p->rp_output = status & 0x01;
                nparams++;
                if (read_value(&r, p)) {
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
                        reply_refusal(s, 8179, "Could not find prepared statement with handle %s.",
                                      nparams >= 1 ? "given" : "(none)");
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
        rc = retl_mssql_batch_exec(s, sql, sql_len, params + first_value,
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
        struct rd r = {s->msg.wb_data, s->msg.wb_len, 0, 0};
        unsigned type;
        int err = 0;

        r.i = retl_mssql_all_headers(r.p, r.n);
        type = (unsigned)rd_le(&r, 2);
        retl_log_info(s->ctx, "transaction manager request %u", type);
        retl_mssql_io_begin(s, TDS_PKT_REPLY);
        switch (type) {
        case TM_BEGIN_XACT:
                if (!(err = tm_sql(s, "BEGIN") != SQLITE_OK))
                        envchange_xact(s, 8, ++s->xact);
                break;
        case TM_COMMIT_XACT:
        case TM_ROLLBACK_XACT: {
                unsigned nl = rd_u8(&r), begin;
                rd_bytes(&r, (size_t)nl * 2);
                begin = rd_u8(&r) & 1;
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
