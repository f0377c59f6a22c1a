/* retl-mssql-standin — a SQL Server stand-in: TDS 7.4 in front of SQLite.
 *
 *   retl-mssql-standin --listen 127.0.0.1:PORT --db FILE.sqlite
 *       [--database NAME] [--user U (--password-env VAR | --password-file F)]
 *       [--tls-cert PEM --tls-key PEM] [--port-file F] [--log-level L]
 *       [--log-session FILE]
 *
 * PORT 0 picks a free port. Once listening it prints "listening on
 * 127.0.0.1:NNNN" on stdout and writes NNNN to the port file. One thread per
 * connection, each with its own SQLite connection. SIGTERM/SIGINT: stop
 * accepting, shut the client sockets down, join the threads, exit 0. */
#include "sandbox/mssql/session.h"
#include "sandbox/mssql/session_log.h"
#include "sandbox/mssql/session_tls.h"

#include "log.h"
#include "mem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sqlite3.h>

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
        (void)sig;
        stop_flag = 1;
}

struct client {
        struct client *next;
        pthread_t thread;
        int fd;
        int spid;
        volatile int done;
        char peer[64];
        const struct retl_mssql_conf *conf;
};

static void *client_main(void *arg)
{
        struct client *c = arg;

        retl_mssql_session_run(c->conf, c->fd, c->spid, c->peer, &stop_flag);
        c->done = 1;
        return NULL;
}

static void usage(FILE *f)
{
        fprintf(f, "usage: retl-mssql-standin --listen HOST:PORT --db FILE.sqlite\n"
                   "         [--database NAME] [--user U (--password-env VAR | --password-file F)]\n"
                   "         [--tls-cert PEM --tls-key PEM] [--port-file F] [--log-level L]\n"
                   "         [--log-session FILE]\n");
}

static char *read_password_file(const char *path)
{
        FILE *f = fopen(path, "r");
        char buf[512];
        size_t n;

        if (!f)
                return NULL;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
                buf[--n] = '\0';
        return retl_strdup(buf);
}

/* Joins finished client threads; with @p all, every thread. */
static void reap(struct client **list, int all)
{
        struct client **pp = list;

        while (*pp) {
                struct client *c = *pp;
                if (all || c->done) {
                        pthread_join(c->thread, NULL);
                        close(c->fd);
                        *pp = c->next;
                        free(c);
                } else {
                        pp = &c->next;
                }
        }
}

int main(int argc, char **argv)
{
        const char *listen_at = NULL, *port_file = NULL, *cert = NULL, *key = NULL;
        const char *password_env = NULL, *password_file = NULL, *session_log = NULL;
        struct retl_mssql_conf conf = {.mc_database = "retl"};
        char *password = NULL, host[64], errstr[256];
        int port, lfd = -1, one = 1, spid = 51, rc = 1;
        struct sockaddr_in sa;
        socklen_t sl = sizeof(sa);
        struct client *clients = NULL;
        struct sigaction sact;
        sigset_t block, old;

        for (int i = 1; i < argc; i++) {
                const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
                if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
                        usage(stdout);
                        return 0;
                }
                if (!v) {
                        usage(stderr);
                        return 2;
                }
                i++;
                if (strcmp(a, "--listen") == 0)
                        listen_at = v;
                else if (strcmp(a, "--db") == 0)
                        conf.mc_db_path = v;
                else if (strcmp(a, "--database") == 0)
                        conf.mc_database = v;
                else if (strcmp(a, "--user") == 0)
                        conf.mc_user = v;
                else if (strcmp(a, "--password-env") == 0)
                        password_env = v;
                else if (strcmp(a, "--password-file") == 0)
                        password_file = v;
                else if (strcmp(a, "--tls-cert") == 0)
                        cert = v;
                else if (strcmp(a, "--tls-key") == 0)
                        key = v;
                else if (strcmp(a, "--port-file") == 0)
                        port_file = v;
                else if (strcmp(a, "--log-session") == 0)
                        session_log = v;
                else if (strcmp(a, "--log-level") == 0) {
                        int lvl = retl_log_parse_level(v);
                        if (lvl < 0) {
                                fprintf(stderr, "unknown log level '%s'\n", v);
                                return 2;
                        }
                        retl_log_set_level((enum retl_log_level)lvl);
                } else {
                        fprintf(stderr, "unknown option '%s'\n", a);
                        usage(stderr);
                        return 2;
                }
        }
        if (!listen_at || !conf.mc_db_path || (!!cert != !!key) ||
            (conf.mc_user && !password_env && !password_file) ||
            (password_env && password_file)) {
                usage(stderr);
                return 2;
        }
        if (password_env) {
                const char *pw = getenv(password_env);
                if (!pw) {
                        fprintf(stderr, "environment variable %s is not set\n", password_env);
                        return 2;
                }
                password = retl_strdup(pw);
        } else if (password_file) {
                password = read_password_file(password_file);
                if (!password) {
                        fprintf(stderr, "cannot read %s: %s\n", password_file, strerror(errno));
                        return 2;
                }
        }
        conf.mc_password = password;
        {
                const char *colon = strrchr(listen_at, ':');
                char *end;
                long p;
                if (!colon || (size_t)(colon - listen_at) >= sizeof(host)) {
                        fprintf(stderr, "--listen wants HOST:PORT\n");
                        goto out;
                }
                memcpy(host, listen_at, (size_t)(colon - listen_at));
                host[colon - listen_at] = '\0';
                p = strtol(colon + 1, &end, 10);
                if (*end || p < 0 || p > 65535) {
                        fprintf(stderr, "bad port in --listen\n");
                        goto out;
                }
                port = (int)p;
        }
        {
                /* The file must exist: SQL Server has no database to create. */
                sqlite3 *db = NULL;
                int orc = sqlite3_open_v2(conf.mc_db_path, &db, SQLITE_OPEN_READWRITE, NULL);
                if (orc != SQLITE_OK) {
                        fprintf(stderr, "cannot open %s: %s\n", conf.mc_db_path,
                                db ? sqlite3_errmsg(db) : "out of memory");
                        sqlite3_close(db);
                        goto out;
                }
                sqlite3_close(db);
        }
        if (session_log) {
                conf.mc_session_log = retl_mssql_session_log_open(session_log, errstr,
                                                                  sizeof(errstr));
                if (!conf.mc_session_log) {
                        fprintf(stderr, "--log-session: %s\n", errstr);
                        goto out;
                }
        }
        if (cert) {
                conf.mc_tls = retl_mssql_tls_new(cert, key, errstr, sizeof(errstr));
                if (!conf.mc_tls) {
                        fprintf(stderr, "TLS: %s\n", errstr);
                        goto out;
                }
        }

        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        sa.sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
                fprintf(stderr, "--listen: '%s' is not an IPv4 address\n", host);
                goto out;
        }
        lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
            bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 64) ||
            getsockname(lfd, (struct sockaddr *)&sa, &sl)) {
                fprintf(stderr, "cannot listen on %s: %s\n", listen_at, strerror(errno));
                goto out;
        }
        port = ntohs(sa.sin_port);

        memset(&sact, 0, sizeof(sact));
        sact.sa_handler = on_signal;
        sigaction(SIGTERM, &sact, NULL);
        sigaction(SIGINT, &sact, NULL);
        signal(SIGPIPE, SIG_IGN);
        /* Client threads never take the signals; the accept loop does. */
        sigemptyset(&block);
        sigaddset(&block, SIGTERM);
        sigaddset(&block, SIGINT);

        if (port_file) {
                char tmp[4096];
                FILE *f;
                snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
                f = fopen(tmp, "w");
                if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f) || rename(tmp, port_file)) {
                        fprintf(stderr, "cannot write %s: %s\n", port_file, strerror(errno));
                        goto out;
                }
        }
        retl_log_info("mssql", "listening on %s:%d, database '%s' = %s%s", host, port,
                      conf.mc_database, conf.mc_db_path, conf.mc_tls ? ", TLS available" : "");
        printf("listening on %s:%d\n", host, port);
        fflush(stdout);

        while (!stop_flag) {
                struct pollfd pfd = {.fd = lfd, .events = POLLIN};
                struct sockaddr_in ca;
                socklen_t cl = sizeof(ca);
                struct client *c;
                int fd, pr;

                reap(&clients, 0);
                pr = poll(&pfd, 1, 500);
                if (pr <= 0)
                        continue;
                fd = accept4(lfd, (struct sockaddr *)&ca, &cl, SOCK_CLOEXEC);
                if (fd < 0)
                        continue;
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                c = retl_calloc(1, sizeof(*c));
                c->fd = fd;
                c->spid = spid++;
                if (spid > 32000)
                        spid = 51;
                c->conf = &conf;
                snprintf(c->peer, sizeof(c->peer), "%s:%d", inet_ntoa(ca.sin_addr),
                         ntohs(ca.sin_port));
                pthread_sigmask(SIG_BLOCK, &block, &old);
                if (pthread_create(&c->thread, NULL, client_main, c)) {
                        retl_log_error("mssql", "pthread_create failed");
                        close(fd);
                        free(c);
                } else {
                        c->next = clients;
                        clients = c;
                }
                pthread_sigmask(SIG_SETMASK, &old, NULL);
        }
        retl_log_info("mssql", "stopping");
        for (struct client *c = clients; c; c = c->next)
                shutdown(c->fd, SHUT_RDWR);
        reap(&clients, 1);
        rc = 0;
out:
        if (lfd >= 0)
                close(lfd);
        retl_mssql_tls_free(conf.mc_tls);
        retl_mssql_session_log_close(conf.mc_session_log);
        if (password) {
                memset(password, 0, strlen(password));
                free(password);
        }
        return rc;
}
