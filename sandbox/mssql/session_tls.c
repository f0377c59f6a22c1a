/* retl-mssql-standin — TLS: the server context, and the handshake that
 * travels inside PRELOGIN packets. */
#include "sandbox/mssql/session_tls.h"
#include "sandbox/mssql/session_io.h"

#include "log.h"

#include <stdio.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

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

void retl_mssql_tls_end(struct retl_mssql_sess *s)
{
        if (s->ssl)
                SSL_free(s->ssl); /* frees both BIOs */
        s->ssl = NULL;
        s->rbio = s->wbio = NULL;
}

/* The TLS handshake travels inside PRELOGIN (0x12) packets both ways. */
int retl_mssql_tls_handshake(struct retl_mssql_sess *s)
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
                        retl_mssql_io_begin(s, TDS_PKT_PRELOGIN);
                        while ((pending = BIO_read(s->wbio, buf, sizeof(buf))) > 0)
                                retl_mssql_io_put(s, buf, (size_t)pending);
                        /* written raw: the output path would encrypt it */
                        s->ssl = NULL;
                        retl_mssql_io_end(s);
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
                rc = retl_mssql_io_read_packet(s, &type, &status);
                s->ssl = ssl;
                if (rc)
                        return -1;
                BIO_write(s->rbio, s->msg.wb_data, (int)s->msg.wb_len);
        }
}
