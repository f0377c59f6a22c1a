/* retl sandbox — the inspection and administration API under /_sandbox/:
 * what landed, the traffic, faults, suppressions, segments, reset, flush;
 * see sbx_inspect.h. */
#include "sandbox/track/sbx_inspect.h"

#include "lib/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_CTX "sandbox"

static const char *arg(struct MHD_Connection *conn, const char *name)
{
        const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);

        return v && *v ? v : NULL;
}

static size_t arg_size(struct MHD_Connection *conn, const char *name, size_t dflt)
{
        const char *v = arg(conn, name);
        char *end;
        unsigned long long x;

        if (!v)
                return dflt;
        x = strtoull(v, &end, 10);
        return *end ? dflt : (size_t)x;
}

/* GET /_sandbox/people: all, or one person with ?id=, ?email= or ?cio_id=
 * (NULL when there is no such person). Under the lock. */
static json_t *people_json(struct retl_sbx_server *srv, struct MHD_Connection *conn)
{
        const char *id = arg(conn, "id"), *email = arg(conn, "email");
        const char *cio = arg(conn, "cio_id");

        if (id)
                return retl_sbx_ws_person_json(srv->s_ws, RETL_SBX_BY_ID, id);
        if (email)
                return retl_sbx_ws_person_json(srv->s_ws, RETL_SBX_BY_EMAIL, email);
        if (cio)
                return retl_sbx_ws_person_json(srv->s_ws, RETL_SBX_BY_CIO_ID, cio);
        return retl_sbx_ws_people_json(srv->s_ws, arg_size(conn, "offset", 0),
                                       arg_size(conn, "limit", 0));
}

/* The answer to GET /_sandbox/<what> that reads the workspace or the
 * traffic; NULL for another <what>. Under the lock. */
static json_t *locked_get(struct retl_sbx_server *srv, struct MHD_Connection *conn,
                          const char *what)
{
        struct retl_sbx_ws_counts wc;

        if (!strcmp(what, "objects"))
                return retl_sbx_ws_objects_json(srv->s_ws, arg(conn, "type"), arg(conn, "id"),
                                                arg_size(conn, "offset", 0),
                                                arg_size(conn, "limit", 0));
        if (!strcmp(what, "relationships"))
                return retl_sbx_ws_relationships_json(srv->s_ws, arg(conn, "id"),
                                                      arg(conn, "email"), arg(conn, "type"),
                                                      arg(conn, "object_id"));
        if (!strcmp(what, "segments"))
                return retl_sbx_ws_segments_json(srv->s_ws);
        if (!strcmp(what, "suppressions"))
                return retl_sbx_ws_suppressions_json(srv->s_ws);
        if (!strcmp(what, "counters")) {
                retl_sbx_ws_counts(srv->s_ws, &wc);
                return retl_sbx_traffic_counters_json(&srv->s_traffic, &wc,
                                                      retl_sbx_http_wall_ms() -
                                                              srv->s_started_ms);
        }
        if (!strcmp(what, "requests"))
                return retl_sbx_traffic_requests_json(&srv->s_traffic,
                                                      arg_size(conn, "limit", 100));
        return NULL;
}

enum MHD_Result retl_sbx_inspect_get(struct retl_sbx_server *srv, struct MHD_Connection *conn,
                                     const char *what)
{
        json_t *j;

        pthread_mutex_lock(&srv->s_lock);
        if (!strcmp(what, "people")) {
                j = people_json(srv, conn);
                pthread_mutex_unlock(&srv->s_lock);
                if (!j)
                        return retl_sbx_http_send_error(conn, 404, "no such person");
                return retl_sbx_http_send_json(conn, 200, j, -1, 0);
        }
        j = locked_get(srv, conn, what);
        pthread_mutex_unlock(&srv->s_lock);
        if (!j && !strcmp(what, "faults"))
                j = retl_sbx_faults_json(srv->s_faults);
        if (!j)
                return retl_sbx_http_send_error(conn, 404, "no such endpoint");
        return retl_sbx_http_send_json(conn, 200, j, -1, 0);
}

static enum MHD_Result send_ok(struct MHD_Connection *conn)
{
        return retl_sbx_http_send_json(conn, 200, json_pack("{s:b}", "ok", 1), -1, 0);
}

static enum MHD_Result post_faults(struct retl_sbx_server *srv, struct MHD_Connection *conn,
                                   json_t *jbody)
{
        json_t *empty = jbody ? NULL : json_object();
        char err[256];
        enum MHD_Result ret;

        if (retl_sbx_faults_set_json(srv->s_faults, jbody ? jbody : empty, err, sizeof(err))) {
                ret = retl_sbx_http_send_error(conn, 400, err);
        } else {
                retl_log_info(LOG_CTX, "faults set");
                ret = retl_sbx_http_send_json(conn, 200, retl_sbx_faults_json(srv->s_faults),
                                              -1, 0);
        }
        json_decref(empty);
        return ret;
}

/* suppress (@p on = 1) or unsuppress {"id":"..."} or {"email":"..."}. */
static enum MHD_Result post_suppress(struct retl_sbx_server *srv, struct MHD_Connection *conn,
                                     json_t *jbody, int on)
{
        json_t *id = json_object_get(jbody, "id"), *email = json_object_get(jbody, "email");
        const char *kind = id ? "id" : "email";
        json_t *v = id ? id : email;
        char num[32];
        const char *val = NULL;
        int rc;

        if (json_is_string(v)) {
                val = json_string_value(v);
        } else if (json_is_integer(v)) {
                snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                val = num;
        }
        pthread_mutex_lock(&srv->s_lock);
        rc = val ? retl_sbx_ws_suppress(srv->s_ws, kind, val, on) : RETL_SBX_EINVAL;
        pthread_mutex_unlock(&srv->s_lock);
        if (rc)
                return retl_sbx_http_send_error(conn, 400,
                                                "the body must be {\"id\":\"...\"} or "
                                                "{\"email\":\"...\"} with a valid email");
        return retl_sbx_http_send_json(conn, 200,
                                       json_pack("{s:s, s:s, s:b}", kind, val, "status",
                                                 on ? "suppressed" : "unsuppressed", "ok", 1),
                                       -1, 0);
}

static enum MHD_Result post_segment(struct retl_sbx_server *srv, struct MHD_Connection *conn,
                                    json_t *jbody)
{
        json_t *id = json_object_get(jbody, "id");

        if (!json_is_integer(id) || json_integer_value(id) < 1)
                return retl_sbx_http_send_error(conn, 400,
                                                "the body must be {\"id\": N} with N >= 1");
        pthread_mutex_lock(&srv->s_lock);
        retl_sbx_ws_segment_create(srv->s_ws, (long)json_integer_value(id));
        pthread_mutex_unlock(&srv->s_lock);
        return send_ok(conn);
}

static enum MHD_Result post_reset(struct retl_sbx_server *srv, struct MHD_Connection *conn)
{
        pthread_mutex_lock(&srv->s_lock);
        retl_sbx_ws_reset(srv->s_ws);
        memset(&srv->s_traffic, 0, sizeof(srv->s_traffic));
        pthread_mutex_unlock(&srv->s_lock);
        retl_sbx_faults_reset(srv->s_faults);
        retl_log_info(LOG_CTX, "workspace reset");
        return send_ok(conn);
}

static enum MHD_Result post_flush(struct retl_sbx_server *srv, struct MHD_Connection *conn)
{
        char err[256];

        if (retl_sbx_server_flush(srv, err, sizeof(err)))
                return retl_sbx_http_send_error(conn, 500, err);
        return retl_sbx_http_send_json(conn, 200,
                                       json_pack("{s:b, s:o}", "ok", 1, "state",
                                                 srv->s_state_path
                                                         ? json_string(srv->s_state_path)
                                                         : json_null()),
                                       -1, 0);
}

enum MHD_Result retl_sbx_inspect_post(struct retl_sbx_server *srv, struct MHD_Connection *conn,
                                      struct sbx_req *rq, const char *what)
{
        json_t *jbody = NULL;
        enum MHD_Result ret;

        if (rq->rq_too_big)
                return retl_sbx_http_send_error(conn, 400, "body too large");
        if (rq->rq_len) {
                json_error_t jerr;
                char err[256];

                /* admin bodies are small: plain malloc, decref'd below */
                jbody = json_loadb(sbx_req_body(rq), rq->rq_len, 0, &jerr);
                if (!jbody) {
                        snprintf(err, sizeof(err), "malformed JSON: %s", jerr.text);
                        return retl_sbx_http_send_error(conn, 400, err);
                }
        }
        if (!strcmp(what, "faults"))
                ret = post_faults(srv, conn, jbody);
        else if (!strcmp(what, "suppress") || !strcmp(what, "unsuppress"))
                ret = post_suppress(srv, conn, jbody, what[0] == 's');
        else if (!strcmp(what, "segments"))
                ret = post_segment(srv, conn, jbody);
        else if (!strcmp(what, "reset"))
                ret = post_reset(srv, conn);
        else if (!strcmp(what, "flush"))
                ret = post_flush(srv, conn);
        else
                ret = retl_sbx_http_send_error(conn, 404, "no such endpoint");
        json_decref(jbody);
        return ret;
}
