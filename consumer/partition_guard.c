/* retl uploader — guardrails: runs counted before they are sent, held over
 * their sync's bounds, see partition_guard.h. */
#include "consumer/partition_guard.h"
#include "consumer/mapping.h"
#include "consumer/partition_metrics.h"
#include "consumer/partition_report.h"
#include "consumer/partition_segname.h"
#include "consumer/rowstate.h"
#include "consumer/statelog.h"
#include "lib/kafka.h"
#include "lib/log.h"
#include "lib/mem.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Messages a step reads at most: the loop's other partitions wait no
 * longer than that takes. */
#define STEP_BUDGET 4000

enum phase {
        G_QUIET,        /* waiting for the runs before it to retire */
        G_COUNT,        /* reading the run, counting its changes */
        G_SEEK,         /* over a bound: looking for a decision already made */
        G_HELD          /* reported held: waiting for the decision */
};

struct guard {
        struct run *run;
        struct entry *start;            /* its RunStarted, undone until the verdict */
        enum phase phase;
        int64_t max_changes;            /* the bounds when it began */
        int max_percent;
        rd_kafka_t *rk;                 /* its own reader of the topic, no group */
        int64_t retry_ms;               /* the reader could not start: not before */
        int64_t rows, failed, changes;  /* counted so far */
        int64_t holds;                  /* identifiers the sync holds */
        int dropped;                    /* messages past the RunStarted not taken */
        int let_go;                     /* released: freed once its message is */
        int decision;                   /* 0, RETL_CONTROL_RUN_APPROVE or _REJECT (+1) */
        int64_t decision_offset;
        char reason[400];               /* why it is held */
        struct retl_buf json, key;
};

int retl_partition_guard_begin(struct retl_partition *p, struct run *r, struct entry *start)
{
        const struct retl_cfg_sync *s = p->cfg ? retl_cfg_sync_find(p->cfg, r->sync) : NULL;
        struct guard *g;

        if (p->guard && p->guard->let_go)
                retl_partition_guard_free(p);
        if (!s || (!s->max_changes && !s->max_changes_percent) || r->replay_of || r->resumed ||
            p->guard)
                return 0;
        g = retl_calloc(1, sizeof(*g));
        g->run = r;
        g->start = start;
        g->max_changes = s->max_changes;
        g->max_percent = s->max_changes_percent;
        retl_buf_init(&g->json, 0);
        retl_buf_init(&g->key, 0);
        p->guard = g;
        return 1;
}

int retl_partition_guard_blocks(struct retl_partition *p, int64_t offset)
{
        if (!p->guard || p->guard->let_go || offset <= p->guard->run->start_offset)
                return 0;
        p->guard->dropped = 1;
        return 1;
}

int retl_partition_guard_waiting(const struct retl_partition *p)
{
        return p->guard && !p->guard->let_go;
}

void retl_partition_guard_free(struct retl_partition *p)
{
        struct guard *g = p->guard;

        if (!g)
                return;
        if (g->rk) {
                rd_kafka_consumer_close(g->rk);
                rd_kafka_destroy(g->rk);
        }
        retl_buf_free(&g->json);
        retl_buf_free(&g->key);
        free(g);
        p->guard = NULL;
}

static int open_reader(struct retl_partition *p, struct guard *g, char *err, size_t errsize)
{
        static const char *const extra[] = {"enable.partition.eof", "true", NULL};
        rd_kafka_topic_partition_list_t *l;
        char group[64];
        int rc = 0;

        /* assign() never joins the group; the id only satisfies librdkafka */
        snprintf(group, sizeof(group), "retl-guard-%d", (int)getpid());
        g->rk = retl_kafka_consumer_new(p->env.kafka, group, "retl-guard", extra, err, errsize);
        if (!g->rk)
                return -1;
        l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, p->topic, 0)->offset = g->run->start_offset + 1;
        if (rd_kafka_assign(g->rk, l)) {
                snprintf(err, errsize, "cannot read %s", p->topic);
                rd_kafka_destroy(g->rk);
                g->rk = NULL;
                rc = -1;
        }
        rd_kafka_topic_partition_list_destroy(l);
        return rc;
}

/* The run goes on (approved, or within its bounds) or is dropped. */
static void release(struct retl_partition *p, int rejected)
{
        struct guard *g = p->guard;
        struct run *r = g->run;

        if (g->phase == G_HELD)
                retl_partition_metrics_held(p, r->sync, 0);
        r->rejected = rejected;
        g->start->done = 1;
        if (g->dropped) {
                /* what was read past the RunStarted is read again */
                rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
                rd_kafka_error_t *error;

                rd_kafka_topic_partition_list_add(l, p->topic, 0)->offset = r->start_offset + 1;
                error = rd_kafka_seek_partitions(p->env.rk, l, 10000);
                if (error) {
                        retl_log_error(p->ctx, "seek to %" PRId64 ": %s", r->start_offset + 1,
                                       rd_kafka_error_string(error));
                        rd_kafka_error_destroy(error);
                }
                rd_kafka_topic_partition_list_destroy(l);
                p->expect = r->start_offset + 1;
        }
        g->let_go = 1;
}

static void decide(struct retl_partition *p)
{
        struct guard *g = p->guard;
        int reject = g->decision == RETL_CONTROL_RUN_REJECT + 1;

        if (reject)
                retl_log_warn(p->ctx, "run=%s sync=%s rejected (offset %" PRId64 "): dropped, "
                              "nothing of it is sent and last_sync_time stays; the next run "
                              "reads its rows again", g->run->run_id, g->run->sync,
                              g->decision_offset);
        else
                retl_log_info(p->ctx, "run=%s sync=%s approved (offset %" PRId64 "): sending it",
                              g->run->run_id, g->run->sync, g->decision_offset);
        release(p, reject);
}

/* Whether the counted changes pass a bound; the reason in g->reason. */
static int over(struct retl_partition *p, struct guard *g)
{
        int sidx = retl_rowstate_sync_find(p->rowstate, g->run->sync);

        g->holds = sidx >= 0 ? (int64_t)retl_rowstate_count(p->rowstate, sidx) : 0;
        if (g->max_changes && g->changes > g->max_changes) {
                snprintf(g->reason, sizeof(g->reason),
                         "%" PRId64 " identifiers to add or change, over max_changes = %" PRId64
                         " (the sync holds %" PRId64 ")", g->changes, g->max_changes, g->holds);
                return 1;
        }
        /* a sync that holds nothing yet has no share to protect */
        if (g->max_percent && g->holds > 0 && g->changes * 100 > g->holds * g->max_percent) {
                snprintf(g->reason, sizeof(g->reason),
                         "%" PRId64 " identifiers to add or change of the %" PRId64
                         " the sync holds (%.1f %%), over max_changes_percent = %d",
                         g->changes, g->holds, 100.0 * (double)g->changes / (double)g->holds,
                         g->max_percent);
                return 1;
        }
        return 0;
}

static void verdict(struct retl_partition *p)
{
        struct guard *g = p->guard;

        if (!over(p, g)) {
                retl_log_info(p->ctx, "run=%s sync=%s within its guardrails: %" PRId64
                              " identifiers to add or change (the sync holds %" PRId64
                              "); sending it", g->run->run_id, g->run->sync, g->changes,
                              g->holds);
                release(p, 0);
                return;
        }
        g->phase = G_SEEK;
        if (g->decision)
                decide(p);
}

static void report_held(struct retl_partition *p)
{
        struct guard *g = p->guard;
        struct run *r = g->run;
        char why[600];

        snprintf(why, sizeof(why), "held by its guardrails: %s; nothing is sent until "
                 "`retl approve %s` (send it) or `retl reject %s` (drop it)",
                 g->reason, r->run_id, r->run_id);
        retl_log_warn(p->ctx, "run=%s sync=%s HELD: %s; %" PRId64 " rows, the workspace's "
                      "later runs wait behind it", r->run_id, r->sync, g->reason, g->rows);
        /* the report carries the run's size; its counts start at 0 when it
         * is let go */
        r->rows = g->rows;
        r->failed = g->failed;
        retl_partition_report_import(p, r, RETL_IMPORT_HELD,
                                     retl_checkpoint_get(&p->cp, r->sync), why);
        r->rows = r->failed = 0;
        retl_partition_metrics_held(p, r->sync, 1);
        g->phase = G_HELD;
}

static void count_row(struct retl_partition *p, struct guard *g, const struct retl_row *row)
{
        struct run *r = g->run;
        struct retl_mapped m;
        char why[512];
        uint64_t fp, old;

        g->rows++;
        if (retl_mapping_row(&r->s, row, &g->json, &m, why, sizeof(why))) {
                g->failed++;
                retl_mapped_free(&m);
                return;
        }
        if (m.state_id) {
                retl_statelog_key(&g->key, r->sync, m.state_id, m.state_id_len);
                fp = retl_rowstate_fingerprint(
                        g->json.b_data, retl_buf_len(&g->json),
                        row->part == RETL_PART_MAIN && r->s.import == RETL_IMPORT_PEOPLE
                                ? retl_partition_segname_state_key(r)
                                : 0);
                if (!retl_rowstate_lookup(p->rowstate,
                                          retl_rowstate_hash(g->key.b_data,
                                                             retl_buf_len(&g->key)),
                                          &old) ||
                    old != fp)
                        g->changes++;
        } else {
                g->changes++;
        }
        retl_mapped_free(&m);
}

/* One record of the topic after the run's RunStarted. */
static void take(struct retl_partition *p, const rd_kafka_message_t *m)
{
        struct guard *g = p->guard;
        const char *run_id = g->run->run_id;
        struct retl_record rec;
        char why[256];

        if (retl_codec_decode(p->env.codec, m->payload, m->len, &rec, why, sizeof(why)))
                return;         /* the ledger reports it when it reads it */
        switch (rec.type) {
        case RETL_REC_ROW:
                if (g->phase == G_COUNT && !strcmp(rec.u.row.run_id, run_id))
                        count_row(p, g, &rec.u.row);
                break;
        case RETL_REC_RUN_FINISHED:
                if (g->phase == G_COUNT && !strcmp(rec.u.run_finished.run_id, run_id))
                        verdict(p);
                break;
        case RETL_REC_RUN_STARTED:
                /* the run never finished in the log: what it holds is all */
                if (g->phase == G_COUNT)
                        verdict(p);
                break;
        case RETL_REC_CONTROL:
                if ((rec.u.control.kind == RETL_CONTROL_RUN_APPROVE ||
                     rec.u.control.kind == RETL_CONTROL_RUN_REJECT) &&
                    rec.u.control.nruns > 0 && !strcmp(rec.u.control.runs[0], run_id) &&
                    !g->decision) {
                        g->decision = (int)rec.u.control.kind + 1;
                        g->decision_offset = m->offset;
                        if (g->phase == G_SEEK || g->phase == G_HELD)
                                decide(p);
                }
                break;
        default:
                break;
        }
}

void retl_partition_guard_step(struct retl_partition *p, int64_t now, int64_t *wake)
{
        struct guard *g = p->guard;
        char err[512];

        if (!g || p->draining)
                return;
        if (g->let_go) {
                retl_partition_guard_free(p);
                return;
        }
        if (g->phase == G_QUIET) {
                /* the row state must hold everything before the run */
                if (p->head != g->start || now < g->retry_ms)
                        return;
                if (open_reader(p, g, err, sizeof(err))) {
                        retl_log_warn(p->ctx, "guardrails of run=%s: %s (will retry in 5 s)",
                                      g->run->run_id, err);
                        g->retry_ms = now + 5000;
                        return;
                }
                retl_log_info(p->ctx, "run=%s sync=%s: counting its changes before sending it "
                              "(guardrails: max_changes %" PRId64 ", max_changes_percent %d)",
                              g->run->run_id, g->run->sync, g->max_changes, g->max_percent);
                g->phase = G_COUNT;
        }
        for (int n = 0; n < STEP_BUDGET && !g->let_go; n++) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(g->rk, 0);

                if (!m)
                        break;
                if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                        /* no decision in the log yet */
                        if (g->phase == G_SEEK)
                                report_held(p);
                } else if (m->err) {
                        retl_log_warn(p->ctx, "guardrails: %s", rd_kafka_message_errstr(m));
                } else {
                        take(p, m);
                }
                rd_kafka_message_destroy(m);
        }
        if (g->let_go) {
                retl_partition_guard_free(p);
                return;
        }
        if (*wake > (g->phase == G_HELD ? 250 : 5))
                *wake = g->phase == G_HELD ? 250 : 5;
}
