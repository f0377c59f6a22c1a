/* retl sandbox — what the Track API saw: counters and the ring of recent
 * requests; see sbx_traffic.h. */
#include "sandbox/track/sbx_traffic.h"

#include <stdio.h>
#include <string.h>

/* Reasons counted in /_sandbox/counters, in this order. */
static const char *const reasons[RETL_SBX_N_REASONS] = {
        RETL_SBX_R_REQUIRED, RETL_SBX_R_INVALID,    RETL_SBX_R_TOO_LARGE, RETL_SBX_R_UNSUPPORTED,
        RETL_SBX_R_NOT_FOUND, RETL_SBX_R_SUPPRESSED, RETL_SBX_R_ATTR,
};

static const char *const fault_names[RETL_SBX_N_FAULTS] = {"script", "rate_limit",
                                                           "error_rate", "drop_rate"};

void retl_sbx_traffic_log(struct retl_sbx_traffic *tr, const struct retl_sbx_reqlog *l)
{
        struct retl_sbx_reqlog *kept = &tr->t_ring[tr->t_seq % RETL_SBX_RING];

        *kept = *l;
        kept->l_seq = ++tr->t_seq;
        tr->t_requests++;
        tr->t_by_status[l->l_status >= 0 && l->l_status < 600 ? l->l_status : 0]++;
        tr->t_bytes_in += l->l_body;
        for (size_t i = 0; l->l_fault && i < RETL_SBX_N_FAULTS; i++)
                if (!strcmp(l->l_fault, fault_names[i]))
                        tr->t_fault[i]++;
}

void retl_sbx_traffic_entity(struct retl_sbx_traffic *tr, int rc,
                             const struct retl_sbx_outcome *o)
{
        if (rc == 0) {
                tr->t_accepted++;
                tr->t_action_ok[o->so_action]++;
                if (o->so_noop)
                        tr->t_noop++;
                return;
        }
        tr->t_rejected++;
        tr->t_action_rej[o->so_action]++;
        for (size_t r = 0; r < RETL_SBX_N_REASONS; r++)
                if (!strcmp(o->so_reason, reasons[r]))
                        tr->t_reason[r]++;
}

void retl_sbx_traffic_segment(struct retl_sbx_traffic *tr, int add, size_t changed,
                              size_t ignored)
{
        if (add)
                tr->t_seg_added += changed;
        else
                tr->t_seg_removed += changed;
        tr->t_seg_ignored += ignored;
}

/* {"<name>": count, ...} for a table of names and their counts. */
static json_t *named_counts(const char *const *names, const uint64_t *counts, size_t n)
{
        json_t *j = json_object();

        for (size_t i = 0; i < n; i++)
                json_object_set_new(j, names[i], json_integer((json_int_t)counts[i]));
        return j;
}

json_t *retl_sbx_traffic_counters_json(const struct retl_sbx_traffic *tr,
                                       const struct retl_sbx_ws_counts *wc, int64_t uptime_ms)
{
        json_t *by_status = json_object(), *by_action = json_object();
        char k[16];

        for (int s = 1; s < 600; s++) {
                if (!tr->t_by_status[s])
                        continue;
                snprintf(k, sizeof(k), "%d", s);
                json_object_set_new(by_status, k, json_integer((json_int_t)tr->t_by_status[s]));
        }
        for (int a = 0; a < RETL_SBX_A_COUNT; a++) {
                if (!tr->t_action_ok[a] && !tr->t_action_rej[a])
                        continue;
                json_object_set_new(by_action, retl_sbx_action_name((enum retl_sbx_action)a),
                                    json_pack("{s:I, s:I}", "accepted",
                                              (json_int_t)tr->t_action_ok[a], "rejected",
                                              (json_int_t)tr->t_action_rej[a]));
        }
        return json_pack(
                "{s:{s:I, s:I, s:o, s:I}, s:{s:I, s:I, s:I, s:o, s:o}, s:{s:I, s:I, s:I},"
                " s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:I}",
                "requests", "total", (json_int_t)tr->t_requests, "dropped",
                (json_int_t)tr->t_by_status[0], "by_status", by_status, "bytes_in",
                (json_int_t)tr->t_bytes_in,
                "entities", "accepted", (json_int_t)tr->t_accepted, "rejected",
                (json_int_t)tr->t_rejected, "noop", (json_int_t)tr->t_noop, "by_action",
                by_action, "rejected_by_reason",
                named_counts(reasons, tr->t_reason, RETL_SBX_N_REASONS),
                "segments", "added", (json_int_t)tr->t_seg_added, "removed",
                (json_int_t)tr->t_seg_removed, "ignored", (json_int_t)tr->t_seg_ignored,
                "faults", named_counts(fault_names, tr->t_fault, RETL_SBX_N_FAULTS),
                "workspace", "people", (json_int_t)wc->people, "objects",
                (json_int_t)wc->objects, "relationships", (json_int_t)wc->relationships,
                "segments", (json_int_t)wc->segments, "memberships",
                (json_int_t)wc->memberships, "suppressed", (json_int_t)wc->suppressed,
                "uptime_ms", (json_int_t)uptime_ms);
}

json_t *retl_sbx_traffic_requests_json(const struct retl_sbx_traffic *tr, size_t limit)
{
        json_t *arr = json_array();
        uint64_t n = tr->t_seq < RETL_SBX_RING ? tr->t_seq : RETL_SBX_RING;

        if (limit && limit < n)
                n = limit;
        /* the n most recent, oldest first */
        for (uint64_t s = tr->t_seq - n; s < tr->t_seq; s++) {
                const struct retl_sbx_reqlog *l = &tr->t_ring[s % RETL_SBX_RING];

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
        return json_pack("{s:I, s:o}", "total", (json_int_t)tr->t_seq, "requests", arr);
}
