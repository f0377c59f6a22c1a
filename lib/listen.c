/* retl — listen settings, see listen.h. */
#include "listen.h"
#include "mem.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int retl_listen_parse(const char *what, const char *listen, struct sockaddr_in *sa,
                      char *errstr, size_t errstr_size)
{
        const char *colon = strrchr(listen, ':');
        char host[64], *end;
        long port = colon ? strtol(colon + 1, &end, 10) : -1;

        if (!colon || *end || port < 0 || port > 65535 ||
            (size_t)(colon - listen) >= sizeof(host)) {
                snprintf(errstr, errstr_size, "%s '%s': expected host:port", what, listen);
                return -1;
        }
        memcpy(host, listen, (size_t)(colon - listen));
        host[colon - listen] = '\0';
        memset(sa, 0, sizeof(*sa));
        sa->sin_family = AF_INET;
        sa->sin_port = htons((uint16_t)port);
        if (!*host || !strcmp(host, "*"))
                sa->sin_addr.s_addr = htonl(INADDR_ANY);
        else if (!strcmp(host, "localhost"))
                sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        else if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
                snprintf(errstr, errstr_size, "%s '%s': host must be an IPv4 address", what,
                         listen);
                return -1;
        }
        return 0;
}

int retl_listen_is_loopback(const struct sockaddr_in *sa)
{
        return (ntohl(sa->sin_addr.s_addr) >> 24) == 127;
}

int retl_listen_write_port(const char *path, int port)
{
        char *tmp = retl_asprintf("%s.tmp", path);
        FILE *f = fopen(tmp, "w");
        int rc = -1;

        if (f) {
                rc = fprintf(f, "%d\n", port) < 0 ? -1 : 0;
                if (fclose(f))
                        rc = -1;
                /* rename: a waiting script never reads a half-written file */
                if (!rc && rename(tmp, path))
                        rc = -1;
        }
        free(tmp);
        return rc;
}
