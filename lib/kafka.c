/* retl — Kafka helpers, see kafka.h. */
#include "kafka.h"
#include "log.h"
#include "mem.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* librdkafka's log lines into ours (runs on librdkafka threads). */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
        enum retl_log_level lvl = level <= 3 ? RETL_LOG_ERROR
                                  : level <= 4 ? RETL_LOG_WARN
                                  : level <= 6 ? RETL_LOG_INFO
                                               : RETL_LOG_DEBUG;
        retl_log(lvl, "kafka", "%s: %s: %s", rd_kafka_name(rk), fac, buf);
}

static int set(rd_kafka_conf_t *conf, const char *name, const char *value, int secret,
               char *errstr, size_t errstr_size)
{
        char why[512];
        if (rd_kafka_conf_set(conf, name, value, why, sizeof(why)) != RD_KAFKA_CONF_OK) {
                /* librdkafka's message may repeat the value: keep secrets out */
                if (secret)
                        snprintf(errstr, errstr_size, "kafka property '%s': invalid value", name);
                else
                        snprintf(errstr, errstr_size, "kafka property '%s': %s", name, why);
                return -1;
        }
        return 0;
}

static int is_secret(const struct retl_cfg_kafka *kc, const char *name)
{
        for (size_t i = 0; i < kc->nsecret_props; i++)
                if (!strcmp(kc->secret_names[i], name))
                        return 1;
        return 0;
}

/* One kafka.properties serves producers and consumers alike; librdkafka
 * warns at every start when a producer is given these consumer-only ones
 * (tests and the deploy examples set the first two). */
static int consumer_only(const char *name)
{
        static const char *const names[] = {
                "session.timeout.ms", "heartbeat.interval.ms", "max.poll.interval.ms",
                "partition.assignment.strategy", "group.instance.id", "group.protocol.type",
                "auto.offset.reset", "enable.auto.commit", "auto.commit.interval.ms",
                "enable.auto.offset.store", "fetch.wait.max.ms", "fetch.message.max.bytes",
                "fetch.max.bytes", "fetch.min.bytes", "fetch.error.backoff.ms",
                "isolation.level", "queued.min.messages", "queued.max.messages.kbytes",
                "check.crcs", "enable.partition.eof", "coordinator.query.interval.ms", NULL};
        for (int i = 0; names[i]; i++)
                if (!strcmp(names[i], name))
                        return 1;
        return 0;
}

/* defaults: set before kafka.properties, which may override them; extra:
 * after, which they may not. */
static rd_kafka_conf_t *conf_for(const struct retl_cfg_kafka *kc, int producer,
                                 const char *const *defaults, const char *const *extra,
                                 char *errstr, size_t errstr_size)
{
        rd_kafka_conf_t *conf = rd_kafka_conf_new();

        rd_kafka_conf_set_log_cb(conf, log_cb);
        if (set(conf, "bootstrap.servers", kc->brokers, 0, errstr, errstr_size))
                goto fail;
        for (size_t i = 0; defaults && defaults[i]; i += 2)
                if (set(conf, defaults[i], defaults[i + 1], 0, errstr, errstr_size))
                        goto fail;
        for (size_t i = 0; i < kc->nprops; i++)
                if (!(producer && consumer_only(kc->props[2 * i])) &&
                    set(conf, kc->props[2 * i], kc->props[2 * i + 1],
                        is_secret(kc, kc->props[2 * i]), errstr, errstr_size))
                        goto fail;
        for (size_t i = 0; extra && extra[i]; i += 2)
                if (set(conf, extra[i], extra[i + 1], 0, errstr, errstr_size))
                        goto fail;
        return conf;
fail:
        rd_kafka_conf_destroy(conf);
        return NULL;
}

rd_kafka_conf_t *retl_kafka_conf_new(const struct retl_cfg_kafka *kc, const char *const *extra,
                                     char *errstr, size_t errstr_size)
{
        return conf_for(kc, 0, NULL, extra, errstr, errstr_size);
}

rd_kafka_conf_t *retl_kafka_producer_conf_new(const struct retl_cfg_kafka *kc,
                                              const char *client_id, char *errstr,
                                              size_t errstr_size)
{
        /* Idempotence gives acks=all, in-order retries without duplicates:
         * retl depends on it. Linger lets rows share batches and lz4 makes
         * them smaller: defaults kafka.properties may change (linger_ms,
         * compression_type). */
        static const char *const defaults[] = {"linger.ms", "5", "compression.type", "lz4", NULL};
        const char *extra[] = {"client.id", client_id, "enable.idempotence", "true",
                               "acks", "all", NULL};

        return conf_for(kc, 1, defaults, extra, errstr, errstr_size);
}

rd_kafka_t *retl_kafka_producer_new(const struct retl_cfg_kafka *kc, const char *client_id,
                                    void (*dr_cb)(rd_kafka_t *, const rd_kafka_message_t *,
                                                  void *),
                                    void *opaque, char *errstr, size_t errstr_size)
{
        rd_kafka_conf_t *conf = retl_kafka_producer_conf_new(kc, client_id, errstr, errstr_size);
        rd_kafka_t *rk;

        if (!conf)
                return NULL;
        if (dr_cb)
                rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
        rd_kafka_conf_set_opaque(conf, opaque);
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, errstr_size);
        if (!rk)
                rd_kafka_conf_destroy(conf);
        return rk;
}

rd_kafka_t *retl_kafka_consumer_new(const struct retl_cfg_kafka *kc, const char *group,
                                    const char *client_id, const char *const *extra,
                                    char *errstr, size_t errstr_size)
{
        const char *fixed[] = {"group.id", group, "client.id", client_id,
                               "enable.auto.commit", "false",
                               "enable.auto.offset.store", "false",
                               "auto.offset.reset", "earliest", NULL};
        /* A dead worker's workspaces move after session.timeout.ms:
         * librdkafka's 45 s leaves them idle that long; 10 s, with a
         * heartbeat every second, is a kinder default (kafka.properties
         * may set either). */
        static const char *const defaults[] = {"session.timeout.ms", "10000",
                                               "heartbeat.interval.ms", "1000", NULL};
        rd_kafka_conf_t *conf = conf_for(kc, 0, defaults, fixed, errstr, errstr_size);
        rd_kafka_t *rk;

        if (!conf)
                return NULL;
        for (size_t i = 0; extra && extra[i]; i += 2)
                if (set(conf, extra[i], extra[i + 1], 0, errstr, errstr_size)) {
                        rd_kafka_conf_destroy(conf);
                        return NULL;
                }
        rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, errstr_size);
        if (!rk)
                rd_kafka_conf_destroy(conf);
        return rk;
}

int retl_kafka_timeout_ms(const struct retl_cfg_kafka *kc)
{
        return kc->timeout_s > INT_MAX / 1000 ? INT_MAX : (int)(kc->timeout_s * 1000);
}

static int64_t mono_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int retl_kafka_wait_cluster(rd_kafka_t *rk, const struct retl_cfg_kafka *kc, char *errstr,
                            size_t errstr_size)
{
        /* A reachable cluster answers within milliseconds; after this long
         * the user hears what we are waiting for. */
        const int64_t quiet_ms = 500;
        int64_t start = mono_ms(), deadline = start + retl_kafka_timeout_ms(kc), now, wait;
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;
        int said = 0;

        while ((now = mono_ms()) < deadline) {
                const struct rd_kafka_metadata *md = NULL;

                wait = deadline - now;
                if (!said && now < start + quiet_ms && wait > start + quiet_ms - now)
                        wait = start + quiet_ms - now;
                /* brokers only: no topic is asked for (nor created) */
                err = rd_kafka_metadata(rk, 0, NULL, &md, (int)wait);
                if (!err) {
                        rd_kafka_metadata_destroy(md);
                        return 0;
                }
                if (!said && mono_ms() - start >= quiet_ms) {
                        retl_log_warn("kafka", "waiting for Kafka at %s (metadata) …",
                                      kc->brokers);
                        said = 1;
                }
                if (deadline - mono_ms() > 100) /* a refusal may come back at once */
                        nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
        }
        snprintf(errstr, errstr_size, "Kafka at %s did not answer within %lld s "
                 "(kafka.timeout): %s", kc->brokers, (long long)kc->timeout_s,
                 rd_kafka_err2str(err));
        return -1;
}

int retl_kafka_partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms, int *count,
                               char *errstr, size_t errstr_size)
{
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        rd_kafka_resp_err_t err;

        *count = 0;
        err = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
        rd_kafka_topic_destroy(rkt);
        if (err) {
                snprintf(errstr, errstr_size, "metadata of topic '%s': %s", topic,
                         rd_kafka_err2str(err));
                return -1;
        }
        if (md->topic_cnt == 1) {
                rd_kafka_resp_err_t terr = md->topics[0].err;
                if (terr == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
                    terr == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC) {
                        *count = 0;
                } else if (terr) {
                        snprintf(errstr, errstr_size, "metadata of topic '%s': %s", topic,
                                 rd_kafka_err2str(terr));
                        rd_kafka_metadata_destroy(md);
                        return -1;
                } else {
                        *count = md->topics[0].partition_cnt;
                }
        }
        rd_kafka_metadata_destroy(md);
        return 0;
}

static int partitions_error(const char *topic, int count, char *errstr, size_t errstr_size)
{
        snprintf(errstr, errstr_size,
                 "topic '%s' has %d partitions; a workspace's topic must have exactly one, so "
                 "that its imports stay in order (recreate it with one)",
                 topic, count);
        return -1;
}

static int ensure_topic(rd_kafka_t *rk, const struct retl_cfg_kafka *kc, const char *topic,
                        int compacted, int timeout_ms, char *errstr, size_t errstr_size)
{
        rd_kafka_NewTopic_t *nt = NULL;
        rd_kafka_queue_t *q = NULL;
        rd_kafka_event_t *ev = NULL;
        rd_kafka_AdminOptions_t *opts = NULL;
        char why[512], retention[32];
        int count = 0, rc = -1;

        if (retl_kafka_partition_count(rk, topic, timeout_ms, &count, errstr, errstr_size))
                return -1;
        if (count == 1)
                return 0;
        if (count > 1)
                return partitions_error(topic, count, errstr, errstr_size);

        nt = rd_kafka_NewTopic_new(topic, 1, kc->replication_factor, why, sizeof(why));
        if (!nt) {
                snprintf(errstr, errstr_size, "topic '%s': %s", topic, why);
                return -1;
        }
        snprintf(retention, sizeof(retention), "%lld", (long long)kc->retention_ms);
        if (compacted)
                /* the latest record of each key stays, whatever its age */
                rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact");
        else
                rd_kafka_NewTopic_set_config(nt, "retention.ms", retention);
        q = rd_kafka_queue_new(rk);
        opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
        rd_kafka_AdminOptions_set_operation_timeout(opts, timeout_ms, why, sizeof(why));
        rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, why, sizeof(why));
        rd_kafka_CreateTopics(rk, &nt, 1, opts, q);
        ev = rd_kafka_queue_poll(q, timeout_ms + 2000);
        if (!ev) {
                snprintf(errstr, errstr_size, "creating topic '%s': no answer in %d ms", topic,
                         timeout_ms);
                goto out;
        }
        if (rd_kafka_event_error(ev)) {
                snprintf(errstr, errstr_size, "creating topic '%s': %s", topic,
                         rd_kafka_event_error_string(ev));
                goto out;
        } else {
                const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
                size_t n;
                const rd_kafka_topic_result_t **tr = rd_kafka_CreateTopics_result_topics(res, &n);
                rd_kafka_resp_err_t terr = n == 1 ? rd_kafka_topic_result_error(tr[0]) : 0;
                if (terr && terr != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                        snprintf(errstr, errstr_size, "creating topic '%s': %s", topic,
                                 rd_kafka_topic_result_error_string(tr[0]));
                        goto out;
                }
                if (!terr)
                        retl_log_info("kafka", "created topic %s (1 partition, replication "
                                      "factor %d, %s%s)",
                                      topic, kc->replication_factor,
                                      compacted ? "compacted" : "retention.ms ",
                                      compacted ? "" : retention);
        }
        /* Someone else may have created it meanwhile (ALREADY_EXISTS), and
         * metadata lags creation: wait until it shows, then check again. */
        for (int waited = 0; ; waited += 100) {
                if (retl_kafka_partition_count(rk, topic, timeout_ms, &count, errstr, errstr_size))
                        goto out;
                if (count > 0 || waited >= timeout_ms)
                        break;
                nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
        }
        if (count == 0) {
                snprintf(errstr, errstr_size, "topic '%s' was created but does not show in the "
                         "metadata after %d ms", topic, timeout_ms);
                goto out;
        }
        if (count > 1) {
                partitions_error(topic, count, errstr, errstr_size);
                goto out;
        }
        rc = 0;
out:
        if (ev)
                rd_kafka_event_destroy(ev);
        if (opts)
                rd_kafka_AdminOptions_destroy(opts);
        if (q)
                rd_kafka_queue_destroy(q);
        rd_kafka_NewTopic_destroy(nt);
        return rc;
}

int retl_kafka_ensure_topic(rd_kafka_t *rk, const struct retl_cfg_kafka *kc, const char *topic,
                            int timeout_ms, char *errstr, size_t errstr_size)
{
        return ensure_topic(rk, kc, topic, 0, timeout_ms, errstr, errstr_size);
}

int retl_kafka_ensure_compacted_topic(rd_kafka_t *rk, const struct retl_cfg_kafka *kc,
                                      const char *topic, int timeout_ms, char *errstr,
                                      size_t errstr_size)
{
        return ensure_topic(rk, kc, topic, 1, timeout_ms, errstr, errstr_size);
}

int retl_kafka_committed(rd_kafka_t *rk, const char *topic, int timeout_ms,
                         int64_t *offset, char **metadata, char *errstr, size_t errstr_size)
{
        rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_add(list, topic, 0);
        rd_kafka_resp_err_t err;
        int rc = -1;

        *offset = RD_KAFKA_OFFSET_INVALID;
        *metadata = NULL;
        err = rd_kafka_committed(rk, list, timeout_ms);
        if (err) {
                snprintf(errstr, errstr_size, "committed offset of group on '%s': %s", topic,
                         rd_kafka_err2str(err));
                goto out;
        }
        if (tp->err) {
                snprintf(errstr, errstr_size, "committed offset of group on '%s': %s", topic,
                         rd_kafka_err2str(tp->err));
                goto out;
        }
        *offset = tp->offset;
        if (tp->metadata && tp->metadata_size)
                *metadata = retl_strndup(tp->metadata, tp->metadata_size);
        rc = 0;
out:
        rd_kafka_topic_partition_list_destroy(list);
        return rc;
}

int retl_kafka_watermarks(rd_kafka_t *rk, const char *topic, int timeout_ms, int64_t *low,
                          int64_t *high, char *errstr, size_t errstr_size)
{
        rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(rk, topic, 0, low, high,
                                                                   timeout_ms);
        if (err) {
                snprintf(errstr, errstr_size, "watermarks of '%s': %s", topic,
                         rd_kafka_err2str(err));
                return -1;
        }
        return 0;
}
