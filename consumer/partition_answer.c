/* retl uploader — the Track API's answers to a workspace partition, see
 * partition_answer.h. */
#include "consumer/partition_answer.h"
#include "consumer/partition_batcher.h"
#include "consumer/partition_ledger.h"
#include "consumer/partition_metrics.h"
#include "consumer/partition_report.h"
#include "consumer/partition_segname.h"
#include "lib/log.h"
#include "lib/mem.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_outcome(struct retl_partition *p, struct entry *e, enum outcome o,
                        const char *reason)
{
        e->outcome = o;
        if (o == O_FAILED)
                retl_partition_report_failure(p, e, reason);
        free(e->json);
        e->json = NULL;
        if (o == O_IMPORTED && !e->is_delete && e->part == RETL_PART_MAIN &&
            run_has_segment(e->run) &&
            e->run->s.import == RETL_IMPORT_PEOPLE) {
                /* joins the segment once identified; done after that */
                retl_partition_batcher_segment_add(p, e);
                return;
        }
        e->done = 1;
}

/* Row @p e of a batch has its answer: later rows with its keys may go. */
static void row_answered(struct retl_partition *p, struct entry *e)
{
        retl_partition_batcher_keys_release(p, e);
        if (e->part == RETL_PART_MAIN)
                e->run->main_pending--;
}

struct partial {
        struct req *q;
        char **reasons;
        int *suppressed;
        int unmatched;                  /* errors naming no row of the batch */
        long first_index;               /* the first of those: its batch_index ... */
        char first_reason[120];         /* ... and reason */
};

static void partial_cb(void *arg, long index, const char *reason, const char *field,
                       const char *message)
{
        struct partial *pa = arg;

        if (index < 0 || (size_t)index >= pa->q->n) {
                /* out of range, negative, absent or not a number: the
                 * workspace refused something we cannot tell */
                if (!pa->unmatched++) {
                        pa->first_index = index;
                        snprintf(pa->first_reason, sizeof(pa->first_reason), "%s%s%s", reason,
                                 *message ? ": " : "", message);
                }
                return;
        }
        if (pa->reasons[index])
                return;
        if (!strcmp(reason, "suppressed")) {
                pa->suppressed[index] = 1;
                pa->reasons[index] = retl_strdup("person is suppressed");
                return;
        }
        pa->reasons[index] = retl_asprintf("%s%s%s%s%s", reason, *message ? ": " : "", message,
                                           *field ? " (field " : "", *field ? field : "");
        if (*field) {
                char *t = retl_asprintf("%s)", pa->reasons[index]);
                free(pa->reasons[index]);
                pa->reasons[index] = t;
        }
}

/* A 207 of batch @p q had errors no row of it matches: said once per
 * answer, counted, and noted in each run the batch holds rows of, whose
 * report then says so (partition_commit.c). Its rows without an error of
 * their own count as imported. */
static void unmatched_errors(struct retl_partition *p, struct req *q, const struct partial *pa,
                             int nerr)
{
        const struct run *last = NULL;

        retl_log_warn(p->ctx,
                      "207 answer to a batch of %zu rows: %d of its %d errors name no row of it "
                      "(batch_index out of range, negative or not a number; the first: %ld, "
                      "%s); they cannot be matched to a row, the run's report says so",
                      q->n, pa->unmatched, nerr, pa->first_index, pa->first_reason);
        retl_partition_metrics_unmatched(p, pa->unmatched);
        /* rows are queued in log order: a run's rows are contiguous */
        for (size_t i = 0; i < q->n; i++) {
                if (q->items[i]->run == last)
                        continue;
                last = q->items[i]->run;
                q->items[i]->run->unmatched += pa->unmatched;
        }
}

/* The outcome of every row of an answered batch. */
static void batch_answered(struct retl_partition *p, struct req *q,
                           const struct retl_track_result *r, int partial)
{
        struct partial pa = {q, retl_calloc(q->n, sizeof(char *)), retl_calloc(q->n, sizeof(int)),
                             0, 0, ""};
        int nerr = 0;

        if (partial) {
                nerr = retl_track_errors(r->body, r->body_len, partial_cb, &pa);
                if (nerr < 0)
                        retl_log_warn(p->ctx, "unreadable 207 answer: %.200s", r->body);
                else if (pa.unmatched)
                        unmatched_errors(p, q, &pa, nerr);
        }
        for (size_t i = 0; i < q->n; i++) {
                struct entry *e = q->items[i];
                row_answered(p, e);
                if (nerr < 0)
                        set_outcome(p, e, O_FAILED,
                                    "the Track API answered 207 without a readable error list");
                else if (pa.suppressed[i] && e->run->s.suppressed == RETL_SUPPRESSED_SUCCEED)
                        set_outcome(p, e, O_SUPPRESSED, NULL);
                else if (pa.reasons[i])
                        set_outcome(p, e, O_FAILED, pa.reasons[i]);
                else
                        set_outcome(p, e, O_IMPORTED, NULL);
                free(pa.reasons[i]);
        }
        free(pa.reasons);
        free(pa.suppressed);
}

static void segment_answered(struct retl_partition *p, struct req *q, const char *reason)
{
        for (size_t i = 0; i < q->n; i++) {
                struct entry *e = q->items[i];
                if (reason) {
                        e->outcome = O_FAILED;
                        retl_partition_report_failure(p, e, reason);
                }
                e->done = 1;
        }
}

void retl_partition_answer_take(struct retl_partition *p, struct req *q,
                                const struct retl_track_result *r)
{
        int64_t now = retl_pace_now_ms(), delay;
        enum retl_track_class cls = retl_track_classify(r);
        const char *what = q->kind == R_BATCH ? "batch" : "segment add";

        if (q->kind == R_APP_LIST || q->kind == R_APP_CREATE) {
                retl_partition_segname_answer(p, q, r);
                return;
        }
        q->x = NULL;
        retl_partition_batcher_unlink(p, q);
        retl_log_debug(p->ctx, "answer to %s of %zu rows: HTTP %ld in %.1f ms (%d in flight)",
                       what, q->n, r->status, r->total_s * 1000, p->nflight);
        retl_partition_metrics_answer(p, r);
        switch (cls) {
        case RETL_TRACK_OK:
        case RETL_TRACK_PARTIAL:
                if (p->auth_blocked) {
                        retl_log_info(p->ctx, "the Track API accepts the credentials again; "
                                      "resuming");
                        p->auth_blocked = 0;
                }
                if (p->attempts)
                        retl_log_info(p->ctx, "the Track API answers again (HTTP %ld)",
                                      r->status);
                p->attempts = 0;
                if (q->kind == R_BATCH)
                        batch_answered(p, q, r, cls == RETL_TRACK_PARTIAL);
                else
                        segment_answered(p, q, NULL);
                retl_partition_batcher_req_free(q);
                return;
        case RETL_TRACK_RATE:
        case RETL_TRACK_RETRY:
                q->attempt++;
                p->attempts++;
                delay = retl_pace_backoff_ms(p->attempts, p->env.backoff_base_ms,
                                             p->env.backoff_max_ms, &p->rnd);
                if (cls == RETL_TRACK_RATE && r->retry_after_ms >= 0)
                        delay = r->retry_after_ms;
                if (now + delay > p->backoff_until_ms)
                        p->backoff_until_ms = now + delay;
                q->not_before_ms = now + delay;
                if (r->curl_code)
                        retl_log_warn(p->ctx, "%s of %zu rows: %s; retry %d in %.1f s "
                                      "(%zu rows waiting)", what, q->n, r->error, q->attempt,
                                      (double)delay / 1000, retl_partition_ledger_pending(p));
                else
                        retl_log_warn(p->ctx, "%s of %zu rows: HTTP %ld%s; retry %d in %.1f s "
                                      "(%zu rows waiting)", what, q->n, r->status,
                                      cls == RETL_TRACK_RATE ? " (rate limited)" : "",
                                      q->attempt, (double)delay / 1000,
                                      retl_partition_ledger_pending(p));
                retl_partition_batcher_requeue(p, q);
                return;
        case RETL_TRACK_AUTH:
                if (!p->auth_blocked)
                        retl_log_error(p->ctx,
                                       "the Track API refused the credentials (HTTP %ld: %.200s)"
                                       ": check site_id '%s' and the API key of workspace '%s'. "
                                       "Workspace stopped, nothing is committed; retrying every "
                                       "%" PRId64 " s",
                                       r->status, r->body, p->ws->site_id, p->ws->name,
                                       p->env.auth_retry_ms / 1000);
                else
                        retl_log_warn(p->ctx, "credentials still refused (HTTP %ld); next try "
                                      "in %" PRId64 " s", r->status,
                                      p->env.auth_retry_ms / 1000);
                p->auth_blocked = 1;
                p->auth_retry_ms = now + p->env.auth_retry_ms;
                retl_partition_batcher_requeue(p, q);
                return;
        case RETL_TRACK_REJECT:
                if (q->kind == R_BATCH && q->n > 1) {
                        /* one bad entity spoils a request: halve until it is alone */
                        retl_log_warn(p->ctx, "batch of %zu rows refused (HTTP %ld: %.200s); "
                                      "splitting it", q->n, r->status, r->body);
                        retl_partition_batcher_split(p, q);
                        return;
                } else {
                        char *why = retl_asprintf("refused by the Track API (HTTP %ld): %.300s",
                                                  r->status, r->body);
                        struct run *r0 = q->items[0]->run;
                        if (q->kind == R_BATCH) {
                                struct entry *e = q->items[0];
                                row_answered(p, e);
                                set_outcome(p, e, O_FAILED, why);
                        } else if (r->status == 404 && r0->s.segment_name) {
                                /* a segment found by name was deleted since */
                                segment_answered(p, q, retl_partition_segname_gone(p, r0, r));
                        } else {
                                segment_answered(p, q, why);
                        }
                        free(why);
                        retl_partition_batcher_req_free(q);
                }
                return;
        }
}
