/* retl-mssql-standin — logging in: PRELOGIN (the encryption choice) and
 * LOGIN7 (user, password, database), answered as SQL Server answers. */
#include "sandbox/mssql/session_login.h"
#include "sandbox/mssql/session_cancel.h"
#include "sandbox/mssql/session_io.h"
#include "sandbox/mssql/session_log.h"
#include "sandbox/mssql/session_tls.h"
#include "sandbox/mssql/session_token.h"
#include "sandbox/mssql/tsql_functions.h"

#include "log.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* PRELOGIN encryption values. */
#define ENC_OFF     0
#define ENC_ON      1
#define ENC_NOT_SUP 2
#define ENC_REQ     3

/* ------------------------------------------------------------ PRELOGIN */

int retl_mssql_login_prelogin(struct retl_mssql_sess *s, int *tls_mode)
{
        uint8_t type;
        const uint8_t *p;
        size_t n, i;
        int client_enc = ENC_NOT_SUP, reply_enc;
        struct retl_wbuf *t = &s->tok;

        *tls_mode = 0;
        if (retl_mssql_io_read_message(s, &type))
                return -1;
        if (type != TDS_PKT_PRELOGIN) {
                retl_log_info(s->ctx, "first packet has type 0x%02x, not PRELOGIN (TDS 7.x "
                                      "only; set TDSVER=7.4)", type);
                return -1;
        }
        p = s->msg.wb_data;
        n = s->msg.wb_len;
        for (i = 0; i + 5 <= n && p[i] != 0xFF; i += 5) {
                size_t off = (size_t)p[i + 1] << 8 | p[i + 2];
                size_t len = (size_t)p[i + 3] << 8 | p[i + 4];
                if (p[i] == 1 && len >= 1 && off < n)
                        client_enc = p[off];
        }
        if (!s->conf->mc_tls)
                reply_enc = ENC_NOT_SUP;
        else if (client_enc == ENC_ON || client_enc == ENC_REQ)
                reply_enc = ENC_ON, *tls_mode = 2;  /* everything encrypted */
        else if (client_enc == ENC_OFF)
                reply_enc = ENC_OFF, *tls_mode = 1; /* only LOGIN7 encrypted */
        else
                reply_enc = ENC_NOT_SUP;

        /* VERSION, ENCRYPTION, INSTOPT, THREADID, MARS, terminator. */
        retl_wbuf_reset(t);
        {
                static const uint8_t opt_len[5] = {6, 1, 1, 4, 1};
                unsigned off = 5 * 5 + 1;
                for (unsigned k = 0; k < 5; k++) {
                        retl_wbuf_u8(t, k);
                        retl_wbuf_u8(t, off >> 8);
                        retl_wbuf_u8(t, off & 0xFF);
                        retl_wbuf_u8(t, 0);
                        retl_wbuf_u8(t, opt_len[k]);
                        off += opt_len[k];
                }
                retl_wbuf_u8(t, 0xFF);
        }
        {
                static const uint8_t version[6] = {15, 0, 0x07, 0xD0, 0, 0}; /* 15.0.2000 */
                retl_wbuf_put(t, version, 6);
        }
        retl_wbuf_u8(t, (unsigned)reply_enc);
        retl_wbuf_u8(t, 0);              /* INSTOPT: default instance */
        retl_wbuf_u32le(t, (uint32_t)s->spid);
        retl_wbuf_u8(t, 0);              /* no MARS */
        retl_mssql_io_begin(s, TDS_PKT_REPLY);
        retl_mssql_io_put_token(s);
        retl_mssql_io_end(s);
        retl_log_debug(s->ctx, "prelogin: client encryption %d, reply %d", client_enc,
                       reply_enc);
        return s->dead ? -1 : 0;
}

/* ------------------------------------------------------------ LOGIN7 */

/* Copies a UCS-2 field of LOGIN7 into UTF-8; @p deobfuscate for the password. */
static void login_field(const uint8_t *p, size_t n, size_t at, char *out, size_t out_size,
                        int deobfuscate)
{
        size_t off, chars;
        struct retl_wbuf wb;
        uint8_t tmp[1024];

        out[0] = '\0';
        if (at + 4 > n)
                return;
        off = p[at] | (size_t)p[at + 1] << 8;
        chars = p[at + 2] | (size_t)p[at + 3] << 8;
        if (off > n || chars * 2 > n - off || chars * 2 > sizeof(tmp))
                return;
        memcpy(tmp, p + off, chars * 2);
        if (deobfuscate) {
                /* each byte: XOR 0xA5, then swap the nibbles back */
                for (size_t i = 0; i < chars * 2; i++) {
                        uint8_t b = tmp[i] ^ 0xA5;
                        tmp[i] = (uint8_t)(b << 4 | b >> 4);
                }
        }
        retl_wbuf_init(&wb, out_size - 1);
        retl_utf16le_to_utf8(&wb, tmp, chars);
        if (!wb.wb_over && wb.wb_len > 0) { /* an empty field has no buffer */
                memcpy(out, wb.wb_data, wb.wb_len);
                out[wb.wb_len] = '\0';
        }
        if (deobfuscate && wb.wb_data)
                memset(wb.wb_data, 0, wb.wb_cap);
        memset(tmp, 0, sizeof(tmp));
        retl_wbuf_free(&wb);
}

static void login_fail(struct retl_mssql_sess *s, const char *reason)
{
        char msg[300];

        snprintf(msg, sizeof(msg), "Login failed for user '%s'.", s->user);
        retl_log_info(s->ctx, "login failed for user '%s': %s", s->user, reason);
        retl_mssql_token_message(s, TDS_TOK_ERROR, 18456, 1, 14, msg);
        retl_mssql_token_done(s, TDS_DONE_ERROR, 0, 0);
        retl_mssql_io_end(s);
}

int retl_mssql_login_run(struct retl_mssql_sess *s, int tls_mode)
{
        uint8_t type;
        const uint8_t *p;
        size_t n;
        char password[256], app[130], host[130], library[130], psize[16];
        uint32_t tds_version, req_packet;
        char db_msg[300];

        if (retl_mssql_io_read_message(s, &type))
                return -1;
        if (tls_mode == 1)
                retl_mssql_tls_end(s); /* login-only encryption: plain text from here */
        if (type != TDS_PKT_LOGIN7 || s->msg.wb_len < 94) {
                retl_log_info(s->ctx, "expected LOGIN7, got packet type 0x%02x", type);
                return -1;
        }
        p = s->msg.wb_data;
        n = s->msg.wb_len;
        tds_version = p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
        req_packet = p[8] | (uint32_t)p[9] << 8 | (uint32_t)p[10] << 16 | (uint32_t)p[11] << 24;
        login_field(p, n, 36, host, sizeof(host), 0);
        login_field(p, n, 40, s->user, sizeof(s->user), 0);
        login_field(p, n, 44, password, sizeof(password), 1);
        login_field(p, n, 48, app, sizeof(app), 0);
        login_field(p, n, 60, library, sizeof(library), 0);
        login_field(p, n, 68, s->database, sizeof(s->database), 0);
        {
                /* OptionFlags1, OptionFlags2, TypeFlags, OptionFlags3 */
                struct retl_mssql_login_info li = {
                        .li_tds_version = tds_version,
                        .li_option_flags1 = p[24],
                        .li_option_flags2 = p[25],
                        .li_type_flags = p[26],
                        .li_option_flags3 = p[27],
                        .li_user = s->user,
                        .li_database = s->database,
                        .li_app = app,
                        .li_host = host,
                        .li_library = library,
                };
                retl_mssql_session_log_login(s->conf->mc_session_log, s->spid, &li);
        }
        /* OptionFlags2 bit 1, fODBC: the ANSI options start ON */
        retl_mssql_set_init(&s->set, (p[25] & 0x02) != 0);

        retl_mssql_io_begin(s, TDS_PKT_REPLY);
        if (s->conf->mc_user &&
            (strcmp(s->user, s->conf->mc_user) != 0 ||
             strcmp(password, s->conf->mc_password ? s->conf->mc_password : "") != 0)) {
                memset(password, 0, sizeof(password));
                login_fail(s, "wrong user name or password");
                return -1;
        }
        memset(password, 0, sizeof(password));
        if (!s->database[0])
                snprintf(s->database, sizeof(s->database), "%s", s->conf->mc_database);
        if (strcasecmp(s->database, s->conf->mc_database) != 0) {
                snprintf(db_msg, sizeof(db_msg),
                         "Cannot open database \"%s\" requested by the login. The login failed.",
                         s->database);
                retl_log_info(s->ctx, "login: unknown database '%s'", s->database);
                retl_mssql_token_message(s, TDS_TOK_ERROR, 4060, 1, 11, db_msg);
                login_fail(s, "unknown database");
                return -1;
        }
        snprintf(s->database, sizeof(s->database), "%s", s->conf->mc_database);

        if (sqlite3_open_v2(s->conf->mc_db_path, &s->db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
            retl_mssql_register_functions(s->db) != SQLITE_OK ||
            retl_mssql_register_db_name(s->db, s->conf->mc_database) != SQLITE_OK) {
                struct retl_mssql_error err = {4060, 11, 1, ""};
                snprintf(err.me_msg, sizeof(err.me_msg), "Cannot open database \"%s\": %s",
                         s->database, s->db ? sqlite3_errmsg(s->db) : "out of memory");
                retl_mssql_token_error(s, &err);
                login_fail(s, "cannot open the SQLite file");
                return -1;
        }
        sqlite3_busy_timeout(s->db, 10000);
        retl_mssql_cancel_watch(s);

        /* What SQL Server sends, in its order. */
        retl_mssql_token_envchange(s, 1, s->database, "master");
        snprintf(db_msg, sizeof(db_msg), "Changed database context to '%s'.", s->database);
        retl_mssql_token_message(s, TDS_TOK_INFO, 5701, 2, 0, db_msg);
        retl_mssql_token_collation(s);
        retl_mssql_token_envchange(s, 2, "us_english", "");
        retl_mssql_token_message(s, TDS_TOK_INFO, 5703, 1, 0,
                                 "Changed language setting to us_english.");
        if (tds_version < 0x74000004 || tds_version > 0x7FFFFFFF) {
                /* TDS 7.1-7.3 carry dates and times differently (7.1 and
                 * 7.2 have no date, time, datetime2, datetimeoffset): the
                 * stand-in refuses rather than send 7.4's forms */
                snprintf(db_msg, sizeof(db_msg),
                         "retl-mssql-standin speaks TDS 7.4 only; this client asked for TDS "
                         "version 0x%08X. Set TDSVER=7.4 (tds version = 7.4).",
                         tds_version);
                retl_mssql_token_message(s, TDS_TOK_ERROR, 50000, 1, 16, db_msg);
                login_fail(s, "TDS version before 7.4");
                return -1;
        }
        {
                struct retl_wbuf *t = &s->tok;
                size_t at;
                retl_wbuf_u8(t, TDS_TOK_LOGINACK);
                at = t->wb_len;
                retl_wbuf_u16le(t, 0);
                retl_wbuf_u8(t, 1); /* SQL_TSQL */
                tds_version = 0x74000004;
                /* the version goes big-endian here */
                retl_wbuf_u8(t, tds_version >> 24);
                retl_wbuf_u8(t, (tds_version >> 16) & 0xFF);
                retl_wbuf_u8(t, (tds_version >> 8) & 0xFF);
                retl_wbuf_u8(t, tds_version & 0xFF);
                retl_tds_bvarchar(t, "Microsoft SQL Server");
                retl_wbuf_u8(t, 15);
                retl_wbuf_u8(t, 0);
                retl_wbuf_u8(t, 0x07);
                retl_wbuf_u8(t, 0xD0);
                retl_wbuf_set_u16le(t, at, (unsigned)(t->wb_len - at - 2));
                retl_mssql_io_put_token(s);
        }
        if (req_packet < 512)
                req_packet = DEFAULT_PACKET;
        if (req_packet > MAX_PACKET)
                req_packet = MAX_PACKET;
        snprintf(psize, sizeof(psize), "%u", req_packet);
        retl_mssql_token_envchange(s, 4, psize, "4096");
        retl_mssql_token_done(s, TDS_DONE_FINAL, 0, 0);
        retl_mssql_io_end(s);
        s->packet_size = req_packet;
        retl_log_info(s->ctx, "login: user '%s' database '%s' app '%s' host '%s' TDS %08x "
                              "packet %u%s",
                      s->user, s->database, app, host, tds_version, req_packet,
                      tls_mode == 2 ? " TLS" : tls_mode == 1 ? " (TLS login only)" : "");
        return s->dead ? -1 : 0;
}
