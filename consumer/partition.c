/* retl uploader — one workspace partition, see partition.h: the state
 * machine that ties its parts (partition_int.h says which file does what). */
#include "consumer/partition.h"
#include "consumer/fetch_nudge.h"
#include "consumer/partition_answer.h"
#include "consumer/partition_batcher.h"
#include "consumer/partition_commit.h"
#include "consumer/partition_guard.h"
#include "consumer/partition_int.h"
#include "consumer/partition_ledger.h"
#include "consumer/partition_metrics.h"
#include "consumer/partition_state.h"
#include "lib/kafka.h"
#include "lib/log.h"
#include "lib/mem.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct retl_partition *retl_partition_new(const struct retl_partition_env *env,
                                          const struct retl_cfg *cfg,
                                          const struct retl_cfg_workspace *ws,
                                          const char *topic)
{
        struct retl_partition *p = retl_calloc(1, sizeof(*p));

        p->env = *env;
        p->cfg = ws ? cfg : NULL;
        p->ws = ws;
        p->topic = retl_strdup(topic);
        snprintf(p->ctx, sizeof(p->ctx), "upload ws=%s", ws ? ws->name : topic);
        if (ws)
                retl_metrics_label(p->lbl, sizeof(p->lbl), "workspace", ws->name);
        retl_checkpoint_init(&p->cp);
        p->committed = RD_KAFKA_OFFSET_INVALID;
        p->resume_run_offset = -1;
        p->expect = -1;
        p->next_offset = -1;
        retl_keyset_init(&p->inflight_keys);
        retl_keyset_init(&p->skipped_keys);
        retl_buf_init(&p->row_json, 0);
        retl_buf_init(&p->state_keybuf, 0);
        p->rnd = (uint64_t)(uintptr_t)p ^ (uint64_t)retl_pace_now_ms() * 0x9E3779B97F4A7C15ULL;
        p->last_cp_ms = retl_pace_now_ms();
        if (ws) {
                p->batch_url = retl_asprintf("%s/api/v2/batch", ws->api_url);
                retl_pace_window_init(&p->pacer, ws->rate_limit, RETL_PACE_JITTER_MS);
        }
        return p;
}

void retl_partition_set_workspace(struct retl_partition *p, const struct retl_cfg *cfg,
                                  const struct retl_cfg_workspace *ws)
{
        const struct retl_cfg_workspace *old = p->ws;
        int64_t now = retl_pace_now_ms();

        p->cfg = cfg;
        p->ws = ws;
        /* a new file: whatever it lacks now is deleted, not merely newer
         * in the extractor's file */
        retl_partition_commit_forget_unlisted(p);
        if (strcmp(old->api_url, ws->api_url)) {
                free(p->batch_url);
                p->batch_url = retl_asprintf("%s/api/v2/batch", ws->api_url);
                retl_log_info(p->ctx, "api_url is now %s", ws->api_url);
        }
        if (old->rate_limit != ws->rate_limit) {
                retl_pace_window_free(&p->pacer);
                retl_pace_window_init(&p->pacer, ws->rate_limit, RETL_PACE_JITTER_MS);
                retl_log_info(p->ctx, "rate_limit is now %d requests/s", ws->rate_limit);
        }
        if (old->max_in_flight != ws->max_in_flight || old->timeout_s != ws->timeout_s)
                retl_log_info(p->ctx, "max_in_flight %d, timeout %d s", ws->max_in_flight,
                              ws->timeout_s);
        if (strcmp(old->site_id, ws->site_id) || strcmp(old->api_key, ws->api_key) ||
            strcmp(old->api_url, ws->api_url)) {
                retl_log_info(p->ctx, "credentials or address changed%s",
                              p->auth_blocked ? ": trying them now" : "");
                /* a refused key is retried at once instead of at the next
                 * --auth-retry tick */
                if (p->auth_blocked)
                        p->auth_retry_ms = now;
        }
}

const char *retl_partition_topic(const struct retl_partition *p)
{
        return p->topic;
}

int retl_partition_ready(const struct retl_partition *p)
{
        return p->ready;
}

int retl_partition_usable(const struct retl_partition *p)
{
        return p->ws != NULL;
}

void retl_partition_destroy(struct retl_partition *p)
{
        if (!p)
                return;
        /* another member reports it from now on */
        if (p->ws && p->ready)
                retl_partition_metrics_lag_release(p);
        retl_partition_batcher_abandon(p);
        retl_partition_guard_free(p);
        if (p->rkqu)
                rd_kafka_queue_destroy(p->rkqu);
        retl_partition_ledger_free(p);
        retl_partition_state_free(p);
        retl_checkpoint_free(&p->cp);
        retl_partition_commit_forget_unlisted(p);
        retl_pace_window_free(&p->pacer);
        retl_pace_window_free(&p->app_pacer);
        retl_keyset_free(&p->inflight_keys);
        retl_keyset_free(&p->skipped_keys);
        free(p->batch_url);
        free(p->topic);
        free(p);
}

/* ================================================================= init */

int retl_partition_init(struct retl_partition *p, int timeout_ms, int64_t *start_offset)
{
        char errstr[512];
        char *meta = NULL;
        int64_t off;

        *start_offset = RD_KAFKA_OFFSET_INVALID;
        if (!p->ws)
                return 0;
        if (retl_kafka_committed(p->env.rk, p->topic, timeout_ms, &off, &meta, errstr,
                                 sizeof(errstr))) {
                retl_log_warn(p->ctx, "%s (will retry)", errstr);
                return -1;
        }
        retl_checkpoint_free(&p->cp);
        if (retl_checkpoint_parse(&p->cp, meta, meta ? strlen(meta) : 0, errstr,
                                  sizeof(errstr))) {
                /* never guess: a checkpoint we cannot read could hold a run
                 * in progress, and starting elsewhere would skip rows */
                retl_log_error(p->ctx, "%s; not consuming %s until it is fixed", errstr,
                               p->topic);
                free(meta);
                return -1;
        }
        /* nothing of the workspace is sent before its row state is read */
        if (retl_partition_state_load(p, errstr, sizeof(errstr))) {
                if (*errstr)
                        retl_log_warn(p->ctx, "row state: %s (will retry in 5 s)", errstr);
                free(meta);
                return -1;
        }
        p->committed = off;
        {
                int64_t low, high;
                p->inherited_end = retl_kafka_watermarks(p->env.rk, p->topic, timeout_ms, &low,
                                                         &high, errstr, sizeof(errstr))
                                           ? INT64_MAX
                                           : high;
        }
        for (size_t i = 0; i < p->cp.nsyncs; i++)
                retl_partition_metrics_last_completed(p, p->cp.syncs[i].name,
                                                      p->cp.syncs[i].last_sync_time);
        if (p->cp.run_offset >= 0 && off >= 0) {
                p->resume_run_offset = p->cp.run_offset;
                p->resume_offset = off;
                *start_offset = p->cp.run_offset;
                retl_log_info(p->ctx,
                              "resuming a run in progress: RunStarted at offset %" PRId64
                              ", continuing at %" PRId64 " (%" PRId64 " rows done, %" PRId64
                              " imported, %" PRId64 " failed)",
                              p->cp.run_offset, off, p->cp.run_rows, p->cp.run_imported,
                              p->cp.run_failed);
        } else {
                *start_offset = off >= 0 ? off : RD_KAFKA_OFFSET_INVALID;
        }
        p->expect = *start_offset >= 0 ? *start_offset : -1;
        p->next_offset = off >= 0 ? off : -1;
        retl_log_info(p->ctx, "%s ready: committed offset %" PRId64 " \"%s\"", p->topic, off,
                      meta ? meta : "");
        free(meta);
        p->ready = 1;
        return 0;
}

/* ============================================================ arrivals */

void retl_partition_message(struct retl_partition *p, const rd_kafka_message_t *rkm)
{
        struct retl_record rec;
        char errstr[256];
        int64_t off = rkm->offset;

        if (!p->ws || !p->ready || p->draining)
                return;         /* not consumed: we seek explicitly once ready */
        if (p->expect >= 0 && off < p->expect)
                return;         /* seen already (seek, resume) */
        if (retl_partition_guard_blocks(p, off))
                return;         /* read again once its run is let go */
        p->expect = off + 1;
        if (retl_codec_decode(p->env.codec, rkm->payload, rkm->len, &rec, errstr,
                              sizeof(errstr))) {
                retl_log_error(p->ctx, "offset %" PRId64 ": undecodable record (%s)%s", off,
                               errstr, p->reading ? "; its run will fail" : "; skipped");
                if (p->reading)
                        p->reading->corrupt++;
                retl_partition_ledger_skip(p, off);
                return;
        }
        switch (rec.type) {
        case RETL_REC_RUN_STARTED:
                retl_partition_ledger_run_begin(p, &rec.u.run_started, off);
                break;
        case RETL_REC_ROW:
                retl_partition_ledger_row(p, &rec.u.row, off);
                break;
        case RETL_REC_RUN_FINISHED:
                retl_partition_ledger_run_end(p, &rec.u.run_finished, off);
                break;
        case RETL_REC_CONTROL:
                if (rec.u.control.kind == RETL_CONTROL_STATE_RESET)
                        retl_partition_state_reset(p, &rec.u.control);
                else if (rec.u.control.kind == RETL_CONTROL_RUN_APPROVE ||
                         rec.u.control.kind == RETL_CONTROL_RUN_REJECT)
                        retl_log_info(p->ctx, "offset %" PRId64 ": run %s %s", off,
                                      rec.u.control.nruns ? rec.u.control.runs[0] : "?",
                                      rec.u.control.kind == RETL_CONTROL_RUN_APPROVE
                                              ? "approved" : "rejected");
                else
                        retl_log_info(p->ctx, "offset %" PRId64 ": %s %s", off,
                                      rec.u.control.kind == RETL_CONTROL_REPLAY_BEGIN
                                              ? "replay begins" : "replay ends",
                                      rec.u.control.replay_id);
                retl_partition_ledger_skip(p, off);
                break;
        default:
                retl_log_warn(p->ctx, "offset %" PRId64 ": unexpected %s record; skipped", off,
                              retl_record_type_name(rec.type));
                retl_partition_ledger_skip(p, off);
        }
}

/* Whether the partition takes more messages now: it is ready, not
 * stopping, its key is not refused, and what it holds is under its bounds:
 * entries not yet retired (memory), and rows mapped but not yet sent
 * (enough to fill the next requests the moment a slot frees; more would
 * only wait here rather than in librdkafka's prefetch queue). */
static int has_room(const struct retl_partition *p)
{
        return p->ws && p->ready && !p->draining && !p->auth_blocked &&
               !retl_partition_guard_waiting(p) &&
               retl_partition_ledger_pending(p) < p->env.max_pending &&
               p->qbytes < p->env.read_ahead_bytes;
}

void retl_partition_set_queue(struct retl_partition *p, rd_kafka_queue_t *rkqu)
{
        if (p->rkqu)
                rd_kafka_queue_destroy(p->rkqu);
        p->rkqu = rkqu;
}

/* A workspace whose queue stood empty while it had room and the broker
 * holds more of its topic (the high watermark of the last fetch) seeks to
 * the next offset it takes, when consumer/fetch_nudge.c says so: that wakes
 * librdkafka 2.0's fetcher, which otherwise may wait up to a second. The
 * seek drops what is queued: nothing, or what arrived meanwhile, which is
 * fetched again from that same offset; nothing is skipped or taken twice. */
static void nudge_fetch(struct retl_partition *p)
{
        int64_t low, high;
        rd_kafka_topic_partition_list_t *l;
        rd_kafka_error_t *error;
        int more = p->expect >= 0 &&
                   !rd_kafka_get_watermark_offsets(p->env.rk, p->topic, 0, &low, &high) &&
                   high > p->expect;

        if (!retl_fetch_nudge_hungry(&p->nudge, retl_pace_now_ms(), more))
                return;
        l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, p->topic, 0)->offset = p->expect;
        error = rd_kafka_seek_partitions(p->env.rk, l, 0);      /* 0: asynchronous */
        rd_kafka_topic_partition_list_destroy(l);
        if (error) {
                retl_log_debug(p->ctx, "fetch nudge: seek to %" PRId64 ": %s", p->expect,
                               rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
                return;
        }
        retl_log_debug(p->ctx, "read-ahead empty at offset %" PRId64 " of %" PRId64
                       ": fetch nudged (%" PRId64 " so far; waited %" PRId64 " ms)",
                       p->expect, high, p->nudge.count, p->nudge.wait_ms);
}

size_t retl_partition_read(struct retl_partition *p, size_t budget)
{
        rd_kafka_message_t *msgs[256];
        size_t n = 0;

        while (p->rkqu && n < budget && has_room(p)) {
                size_t want = budget - n < 256 ? budget - n : 256;
                ssize_t got = rd_kafka_consume_batch_queue(p->rkqu, 0, msgs, want);

                if (got <= 0) {
                        nudge_fetch(p);
                        return n;
                }
                retl_fetch_nudge_fed(&p->nudge, retl_pace_now_ms());
                for (ssize_t i = 0; i < got; i++) {
                        if (!msgs[i]->err)
                                retl_partition_message(p, msgs[i]);
                        else if (msgs[i]->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                                retl_log_warn(p->ctx, "consumer: %s",
                                              rd_kafka_message_errstr(msgs[i]));
                        rd_kafka_message_destroy(msgs[i]);
                }
                n += (size_t)got;
        }
        retl_fetch_nudge_full(&p->nudge);       /* no room, or read its fill */
        return n;
}

/* ============================================================= answers */

void retl_partition_done(void *opaque, const struct retl_track_result *r, void *arg)
{
        struct req *q = opaque;

        (void)arg;
        retl_partition_answer_take(q->p, q, r);
}

/* ================================================================ steps */

int64_t retl_partition_step(struct retl_partition *p, int64_t now)
{
        int64_t wake = 1000;

        if (!p->ws || !p->ready)
                return wake;
        if (p->commit_retry_ms <= now || !p->commit_retry_ms)
                retl_partition_ledger_retire(p);
        retl_partition_guard_step(p, now, &wake);
        retl_partition_ledger_free_runs(p);
        retl_partition_batcher_send(p, now, &wake);
        if (!p->draining)
                retl_partition_commit_checkpoint(p, 0);
        if (p->attempts && now - p->last_progress_ms >= 10000) {
                p->last_progress_ms = now;
                retl_log_warn(p->ctx, "still retrying: %zu rows waiting, %d requests in flight, "
                              "next attempt in %.1f s", retl_partition_ledger_pending(p),
                              p->nflight,
                              (double)(p->backoff_until_ms > now ? p->backoff_until_ms - now
                                                                : 0) / 1000);
        }
        return wake < 1 ? 1 : wake;
}

void retl_partition_drain(struct retl_partition *p)
{
        p->draining = 1;
}

int retl_partition_busy(const struct retl_partition *p)
{
        return p->nflight;
}

void retl_partition_checkpoint(struct retl_partition *p)
{
        retl_partition_commit_checkpoint(p, 1);
}
