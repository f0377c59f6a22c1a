/* retl-mssql-standin — TLS: the server context and the handshake inside
 * PRELOGIN packets. */
#ifndef RETL_MSSQL_SESSION_TLS_H
#define RETL_MSSQL_SESSION_TLS_H

#include <stddef.h>

struct retl_mssql_sess;

/** @brief Loads a certificate and key for TLS 1.2.
 *  @returns an SSL_CTX * to free with retl_mssql_tls_free, or NULL with the
 *  reason in errstr. */
void *retl_mssql_tls_new(const char *cert_pem, const char *key_pem, char *errstr,
                         size_t errstr_size);
void retl_mssql_tls_free(void *tls); /* NULL is fine */

/** @brief Runs the server side of the handshake, its records carried in
 *  PRELOGIN packets; afterwards the session's I/O is encrypted.
 *  @returns 0 or -1. */
int retl_mssql_tls_handshake(struct retl_mssql_sess *s);

/** @brief Drops TLS: the session's I/O is plain from here. */
void retl_mssql_tls_end(struct retl_mssql_sess *s);

#endif
