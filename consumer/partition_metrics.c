/* retl uploader — the uploader's Prometheus series, see partition_metrics.h. */
#include "consumer/partition_metrics.h"
#include "consumer/partition_int.h"
#include "lib/log.h"

#include <stdio.h>
#include <string.h>

void retl_partition_metrics_declare(struct retl_metrics *m)
{
        retl_metrics_declare(m, "retl_rows_sent_total", RETL_COUNTER,
                             "Rows the workspace accepted.");
        retl_metrics_declare(m, "retl_rows_unchanged_total", RETL_COUNTER,
                             "Rows not sent: the workspace holds them as they are (row state).");
        retl_metrics_declare(m, "retl_rows_deleted_total", RETL_COUNTER,
                             "Identifiers a mirror sync deleted (the result no longer held them).");
        retl_metrics_declare(m, "retl_rows_failed_total", RETL_COUNTER,
                             "Failed rows (refused by the workspace or not importable).");
        retl_metrics_declare(m, "retl_http_responses_total", RETL_COUNTER,
                             "Track API answers by HTTP status (\"error\" = no answer).");
        retl_metrics_declare(m, "retl_unmatched_answer_errors_total", RETL_COUNTER,
                             "Errors in 207 answers whose batch_index names no row of the "
                             "request (out of range, negative or not a number).");
        retl_metrics_declare(m, "retl_http_request_duration_seconds", RETL_HISTOGRAM,
                             "Track API request duration.");
        retl_metrics_declare(m, "retl_consumer_lag", RETL_GAUGE,
                             "Records of the workspace topic not yet committed.");
        retl_metrics_declare(m, "retl_last_completed_import_timestamp_seconds", RETL_GAUGE,
                             "Start time of the sync's last completed run.");
        retl_metrics_declare(m, "retl_imports_total", RETL_COUNTER,
                             "Finished imports by status.");
        retl_metrics_declare(m, "retl_runs_held", RETL_GAUGE,
                             "1 while a run of the sync is held by its guardrails, waiting for "
                             "retl approve or retl reject.");
}

/* workspace="w",sync="s" */
static void sync_labels(const struct retl_partition *p, const char *sync, char *out, size_t size)
{
        char sl[160];

        retl_metrics_label(sl, sizeof(sl), "sync", sync);
        snprintf(out, size, "%s,%s", p->lbl, sl);
}

void retl_partition_metrics_last_completed(const struct retl_partition *p, const char *sync,
                                           int64_t t)
{
        char lb[320];

        if (t <= 0)
                return;
        sync_labels(p, sync, lb, sizeof(lb));
        retl_metrics_set(p->env.metrics, "retl_last_completed_import_timestamp_seconds", lb,
                         (double)t);
}

void retl_partition_metrics_held(const struct retl_partition *p, const char *sync, int held)
{
        char lb[320];

        sync_labels(p, sync, lb, sizeof(lb));
        retl_metrics_set(p->env.metrics, "retl_runs_held", lb, held);
}

void retl_partition_metrics_import(const struct retl_partition *p, const char *sync,
                                   enum retl_import_status st)
{
        char lb[480], stl[64], name[32];

        snprintf(name, sizeof(name), "%s", retl_import_status_name(st));
        for (char *c = name; *c; c++)
                if (*c == ' ')
                        *c = '_';
        sync_labels(p, sync, lb, sizeof(lb));
        retl_metrics_label(stl, sizeof(stl), "status", name);
        snprintf(lb + strlen(lb), sizeof(lb) - strlen(lb), ",%s", stl);
        retl_metrics_add(p->env.metrics, "retl_imports_total", lb, 1);
}

void retl_partition_metrics_answer(const struct retl_partition *p,
                                   const struct retl_track_result *r)
{
        char lb[240], code[16];

        if (r->curl_code)
                snprintf(code, sizeof(code), "error");
        else
                snprintf(code, sizeof(code), "%ld", r->status);
        snprintf(lb, sizeof(lb), "%s,status=\"%s\"", p->lbl, code);
        retl_metrics_add(p->env.metrics, "retl_http_responses_total", lb, 1);
        retl_metrics_observe(p->env.metrics, "retl_http_request_duration_seconds", p->lbl,
                             r->total_s);
}

int retl_partition_metrics_refresh_lag(struct retl_partition *p, int timeout_ms)
{
        int64_t lo = -1, hi = -1, lag;
        rd_kafka_resp_err_t err;

        if (!p->ws || !p->ready)
                return 0;
        /* The cached watermarks, which fetches keep fresh: asking the broker
         * (rd_kafka_query_watermark_offsets) blocks past its timeout in
         * librdkafka 2.0.2 when a broker stops answering, and with it this
         * loop, its signals and its health. */
        (void)timeout_ms;
        err = rd_kafka_get_watermark_offsets(p->env.rk, p->topic, 0, &lo, &hi);
        if (!err && hi < 0)
                err = RD_KAFKA_RESP_ERR__PARTIAL; /* nothing fetched yet */
        if (err) {
                retl_log_debug(p->ctx, "watermarks: %s", rd_kafka_err2str(err));
                return -1;
        }
        /* nothing committed yet: everything still in the log is due */
        lag = hi - (p->committed >= 0 ? p->committed : lo);
        retl_metrics_set(p->env.metrics, "retl_consumer_lag", p->lbl, (double)(lag > 0 ? lag : 0));
        return 0;
}

void retl_partition_metrics_lag_release(struct retl_partition *p)
{
        retl_metrics_set(p->env.metrics, "retl_consumer_lag", p->lbl, 0);
}

void retl_partition_metrics_rows(const struct retl_partition *p, const char *sync,
                                 const char *series, int64_t n)
{
        char lb[320];

        sync_labels(p, sync, lb, sizeof(lb));
        retl_metrics_add(p->env.metrics, series, lb, (double)n);
}

void retl_partition_metrics_unmatched(const struct retl_partition *p, int n)
{
        retl_metrics_add(p->env.metrics, "retl_unmatched_answer_errors_total", p->lbl, n);
}
