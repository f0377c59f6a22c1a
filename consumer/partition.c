/* retl uploader — one workspace partition, see partition.h. */
#include "consumer/partition.h"
#include "consumer/jsonw.h"
#include "consumer/mapping.h"
#include "consumer/pace.h"
#include "lib/buf.h"
#include "lib/checkpoint.h"
#include "lib/kafka.h"
#include "lib/log.h"
#include "lib/mem.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* In-flight entity keys are counted in a table indexed by the key's low
 * bits: a collision only makes a row wait a little, never reorders. */
#define KEYTAB_BITS 16
#define KEYTAB_SIZE (1u << KEYTAB_BITS)
#define SEGMENT_MAX_IDS 1000
#define SCAN_MAX 20000

/* =========================================================== runs, entries */

struct run {
        char *run_id, *sync, *replay_of;
        int64_t started_at_ms;
        int64_t watermark_s;            /* its last_sync_time once completed */
        int64_t start_offset;           /* its RunStarted */
        int64_t import_start_ms;        /* wall clock when we began it */
        struct retl_sync_settings s;    /* strings owned: object_type_id */
        int64_t rows, imported, failed, suppressed;     /* retired rows */
        int64_t main_pending;           /* MAIN rows not yet answered */
        int64_t corrupt;                /* records we could not decode */
        int64_t rows_at_cp;             /* rows at the last checkpoint */
        int resumed;
        int64_t resume_at;              /* resumed: first offset not yet done */
        int reported;                   /* final report produced */
        int refs;                       /* entries pointing to it */
        struct run *next;               /* all runs of the partition */
};

enum ekind { E_START, E_ROW, E_END, E_OTHER };
enum outcome { O_NONE = 0, O_IMPORTED, O_FAILED, O_SUPPRESSED };

struct entry {
        int64_t offset;
        enum ekind kind;
        struct run *run;
        struct entry *next;             /* log order */
        struct entry *qnext;            /* send or segment queue */
        int done;
        enum outcome outcome;
        int part;
        int64_t row_number;
        char *json;
        size_t json_len;
        char *ident;
        uint64_t keys[2];
        int nkeys;
        int64_t queued_ms;
        /* E_END */
        int fin_status;
        int64_t fin_rows;
        char *fin_error;
};

enum rkind { R_BATCH, R_SEGMENT };

struct req {
        struct retl_partition *p;
        enum rkind kind;
        struct entry **items;
        size_t n;
        struct retl_buf body;
        char *url;
        int64_t segment;
        struct retl_track_xfer *x;
        int attempt;
        int64_t not_before_ms;
        struct req *next;               /* ready list */
        struct req *fnext, *fprev;      /* in-flight list */
};

/* Syncs of a workspace not in the uploader's configuration whose runs it
 * read since that configuration was set: kept in the checkpoint (an
 * extractor with a newer file, during a rolling update). At most this many;
 * past it, their entries live until the next commit of another sync. */
#define MAX_UNLISTED 64

struct retl_partition {
        struct retl_partition_env env;
        const struct retl_cfg *cfg;     /* NULL when ws is */
        const struct retl_cfg_workspace *ws;
        char *unlisted[MAX_UNLISTED];   /* see MAX_UNLISTED */
        size_t nunlisted;
        char *topic;
        char ctx[160];                  /* log context */
        char lbl[160];                  /* metrics: workspace="..." */
        char *batch_url;
        int ready;                      /* init done */
        int draining;

        struct retl_checkpoint cp;      /* last_sync_time of every sync */
        int64_t committed;              /* last committed offset */
        int64_t resume_run_offset;      /* RunStarted of a run to resume, -1 */
        int64_t resume_offset;          /* committed offset inside that run */
        int64_t expect;                 /* next offset we take; older = dup */
        int64_t next_offset;            /* after the last retired entry */
        int64_t last_cp_ms;

        struct entry *head, *tail;      /* every entry not yet retired */
        size_t nentries;
        struct entry *qhead, *qtail;    /* mapped rows waiting to be sent */
        size_t qbytes;
        struct entry *shead, *stail;    /* identified, waiting for the segment */
        size_t nseg;
        int64_t seg_since_ms;

        struct run *runs;
        struct run *reading;            /* run of the latest RunStarted read */
        struct run *retiring;           /* run whose START was retired, not its end */

        struct req *ready_head;         /* built or retried, waiting to go */
        struct req *flight;             /* in flight */
        int nflight;
        uint32_t *keycnt;
        uint8_t *scanbits;

        struct retl_pace_bucket bucket;
        int64_t backoff_until_ms;
        int attempts;                   /* consecutive failed attempts */
        uint64_t rnd;
        int auth_blocked;
        int64_t auth_retry_ms;
        int paused;                     /* by us: backpressure or auth */
        int64_t orphans;
        int64_t last_progress_ms;
        int64_t commit_retry_ms;
};

static void pause_set(struct retl_partition *p, int pause)
{
        rd_kafka_topic_partition_list_t *l;

        if (p->paused == pause)
                return;
        l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, p->topic, 0);
        if (pause)
                rd_kafka_pause_partitions(p->env.rk, l);
        else
                rd_kafka_resume_partitions(p->env.rk, l);
        rd_kafka_topic_partition_list_destroy(l);
        p->paused = pause;
}

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
        p->keycnt = retl_calloc(KEYTAB_SIZE, sizeof(*p->keycnt));
        p->scanbits = retl_calloc(KEYTAB_SIZE / 8, 1);
        p->rnd = (uint64_t)(uintptr_t)p ^ (uint64_t)retl_pace_now_ms() * 0x9E3779B97F4A7C15ULL;
        p->last_cp_ms = retl_pace_now_ms();
        if (ws) {
                p->batch_url = retl_asprintf("%s/api/v2/batch", ws->api_url);
                /* a small burst keeps the average at rate_limit */
                retl_pace_bucket_init(&p->bucket, ws->rate_limit,
                                      ws->rate_limit < 10 ? 1 : ws->rate_limit / 10.0,
                                      retl_pace_now_ms());
        }
        return p;
}

/* ============================================================== metrics */

void retl_partition_declare_metrics(struct retl_metrics *m)
{
        retl_metrics_declare(m, "retl_rows_sent_total", RETL_COUNTER,
                             "Rows the workspace accepted.");
        retl_metrics_declare(m, "retl_rows_failed_total", RETL_COUNTER,
                             "Failed rows (refused by the workspace or not importable).");
        retl_metrics_declare(m, "retl_http_responses_total", RETL_COUNTER,
                             "Track API answers by HTTP status (\"error\" = no answer).");
        retl_metrics_declare(m, "retl_http_request_duration_seconds", RETL_HISTOGRAM,
                             "Track API request duration.");
        retl_metrics_declare(m, "retl_consumer_lag", RETL_GAUGE,
                             "Records of the workspace topic not yet committed.");
        retl_metrics_declare(m, "retl_last_completed_import_timestamp_seconds", RETL_GAUGE,
                             "Start time of the sync's last completed run.");
        retl_metrics_declare(m, "retl_imports_total", RETL_COUNTER,
                             "Finished imports by status.");
}

/* workspace="w",sync="s" */
static void sync_labels(const struct retl_partition *p, const char *sync, char *out, size_t size)
{
        char sl[160];

        retl_metrics_label(sl, sizeof(sl), "sync", sync);
        snprintf(out, size, "%s,%s", p->lbl, sl);
}

static void metric_last_completed(const struct retl_partition *p, const char *sync, int64_t t)
{
        char lb[320];

        if (t <= 0)
                return;
        sync_labels(p, sync, lb, sizeof(lb));
        retl_metrics_set(p->env.metrics, "retl_last_completed_import_timestamp_seconds", lb,
                         (double)t);
}

static void metric_import(const struct retl_partition *p, const char *sync,
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

static void metric_answer(const struct retl_partition *p, const struct retl_track_result *r)
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

int retl_partition_refresh_lag(struct retl_partition *p, int timeout_ms)
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

static void forget_unlisted(struct retl_partition *p)
{
        for (size_t i = 0; i < p->nunlisted; i++)
                free(p->unlisted[i]);
        p->nunlisted = 0;
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
        forget_unlisted(p);
        if (strcmp(old->api_url, ws->api_url)) {
                free(p->batch_url);
                p->batch_url = retl_asprintf("%s/api/v2/batch", ws->api_url);
                retl_log_info(p->ctx, "api_url is now %s", ws->api_url);
        }
        if (old->rate_limit != ws->rate_limit) {
                retl_pace_bucket_init(&p->bucket, ws->rate_limit,
                                      ws->rate_limit < 10 ? 1 : ws->rate_limit / 10.0, now);
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

static void entry_free(struct entry *e)
{
        if (e->run)
                e->run->refs--;
        free(e->json);
        free(e->ident);
        free(e->fin_error);
        free(e);
}

static void run_free(struct run *r)
{
        free(r->run_id);
        free(r->sync);
        free(r->replay_of);
        free((char *)r->s.object_type_id);
        free(r);
}

static void req_free(struct req *q)
{
        free(q->items);
        retl_buf_free(&q->body);
        free(q->url);
        free(q);
}

void retl_partition_destroy(struct retl_partition *p)
{
        if (!p)
                return;
        /* another member reports it from now on */
        if (p->ws && p->ready)
                retl_metrics_set(p->env.metrics, "retl_consumer_lag", p->lbl, 0);
        while (p->flight) {
                struct req *q = p->flight;
                p->flight = q->fnext;
                retl_track_abort(p->env.track, q->x);
                req_free(q);
        }
        while (p->ready_head) {
                struct req *q = p->ready_head;
                p->ready_head = q->next;
                req_free(q);
        }
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
        retl_checkpoint_free(&p->cp);
        forget_unlisted(p);
        free(p->keycnt);
        free(p->scanbits);
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
        p->committed = off;
        for (size_t i = 0; i < p->cp.nsyncs; i++)
                metric_last_completed(p, p->cp.syncs[i].name, p->cp.syncs[i].last_sync_time);
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

/* ============================================================== reports */

static void produce(struct retl_partition *p, const char *topic, const char *key,
                    const struct retl_record *rec)
{
        struct retl_buf out;
        char errstr[256];
        rd_kafka_resp_err_t err;

        retl_buf_init(&out, 0);
        if (retl_codec_encode(p->env.codec, rec, &out, errstr, sizeof(errstr))) {
                retl_log_error(p->ctx, "encoding a %s: %s", retl_record_type_name(rec->type),
                               errstr);
                goto out;
        }
        for (int tries = 0; tries < 100; tries++) {
                err = rd_kafka_producev(p->env.producer, RD_KAFKA_V_TOPIC(topic),
                                        RD_KAFKA_V_KEY(key, strlen(key)),
                                        RD_KAFKA_V_VALUE(out.b_data, retl_buf_len(&out)),
                                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                        RD_KAFKA_V_END);
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        break;
                rd_kafka_poll(p->env.producer, 100);
        }
        if (err)
                retl_log_error(p->ctx, "producing to %s: %s", topic, rd_kafka_err2str(err));
out:
        retl_buf_free(&out);
}

static void report(struct retl_partition *p, struct run *r, enum retl_import_status st,
                   int64_t lst, const char *error)
{
        struct retl_record rec;

        memset(&rec, 0, sizeof(rec));
        rec.type = RETL_REC_IMPORT_REPORT;
        rec.u.import_report.run_id = r->run_id;
        rec.u.import_report.sync = r->sync;
        rec.u.import_report.workspace = p->ws->name;
        rec.u.import_report.status = st;
        rec.u.import_report.started_at_ms = r->started_at_ms;
        rec.u.import_report.finished_at_ms = st == RETL_IMPORT_RUNNING ? 0 : retl_pace_wall_ms();
        rec.u.import_report.rows = r->rows;
        rec.u.import_report.imported = r->imported;
        rec.u.import_report.failed = r->failed;
        rec.u.import_report.last_sync_time = lst;
        rec.u.import_report.replay_of = r->replay_of;
        rec.u.import_report.error = error;
        produce(p, p->env.imports_topic, r->sync, &rec);
}

static void failure(struct retl_partition *p, struct entry *e, const char *reason)
{
        struct retl_record rec;

        memset(&rec, 0, sizeof(rec));
        rec.type = RETL_REC_ROW_FAILURE;
        rec.u.row_failure.run_id = e->run->run_id;
        rec.u.row_failure.sync = e->run->sync;
        rec.u.row_failure.part = e->part;
        rec.u.row_failure.row_number = e->row_number;
        rec.u.row_failure.identifier = e->ident;
        rec.u.row_failure.reason = reason;
        retl_log_debug(p->ctx, "run=%s %s row %" PRId64 " failed: %s", e->run->run_id,
                       e->part ? "relationship" : "main", e->row_number, reason);
        produce(p, p->env.failures_topic, e->run->run_id, &rec);
}

/* ============================================================== commits */

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

/* A run of @p sync was read: when the configuration does not list it, the
 * extractor's file is newer (rolling update); its entry stays. */
static void note_run_sync(struct retl_partition *p, const char *sync)
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

        if (p->env.flush(p->env.flush_arg)) {
                retl_log_warn(p->ctx, "reports not delivered yet; commit postponed");
                return -1;
        }
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

/* Commits a mid-run checkpoint (or, between runs, the plain position) when
 * the completed prefix moved past the last commit. */
static void checkpoint(struct retl_partition *p, int force)
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

void retl_partition_checkpoint(struct retl_partition *p)
{
        checkpoint(p, 1);
}

#define NEVER_FINISHED (-2)

/* Ends run @p r: its report and failures out, then one commit of @p offset
 * with the sync's resulting last_sync_time. @p xerr: the extraction's error
 * (NULL = none), or with @p expected_rows NEVER_FINISHED the whole reason.
 * @returns 0, or -1 to retry. */
static int finish_run(struct retl_partition *p, struct run *r, int64_t offset,
                      enum retl_extract_status xst, int64_t expected_rows, const char *xerr)
{
        int64_t old = retl_checkpoint_get(&p->cp, r->sync), lst = old;
        enum retl_import_status st;
        char why[300];
        const char *error = NULL;
        struct retl_checkpoint cp;
        int rc;

        if (expected_rows == NEVER_FINISHED) {
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
        } else if (r->failed) {
                st = RETL_IMPORT_SOME_ROWS_FAILED;
        } else {
                st = RETL_IMPORT_COMPLETED;
                /* a replay never moves last_sync_time; nothing moves it back */
                if (!r->replay_of && r->watermark_s > old)
                        lst = r->watermark_s;
        }
        if (!r->reported) {
                report(p, r, st, lst, error);
                r->reported = 1;
                metric_import(p, r->sync, st);
                if (st == RETL_IMPORT_COMPLETED && !r->replay_of)
                        metric_last_completed(p, r->sync, r->watermark_s);
                retl_log_info(p->ctx,
                              "run=%s sync=%s %s: %" PRId64 " rows, %" PRId64
                              " imported, %" PRId64 " failed, %" PRId64
                              " suppressed ignored, %.1f s; last_sync_time %" PRId64 "%s%s",
                              r->run_id, r->sync, retl_import_status_name(st), r->rows,
                              r->imported, r->failed, r->suppressed,
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

/* ============================================================ arrivals */

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

static void run_begin(struct retl_partition *p, const struct retl_run_started *rs,
                      int64_t offset)
{
        struct run *r = retl_calloc(1, sizeof(*r));

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
        r->next = p->runs;
        p->runs = r;
        note_run_sync(p, r->sync);
        if (offset == p->resume_run_offset) {
                rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
                rd_kafka_error_t *error;

                r->resumed = 1;
                r->resume_at = p->resume_offset;
                r->rows = r->rows_at_cp = p->cp.run_rows;
                r->imported = p->cp.run_imported;
                r->failed = p->cp.run_failed;
                r->suppressed = p->cp.run_suppressed;
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
        entry_add(p, offset, E_START, r)->done = 1;
}

static void row_arrived(struct retl_partition *p, const struct retl_row *row, int64_t offset)
{
        struct run *r = p->reading;
        struct retl_buf json;
        struct retl_mapped m;
        char why[512];
        struct entry *e;

        if (!r || strcmp(r->run_id, row->run_id)) {
                /* rows whose RunStarted we never saw cannot be imported */
                if (!p->orphans++ || p->orphans % 10000 == 0)
                        retl_log_warn(p->ctx,
                                      "row of run %s at offset %" PRId64
                                      " has no RunStarted before it; skipped (%" PRId64 " so far)",
                                      row->run_id, offset, p->orphans);
                entry_add(p, offset, E_OTHER, NULL)->done = 1;
                return;
        }
        e = entry_add(p, offset, E_ROW, r);
        e->part = row->part;
        e->row_number = row->row_number;
        retl_buf_init(&json, 0);
        if (retl_mapping_row(&r->s, row, &json, &m, why, sizeof(why))) {
                e->ident = m.ident;
                m.ident = NULL;
                e->outcome = O_FAILED;
                e->done = 1;
                failure(p, e, why);
                retl_buf_free(&json);
                return;
        }
        e->json = retl_buf_take(&json, &e->json_len);
        e->ident = m.ident;
        e->keys[0] = m.keys[0];
        e->keys[1] = m.keys[1];
        e->nkeys = m.nkeys;
        e->queued_ms = retl_pace_now_ms();
        if (e->part == RETL_PART_MAIN)
                r->main_pending++;
        if (p->qtail)
                p->qtail->qnext = e;
        else
                p->qhead = e;
        p->qtail = e;
        p->qbytes += e->json_len + 1;
}

void retl_partition_message(struct retl_partition *p, const rd_kafka_message_t *rkm)
{
        struct retl_record rec;
        char errstr[256];
        int64_t off = rkm->offset;

        if (!p->ws || !p->ready || p->draining)
                return;         /* not consumed: we seek explicitly once ready */
        if (p->expect >= 0 && off < p->expect)
                return;         /* seen already (seek, resume) */
        p->expect = off + 1;
        if (retl_codec_decode(p->env.codec, rkm->payload, rkm->len, &rec, errstr,
                              sizeof(errstr))) {
                retl_log_error(p->ctx, "offset %" PRId64 ": undecodable record (%s)%s", off,
                               errstr, p->reading ? "; its run will fail" : "; skipped");
                if (p->reading)
                        p->reading->corrupt++;
                entry_add(p, off, E_OTHER, NULL)->done = 1;
                return;
        }
        switch (rec.type) {
        case RETL_REC_RUN_STARTED:
                run_begin(p, &rec.u.run_started, off);
                break;
        case RETL_REC_ROW:
                row_arrived(p, &rec.u.row, off);
                break;
        case RETL_REC_RUN_FINISHED: {
                const struct retl_run_finished *rf = &rec.u.run_finished;
                struct entry *e;
                if (!p->reading || strcmp(p->reading->run_id, rf->run_id)) {
                        retl_log_warn(p->ctx, "RunFinished of run %s at offset %" PRId64
                                      " without its RunStarted; skipped", rf->run_id, off);
                        entry_add(p, off, E_OTHER, NULL)->done = 1;
                        break;
                }
                e = entry_add(p, off, E_END, p->reading);
                e->done = 1;
                e->fin_status = rf->status;
                e->fin_rows = rf->rows + rf->relationship_rows;
                e->fin_error = rf->error ? retl_strdup(rf->error) : NULL;
                p->reading = NULL;
                break;
        }
        case RETL_REC_CONTROL:
                retl_log_info(p->ctx, "offset %" PRId64 ": %s %s", off,
                              rec.u.control.kind == RETL_CONTROL_REPLAY_BEGIN ? "replay begins"
                                                                              : "replay ends",
                              rec.u.control.replay_id);
                entry_add(p, off, E_OTHER, NULL)->done = 1;
                break;
        default:
                retl_log_warn(p->ctx, "offset %" PRId64 ": unexpected %s record; skipped", off,
                              retl_record_type_name(rec.type));
                entry_add(p, off, E_OTHER, NULL)->done = 1;
        }
}

/* ============================================================ outcomes */

static void keys_add(struct retl_partition *p, const struct entry *e, int delta)
{
        for (int k = 0; k < e->nkeys; k++)
                p->keycnt[e->keys[k] & (KEYTAB_SIZE - 1)] += (uint32_t)delta;
}

static void set_outcome(struct retl_partition *p, struct entry *e, enum outcome o,
                        const char *reason)
{
        e->outcome = o;
        if (o == O_FAILED)
                failure(p, e, reason);
        free(e->json);
        e->json = NULL;
        if (o == O_IMPORTED && e->part == RETL_PART_MAIN && e->run->s.segment &&
            e->run->s.import == RETL_IMPORT_PEOPLE) {
                /* joins the segment once identified; done after that */
                if (!p->shead)
                        p->seg_since_ms = retl_pace_now_ms();
                if (p->stail)
                        p->stail->qnext = e;
                else
                        p->shead = e;
                p->stail = e;
                e->qnext = NULL;
                p->nseg++;
                return;
        }
        e->done = 1;
}

struct partial {
        struct req *q;
        char **reasons;
        int *suppressed;
};

static void partial_cb(void *arg, long index, const char *reason, const char *field,
                       const char *message)
{
        struct partial *pa = arg;

        if (index < 0 || (size_t)index >= pa->q->n || pa->reasons[index])
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

/* The outcome of every row of an answered batch. */
static void batch_answered(struct retl_partition *p, struct req *q,
                           const struct retl_track_result *r, int partial)
{
        struct partial pa = {q, retl_calloc(q->n, sizeof(char *)), retl_calloc(q->n, sizeof(int))};
        int nerr = 0;

        if (partial) {
                nerr = retl_track_errors(r->body, r->body_len, partial_cb, &pa);
                if (nerr < 0)
                        retl_log_warn(p->ctx, "unreadable 207 answer: %.200s", r->body);
        }
        for (size_t i = 0; i < q->n; i++) {
                struct entry *e = q->items[i];
                keys_add(p, e, -1);
                if (e->part == RETL_PART_MAIN)
                        e->run->main_pending--;
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
                        failure(p, e, reason);
                }
                e->done = 1;
        }
}

static void ready_push_front(struct retl_partition *p, struct req *q)
{
        q->next = p->ready_head;
        p->ready_head = q;
}

static void flight_unlink(struct retl_partition *p, struct req *q)
{
        if (q->fprev)
                q->fprev->fnext = q->fnext;
        else
                p->flight = q->fnext;
        if (q->fnext)
                q->fnext->fprev = q->fprev;
        q->fnext = q->fprev = NULL;
        p->nflight--;
}

static size_t pending_rows(const struct retl_partition *p)
{
        return p->nentries;
}

void retl_partition_done(void *opaque, const struct retl_track_result *r, void *arg)
{
        struct req *q = opaque;
        struct retl_partition *p = q->p;
        int64_t now = retl_pace_now_ms(), delay;
        enum retl_track_class cls = retl_track_classify(r);
        const char *what = q->kind == R_BATCH ? "batch" : "segment add";

        (void)arg;
        q->x = NULL;
        flight_unlink(p, q);
        metric_answer(p, r);
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
                req_free(q);
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
                                      (double)delay / 1000, pending_rows(p));
                else
                        retl_log_warn(p->ctx, "%s of %zu rows: HTTP %ld%s; retry %d in %.1f s "
                                      "(%zu rows waiting)", what, q->n, r->status,
                                      cls == RETL_TRACK_RATE ? " (rate limited)" : "",
                                      q->attempt, (double)delay / 1000, pending_rows(p));
                ready_push_front(p, q);
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
                ready_push_front(p, q);
                return;
        case RETL_TRACK_REJECT:
                if (q->kind == R_BATCH && q->n > 1) {
                        /* one bad entity spoils a request: halve until it is alone */
                        struct req *h = retl_calloc(1, sizeof(*h));
                        size_t half = q->n / 2;
                        retl_log_warn(p->ctx, "batch of %zu rows refused (HTTP %ld: %.200s); "
                                      "splitting it", q->n, r->status, r->body);
                        h->p = p;
                        h->kind = R_BATCH;
                        h->n = q->n - half;
                        h->items = retl_malloc(h->n * sizeof(*h->items));
                        memcpy(h->items, q->items + half, h->n * sizeof(*h->items));
                        retl_buf_init(&h->body, 0);
                        q->n = half;
                        retl_buf_reset(&q->body);       /* rebuilt when sent */
                        ready_push_front(p, h);
                        ready_push_front(p, q);
                        return;
                } else {
                        char *why = retl_asprintf("refused by the Track API (HTTP %ld): %.300s",
                                                  r->status, r->body);
                        if (q->kind == R_BATCH) {
                                struct entry *e = q->items[0];
                                keys_add(p, e, -1);
                                if (e->part == RETL_PART_MAIN)
                                        e->run->main_pending--;
                                set_outcome(p, e, O_FAILED, why);
                        } else {
                                segment_answered(p, q, why);
                        }
                        free(why);
                        req_free(q);
                }
                return;
        }
}

/* ============================================================= sending */

static int scan_bit(struct retl_partition *p, uint64_t k)
{
        uint32_t i = (uint32_t)(k & (KEYTAB_SIZE - 1));
        return p->scanbits[i >> 3] & (1u << (i & 7));
}

static void scan_set(struct retl_partition *p, uint64_t k)
{
        uint32_t i = (uint32_t)(k & (KEYTAB_SIZE - 1));
        p->scanbits[i >> 3] |= (uint8_t)(1u << (i & 7));
}

/* Takes rows from the send queue, in order, into one batch: skips a row
 * whose key is in flight (and every later row with that key). */
static struct req *build_batch(struct retl_partition *p)
{
        struct entry *e = p->qhead, *prev = NULL;
        struct req *q = NULL;
        size_t cap = 0, bytes = 11, scanned = 0;

        memset(p->scanbits, 0, KEYTAB_SIZE / 8);
        while (e && scanned++ < SCAN_MAX) {
                struct entry *nx = e->qnext;
                int blocked = 0;

                /* relationships go once the run's people/objects are answered */
                if (e->part == RETL_PART_RELATIONSHIPS && e->run->main_pending > 0)
                        break;
                for (int k = 0; k < e->nkeys; k++)
                        blocked |= p->keycnt[e->keys[k] & (KEYTAB_SIZE - 1)] ||
                                   scan_bit(p, e->keys[k]);
                if (blocked) {
                        for (int k = 0; k < e->nkeys; k++)
                                scan_set(p, e->keys[k]);
                        prev = e;
                        e = nx;
                        continue;
                }
                if (q && bytes + e->json_len + 1 > p->env.batch_max)
                        break;
                if (!q) {
                        q = retl_calloc(1, sizeof(*q));
                        q->p = p;
                        q->kind = R_BATCH;
                        retl_buf_init(&q->body, 0);
                }
                if (q->n == cap) {
                        cap = cap ? cap * 2 : 64;
                        q->items = retl_realloc(q->items, cap * sizeof(*q->items));
                }
                q->items[q->n++] = e;
                bytes += e->json_len + 1;
                keys_add(p, e, +1);
                /* unlink from the send queue */
                if (prev)
                        prev->qnext = nx;
                else
                        p->qhead = nx;
                if (p->qtail == e)
                        p->qtail = prev;
                e->qnext = NULL;
                p->qbytes -= e->json_len + 1;
                e = nx;
        }
        return q;
}

static void body_build(struct req *q)
{
        int err = 0;

        retl_buf_reset(&q->body);
        if (q->kind == R_BATCH) {
                err |= retl_buf_puts(&q->body, "{\"batch\":[");
                for (size_t i = 0; i < q->n; i++) {
                        if (i)
                                err |= retl_buf_putc(&q->body, ',');
                        err |= retl_buf_append(&q->body, q->items[i]->json,
                                               q->items[i]->json_len);
                }
                err |= retl_buf_puts(&q->body, "]}");
        } else {
                err |= retl_buf_puts(&q->body, "{\"ids\":[");
                for (size_t i = 0; i < q->n; i++) {
                        if (i)
                                err |= retl_buf_putc(&q->body, ',');
                        err |= retl_jsonw_string(&q->body, q->items[i]->ident,
                                                 strlen(q->items[i]->ident)) != 0;
                }
                err |= retl_buf_puts(&q->body, "]}");
        }
        if (err) {
                retl_log_error("upload", "request body over its ceiling");
                abort();
        }
}

static struct req *build_segment(struct retl_partition *p)
{
        struct entry *e = p->shead;
        struct req *q = retl_calloc(1, sizeof(*q));
        const struct run *r0 = e->run;

        q->p = p;
        q->kind = R_SEGMENT;
        q->segment = r0->s.segment;
        q->items = retl_malloc(SEGMENT_MAX_IDS * sizeof(*q->items));
        retl_buf_init(&q->body, 0);
        /* one segment and id type per request */
        while (e && q->n < SEGMENT_MAX_IDS && e->run->s.segment == r0->s.segment &&
               e->run->s.identify_by == r0->s.identify_by) {
                q->items[q->n++] = e;
                e = e->qnext;
                p->nseg--;
        }
        p->shead = e;
        if (!e)
                p->stail = NULL;
        p->seg_since_ms = retl_pace_now_ms();
        q->url = retl_asprintf("%s/api/v1/segments/%" PRId64 "/add_customers?id_type=%s",
                               p->ws->api_url, q->segment,
                               r0->s.identify_by == RETL_IDENT_EMAIL ? "email" : "id");
        return q;
}

static int queue_flushable(const struct retl_partition *p, int64_t now)
{
        const struct entry *h = p->qhead;

        if (!h)
                return 0;
        if (p->qbytes >= p->env.batch_max || now - h->queued_ms >= p->env.linger_ms)
                return 1;
        /* the run's end is read: nothing more will join */
        return !p->reading || p->reading != p->tail->run;
}

static void send_ready(struct retl_partition *p, int64_t now, int64_t *wake)
{
        int limit = p->auth_blocked ? 1 : p->ws->max_in_flight;

        if (p->auth_blocked && now < p->auth_retry_ms) {
                if (p->auth_retry_ms - now < *wake)
                        *wake = p->auth_retry_ms - now;
                return;
        }
        if (now < p->backoff_until_ms) {
                if (p->backoff_until_ms - now < *wake)
                        *wake = p->backoff_until_ms - now;
                return;
        }
        while (p->nflight < limit) {
                struct req *q = p->ready_head;
                int64_t wait;

                /* Draining (SIGTERM) goes on sending the rows already read,
                 * so that the last commit covers as much as the drain time
                 * allows; nothing new is read meanwhile. */
                if (!q) {
                        if (queue_flushable(p, now) || (p->draining && p->qhead))
                                q = build_batch(p);
                        if (!q && p->shead &&
                            (p->nseg >= SEGMENT_MAX_IDS || now - p->seg_since_ms >= 200 ||
                             !p->qhead))
                                q = build_segment(p);
                        if (!q)
                                break;
                        ready_push_front(p, q);
                }
                if (!q)
                        break;
                if (q->not_before_ms > now) {
                        if (q->not_before_ms - now < *wake)
                                *wake = q->not_before_ms - now;
                        break;
                }
                wait = retl_pace_bucket_take(&p->bucket, now);
                if (wait) {
                        if (wait < *wake)
                                *wake = wait;
                        break;
                }
                p->ready_head = q->next;
                q->next = NULL;
                if (!retl_buf_len(&q->body))
                        body_build(q);
                q->x = retl_track_post(p->env.track, q->kind == R_BATCH ? p->batch_url : q->url,
                                       p->ws->site_id, p->ws->api_key, q->body.b_data,
                                       retl_buf_len(&q->body), p->ws->timeout_s, q);
                q->fnext = p->flight;
                q->fprev = NULL;
                if (p->flight)
                        p->flight->fprev = q;
                p->flight = q;
                p->nflight++;
                if (p->auth_blocked) {
                        p->auth_retry_ms = now + p->env.auth_retry_ms;
                        break;
                }
        }
        if (p->qhead && !p->ready_head && p->nflight < limit) {
                int64_t w = p->qhead->queued_ms + p->env.linger_ms - now;
                if (w < *wake)
                        *wake = w < 1 ? 1 : w;
        }
        if (p->shead && p->nflight < limit) {
                int64_t w = p->seg_since_ms + 200 - now;
                if (w < *wake)
                        *wake = w < 1 ? 1 : w;
        }
}

/* ============================================================ retiring */

static void retire(struct retl_partition *p)
{
        struct entry *e;

        while ((e = p->head) && e->done) {
                struct run *r = e->run;

                switch (e->kind) {
                case E_START:
                        if (p->retiring && p->retiring != r) {
                                /* the previous run never finished: end it here */
                                char why[200];
                                snprintf(why, sizeof(why), "the run never finished in the log "
                                         "(run %s started at offset %" PRId64 ")", r->run_id,
                                         e->offset);
                                if (!p->retiring->reported)
                                        retl_log_warn(p->ctx, "run=%s has no RunFinished before "
                                                      "the next RunStarted: it failed",
                                                      p->retiring->run_id);
                                if (finish_run(p, p->retiring, e->offset, RETL_EXTRACT_FAILED,
                                               NEVER_FINISHED, why)) {
                                        p->commit_retry_ms = retl_pace_now_ms() + 1000;
                                        return;
                                }
                                if (p->reading == p->retiring)
                                        p->reading = NULL;
                                p->retiring = NULL;
                        }
                        p->retiring = r;
                        if (!r->resumed)
                                report(p, r, RETL_IMPORT_RUNNING,
                                       retl_checkpoint_get(&p->cp, r->sync), NULL);
                        break;
                case E_ROW:
                        r->rows++;
                        if (e->outcome == O_IMPORTED || e->outcome == O_FAILED) {
                                char lb[320];
                                sync_labels(p, r->sync, lb, sizeof(lb));
                                retl_metrics_add(p->env.metrics,
                                                 e->outcome == O_IMPORTED
                                                         ? "retl_rows_sent_total"
                                                         : "retl_rows_failed_total",
                                                 lb, 1);
                        }
                        if (e->outcome == O_IMPORTED)
                                r->imported++;
                        else if (e->outcome == O_FAILED)
                                r->failed++;
                        else if (e->outcome == O_SUPPRESSED)
                                r->suppressed++;
                        break;
                case E_END:
                        if (finish_run(p, r, e->offset + 1, e->fin_status, e->fin_rows,
                                       e->fin_error)) {
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

static void free_finished_runs(struct retl_partition *p)
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

int64_t retl_partition_step(struct retl_partition *p, int64_t now)
{
        int64_t wake = 1000;

        if (!p->ws || !p->ready)
                return wake;
        if (p->commit_retry_ms <= now || !p->commit_retry_ms)
                retire(p);
        free_finished_runs(p);
        send_ready(p, now, &wake);
        if (!p->draining)
                checkpoint(p, 0);
        /* backpressure: hold reading while too many rows wait, or while the
         * key is refused */
        if (!p->paused && (pending_rows(p) >= p->env.max_pending || p->auth_blocked))
                pause_set(p, 1);
        else if (p->paused && !p->auth_blocked && pending_rows(p) < p->env.max_pending / 2)
                pause_set(p, 0);
        if (p->attempts && now - p->last_progress_ms >= 10000) {
                p->last_progress_ms = now;
                retl_log_warn(p->ctx, "still retrying: %zu rows waiting, %d requests in flight, "
                              "next attempt in %.1f s", pending_rows(p), p->nflight,
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
