/* Fuzz target: the SQL Server stand-in's TDS reader (packets, PRELOGIN, LOGIN7, SQL batches) on a client byte stream. */
#include "tests/fuzz/fuzz.h"

#include "log.h"
#include "sandbox/mssql/session.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* The fuzz input plays the client: written to one end of a socket pair
 * (then shut down, so the session sees the client leave), while the
 * session's replies are read and dropped so that it never blocks. */
struct client {
        int fd;
        const uint8_t *data;
        size_t size;
};

static void *client_main(void *arg)
{
        struct client *cl = arg;
        size_t sent = 0;
        uint8_t sink[16384];

        for (;;) {
                struct pollfd pfd = {.fd = cl->fd,
                                     .events = POLLIN | (sent < cl->size ? POLLOUT : 0)};
                ssize_t r;

                if (poll(&pfd, 1, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        abort();
                }
                if (pfd.revents & POLLOUT) {
                        r = send(cl->fd, cl->data + sent, cl->size - sent,
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
                        if (r > 0)
                                sent += (size_t)r;
                        else if (r < 0 && errno != EAGAIN && errno != EINTR)
                                sent = cl->size; /* the session left early */
                        if (sent == cl->size)
                                shutdown(cl->fd, SHUT_WR);
                }
                if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
                        r = recv(cl->fd, sink, sizeof(sink), MSG_DONTWAIT);
                        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
                                return NULL;
                }
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* the login the seed corpus makes (tests/fuzz/README.md) */
        static const struct retl_mssql_conf conf = {
                .mc_db_path = ":memory:",
                .mc_database = "retl",
                .mc_user = "retl",
                .mc_password = "fuzz-pw",
        };
        static volatile sig_atomic_t stop;
        struct client cl = {.data = data, .size = size};
        pthread_t th;
        int sv[2];

        retl_log_set_level(RETL_LOG_ERROR);
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
                perror("fuzz_mssql: socketpair");
                abort();
        }
        cl.fd = sv[1];
        if (size == 0)
                shutdown(sv[1], SHUT_WR);
        if (pthread_create(&th, NULL, client_main, &cl))
                abort();
        retl_mssql_session_run(&conf, sv[0], 51, "fuzz", &stop);
        close(sv[0]);
        pthread_join(th, NULL);
        close(sv[1]);
        return 0;
}
