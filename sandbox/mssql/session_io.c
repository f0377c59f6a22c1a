/* retl-mssql-standin — a connection's bytes: socket or TLS reads and
 * writes, requests read packet by packet, replies framed into packets.
 *
 * The reply side writes whole TDS packets into an output buffer of several
 * packets and sends it when full, so a result costs one send() per ~64 KiB,
 * not one per row. Before each send we look (poll, no wait) for an incoming
 * ATTENTION packet: that is how a client's cancel stops a big result. */
#include "sandbox/mssql/session_io.h"
#include "sandbox/mssql/session_cancel.h"

#include "log.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

/* ------------------------------------------------------------ raw I/O */

static int send_all(struct retl_mssql_sess *s, const uint8_t *p, size_t n)
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
static ssize_t recv_some(struct retl_mssql_sess *s, uint8_t *p, size_t n)
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
static int tls_drain(struct retl_mssql_sess *s)
{
        uint8_t buf[16384];
        int n;

        while ((n = BIO_read(s->wbio, buf, sizeof(buf))) > 0)
                if (send_all(s, buf, (size_t)n))
                        return -1;
        return 0;
}

static int io_write(struct retl_mssql_sess *s, const uint8_t *p, size_t n)
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
static int io_fill(struct retl_mssql_sess *s)
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

static int io_read_full(struct retl_mssql_sess *s, uint8_t *p, size_t n)
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
int retl_mssql_io_read_packet(struct retl_mssql_sess *s, uint8_t *type, uint8_t *status)
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
int retl_mssql_io_read_message(struct retl_mssql_sess *s, uint8_t *type)
{
        uint8_t t, status;
        int first = 1;

        retl_wbuf_reset(&s->msg);
        do {
                if (retl_mssql_io_read_packet(s, &t, &status))
                        return -1;
                if (first || t == TDS_PKT_ATTENTION)
                        *type = t;
                first = 0;
        } while (!(status & TDS_STATUS_EOM));
        return 0;
}

int retl_mssql_io_pending(const struct retl_mssql_sess *s)
{
        return s->in_pos < s->in_len ||
               (s->ssl && (SSL_pending(s->ssl) > 0 || BIO_ctrl_pending(s->rbio) > 0));
}

/* ------------------------------------------------------------ output */

static void out_flush(struct retl_mssql_sess *s, size_t upto)
{
        if (!s->dead && upto)
                io_write(s, s->out, upto);
        memmove(s->out, s->out + upto, s->out_len - upto);
        s->out_len -= upto;
        s->pkt_start -= upto;
}

static void pkt_header(struct retl_mssql_sess *s, uint8_t status)
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

static void pkt_open(struct retl_mssql_sess *s)
{
        s->pkt_start = s->out_len;
        s->out_len += 8;
}

void retl_mssql_io_begin(struct retl_mssql_sess *s, uint8_t type)
{
        s->out_type = type;
        s->out_len = 0;
        s->pkt_id = 0;
        pkt_open(s);
}

void retl_mssql_io_put(struct retl_mssql_sess *s, const uint8_t *p, size_t n)
{
        while (n) {
                size_t room = s->packet_size - (s->out_len - s->pkt_start), c;
                if (room == 0) {
                        pkt_header(s, 0);
                        if (OUT_CAP - s->out_len < s->packet_size) {
                                out_flush(s, s->out_len);
                                retl_mssql_cancel_check(s);
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

void retl_mssql_io_put_token(struct retl_mssql_sess *s)
{
        retl_mssql_io_put(s, s->tok.wb_data, s->tok.wb_len);
        retl_wbuf_reset(&s->tok);
}

void retl_mssql_io_end(struct retl_mssql_sess *s)
{
        pkt_header(s, TDS_STATUS_EOM);
        out_flush(s, s->out_len);
}
