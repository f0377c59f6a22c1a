/* retl console — the HTTP server, see console_http.h. */
#include "cli/console_http.h"
#include "lib/listen.h"
#include "lib/log.h"
#include "lib/mem.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#define BODY_MAX 8192   /* a form of a few fields */

struct retl_console_http {
        struct MHD_Daemon *mhd;
        char *token;
        int port;
        char csrf[65];
        retl_console_route *route;
        void *ctx;
};

/* One connection's request while its body arrives. */
struct pending {
        char body[BODY_MAX + 1];
        size_t len;
        int too_big;
};

int retl_console_same_secret(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b);
        unsigned char diff = la != lb;
        for (size_t i = 0; i < la; i++)
                diff |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
        return diff == 0;
}

const char *retl_console_arg(const struct retl_console_req *rq, const char *name)
{
        if (!strcmp(rq->method, "POST")) {
                for (size_t i = 0; i < rq->nfields; i++)
                        if (!strcmp(rq->names[i], name))
                                return rq->values[i];
                return NULL;
        }
        return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

int retl_console_form_parse(struct retl_console_req *rq, char *body)
{
        char *p = body;

        rq->nfields = 0;
        while (*p) {
                char *amp = strchr(p, '&'), *eq;
                if (amp)
                        *amp = '\0';
                eq = strchr(p, '=');
                if (*p) {
                        if (!eq || rq->nfields == RETL_CONSOLE_MAX_FIELDS)
                                return -1;
                        *eq = '\0';
                        for (char *c = p; *c; c++)
                                if (*c == '+')
                                        *c = ' ';
                        for (char *c = eq + 1; *c; c++)
                                if (*c == '+')
                                        *c = ' ';
                        MHD_http_unescape(p);
                        MHD_http_unescape(eq + 1);
                        rq->names[rq->nfields] = p;
                        rq->values[rq->nfields++] = eq + 1;
                }
                if (!amp)
                        break;
                p = amp + 1;
        }
        return 0;
}

static int authorized(const struct retl_console_http *s, struct MHD_Connection *conn)
{
        const char *a = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                    MHD_HTTP_HEADER_AUTHORIZATION);
        char *user, *pass = NULL;
        int ok;

        if (!s->token)
                return 1;
        if (!a)
                return 0;
        if (!strncasecmp(a, "Bearer ", 7))
                return retl_console_same_secret(a + 7, s->token);
        if (strncasecmp(a, "Basic ", 6))
                return 0;
        user = MHD_basic_auth_get_username_password(conn, &pass);
        ok = pass && retl_console_same_secret(pass, s->token);
        MHD_free(user);
        MHD_free(pass);
        return ok;
}

/* Without a token only loopback is served, and only under a loopback name:
 * a page elsewhere whose name was made to resolve to 127.0.0.1 (DNS
 * rebinding) sends its own Host, which is refused here. */
static int host_is_loopback(struct MHD_Connection *conn)
{
        const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
        char name[64];
        size_t n;
        struct in_addr a;

        if (!host)
                return 0;
        if (!strncmp(host, "[::1]", 5))
                return host[5] == '\0' || host[5] == ':';
        n = strcspn(host, ":");
        if (n >= sizeof(name))
                return 0;
        memcpy(name, host, n);
        name[n] = '\0';
        if (!strcasecmp(name, "localhost"))
                return 1;
        return inet_pton(AF_INET, name, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

/* A POST must come from our own pages: the form's csrf field, which only a
 * page of ours holds, and an Origin (when the browser sends one) that is us.
 * (Referrer-Policy same-origin keeps browsers sending our Origin: with
 * no-referrer they send "null".) */
static int same_origin_post(const struct retl_console_http *s, struct retl_console_req *rq)
{
        const char *csrf = retl_console_arg(rq, "csrf");
        const char *origin = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Origin");
        const char *host = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
                                                       MHD_HTTP_HEADER_HOST);
        if (!csrf || !retl_console_same_secret(csrf, s->csrf))
                return 0;
        if (origin && (!host || strncmp(origin, "http://", 7) || strcmp(origin + 7, host)))
                return 0;
        return 1;
}

static enum MHD_Result send_resp(struct MHD_Connection *conn, struct retl_console_resp *rs,
                                 int basic_challenge)
{
        struct MHD_Response *resp;
        enum MHD_Result ret;

        resp = MHD_create_response_from_buffer(rs->len, rs->body, MHD_RESPMEM_MUST_FREE);
        rs->body = NULL;
        MHD_add_response_header(resp, "Content-Type", rs->type);
        MHD_add_response_header(resp, "Cache-Control", "no-store");
        MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
        MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
        MHD_add_response_header(resp, "X-Frame-Options", "DENY");
        /* nothing inline runs, nothing from elsewhere loads */
        MHD_add_response_header(resp, "Content-Security-Policy",
                                "default-src 'none'; script-src 'self'; style-src 'self'; "
                                "img-src 'self'; connect-src 'self'; form-action 'self'; "
                                "base-uri 'none'; frame-ancestors 'none'");
        if (rs->attachment) {
                char cd[256];
                snprintf(cd, sizeof(cd), "attachment; filename=\"%s\"", rs->attachment);
                MHD_add_response_header(resp, "Content-Disposition", cd);
        }
        if (basic_challenge)
                ret = MHD_queue_basic_auth_fail_response(conn, "retl console", resp);
        else
                ret = MHD_queue_response(conn, rs->status, resp);
        MHD_destroy_response(resp);
        return ret;
}

static enum MHD_Result refuse(struct MHD_Connection *conn, unsigned status, const char *why,
                              int basic_challenge)
{
        struct retl_console_resp rs = {status, "text/plain; charset=utf-8", retl_strdup(why),
                                       strlen(why), NULL};
        return send_resp(conn, &rs, basic_challenge);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
        struct retl_console_http *s = cls;
        struct pending *p = *con_cls;
        struct retl_console_req rq = {conn, method, url, 0, {0}, {0}};
        struct retl_console_resp rs = {500, "text/plain; charset=utf-8", NULL, 0, NULL};

        if (!p) {
                *con_cls = p = retl_calloc(1, sizeof(*p));
                return MHD_YES;
        }
        if (*upload_size) {
                if (p->len + *upload_size > BODY_MAX)
                        p->too_big = 1;
                else
                        memcpy(p->body + p->len, upload, *upload_size);
                if (!p->too_big)
                        p->len += *upload_size;
                *upload_size = 0;
                return MHD_YES;
        }
        if (!s->token && !host_is_loopback(conn))
                return refuse(conn, 403, "forbidden: without a token the console answers only "
                              "to a loopback host name\n", 0);
        if (!authorized(s, conn)) {
                retl_log_info("console", "%s %s: refused, no valid token", method, url);
                return refuse(conn, 401, "unauthorized: a token is required\n", 1);
        }
        if (!strcmp(method, "POST")) {
                p->body[p->len] = '\0';
                if (p->too_big || retl_console_form_parse(&rq, p->body))
                        return refuse(conn, 400, "bad request: malformed form\n", 0);
                if (!same_origin_post(s, &rq)) {
                        retl_log_warn("console", "POST %s: refused, CSRF check failed", url);
                        return refuse(conn, 403, "forbidden: the form did not come from this "
                                      "console (CSRF check); reload the page and retry\n", 0);
                }
        } else if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
                return refuse(conn, 405, "method not allowed\n", 0);
        }
        s->route(s->ctx, &rq, &rs);
        if (!rs.body) {
                rs.status = 500;
                rs.type = "text/plain; charset=utf-8";
                rs.body = retl_strdup("the page could not be built\n");
                rs.len = strlen(rs.body);
        }
        return send_resp(conn, &rs, 0);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
        free(*con_cls);
        *con_cls = NULL;
}

struct retl_console_http *retl_console_http_new(const char *listen, const char *token,
                                                retl_console_route *route, void *ctx,
                                                char *errstr, size_t errstr_size)
{
        struct retl_console_http *s = NULL;
        struct sockaddr_in sa;
        unsigned char rnd[32];
        const union MHD_DaemonInfo *di;

        if (retl_listen_parse("--listen", listen, &sa, errstr, errstr_size))
                return NULL;
        if (!token && !retl_listen_is_loopback(&sa)) {
                snprintf(errstr, errstr_size, "--listen %s is not a loopback address: the "
                         "console then requires a token (--token-file FILE)", listen);
                return NULL;
        }
        if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
                snprintf(errstr, errstr_size, "no random bytes for the CSRF token");
                return NULL;
        }
        s = retl_calloc(1, sizeof(*s));
        for (size_t i = 0; i < sizeof(rnd); i++)
                snprintf(s->csrf + 2 * i, 3, "%02x", rnd[i]);
        s->token = token ? retl_strdup(token) : NULL;
        s->route = route;
        s->ctx = ctx;
        /* one thread: the pages share one Kafka reader and need no locks */
        s->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL,
                                  NULL, answer, s, MHD_OPTION_SOCK_ADDR, &sa,
                                  MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                                  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
        if (!s->mhd) {
                snprintf(errstr, errstr_size, "--listen %s: cannot listen (port in use?)",
                         listen);
                retl_console_http_destroy(s);
                return NULL;
        }
        di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
        s->port = di ? di->port : (int)ntohs(sa.sin_port);
        return s;
}

int retl_console_http_port(const struct retl_console_http *s)
{
        return s->port;
}

const char *retl_console_http_csrf(const struct retl_console_http *s)
{
        return s->csrf;
}

void retl_console_http_destroy(struct retl_console_http *s)
{
        if (!s)
                return;
        if (s->mhd)
                MHD_stop_daemon(s->mhd);
        if (s->token) {
                memset(s->token, 0, strlen(s->token));
                free(s->token);
        }
        free(s);
}
