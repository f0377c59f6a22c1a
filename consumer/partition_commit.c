/* retl uploader — checkpoints and commits of a workspace partition, see
 * partition_commit.h. */
#include "consumer/partition_commit.h"
#include "consumer/partition_metrics.h"
#include "consumer/partition_report.h"
#include "consumer/partition_state.h"
#include "lib/log.h"
#include "lib/mem.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void retl_partition_commit_forget_unlisted(struct retl_partition *p)
{
        for (size_t i = 0; i < p->nunlisted; i++)
                free(p->unlisted[i]);
        p->nunlisted = 0;
}

/* 1 when @p sync is a sync of the configuration, 0 when it is not, -1 when
 * the configuration lists no sync of this workspace (an uploader's file
 * may leave the syncs out: then nothing is known to be deleted). */
static int sync_listed(const struct retl_partition *p, const char *sync)
{
        int any = -1;

        for (size_t i = 0; i < p->cfg->nsyncs; i++) {
                const struct retl_cfg_sync *s = &p->cfg->syncs[i];
                if (strcmp(s->workspace, p->ws->name))
                        continue;
                if (!strcmp(s->name, sync))
                        return 1;
                any = 0;
        }
        return any;
}

void retl_partition_commit_note_sync(struct retl_partition *p, const char *sync)
{
        if (sync_listed(p, sync) || p->nunlisted >= MAX_UNLISTED)
                return;
        for (size_t i = 0; i < p->nunlisted; i++)
                if (!strcmp(p->unlisted[i], sync))
                        return;
        p->unlisted[p->nunlisted++] = retl_strdup(sync);
}

/* Drops from the checkpoint the syncs the configuration no longer lists: a
 * sync re-created under the same name must start from last_sync_time 0, and
 * entries of deleted syncs must not pile up to the metadata's size limit.
 * Kept: @p keep (the sync of the run being committed, NULL = none) and the
 * syncs whose runs were read since this configuration was set. */
static void forget_deleted_syncs(struct retl_partition *p, const char *keep)
{
        for (size_t i = 0; i < p->cp.nsyncs;) {
                const char *name = p->cp.syncs[i].name;
                int kept = (keep && !strcmp(name, keep)) || sync_listed(p, name) != 0;

                for (size_t j = 0; j < p->nunlisted && !kept; j++)
                        kept = !strcmp(p->unlisted[j], name);
                if (kept) {
                        i++;
                        continue;
                }
                retl_log_warn(p->ctx, "sync %s is no longer configured: its last_sync_time is "
                              "forgotten", name);
                retl_checkpoint_remove(&p->cp, name);
        }
}

/* The text of @p cp, made to fit RETL_CHECKPOINT_MAX when the workspace has
 * too many syncs: rather than never committing again (the extractor would
 * skip every later run), last_sync_times are forgotten, the latest added
 * first and @p keep last; those syncs' next runs read every row again, so
 * nothing is lost. Removed entries are gone from @p cp too. free() it. */
static char *format_fitting(struct retl_partition *p, struct retl_checkpoint *cp,
                            const char *keep)
{
        char errstr[256], names[512] = "";
        size_t was = cp->nsyncs, len = 0;
        char *meta = retl_checkpoint_format(cp, errstr, sizeof(errstr));

        while (!meta && cp->nsyncs) {
                size_t i = cp->nsyncs - 1;
                if (keep && i > 0 && !strcmp(cp->syncs[i].name, keep))
                        i--;
                if (len < sizeof(names)) {
                        int n = snprintf(names + len, sizeof(names) - len, "%s%s",
                                         len ? ", " : "", cp->syncs[i].name);
                        len += n > 0 ? (size_t)n : 0;
                }
                retl_checkpoint_remove(cp, cp->syncs[i].name);
                meta = retl_checkpoint_format(cp, errstr, sizeof(errstr));
        }
        if (cp->nsyncs != was)
                retl_log_error(p->ctx,
                               "workspace %s: the checkpoint of its %zu syncs is over the %d "
                               "bytes a commit's metadata may hold; the last_sync_time of %zu "
                               "of them is forgotten (%s%s), their next runs import every row "
                               "again: give the workspace fewer syncs or shorter names",
                               p->ws->name, was, RETL_CHECKPOINT_MAX, was - cp->nsyncs, names,
                               len >= sizeof(names) ? "..." : "");
        if (!meta)
                retl_log_error(p->ctx, "%s", errstr);
        return meta;
}

/* Commits @p offset with @p cp (made to fit, see format_fitting; @p keep:
 * the sync of the run being committed). */
static int commit(struct retl_partition *p, int64_t offset, struct retl_checkpoint *cp,
                  const char *keep)
{
        rd_kafka_topic_partition_list_t *l;
        rd_kafka_topic_partition_t *tp;
        rd_kafka_resp_err_t err;
        char *meta;

        if (p->state_broken)
                return -1;      /* the row state may be behind what was accepted */
        /* reports, failed rows and the row state first: a crash after this
         * leaves the state ahead of the commit, never behind it */
        if (p->env.flush(p->env.flush_arg)) {
                retl_log_warn(p->ctx, "reports not delivered yet; commit postponed");
                return -1;
        }
        retl_partition_state_commit_stage(p, "flushed");
        meta = format_fitting(p, cp, keep);
        if (!meta)
                return -1;
        l = rd_kafka_topic_partition_list_new(1);
        tp = rd_kafka_topic_partition_list_add(l, p->topic, 0);
        tp->offset = offset;
        tp->metadata = meta;            /* freed by list_destroy */
        tp->metadata_size = strlen(meta);
        /* synchronous; the error is in the return value only */
        err = rd_kafka_commit(p->env.rk, l, 0);
        if (err) {
                retl_log_warn(p->ctx, "commit of offset %" PRId64 " failed: %s (will retry)",
                              offset, rd_kafka_err2str(err));
                rd_kafka_topic_partition_list_destroy(l);
                return -1;
        }
        retl_log_info(p->ctx, "committed offset %" PRId64 " \"%s\"", offset, meta);
        retl_partition_state_commit_stage(p, "committed");
        rd_kafka_topic_partition_list_destroy(l);
        p->committed = offset;
        p->last_cp_ms = retl_pace_now_ms();
        return 0;
}

/* Where the next commit may go: the first entry without its outcome. */
static int64_t commit_position(const struct retl_partition *p)
{
        return p->head ? p->head->offset : p->next_offset;
}

void retl_partition_commit_checkpoint(struct retl_partition *p, int force)
{
        int64_t pos = commit_position(p), now = retl_pace_now_ms();
        struct retl_checkpoint cp;
        struct run *r = p->retiring;

        if (!p->ws || !p->ready || p->auth_blocked || pos < 0 || pos <= p->committed)
                return;
        if (now < p->commit_retry_ms && !force)
                return;
        if (r) {
                if (!force && r->rows - r->rows_at_cp < p->env.checkpoint_rows &&
                    now - p->last_cp_ms < p->env.checkpoint_ms)
                        return;
        } else if (p->head && !force) {
                return;         /* a run's start waits in the queue: its end will commit */
        }
        forget_deleted_syncs(p, r ? r->sync : NULL);
        retl_checkpoint_copy(&cp, &p->cp);
        if (r) {
                cp.run_offset = r->start_offset;
                cp.run_rows = r->rows;
                cp.run_imported = r->imported;
                cp.run_failed = r->failed;
                cp.run_suppressed = r->suppressed;
                cp.run_unchanged = r->unchanged;
        }
        if (commit(p, pos, &cp, r ? r->sync : NULL)) {
                p->commit_retry_ms = now + 1000;
        } else {
                if (r)
                        r->rows_at_cp = r->rows;
                if (cp.nsyncs != p->cp.nsyncs) {
                        /* what did not fit is forgotten here too */
                        struct retl_checkpoint_sync *syncs = p->cp.syncs;
                        size_t nsyncs = p->cp.nsyncs;
                        p->cp.syncs = cp.syncs;
                        p->cp.nsyncs = cp.nsyncs;
                        cp.syncs = syncs;
                        cp.nsyncs = nsyncs;
                }
        }
        retl_checkpoint_free(&cp);
}

int retl_partition_commit_run_end(struct retl_partition *p, struct run *r, int64_t offset,
                                  enum retl_extract_status xst, int64_t expected_rows,
                                  const char *xerr)
{
        int64_t old = retl_checkpoint_get(&p->cp, r->sync), lst = old;
        enum retl_import_status st;
        char why[300], full[600], note[1000];
        const char *error = NULL;
        struct retl_checkpoint cp;
        int rc;

        if (r->rejected) {
                st = RETL_IMPORT_REJECTED;
                snprintf(why, sizeof(why), "rejected by `retl reject` after its guardrails held "
                         "it: nothing sent, last_sync_time unchanged (the next run reads these "
                         "rows again)");
                error = why;
        } else if (expected_rows == RETL_PARTITION_NEVER_FINISHED) {
                st = RETL_IMPORT_FAILED;
                snprintf(why, sizeof(why), "%s", xerr);
                error = why;
        } else if (xst != RETL_EXTRACT_OK) {
                st = RETL_IMPORT_FAILED;
                snprintf(why, sizeof(why), "extraction %s%s%s",
                         xst == RETL_EXTRACT_CANCELLED ? "cancelled" : "failed",
                         xerr ? ": " : "", xerr ? xerr : "");
                error = why;
        } else if (r->corrupt) {
                st = RETL_IMPORT_FAILED;
                snprintf(why, sizeof(why), "%" PRId64 " records of the run could not be decoded",
                         r->corrupt);
                error = why;
        } else if (expected_rows >= 0 && expected_rows != r->rows) {
                st = RETL_IMPORT_FAILED;
                snprintf(why, sizeof(why),
                         "the run announced %" PRId64 " rows but %" PRId64
                         " were in the log",
                         expected_rows, r->rows);
                error = why;
        } else if (r->failed || r->unmatched) {
                st = RETL_IMPORT_SOME_ROWS_FAILED;
        } else {
                st = RETL_IMPORT_COMPLETED;
                /* a replay never moves last_sync_time; nothing moves it back */
                if (!r->replay_of && r->watermark_s > old)
                        lst = r->watermark_s;
        }
        if (r->unmatched) {
                /* The workspace refused something no row can be matched
                 * to: the run is no plain success, and its last_sync_time
                 * stays, so the next run sends these rows again. */
                snprintf(full, sizeof(full),
                         "%s%sthe workspace answered %" PRId64 " error%s retl could not match "
                         "to a row (batch_index out of range, negative or not a number); the "
                         "rows without an error of their own count as imported",
                         error ? error : "", error ? "; " : "", r->unmatched,
                         r->unmatched == 1 ? "" : "s");
                error = full;
        }
        if (r->note && !r->rejected) {
                /* a mirror run that deleted nothing, and why */
                snprintf(note, sizeof(note), "%s%s%s", error ? error : "", error ? "; " : "",
                         r->note);
                error = note;
        }
        if (!r->reported) {
                retl_partition_report_import(p, r, st, lst, error);
                r->reported = 1;
                retl_partition_metrics_import(p, r->sync, st);
                if (st == RETL_IMPORT_COMPLETED && !r->replay_of)
                        retl_partition_metrics_last_completed(p, r->sync, r->watermark_s);
                retl_log_info(p->ctx,
                              "run=%s sync=%s %s: %" PRId64 " rows, %" PRId64
                              " imported, %" PRId64 " unchanged, %" PRId64 " deleted, %" PRId64
                              " failed, %" PRId64
                              " suppressed ignored, %.1f s; last_sync_time %" PRId64 "%s%s",
                              r->run_id, r->sync, retl_import_status_name(st), r->rows,
                              r->imported, r->unchanged, r->deleted, r->failed, r->suppressed,
                              (double)(retl_pace_wall_ms() - r->import_start_ms) / 1000.0,
                              lst, error ? "; " : "", error ? error : "");
        }
        forget_deleted_syncs(p, r->sync);
        retl_checkpoint_copy(&cp, &p->cp);
        retl_checkpoint_set(&cp, r->sync, lst);
        cp.run_offset = -1;
        rc = commit(p, offset, &cp, r->sync);
        if (!rc) {
                retl_checkpoint_free(&p->cp);
                p->cp = cp;
        } else {
                retl_checkpoint_free(&cp);
        }
        return rc;
}
