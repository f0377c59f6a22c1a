/* retl sandbox — the Track API endpoints: authentication, injected
 * faults, /api/v2/batch and /entity, the segment membership calls; see
 * sbx_track_api.h. */
#include "sandbox/track/sbx_track_api.h"
#include "sandbox/track/sbx_arena.h"
#include "sandbox/track/sbx_json_read.h"
#include "sandbox/track/sbx_numbers.h"

#include "lib/log.h"
#include "lib/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_CTX "sandbox"

/* One API request being answered. */
struct api_call {
        struct retl_sbx_server *srv;
        struct MHD_Connection *conn;
        struct sbx_req *rq;
        const char *method, *url;
};

/* ------------------------------------------------------------------ */
/* Answers                                                             */

/* Logs the request in the traffic ring (status 0: dropped). */
static void log_request(const struct api_call *c, int status, uint32_t entities,
                        uint32_t accepted, uint32_t rejected, const char *fault)
{
        struct retl_sbx_reqlog l = {0};

        l.l_time_ms = retl_sbx_http_wall_ms();
        l.l_duration_ms = retl_sbx_http_mono_ms() - c->rq->rq_t0;
        snprintf(l.l_method, sizeof(l.l_method), "%s", c->method);
        snprintf(l.l_path, sizeof(l.l_path), "%s", c->url);
        l.l_status = status;
        l.l_entities = entities;
        l.l_accepted = accepted;
        l.l_rejected = rejected;
        l.l_body = c->rq->rq_received;
        l.l_fault = fault;
        pthread_mutex_lock(&c->srv->s_lock);
        retl_sbx_traffic_log(&c->srv->s_traffic, &l);
        pthread_mutex_unlock(&c->srv->s_lock);
        c->rq->rq_answered = 1;
}

/* Answers the request with @p j (reference taken) and logs it. */
static enum MHD_Result answer(const struct api_call *c, int status, json_t *j,
                              uint32_t entities, uint32_t accepted, uint32_t rejected,
                              const char *fault, int retry_after)
{
        log_request(c, status, entities, accepted, rejected, fault);
        retl_log_debug(LOG_CTX, "%s %s -> %d (%u entities, %u rejected%s%s)", c->method,
                       c->url, status, entities, rejected, fault ? ", fault " : "",
                       fault ? fault : "");
        return retl_sbx_http_send_json(c->conn, status, j, retry_after, status == 401);
}

/* An answer that applied nothing and counted no entities. */
static enum MHD_Result fail(const struct api_call *c, int status, json_t *j)
{
        return answer(c, status, j, 0, 0, 0, NULL, -1);
}

/* {"meta":{"errors":["..."]}}: the Track API's generic error body
 * (components/responses/400 in the OpenAPI document). */
static json_t *vmeta_error(const char *fmt, va_list ap)
{
        char msg[512];

        vsnprintf(msg, sizeof(msg), fmt, ap);
        return json_pack("{s:{s:[s]}}", "meta", "errors", msg);
}

__attribute__((format(printf, 1, 2)))
static json_t *meta_error(const char *fmt, ...)
{
        va_list ap;
        json_t *j;

        va_start(ap, fmt);
        j = vmeta_error(fmt, ap);
        va_end(ap);
        return j;
}

/* {"errors":[{"reason":..,"field":..,"message":..}]}: the v2 endpoints'
 * 400 body. */
static json_t *v2_error(const char *reason, const char *field, const char *message)
{
        return json_pack("{s:[{s:s, s:s, s:s}]}", "errors", "reason", reason, "field", field,
                         "message", message);
}

enum MHD_Result retl_sbx_track_api_refuse(struct retl_sbx_server *srv,
                                          struct MHD_Connection *conn, struct sbx_req *rq,
                                          const char *method, const char *url, int status,
                                          const char *fmt, ...)
{
        struct api_call c = {srv, conn, rq, method, url};
        va_list ap;
        json_t *j;

        va_start(ap, fmt);
        j = vmeta_error(fmt, ap);
        va_end(ap);
        return fail(&c, status, j);
}

/* ------------------------------------------------------------------ */
/* Entity sizes                                                        */

/* Length of the compact JSON jansson would write for @p s: the size an
 * entity counts against the 32 KB limit. */
static size_t str_json_size(const char *s, size_t n)
{
        size_t len = 2;

        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];

                if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' ||
                    c == '\r' || c == '\t')
                        len += 2;
                else if (c < 0x20)
                        len += 6;
                else
                        len++;
        }
        return len;
}

/* Longest "%.17g" of a double (sign, 17 digits, point, e-308), and so the
 * most a real takes in compact JSON. */
#define REAL_SIZE_MAX 24

/* With @p exact 0, reals count REAL_SIZE_MAX: an upper bound that spares
 * a "%.17g" per real; entities under the limit by that bound are under it
 * exactly too, and only the others need the exact size. */
static size_t json_compact_size(json_t *j, int exact)
{
        size_t n, i = 0;
        const char *k;
        json_t *v;
        char num[48];
        int w;

        switch (json_typeof(j)) {
        case JSON_OBJECT:
                n = 2;
                json_object_foreach(j, k, v) {
                        n += (i++ ? 1 : 0) + str_json_size(k, strlen(k)) + 1 +
                             json_compact_size(v, exact);
                }
                return n;
        case JSON_ARRAY:
                n = 2;
                json_array_foreach(j, i, v) {
                        n += (i ? 1 : 0) + json_compact_size(v, exact);
                }
                return n;
        case JSON_STRING:
                return str_json_size(json_string_value(j), json_string_length(j));
        case JSON_INTEGER: {
                json_int_t x = json_integer_value(j);
                uint64_t u = x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x;

                n = x < 0 ? 2 : 1;
                while (u >= 10) {
                        u /= 10;
                        n++;
                }
                return n;
        }
        case JSON_REAL:
                if (!exact)
                        return REAL_SIZE_MAX;
                w = snprintf(num, sizeof(num), "%.17g", json_real_value(j));
                if (w < 0)
                        return 0;
                return (size_t)w + (strpbrk(num, ".eE") ? 0 : 2);
        case JSON_TRUE:
        case JSON_NULL:
                return 4;
        case JSON_FALSE:
                return 5;
        }
        return 0;
}

/* ------------------------------------------------------------------ */
/* Endpoints                                                           */

/* Parses the body into the connection's arena. The tree must not be
 * decref'd nor kept: retl_sbx_arena_reset() drops it (see sbx_arena.h). */
static json_t *parse_body(struct sbx_req *rq, json_error_t *jerr)
{
        json_t *root;

        retl_sbx_arena_reset(rq->rq_conn->cn_arena);
        retl_sbx_arena_enter(rq->rq_conn->cn_arena);
        /* the fast reader builds jansson's own tree or gives up; then
         * jansson answers, with its error message if the body is bad */
        root = retl_sbx_json_read(sbx_req_body(rq), rq->rq_len);
        if (!root)
                root = json_loadb(sbx_req_body(rq), rq->rq_len, 0, jerr);
        retl_sbx_arena_leave();
        return root;
}

/* The error of one refused entity; with its batch_index (first, as the
 * Track API writes it) in a batch, when @p i >= 0. */
static json_t *entity_error(const struct retl_sbx_outcome *o, long i)
{
        if (i < 0)
                return json_pack("{s:s, s:s, s:s}", "reason", o->so_reason, "field",
                                 o->so_field, "message", o->so_message);
        return json_pack("{s:I, s:s, s:s, s:s}", "batch_index", (json_int_t)i, "reason",
                         o->so_reason, "field", o->so_field, "message", o->so_message);
}

/* The body's entities: the body itself for /entity, its "batch" array for
 * /batch. @returns 0, or -1 when answered already (malformed). */
static int entities_of(const struct api_call *c, json_t **root, json_t **list, size_t *n,
                       enum MHD_Result *ret)
{
        json_error_t jerr;
        char msg[300];

        *root = parse_body(c->rq, &jerr);
        *list = NULL;
        if (!*root) {
                snprintf(msg, sizeof(msg), "malformed JSON: %s (line %d, column %d)", jerr.text,
                         jerr.line, jerr.column);
                *ret = fail(c, 400, v2_error(RETL_SBX_R_INVALID, "", msg));
                return -1;
        }
        if (c->rq->rq_route == RT_ENTITY) {
                if (!json_is_object(*root)) {
                        *ret = fail(c, 400, v2_error(RETL_SBX_R_INVALID, "",
                                                     "the body must be a JSON object"));
                        return -1;
                }
                *n = 1;
                return 0;
        }
        *list = json_is_object(*root) ? json_object_get(*root, "batch") : NULL;
        if (!json_is_array(*list)) {
                *ret = fail(c, 400,
                            v2_error(*list ? RETL_SBX_R_INVALID : RETL_SBX_R_REQUIRED, "batch",
                                     "the body must be an object with a \"batch\" array"));
                return -1;
        }
        *n = json_array_size(*list);
        return 0;
}

static enum MHD_Result api_entities(const struct api_call *c)
{
        struct retl_sbx_server *srv = c->srv;
        json_t *root, *list, *errors;
        char **prepared;
        size_t n, *sizes;
        uint32_t accepted = 0, rejected = 0;
        int64_t now = retl_sbx_http_wall_ms();
        struct retl_sbx_outcome o;
        enum MHD_Result ret;

        if (entities_of(c, &root, &list, &n, &ret))
                return ret;
        /* Sizes outside the lock: the walk costs about a tenth of the parse. */
        sizes = retl_malloc((n ? n : 1) * sizeof(*sizes));
        prepared = retl_calloc(n ? n : 1, sizeof(*prepared));
        for (size_t i = 0; i < n; i++) {
                json_t *e = list ? json_array_get(list, i) : root;

                sizes[i] = json_compact_size(e, 0);
                if (sizes[i] > RETL_SBX_ENTITY_MAX)
                        sizes[i] = json_compact_size(e, 1);
        }
        /* Attribute numbers keep their text, measured as jansson read them
         * above; the kept strings go in the request's arena. */
        retl_sbx_arena_enter(c->rq->rq_conn->cn_arena);
        retl_sbx_numbers_keep(root, sbx_req_body(c->rq), c->rq->rq_len);
        retl_sbx_arena_leave();
        /* Creating a record means copying its attributes out of the request
         * (whose tree dies with the arena); do that copying outside the lock
         * too: a short locked pass finds which entities create, then the
         * copies are made unlocked, then everything is applied. A record
         * created by someone else meanwhile just ignores its copy. */
        pthread_mutex_lock(&srv->s_lock);
        for (size_t i = 0; i < n; i++)
                if (sizes[i] <= RETL_SBX_ENTITY_MAX &&
                    retl_sbx_ws_creates(srv->s_ws, list ? json_array_get(list, i) : root))
                        prepared[i] = (char *)1; /* marker, replaced below */
        pthread_mutex_unlock(&srv->s_lock);
        /* (the arena: retl_sbx_ws_prepare() builds nothing that outlives it
         * but the text it returns, which is malloc'd) */
        retl_sbx_arena_enter(c->rq->rq_conn->cn_arena);
        for (size_t i = 0; i < n; i++)
                if (prepared[i])
                        prepared[i] = retl_sbx_ws_prepare(list ? json_array_get(list, i)
                                                               : root);
        retl_sbx_arena_leave();
        errors = json_array();
        pthread_mutex_lock(&srv->s_lock);
        for (size_t i = 0; i < n; i++) {
                json_t *e = list ? json_array_get(list, i) : root;
                int rc;

                if (sizes[i] > RETL_SBX_ENTITY_MAX) {
                        o.so_action = retl_sbx_action_of(e);
                        o.so_reason = RETL_SBX_R_TOO_LARGE;
                        snprintf(o.so_field, sizeof(o.so_field), "%s", "");
                        snprintf(o.so_message, sizeof(o.so_message),
                                 "entity is %zu bytes; the limit is %d", sizes[i],
                                 RETL_SBX_ENTITY_MAX);
                        rc = -1;
                } else {
                        rc = retl_sbx_ws_apply_prepared(srv->s_ws, e, prepared[i], now, &o);
                }
                retl_sbx_traffic_entity(&srv->s_traffic, rc, &o);
                if (rc == 0) {
                        accepted++;
                        continue;
                }
                rejected++;
                json_array_append_new(errors, entity_error(&o, list ? (long)i : -1));
        }
        pthread_mutex_unlock(&srv->s_lock);
        free(sizes);
        free(prepared);
        /* root lives in the arena: no json_decref() */
        if (!rejected) {
                json_decref(errors);
                return answer(c, 200, json_object(), (uint32_t)n, accepted, 0, NULL, -1);
        }
        /* /entity has no 207: a refused entity is a 400 with the same error. */
        return answer(c, list ? 207 : 400, json_pack("{s:o}", "errors", errors), (uint32_t)n,
                      accepted, rejected, NULL, -1);
}

static enum MHD_Result api_segment(const struct api_call *c)
{
        struct retl_sbx_server *srv = c->srv;
        struct sbx_req *rq = c->rq;
        const char *idt = MHD_lookup_connection_value(c->conn, MHD_GET_ARGUMENT_KIND,
                                                      "id_type");
        enum retl_sbx_id_type by;
        json_t *root, *ids;
        size_t changed = 0, ignored = 0, n;
        int rc;

        if (!idt || !strcmp(idt, "id"))
                by = RETL_SBX_BY_ID;
        else if (!strcmp(idt, "email"))
                by = RETL_SBX_BY_EMAIL;
        else if (!strcmp(idt, "cio_id"))
                by = RETL_SBX_BY_CIO_ID;
        else
                return fail(c, 400,
                            meta_error("id_type must be id, email or cio_id (got '%s')", idt));
        root = parse_body(rq, NULL);
        ids = json_is_object(root) ? json_object_get(root, "ids") : NULL;
        if (!json_is_array(ids))
                return fail(c, 400, meta_error("the body must be an object with an \"ids\" "
                                               "array"));
        n = json_array_size(ids);
        if (n < 1 || n > RETL_SBX_SEGMENT_IDS_MAX)
                return answer(c, 400,
                              meta_error("ids must hold 1 to %d values (got %zu)",
                                         RETL_SBX_SEGMENT_IDS_MAX, n),
                              (uint32_t)n, 0, (uint32_t)n, NULL, -1);
        pthread_mutex_lock(&srv->s_lock);
        rc = retl_sbx_ws_segment_change(srv->s_ws, rq->rq_segment, rq->rq_seg_add, by, ids,
                                        &changed, &ignored);
        if (rc == 0)
                retl_sbx_traffic_segment(&srv->s_traffic, rq->rq_seg_add, changed, ignored);
        pthread_mutex_unlock(&srv->s_lock);
        if (rc == RETL_SBX_ENOSEG)
                return answer(c, 404,
                              meta_error("segment %ld does not exist (manual segments must be "
                                         "created first)", rq->rq_segment),
                              (uint32_t)n, 0, (uint32_t)n, NULL, -1);
        if (rc == RETL_SBX_EIDTYPE)
                return answer(c, 400,
                              meta_error("id_type %s is not an identifier in this workspace",
                                         idt ? idt : "id"),
                              (uint32_t)n, 0, (uint32_t)n, NULL, -1);
        return answer(c, 200, json_object(), (uint32_t)n, (uint32_t)(n - ignored),
                      (uint32_t)ignored, NULL, -1);
}

static int authorized(struct retl_sbx_server *srv, struct MHD_Connection *conn)
{
        char *pass = NULL;
        char *user = MHD_basic_auth_get_username_password(conn, &pass);
        int ok = user && pass && !strcmp(user, srv->s_site_id) &&
                 !strcmp(pass, srv->s_api_key);

        MHD_free(user);
        MHD_free(pass);
        return ok;
}

enum MHD_Result retl_sbx_track_api_request(struct retl_sbx_server *srv,
                                           struct MHD_Connection *conn, struct sbx_req *rq,
                                           const char *method, const char *url)
{
        struct api_call c = {srv, conn, rq, method, url};
        struct retl_sbx_fault_decision d;

        if (rq->rq_too_big) {
                char msg[160];

                snprintf(msg, sizeof(msg), "request body is larger than %zu bytes",
                         rq->rq_limit);
                return fail(&c, 400,
                            rq->rq_route == RT_SEGMENT ? meta_error("%s", msg)
                                                       : v2_error(RETL_SBX_R_TOO_LARGE, "",
                                                                  msg));
        }
        if (!authorized(srv, conn))
                return fail(&c, 401,
                            meta_error("Unauthorized request. Make sure that you provided the "
                                       "right credentials (HTTP basic auth, site id : API "
                                       "key)."));
        if (!rq->rq_decided) {
                retl_sbx_faults_decide(srv->s_faults, retl_sbx_http_mono_ms(), &rq->rq_fault);
                rq->rq_decided = 1;
                if (rq->rq_fault.fd_latency_ms > 0) {
                        if (!srv->s_suspend)
                                retl_sbx_http_sleep_ms(rq->rq_fault.fd_latency_ms);
                        else if (!retl_sbx_latency_delay(srv->s_latency, conn,
                                                         rq->rq_fault.fd_latency_ms))
                                return MHD_YES; /* called again when due */
                }
        }
        d = rq->rq_fault;
        if (d.fd_kind == RETL_SBX_F_DROP) {
                log_request(&c, 0, 0, 0, 0, d.fd_why);
                retl_log_debug(LOG_CTX, "%s %s -> connection dropped (%s)", method, url,
                               d.fd_why);
                return MHD_NO; /* libmicrohttpd closes the connection unanswered */
        }
        if (d.fd_kind == RETL_SBX_F_STATUS)
                return answer(&c, d.fd_status,
                              meta_error("%s (injected by the sandbox: %s; nothing was "
                                         "applied)",
                                         d.fd_status == 429 ? "Too many requests"
                                                            : "Server error",
                                         d.fd_why),
                              0, 0, 0, d.fd_why, d.fd_status == 429 ? d.fd_retry_after : -1);
        if (rq->rq_route == RT_SEGMENT)
                return api_segment(&c);
        return api_entities(&c);
}
