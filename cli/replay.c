/* retl — `retl replay`: re-import runs from a workspace's topic, without the
 * database.
 *
 * The chosen runs are copied to the end of the same topic, framed by
 * Control REPLAY_BEGIN / REPLAY_END, each under a new run id with replay_of
 * naming the original. Two passes over the same records: the first finds
 * the runs and their offset range, so that REPLAY_BEGIN already carries
 * them; the second copies. Appending keeps the replay in order with the
 * workspace's normal imports (one log, one import at a time), and the
 * uploaders import the copies like any run — except that a replay never
 * moves last_sync_time. */
#include "cli/commands.h"
#include "lib/args.h"
#include "lib/cfg.h"
#include "lib/codec.h"
#include "lib/kafka.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

struct replay {
        const char *topic;
        const char *workspace;
        const char *only_run;   /* --run */
        int64_t since_ms;       /* --since */
        int dry_run;
        int copying;            /* second pass: emit the copies */
        rd_kafka_t *rk;
        struct retl_codec *enc;
        struct retl_buf buf;
        char *replay_id;
        int64_t now_ms;
        /* the run being copied */
        char *copy_run;         /* original id */
        char *copy_sync;
        char *new_run;
        /* the plan (first pass): the runs and their range */
        char **runs;
        size_t nruns;
        int64_t rows;
        int64_t first_offset, last_offset;
        int64_t scanned_to;     /* the last offset the first pass read */
        size_t ncopied;         /* second pass: runs copied so far */
        int failed;
        char err[1024];
};

static int64_t now_ms(void)
{
        struct timeval tv;
        gettimeofday(&tv, NULL);
        return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static int emit(struct replay *rp, const struct retl_record *rec, const char *key)
{
        rd_kafka_resp_err_t e;
        if (!rp->copying)
                return 0;
        if (retl_codec_encode(rp->enc, rec, &rp->buf, rp->err, sizeof(rp->err)))
                return -1;
        while ((e = rd_kafka_producev(rp->rk, RD_KAFKA_V_TOPIC(rp->topic),
                                      RD_KAFKA_V_KEY(key, strlen(key)),
                                      RD_KAFKA_V_VALUE(rp->buf.b_data, rp->buf.b_len),
                                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                      RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                rd_kafka_poll(rp->rk, 100);
        if (e) {
                snprintf(rp->err, sizeof(rp->err), "producing to %s: %s", rp->topic,
                         rd_kafka_err2str(e));
                return -1;
        }
        rd_kafka_poll(rp->rk, 0);
        return 0;
}

static int emit_control(struct replay *rp, enum retl_control_kind kind)
{
        struct retl_record rec = {.type = RETL_REC_CONTROL};
        rec.u.control = (struct retl_control){kind, rp->replay_id, rp->workspace, rp->now_ms,
                                              rp->first_offset, rp->last_offset, rp->nruns,
                                              (const char *const *)rp->runs, NULL, 0};
        return emit(rp, &rec, rp->workspace);
}

static void end_copy(struct replay *rp)
{
        free(rp->copy_run);
        free(rp->copy_sync);
        free(rp->new_run);
        rp->copy_run = rp->copy_sync = rp->new_run = NULL;
}

static int on_record(void *opaque, int64_t offset, int64_t ts, const struct retl_record *rec,
                     const char *why)
{
        struct replay *rp = opaque;
        struct retl_record out;

        /* the second pass reads exactly what the first one did */
        if (rp->copying && offset > rp->scanned_to)
                return 1;
        if (!rp->copying)
                rp->scanned_to = offset;
        if (!rec) {
                if (!rp->copying)       /* said once, in the first pass */
                        retl_log_warn("replay", "%s offset %lld: %s (skipped)", rp->topic,
                                      (long long)offset, why);
                return 0;
        }
        switch (rec->type) {
        case RETL_REC_RUN_STARTED: {
                const struct retl_run_started *rs = &rec->u.run_started;
                /* --since: the original runs only; a replay of one is not
                 * replayed again */
                int want = rp->only_run ? !strcmp(rs->run_id, rp->only_run)
                                        : rs->started_at_ms >= rp->since_ms && !rs->replay_of;
                if (rp->copy_run) {
                        /* the previous run never finished in the log (cut short) */
                        if (!rp->copying)
                                retl_log_warn("replay", "run %s has no run-finished record; "
                                              "its copy ends as cancelled", rp->copy_run);
                        out.type = RETL_REC_RUN_FINISHED;
                        out.u.run_finished = (struct retl_run_finished){
                                rp->new_run, rp->copy_sync, RETL_EXTRACT_CANCELLED, 0, 0,
                                rp->now_ms, "the original run has no end in the topic"};
                        if (emit(rp, &out, rp->copy_sync))
                                return rp->failed = 1;
                        end_copy(rp);
                }
                if (!want)
                        return 0;
                if (rp->copying) {
                        rp->ncopied++;
                } else {
                        if (!rp->nruns)
                                rp->first_offset = offset;
                        rp->runs = retl_realloc(rp->runs, (rp->nruns + 1) * sizeof(*rp->runs));
                        rp->runs[rp->nruns++] = retl_strdup(rs->run_id);
                }
                rp->copy_run = retl_strdup(rs->run_id);
                rp->copy_sync = retl_strdup(rs->sync);
                rp->new_run = retl_asprintf("%s-replay-%llx", rs->run_id,
                                            (unsigned long long)rp->now_ms);
                out = *rec;
                out.u.run_started.run_id = rp->new_run;
                out.u.run_started.replay_of = rs->replay_of ? rs->replay_of : rs->run_id;
                if (emit(rp, &out, rs->sync))
                        return rp->failed = 1;
                rp->last_offset = offset;
                return 0;
        }
        case RETL_REC_ROW:
                if (!rp->copy_run || strcmp(rec->u.row.run_id, rp->copy_run))
                        return 0;
                out = *rec;
                out.u.row.run_id = rp->new_run;
                if (emit(rp, &out, rec->u.row.sync))
                        return rp->failed = 1;
                rp->rows++;
                rp->last_offset = offset;
                return 0;
        case RETL_REC_RUN_FINISHED:
                if (!rp->copy_run || strcmp(rec->u.run_finished.run_id, rp->copy_run))
                        return 0;
                out = *rec;
                out.u.run_finished.run_id = rp->new_run;
                if (emit(rp, &out, rec->u.run_finished.sync))
                        return rp->failed = 1;
                end_copy(rp);
                rp->last_offset = offset;
                /* --run: done once its run is copied */
                return rp->only_run != NULL;
        default:
                return 0;
        }
}

/* Second pass: REPLAY_BEGIN with the plan, the same records again with the
 * copies written, REPLAY_END, all acknowledged. */
static int copy_runs(struct replay *rp, const struct retl_cfg_kafka *kc, int64_t from_offset,
                     int64_t from_time_ms)
{
        size_t planned = rp->nruns;

        rp->copying = 1;
        rp->rows = 0;
        if (emit_control(rp, RETL_CONTROL_REPLAY_BEGIN))
                return -1;
        if (retl_scan_topic(kc, rp->topic, from_offset, from_time_ms, on_record, rp, rp->err,
                            sizeof(rp->err)))
                return -1;
        if (rp->failed)
                return -1;
        if (rp->copy_run) {
                /* the last run was still being extracted when we looked */
                struct retl_record fin = {.type = RETL_REC_RUN_FINISHED};
                fin.u.run_finished = (struct retl_run_finished){
                        rp->new_run, rp->copy_sync, RETL_EXTRACT_CANCELLED, 0, 0, rp->now_ms,
                        "the original run had not finished when it was replayed"};
                if (emit(rp, &fin, rp->workspace))
                        return -1;
        }
        if (rp->ncopied != planned) {
                /* retention removed records between the passes */
                snprintf(rp->err, sizeof(rp->err), "%zu of the %zu runs were still in %s when "
                         "copied; the replay ends incomplete", rp->ncopied, planned, rp->topic);
                emit_control(rp, RETL_CONTROL_REPLAY_END);
                rd_kafka_flush(rp->rk, 60000);
                return -1;
        }
        if (emit_control(rp, RETL_CONTROL_REPLAY_END))
                return -1;
        if (rd_kafka_flush(rp->rk, 60000)) {
                snprintf(rp->err, sizeof(rp->err), "the broker did not acknowledge the copies "
                         "within 60 s; nothing is certain to be replayed");
                return -1;
        }
        return 0;
}

/* The oldest record's time, to tell a window retention already removed. */
static int oldest(void *opaque, int64_t offset, int64_t ts, const struct retl_record *rec,
                  const char *why)
{
        *(int64_t *)opaque = ts;
        return 1;
}

static int usage(FILE *out)
{
        fprintf(out,
                "usage: retl replay -c FILE WORKSPACE (--run RUN | --since TIME) [--dry-run]\n\n"
                "Re-imports runs from the workspace's topic without touching the database:\n"
                "the runs are appended to the topic again, in order with the workspace's\n"
                "normal imports, and the uploaders import them like any run. A replay never\n"
                "moves last_sync_time backwards. Runs older than the topic's retention are\n"
                "gone: asking for them is an error.\n\n"
                "  -c, --config FILE  the configuration file\n"
                "  --run RUN          replay one run (an id as `retl status` shows it)\n"
                "  --since TIME       replay every run started at or after TIME\n"
                "                     (e.g. 2024-05-01T12:00:00Z); earlier replays are not\n"
                "                     replayed again\n"
                "  --dry-run          say what would be replayed, append nothing\n");
        return out == stdout ? 0 : 2;
}

int retl_replay_main(int argc, char **argv)
{
        const char *path = NULL, *ws = NULL, *since = NULL;
        struct replay rp;
        struct retl_cfg *cfg = NULL;
        char err[16384], *topic = NULL;
        int64_t low, high, since_s = 0, from_time = 0;
        int rc = 1;
        struct retl_args ra = {"replay", argc, argv, 1};

        memset(&rp, 0, sizeof(rp));
        for (; ra.ra_i < argc; ra.ra_i++) {
                const char *arg = argv[ra.ra_i];
                int bad = 0;

                if (!strcmp(arg, "-h") || !strcmp(arg, "--help"))
                        return usage(stdout);
                else if (retl_args_is(&ra, "-c", "--config"))
                        bad = retl_args_value(&ra, &path);
                else if (retl_args_is(&ra, NULL, "--run"))
                        bad = retl_args_value(&ra, &rp.only_run);
                else if (retl_args_is(&ra, NULL, "--since"))
                        bad = retl_args_value(&ra, &since);
                else if (!strcmp(arg, "--dry-run"))
                        rp.dry_run = 1;
                else if (arg[0] != '-' && !ws)
                        ws = arg;
                else
                        return retl_args_unknown(&ra);
                if (bad)
                        return 2;
        }
        if (!path || !ws || (!rp.only_run == !since)) {
                fprintf(stderr, "retl replay: -c FILE, WORKSPACE and one of --run or --since are "
                        "required (see --help)\n");
                return 2;
        }
        if (since && retl_cfg_parse_time(since, &since_s)) {
                fprintf(stderr, "retl replay: --since '%s': expected a time like "
                        "2024-05-01T12:00:00Z\n", since);
                return 2;
        }
        if (retl_cfg_load_secrets(path, RETL_CFG_SECRETS_KAFKA, &cfg, err, sizeof(err))) {
                fprintf(stderr, "%s\n", err);
                return 1;
        }
        if (!retl_cfg_workspace_find(cfg, ws)) {
                fprintf(stderr, "retl replay: workspace '%s' is not in %s\n", ws, path);
                goto out;
        }
        topic = retl_cfg_workspace_topic(cfg, ws);
        rp.topic = topic;
        rp.workspace = ws;
        rp.since_ms = since_s * 1000;
        rp.now_ms = now_ms();
        rp.replay_id = retl_asprintf("replay-%s-%llx", ws, (unsigned long long)rp.now_ms);
        retl_buf_init(&rp.buf, 0);
        rp.enc = retl_codec_new(err, sizeof(err));
        rp.rk = retl_kafka_producer_new(&cfg->kafka, "retl-replay", NULL, NULL, err, sizeof(err));
        if (!rp.enc || !rp.rk) {
                fprintf(stderr, "retl replay: %s\n", err);
                goto out;
        }
        if (retl_kafka_wait_cluster(rp.rk, &cfg->kafka, err, sizeof(err)) ||
            retl_kafka_watermarks(rp.rk, topic, retl_kafka_timeout_ms(&cfg->kafka), &low, &high,
                                  err, sizeof(err))) {
                fprintf(stderr, "retl replay: %s\n", err);
                goto out;
        }
        if (since) {
                int64_t first_ts = -1;
                if (low > 0 &&
                    !retl_scan_topic(&cfg->kafka, topic, low, 0, oldest, &first_ts, err,
                                     sizeof(err)) &&
                    first_ts > rp.since_ms) {
                        char t[32];
                        time_t tt = (time_t)(first_ts / 1000);
                        struct tm tm;
                        gmtime_r(&tt, &tm);
                        strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", &tm);
                        fprintf(stderr,
                                "retl replay: %s no longer holds records from %s: retention "
                                "removed them (the oldest kept is from %s; kafka.retention_ms "
                                "sets the replay window)\n",
                                topic, since, t);
                        goto out;
                }
                from_time = rp.since_ms;
        }
        /* first pass: which runs, which range; nothing is written */
        if (retl_scan_topic(&cfg->kafka, topic, low, from_time, on_record, &rp, err,
                            sizeof(err))) {
                fprintf(stderr, "retl replay: %s\n", err);
                goto out;
        }
        end_copy(&rp);
        if (!rp.nruns) {
                if (rp.only_run)
                        fprintf(stderr, "retl replay: run '%s' is not in %s (offsets %lld to "
                                "%lld): unknown, or removed by retention\n",
                                rp.only_run, topic, (long long)low, (long long)high);
                else
                        fprintf(stderr, "retl replay: no run of %s started at or after %s\n",
                                ws, since);
                goto out;
        }
        if (!rp.dry_run && copy_runs(&rp, &cfg->kafka, low, from_time)) {
                fprintf(stderr, "retl replay: %s\n", rp.err);
                goto out;
        }
        printf("%s%s: %zu run%s, %lld rows (offsets %lld to %lld) %s %s\n",
               rp.dry_run ? "dry run: " : "", rp.replay_id, rp.nruns, rp.nruns == 1 ? "" : "s",
               (long long)rp.rows, (long long)rp.first_offset, (long long)rp.last_offset,
               rp.dry_run ? "would be appended to" : "appended to", topic);
        for (size_t i = 0; i < rp.nruns; i++)
                printf("  %s\n", rp.runs[i]);
        if (!rp.dry_run)
                printf("The uploaders import them next; `retl status -c %s` shows them as "
                       "replays.\n", path);
        rc = 0;
out:
        if (rp.rk)
                rd_kafka_destroy(rp.rk);
        retl_codec_destroy(rp.enc);
        retl_buf_free(&rp.buf);
        for (size_t i = 0; i < rp.nruns; i++)
                free(rp.runs[i]);
        free(rp.runs);
        end_copy(&rp);
        free(rp.replay_id);
        free(topic);
        retl_cfg_destroy(cfg);
        return rc;
}
