/* retl sandbox — the App API's segment endpoints; see sbx_app_api.h. */
#include "sandbox/track/sbx_app_api.h"

#include "lib/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_CTX "sandbox"

/* Longest segment name and description the sandbox takes, in bytes. */
#define NAME_MAX_LEN 255
#define DESCRIPTION_MAX_LEN 1000

struct app_call {
        struct retl_sbx_server *srv;
        struct MHD_Connection *conn;
        struct sbx_req *rq;
        const char *method, *url;
};

/* Answers with @p j (reference taken; NULL = no body) and logs the request
 * in the traffic ring. */
static enum MHD_Result answer(const struct app_call *c, int status, json_t *j, int retry_after)
{
        struct retl_sbx_reqlog l = {0};

        l.l_time_ms = retl_sbx_http_wall_ms();
        l.l_duration_ms = retl_sbx_http_mono_ms() - c->rq->rq_t0;
        snprintf(l.l_method, sizeof(l.l_method), "%s", c->method);
        snprintf(l.l_path, sizeof(l.l_path), "%s", c->url);
        l.l_status = status;
        l.l_body = c->rq->rq_received;
        pthread_mutex_lock(&c->srv->s_lock);
        retl_sbx_traffic_log(&c->srv->s_traffic, &l);
        pthread_mutex_unlock(&c->srv->s_lock);
        c->rq->rq_answered = 1;
        retl_log_debug(LOG_CTX, "App API %s %s -> %d", c->method, c->url, status);
        if (!j)
                return retl_sbx_http_send_body(c->conn, status, "application/json", NULL, 0,
                                               retry_after, 0);
        return retl_sbx_http_send_json(c->conn, status, j, retry_after, 0);
}

/* {"meta":{"error":"..."}}: the App API's error body. */
__attribute__((format(printf, 3, 4)))
static enum MHD_Result refuse(const struct app_call *c, int status, const char *fmt, ...)
{
        char msg[400];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return answer(c, status, json_pack("{s:{s:s}}", "meta", "error", msg),
                      status == 429 ? 1 : -1);
}

static int authorized(const struct app_call *c)
{
        const char *h = MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND,
                                                    MHD_HTTP_HEADER_AUTHORIZATION);

        return h && !strncmp(h, "Bearer ", 7) && !strcmp(h + 7, c->srv->s_app_key);
}

/* The App API's own limit: a token bucket of RETL_SBX_APP_RATE tokens
 * refilled at RETL_SBX_APP_RATE per second. @returns 1 when the request
 * may go. */
static int within_rate(struct retl_sbx_server *srv)
{
        int64_t now = retl_sbx_http_mono_ms();
        int ok;

        pthread_mutex_lock(&srv->s_lock);
        if (!srv->s_app_last_ms)
                srv->s_app_tokens = RETL_SBX_APP_RATE;
        else
                srv->s_app_tokens += (double)(now - srv->s_app_last_ms) * RETL_SBX_APP_RATE / 1000;
        if (srv->s_app_tokens > RETL_SBX_APP_RATE)
                srv->s_app_tokens = RETL_SBX_APP_RATE;
        srv->s_app_last_ms = now;
        ok = srv->s_app_tokens >= 1;
        if (ok)
                srv->s_app_tokens -= 1;
        pthread_mutex_unlock(&srv->s_lock);
        return ok;
}

/* POST /v1/segments {"segment":{"name":..,"description":..}}: a new manual
 * segment. Like Customer.io, a name already taken makes a second segment
 * of that name. */
static enum MHD_Result create(const struct app_call *c)
{
        json_t *root = json_loadb(sbx_req_body(c->rq), c->rq->rq_len, 0, NULL);
        json_t *seg = json_object_get(root, "segment");
        json_t *jn = json_object_get(seg, "name"), *jd = json_object_get(seg, "description");
        const char *name = json_string_value(jn), *desc = json_string_value(jd);
        json_t *out;
        long id;

        if (!json_is_object(seg) || !name || !*name || (jd && !json_is_null(jd) && !desc)) {
                json_decref(root);
                return refuse(c, 400, "the body must be {\"segment\":{\"name\":\"...\", "
                              "\"description\":\"...\"}} with a name");
        }
        if (strlen(name) > NAME_MAX_LEN || (desc && strlen(desc) > DESCRIPTION_MAX_LEN)) {
                json_decref(root);
                return refuse(c, 400, "name is at most %d bytes, description %d", NAME_MAX_LEN,
                              DESCRIPTION_MAX_LEN);
        }
        pthread_mutex_lock(&c->srv->s_lock);
        id = retl_sbx_ws_segment_create_named(c->srv->s_ws, name, desc);
        out = retl_sbx_ws_segment_app_json(c->srv->s_ws, id);
        pthread_mutex_unlock(&c->srv->s_lock);
        retl_log_info(LOG_CTX, "segment %ld '%s' created (App API)", id, name);
        json_decref(root);
        return answer(c, 200, out, -1);
}

/* /v1/segments/{id}: GET it, or DELETE it with its memberships. */
static enum MHD_Result one(const struct app_call *c, long id)
{
        json_t *out = NULL;
        int rc = 0;

        pthread_mutex_lock(&c->srv->s_lock);
        if (!strcmp(c->method, "DELETE"))
                rc = retl_sbx_ws_segment_delete(c->srv->s_ws, id);
        else
                out = retl_sbx_ws_segment_app_json(c->srv->s_ws, id);
        pthread_mutex_unlock(&c->srv->s_lock);
        if (rc || (!out && strcmp(c->method, "DELETE")))
                return refuse(c, 404, "segment %ld does not exist", id);
        if (!out)
                retl_log_info(LOG_CTX, "segment %ld deleted (App API)", id);
        return answer(c, out ? 200 : 204, out, -1);
}

enum MHD_Result retl_sbx_app_api_request(struct retl_sbx_server *srv,
                                         struct MHD_Connection *conn, struct sbx_req *rq,
                                         const char *method, const char *url)
{
        static const char base[] = "/v1/segments";
        struct app_call c = {srv, conn, rq, method, url};
        const char *rest = url + sizeof(base) - 1;
        int get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
        json_t *out;
        char *end;
        long id;

        if (rq->rq_too_big)
                return refuse(&c, 400, "request body is larger than %zu bytes", rq->rq_limit);
        if (!authorized(&c))
                return refuse(&c, 401, "Unauthorized request. The App API takes an App API key "
                              "(Authorization: Bearer KEY), not the Track API's credentials.");
        if (!within_rate(srv))
                return refuse(&c, 429, "Too many requests: the App API allows %d per second",
                              RETL_SBX_APP_RATE);
        if (!*rest) {
                if (post)
                        return create(&c);
                if (!get)
                        return refuse(&c, 405, "use GET or POST");
                pthread_mutex_lock(&srv->s_lock);
                out = retl_sbx_ws_segments_app_json(srv->s_ws);
                pthread_mutex_unlock(&srv->s_lock);
                return answer(&c, 200, out, -1);
        }
        errno = 0;
        id = rest[0] == '/' && rest[1] >= '0' && rest[1] <= '9' ? strtol(rest + 1, &end, 10) : -1;
        if (id < 0 || errno || *end)
                return refuse(&c, 404, "no such endpoint: %s", url);
        if (!get && strcmp(method, "DELETE"))
                return refuse(&c, 405, "use GET or DELETE");
        return one(&c, id);
}
