/* retl-mssql-standin — a connection's bytes: requests read packet by packet,
 * replies framed into packets, over the socket or TLS. */
#ifndef RETL_MSSQL_SESSION_IO_H
#define RETL_MSSQL_SESSION_IO_H

#include "sandbox/mssql/session_int.h"

/* Every function here marks the session dead (s->dead) when the socket or
 * TLS fails; after that reads fail and writes are dropped. */

/** @brief Reads one packet and appends its payload to s->msg.
 *  @returns 0, or -1 (connection gone or packet malformed). */
int retl_mssql_io_read_packet(struct retl_mssql_sess *s, uint8_t *type, uint8_t *status);

/** @brief Reads a whole request (packets up to EOM) into s->msg; @p type is
 *  the first packet's, or ATTENTION if one arrived among them. */
int retl_mssql_io_read_message(struct retl_mssql_sess *s, uint8_t *type);

/** @brief True when bytes already read (or held by TLS) wait to be parsed. */
int retl_mssql_io_pending(const struct retl_mssql_sess *s);

/** @brief Starts a reply of packet type @p type (packet ids from 1). */
void retl_mssql_io_begin(struct retl_mssql_sess *s, uint8_t type);

/** @brief Appends bytes to the reply, closing full packets and sending the
 *  output buffer when it fills (checking for a cancel each time). */
void retl_mssql_io_put(struct retl_mssql_sess *s, const uint8_t *p, size_t n);

/** @brief Appends the token built in s->tok and empties s->tok. */
void retl_mssql_io_put_token(struct retl_mssql_sess *s);

/** @brief Closes the last packet with EOM and sends what is left. */
void retl_mssql_io_end(struct retl_mssql_sess *s);

#endif
