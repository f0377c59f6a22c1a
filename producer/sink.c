/* retl — the extractor's Kafka side, see sink.h. */
#include "producer/sink.h"
#include "lib/buf.h"
#include "lib/checkpoint.h"
#include "lib/codec.h"
#include "lib/kafka.h"
#include "lib/log.h"
#include "lib/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOPICS 64           /* cached topic handles; more are looked up each time */

struct retl_sink {
        const struct retl_cfg *cfg;
        rd_kafka_t *rk;                 /* producer */
        rd_kafka_t *state;              /* consumer of the uploader group, never subscribed */
        struct retl_codec *codec;
        struct retl_buf buf;
        rd_kafka_topic_t *topics[MAX_TOPICS];
        size_t ntopics;
        char **ensured;
        size_t nensured;
        /* deliveries since retl_sink_begin(); written by dr_cb, which runs
         * inside rd_kafka_poll/flush on the caller's thread */
        int64_t produced;
        int64_t delivered;
        int64_t failed;
        char first_error[256];
};

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
        struct retl_sink *s = opaque;

        if (rkm->err) {
                if (s->failed++ == 0)
                        snprintf(s->first_error, sizeof(s->first_error), "%s",
                                 rd_kafka_err2str(rkm->err));
        } else {
                s->delivered++;
        }
}

/* How long to wait for the cluster's answer: kafka.timeout. */
static int wait_ms(const struct retl_sink *s)
{
        return retl_kafka_timeout_ms(&s->cfg->kafka);
}

void retl_sink_set_cfg(struct retl_sink *s, const struct retl_cfg *cfg)
{
        s->cfg = cfg;
}

struct retl_sink *retl_sink_new(const struct retl_cfg *cfg, const char *client_id, char *errstr,
                                size_t errstr_size)
{
        struct retl_sink *s = retl_calloc(1, sizeof(*s));

        s->cfg = cfg;
        retl_buf_init(&s->buf, 0);
        s->codec = retl_codec_new(errstr, errstr_size);
        if (!s->codec)
                goto fail;
        s->rk = retl_kafka_producer_new(&cfg->kafka, client_id, dr_cb, s, errstr, errstr_size);
        if (!s->rk || retl_kafka_wait_cluster(s->rk, &cfg->kafka, errstr, errstr_size))
                goto fail;
        s->state = retl_kafka_consumer_new(&cfg->kafka, cfg->kafka.group, client_id, NULL, errstr,
                                           errstr_size);
        if (!s->state)
                goto fail;
        return s;
fail:
        retl_sink_destroy(s);
        return NULL;
}

void retl_sink_destroy(struct retl_sink *s)
{
        if (!s)
                return;
        for (size_t i = 0; i < s->ntopics; i++)
                rd_kafka_topic_destroy(s->topics[i]);
        if (s->rk) {
                rd_kafka_flush(s->rk, wait_ms(s));
                rd_kafka_destroy(s->rk);
        }
        if (s->state) {
                rd_kafka_consumer_close(s->state);
                rd_kafka_destroy(s->state);
        }
        for (size_t i = 0; i < s->nensured; i++)
                free(s->ensured[i]);
        free(s->ensured);
        retl_codec_destroy(s->codec);
        retl_buf_free(&s->buf);
        free(s);
}

rd_kafka_t *retl_sink_producer(struct retl_sink *s)
{
        return s->rk;
}

int retl_sink_ensure_topic(struct retl_sink *s, const char *topic, char *errstr,
                           size_t errstr_size)
{
        for (size_t i = 0; i < s->nensured; i++)
                if (!strcmp(s->ensured[i], topic))
                        return 0;
        if (retl_kafka_ensure_topic(s->rk, &s->cfg->kafka, topic, wait_ms(s), errstr,
                                    errstr_size))
                return -1;
        s->ensured = retl_realloc(s->ensured, (s->nensured + 1) * sizeof(*s->ensured));
        s->ensured[s->nensured++] = retl_strdup(topic);
        return 0;
}

int retl_sink_checkpoint(struct retl_sink *s, const char *topic, struct retl_checkpoint *cp,
                         int64_t *committed, char *errstr, size_t errstr_size)
{
        char *meta = NULL;
        char why[512];
        int rc;

        retl_checkpoint_init(cp);
        if (retl_kafka_committed(s->state, topic, wait_ms(s), committed, &meta, errstr,
                                 errstr_size))
                return -1;
        if (*committed < 0)
                *committed = -1;
        rc = retl_checkpoint_parse(cp, meta, meta ? strlen(meta) : 0, why, sizeof(why));
        if (rc)
                snprintf(errstr, errstr_size,
                         "the uploader group's checkpoint on '%s' cannot be read: %s", topic, why);
        free(meta);
        return rc ? -1 : 0;
}

int retl_sink_last_sync_time(struct retl_sink *s, const char *topic, const char *sync,
                             int64_t *last_sync_time, int64_t *committed, char *errstr,
                             size_t errstr_size)
{
        struct retl_checkpoint cp;

        *last_sync_time = 0;
        if (retl_sink_checkpoint(s, topic, &cp, committed, errstr, errstr_size))
                return -1;
        *last_sync_time = retl_checkpoint_get(&cp, sync);
        retl_checkpoint_free(&cp);
        return 0;
}

int retl_sink_watermarks(struct retl_sink *s, const char *topic, int64_t *low, int64_t *high,
                         char *errstr, size_t errstr_size)
{
        return retl_kafka_watermarks(s->rk, topic, wait_ms(s), low, high, errstr, errstr_size);
}

void retl_sink_begin(struct retl_sink *s)
{
        s->produced = s->delivered = s->failed = 0;
        s->first_error[0] = '\0';
}

static rd_kafka_topic_t *topic_handle(struct retl_sink *s, const char *topic, int *owned)
{
        rd_kafka_topic_t *rkt;

        *owned = 0;
        for (size_t i = 0; i < s->ntopics; i++)
                if (!strcmp(rd_kafka_topic_name(s->topics[i]), topic))
                        return s->topics[i];
        rkt = rd_kafka_topic_new(s->rk, topic, NULL);
        if (!rkt)
                return NULL;
        if (s->ntopics < MAX_TOPICS)
                s->topics[s->ntopics++] = rkt;
        else
                *owned = 1;
        return rkt;
}

int retl_sink_send(struct retl_sink *s, const char *topic, const char *key,
                   const struct retl_record *rec, char *errstr, size_t errstr_size)
{
        rd_kafka_topic_t *rkt;
        int owned, rc = -1;

        if (s->failed) {
                snprintf(errstr, errstr_size, "Kafka did not accept %lld message(s): %s",
                         (long long)s->failed, s->first_error);
                return -1;
        }
        if (retl_codec_encode(s->codec, rec, &s->buf, errstr, errstr_size))
                return -1;
        rkt = topic_handle(s, topic, &owned);
        if (!rkt) {
                snprintf(errstr, errstr_size, "topic '%s': %s", topic,
                         rd_kafka_err2str(rd_kafka_last_error()));
                return -1;
        }
        for (;;) {
                if (rd_kafka_produce(rkt, 0, RD_KAFKA_MSG_F_COPY, (void *)retl_buf_str(&s->buf),
                                     retl_buf_len(&s->buf), key, strlen(key), NULL) == 0) {
                        s->produced++;
                        rc = 0;
                        break;
                }
                if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                        snprintf(errstr, errstr_size, "producing to '%s': %s", topic,
                                 rd_kafka_err2str(rd_kafka_last_error()));
                        break;
                }
                /* The queue is full: wait for acknowledgements to make room.
                 * Messages leave the queue by delivery or by
                 * message.timeout.ms, so this ends. */
                rd_kafka_poll(s->rk, 50);
                if (s->failed) {
                        snprintf(errstr, errstr_size, "Kafka did not accept %lld message(s): %s",
                                 (long long)s->failed, s->first_error);
                        break;
                }
        }
        rd_kafka_poll(s->rk, 0);
        if (owned)
                rd_kafka_topic_destroy(rkt);
        return rc;
}

void retl_sink_poll(struct retl_sink *s, int timeout_ms)
{
        rd_kafka_poll(s->rk, timeout_ms);
}

int retl_sink_flush(struct retl_sink *s, int timeout_ms, char *errstr, size_t errstr_size)
{
        rd_kafka_resp_err_t err = rd_kafka_flush(s->rk, timeout_ms);
        int64_t waiting = s->produced - s->delivered - s->failed;

        if (s->failed || waiting > 0) {
                snprintf(errstr, errstr_size,
                         "Kafka acknowledged %lld of %lld message(s): %lld failed (%s), %lld "
                         "still waiting after %d ms", (long long)s->delivered,
                         (long long)s->produced, (long long)s->failed,
                         s->failed ? s->first_error : "-", (long long)waiting, timeout_ms);
                return -1;
        }
        if (err) {
                snprintf(errstr, errstr_size, "flush: %s", rd_kafka_err2str(err));
                return -1;
        }
        return 0;
}
