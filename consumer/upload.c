/* retl uploader — `retl upload`: the worker's startup, signals and loop.
 *
 * One thread: it polls the consumer, drives the HTTP transfers and steps
 * every assigned workspace partition (consumer/partition.c). Kafka's group
 * spreads workspace topics over workers; this one takes what it is given.
 *
 * SIGHUP, or a change of the configuration file (checked every 2 s, as a
 * Kubernetes ConfigMap changes): the file is loaded again and, when valid,
 * its workspaces replace the running ones: changed settings apply to the next
 * requests, a workspace added is consumed, a workspace removed is paused
 * (nothing committed). The kafka group applies after a restart. A file that
 * does not load is refused and logged; the running configuration stays. */
#include "consumer/upload.h"
#include "consumer/pace.h"
#include "consumer/partition.h"
#include "consumer/track.h"
#include "lib/cfg.h"
#include "lib/cfgwatch.h"
#include "lib/checkpoint.h"
#include "lib/codec.h"
#include "lib/kafka.h"
#include "lib/log.h"
#include "lib/signals.h"
#include "lib/mem.h"
#include "lib/metrics.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The uploader reads the Kafka and Track API secrets, never the database's. */
#define UPLOAD_SECRETS (RETL_CFG_SECRETS_KAFKA | RETL_CFG_SECRETS_WORKSPACES)

static volatile sig_atomic_t stop_signals;
static volatile sig_atomic_t reload_requested;

static void on_signal(int sig)
{
        (void)sig;
        stop_signals++;
}

static void on_hup(int sig)
{
        (void)sig;
        reload_requested = 1;
}

struct upload {
        struct retl_cfg *cfg;           /* live: workspaces (reloaded) */
        struct retl_cfg *kcfg;          /* from startup: kafka (may be cfg) */
        struct retl_metrics *metrics;
        int joined;                     /* a first assignment came */
        int kafka_ok;                   /* the broker answered lately */
        rd_kafka_t *rk;
        rd_kafka_t *producer;
        struct retl_codec *codec;
        struct retl_track *track;
        struct retl_partition_env env;
        struct retl_partition **parts;
        size_t nparts;
        char **warned;                  /* topics already reported as unknown */
        size_t nwarned;
        int64_t delivery_errors;
        int pipefd[2];
        const char *client_id;
};

struct options {
        const char *config;
        const char *client_id;
        const char *log_level;
        int status;
        int64_t checkpoint_rows;
        int64_t checkpoint_s;
        int64_t auth_retry_s;
        int64_t drain_s;
        int64_t batch_bytes;
};

static void usage(FILE *out)
{
        fprintf(out,
                "usage: retl upload -c FILE [OPTIONS]\n"
                "       retl upload -c FILE --status\n"
                "\n"
                "Consumes every workspace topic (kafka.topic_prefix + workspace) as a member\n"
                "of kafka.group and imports the runs into the workspaces' Track API.\n"
                "\n"
                "  -c, --config FILE          the configuration file\n"
                "      --status               print each workspace's committed offset and\n"
                "                             checkpoint, then exit\n"
                "      --client-id ID         Kafka client.id (default retl-upload-<pid>)\n"
                "      --log-level LEVEL      error, warn, info, debug (default: log_level)\n"
                "      --checkpoint-rows N    mid-run checkpoint every N rows (10000)\n"
                "      --checkpoint-interval S  ... or every S seconds (10)\n"
                "      --auth-retry S         after 401/403, try again every S seconds (60)\n"
                "      --drain-timeout S      on SIGTERM, wait S seconds for requests in\n"
                "                             flight (25)\n"
                "      --batch-bytes N        request body size cap (500000)\n"
                "\n"
                "SIGHUP, or a change of the file or of a secret file it names (checked every\n"
                "2 s), reloads the workspaces.\n"
                "With metrics.listen set: /metrics, /healthz, /readyz.\n"
                "See consumer/README.md.\n");
}

static int parse_opts(int argc, char **argv, struct options *o)
{
        static const struct option longs[] = {
                {"config", required_argument, NULL, 'c'},
                {"status", no_argument, NULL, 's'},
                {"client-id", required_argument, NULL, 'i'},
                {"log-level", required_argument, NULL, 'l'},
                {"checkpoint-rows", required_argument, NULL, 'r'},
                {"checkpoint-interval", required_argument, NULL, 't'},
                {"auth-retry", required_argument, NULL, 'a'},
                {"drain-timeout", required_argument, NULL, 'd'},
                {"batch-bytes", required_argument, NULL, 'b'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0},
        };
        int c;

        memset(o, 0, sizeof(*o));
        o->checkpoint_rows = 10000;
        o->checkpoint_s = 10;
        o->auth_retry_s = 60;
        o->drain_s = 25;
        o->batch_bytes = 500000;
        optind = 1;
        while ((c = getopt_long(argc, argv, "c:h", longs, NULL)) != -1) {
                char *end = NULL;
                long long v = 0;
                if (strchr("rtadb", c)) {
                        errno = 0;
                        v = strtoll(optarg, &end, 10);
                        if (errno || *end || v < 1) {
                                fprintf(stderr, "retl upload: bad number '%s'\n", optarg);
                                return 2;
                        }
                }
                switch (c) {
                case 'c': o->config = optarg; break;
                case 's': o->status = 1; break;
                case 'i': o->client_id = optarg; break;
                case 'l': o->log_level = optarg; break;
                case 'r': o->checkpoint_rows = v; break;
                case 't': o->checkpoint_s = v; break;
                case 'a': o->auth_retry_s = v; break;
                case 'd': o->drain_s = v; break;
                case 'b':
                        if (v < 40000 || v > 500 * 1024) {
                                fprintf(stderr, "retl upload: --batch-bytes must be "
                                        "40000..512000\n");
                                return 2;
                        }
                        o->batch_bytes = v;
                        break;
                case 'h': usage(stdout); return 1;
                default: usage(stderr); return 2;
                }
        }
        if (!o->config || optind != argc) {
                usage(stderr);
                return 2;
        }
        return 0;
}

/* ========================================================== reports out */

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
        struct upload *u = opaque;

        (void)rk;
        if (rkm->err) {
                u->delivery_errors++;
                retl_log_error("upload", "report to %s not delivered: %s",
                               rd_kafka_topic_name(rkm->rkt), rd_kafka_err2str(rkm->err));
        }
}

/* Everything produced so far is delivered (or we say so). */
static int flush_reports(void *arg)
{
        struct upload *u = arg;
        int64_t before = u->delivery_errors;

        rd_kafka_flush(u->producer, 30000);
        if (rd_kafka_outq_len(u->producer) > 0)
                return -1;
        /* an idempotent producer retries on its own; a failure here means
         * the reports are lost: do not commit past them */
        return u->delivery_errors != before ? -1 : 0;
}

/* ========================================================= assignment */

static struct retl_partition *find_part(struct upload *u, const char *topic, size_t *idx)
{
        for (size_t i = 0; i < u->nparts; i++)
                if (!strcmp(retl_partition_topic(u->parts[i]), topic)) {
                        if (idx)
                                *idx = i;
                        return u->parts[i];
                }
        return NULL;
}

static int warned_once(struct upload *u, const char *topic)
{
        for (size_t i = 0; i < u->nwarned; i++)
                if (!strcmp(u->warned[i], topic))
                        return 1;
        u->warned = retl_realloc(u->warned, (u->nwarned + 1) * sizeof(*u->warned));
        u->warned[u->nwarned++] = retl_strdup(topic);
        return 0;
}

static void pause_one(rd_kafka_t *rk, const char *topic, int32_t partition)
{
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, topic, partition);
        rd_kafka_pause_partitions(rk, l);
        rd_kafka_topic_partition_list_destroy(l);
}

static void on_assign(struct upload *u, rd_kafka_topic_partition_list_t *parts)
{
        const char *prefix = u->kcfg->kafka.topic_prefix;
        size_t plen = strlen(prefix);

        u->joined = 1;
        for (int i = 0; i < parts->cnt; i++) {
                rd_kafka_topic_partition_t *tp = &parts->elems[i];
                const struct retl_cfg_workspace *ws = NULL;
                struct retl_partition *p;
                int64_t start;

                if (find_part(u, tp->topic, NULL))
                        continue;
                if (tp->partition == 0 && !strncmp(tp->topic, prefix, plen) &&
                    strcmp(tp->topic, u->kcfg->kafka.imports_topic) &&
                    strcmp(tp->topic, u->kcfg->kafka.failures_topic))
                        ws = retl_cfg_workspace_find(u->cfg, tp->topic + plen);
                if (!ws && !warned_once(u, tp->topic)) {
                        if (!strcmp(tp->topic, u->kcfg->kafka.imports_topic) ||
                            !strcmp(tp->topic, u->kcfg->kafka.failures_topic))
                                retl_log_info("upload", "%s [%d] is no workspace topic; "
                                              "not consumed", tp->topic, tp->partition);
                        else
                                retl_log_error("upload",
                                               "topic %s [%d] matches the workspace prefix "
                                               "but workspace '%s' is not in the "
                                               "configuration: not consumed, never committed",
                                               tp->topic, tp->partition, tp->topic + plen);
                }
                p = retl_partition_new(&u->env, u->cfg, tp->partition == 0 ? ws : NULL,
                                       tp->topic);
                u->parts = retl_realloc(u->parts, (u->nparts + 1) * sizeof(*u->parts));
                u->parts[u->nparts++] = p;
                if (ws && !retl_partition_init(p, 10000, &start))
                        tp->offset = start;
                retl_log_info("upload", "%s: assigned %s [%d]%s", u->client_id, tp->topic,
                              tp->partition,
                              !ws ? " (paused)" : retl_partition_ready(p) ? "" : " (waiting for "
                              "its committed offset)");
        }
}

static void on_revoke(struct upload *u, const rd_kafka_topic_partition_list_t *parts)
{
        for (int i = 0; i < parts->cnt; i++) {
                size_t idx;
                struct retl_partition *p = find_part(u, parts->elems[i].topic, &idx);
                if (!p)
                        continue;
                /* what is acknowledged may still be committed; the rest is
                 * dropped and the next owner imports it again */
                retl_partition_checkpoint(p);
                retl_partition_destroy(p);
                u->parts[idx] = u->parts[--u->nparts];
                retl_log_info("upload", "%s: revoked %s [%d]", u->client_id,
                              parts->elems[i].topic, parts->elems[i].partition);
        }
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        struct upload *u = opaque;
        int coop = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
        rd_kafka_error_t *error = NULL;
        rd_kafka_resp_err_t aerr = RD_KAFKA_RESP_ERR_NO_ERROR;

        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                on_assign(u, parts);
                if (coop)
                        error = rd_kafka_incremental_assign(rk, parts);
                else
                        aerr = rd_kafka_assign(rk, parts);
                /* unknown workspaces and those still waiting: hold them */
                for (int i = 0; i < parts->cnt; i++) {
                        struct retl_partition *p = find_part(u, parts->elems[i].topic, NULL);
                        if (p && (!retl_partition_usable(p) || !retl_partition_ready(p)))
                                pause_one(rk, parts->elems[i].topic, parts->elems[i].partition);
                }
        } else {
                on_revoke(u, parts);
                if (coop)
                        error = rd_kafka_incremental_unassign(rk, parts);
                else
                        aerr = rd_kafka_assign(rk, NULL);
        }
        if (error) {
                retl_log_error("upload", "rebalance: %s", rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
        } else if (aerr) {
                retl_log_error("upload", "rebalance: %s", rd_kafka_err2str(aerr));
        }
}

/* Partitions whose committed offset could not be read at assignment. */
static void init_waiting(struct upload *u)
{
        for (size_t i = 0; i < u->nparts; i++) {
                struct retl_partition *p = u->parts[i];
                rd_kafka_topic_partition_list_t *l;
                rd_kafka_error_t *error;
                int64_t start;

                if (!retl_partition_usable(p) || retl_partition_ready(p))
                        continue;
                if (retl_partition_init(p, 2000, &start))
                        continue;
                l = rd_kafka_topic_partition_list_new(1);
                rd_kafka_topic_partition_list_add(l, retl_partition_topic(p), 0)->offset =
                        start >= 0 ? start : RD_KAFKA_OFFSET_BEGINNING;
                error = rd_kafka_seek_partitions(u->rk, l, 10000);
                if (error) {
                        retl_log_error("upload", "seek on %s: %s", retl_partition_topic(p),
                                       rd_kafka_error_string(error));
                        rd_kafka_error_destroy(error);
                }
                rd_kafka_resume_partitions(u->rk, l);
                rd_kafka_topic_partition_list_destroy(l);
        }
}

/* ============================================================== reload */

static int same_str(const char *a, const char *b)
{
        return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Loads the file again; when valid, its workspaces replace the running
 * ones. Runs on the loop, never inside a librdkafka or curl callback. */
static void reload(struct upload *u, const char *cli_log_level)
{
        struct retl_cfg *old = u->cfg, *cfg;
        const char *prefix = u->kcfg->kafka.topic_prefix;
        size_t plen = strlen(prefix);
        char err[16384];

        if (retl_cfg_load_secrets(old->path, UPLOAD_SECRETS, &cfg, err, sizeof(err))) {
                retl_log_error("upload", "configuration not reloaded, the running one stays: %s",
                               err);
                return;
        }
        if (!retl_cfg_kafka_same(&u->kcfg->kafka, &cfg->kafka))
                retl_log_warn("upload", "the kafka settings changed: they apply after a restart; "
                              "the workspaces' changes apply now");
        if (!same_str(u->kcfg->metrics.listen, cfg->metrics.listen))
                retl_log_warn("upload", "metrics.listen changed: it applies after a restart");
        if (!cli_log_level && cfg->log_level && !same_str(old->log_level, cfg->log_level)) {
                int lvl = retl_log_parse_level(cfg->log_level);
                if (lvl >= 0)
                        retl_log_set_level(lvl);
        }
        for (size_t i = 0; i < u->nparts; i++) {
                struct retl_partition *p = u->parts[i];
                const char *topic = retl_partition_topic(p);
                const struct retl_cfg_workspace *ws = NULL;
                int was = retl_partition_usable(p);
                char *t;

                if (!strncmp(topic, prefix, plen) && strcmp(topic, u->kcfg->kafka.imports_topic) &&
                    strcmp(topic, u->kcfg->kafka.failures_topic))
                        ws = retl_cfg_workspace_find(cfg, topic + plen);
                if (ws && was) {
                        retl_partition_set_workspace(p, cfg, ws);
                        continue;
                }
                if (!ws && !was)
                        continue;
                /* added or removed: a fresh partition state. Added: it reads
                 * its committed offset on the loop (init_waiting) and is
                 * resumed there. Removed: what is not committed stays in the
                 * log for whoever consumes the workspace again. */
                t = retl_strdup(topic);
                retl_partition_destroy(p);
                u->parts[i] = retl_partition_new(&u->env, cfg, ws, t);
                topic = retl_partition_topic(u->parts[i]);
                free(t);
                if (ws) {
                        retl_log_info("upload", "workspace %s added to the configuration: "
                                      "consuming %s", ws->name, topic);
                } else {
                        pause_one(u->rk, topic, 0);
                        retl_log_warn("upload", "workspace %s removed from the configuration: "
                                      "%s paused, nothing committed, nothing lost", topic + plen,
                                      topic);
                }
        }
        u->cfg = cfg;
        if (old != u->kcfg)
                retl_cfg_destroy(old);
        retl_log_info("upload", "configuration reloaded from %s (%zu workspaces)", cfg->path,
                      cfg->nworkspaces);
}

/* Every few seconds: consumer lag of each partition, and whether the
 * broker answers (for /readyz). */
static void refresh(struct upload *u)
{
        const struct rd_kafka_metadata *md = NULL;
        int ok;

        for (size_t i = 0; i < u->nparts; i++)
                if (retl_partition_usable(u->parts[i]) && retl_partition_ready(u->parts[i]))
                        retl_partition_refresh_lag(u->parts[i], 0);
        /* Brokers only, no topic: librdkafka honours this timeout even when a
         * broker stops answering, so the loop pauses a second at most. */
        ok = !rd_kafka_metadata(u->rk, 0, NULL, &md, 1000);
        if (md)
                rd_kafka_metadata_destroy(md);
        if (ok != u->kafka_ok)
                retl_log_info("upload", "Kafka %s", ok ? "answers" : "does not answer");
        u->kafka_ok = ok;
}

static void update_ready(struct upload *u, int stopping)
{
        if (stopping)
                retl_metrics_ready(u->metrics, 0, "stopping");
        else if (!u->joined)
                retl_metrics_ready(u->metrics, 0, "joining the consumer group");
        else if (!u->kafka_ok)
                retl_metrics_ready(u->metrics, 0, "Kafka does not answer");
        else
                retl_metrics_ready(u->metrics, 1, NULL);
}

/* ============================================================ --status */

static int status(struct retl_cfg *cfg)
{
        char errstr[512], cid[64];
        rd_kafka_t *rk;
        int rc = 0;

        snprintf(cid, sizeof(cid), "retl-upload-status-%d", (int)getpid());
        rk = retl_kafka_consumer_new(&cfg->kafka, cfg->kafka.group, cid, NULL, errstr,
                                     sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "retl upload: %s\n", errstr);
                return 1;
        }
        for (size_t i = 0; i < cfg->nworkspaces; i++) {
                char *topic = retl_cfg_workspace_topic(cfg, cfg->workspaces[i].name);
                int64_t off, lo = -1, hi = -1;
                char *meta = NULL;

                if (retl_kafka_committed(rk, topic, 10000, &off, &meta, errstr,
                                         sizeof(errstr))) {
                        fprintf(stderr, "retl upload: %s\n", errstr);
                        rc = 1;
                } else {
                        (void)retl_kafka_watermarks(rk, topic, 10000, &lo, &hi, errstr,
                                                    sizeof(errstr));
                        printf("workspace=%s topic=%s committed=%" PRId64 " end=%" PRId64
                               " checkpoint=\"%s\"\n",
                               cfg->workspaces[i].name, topic, off, hi, meta ? meta : "");
                }
                free(meta);
                free(topic);
        }
        rd_kafka_destroy(rk);
        return rc;
}

/* ============================================================== main */

static char *topic_pattern(const char *prefix)
{
        size_t n = strlen(prefix);
        char *pat = retl_malloc(2 * n + 4), *q = pat;

        *q++ = '^';
        for (size_t i = 0; i < n; i++) {
                if (strchr("\\^$.|?*+()[]{}", prefix[i]))
                        *q++ = '\\';
                *q++ = prefix[i];
        }
        *q++ = '.';
        *q++ = '+';
        *q = '\0';
        return pat;
}

static int user_set(const struct retl_cfg_kafka *kc, const char *name)
{
        for (size_t i = 0; i < kc->nprops; i++)
                if (!strcmp(kc->props[2 * i], name))
                        return 1;
        return 0;
}

static void drain_pipe(int fd)
{
        char buf[256];
        while (read(fd, buf, sizeof(buf)) > 0)
                ;
}

static int setup(struct upload *u, char *errstr, size_t errstr_size)
{
        const char *extra[20];
        size_t ne = 0;
        rd_kafka_conf_t *conf;

        u->codec = retl_codec_new(errstr, errstr_size);
        if (!u->codec)
                return -1;
        u->track = retl_track_new(errstr, errstr_size);
        if (!u->track)
                return -1;
        u->producer = retl_kafka_producer_new(&u->kcfg->kafka, u->client_id, dr_cb, u, errstr,
                                              errstr_size);
        if (!u->producer)
                return -1;
        if (retl_kafka_ensure_topic(u->producer, &u->kcfg->kafka, u->kcfg->kafka.imports_topic,
                                    15000, errstr, errstr_size) ||
            retl_kafka_ensure_topic(u->producer, &u->kcfg->kafka, u->kcfg->kafka.failures_topic,
                                    15000, errstr, errstr_size))
                return -1;

        /* offsets move only by our explicit commits */
        extra[ne++] = "group.id";
        extra[ne++] = u->kcfg->kafka.group;
        extra[ne++] = "client.id";
        extra[ne++] = u->client_id;
        extra[ne++] = "enable.auto.commit";
        extra[ne++] = "false";
        extra[ne++] = "enable.auto.offset.store";
        extra[ne++] = "false";
        extra[ne++] = "auto.offset.reset";
        extra[ne++] = "earliest";
        /* roundrobin: with one partition per topic, "range" would give every
         * workspace to the same member. New topics show up on the next
         * metadata refresh. */
        if (!user_set(&u->kcfg->kafka, "partition.assignment.strategy")) {
                extra[ne++] = "partition.assignment.strategy";
                extra[ne++] = "roundrobin";
        }
        if (!user_set(&u->kcfg->kafka, "topic.metadata.refresh.interval.ms")) {
                extra[ne++] = "topic.metadata.refresh.interval.ms";
                extra[ne++] = "10000";
        }
        extra[ne] = NULL;
        conf = retl_kafka_conf_new(&u->kcfg->kafka, extra, errstr, errstr_size);
        if (!conf)
                return -1;
        rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
        rd_kafka_conf_set_opaque(conf, u);
        u->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, errstr_size);
        if (!u->rk) {
                rd_kafka_conf_destroy(conf);
                return -1;
        }
        return 0;
}

int retl_upload_main(int argc, char **argv)
{
        struct options o;
        struct upload u;
        char errstr[2048], cid[64];
        int rc, exit_code = 1;
        char *pattern = NULL;
        rd_kafka_topic_partition_list_t *sub = NULL;
        rd_kafka_queue_t *cq = NULL;
        rd_kafka_resp_err_t err;
        int64_t drain_deadline = 0, last_look_ms = 0, last_refresh_ms = 0;
        struct retl_cfgwatch watch;

        rc = parse_opts(argc, argv, &o);
        if (rc)
                return rc == 1 ? 0 : rc;
        memset(&u, 0, sizeof(u));
        u.pipefd[0] = u.pipefd[1] = -1;
        /* --status needs Kafka only */
        if (retl_cfg_load_secrets(o.config, o.status ? RETL_CFG_SECRETS_KAFKA : UPLOAD_SECRETS,
                                  &u.cfg, errstr, sizeof(errstr))) {
                fprintf(stderr, "retl upload: %s\n", errstr);
                return 1;
        }
        u.kcfg = u.cfg;
        /* the file and the secret files it names: a key rotated in its
         * Secret is read again like a changed file */
        retl_cfgwatch_init(&watch, u.cfg->path);
        retl_cfgwatch_rearm(&watch, u.cfg);
        if (o.log_level || u.cfg->log_level) {
                int lvl = retl_log_parse_level(o.log_level ? o.log_level : u.cfg->log_level);
                if (lvl < 0) {
                        fprintf(stderr, "retl upload: bad log level\n");
                        goto out;
                }
                retl_log_set_level(lvl);
        }
        if (o.status) {
                exit_code = status(u.cfg);
                goto out;
        }
        snprintf(cid, sizeof(cid), "retl-upload-%d", (int)getpid());
        u.client_id = o.client_id ? o.client_id : cid;

        retl_signals_install(on_signal, on_hup);
        curl_global_init(CURL_GLOBAL_DEFAULT);

        if (u.cfg->metrics.listen) {
                /* the loop wakes at least every second, even while a
                 * workspace waits out a 429 or a refused key */
                u.metrics = retl_metrics_new(u.cfg->metrics.listen, 60, errstr, sizeof(errstr));
                if (!u.metrics) {
                        retl_log_error("upload", "metrics: %s", errstr);
                        goto out;
                }
                retl_partition_declare_metrics(u.metrics);
                retl_metrics_ready(u.metrics, 0, "connecting to Kafka");
                retl_log_info("upload", "metrics and health on port %d (/metrics /healthz "
                              "/readyz)", retl_metrics_port(u.metrics));
        }

        if (setup(&u, errstr, sizeof(errstr))) {
                retl_log_error("upload", "%s", errstr);
                goto out;
        }
        u.env.rk = u.rk;
        u.env.producer = u.producer;
        u.env.imports_topic = u.kcfg->kafka.imports_topic;
        u.env.failures_topic = u.kcfg->kafka.failures_topic;
        u.env.track = u.track;
        u.env.codec = u.codec;
        u.env.flush = flush_reports;
        u.env.flush_arg = &u;
        u.env.checkpoint_rows = o.checkpoint_rows;
        u.env.checkpoint_ms = o.checkpoint_s * 1000;
        u.env.auth_retry_ms = o.auth_retry_s * 1000;
        u.env.batch_max = (size_t)o.batch_bytes;
        u.env.linger_ms = 20;
        u.env.max_pending = 20000;
        u.env.backoff_base_ms = 500;
        u.env.backoff_max_ms = 30000;
        u.env.metrics = u.metrics;

        rd_kafka_poll_set_consumer(u.rk);
        cq = rd_kafka_queue_get_consumer(u.rk);
        if (pipe(u.pipefd) == 0) {
                fcntl(u.pipefd[0], F_SETFL, O_NONBLOCK);
                fcntl(u.pipefd[1], F_SETFL, O_NONBLOCK);
                /* wakes curl_multi_poll when a message or event is queued */
                rd_kafka_queue_io_event_enable(cq, u.pipefd[1], "1", 1);
        }
        pattern = topic_pattern(u.kcfg->kafka.topic_prefix);
        sub = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(sub, pattern, RD_KAFKA_PARTITION_UA);
        err = rd_kafka_subscribe(u.rk, sub);
        if (err) {
                retl_log_error("upload", "subscribe to %s: %s", pattern, rd_kafka_err2str(err));
                goto out;
        }
        retl_log_info("upload", "%s: member of group %s, subscribed to %s", u.client_id,
                      u.kcfg->kafka.group, pattern);

        for (;;) {
                int64_t now = retl_pace_now_ms(), wake = 100;
                int nmsg = 0;
                rd_kafka_message_t *rkm;

                retl_metrics_beat(u.metrics);
                if (!drain_deadline && (reload_requested || now - last_look_ms >= 2000)) {
                        last_look_ms = now;
                        if (retl_cfgwatch_changed(&watch) || reload_requested) {
                                reload_requested = 0;
                                reload(&u, o.log_level);
                                retl_cfgwatch_rearm(&watch, u.cfg);
                        }
                }
                if (u.metrics && now - last_refresh_ms >= 5000) {
                        last_refresh_ms = now;
                        refresh(&u);
                }

                if (stop_signals && !drain_deadline) {
                        retl_log_info("upload", "stopping: finishing requests in flight (up to "
                                      "%" PRId64 " s)", o.drain_s);
                        drain_deadline = now + o.drain_s * 1000;
                        update_ready(&u, 1);
                        for (size_t i = 0; i < u.nparts; i++)
                                retl_partition_drain(u.parts[i]);
                }
                if (stop_signals > 1 && drain_deadline) {
                        retl_log_warn("upload", "second signal: leaving now");
                        break;
                }
                while (nmsg < 5000 && (rkm = rd_kafka_consumer_poll(u.rk, 0)) != NULL) {
                        nmsg++;
                        if (rkm->err) {
                                if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                                        retl_log_warn("upload", "consumer: %s%s%s",
                                                      rkm->rkt ? rd_kafka_topic_name(rkm->rkt)
                                                               : "",
                                                      rkm->rkt ? ": " : "",
                                                      rd_kafka_message_errstr(rkm));
                        } else if (!drain_deadline) {
                                struct retl_partition *p =
                                        find_part(&u, rd_kafka_topic_name(rkm->rkt), NULL);
                                if (p)
                                        retl_partition_message(p, rkm);
                        }
                        rd_kafka_message_destroy(rkm);
                }
                if (u.pipefd[0] >= 0)
                        drain_pipe(u.pipefd[0]);
                if (!drain_deadline)
                        update_ready(&u, 0);
                init_waiting(&u);
                retl_track_perform(u.track, retl_partition_done, &u);
                now = retl_pace_now_ms();
                for (size_t i = 0; i < u.nparts; i++) {
                        int64_t w = retl_partition_step(u.parts[i], now);
                        if (w < wake)
                                wake = w;
                }
                rd_kafka_poll(u.producer, 0);
                if (drain_deadline) {
                        int busy = 0;
                        for (size_t i = 0; i < u.nparts; i++)
                                busy += retl_partition_busy(u.parts[i]);
                        if (!busy || now >= drain_deadline) {
                                if (busy)
                                        retl_log_warn("upload", "%d requests still in flight "
                                                      "at the deadline; their rows will be "
                                                      "imported again", busy);
                                break;
                        }
                }
                if (nmsg < 5000)
                        retl_track_wait(u.track, u.pipefd[0], (int)wake);
        }
        /* commit what is complete, then leave the group */
        for (size_t i = 0; i < u.nparts; i++)
                retl_partition_checkpoint(u.parts[i]);
        err = rd_kafka_consumer_close(u.rk);
        if (err)
                retl_log_warn("upload", "leaving the group: %s", rd_kafka_err2str(err));
        retl_log_info("upload", "%s: stopped", u.client_id);
        exit_code = 0;
out:
        if (sub)
                rd_kafka_topic_partition_list_destroy(sub);
        free(pattern);
        while (u.nparts)
                retl_partition_destroy(u.parts[--u.nparts]);
        free(u.parts);
        for (size_t i = 0; i < u.nwarned; i++)
                free(u.warned[i]);
        free(u.warned);
        if (cq)
                rd_kafka_queue_destroy(cq);
        if (u.rk)
                rd_kafka_destroy(u.rk);
        if (u.producer) {
                rd_kafka_flush(u.producer, 10000);
                rd_kafka_destroy(u.producer);
        }
        retl_track_destroy(u.track);
        retl_codec_destroy(u.codec);
        if (u.pipefd[0] >= 0)
                close(u.pipefd[0]);
        if (u.pipefd[1] >= 0)
                close(u.pipefd[1]);
        retl_metrics_destroy(u.metrics);
        retl_cfgwatch_free(&watch);
        if (u.cfg != u.kcfg)
                retl_cfg_destroy(u.kcfg);
        retl_cfg_destroy(u.cfg);
        return exit_code;
}
