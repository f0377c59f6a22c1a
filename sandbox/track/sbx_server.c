/* retl sandbox — the HTTP server on libmicrohttpd: reading requests,
 * routing them to the Track API, the inspection API or the page, and the
 * server's lifecycle; see sbx_server.h.
 *
 * libmicrohttpd calls on_request() at least twice per request: once with
 * the headers (nothing read yet; a response queued here is sent without
 * reading the body), then once per body chunk, then a last time with no
 * data, when we answer. The body goes into a buffer with a ceiling; past
 * the ceiling the rest is read and dropped, and the answer is an error. */
#include "sandbox/track/sbx_arena.h"
#include "sandbox/track/sbx_inspect.h"
#include "sandbox/track/sbx_page.h"
#include "sandbox/track/sbx_track_api.h"

#include "lib/log.h"
#include "lib/mem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* ------------------------------------------------------------------ */
/* Requests                                                            */

/* Keeps @p n more body bytes; @returns -1 past the request's limit. */
static int body_append(struct sbx_req *rq, const char *data, size_t n, size_t hint)
{
        struct sbx_conn *cn = rq->rq_conn;

        if (n > rq->rq_limit - rq->rq_len)
                return -1;
        if (rq->rq_len + n + 1 > cn->cn_cap) {
                size_t cap = cn->cn_cap ? cn->cn_cap : 4096;

                while (cap < rq->rq_len + n + 1)
                        cap *= 2;
                /* the declared length, when known, sizes it in one go */
                if (hint >= rq->rq_len + n && hint <= rq->rq_limit && cap < hint + 1)
                        cap = hint + 1;
                cn->cn_buf = retl_realloc(cn->cn_buf, cap);
                cn->cn_cap = cap;
        }
        memcpy(cn->cn_buf + rq->rq_len, data, n);
        rq->rq_len += n;
        cn->cn_buf[rq->rq_len] = '\0';
        return 0;
}

/* Sets the route of a new request from its method and path. */
static void route(struct sbx_req *rq, const char *url)
{
        static const char seg[] = "/api/v1/segments/";

        rq->rq_limit = RETL_SBX_ADMIN_BODY_MAX;
        if (!strcmp(url, "/api/v2/batch")) {
                rq->rq_route = RT_BATCH;
                rq->rq_api = 1;
                rq->rq_limit = RETL_SBX_BATCH_MAX;
        } else if (!strcmp(url, "/api/v2/entity")) {
                rq->rq_route = RT_ENTITY;
                rq->rq_api = 1;
                rq->rq_limit = RETL_SBX_ENTITY_MAX;
        } else if (!strncmp(url, seg, sizeof(seg) - 1)) {
                const char *p = url + sizeof(seg) - 1;
                char *end;
                long id;

                rq->rq_route = RT_NOT_FOUND;
                rq->rq_api = 1;
                rq->rq_limit = RETL_SBX_BATCH_MAX;
                if (*p < '0' || *p > '9')
                        return;
                errno = 0;
                id = strtol(p, &end, 10);
                if (errno)
                        return;
                rq->rq_segment = id;
                if (!strcmp(end, "/add_customers")) {
                        rq->rq_route = RT_SEGMENT;
                        rq->rq_seg_add = 1;
                } else if (!strcmp(end, "/remove_customers")) {
                        rq->rq_route = RT_SEGMENT;
                        rq->rq_seg_add = 0;
                }
        } else if (!strcmp(url, "/")) {
                rq->rq_route = RT_INDEX;
        } else if (!strncmp(url, "/_sandbox/", 10)) {
                rq->rq_route = RT_ADMIN;
        } else {
                rq->rq_route = RT_NOT_FOUND;
        }
}

static enum MHD_Result answer(struct retl_sbx_server *srv, struct MHD_Connection *conn,
                              struct sbx_req *rq, const char *url, const char *method)
{
        int get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
        int post = !strcmp(method, "POST");

        switch (rq->rq_route) {
        case RT_BATCH:
        case RT_ENTITY:
        case RT_SEGMENT:
                if (!post)
                        return retl_sbx_track_api_refuse(srv, conn, rq, method, url, 405,
                                                         "use POST");
                return retl_sbx_track_api_request(srv, conn, rq, method, url);
        case RT_INDEX:
                if (!get)
                        break;
                return retl_sbx_page_index(srv, conn);
        case RT_ADMIN:
                if (get)
                        return retl_sbx_inspect_get(srv, conn, url + 10);
                if (post)
                        return retl_sbx_inspect_post(srv, conn, rq, url + 10);
                break;
        case RT_NOT_FOUND:
                if (rq->rq_api)
                        return retl_sbx_track_api_refuse(srv, conn, rq, method, url, 404,
                                                         "no such endpoint: %s", url);
                return retl_sbx_http_send_error(conn, 404, "no such endpoint");
        }
        return retl_sbx_http_send_error(conn, 405, "method not allowed");
}

/* ------------------------------------------------------------------ */
/* libmicrohttpd callbacks                                             */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
        struct retl_sbx_server *srv = cls;
        struct sbx_req *rq = *req_cls;

        (void)version;
        if (!rq) {
                const union MHD_ConnectionInfo *ci;
                const char *cl;

                ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
                if (!ci || !ci->socket_context)
                        return MHD_NO;
                rq = retl_calloc(1, sizeof(*rq));
                rq->rq_conn = ci->socket_context;
                rq->rq_t0 = retl_sbx_http_mono_ms();
                route(rq, url);
                *req_cls = rq;
                /* A declared length over the limit is refused before the body
                 * is read; libmicrohttpd then closes the connection. */
                cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
                if (cl && strtoull(cl, NULL, 10) > rq->rq_limit) {
                        rq->rq_too_big = 1;
                        rq->rq_received = strtoull(cl, NULL, 10);
                        if (rq->rq_api && rq->rq_route != RT_NOT_FOUND)
                                return retl_sbx_track_api_request(srv, conn, rq, method, url);
                }
                return MHD_YES;
        }
        if (*upload_data_size) {
                if (!rq->rq_too_big && !rq->rq_answered) {
                        const char *cl = MHD_lookup_connection_value(
                                conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

                        if (body_append(rq, upload_data, *upload_data_size,
                                        cl ? strtoull(cl, NULL, 10) : 0))
                                rq->rq_too_big = 1; /* past the ceiling: read on, keep nothing */
                }
                rq->rq_received += *upload_data_size;
                *upload_data_size = 0;
                return MHD_YES;
        }
        if (rq->rq_answered)
                return MHD_YES;
        return answer(srv, conn, rq, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
        struct sbx_req *rq = *req_cls;

        (void)cls;
        (void)conn;
        (void)toe;
        if (!rq)
                return;
        free(rq);
        *req_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
        struct sbx_conn *cn = *socket_context;

        (void)cls;
        (void)conn;
        if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
                cn = retl_calloc(1, sizeof(*cn));
                cn->cn_arena = retl_sbx_arena_new();
                *socket_context = cn;
                return;
        }
        if (cn) {
                retl_sbx_arena_destroy(cn->cn_arena);
                free(cn->cn_buf);
                free(cn);
                *socket_context = NULL;
        }
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
        /* A dropped connection (an injected fault) makes libmicrohttpd say
         * "Application reported internal error": expected, so debug only. */
        enum retl_log_level lvl = strstr(fmt, "internal error") ? RETL_LOG_DEBUG : RETL_LOG_WARN;

        (void)cls;
        if ((int)lvl <= retl_log_threshold)
                retl_log_vwrite(lvl, "sandbox http", fmt, ap);
}

/* ------------------------------------------------------------------ */
/* Lifecycle                                                           */

struct retl_sbx_server *retl_sbx_server_start(const struct retl_sbx_server_conf *sc,
                                              char *errstr, size_t errstr_size)
{
        struct retl_sbx_server *srv;
        struct sockaddr_in sa;
        struct MHD_OptionItem opts[10];
        unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
        const union MHD_DaemonInfo *info;
        int n = 0;

        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        sa.sin_port = htons((uint16_t)sc->sc_port);
        if (inet_pton(AF_INET, sc->sc_host, &sa.sin_addr) != 1) {
                snprintf(errstr, errstr_size, "'%s' is not an IPv4 address", sc->sc_host);
                return NULL;
        }
        retl_sbx_arena_install();
        srv = retl_calloc(1, sizeof(*srv));
        pthread_mutex_init(&srv->s_lock, NULL);
        srv->s_ws = sc->sc_ws;
        srv->s_faults = sc->sc_faults;
        srv->s_site_id = retl_strdup(sc->sc_site_id);
        srv->s_api_key = retl_strdup(sc->sc_api_key);
        srv->s_state_path = sc->sc_state_path ? retl_strdup(sc->sc_state_path) : NULL;
        srv->s_started_ms = retl_sbx_http_wall_ms();
        srv->s_latency = retl_sbx_latency_new(errstr, errstr_size);
        if (!srv->s_latency) {
                retl_sbx_server_stop(srv);
                return NULL;
        }

        /* the logger first, so that it sees the daemon's own messages */
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log,
                                            srv};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &sa};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED,
                                            (intptr_t)on_completed, srv};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION,
                                            (intptr_t)on_connection, srv};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, 512, NULL};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, 120, NULL};
        if (sc->sc_threads > 0) {
                opts[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE,
                                                    sc->sc_threads, NULL};
                flags |= MHD_ALLOW_SUSPEND_RESUME;
                srv->s_suspend = 1;
        } else
                /* a thread per connection: injected latency then delays only
                 * the connection it is meant for */
                flags |= MHD_USE_THREAD_PER_CONNECTION;
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
        srv->s_daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv,
                                         MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
        if (!srv->s_daemon) {
                snprintf(errstr, errstr_size, "cannot listen on %s:%d: %s", sc->sc_host,
                         sc->sc_port, errno ? strerror(errno) : "libmicrohttpd failed");
                retl_sbx_server_stop(srv);
                return NULL;
        }
        info = MHD_get_daemon_info(srv->s_daemon, MHD_DAEMON_INFO_BIND_PORT);
        srv->s_port = info ? info->port : sc->sc_port;
        return srv;
}

int retl_sbx_server_port(const struct retl_sbx_server *srv)
{
        return srv->s_port;
}

int retl_sbx_server_flush(struct retl_sbx_server *srv, char *errstr, size_t errstr_size)
{
        int rc = 0;

        if (!srv->s_state_path)
                return 0;
        pthread_mutex_lock(&srv->s_lock);
        if (retl_sbx_ws_dirty(srv->s_ws))
                rc = retl_sbx_ws_save(srv->s_ws, srv->s_state_path, errstr, errstr_size);
        pthread_mutex_unlock(&srv->s_lock);
        return rc;
}

void retl_sbx_server_stop(struct retl_sbx_server *srv)
{
        if (!srv)
                return;
        /* libmicrohttpd aborts if stopped with a suspended connection:
         * resume them all and suspend no more, then stop. */
        if (srv->s_latency)
                retl_sbx_latency_drain(srv->s_latency);
        if (srv->s_daemon)
                MHD_stop_daemon(srv->s_daemon);
        retl_sbx_latency_destroy(srv->s_latency);
        pthread_mutex_destroy(&srv->s_lock);
        free(srv->s_site_id);
        free(srv->s_api_key);
        free(srv->s_state_path);
        free(srv);
}
