/* retl-mssql-standin — one client connection, see session.h.
 *
 * The reply side writes whole TDS packets into an output buffer of several
 * packets and sends it when full, so a result costs one send() per ~64 KiB,
 * not one per row. Before each send we look (poll, no wait) for an incoming
 * ATTENTION packet: that is how a client's cancel stops a big result. */
#include "sandbox/mssql/session.h"
#include "sandbox/mssql/tsql.h"
#include "sandbox/mssql/types.h"
#include "sandbox/mssql/wire.h"

#include "log.h"
#include "mem.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sqlite3.h>

#define DEFAULT_PACKET 4096
#define MAX_PACKET     32767
#define OUT_CAP        (64 * 1024)
#define MAX_MESSAGE    (64u * 1024 * 1024) /* largest request we accept */
#define MAX_ROW        (256u * 1024 * 1024)

/* PRELOGIN encryption values. */
#define ENC_OFF     0
#define ENC_ON      1
#define ENC_NOT_SUP 2
#define ENC_REQ     3

/* DONE CurCmd values SQL Server uses. */
#define CMD_SELECT 0xC1
#define CMD_INSERT 0xC3
#define CMD_DELETE 0xC4
#define CMD_UPDATE 0xC5

struct sess {
        const struct retl_mssql_conf *conf;
        volatile sig_atomic_t *stop;
        int fd;
        int spid;
        char ctx[96];
        int dead;    /* the socket failed: stop everything */
        int attn;    /* the client sent ATTENTION */
        int nocount; /* SET NOCOUNT ON */

        /* TLS over memory BIOs, so the handshake can ride in PRELOGIN packets */
        SSL *ssl;
        BIO *rbio, *wbio;

        /* input */
        uint8_t in[16384];
        size_t in_pos, in_len;
        struct retl_wbuf msg; /* one request, packets joined */

        /* output: whole packets, the last one being filled */
        uint8_t *out;
        size_t out_len;   /* bytes in out, including the open packet */
        size_t pkt_start; /* where the open packet's header is */
        uint8_t out_type;
        uint8_t pkt_id;
        size_t packet_size;

        struct retl_wbuf tok; /* one token being built */
        struct retl_wbuf row; /* encoded values of one row */

        char user[130];
        char database[130];
        sqlite3 *db;
};

/* ------------------------------------------------------------ raw I/O */

static int send_all(struct sess *s, const uint8_t *p, size_t n)
{
        while (n && !s->dead) {
                ssize_t w = send(s->fd, p, n, MSG_NOSIGNAL);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        retl_log_info(s->ctx, "send: %s", strerror(errno));
                        s->dead = 1;
                        return -1;
                }
                p += w;
                n -= (size_t)w;
        }
        return s->dead ? -1 : 0;
}

/* Reads what the socket has (blocking for at least one byte). */
static ssize_t recv_some(struct sess *s, uint8_t *p, size_t n)
{
        for (;;) {
                ssize_t r = recv(s->fd, p, n, 0);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0) {
                        if (r < 0)
                                retl_log_info(s->ctx, "recv: %s", strerror(errno));
                        s->dead = 1;
                        return -1;
                }
                return r;
        }
}

/* Sends what TLS has produced. */
static int tls_drain(struct sess *s)
{
        uint8_t buf[16384];
        int n;

        while ((n = BIO_read(s->wbio, buf, sizeof(buf))) > 0)
                if (send_all(s, buf, (size_t)n))
                        return -1;
        return 0;
}

static int io_write(struct sess *s, const uint8_t *p, size_t n)
{
        if (!s->ssl)
                return send_all(s, p, n);
        while (n) {
                int chunk = n > 16384 ? 16384 : (int)n;
                int w = SSL_write(s->ssl, p, chunk);
                if (w <= 0) {
                        retl_log_info(s->ctx, "TLS write failed");
                        s->dead = 1;
                        return -1;
                }
                p += w;
                n -= (size_t)w;
                if (tls_drain(s))
                        return -1;
        }
        return 0;
}

/* Fills s->in with at least one byte. */
static int io_fill(struct sess *s)
{
        ssize_t r;

        s->in_pos = s->in_len = 0;
        if (!s->ssl) {
                r = recv_some(s, s->in, sizeof(s->in));
                if (r < 0)
                        return -1;
                s->in_len = (size_t)r;
                return 0;
        }
        for (;;) {
                uint8_t raw[16384];
                int n = SSL_read(s->ssl, s->in, sizeof(s->in));
                if (n > 0) {
                        s->in_len = (size_t)n;
                        return 0;
                }
                if (SSL_get_error(s->ssl, n) != SSL_ERROR_WANT_READ) {
                        retl_log_info(s->ctx, "TLS read failed");
                        s->dead = 1;
                        return -1;
                }
                if (tls_drain(s))
                        return -1;
                r = recv_some(s, raw, sizeof(raw));
                if (r < 0)
                        return -1;
                BIO_write(s->rbio, raw, (int)r);
        }
}

static int io_read_full(struct sess *s, uint8_t *p, size_t n)
{
        while (n) {
                size_t c;
                if (s->in_pos == s->in_len && io_fill(s))
                        return -1;
                c = s->in_len - s->in_pos;
                if (c > n)
                        c = n;
                memcpy(p, s->in + s->in_pos, c);
                s->in_pos += c;
                p += c;
                n -= c;
        }
        return 0;
}

/* Reads one packet; its payload is appended to s->msg. */
static int read_packet(struct sess *s, uint8_t *type, uint8_t *status)
{
        uint8_t hdr[8];
        size_t len;

        if (io_read_full(s, hdr, 8))
                return -1;
        len = (size_t)hdr[2] << 8 | hdr[3];
        if (len < 8 || len > MAX_PACKET + 8) {
                retl_log_warn(s->ctx, "bad packet length %zu", len);
                s->dead = 1;
                return -1;
        }
        *type = hdr[0];
        *status = hdr[1];
        if (!retl_wbuf_reserve(&s->msg, len - 8)) {
                retl_log_warn(s->ctx, "request larger than %u bytes", MAX_MESSAGE);
                s->dead = 1;
                return -1;
        }
        /* a header-only packet has nothing to read (and wb_data may be NULL) */
        if (len > 8 && io_read_full(s, s->msg.wb_data + s->msg.wb_len, len - 8))
                return -1;
        s->msg.wb_len += len - 8;
        return 0;
}

/* Reads a whole request (packets up to EOM) into s->msg. */
static int read_message(struct sess *s, uint8_t *type)
{
        uint8_t t, status;
        int first = 1;

        retl_wbuf_reset(&s->msg);
        do {
                if (read_packet(s, &t, &status))
                        return -1;
                if (first || t == TDS_PKT_ATTENTION)
                        *type = t;
                first = 0;
        } while (!(status & TDS_STATUS_EOM));
        return 0;
}

/* Has the client sent something (an ATTENTION) while we stream? */
static void check_attention(struct sess *s)
{
        struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
        int pending = s->in_pos < s->in_len ||
                      (s->ssl && (SSL_pending(s->ssl) > 0 || BIO_ctrl_pending(s->rbio) > 0));
        uint8_t type = 0;

        if (s->attn || s->dead)
                return;
        if (!pending && poll(&pfd, 1, 0) <= 0)
                return;
        if (read_message(s, &type))
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
        struct sess *s = arg;

        check_attention(s);
        return s->attn || s->dead;
}

/* ------------------------------------------------------------ output */

static void out_flush(struct sess *s, size_t upto)
{
        if (!s->dead && upto)
                io_write(s, s->out, upto);
        memmove(s->out, s->out + upto, s->out_len - upto);
        s->out_len -= upto;
        s->pkt_start -= upto;
}

static void pkt_header(struct sess *s, uint8_t status)
{
        uint8_t *h = s->out + s->pkt_start;
        size_t len = s->out_len - s->pkt_start;

        h[0] = s->out_type;
        h[1] = status;
        h[2] = (uint8_t)(len >> 8);
        h[3] = (uint8_t)len;
        h[4] = (uint8_t)(s->spid >> 8);
        h[5] = (uint8_t)s->spid;
        h[6] = ++s->pkt_id; /* wraps at 256, as allowed */
        h[7] = 0;
}

static void pkt_open(struct sess *s)
{
        s->pkt_start = s->out_len;
        s->out_len += 8;
}

static void out_begin(struct sess *s, uint8_t type)
{
        s->out_type = type;
        s->out_len = 0;
        s->pkt_id = 0;
        pkt_open(s);
}

static void out_put(struct sess *s, const uint8_t *p, size_t n)
{
        while (n) {
                size_t room = s->packet_size - (s->out_len - s->pkt_start), c;
                if (room == 0) {
                        pkt_header(s, 0);
                        if (OUT_CAP - s->out_len < s->packet_size) {
                                out_flush(s, s->out_len);
                                check_attention(s);
                        }
                        pkt_open(s);
                        continue;
                }
                c = n < room ? n : room;
                memcpy(s->out + s->out_len, p, c);
                s->out_len += c;
                p += c;
                n -= c;
        }
}

static void out_tok(struct sess *s)
{
        out_put(s, s->tok.wb_data, s->tok.wb_len);
        retl_wbuf_reset(&s->tok);
}

static void out_end(struct sess *s)
{
        pkt_header(s, TDS_STATUS_EOM);
        out_flush(s, s->out_len);
}

/* ------------------------------------------------------------ tokens */

static void tok_done(struct sess *s, unsigned status, unsigned curcmd, uint64_t count)
{
        retl_wbuf_u8(&s->tok, TDS_TOK_DONE);
        retl_wbuf_u16le(&s->tok, status);
        retl_wbuf_u16le(&s->tok, curcmd);
        retl_wbuf_u64le(&s->tok, count);
        out_tok(s);
}

/* ERROR (0xAA) or INFO (0xAB). */
static void tok_message(struct sess *s, uint8_t token, int number, int state, int severity,
                        const char *msg)
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
        out_tok(s);
}

static void tok_error(struct sess *s, const struct retl_mssql_error *err)
{
        retl_log_info(s->ctx, "error %d (severity %d): %s", err->me_number,
                      err->me_severity, err->me_msg);
        tok_message(s, TDS_TOK_ERROR, err->me_number, err->me_state, err->me_severity,
                    err->me_msg);
}

/* ENVCHANGE with B_VARCHAR values (database, language, packet size). */
static void tok_envchange(struct sess *s, unsigned type, const char *new_value,
                          const char *old_value)
{
        size_t at;

        retl_wbuf_u8(&s->tok, TDS_TOK_ENVCHANGE);
        at = s->tok.wb_len;
        retl_wbuf_u16le(&s->tok, 0);
        retl_wbuf_u8(&s->tok, type);
        retl_tds_bvarchar(&s->tok, new_value);
        retl_tds_bvarchar(&s->tok, old_value);
        retl_wbuf_set_u16le(&s->tok, at, (unsigned)(s->tok.wb_len - at - 2));
        out_tok(s);
}

static void tok_collation(struct sess *s)
{
        retl_wbuf_u8(&s->tok, TDS_TOK_ENVCHANGE);
        retl_wbuf_u16le(&s->tok, 1 + 1 + 5 + 1);
        retl_wbuf_u8(&s->tok, 7);
        retl_wbuf_u8(&s->tok, 5);
        retl_wbuf_put(&s->tok, retl_tds_collation, 5);
        retl_wbuf_u8(&s->tok, 0);
        out_tok(s);
}

/* ------------------------------------------------------------ TLS */

void *retl_mssql_tls_new(const char *cert_pem, const char *key_pem, char *errstr,
                         size_t errstr_size)
{
        SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

        if (!ctx) {
                snprintf(errstr, errstr_size, "SSL_CTX_new failed");
                return NULL;
        }
        if (SSL_CTX_use_certificate_chain_file(ctx, cert_pem) != 1 ||
            SSL_CTX_use_PrivateKey_file(ctx, key_pem, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(ctx) != 1) {
                unsigned long e = ERR_get_error();
                snprintf(errstr, errstr_size, "cannot load %s / %s: %s", cert_pem, key_pem,
                         e ? ERR_reason_error_string(e) : "?");
                SSL_CTX_free(ctx);
                return NULL;
        }
        /* TLS 1.2, as SQL Server speaks it under TDS 7.x. With TLS 1.3 the
         * client's Finished is its last handshake message and FreeTDS only
         * sends its buffered PRELOGIN packet when it next reads, so the
         * handshake would stall; 1.3 belongs to TDS 8 (strict), which
         * FreeTDS 1.3 does not support. No session tickets either. */
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
        SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
        SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
        return ctx;
}

void retl_mssql_tls_free(void *tls)
{
        SSL_CTX_free(tls);
}

static void tls_end(struct sess *s)
{
        if (s->ssl)
                SSL_free(s->ssl); /* frees both BIOs */
        s->ssl = NULL;
        s->rbio = s->wbio = NULL;
}

/* The TLS handshake travels inside PRELOGIN (0x12) packets both ways. */
static int tls_handshake(struct sess *s)
{
        s->ssl = SSL_new(s->conf->mc_tls);
        s->rbio = BIO_new(BIO_s_mem());
        s->wbio = BIO_new(BIO_s_mem());
        if (!s->ssl || !s->rbio || !s->wbio) {
                BIO_free(s->rbio);
                BIO_free(s->wbio);
                s->rbio = s->wbio = NULL;
                return -1;
        }
        SSL_set_bio(s->ssl, s->rbio, s->wbio);
        SSL_set_accept_state(s->ssl);
        for (;;) {
                int rc = SSL_do_handshake(s->ssl), pending;
                uint8_t type, status;
                SSL *ssl = s->ssl;

                pending = (int)BIO_ctrl_pending(s->wbio);
                if (pending > 0) {
                        uint8_t buf[16384];
                        out_begin(s, TDS_PKT_PRELOGIN);
                        while ((pending = BIO_read(s->wbio, buf, sizeof(buf))) > 0)
                                out_put(s, buf, (size_t)pending);
                        /* written raw: the output path would encrypt it */
                        s->ssl = NULL;
                        out_end(s);
                        s->ssl = ssl;
                }
                if (rc == 1)
                        return s->dead ? -1 : 0;
                if (SSL_get_error(ssl, rc) != SSL_ERROR_WANT_READ || s->dead) {
                        unsigned long e = ERR_get_error();
                        retl_log_info(s->ctx, "TLS handshake failed: %s",
                                      e ? ERR_reason_error_string(e) : "connection closed");
                        return -1;
                }
                /* Raw read of one PRELOGIN packet carrying TLS records. */
                s->ssl = NULL;
                retl_wbuf_reset(&s->msg);
                rc = read_packet(s, &type, &status);
                s->ssl = ssl;
                if (rc)
                        return -1;
                BIO_write(s->rbio, s->msg.wb_data, (int)s->msg.wb_len);
        }
}

/* ------------------------------------------------------------ PRELOGIN */

static int do_prelogin(struct sess *s, int *tls_mode)
{
        uint8_t type;
        const uint8_t *p;
        size_t n, i;
        int client_enc = ENC_NOT_SUP, reply_enc;
        struct retl_wbuf *t = &s->tok;

        *tls_mode = 0;
        if (read_message(s, &type))
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
        out_begin(s, TDS_PKT_REPLY);
        out_tok(s);
        out_end(s);
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
        if (!wb.wb_over && wb.wb_len) { /* an empty field leaves wb_data NULL */
                memcpy(out, wb.wb_data, wb.wb_len);
                out[wb.wb_len] = '\0';
        }
        if (deobfuscate && wb.wb_data)
                memset(wb.wb_data, 0, wb.wb_cap);
        memset(tmp, 0, sizeof(tmp));
        retl_wbuf_free(&wb);
}

static void login_fail(struct sess *s, const char *reason)
{
        char msg[300];

        snprintf(msg, sizeof(msg), "Login failed for user '%s'.", s->user);
        retl_log_info(s->ctx, "login failed for user '%s': %s", s->user, reason);
        tok_message(s, TDS_TOK_ERROR, 18456, 1, 14, msg);
        tok_done(s, TDS_DONE_ERROR, 0, 0);
        out_end(s);
}

static int do_login(struct sess *s, int tls_mode)
{
        uint8_t type;
        const uint8_t *p;
        size_t n;
        char password[256], app[130], host[130], psize[16];
        uint32_t tds_version, req_packet;
        char db_msg[300];

        if (read_message(s, &type))
                return -1;
        if (tls_mode == 1)
                tls_end(s); /* login-only encryption: plain text from here */
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
        login_field(p, n, 68, s->database, sizeof(s->database), 0);

        out_begin(s, TDS_PKT_REPLY);
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
                tok_message(s, TDS_TOK_ERROR, 4060, 1, 11, db_msg);
                login_fail(s, "unknown database");
                return -1;
        }
        snprintf(s->database, sizeof(s->database), "%s", s->conf->mc_database);

        if (sqlite3_open_v2(s->conf->mc_db_path, &s->db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
            retl_mssql_register_functions(s->db) != SQLITE_OK) {
                struct retl_mssql_error err = {4060, 11, 1, ""};
                snprintf(err.me_msg, sizeof(err.me_msg), "Cannot open database \"%s\": %s",
                         s->database, s->db ? sqlite3_errmsg(s->db) : "out of memory");
                tok_error(s, &err);
                login_fail(s, "cannot open the SQLite file");
                return -1;
        }
        sqlite3_busy_timeout(s->db, 10000);
        sqlite3_progress_handler(s->db, PROGRESS_STEPS, on_progress, s);

        /* What SQL Server sends, in its order. */
        tok_envchange(s, 1, s->database, "master");
        snprintf(db_msg, sizeof(db_msg), "Changed database context to '%s'.", s->database);
        tok_message(s, TDS_TOK_INFO, 5701, 2, 0, db_msg);
        tok_collation(s);
        tok_envchange(s, 2, "us_english", "");
        tok_message(s, TDS_TOK_INFO, 5703, 1, 0, "Changed language setting to us_english.");
        {
                struct retl_wbuf *t = &s->tok;
                size_t at;
                retl_wbuf_u8(t, TDS_TOK_LOGINACK);
                at = t->wb_len;
                retl_wbuf_u16le(t, 0);
                retl_wbuf_u8(t, 1); /* SQL_TSQL */
                if (tds_version > 0x74000004 || tds_version < 0x72000000)
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
                out_tok(s);
        }
        if (req_packet < 512)
                req_packet = DEFAULT_PACKET;
        if (req_packet > MAX_PACKET)
                req_packet = MAX_PACKET;
        snprintf(psize, sizeof(psize), "%u", req_packet);
        tok_envchange(s, 4, psize, "4096");
        tok_done(s, TDS_DONE_FINAL, 0, 0);
        out_end(s);
        s->packet_size = req_packet;
        retl_log_info(s->ctx, "login: user '%s' database '%s' app '%s' host '%s' TDS %08x "
                              "packet %u%s",
                      s->user, s->database, app, host, tds_version, req_packet,
                      tls_mode == 2 ? " TLS" : tls_mode == 1 ? " (TLS login only)" : "");
        return s->dead ? -1 : 0;
}

/* ------------------------------------------------------------ batches */

struct done_pending {
        int set;
        unsigned status, curcmd;
        uint64_t count;
};

static void done_flush(struct sess *s, struct done_pending *d, int more)
{
        if (!d->set)
                return;
        tok_done(s, d->status | (more ? TDS_DONE_MORE : 0), d->curcmd, d->count);
        d->set = 0;
}

static void done_later(struct sess *s, struct done_pending *d, unsigned status,
                       unsigned curcmd, uint64_t count)
{
        done_flush(s, d, 1);
        d->set = 1;
        d->status = status;
        d->curcmd = curcmd;
        d->count = count;
}

static const char *skip_blank(const char *p)
{
        for (;;) {
                while (isspace((unsigned char)*p))
                        p++;
                if (p[0] == '-' && p[1] == '-') {
                        while (*p && *p != '\n')
                                p++;
                } else if (p[0] == '/' && p[1] == '*') {
                        const char *e = strstr(p + 2, "*/");
                        p = e ? e + 2 : p + strlen(p);
                } else if (*p == ';') {
                        p++;
                } else {
                        return p;
                }
        }
}

static int word_is(const char *p, const char *w)
{
        size_t n = strlen(w);
        return strncasecmp(p, w, n) == 0 && !isalnum((unsigned char)p[n]) && p[n] != '_';
}

/* The end of a SET or USE statement: ';' or end of line. */
static const char *line_end(const char *p)
{
        while (*p && *p != ';' && *p != '\n')
                p++;
        return p;
}

static void value_of(sqlite3_stmt *st, int i, struct retl_mssql_value *v)
{
        v->v_type = sqlite3_column_type(st, i);
        switch (v->v_type) {
        case SQLITE_INTEGER:
                v->v_int = sqlite3_column_int64(st, i);
                break;
        case SQLITE_FLOAT:
                v->v_real = sqlite3_column_double(st, i);
                break;
        case SQLITE_TEXT:
                v->v_ptr = sqlite3_column_text(st, i);
                v->v_len = (size_t)sqlite3_column_bytes(st, i);
                break;
        case SQLITE_BLOB:
                v->v_ptr = sqlite3_column_blob(st, i);
                v->v_len = (size_t)sqlite3_column_bytes(st, i);
                break;
        default:
                break;
        }
}

static unsigned stmt_curcmd(const char *sql)
{
        sql = skip_blank(sql);
        if (word_is(sql, "INSERT") || word_is(sql, "REPLACE"))
                return CMD_INSERT;
        if (word_is(sql, "UPDATE"))
                return CMD_UPDATE;
        if (word_is(sql, "DELETE"))
                return CMD_DELETE;
        if (word_is(sql, "SELECT") || word_is(sql, "WITH") || word_is(sql, "VALUES"))
                return CMD_SELECT;
        return 0;
}

/* Encodes one row; @returns 0, or -1 with err set (conversion). */
static int send_row(struct sess *s, sqlite3_stmt *st, int ncols,
                    const struct retl_mssql_type *types, size_t *offs,
                    struct retl_mssql_error *err)
{
        size_t null_bytes = 0, bitmap = ((size_t)ncols + 7) / 8;
        int nulls = 0;
        uint8_t bits[(1024 + 7) / 8];

        retl_wbuf_reset(&s->row);
        memset(bits, 0, bitmap);
        for (int i = 0; i < ncols; i++) {
                struct retl_mssql_value v = {0};
                value_of(st, i, &v);
                offs[i] = s->row.wb_len;
                if (v.v_type == SQLITE_NULL) {
                        bits[i / 8] |= (uint8_t)(1u << (i % 8));
                        null_bytes += retl_mssql_null_size(&types[i]);
                        nulls++;
                        continue;
                }
                if (retl_mssql_encode(&types[i], &v, &s->row, err))
                        return -1;
                if (s->row.wb_over) {
                        err->me_number = 1101;
                        err->me_severity = 17;
                        err->me_state = 1;
                        snprintf(err->me_msg, sizeof(err->me_msg),
                                 "Row larger than the stand-in's %u MiB limit.",
                                 MAX_ROW >> 20);
                        return -1;
                }
        }
        offs[ncols] = s->row.wb_len;
        if (nulls && bitmap < null_bytes) {
                uint8_t tokb = TDS_TOK_NBCROW;
                out_put(s, &tokb, 1);
                out_put(s, bits, bitmap);
                out_put(s, s->row.wb_data, s->row.wb_len);
        } else {
                uint8_t tokb = TDS_TOK_ROW;
                out_put(s, &tokb, 1);
                for (int i = 0; i < ncols; i++) {
                        if (bits[i / 8] & (1u << (i % 8))) {
                                retl_wbuf_reset(&s->tok);
                                retl_mssql_put_null(&types[i], &s->tok);
                                out_tok(s);
                        } else {
                                out_put(s, s->row.wb_data + offs[i], offs[i + 1] - offs[i]);
                        }
                }
        }
        return 0;
}

/* Runs one prepared statement and streams its result.
 * @returns 0, -1 after an error (reported), 1 after ATTENTION. */
static int run_stmt(struct sess *s, sqlite3_stmt *st, struct done_pending *dp)
{
        int ncols = sqlite3_column_count(st), rc;
        unsigned curcmd = stmt_curcmd(sqlite3_sql(st));
        struct retl_mssql_error err;
        struct retl_mssql_type *types = NULL;
        size_t *offs = NULL;
        uint64_t rows = 0;
        int result = 0;

        if (ncols > 1024) {
                err = (struct retl_mssql_error){1702, 16, 1, "More than 1024 columns."};
                goto fail;
        }
        rc = sqlite3_step(st);
        if (ncols == 0) {
                while (rc == SQLITE_ROW)
                        rc = sqlite3_step(st);
                if (rc == SQLITE_INTERRUPT && s->attn)
                        return 1;
                if (rc != SQLITE_DONE)
                        goto sqlite_fail;
                if (curcmd == CMD_INSERT || curcmd == CMD_UPDATE || curcmd == CMD_DELETE)
                        done_later(s, dp, s->nocount ? 0 : TDS_DONE_COUNT, curcmd,
                                   (uint64_t)sqlite3_changes64(s->db));
                else
                        done_later(s, dp, 0, curcmd, 0);
                return 0;
        }
        if (rc == SQLITE_INTERRUPT && s->attn)
                return 1;
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                goto sqlite_fail;

        /* COLMETADATA; expression columns typed from the first row. */
        types = retl_calloc((size_t)ncols, sizeof(*types));
        offs = retl_calloc((size_t)ncols + 1, sizeof(*offs));
        done_flush(s, dp, 1);
        retl_wbuf_u8(&s->tok, TDS_TOK_COLMETADATA);
        retl_wbuf_u16le(&s->tok, (unsigned)ncols);
        for (int i = 0; i < ncols; i++) {
                const char *name = sqlite3_column_name(st, i);
                if (retl_mssql_type_parse(sqlite3_column_decltype(st, i), &types[i])) {
                        struct retl_mssql_value v = {.v_type = SQLITE_NULL};
                        if (rc == SQLITE_ROW)
                                value_of(st, i, &v);
                        retl_mssql_type_infer(&v, &types[i]);
                }
                retl_wbuf_u32le(&s->tok, 0);      /* user type */
                retl_wbuf_u16le(&s->tok, 0x0001); /* nullable */
                retl_mssql_type_info(&types[i], &s->tok);
                retl_tds_bvarchar(&s->tok, name ? name : "");
        }
        out_tok(s);

        while (rc == SQLITE_ROW && !s->dead) {
                if (send_row(s, st, ncols, types, offs, &err)) {
                        tok_error(s, &err);
                        tok_done(s, TDS_DONE_ERROR | TDS_DONE_COUNT, curcmd, rows);
                        result = -1;
                        goto out;
                }
                rows++;
                if (s->attn) {
                        result = 1;
                        goto out;
                }
                rc = sqlite3_step(st);
        }
        if (rc == SQLITE_INTERRUPT && s->attn) {
                result = 1;
                goto out;
        }
        if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
                retl_mssql_map_error(rc, sqlite3_errmsg(s->db), &err);
                tok_error(s, &err);
                tok_done(s, TDS_DONE_ERROR | TDS_DONE_COUNT, curcmd, rows);
                result = -1;
                goto out;
        }
        done_later(s, dp, s->nocount ? 0 : TDS_DONE_COUNT, curcmd, rows);
        retl_log_debug(s->ctx, "statement: %llu rows", (unsigned long long)rows);
out:
        free(types);
        free(offs);
        return result;
sqlite_fail:
        retl_mssql_map_error(rc, sqlite3_errmsg(s->db), &err);
fail:
        done_flush(s, dp, 1);
        tok_error(s, &err);
        tok_done(s, TDS_DONE_ERROR, curcmd, 0);
        return -1;
}

/* SET …: accepted and ignored, except NOCOUNT. Like SQL Server, no DONE
 * of its own, so "SET NOCOUNT ON; SELECT …" gives the SELECT as the first
 * result (the batch still ends with a DONE). */
static void run_set(struct sess *s, const char *p, const char *end,
                    struct done_pending *dp)
{
        p += 3;
        while (p < end && isspace((unsigned char)*p))
                p++;
        if (word_is(p, "NOCOUNT")) {
                const char *q = p + 7;
                while (q < end && isspace((unsigned char)*q))
                        q++;
                s->nocount = word_is(q, "ON");
        }
        (void)dp;
}

static void run_use(struct sess *s, const char *p, const char *end,
                    struct done_pending *dp)
{
        char name[130], msg[300];
        size_t n = 0;

        p += 3;
        while (p < end && isspace((unsigned char)*p))
                p++;
        for (; p < end && n + 1 < sizeof(name); p++) {
                if (*p == '"' || *p == '[' || *p == ']')
                        continue;
                if (isspace((unsigned char)*p))
                        break;
                name[n++] = *p;
        }
        name[n] = '\0';
        if (strcasecmp(name, s->conf->mc_database) != 0) {
                struct retl_mssql_error err = {911, 16, 1, ""};
                snprintf(err.me_msg, sizeof(err.me_msg),
                         "Database '%s' does not exist. Make sure that the name is entered "
                         "correctly.",
                         name);
                done_flush(s, dp, 1);
                tok_error(s, &err);
                done_later(s, dp, TDS_DONE_ERROR, 0, 0);
                return;
        }
        done_flush(s, dp, 1);
        tok_envchange(s, 1, s->conf->mc_database, s->database);
        snprintf(msg, sizeof(msg), "Changed database context to '%s'.", s->conf->mc_database);
        tok_message(s, TDS_TOK_INFO, 5701, 1, 0, msg);
        done_later(s, dp, 0, 0, 0);
}

static void run_batch(struct sess *s)
{
        const uint8_t *p = s->msg.wb_data;
        size_t n = s->msg.wb_len, hdr = 0;
        struct retl_wbuf text;
        char *sql;
        const char *cur;
        struct done_pending dp = {0};
        int rc = 0;

        /* ALL_HEADERS (TDS 7.2+): total length first, itself included. */
        if (n >= 4) {
                hdr = p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 | (size_t)p[3] << 24;
                if (hdr < 4 || hdr > n)
                        hdr = 0;
        }
        retl_wbuf_init(&text, 0);
        retl_utf16le_to_utf8(&text, p + hdr, (n - hdr) / 2);
        retl_wbuf_u8(&text, 0);
        if (text.wb_over) {
                retl_wbuf_free(&text);
                s->dead = 1;
                return;
        }
        retl_log_info(s->ctx, "batch: %zu characters", (n - hdr) / 2);
        retl_log_debug(s->ctx, "batch text: %.400s", (const char *)text.wb_data);
        sql = retl_mssql_rewrite((const char *)text.wb_data, text.wb_len - 1, s->spid);
        retl_wbuf_free(&text);
        retl_log_debug(s->ctx, "as SQLite: %.400s", sql);

        s->attn = 0;
        out_begin(s, TDS_PKT_REPLY);
        cur = sql;
        while (!s->dead) {
                sqlite3_stmt *st = NULL;
                const char *tail = NULL;

                cur = skip_blank(cur);
                if (!*cur)
                        break;
                if (word_is(cur, "SET") || word_is(cur, "USE")) {
                        const char *end = line_end(cur);
                        if (word_is(cur, "SET"))
                                run_set(s, cur, end, &dp);
                        else
                                run_use(s, cur, end, &dp);
                        cur = end;
                        continue;
                }
                if (sqlite3_prepare_v2(s->db, cur, -1, &st, &tail) != SQLITE_OK) {
                        struct retl_mssql_error err;
                        retl_mssql_map_error(sqlite3_errcode(s->db), sqlite3_errmsg(s->db), &err);
                        done_flush(s, &dp, 1);
                        tok_error(s, &err);
                        tok_done(s, TDS_DONE_ERROR, 0, 0);
                        rc = -1;
                        break;
                }
                cur = tail;
                if (!st)
                        continue;
                rc = run_stmt(s, st, &dp);
                sqlite3_finalize(st);
                if (rc)
                        break;
        }
        free(sql);
        if (rc == 1) {
                done_flush(s, &dp, 1);
                tok_done(s, TDS_DONE_ATTN, 0, 0);
        } else if (rc == 0) {
                if (!dp.set)
                        done_later(s, &dp, 0, 0, 0); /* every reply ends with a DONE */
                done_flush(s, &dp, 0);
        }
        /* after an error, the DONE_ERROR written with it is the final token */
        out_end(s);
        s->attn = 0;
}

static void reply_error(struct sess *s, int number, const char *msg)
{
        struct retl_mssql_error err = {number, 16, 1, ""};

        snprintf(err.me_msg, sizeof(err.me_msg), "%s", msg);
        out_begin(s, TDS_PKT_REPLY);
        tok_error(s, &err);
        tok_done(s, TDS_DONE_ERROR, 0, 0);
        out_end(s);
}

/* ------------------------------------------------------------ main loop */

void retl_mssql_session_run(const struct retl_mssql_conf *conf, int fd, int spid,
                            const char *peer, volatile sig_atomic_t *stop)
{
        struct sess *s = retl_calloc(1, sizeof(*s));
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

        if (do_prelogin(s, &tls_mode))
                goto out;
        if (tls_mode && tls_handshake(s))
                goto out;
        if (do_login(s, tls_mode))
                goto out;
        while (!s->dead && !*stop) {
                if (read_message(s, &type))
                        break;
                switch (type) {
                case TDS_PKT_SQL_BATCH:
                        batches++;
                        run_batch(s);
                        break;
                case TDS_PKT_ATTENTION:
                        /* a cancel that crossed our reply: acknowledge it */
                        out_begin(s, TDS_PKT_REPLY);
                        tok_done(s, TDS_DONE_ATTN, 0, 0);
                        out_end(s);
                        break;
                case TDS_PKT_RPC:
                        reply_error(s, 2812, "RPC requests are not supported by the stand-in; "
                                             "send SQL batches.");
                        break;
                default:
                        retl_log_warn(s->ctx, "packet type 0x%02x not supported", type);
                        reply_error(s, 40000, "Request type not supported by the stand-in.");
                        break;
                }
        }
out:
        retl_log_info(s->ctx, "disconnected after %lu batches", batches);
        tls_end(s);
        if (s->db)
                sqlite3_close_v2(s->db);
        retl_wbuf_free(&s->msg);
        retl_wbuf_free(&s->tok);
        retl_wbuf_free(&s->row);
        free(s->out);
        free(s);
}
