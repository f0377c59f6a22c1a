/* retl sandbox — what the Track API saw: counters and the ring of recent
 * requests, for GET /_sandbox/counters and /_sandbox/requests. */
#ifndef RETL_SBX_TRAFFIC_H
#define RETL_SBX_TRAFFIC_H

#include "sandbox/track/sbx_ws.h"

#include <stdint.h>

/* Requests kept for GET /_sandbox/requests. */
#define RETL_SBX_RING 1000
/* Reasons and faults counted apart (sbx_traffic.c lists them). */
#define RETL_SBX_N_REASONS 7
#define RETL_SBX_N_FAULTS 4

/* One API request as logged. */
struct retl_sbx_reqlog {
        uint64_t l_seq;           /* set by retl_sbx_traffic_log() */
        int64_t l_time_ms;        /* wall clock, when answered */
        int64_t l_duration_ms;
        char l_method[8];
        char l_path[200];
        int l_status;             /* 0 = connection dropped */
        uint32_t l_entities, l_accepted, l_rejected;
        uint64_t l_body;
        const char *l_fault;      /* static, or NULL */
};

/* Embedded in the server and covered by its lock; use the functions. All
 * zero is the start (and the reset). */
struct retl_sbx_traffic {
        uint64_t t_requests;
        uint64_t t_by_status[600];     /* index 0 = dropped */
        uint64_t t_bytes_in;
        uint64_t t_accepted, t_rejected, t_noop;
        uint64_t t_action_ok[RETL_SBX_A_COUNT], t_action_rej[RETL_SBX_A_COUNT];
        uint64_t t_reason[RETL_SBX_N_REASONS];
        uint64_t t_seg_added, t_seg_removed, t_seg_ignored;
        uint64_t t_fault[RETL_SBX_N_FAULTS];
        struct retl_sbx_reqlog t_ring[RETL_SBX_RING];
        uint64_t t_seq;                /* requests logged so far */
};

/** @brief Logs an answered (or dropped) API request: copies @p l into the
 *  ring, numbering it, and counts it. */
void retl_sbx_traffic_log(struct retl_sbx_traffic *tr, const struct retl_sbx_reqlog *l);
/** @brief Counts what became of one entity (@p rc: 0 accepted, -1 refused). */
void retl_sbx_traffic_entity(struct retl_sbx_traffic *tr, int rc,
                             const struct retl_sbx_outcome *o);
/** @brief Counts a segment call's members @p changed (added or removed)
 *  and @p ignored. */
void retl_sbx_traffic_segment(struct retl_sbx_traffic *tr, int add, size_t changed,
                              size_t ignored);
/** @returns the counters as GET /_sandbox/counters shows them, with the
 *  workspace's counts @p wc, a new reference. */
json_t *retl_sbx_traffic_counters_json(const struct retl_sbx_traffic *tr,
                                       const struct retl_sbx_ws_counts *wc, int64_t uptime_ms);
/** @returns {"total":N,"requests":[...]}: the @p limit (0 = all kept) most
 *  recent requests, oldest first, a new reference. */
json_t *retl_sbx_traffic_requests_json(const struct retl_sbx_traffic *tr, size_t limit);

#endif
