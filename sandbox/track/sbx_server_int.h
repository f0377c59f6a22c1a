/* retl sandbox — the HTTP server's insides, shared by sbx_server.c and the
 * handlers it routes to (sbx_track_api.c, sbx_inspect.c, sbx_page.c). */
#ifndef RETL_SBX_SERVER_INT_H
#define RETL_SBX_SERVER_INT_H

#include "sandbox/track/sbx_faults.h"
#include "sandbox/track/sbx_http.h"
#include "sandbox/track/sbx_latency.h"
#include "sandbox/track/sbx_server.h"
#include "sandbox/track/sbx_traffic.h"
#include "sandbox/track/sbx_ws.h"

#include <pthread.h>

struct retl_sbx_server {
        struct MHD_Daemon *s_daemon;
        int s_suspend;            /* pool mode: latency by suspend/resume */
        struct retl_sbx_latency *s_latency;
        /* One lock over the workspace and the traffic. */
        pthread_mutex_t s_lock;
        struct retl_sbx_ws *s_ws;
        struct retl_sbx_faults *s_faults;
        char *s_site_id;
        char *s_api_key;
        char *s_state_path;
        int s_port;
        int64_t s_started_ms;
        struct retl_sbx_traffic s_traffic;
};

enum sbx_route {
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
        enum sbx_route rq_route;
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

/* The request's body as kept (NUL-terminated; "" when none). */
static inline const char *sbx_req_body(const struct sbx_req *rq)
{
        return rq->rq_conn->cn_buf ? rq->rq_conn->cn_buf : "";
}

#endif
