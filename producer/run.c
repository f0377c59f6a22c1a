/* retl — one run of one sync, see run.h. */
#include "producer/run.h"
#include "lib/buf.h"
#include "lib/kafka.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "producer/columns.h"
#include "producer/query.h"
#include "producer/source.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* A run's last rows: they may be many, so longer than kafka.timeout, the
 * wait for a single answer (a report). */
#define FLUSH_TIMEOUT_MS 60000

int64_t retl_run_now_ms(void)
{
        struct timeval tv;
        int64_t ms;

        gettimeofday(&tv, NULL);
        ms = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
#ifdef RETL_UNITTEST
        /* Test builds only: an extractor host whose clock is off, to prove
         * that it decides nothing about which rows a run reads. */
        const char *skew = getenv("RETL_TEST_CLOCK_SKEW_MS");
        if (skew)
                ms += strtoll(skew, NULL, 10);
#endif
        return ms;
}

static double mono_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *retl_run_id(const char *sync, int64_t started_at_ms)
{
        unsigned short r = 0;

        if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
                r = (unsigned short)(started_at_ms ^ getpid());
        return retl_asprintf("%s-%lld-%04x", sync, (long long)started_at_ms, r);
}

int retl_run_main_kind(const struct retl_cfg_sync *sync)
{
        return sync->import == RETL_IMPORT_OBJECTS ? RETL_QK_OBJECTS : RETL_QK_PEOPLE;
}

/* Everything one run carries around. */
struct run {
        const struct retl_cfg *cfg;
        struct retl_sink *sink;
        const struct retl_cfg_sync *sync;
        const struct retl_run_opts *opts;
        char ctx[300];
        char *run_id;
        char *topic;
        int64_t rows;
        int64_t rel_rows;
        int progress_s;
        char label[160];        /* sync="..." for metrics */
        int reported;           /* the extractor wrote this run's import report */
        int64_t oversize;       /* values published as Oversize */
};

void retl_run_declare_metrics(struct retl_metrics *m)
{
        retl_metrics_declare(m, "retl_rows_extracted_total", RETL_COUNTER,
                             "Rows read from the database and published, by sync.");
        retl_metrics_declare(m, "retl_runs_total", RETL_COUNTER,
                             "Runs of the extractor, by sync and result (ok, failed, skipped, "
                             "cancelled).");
        retl_metrics_declare(m, "retl_run_duration_seconds", RETL_HISTOGRAM,
                             "Duration of extractor runs, by sync.");
        retl_metrics_declare(m, "retl_last_run_timestamp_seconds", RETL_GAUGE,
                             "When the sync's last run started (Unix time), by sync.");
        retl_metrics_declare(m, "retl_last_successful_run_timestamp_seconds", RETL_GAUGE,
                             "When the sync's last run that published every row started, by "
                             "sync.");
}

static void record_metrics(struct run *r, enum retl_run_result res, int64_t started_at_ms,
                           double seconds)
{
        struct retl_metrics *m = r->opts ? r->opts->metrics : NULL;
        char labels[256];
        const char *result = res == RETL_RUN_OK          ? "ok"
                             : res == RETL_RUN_SKIPPED   ? "skipped"
                             : res == RETL_RUN_CANCELLED ? "cancelled"
                                                         : "failed";
        if (!m)
                return;
        snprintf(labels, sizeof(labels), "%s,result=\"%s\"", r->label, result);
        retl_metrics_add(m, "retl_runs_total", labels, 1);
        /* the rows not yet counted in steps of 1024 */
        retl_metrics_add(m, "retl_rows_extracted_total", r->label,
                         (double)((r->rows & 1023) + (r->rel_rows & 1023)));
        retl_metrics_observe(m, "retl_run_duration_seconds", r->label, seconds);
        retl_metrics_set(m, "retl_last_run_timestamp_seconds", r->label,
                         (double)started_at_ms / 1000.0);
        if (res == RETL_RUN_OK)
                retl_metrics_set(m, "retl_last_successful_run_timestamp_seconds", r->label,
                                 (double)started_at_ms / 1000.0);
}

static int stopped(const struct run *r)
{
        return r->opts && r->opts->stop && *r->opts->stop;
}

/* A value over the Track API's entity limit can never be imported, and a
 * row over Kafka's message limit (1 MB by default) would fail the whole run
 * and every run after it. Such values are published as Oversize (their size
 * only): the uploaders report the row as failed, the other rows go on. */
#define ROW_VALUE_MAX (32 * 1024)
#define ROW_VALUES_MAX (512 * 1024)

static int is_blob(const struct retl_value *v)
{
        return v->type == RETL_V_STRING || v->type == RETL_V_BYTES;
}

size_t retl_run_shrink_row(struct retl_column *cols, size_t n, size_t *first)
{
        size_t total = 0, shrunk = 0;

        for (size_t i = 0; i < n; i++) {
                struct retl_value *v = &cols[i].value;
                if (!is_blob(v))
                        continue;
                if (v->u.s.len > ROW_VALUE_MAX) {
                        if (!shrunk++ && first)
                                *first = i;
                        v->u.l = (int64_t)v->u.s.len;
                        v->type = RETL_V_OVERSIZE;
                } else {
                        total += v->u.s.len;
                }
        }
        while (total > ROW_VALUES_MAX) {
                /* many values under the limit each, over it together: the
                 * entity is too large anyway; the largest go first */
                struct retl_value *big = NULL;
                for (size_t i = 0; i < n; i++)
                        if (is_blob(&cols[i].value) &&
                            (!big || cols[i].value.u.s.len > big->u.s.len))
                                big = &cols[i].value;
                total -= big->u.s.len;
                shrunk++;
                big->u.l = (int64_t)big->u.s.len;
                big->type = RETL_V_OVERSIZE;
        }
        return shrunk;
}

static void shrink_row(struct run *r, struct retl_column *cols, size_t n, int64_t row)
{
        size_t first = n, len = 0, shrunk;

        for (size_t i = 0; i < n; i++)
                if (is_blob(&cols[i].value) && cols[i].value.u.s.len > ROW_VALUE_MAX) {
                        len = cols[i].value.u.s.len;
                        break;
                }
        shrunk = retl_run_shrink_row(cols, n, &first);
        if (first < n && !r->oversize)
                retl_log_warn(r->ctx, "row %lld: column '%s' is %zu bytes, over "
                              "the Track API's 32 KB entity limit: published "
                              "without its value, the row will fail (further "
                              "such values are counted at the end)",
                              (long long)row, cols[first].name, len);
        r->oversize += (int64_t)shrunk;
}

/* Runs one query and publishes its rows as @p part.
 * @returns OK, FAILED (errstr) or CANCELLED. */
static enum retl_run_result stream_query(struct run *r, struct retl_source *src, const char *sql,
                                         enum retl_query_kind kind, enum retl_ident ident,
                                         enum retl_part part, int64_t *count, char *errstr,
                                         size_t errstr_size)
{
        struct retl_query_info qi = {0};
        struct retl_buf problems;
        struct retl_column *cols = NULL;
        const struct retl_source_column *sc;
        const struct retl_value *vals;
        enum retl_source_fail fail = RETL_SRC_OK;
        enum retl_run_result res = RETL_RUN_FAILED;
        struct retl_record rec = {.type = RETL_REC_ROW};
        double t0 = mono_s(), last = t0;
        size_t n;
        int rc, nprob;

        retl_buf_init(&problems, 64 * 1024);
        if (retl_query_check(sql, &qi, errstr, errstr_size))
                goto out;
        if (retl_source_query(src, sql, &fail, errstr, errstr_size)) {
                if (fail == RETL_SRC_CANCELLED)
                        res = RETL_RUN_CANCELLED;
                goto out;
        }
        n = retl_source_ncolumns(src);
        sc = retl_source_columns(src);
        nprob = retl_columns_check(kind, ident, qi.has_star, sc, n, &problems);
        if (nprob) {
                retl_source_cancel(src);
                snprintf(errstr, errstr_size, "the %s's columns break %d rule(s), nothing of it "
                         "was published: %s", retl_query_kind_name(kind), nprob,
                         retl_buf_str(&problems));
                /* one line: the problems were newline-separated */
                for (char *p = errstr; *p; p++)
                        if (*p == '\n')
                                *p = p[1] ? ';' : '\0';
                goto out;
        }
        cols = retl_calloc(n ? n : 1, sizeof(*cols));
        for (size_t i = 0; i < n; i++)
                cols[i].name = sc[i].name;
        rec.u.row.run_id = r->run_id;
        rec.u.row.sync = r->sync->name;
        rec.u.row.part = part;
        rec.u.row.ncolumns = n;
        rec.u.row.columns = cols;
        for (;;) {
                double now;

                if (stopped(r)) {
                        retl_source_cancel(src);
                        res = RETL_RUN_CANCELLED;
                        goto out;
                }
                rc = retl_source_next(src, &vals, &fail, errstr, errstr_size);
                if (rc == 0)
                        break;
                if (rc < 0) {
                        if (fail == RETL_SRC_CANCELLED)
                                res = RETL_RUN_CANCELLED;
                        goto out;
                }
                for (size_t i = 0; i < n; i++)
                        cols[i].value = vals[i];
                rec.u.row.row_number = ++*count;
                shrink_row(r, cols, n, rec.u.row.row_number);
                if (retl_sink_send(r->sink, r->topic, r->sync->name, &rec, errstr, errstr_size)) {
                        retl_source_cancel(src);
                        goto out;
                }
                if ((*count & 1023) == 0) {
                        /* a long result is progress: the liveness probe must see it */
                        retl_metrics_beat(r->opts ? r->opts->metrics : NULL);
                        retl_metrics_add(r->opts ? r->opts->metrics : NULL,
                                         "retl_rows_extracted_total", r->label, 1024);
                }
                if ((*count & 1023) == 0 && (now = mono_s()) - last >= r->progress_s) {
                        retl_log_info(r->ctx, "%s: %lld rows, %.0f rows/s",
                                      part == RETL_PART_MAIN ? "main query" : "relationship query",
                                      (long long)*count, (double)*count / (now - t0));
                        last = now;
                }
        }
        res = RETL_RUN_OK;
out:
        free(cols);
        retl_buf_free(&problems);
        return res;
}

/* Runs @p sql only far enough to check its columns (relationship rules). */
static enum retl_run_result probe_columns(struct run *r, struct retl_source *src, const char *sql,
                                          enum retl_ident ident, char *errstr,
                                          size_t errstr_size)
{
        struct retl_query_info qi = {0};
        enum retl_source_fail fail = RETL_SRC_OK;
        struct retl_buf problems;
        int nprob;

        if (retl_query_check(sql, &qi, errstr, errstr_size))
                return RETL_RUN_FAILED;
        if (retl_source_query(src, sql, &fail, errstr, errstr_size))
                return fail == RETL_SRC_CANCELLED ? RETL_RUN_CANCELLED : RETL_RUN_FAILED;
        retl_source_cancel(src);
        retl_buf_init(&problems, 64 * 1024);
        nprob = retl_columns_check(RETL_QK_RELATIONSHIPS, ident, qi.has_star,
                                   retl_source_columns(src), retl_source_ncolumns(src), &problems);
        if (nprob) {
                snprintf(errstr, errstr_size, "the relationship query's columns break %d "
                         "rule(s), nothing was published: %s", nprob, retl_buf_str(&problems));
                for (char *p = errstr; *p; p++)
                        if (*p == '\n')
                                *p = p[1] ? ';' : '\0';
        }
        retl_buf_free(&problems);
        (void)r;
        return nprob ? RETL_RUN_FAILED : RETL_RUN_OK;
}

void retl_run_settings(const struct retl_cfg_sync *s, const char *query, const char *rel_query,
                       struct retl_sync_settings *st)
{
        st->import = s->import;
        st->identify_by = s->identify_by;
        st->update_only = s->people_mode == RETL_PEOPLE_UPDATE;
        st->object_type_id = s->object_type_id ? s->object_type_id : "1";
        st->empty_values = s->empty_values;
        st->suppressed = s->suppressed;
        st->segment = s->segment;
        st->relationship_identify_by = s->relationship_identify_by;
        st->query = query;
        st->relationship_query = rel_query;
        st->interval_s = s->interval_s;
        st->send_unchanged = !s->diff;
        st->segment_name = s->segment_name;
        st->segment_description = s->segment_description;
}

/* An import report the extractor writes itself: a skipped run, or one that
 * failed before anything reached the workspace's topic. @returns 0 or -1. */
static int report(struct run *r, enum retl_import_status status, int64_t started_at_ms,
                  int64_t last_sync_time, const char *reason, char *errstr, size_t errstr_size)
{
        struct retl_record rec = {.type = RETL_REC_IMPORT_REPORT};
        struct retl_import_report *ir = &rec.u.import_report;

        ir->run_id = r->run_id;
        ir->sync = r->sync->name;
        ir->workspace = r->sync->workspace;
        ir->status = status;
        ir->started_at_ms = started_at_ms;
        ir->finished_at_ms = retl_run_now_ms();
        ir->last_sync_time = last_sync_time;
        ir->error = reason;
        r->reported = 1;
        retl_sink_begin(r->sink);
        if (retl_sink_send(r->sink, r->cfg->kafka.imports_topic, r->sync->name, &rec, errstr,
                           errstr_size) ||
            retl_sink_flush(r->sink, retl_kafka_timeout_ms(&r->cfg->kafka), errstr,
                            errstr_size))
                return -1;
        return 0;
}

static enum retl_run_result skip(struct run *r, int64_t started_at_ms, int64_t last_sync_time,
                                 int64_t pending, char *errstr, size_t errstr_size)
{
        char reason[200];

        snprintf(reason, sizeof(reason),
                 "previous import still in progress (%lld records not yet imported)",
                 (long long)pending);
        retl_log_warn(r->ctx, "skipped: %s", reason);
        if (report(r, RETL_IMPORT_SKIPPED, started_at_ms, last_sync_time, reason, errstr,
                   errstr_size)) {
                retl_log_error(r->ctx, "the skip could not be reported: %s", errstr);
                return RETL_RUN_FAILED;
        }
        return RETL_RUN_SKIPPED;
}

enum retl_run_result retl_run_sync(const struct retl_cfg *cfg, struct retl_sink *sink,
                                   const struct retl_cfg_sync *sync,
                                   const struct retl_run_opts *opts, char *errstr,
                                   size_t errstr_size)
{
        struct run r = {.cfg = cfg, .sink = sink, .sync = sync, .opts = opts};
        struct retl_record rec;
        struct retl_source *src = NULL;
        char *query = NULL, *rel_query = NULL;
        char err[4096] = "", ferr[1024];
        enum retl_source_fail fail = RETL_SRC_OK;
        enum retl_run_result res = RETL_RUN_FAILED;
        int64_t started_at_ms = retl_run_now_ms(), last_sync_time = 0, committed, low, high;
        int64_t db_clock_ms = -1, watermark = 0;
        double t0 = mono_s();
        int published = 0;

        r.progress_s = opts && opts->progress_s > 0 ? opts->progress_s : 5;
        r.run_id = retl_run_id(sync->name, started_at_ms);
        r.topic = retl_cfg_workspace_topic(cfg, sync->workspace);
        snprintf(r.ctx, sizeof(r.ctx), "extract sync=%s run=%s", sync->name, r.run_id);
        retl_metrics_label(r.label, sizeof(r.label), "sync", sync->name);

        /* Kafka first: without it there is nowhere to publish or to read
         * the state from, and nothing reaches the database. */
        /* the history topics first: a workspace topic refused below is
         * still reported there */
        if (retl_sink_ensure_topic(sink, cfg->kafka.imports_topic, err, sizeof(err)) ||
            retl_sink_ensure_topic(sink, cfg->kafka.failures_topic, err, sizeof(err)) ||
            retl_sink_ensure_topic(sink, r.topic, err, sizeof(err)))
                goto done;
        if (retl_sink_last_sync_time(sink, r.topic, sync->name, &last_sync_time, &committed, err,
                                     sizeof(err)))
                goto done;
        if (retl_sink_watermarks(sink, r.topic, &low, &high, err, sizeof(err)))
                goto done;
        if (high > (committed > low ? committed : low)) {
                if (opts && opts->defer_skip) {
                        res = RETL_RUN_BUSY;
                        goto done;
                }
                res = skip(&r, started_at_ms, last_sync_time,
                           high - (committed > low ? committed : low), err, sizeof(err));
                goto done;
        }

        /* The database next: the run's watermark is the server's own clock,
         * read before the query runs, so that neither the extractor's clock
         * nor the time it takes to connect decides which rows are new. A
         * failure here is still published, so the import history shows it. */
        src = retl_source_open(sync->db, r.ctx, opts ? opts->stop : NULL, &fail, err, sizeof(err));
        if (src && retl_source_clock_ms(src, &db_clock_ms, &fail, err, sizeof(err)))
                db_clock_ms = -1;
        if (fail == RETL_SRC_CANCELLED)
                res = RETL_RUN_CANCELLED;
        watermark = retl_query_watermark(last_sync_time, sync->overlap_s);
        if (!err[0] &&
            (retl_query_render(sync->query, watermark, &query, ferr, sizeof(ferr)) ||
             (sync->relationship_query &&
              retl_query_render(sync->relationship_query, watermark, &rel_query, ferr,
                                sizeof(ferr)))))
                snprintf(err, sizeof(err), "%s: %s", query ? "relationship query" : "query",
                         ferr);
        retl_log_info(r.ctx, "started: workspace %s, topic %s, last_sync_time %lld, "
                      "{{last_sync_time}} = %lld (overlap %llds), database clock %lld ms",
                      sync->workspace, r.topic, (long long)last_sync_time, (long long)watermark,
                      (long long)sync->overlap_s, (long long)db_clock_ms);
        retl_sink_begin(sink);
        memset(&rec, 0, sizeof(rec));
        rec.type = RETL_REC_RUN_STARTED;
        rec.u.run_started.run_id = r.run_id;
        rec.u.run_started.sync = sync->name;
        rec.u.run_started.workspace = sync->workspace;
        rec.u.run_started.started_at_ms = started_at_ms;
        rec.u.run_started.last_sync_time = watermark;
        rec.u.run_started.db_clock_ms = db_clock_ms;
        rec.u.run_started.replay_of = NULL;
        retl_run_settings(sync, query ? query : sync->query,
                    rel_query ? rel_query : sync->relationship_query, &rec.u.run_started.settings);
        if (retl_sink_send(sink, r.topic, sync->name, &rec, ferr, sizeof(ferr))) {
                if (err[0])
                        retl_log_error(r.ctx, "%s", err);
                snprintf(err, sizeof(err), "%s", ferr);
                res = RETL_RUN_FAILED;
                goto done;
        }
        published = 1;
        if (err[0])
                goto finish;

        /* The relationship query's columns are checked before the first
         * row of the main query goes out: it is started, its columns
         * read, and cancelled (rows are not fetched). */
        if (rel_query) {
                res = probe_columns(&r, src, rel_query, sync->relationship_identify_by, err,
                                    sizeof(err));
                if (res != RETL_RUN_OK)
                        goto finish_status;
        }
        res = stream_query(&r, src, query, retl_run_main_kind(sync), sync->identify_by,
                           RETL_PART_MAIN, &r.rows, err, sizeof(err));
        if (res == RETL_RUN_OK && rel_query)
                res = stream_query(&r, src, rel_query, RETL_QK_RELATIONSHIPS,
                                   sync->relationship_identify_by, RETL_PART_RELATIONSHIPS,
                                   &r.rel_rows, err, sizeof(err));
finish_status:
        if (res == RETL_RUN_CANCELLED)
                snprintf(err, sizeof(err), "cancelled: the extractor was asked to stop");
        else if (res == RETL_RUN_FAILED && !err[0])
                snprintf(err, sizeof(err), "the query failed");

finish:
        memset(&rec, 0, sizeof(rec));
        rec.type = RETL_REC_RUN_FINISHED;
        rec.u.run_finished.run_id = r.run_id;
        rec.u.run_finished.sync = sync->name;
        rec.u.run_finished.status = res == RETL_RUN_OK          ? RETL_EXTRACT_OK
                                    : res == RETL_RUN_CANCELLED ? RETL_EXTRACT_CANCELLED
                                                                : RETL_EXTRACT_FAILED;
        rec.u.run_finished.rows = r.rows;
        rec.u.run_finished.relationship_rows = r.rel_rows;
        rec.u.run_finished.finished_at_ms = retl_run_now_ms();
        rec.u.run_finished.error = err[0] ? err : NULL;
        if (retl_sink_send(sink, r.topic, sync->name, &rec, ferr, sizeof(ferr)) ||
            retl_sink_flush(sink, FLUSH_TIMEOUT_MS, ferr, sizeof(ferr))) {
                res = RETL_RUN_FAILED;
                if (err[0])
                        retl_log_error(r.ctx, "%s", err);
                snprintf(err, sizeof(err), "the run is not complete in Kafka: %s", ferr);
        }

done:
        retl_source_close(src);
        if (res != RETL_RUN_BUSY)
                record_metrics(&r, res, started_at_ms, mono_s() - t0);
        if (r.oversize)
                retl_log_warn(r.ctx, "%lld values were too large to import and were published "
                              "without their content (their rows fail)", (long long)r.oversize);
        if (res == RETL_RUN_OK)
                retl_log_info(r.ctx, "finished: %lld rows, %lld relationship rows in %.1f s",
                              (long long)r.rows, (long long)r.rel_rows, mono_s() - t0);
        else if (res == RETL_RUN_CANCELLED)
                retl_log_warn(r.ctx, "cancelled after %lld rows, %lld relationship rows",
                              (long long)r.rows, (long long)r.rel_rows);
        else if (res == RETL_RUN_FAILED)
                retl_log_error(r.ctx, "failed%s: %s", published ? "" : " before it started", err);
        /* The import history shows it too, when Kafka takes the report (it
         * may be what failed); a run that started is reported by the uploaders. */
        if (res == RETL_RUN_FAILED && !published && !r.reported &&
            report(&r, RETL_IMPORT_FAILED, started_at_ms, last_sync_time, err, ferr, sizeof(ferr)))
                retl_log_warn(r.ctx, "the failure could not be reported either: %s", ferr);
        snprintf(errstr, errstr_size, "%s", err);
        free(query);
        free(rel_query);
        free(r.run_id);
        free(r.topic);
        return res;
}
