/* retl — "host:port" listen settings of retl's HTTP servers, as an IPv4 address. */
#ifndef RETL_LISTEN_H
#define RETL_LISTEN_H

#include <netinet/in.h>
#include <stddef.h>

/** @brief Parses @p listen ("127.0.0.1:9400", "localhost:0", "*:80", ":80")
 *  into @p sa; @p what names the setting in messages.
 *  @returns 0, or -1 with errstr. */
int retl_listen_parse(const char *what, const char *listen, struct sockaddr_in *sa,
                      char *errstr, size_t errstr_size);

/** @brief Whether @p sa is in 127.0.0.0/8. */
int retl_listen_is_loopback(const struct sockaddr_in *sa);

/** @brief Writes @p port (digits and a newline) to @p path, whole or not at
 *  all (through a rename), for scripts that wait for it. @returns 0 or -1. */
int retl_listen_write_port(const char *path, int port);

#endif
