/* retl uploader — the run ledger of a workspace partition, see
 * partition_ledger.h. */
#include "consumer/partition_ledger.h"
#include "consumer/mapping.h"
#include "consumer/partition_batcher.h"
#include "consumer/partition_commit.h"
#include "consumer/partition_guard.h"
#include "consumer/partition_metrics.h"
#include "consumer/partition_report.h"
#include "consumer/partition_state.h"
#include "consumer/rowstate.h"
#include "lib/log.h"
#include "lib/mem.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void entry_free(struct entry *e)
{
        if (e->run)
                e->run->refs--;
        free(e->json);
        free(e->ident);
        free(e->fin_error);
        retl_partition_state_entry_free(e);
        free(e);
}

static void run_free(struct run *r)
{
        free(r->run_id);
        free(r->sync);
        free(r->replay_of);
        free((char *)r->s.object_type_id);
        free((char *)r->s.segment_name);
        free((char *)r->s.segment_description);
        free(r->seg_error);
        retl_buf_free(&r->deletes);
        free(r->note);
        free(r);
}

static struct entry *entry_add(struct retl_partition *p, int64_t offset, enum ekind kind,
                               struct run *r)
{
        struct entry *e = retl_calloc(1, sizeof(*e));

        e->offset = offset;
        e->kind = kind;
        e->run = r;
        if (r)
                r->refs++;
        if (p->tail)
                p->tail->next = e;
        else
                p->head = e;
        p->tail = e;
        p->nentries++;
        return e;
}

void retl_partition_ledger_skip(struct retl_partition *p, int64_t offset)
{
        entry_add(p, offset, E_OTHER, NULL)->done = 1;
}

void retl_partition_ledger_run_begin(struct retl_partition *p, const struct retl_run_started *rs,
                                     int64_t offset)
{
        struct run *r = retl_calloc(1, sizeof(*r));
        struct entry *e;

        r->run_id = retl_strdup(rs->run_id);
        r->sync = retl_strdup(rs->sync);
        r->replay_of = rs->replay_of ? retl_strdup(rs->replay_of) : NULL;
        r->started_at_ms = rs->started_at_ms;
        /* the database's clock; a record from before retl read it has only
         * the extractor's */
        r->watermark_s = (rs->db_clock_ms > 0 ? rs->db_clock_ms : rs->started_at_ms) / 1000;
        r->start_offset = offset;
        r->import_start_ms = retl_pace_wall_ms();
        r->s = rs->settings;
        r->s.object_type_id = retl_strdup(rs->settings.object_type_id
                                                  ? rs->settings.object_type_id : "1");
        r->s.query = NULL;
        r->s.relationship_query = NULL;
        r->s.segment_name = rs->settings.segment_name ? retl_strdup(rs->settings.segment_name)
                                                      : NULL;
        r->s.segment_description = rs->settings.segment_description
                                           ? retl_strdup(rs->settings.segment_description)
                                           : NULL;
        r->next = p->runs;
        p->runs = r;
        retl_partition_commit_note_sync(p, r->sync);
        if (offset == p->resume_run_offset) {
                rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
                rd_kafka_error_t *error;

                r->resumed = 1;
                r->resume_at = p->resume_offset;
                r->rows = r->rows_at_cp = p->cp.run_rows;
                r->imported = p->cp.run_imported;
                r->failed = p->cp.run_failed;
                r->suppressed = p->cp.run_suppressed;
                r->unchanged = p->cp.run_unchanged;
                /* the rows up to the checkpoint are done: go past them */
                rd_kafka_topic_partition_list_add(l, p->topic, 0)->offset = p->resume_offset;
                error = rd_kafka_seek_partitions(p->env.rk, l, 10000);
                if (error) {
                        retl_log_warn(p->ctx, "seek to %" PRId64 ": %s (reading on instead)",
                                      p->resume_offset, rd_kafka_error_string(error));
                        rd_kafka_error_destroy(error);
                }
                rd_kafka_topic_partition_list_destroy(l);
                p->expect = p->resume_offset;
                p->resume_run_offset = -1;
                retl_log_info(p->ctx, "run=%s sync=%s resumed at offset %" PRId64, r->run_id,
                              r->sync, p->resume_offset);
        } else {
                retl_log_info(p->ctx, "run=%s sync=%s started (%s%s, offset %" PRId64 ")",
                              r->run_id, r->sync,
                              r->s.import == RETL_IMPORT_OBJECTS ? "objects" : "people",
                              r->replay_of ? ", replay" : "", offset);
        }
        p->reading = r;
        e = entry_add(p, offset, E_START, r);
        /* a guarded run's start waits for the verdict: nothing of it
         * retires, nothing past it is committed */
        e->done = !retl_partition_guard_begin(p, r, e);
}

void retl_partition_ledger_row(struct retl_partition *p, const struct retl_row *row,
                               int64_t offset)
{
        struct run *r = p->reading;
        struct retl_mapped m;
        char why[512];
        struct entry *e;
        int skip;

        if (!r || strcmp(r->run_id, row->run_id)) {
                /* rows whose RunStarted we never saw cannot be imported */
                if (!p->orphans++ || p->orphans % 10000 == 0)
                        retl_log_warn(p->ctx,
                                      "row of run %s at offset %" PRId64
                                      " has no RunStarted before it; skipped (%" PRId64 " so far)",
                                      row->run_id, offset, p->orphans);
                retl_partition_ledger_skip(p, offset);
                return;
        }
        if (r->rejected) {
                retl_partition_ledger_skip(p, offset);
                return;
        }
        e = entry_add(p, offset, E_ROW, r);
        e->part = row->part;
        e->row_number = row->row_number;
        if (retl_mapping_row(&r->s, row, &p->row_json, &m, why, sizeof(why))) {
                e->ident = m.ident;
                m.ident = NULL;
                e->outcome = O_FAILED;
                e->done = 1;
                retl_partition_report_failure(p, e, why);
                return;
        }
        /* kept until answered: a copy of its own size */
        e->json_len = retl_buf_len(&p->row_json);
        e->json = retl_strndup(p->row_json.b_data, e->json_len);
        e->ident = m.ident;
        e->keys[0] = m.keys[0];
        e->keys[1] = m.keys[1];
        e->nkeys = m.nkeys;
        skip = retl_partition_state_arrive(p, e, &m);
        free(m.state_id);
        if (skip)
                return;         /* unchanged: done, retired in log order */
        if (e->part == RETL_PART_MAIN)
                r->main_pending++;
        retl_partition_batcher_enqueue(p, e);
}

/* A mirror run's deletes, queued after its rows, before its end. They sit
 * at the offset before its RunFinished: until they retire, nothing past the
 * run's last row is committed, and a restart finds them again. Relationships
 * go first (@p rels), then people and objects: the entity keys keep a
 * person's delete behind the removal of its relationships, which would
 * otherwise create the person again. All count as main rows, so that the
 * batcher does not hold the relationships back behind the deletes. */
static void add_deletes_of(struct retl_partition *p, struct run *r, int64_t end_offset,
                           int rels)
{
        int sidx = retl_rowstate_sync_find(p->rowstate, r->sync);
        size_t sl = strlen(r->sync) + 1;
        struct retl_buf json;
        char why[512];

        retl_buf_init(&json, 0);
        for (size_t at = 0; sidx >= 0 && at < retl_buf_len(&r->deletes);) {
                struct retl_mapped m;
                struct entry *e;
                uint32_t len;
                const char *key;

                memcpy(&len, r->deletes.b_data + at, sizeof(len));
                key = r->deletes.b_data + at + sizeof(len);
                at += sizeof(len) + len;
                if ((key[sl] == 'r') != rels)
                        continue;
                e = entry_add(p, end_offset - 1, E_ROW, r);
                e->is_delete = 1;
                e->part = RETL_PART_MAIN;
                if (retl_mapping_delete(key + sl, len - sl, &json, &m, why, sizeof(why))) {
                        e->outcome = O_FAILED;
                        e->done = 1;
                        retl_partition_report_failure(p, e, why);
                        retl_mapped_free(&m);
                        continue;
                }
                e->json = retl_buf_take(&json, &e->json_len);
                e->ident = m.ident;
                m.ident = NULL;
                e->keys[0] = m.keys[0];
                e->keys[1] = m.keys[1];
                e->nkeys = m.nkeys;
                e->state_key = retl_malloc(len);
                memcpy(e->state_key, key, len);
                e->state_key_len = len;
                e->state_hash = retl_rowstate_hash(key, len);
                e->state_sync = sidx;
                e->generation = retl_rowstate_generation(p->rowstate, sidx);
                retl_mapped_free(&m);
                r->main_pending++;
                retl_partition_batcher_enqueue(p, e);
        }
        retl_buf_free(&json);
}

static void add_deletes(struct retl_partition *p, struct run *r, int64_t end_offset)
{
        retl_log_info(p->ctx, "run=%s sync=%s: deleting %" PRId64 " identifiers the result no "
                      "longer holds", r->run_id, r->sync, r->ndeletes);
        add_deletes_of(p, r, end_offset, 1);
        add_deletes_of(p, r, end_offset, 0);
        retl_buf_free(&r->deletes);
        r->ndeletes = 0;
}

void retl_partition_ledger_run_end(struct retl_partition *p, const struct retl_run_finished *rf,
                                   int64_t offset)
{
        struct entry *e;

        if (!p->reading || strcmp(p->reading->run_id, rf->run_id)) {
                retl_log_warn(p->ctx, "RunFinished of run %s at offset %" PRId64
                              " without its RunStarted; skipped", rf->run_id, offset);
                retl_partition_ledger_skip(p, offset);
                return;
        }
        if (p->reading->ndeletes && rf->status == RETL_EXTRACT_OK)
                add_deletes(p, p->reading, offset);
        e = entry_add(p, offset, E_END, p->reading);
        e->done = 1;
        e->fin_status = rf->status;
        e->fin_rows = rf->rows + rf->relationship_rows;
        e->fin_error = rf->error ? retl_strdup(rf->error) : NULL;
        p->reading = NULL;
}

/* Run @p next starts at @p offset while the run being retired has no
 * RunFinished (the extractor died mid-run): that one ends FAILED here.
 * @returns 0, or -1 when its commit failed (retry). */
static int end_unfinished_run(struct retl_partition *p, const struct run *next, int64_t offset)
{
        struct run *unfinished = p->retiring;
        char why[200];

        snprintf(why, sizeof(why), "the run never finished in the log "
                 "(run %s started at offset %" PRId64 ")", next->run_id, offset);
        if (!unfinished->reported)
                retl_log_warn(p->ctx, "run=%s has no RunFinished before the next RunStarted: "
                              "it failed", unfinished->run_id);
        if (retl_partition_commit_run_end(p, unfinished, offset, RETL_EXTRACT_FAILED,
                                          RETL_PARTITION_NEVER_FINISHED, why))
                return -1;
        if (p->reading == unfinished)
                p->reading = NULL;
        p->retiring = NULL;
        return 0;
}

/* Retired rows go to the metrics by runs of rows alike (same run, same
 * series), not one by one: each add formats labels and takes the
 * registry's lock. */
struct tally {
        const struct run *r;
        const char *series;
        int64_t n;
};

static void tally_flush(struct retl_partition *p, struct tally *t)
{
        if (t->n)
                retl_partition_metrics_rows(p, t->r->sync, t->series, t->n);
        t->n = 0;
}

static void tally_add(struct retl_partition *p, struct tally *t, const struct run *r,
                      const char *series)
{
        if (t->n && (t->r != r || t->series != series))
                tally_flush(p, t);
        t->r = r;
        t->series = series;
        t->n++;
}

static void retire_entries(struct retl_partition *p, struct tally *t)
{
        struct entry *e;

        while ((e = p->head) && e->done) {
                struct run *r = e->run;

                switch (e->kind) {
                case E_START:
                        if (p->retiring && p->retiring != r &&
                            end_unfinished_run(p, r, e->offset)) {
                                p->commit_retry_ms = retl_pace_now_ms() + 1000;
                                return;
                        }
                        p->retiring = r;
                        /* A run already in the log when this worker got the
                         * workspace may have been finished by the previous
                         * worker, whose final report went out and whose
                         * commit did not: no RUNNING and no second final
                         * report then, one final report per run. */
                        if (r->start_offset < p->inherited_end &&
                            retl_partition_report_final_exists(p, r)) {
                                r->reported = 1;
                                retl_log_info(p->ctx, "run=%s sync=%s: its final report is on "
                                              "the imports topic already (sent by the "
                                              "workspace's previous worker, whose commit did "
                                              "not land): not sent again", r->run_id, r->sync);
                        } else if (!r->resumed && !r->rejected)
                                retl_partition_report_import(p, r, RETL_IMPORT_RUNNING,
                                                             retl_checkpoint_get(&p->cp, r->sync),
                                                             NULL);
                        break;
                case E_ROW:
                        if (e->is_delete) {
                                if (e->outcome == O_IMPORTED)
                                        r->deleted++;
                                else
                                        r->failed++;
                                tally_add(p, t, r,
                                          e->outcome == O_IMPORTED ? "retl_rows_deleted_total"
                                                                   : "retl_rows_failed_total");
                                retl_partition_state_retire(p, e);
                                break;
                        }
                        r->rows++;
                        if (e->outcome == O_IMPORTED || e->outcome == O_FAILED ||
                            e->outcome == O_UNCHANGED)
                                tally_add(p, t, r,
                                          e->outcome == O_IMPORTED    ? "retl_rows_sent_total"
                                          : e->outcome == O_UNCHANGED ? "retl_rows_unchanged_total"
                                                                      : "retl_rows_failed_total");
                        if (e->outcome == O_IMPORTED)
                                r->imported++;
                        else if (e->outcome == O_FAILED)
                                r->failed++;
                        else if (e->outcome == O_SUPPRESSED)
                                r->suppressed++;
                        else if (e->outcome == O_UNCHANGED)
                                r->unchanged++;
                        retl_partition_state_retire(p, e);
                        break;
                case E_END:
                        if (retl_partition_commit_run_end(p, r, e->offset + 1, e->fin_status,
                                                          e->fin_rows, e->fin_error)) {
                                p->commit_retry_ms = retl_pace_now_ms() + 1000;
                                return;
                        }
                        if (p->retiring == r)
                                p->retiring = NULL;
                        break;
                case E_OTHER:
                        break;
                }
                p->head = e->next;
                if (!p->head)
                        p->tail = NULL;
                p->nentries--;
                p->next_offset = e->offset + 1;
                if (e->kind == E_START && r->resumed && p->next_offset < r->resume_at)
                        p->next_offset = r->resume_at;  /* rows up to the checkpoint are done */
                entry_free(e);
        }
}

void retl_partition_ledger_retire(struct retl_partition *p)
{
        struct tally t = {NULL, NULL, 0};

        retire_entries(p, &t);
        tally_flush(p, &t);
}

void retl_partition_ledger_free_runs(struct retl_partition *p)
{
        struct run **pp = &p->runs;

        /* a run is freed once nothing refers to it any more */
        while (*pp) {
                struct run *r = *pp;
                if (!r->refs && r != p->reading && r != p->retiring) {
                        *pp = r->next;
                        run_free(r);
                } else {
                        pp = &r->next;
                }
        }
}

void retl_partition_ledger_free(struct retl_partition *p)
{
        while (p->head) {
                struct entry *e = p->head;
                p->head = e->next;
                entry_free(e);
        }
        while (p->runs) {
                struct run *r = p->runs;
                p->runs = r->next;
                run_free(r);
        }
        retl_buf_free(&p->row_json);
}

size_t retl_partition_ledger_pending(const struct retl_partition *p)
{
        return p->nentries;
}
