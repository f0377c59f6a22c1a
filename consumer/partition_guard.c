/* retl uploader — guardrails: runs counted before they are sent, held over
 * their sync's bounds, see partition_guard.h. */
#include "consumer/partition_guard.h"
#include "consumer/guardrail.h"
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
        G_HELD,         /* reported held: waiting for the decision */
        G_KEYS          /* let go, mirror: reading the state topic for what to delete */
};

struct guard {
        struct run *run;
        struct entry *start;            /* its RunStarted, undone until the verdict */
        enum phase phase;
        struct retl_cfg_sync bounds;    /* the sync's bounds when it began (only those) */
        int mirror, has_rel;            /* a mirror sync (with a relationship query) */
        struct retl_rowstate *seen;     /* mirror: state keys the run holds */
        int64_t kept;                   /* ... of those the sync holds */
        int64_t rel_rows, corrupt;
        int fin_ok;                     /* its RunFinished says it completed */
        int64_t deletes;                /* mirror: identifiers to delete */
        char *note;                     /* mirror: why nothing is deleted, or NULL */
        struct retl_buf keys;           /* G_KEYS: the state keys to delete, length-prefixed */
        int64_t nkeys;
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
        /* a replay is the operator's own act: never held, never deletes */
        if (!s || !retl_guardrail_applies(s) || r->replay_of ||
            p->guard || !p->rowstate)
                return 0;
        g = retl_calloc(1, sizeof(*g));
        g->run = r;
        g->start = start;
        g->bounds.max_changes = s->max_changes;
        g->bounds.max_changes_percent = s->max_changes_percent;
        g->bounds.max_deletes = s->max_deletes;
        g->bounds.max_deletes_percent = s->max_deletes_percent;
        g->mirror = s->mirror;
        g->has_rel = s->relationship_query != NULL;
        if (g->mirror) {
                g->seen = retl_rowstate_new();
                retl_rowstate_sync(g->seen, "seen");
        }
        retl_buf_init(&g->keys, 0);
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
        retl_buf_free(&g->keys);
        retl_rowstate_destroy(g->seen);
        free(g->note);
        free(g);
        p->guard = NULL;
}

static int open_reader(struct retl_partition *p, struct guard *g, char *err, size_t errsize)
{
        /* its prefetch bounded: counting needs no read-ahead worth 64 MiB */
        static const char *const extra[] = {"enable.partition.eof", "true",
                                            "queued.max.messages.kbytes", "8192", NULL};
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
        if (!rejected && g->nkeys) {
                r->deletes = g->keys;
                r->ndeletes = g->nkeys;
                retl_buf_init(&g->keys, 0);
        }
        if (g->note && !r->note) {
                r->note = g->note;
                g->note = NULL;
        }
        g->start->done = 1;
        if (g->dropped) {
                /* what was read past the RunStarted (or a resumed run's
                 * checkpoint) is read again */
                rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
                rd_kafka_error_t *error;

                rd_kafka_topic_partition_list_add(l, p->topic, 0)->offset = p->expect;
                error = rd_kafka_seek_partitions(p->env.rk, l, 10000);
                if (error) {
                        retl_log_error(p->ctx, "seek to %" PRId64 ": %s", p->expect,
                                       rd_kafka_error_string(error));
                        rd_kafka_error_destroy(error);
                }
                rd_kafka_topic_partition_list_destroy(l);
        }
        g->let_go = 1;
}

/* Let go, not rejected: a mirror run with deletes first finds their keys. */
static void go_on(struct retl_partition *p)
{
        struct guard *g = p->guard;
        rd_kafka_topic_partition_list_t *l;

        if (!g->mirror || g->deletes <= 0) {
                release(p, 0);
                return;
        }
        l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, p->state_topic, 0)->offset =
                RD_KAFKA_OFFSET_BEGINNING;
        if (rd_kafka_assign(g->rk, l)) {
                /* without the keys nothing can be deleted: the run goes on
                 * without its deletes, which the next run finds again */
                retl_log_error(p->ctx, "run=%s: cannot read %s for the identifiers to delete; "
                               "nothing deleted this run", g->run->run_id, p->state_topic);
                g->deletes = 0;
                release(p, 0);
        } else {
                g->phase = G_KEYS;
        }
        rd_kafka_topic_partition_list_destroy(l);
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
        if (reject)
                release(p, 1);
        else
                go_on(p);
}

/* What the sync holds, and what a mirror run deletes (or why nothing). */
static void plan_deletes(struct retl_partition *p, struct guard *g)
{
        int sidx = retl_rowstate_sync_find(p->rowstate, g->run->sync);
        struct retl_guardrail_counts c = {0};
        char why[300];

        g->holds = sidx >= 0 ? (int64_t)retl_rowstate_count(p->rowstate, sidx) : 0;
        g->deletes = 0;
        if (!g->mirror)
                return;
        c.holds = g->holds;
        c.kept = g->kept;
        c.rows = g->rows;
        c.rel_rows = g->rel_rows;
        c.failed = g->failed;
        c.corrupt = g->corrupt;
        c.complete = g->fin_ok;
        c.has_rel = g->has_rel;
        g->deletes = retl_guardrail_deletes(&c, why, sizeof(why));
        if (why[0]) {
                free(g->note);
                g->note = retl_asprintf("mirror: nothing deleted: %s", why);
                retl_log_warn(p->ctx, "run=%s sync=%s %s", g->run->run_id, g->run->sync, g->note);
        }
}

static void verdict(struct retl_partition *p)
{
        struct guard *g = p->guard;

        plan_deletes(p, g);
        if (!retl_guardrail_over(&g->bounds, g->holds, g->changes, g->deletes, g->reason,
                                 sizeof(g->reason))) {
                retl_log_info(p->ctx, "run=%s sync=%s within its guardrails: %" PRId64
                              " identifiers to add or change, %" PRId64 " to delete (the sync "
                              "holds %" PRId64 "); sending it", g->run->run_id, g->run->sync,
                              g->changes, g->deletes, g->holds);
                go_on(p);
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
                uint64_t h;
                int held;

                retl_statelog_key(&g->key, r->sync, m.state_id, m.state_id_len);
                h = retl_rowstate_hash(g->key.b_data, retl_buf_len(&g->key));
                fp = retl_rowstate_fingerprint(
                        g->json.b_data, retl_buf_len(&g->json),
                        row->part == RETL_PART_MAIN && r->s.import == RETL_IMPORT_PEOPLE
                                ? retl_partition_segname_state_key(r)
                                : 0);
                held = retl_rowstate_lookup(p->rowstate, h, &old);
                if (!held || old != fp)
                        g->changes++;
                /* mirror: what the result holds of the sync's identifiers,
                 * each once */
                if (g->seen && !retl_rowstate_lookup(g->seen, h, &old)) {
                        retl_rowstate_put(g->seen, h, 0, 0);
                        if (held)
                                g->kept++;
                }
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

        if (retl_codec_decode(p->env.codec, m->payload, m->len, &rec, why, sizeof(why))) {
                /* the ledger reports it when it reads it */
                if (g->phase == G_COUNT)
                        g->corrupt++;
                return;
        }
        switch (rec.type) {
        case RETL_REC_ROW:
                if (g->phase == G_COUNT && !strcmp(rec.u.row.run_id, run_id))
                        count_row(p, g, &rec.u.row);
                break;
        case RETL_REC_RUN_FINISHED:
                if (g->phase == G_COUNT && !strcmp(rec.u.run_finished.run_id, run_id)) {
                        g->fin_ok = rec.u.run_finished.status == RETL_EXTRACT_OK &&
                                    rec.u.run_finished.rows + rec.u.run_finished.relationship_rows
                                            == g->rows;
                        g->rel_rows = rec.u.run_finished.relationship_rows;
                        verdict(p);
                }
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

/* G_KEYS: one record of the state topic. A key of the sync's that the row
 * state holds and the run does not is to be deleted (once). */
static void take_key(struct retl_partition *p, const rd_kafka_message_t *m)
{
        struct guard *g = p->guard;
        const char *sync = g->run->sync;
        size_t sl = strlen(sync);
        uint64_t h, fp;
        uint32_t len;

        if (!m->key || m->key_len <= sl + 1 || memcmp(m->key, sync, sl) ||
            ((const char *)m->key)[sl] != '\0' ||
            (m->key_len == sl + 1 + strlen("generation") &&
             !memcmp((const char *)m->key + sl + 1, "generation", strlen("generation"))))
                return;
        h = retl_rowstate_hash(m->key, m->key_len);
        if (!retl_rowstate_lookup(p->rowstate, h, &fp) || retl_rowstate_lookup(g->seen, h, &fp))
                return;
        retl_rowstate_put(g->seen, h, 0, 0);
        len = (uint32_t)m->key_len;
        if (retl_buf_append(&g->keys, &len, sizeof(len)) ||
            retl_buf_append(&g->keys, m->key, m->key_len))
                return;
        g->nkeys++;
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
                retl_log_info(p->ctx, "run=%s sync=%s: counting its changes%s before sending it",
                              g->run->run_id, g->run->sync,
                              g->mirror ? " and deletes (mirror)" : "");
                g->phase = G_COUNT;
        }
        for (int n = 0; n < STEP_BUDGET && !g->let_go; n++) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(g->rk, 0);

                if (!m)
                        break;
                const char *topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "";

                if (g->phase == G_KEYS) {
                        /* the workspace topic's messages still queued are
                         * not of this phase */
                        if (strcmp(topic, p->state_topic)) {
                        } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                                if (g->nkeys != g->deletes)
                                        retl_log_info(p->ctx, "run=%s: %" PRId64 " keys to "
                                                      "delete found in %s (%" PRId64 " counted)",
                                                      g->run->run_id, g->nkeys, p->state_topic,
                                                      g->deletes);
                                release(p, 0);
                        } else if (!m->err) {
                                take_key(p, m);
                        }
                } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
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
