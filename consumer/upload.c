/* retl uploader — `retl upload`: the worker's startup, signals and loop.
 *
 * One thread: it polls the consumer, drives the HTTP transfers and steps
 * every assigned workspace partition (consumer/partition.c). Kafka's group
 * spreads workspace topics over workers; this one takes what it is given
 * (upload_group.c). Options: upload_opts.c; --status: upload_status.c.
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
#include "consumer/partition_metrics.h"
#include "consumer/track.h"
#include "consumer/upload_group.h"
#include "consumer/upload_int.h"
#include "consumer/upload_opts.h"
#include "consumer/upload_status.h"
#include "lib/cfg.h"
#include "lib/cfgwatch.h"
#include "lib/codec.h"
#include "lib/kafka.h"
#include "lib/log.h"
#include "lib/signals.h"
#include "lib/mem.h"
#include "lib/metrics.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Messages a workspace reads from its queue per turn of the loop. */
#define READ_BUDGET 5000

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

/* ========================================================== reports out */

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
        struct retl_upload *u = opaque;

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
        struct retl_upload *u = arg;
        int64_t before = u->delivery_errors;

        rd_kafka_flush(u->producer, 30000);
        if (rd_kafka_outq_len(u->producer) > 0)
                return -1;
        /* an idempotent producer retries on its own; a failure here means
         * the reports are lost: do not commit past them */
        return u->delivery_errors != before ? -1 : 0;
}

/* ============================================================ health */

/* Every few seconds: consumer lag of each partition, and whether the
 * broker answers (for /readyz). */
static void refresh(struct retl_upload *u)
{
        const struct rd_kafka_metadata *md = NULL;
        int ok;

        for (size_t i = 0; i < u->nparts; i++)
                if (retl_partition_usable(u->parts[i]) && retl_partition_ready(u->parts[i]))
                        retl_partition_metrics_refresh_lag(u->parts[i], 0);
        /* Brokers only, no topic: librdkafka honours this timeout even when a
         * broker stops answering, so the loop pauses a second at most. */
        ok = !rd_kafka_metadata(u->rk, 0, NULL, &md, 1000);
        if (md)
                rd_kafka_metadata_destroy(md);
        if (ok != u->kafka_ok)
                retl_log_info("upload", "Kafka %s", ok ? "answers" : "does not answer");
        u->kafka_ok = ok;
}

static void update_ready(struct retl_upload *u, int stopping)
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

static int setup(struct retl_upload *u, char *errstr, size_t errstr_size)
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
        rd_kafka_conf_set_rebalance_cb(conf, retl_upload_group_rebalance_cb);
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
        struct retl_upload_opts o;
        struct retl_upload u;
        char errstr[2048], cid[64];
        int rc, exit_code = 1;
        char *pattern = NULL;
        rd_kafka_topic_partition_list_t *sub = NULL;
        rd_kafka_queue_t *cq = NULL;
        rd_kafka_resp_err_t err;
        int64_t drain_deadline = 0, last_look_ms = 0, last_refresh_ms = 0;
        struct retl_cfgwatch watch;

        rc = retl_upload_opts_parse(argc, argv, &o);
        if (rc)
                return rc == 1 ? 0 : rc;
        memset(&u, 0, sizeof(u));
        u.pipefd[0] = u.pipefd[1] = -1;
        /* --status needs Kafka only */
        if (retl_cfg_load_secrets(o.config, o.status ? RETL_CFG_SECRETS_KAFKA : RETL_UPLOAD_SECRETS,
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
                const char *level = o.log_level ? o.log_level : u.cfg->log_level;
                int lvl = retl_log_parse_level(level);
                if (lvl < 0) {
                        fprintf(stderr, "retl upload: unknown log level '%s'\n", level);
                        goto out;
                }
                retl_log_set_level(lvl);
        }
        if (o.status) {
                exit_code = retl_upload_status(u.cfg);
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
                retl_partition_metrics_declare(u.metrics);
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
        u.env.kafka = &u.kcfg->kafka;
        u.env.track = u.track;
        u.env.codec = u.codec;
        u.env.flush = flush_reports;
        u.env.flush_arg = &u;
        u.env.checkpoint_rows = o.checkpoint_rows;
        u.env.checkpoint_ms = o.checkpoint_s * 1000;
        u.env.auth_retry_ms = o.auth_retry_s * 1000;
        u.env.batch_max = (size_t)o.batch_bytes;
        u.env.linger_ms = 20;
        /* Room for the requests in flight, those answered behind an
         * earlier one still in flight, and what is read ahead; more waits
         * in librdkafka's queue. */
        u.env.max_pending = 100000;
        u.env.read_ahead_bytes = 2 * (size_t)o.batch_bytes;
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
                int nmsg = 0, more = 0;
                rd_kafka_message_t *rkm;

                retl_metrics_beat(u.metrics);
                if (!drain_deadline && (reload_requested || now - last_look_ms >= 2000)) {
                        last_look_ms = now;
                        if (retl_cfgwatch_changed(&watch) || reload_requested) {
                                reload_requested = 0;
                                retl_upload_group_reload(&u, o.log_level);
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
                                        retl_upload_group_find(&u, rd_kafka_topic_name(rkm->rkt));
                                if (p)
                                        retl_partition_message(p, rkm);
                        }
                        rd_kafka_message_destroy(rkm);
                }
                if (u.pipefd[0] >= 0)
                        drain_pipe(u.pipefd[0]);
                if (!drain_deadline)
                        update_ready(&u, 0);
                retl_upload_group_init_waiting(&u);
                retl_track_perform(u.track, retl_partition_done, &u);
                /* each workspace reads its own queue as far as it has room
                 * (after the answers, which make room) */
                for (size_t i = 0; i < u.nparts; i++)
                        if (retl_partition_read(u.parts[i], READ_BUDGET) == READ_BUDGET)
                                more = 1;
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
                if (nmsg < 5000 && !more)
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
        retl_upload_group_free(&u);
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
