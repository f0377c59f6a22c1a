/* retl sandbox — HTTP endpoints on libmicrohttpd, see sbx_server.h.
 *
 * libmicrohttpd calls on_request() at least twice per request: once with
 * the headers (nothing read yet; a response queued here is sent without
 * reading the body), then once per body chunk, then a last time with no
 * data, when we answer. The body goes into a buffer with a ceiling; past
 * the ceiling the rest is read and dropped, and the answer is an error. */
#include "sandbox/track/sbx_server.h"
#include "sandbox/track/sbx_arena.h"

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/mem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define LOG_CTX "sandbox"

/* Reasons counted in /_sandbox/counters, in this order. */
static const char *const reasons[] = {
        RETL_SBX_R_REQUIRED, RETL_SBX_R_INVALID,    RETL_SBX_R_TOO_LARGE, RETL_SBX_R_UNSUPPORTED,
        RETL_SBX_R_NOT_FOUND, RETL_SBX_R_SUPPRESSED, RETL_SBX_R_ATTR,
};
#define N_REASONS (sizeof(reasons) / sizeof(reasons[0]))

static const char *const fault_names[] = {"script", "rate_limit", "error_rate", "drop_rate"};
#define N_FAULTS (sizeof(fault_names) / sizeof(fault_names[0]))

struct sbx_reqlog {
        uint64_t l_seq;
        int64_t l_time_ms;        /* wall clock, when answered */
        int64_t l_duration_ms;
        char l_method[8];
        char l_path[200];
        int l_status;             /* 0 = connection dropped */
        uint32_t l_entities, l_accepted, l_rejected;
        uint64_t l_body;
        const char *l_fault;      /* static, or NULL */
};

struct sbx_counters {
        uint64_t c_requests;
        uint64_t c_by_status[600];     /* index 0 = dropped */
        uint64_t c_bytes_in;
        uint64_t c_accepted, c_rejected, c_noop;
        uint64_t c_action_ok[RETL_SBX_A_COUNT], c_action_rej[RETL_SBX_A_COUNT];
        uint64_t c_reason[N_REASONS];
        uint64_t c_seg_added, c_seg_removed, c_seg_ignored;
        uint64_t c_fault[N_FAULTS];
};

/* A connection suspended for injected latency, resumed when due. */
struct sbx_delay {
        int64_t dl_due;           /* monotonic ms */
        struct MHD_Connection *dl_conn;
};

struct retl_sbx_server {
        struct MHD_Daemon *s_daemon;
        int s_suspend;            /* pool mode: latency by suspend/resume */
        /* the delayer: resumes suspended connections when due */
        pthread_t s_delayer;
        int s_delayer_started;
        pthread_mutex_t s_dl_lock;
        pthread_cond_t s_dl_cond;
        struct sbx_delay *s_delays;
        size_t s_n_delays, s_cap_delays;
        int s_dl_stopping;        /* no more suspends; resume all now */
        int s_dl_quit;
        /* One lock over the workspace, the counters and the request ring. */
        pthread_mutex_t s_lock;
        struct retl_sbx_ws *s_ws;
        struct retl_sbx_faults *s_faults;
        char *s_site_id;
        char *s_api_key;
        char *s_state_path;
        int s_port;
        int64_t s_started_ms;
        struct sbx_counters s_cnt;
        struct sbx_reqlog s_ring[RETL_SBX_RING];
        uint64_t s_seq;               /* requests logged so far */
};

enum route {
        RT_NOT_FOUND = 0,
        RT_BATCH,
        RT_ENTITY,
        RT_SEGMENT,
        RT_INDEX,
        RT_ADMIN,
};

/* Per connection, kept across its keep-alive requests (libmicrohttpd
 * serves one request at a time per connection). */
struct sbx_conn {
        struct retl_sbx_arena *cn_arena;   /* parse trees of API requests */
        char *cn_buf;                      /* request body */
        size_t cn_cap;
};

struct sbx_req {
        struct sbx_conn *rq_conn;
        enum route rq_route;
        int rq_api;               /* a Track API route: auth, faults, logging */
        long rq_segment;
        int rq_seg_add;
        size_t rq_limit;
        size_t rq_len;            /* body bytes kept in rq_conn->cn_buf */
        size_t rq_received;       /* body bytes seen */
        int rq_too_big;
        int rq_answered;
        int rq_decided;           /* rq_fault holds this request's fate */
        struct retl_sbx_fault_decision rq_fault;
        int64_t rq_t0;            /* monotonic ms */
};

static const char *body(const struct sbx_req *rq)
{
        return rq->rq_conn->cn_buf ? rq->rq_conn->cn_buf : "";
}

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

/* Parses the body into the connection's arena. The tree must not be
 * decref'd nor kept: retl_sbx_arena_reset() drops it (see sbx_arena.h). */
static json_t *parse_body(struct sbx_req *rq, json_error_t *jerr)
{
        json_t *root;

        retl_sbx_arena_reset(rq->rq_conn->cn_arena);
        retl_sbx_arena_enter(rq->rq_conn->cn_arena);
        root = json_loadb(body(rq), rq->rq_len, 0, jerr);
        retl_sbx_arena_leave();
        return root;
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */

static int64_t mono_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

        while (nanosleep(&ts, &ts) && errno == EINTR)
                ;
}

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
/* Responses                                                           */

static void ring_add(struct retl_sbx_server *srv, const char *method, const char *url,
                     int status, uint32_t entities, uint32_t accepted, uint32_t rejected,
                     const struct sbx_req *rq, const char *fault)
{
        struct sbx_reqlog *l = &srv->s_ring[srv->s_seq % RETL_SBX_RING];

        l->l_seq = ++srv->s_seq;
        l->l_time_ms = wall_ms();
        l->l_duration_ms = mono_ms() - rq->rq_t0;
        snprintf(l->l_method, sizeof(l->l_method), "%s", method);
        snprintf(l->l_path, sizeof(l->l_path), "%s", url);
        l->l_status = status;
        l->l_entities = entities;
        l->l_accepted = accepted;
        l->l_rejected = rejected;
        l->l_body = rq->rq_received;
        l->l_fault = fault;
        srv->s_cnt.c_requests++;
        srv->s_cnt.c_by_status[status >= 0 && status < 600 ? status : 0]++;
        srv->s_cnt.c_bytes_in += rq->rq_received;
        for (size_t i = 0; fault && i < N_FAULTS; i++)
                if (!strcmp(fault, fault_names[i]))
                        srv->s_cnt.c_fault[i]++;
}

/* Queues @p body (taken; free()d by libmicrohttpd) with @p status. */
static enum MHD_Result send_body(struct MHD_Connection *conn, int status, const char *ctype,
                                 char *body, size_t len, int retry_after, int auth)
{
        struct MHD_Response *resp;
        enum MHD_Result ret;
        char ra[16];

        resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
                free(body);
                return MHD_NO;
        }
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
        if (retry_after >= 0) {
                snprintf(ra, sizeof(ra), "%d", retry_after);
                MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
        }
        if (auth)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                        "Basic realm=\"Customer.io Track API (retl sandbox)\"");
        ret = MHD_queue_response(conn, (unsigned)status, resp);
        MHD_destroy_response(resp);
        return ret;
}

/* Sends @p j (reference taken) as compact JSON. */
static enum MHD_Result send_json(struct MHD_Connection *conn, int status, json_t *j,
                                 int retry_after, int auth)
{
        char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17));

        json_decref(j);
        if (!s)
                return MHD_NO;
        return send_body(conn, status, "application/json", s, strlen(s), retry_after, auth);
}

/* {"meta":{"errors":["..."]}}: the Track API's generic error body
 * (components/responses/400 in the OpenAPI document). */
__attribute__((format(printf, 1, 2)))
static json_t *meta_error(const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return json_pack("{s:{s:[s]}}", "meta", "errors", msg);
}

/* {"errors":[{"reason":..,"field":..,"message":..}]}: the v2 endpoints'
 * 400 body. */
static json_t *v2_error(const char *reason, const char *field, const char *message)
{
        return json_pack("{s:[{s:s, s:s, s:s}]}", "errors", "reason", reason, "field", field,
                         "message", message);
}

/* Answers an API request and logs it. */
static enum MHD_Result api_answer(struct retl_sbx_server *srv, struct MHD_Connection *conn,
                                  struct sbx_req *rq, const char *method, const char *url,
                                  int status, json_t *j, uint32_t entities, uint32_t accepted,
                                  uint32_t rejected, const char *fault, int retry_after)
{
        pthread_mutex_lock(&srv->s_lock);
        ring_add(srv, method, url, status, entities, accepted, rejected, rq, fault);
        pthread_mutex_unlock(&srv->s_lock);
        retl_log_debug(LOG_CTX, "%s %s -> %d (%u entities, %u rejected%s%s)", method, url,
                       status, entities, rejected, fault ? ", fault " : "", fault ? fault : "");
        rq->rq_answered = 1;
        return send_json(conn, status, j, retry_after, status == 401);
}

/* ------------------------------------------------------------------ */
/* Injected latency                                                    */

/* With a thread pool, sleeping would stall every connection of that
 * thread; instead the connection is suspended and the delayer thread
 * resumes it when due, when libmicrohttpd calls on_request() again. */
static void *delayer_main(void *arg)
{
        struct retl_sbx_server *srv = arg;

        pthread_mutex_lock(&srv->s_dl_lock);
        while (!srv->s_dl_quit) {
                int64_t now = mono_ms(), next = INT64_MAX;
                size_t i = 0;

                while (i < srv->s_n_delays) {
                        struct sbx_delay *d = &srv->s_delays[i];

                        if (d->dl_due <= now || srv->s_dl_stopping) {
                                MHD_resume_connection(d->dl_conn);
                                *d = srv->s_delays[--srv->s_n_delays];
                                continue;
                        }
                        if (d->dl_due < next)
                                next = d->dl_due;
                        i++;
                }
                if (next == INT64_MAX) {
                        pthread_cond_wait(&srv->s_dl_cond, &srv->s_dl_lock);
                } else {
                        struct timespec ts;

                        ts.tv_sec = (time_t)(next / 1000);
                        ts.tv_nsec = (long)(next % 1000) * 1000000L;
                        pthread_cond_timedwait(&srv->s_dl_cond, &srv->s_dl_lock, &ts);
                }
        }
        pthread_mutex_unlock(&srv->s_dl_lock);
        return NULL;
}

/* Suspends @p conn for @p ms. @returns 0, or -1 when stopping (answer now). */
static int delay_connection(struct retl_sbx_server *srv, struct MHD_Connection *conn, int ms)
{
        int rc = -1;

        pthread_mutex_lock(&srv->s_dl_lock);
        if (!srv->s_dl_stopping) {
                if (srv->s_n_delays == srv->s_cap_delays) {
                        srv->s_cap_delays = srv->s_cap_delays ? srv->s_cap_delays * 2 : 16;
                        srv->s_delays = retl_realloc(srv->s_delays, srv->s_cap_delays *
                                                                            sizeof(*srv->s_delays));
                }
                srv->s_delays[srv->s_n_delays].dl_due = mono_ms() + ms;
                srv->s_delays[srv->s_n_delays].dl_conn = conn;
                srv->s_n_delays++;
                /* under our lock, so that a stop cannot miss it */
                MHD_suspend_connection(conn);
                pthread_cond_signal(&srv->s_dl_cond);
                rc = 0;
        }
        pthread_mutex_unlock(&srv->s_dl_lock);
        return rc;
}

/* ------------------------------------------------------------------ */
/* Track API                                                           */

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

static enum MHD_Result api_entities(struct retl_sbx_server *srv, struct MHD_Connection *conn,
                                    struct sbx_req *rq, const char *method, const char *url)
{
        int single = rq->rq_route == RT_ENTITY;
        json_error_t jerr;
        json_t *root, *list, *errors, **prepared;
        size_t n, *sizes;
        uint32_t accepted = 0, rejected = 0;
        int64_t now = wall_ms();
        struct retl_sbx_outcome o;
        char msg[300];

        root = parse_body(rq, &jerr);
        if (!root) {
                snprintf(msg, sizeof(msg), "malformed JSON: %s (line %d, column %d)", jerr.text,
                         jerr.line, jerr.column);
                return api_answer(srv, conn, rq, method, url, 400,
                                  v2_error(RETL_SBX_R_INVALID, "", msg), 0, 0, 0, NULL, -1);
        }
        if (single) {
                if (!json_is_object(root)) {
                        return api_answer(srv, conn, rq, method, url, 400,
                                          v2_error(RETL_SBX_R_INVALID, "",
                                                   "the body must be a JSON object"),
                                          0, 0, 0, NULL, -1);
                }
                list = NULL;
                n = 1;
        } else {
                list = json_is_object(root) ? json_object_get(root, "batch") : NULL;
                if (!json_is_array(list)) {
                        return api_answer(
                                srv, conn, rq, method, url, 400,
                                v2_error(list ? RETL_SBX_R_INVALID : RETL_SBX_R_REQUIRED,
                                         "batch",
                                         "the body must be an object with a \"batch\" array"),
                                0, 0, 0, NULL, -1);
                }
                n = json_array_size(list);
        }
        /* Sizes outside the lock: the walk costs about a tenth of the parse. */
        sizes = retl_malloc((n ? n : 1) * sizeof(*sizes));
        prepared = retl_calloc(n ? n : 1, sizeof(*prepared));
        for (size_t i = 0; i < n; i++) {
                json_t *e = single ? root : json_array_get(list, i);

                sizes[i] = json_compact_size(e, 0);
                if (sizes[i] > RETL_SBX_ENTITY_MAX)
                        sizes[i] = json_compact_size(e, 1);
        }
        /* Creating a record means copying its attributes out of the request
         * (whose tree dies with the arena); do that copying outside the lock
         * too: a short locked pass finds which entities create, then the
         * copies are made unlocked, then everything is applied. A record
         * created by someone else meanwhile just ignores its copy. */
        pthread_mutex_lock(&srv->s_lock);
        for (size_t i = 0; i < n; i++)
                if (sizes[i] <= RETL_SBX_ENTITY_MAX &&
                    retl_sbx_ws_creates(srv->s_ws, single ? root : json_array_get(list, i)))
                        prepared[i] = (json_t *)1; /* marker, replaced below */
        pthread_mutex_unlock(&srv->s_lock);
        for (size_t i = 0; i < n; i++)
                if (prepared[i])
                        prepared[i] = retl_sbx_ws_prepare(single ? root
                                                                 : json_array_get(list, i));
        errors = json_array();
        pthread_mutex_lock(&srv->s_lock);
        for (size_t i = 0; i < n; i++) {
                json_t *e = single ? root : json_array_get(list, i);
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
                if (rc == 0) {
                        accepted++;
                        srv->s_cnt.c_accepted++;
                        srv->s_cnt.c_action_ok[o.so_action]++;
                        if (o.so_noop)
                                srv->s_cnt.c_noop++;
                        continue;
                }
                rejected++;
                srv->s_cnt.c_rejected++;
                srv->s_cnt.c_action_rej[o.so_action]++;
                for (size_t r = 0; r < N_REASONS; r++)
                        if (!strcmp(o.so_reason, reasons[r]))
                                srv->s_cnt.c_reason[r]++;
                if (single)
                        json_array_append_new(errors,
                                              json_pack("{s:s, s:s, s:s}", "reason", o.so_reason,
                                                        "field", o.so_field, "message",
                                                        o.so_message));
                else
                        json_array_append_new(
                                errors, json_pack("{s:I, s:s, s:s, s:s}", "batch_index",
                                                  (json_int_t)i, "reason", o.so_reason, "field",
                                                  o.so_field, "message", o.so_message));
        }
        pthread_mutex_unlock(&srv->s_lock);
        free(sizes);
        free(prepared);
        /* root lives in the arena: no json_decref() */
        if (!rejected) {
                json_decref(errors);
                return api_answer(srv, conn, rq, method, url, 200, json_object(), (uint32_t)n,
                                  accepted, 0, NULL, -1);
        }
        /* /entity has no 207: a refused entity is a 400 with the same error. */
        return api_answer(srv, conn, rq, method, url, single ? 400 : 207,
                          json_pack("{s:o}", "errors", errors), (uint32_t)n, accepted, rejected,
                          NULL, -1);
}

static enum MHD_Result api_segment(struct retl_sbx_server *srv, struct MHD_Connection *conn,
                                   struct sbx_req *rq, const char *method, const char *url)
{
        const char *idt = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "id_type");
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
                return api_answer(srv, conn, rq, method, url, 400,
                                  meta_error("id_type must be id, email or cio_id (got '%s')",
                                             idt),
                                  0, 0, 0, NULL, -1);
        root = parse_body(rq, NULL);
        ids = json_is_object(root) ? json_object_get(root, "ids") : NULL;
        if (!json_is_array(ids)) {
                return api_answer(srv, conn, rq, method, url, 400,
                                  meta_error("the body must be an object with an \"ids\" "
                                                "array"),
                                  0, 0, 0, NULL, -1);
        }
        n = json_array_size(ids);
        if (n < 1 || n > RETL_SBX_SEGMENT_IDS_MAX) {
                return api_answer(srv, conn, rq, method, url, 400,
                                  meta_error("ids must hold 1 to %d values (got %zu)",
                                             RETL_SBX_SEGMENT_IDS_MAX, n),
                                  (uint32_t)n, 0, (uint32_t)n, NULL, -1);
        }
        pthread_mutex_lock(&srv->s_lock);
        rc = retl_sbx_ws_segment_change(srv->s_ws, rq->rq_segment, rq->rq_seg_add, by, ids,
                                        &changed, &ignored);
        if (rc == 0) {
                if (rq->rq_seg_add)
                        srv->s_cnt.c_seg_added += changed;
                else
                        srv->s_cnt.c_seg_removed += changed;
                srv->s_cnt.c_seg_ignored += ignored;
        }
        pthread_mutex_unlock(&srv->s_lock);
        if (rc == RETL_SBX_ENOSEG)
                return api_answer(srv, conn, rq, method, url, 404,
                                  meta_error("segment %ld does not exist (manual segments "
                                                "must be created first)",
                                             rq->rq_segment),
                                  (uint32_t)n, 0, (uint32_t)n, NULL, -1);
        if (rc == RETL_SBX_EIDTYPE)
                return api_answer(srv, conn, rq, method, url, 400,
                                  meta_error("id_type %s is not an identifier in this "
                                                "workspace", idt ? idt : "id"),
                                  (uint32_t)n, 0, (uint32_t)n, NULL, -1);
        return api_answer(srv, conn, rq, method, url, 200, json_object(), (uint32_t)n,
                          (uint32_t)(n - ignored), (uint32_t)ignored, NULL, -1);
}

static enum MHD_Result api_request(struct retl_sbx_server *srv, struct MHD_Connection *conn,
                                   struct sbx_req *rq, const char *method, const char *url)
{
        struct retl_sbx_fault_decision d;

        if (rq->rq_too_big) {
                char msg[160];

                snprintf(msg, sizeof(msg), "request body is larger than %zu bytes",
                         rq->rq_limit);
                return api_answer(srv, conn, rq, method, url, 400,
                                  rq->rq_route == RT_SEGMENT
                                          ? meta_error("%s", msg)
                                          : v2_error(RETL_SBX_R_TOO_LARGE, "", msg),
                                  0, 0, 0, NULL, -1);
        }
        if (!authorized(srv, conn))
                return api_answer(srv, conn, rq, method, url, 401,
                                  meta_error("Unauthorized request. Make sure that you "
                                                "provided the right credentials (HTTP basic "
                                                "auth, site id : API key)."),
                                  0, 0, 0, NULL, -1);
        if (!rq->rq_decided) {
                retl_sbx_faults_decide(srv->s_faults, mono_ms(), &rq->rq_fault);
                rq->rq_decided = 1;
                if (rq->rq_fault.fd_latency_ms > 0) {
                        if (!srv->s_suspend)
                                sleep_ms(rq->rq_fault.fd_latency_ms);
                        else if (!delay_connection(srv, conn, rq->rq_fault.fd_latency_ms))
                                return MHD_YES; /* on_request() comes back when due */
                }
        }
        d = rq->rq_fault;
        if (d.fd_kind == RETL_SBX_F_DROP) {
                pthread_mutex_lock(&srv->s_lock);
                ring_add(srv, method, url, 0, 0, 0, 0, rq, d.fd_why);
                pthread_mutex_unlock(&srv->s_lock);
                retl_log_debug(LOG_CTX, "%s %s -> connection dropped (%s)", method, url,
                               d.fd_why);
                rq->rq_answered = 1;
                return MHD_NO; /* libmicrohttpd closes the connection unanswered */
        }
        if (d.fd_kind == RETL_SBX_F_STATUS)
                return api_answer(srv, conn, rq, method, url, d.fd_status,
                                  meta_error("%s (injected by the sandbox: %s; nothing "
                                                "was applied)",
                                             d.fd_status == 429 ? "Too many requests"
                                                                : "Server error",
                                             d.fd_why),
                                  0, 0, 0, d.fd_why, d.fd_status == 429 ? d.fd_retry_after : -1);
        if (rq->rq_route == RT_SEGMENT)
                return api_segment(srv, conn, rq, method, url);
        return api_entities(srv, conn, rq, method, url);
}

/* ------------------------------------------------------------------ */
/* Inspection and admin                                                */

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

static json_t *counters_json(struct retl_sbx_server *srv)
{
        const struct sbx_counters *c = &srv->s_cnt;
        json_t *by_status = json_object(), *by_action = json_object();
        json_t *by_reason = json_object(), *faults = json_object();
        struct retl_sbx_ws_counts wc;
        char k[16];

        for (int s = 1; s < 600; s++) {
                if (!c->c_by_status[s])
                        continue;
                snprintf(k, sizeof(k), "%d", s);
                json_object_set_new(by_status, k, json_integer((json_int_t)c->c_by_status[s]));
        }
        for (int a = 0; a < RETL_SBX_A_COUNT; a++) {
                if (!c->c_action_ok[a] && !c->c_action_rej[a])
                        continue;
                json_object_set_new(by_action, retl_sbx_action_name((enum retl_sbx_action)a),
                                    json_pack("{s:I, s:I}", "accepted",
                                              (json_int_t)c->c_action_ok[a], "rejected",
                                              (json_int_t)c->c_action_rej[a]));
        }
        for (size_t r = 0; r < N_REASONS; r++)
                json_object_set_new(by_reason, reasons[r], json_integer((json_int_t)c->c_reason[r]));
        for (size_t f = 0; f < N_FAULTS; f++)
                json_object_set_new(faults, fault_names[f], json_integer((json_int_t)c->c_fault[f]));
        retl_sbx_ws_counts(srv->s_ws, &wc);
        return json_pack(
                "{s:{s:I, s:I, s:o, s:I}, s:{s:I, s:I, s:I, s:o, s:o}, s:{s:I, s:I, s:I},"
                " s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:I}",
                "requests", "total", (json_int_t)c->c_requests, "dropped",
                (json_int_t)c->c_by_status[0], "by_status", by_status, "bytes_in",
                (json_int_t)c->c_bytes_in,
                "entities", "accepted", (json_int_t)c->c_accepted, "rejected",
                (json_int_t)c->c_rejected, "noop", (json_int_t)c->c_noop, "by_action", by_action,
                "rejected_by_reason", by_reason,
                "segments", "added", (json_int_t)c->c_seg_added, "removed",
                (json_int_t)c->c_seg_removed, "ignored", (json_int_t)c->c_seg_ignored,
                "faults", faults,
                "workspace", "people", (json_int_t)wc.people, "objects", (json_int_t)wc.objects,
                "relationships", (json_int_t)wc.relationships, "segments",
                (json_int_t)wc.segments, "memberships", (json_int_t)wc.memberships,
                "suppressed", (json_int_t)wc.suppressed,
                "uptime_ms", (json_int_t)(wall_ms() - srv->s_started_ms));
}

static json_t *requests_json(struct retl_sbx_server *srv, size_t limit)
{
        json_t *arr = json_array();
        uint64_t n = srv->s_seq < RETL_SBX_RING ? srv->s_seq : RETL_SBX_RING;

        if (limit && limit < n)
                n = limit;
        /* the n most recent, oldest first */
        for (uint64_t s = srv->s_seq - n; s < srv->s_seq; s++) {
                const struct sbx_reqlog *l = &srv->s_ring[s % RETL_SBX_RING];

                json_array_append_new(
                        arr, json_pack("{s:I, s:I, s:s, s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:o}",
                                       "seq", (json_int_t)l->l_seq, "time_ms",
                                       (json_int_t)l->l_time_ms, "method", l->l_method, "path",
                                       l->l_path, "status", l->l_status, "entities",
                                       (json_int_t)l->l_entities, "accepted",
                                       (json_int_t)l->l_accepted, "rejected",
                                       (json_int_t)l->l_rejected, "body_bytes",
                                       (json_int_t)l->l_body, "duration_ms",
                                       (json_int_t)l->l_duration_ms, "fault",
                                       l->l_fault ? json_string(l->l_fault) : json_null()));
        }
        return json_pack("{s:I, s:o}", "total", (json_int_t)srv->s_seq, "requests", arr);
}

static enum MHD_Result index_page(struct retl_sbx_server *srv, struct MHD_Connection *conn)
{
        struct retl_sbx_ws_counts wc;
        struct retl_buf b;
        uint64_t req, acc, rej;
        int bad = 0;

        pthread_mutex_lock(&srv->s_lock);
        retl_sbx_ws_counts(srv->s_ws, &wc);
        req = srv->s_cnt.c_requests;
        acc = srv->s_cnt.c_accepted;
        rej = srv->s_cnt.c_rejected;
        pthread_mutex_unlock(&srv->s_lock);
        retl_buf_init(&b, 64 * 1024);
        bad |= retl_buf_printf(
                &b,
                "<!doctype html><html><head><meta charset=\"utf-8\"><title>retl sandbox"
                "</title></head><body><h1>retl sandbox: a local Customer.io workspace</h1>"
                "<p>Track API at <code>/api/v2/batch</code>, <code>/api/v2/entity</code>, "
                "<code>/api/v1/segments/{id}/add_customers</code> and "
                "<code>remove_customers</code> (HTTP basic auth: site id : API key).</p>"
                "<h2>What landed</h2><ul>"
                "<li><a href=\"/_sandbox/people\">people</a>: %zu</li>"
                "<li><a href=\"/_sandbox/objects\">objects</a>: %zu</li>"
                "<li><a href=\"/_sandbox/relationships\">relationships</a>: %zu</li>"
                "<li><a href=\"/_sandbox/segments\">segments</a>: %zu (%zu members)</li>"
                "<li><a href=\"/_sandbox/suppressions\">suppressions</a>: %zu</li>"
                "</ul><h2>Traffic</h2><ul>"
                "<li><a href=\"/_sandbox/requests?limit=100\">requests</a>: %" PRIu64 "</li>"
                "<li><a href=\"/_sandbox/counters\">counters</a>: %" PRIu64
                " entities accepted, %" PRIu64 " rejected</li>"
                "<li><a href=\"/_sandbox/faults\">faults</a> in force</li>"
                "</ul></body></html>\n",
                wc.people, wc.objects, wc.relationships, wc.segments, wc.memberships,
                wc.suppressed, req, acc, rej);
        if (bad) {
                retl_buf_free(&b);
                return MHD_NO;
        }
        {
                size_t len;
                char *s = retl_buf_take(&b, &len);

                return send_body(conn, 200, "text/html; charset=utf-8", s, len, -1, 0);
        }
}

static enum MHD_Result admin_get(struct retl_sbx_server *srv, struct MHD_Connection *conn,
                                 const char *what)
{
        json_t *j = NULL;
        const char *id = arg(conn, "id"), *email = arg(conn, "email");
        const char *cio = arg(conn, "cio_id"), *type = arg(conn, "type");

        pthread_mutex_lock(&srv->s_lock);
        if (!strcmp(what, "people")) {
                if (id || email || cio) {
                        j = retl_sbx_ws_person_json(srv->s_ws,
                                                    id ? RETL_SBX_BY_ID
                                                       : email ? RETL_SBX_BY_EMAIL
                                                               : RETL_SBX_BY_CIO_ID,
                                                    id ? id : email ? email : cio);
                        if (!j) {
                                pthread_mutex_unlock(&srv->s_lock);
                                return send_json(conn, 404,
                                                 json_pack("{s:s}", "error", "no such person"),
                                                 -1, 0);
                        }
                } else {
                        j = retl_sbx_ws_people_json(srv->s_ws, arg_size(conn, "offset", 0),
                                                    arg_size(conn, "limit", 0));
                }
        } else if (!strcmp(what, "objects")) {
                j = retl_sbx_ws_objects_json(srv->s_ws, type, id, arg_size(conn, "offset", 0),
                                             arg_size(conn, "limit", 0));
        } else if (!strcmp(what, "relationships")) {
                j = retl_sbx_ws_relationships_json(srv->s_ws, id, email, type,
                                                   arg(conn, "object_id"));
        } else if (!strcmp(what, "segments")) {
                j = retl_sbx_ws_segments_json(srv->s_ws);
        } else if (!strcmp(what, "suppressions")) {
                j = retl_sbx_ws_suppressions_json(srv->s_ws);
        } else if (!strcmp(what, "counters")) {
                j = counters_json(srv);
        } else if (!strcmp(what, "requests")) {
                j = requests_json(srv, arg_size(conn, "limit", 100));
        }
        pthread_mutex_unlock(&srv->s_lock);
        if (!j && !strcmp(what, "faults"))
                j = retl_sbx_faults_json(srv->s_faults);
        if (!j)
                return send_json(conn, 404, json_pack("{s:s}", "error", "no such endpoint"), -1,
                                 0);
        return send_json(conn, 200, j, -1, 0);
}

static enum MHD_Result admin_post(struct retl_sbx_server *srv, struct MHD_Connection *conn,
                                  struct sbx_req *rq, const char *what)
{
        json_t *jbody = NULL;
        char err[256];
        enum MHD_Result ret;

        if (rq->rq_too_big)
                return send_json(conn, 400, json_pack("{s:s}", "error", "body too large"), -1, 0);
        if (rq->rq_len) {
                json_error_t jerr;

                /* admin bodies are small: plain malloc, decref'd below */
                jbody = json_loadb(body(rq), rq->rq_len, 0, &jerr);
                if (!jbody) {
                        snprintf(err, sizeof(err), "malformed JSON: %s", jerr.text);
                        return send_json(conn, 400, json_pack("{s:s}", "error", err), -1, 0);
                }
        }
        if (!strcmp(what, "faults")) {
                json_t *empty = jbody ? NULL : json_object();

                if (retl_sbx_faults_set_json(srv->s_faults, jbody ? jbody : empty, err,
                                             sizeof(err))) {
                        ret = send_json(conn, 400, json_pack("{s:s}", "error", err), -1, 0);
                } else {
                        retl_log_info(LOG_CTX, "faults set");
                        ret = send_json(conn, 200, retl_sbx_faults_json(srv->s_faults), -1, 0);
                }
                json_decref(empty);
        } else if (!strcmp(what, "suppress") || !strcmp(what, "unsuppress")) {
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
                rc = val ? retl_sbx_ws_suppress(srv->s_ws, kind, val, what[0] == 's')
                         : RETL_SBX_EINVAL;
                pthread_mutex_unlock(&srv->s_lock);
                if (rc)
                        ret = send_json(conn, 400,
                                        json_pack("{s:s}", "error",
                                                  "the body must be {\"id\":\"...\"} or "
                                                  "{\"email\":\"...\"} with a valid email"),
                                        -1, 0);
                else
                        ret = send_json(conn, 200,
                                        json_pack("{s:s, s:s, s:b}", kind, val, "status",
                                                  what[0] == 's' ? "suppressed" : "unsuppressed",
                                                  "ok", 1),
                                        -1, 0);
        } else if (!strcmp(what, "segments")) {
                json_t *id = json_object_get(jbody, "id");

                if (!json_is_integer(id) || json_integer_value(id) < 1) {
                        ret = send_json(conn, 400,
                                        json_pack("{s:s}", "error",
                                                  "the body must be {\"id\": N} with N >= 1"),
                                        -1, 0);
                } else {
                        pthread_mutex_lock(&srv->s_lock);
                        retl_sbx_ws_segment_create(srv->s_ws, (long)json_integer_value(id));
                        pthread_mutex_unlock(&srv->s_lock);
                        ret = send_json(conn, 200, json_pack("{s:b}", "ok", 1), -1, 0);
                }
        } else if (!strcmp(what, "reset")) {
                pthread_mutex_lock(&srv->s_lock);
                retl_sbx_ws_reset(srv->s_ws);
                memset(&srv->s_cnt, 0, sizeof(srv->s_cnt));
                srv->s_seq = 0;
                pthread_mutex_unlock(&srv->s_lock);
                retl_sbx_faults_reset(srv->s_faults);
                retl_log_info(LOG_CTX, "workspace reset");
                ret = send_json(conn, 200, json_pack("{s:b}", "ok", 1), -1, 0);
        } else if (!strcmp(what, "flush")) {
                if (retl_sbx_server_flush(srv, err, sizeof(err)))
                        ret = send_json(conn, 500, json_pack("{s:s}", "error", err), -1, 0);
                else
                        ret = send_json(conn, 200,
                                        json_pack("{s:b, s:o}", "ok", 1, "state",
                                                  srv->s_state_path
                                                          ? json_string(srv->s_state_path)
                                                          : json_null()),
                                        -1, 0);
        } else {
                ret = send_json(conn, 404, json_pack("{s:s}", "error", "no such endpoint"), -1,
                                0);
        }
        json_decref(jbody);
        return ret;
}

/* ------------------------------------------------------------------ */
/* libmicrohttpd callbacks                                             */

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
                        return api_answer(srv, conn, rq, method, url, 405,
                                          meta_error("use POST"), 0, 0, 0, NULL, -1);
                return api_request(srv, conn, rq, method, url);
        case RT_INDEX:
                if (!get)
                        break;
                return index_page(srv, conn);
        case RT_ADMIN:
                if (get)
                        return admin_get(srv, conn, url + 10);
                if (post)
                        return admin_post(srv, conn, rq, url + 10);
                break;
        case RT_NOT_FOUND:
                if (rq->rq_api)
                        return api_answer(srv, conn, rq, method, url, 404,
                                          meta_error("no such endpoint: %s", url), 0, 0, 0,
                                          NULL, -1);
                return send_json(conn, 404, json_pack("{s:s}", "error", "no such endpoint"), -1,
                                 0);
        }
        return send_json(conn, 405, json_pack("{s:s}", "error", "method not allowed"), -1, 0);
}

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
                rq->rq_t0 = mono_ms();
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
                                return api_request(srv, conn, rq, method, url);
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
        srv->s_started_ms = wall_ms();
        pthread_mutex_init(&srv->s_dl_lock, NULL);
        {
                pthread_condattr_t ca;

                pthread_condattr_init(&ca);
                pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
                pthread_cond_init(&srv->s_dl_cond, &ca);
                pthread_condattr_destroy(&ca);
        }
        if (pthread_create(&srv->s_delayer, NULL, delayer_main, srv)) {
                snprintf(errstr, errstr_size, "cannot start a thread");
                retl_sbx_server_stop(srv);
                return NULL;
        }
        srv->s_delayer_started = 1;

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
        pthread_mutex_lock(&srv->s_dl_lock);
        srv->s_dl_stopping = 1;
        pthread_cond_signal(&srv->s_dl_cond);
        pthread_mutex_unlock(&srv->s_dl_lock);
        if (srv->s_delayer_started) {
                for (;;) {
                        size_t left;

                        pthread_mutex_lock(&srv->s_dl_lock);
                        left = srv->s_n_delays;
                        pthread_mutex_unlock(&srv->s_dl_lock);
                        if (!left)
                                break;
                        sleep_ms(1);
                }
        }
        if (srv->s_daemon)
                MHD_stop_daemon(srv->s_daemon);
        if (srv->s_delayer_started) {
                pthread_mutex_lock(&srv->s_dl_lock);
                srv->s_dl_quit = 1;
                pthread_cond_signal(&srv->s_dl_cond);
                pthread_mutex_unlock(&srv->s_dl_lock);
                pthread_join(srv->s_delayer, NULL);
        }
        pthread_mutex_destroy(&srv->s_dl_lock);
        pthread_cond_destroy(&srv->s_dl_cond);
        free(srv->s_delays);
        pthread_mutex_destroy(&srv->s_lock);
        free(srv->s_site_id);
        free(srv->s_api_key);
        free(srv->s_state_path);
        free(srv);
}
