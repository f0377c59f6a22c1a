/* retl uploader — a workspace partition's row state, see partition_state.h. */
#include "consumer/partition_state.h"
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

#define PENDING_SIZE (1u << 16)

/* RETL_TEST_CRASH_AT=before-state-write|after-state-write: the integration
 * tests' way to kill the worker between accepting rows, writing their state
 * and committing. */
static void test_crash(const struct retl_partition *p, const char *where)
{
        const char *at = getenv("RETL_TEST_CRASH_AT");

        if (!at || strcmp(at, where))
                return;
        retl_log_warn(p->ctx, "RETL_TEST_CRASH_AT=%s: exiting now", where);
        _exit(86);
}

int retl_partition_state_load(struct retl_partition *p, char *errstr, size_t errstr_size)
{
        struct retl_statelog_stats st;
        struct retl_rowstate *rs;
        int64_t t0 = retl_pace_now_ms();

        if (p->rowstate)
                return 0;
        /* a failed load (topic refused, broker away) is tried again a few
         * seconds later, not on every turn of the loop */
        if (t0 < p->state_retry_ms) {
                errstr[0] = '\0';
                return -1;
        }
        p->state_retry_ms = t0 + 5000;
        if (!p->state_topic)
                p->state_topic = retl_asprintf("%s%s", p->env.kafka->state_topic_prefix,
                                               p->ws->name);
        if (retl_kafka_ensure_compacted_topic(p->env.producer, p->env.kafka, p->state_topic,
                                              15000, errstr, errstr_size))
                return -1;
        rs = retl_rowstate_new();
        if (retl_statelog_load(p->env.kafka, p->state_topic, p->env.codec, p->env.producer, rs,
                               NULL, NULL, &st, errstr, errstr_size)) {
                retl_rowstate_destroy(rs);
                return -1;
        }
        p->rowstate = rs;
        p->state_pending = retl_calloc(PENDING_SIZE, sizeof(*p->state_pending));
        /* the tombstones of stale keys go with the next commit's flush */
        p->state_written += st.tombstoned;
        retl_log_info(p->ctx,
                      "row state: %zu entries (%zu KiB in memory) from %s, %" PRId64
                      " records in %.1f s; %" PRId64 " stale (%" PRId64 " tombstoned)%s",
                      retl_rowstate_count(rs, -1), retl_rowstate_bytes(rs) / 1024,
                      p->state_topic, st.records, (double)(retl_pace_now_ms() - t0) / 1000,
                      st.stale, st.tombstoned,
                      st.undecodable ? "; some records were no RowState and count as absent"
                                     : "");
        return 0;
}

static uint16_t *pending_slot(struct retl_partition *p, const struct entry *e)
{
        return &p->state_pending[e->state_hash & (PENDING_SIZE - 1)];
}

int retl_partition_state_arrive(struct retl_partition *p, struct entry *e,
                                const struct retl_mapped *m)
{
        struct run *r = e->run;
        uint64_t fp;
        uint16_t *pending;
        int sidx;

        if (!p->rowstate || !m->state_id)
                return 0;
        sidx = retl_rowstate_sync(p->rowstate, r->sync);
        if (sidx < 0)
                return 0;
        /* kept until retired: a copy of its own size */
        retl_statelog_key(&p->state_keybuf, r->sync, m->state_id, m->state_id_len);
        e->state_key_len = retl_buf_len(&p->state_keybuf);
        e->state_key = retl_strndup(p->state_keybuf.b_data, e->state_key_len);
        e->state_hash = retl_rowstate_hash(e->state_key, e->state_key_len);
        e->state_sync = sidx;
        e->generation = retl_rowstate_generation(p->rowstate, sidx);
        /* the segment is not in the entity but changes what lands */
        e->fingerprint = retl_rowstate_fingerprint(
                e->json, e->json_len,
                e->part == RETL_PART_MAIN && r->s.import == RETL_IMPORT_PEOPLE
                        ? retl_partition_segname_state_key(r)
                        : 0);
        pending = pending_slot(p, e);
        /* Skipped only when nothing earlier of this key is still on its way:
         * an earlier row in flight will land after this one is decided, and
         * the state does not know it yet (a skip would leave the workspace
         * with that earlier row). A slot shared by another key only costs a
         * send. Replays and diff = false always send. */
        if (!r->replay_of && !r->s.send_unchanged && !*pending &&
            retl_rowstate_lookup(p->rowstate, e->state_hash, &fp) &&
            fp == e->fingerprint) {
                retl_partition_state_entry_free(e);
                free(e->json);
                e->json = NULL;
                e->outcome = O_UNCHANGED;
                e->done = 1;
                return 1;
        }
        if (*pending < UINT16_MAX)
                ++*pending;
        return 0;
}

/* A record could not be produced: the state on Kafka may now be behind
 * what the workspace accepted, so nothing more is committed; a restart
 * sends the rows after the last commit again. */
static void state_broken(struct retl_partition *p, const char *errstr)
{
        if (!p->state_broken)
                retl_log_error(p->ctx, "row state: %s; nothing more is committed for this "
                               "workspace until the worker restarts", errstr);
        p->state_broken = 1;
}

void retl_partition_state_retire(struct retl_partition *p, struct entry *e)
{
        uint64_t skey, fp;
        uint16_t *pending;
        int had;
        char errstr[512];

        if (!e->state_key || !p->rowstate)
                return;
        if (e->is_delete) {
                /* a delete the workspace accepted: the sync holds it no more */
                skey = e->state_hash;
                if (e->outcome != O_IMPORTED ||
                    e->generation != retl_rowstate_generation(p->rowstate, e->state_sync) ||
                    !retl_rowstate_remove(p->rowstate, skey))
                        return;
                if (retl_statelog_delete(p->env.producer, p->state_topic, e->state_key,
                                         e->state_key_len, errstr, sizeof(errstr)))
                        state_broken(p, errstr);
                p->state_written++;
                return;
        }
        pending = pending_slot(p, e);
        if (*pending)
                --*pending;
        /* reset since the row was read: it belongs to the old generation */
        if (e->generation != retl_rowstate_generation(p->rowstate, e->state_sync))
                return;
        skey = e->state_hash;
        had = retl_rowstate_lookup(p->rowstate, skey, &fp);
        if (e->outcome == O_IMPORTED) {
                if (had && fp == e->fingerprint)
                        return;
                test_crash(p, "before-state-write");
                retl_rowstate_put(p->rowstate, skey, e->state_sync, e->fingerprint);
                if (retl_statelog_put(p->env.producer, p->env.codec, p->state_topic,
                                      e->state_key, e->state_key_len, e->generation,
                                      e->fingerprint, errstr, sizeof(errstr)))
                        state_broken(p, errstr);
                p->state_written++;
        } else if (had) {
                /* sent but not accepted (it may have landed in part): the
                 * next run must send it whatever the state said */
                retl_rowstate_remove(p->rowstate, skey);
                if (retl_statelog_delete(p->env.producer, p->state_topic, e->state_key,
                                         e->state_key_len, errstr, sizeof(errstr)))
                        state_broken(p, errstr);
                p->state_written++;
        }
}

void retl_partition_state_reset(struct retl_partition *p, const struct retl_control *c)
{
        char errstr[512];
        size_t dropped;
        int sidx;

        if (!p->rowstate || !c->sync || !*c->sync)
                return;
        sidx = retl_rowstate_sync(p->rowstate, c->sync);
        if (sidx < 0)
                return;
        /* read again after a crash, or older than one applied since: nothing
         * to do (a generation only moves forward) */
        if (c->generation <= retl_rowstate_generation(p->rowstate, sidx)) {
                retl_log_info(p->ctx, "sync %s: row state reset to generation %" PRId64
                              " applied already", c->sync, c->generation);
                return;
        }
        dropped = retl_rowstate_reset_sync(p->rowstate, sidx);
        retl_rowstate_set_generation(p->rowstate, sidx, c->generation);
        if (retl_statelog_put_generation(p->env.producer, p->env.codec, p->state_topic, c->sync,
                                         c->generation, errstr, sizeof(errstr)))
                state_broken(p, errstr);
        p->state_written++;
        retl_log_info(p->ctx, "sync %s: row state reset (generation %" PRId64 ", %zu entries "
                      "dropped): its next runs send every row", c->sync, c->generation, dropped);
}

void retl_partition_state_commit_stage(struct retl_partition *p, const char *stage)
{
        if (!strcmp(stage, "flushed") && p->state_written)
                test_crash(p, "after-state-write");
        else if (!strcmp(stage, "committed"))
                p->state_written = 0;
}

void retl_partition_state_entry_free(struct entry *e)
{
        free(e->state_key);
        e->state_key = NULL;
        e->state_key_len = 0;
}

void retl_partition_state_free(struct retl_partition *p)
{
        retl_rowstate_destroy(p->rowstate);
        p->rowstate = NULL;
        free(p->state_pending);
        p->state_pending = NULL;
        retl_buf_free(&p->state_keybuf);
        free(p->state_topic);
        p->state_topic = NULL;
}
