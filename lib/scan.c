/* retl — reading a topic to its end, see scan.h. */
#include "scan.h"
#include "kafka.h"
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* What a scan does with each message: decode it for a retl_scan_cb, or hand
 * it over as it is. */
struct decoding {
        struct retl_codec *codec;
        retl_scan_cb *cb;
        void *opaque;
};

static int decode_one(void *arg, const rd_kafka_message_t *m)
{
        struct decoding *dc = arg;
        struct retl_record rec;
        char why[512];

        if (retl_codec_decode(dc->codec, m->payload, m->len, &rec, why, sizeof(why)))
                return dc->cb(dc->opaque, m->offset, rd_kafka_message_timestamp(m, NULL), NULL,
                              why);
        return dc->cb(dc->opaque, m->offset, rd_kafka_message_timestamp(m, NULL), &rec, NULL);
}

static int scan(const struct retl_cfg_kafka *kc, const char *topic, int64_t from_offset,
                int64_t from_time_ms, retl_scan_raw_cb *cb, void *opaque, char *errstr,
                size_t errstr_size)
{
        char group[64];
        rd_kafka_t *rk = NULL;
        rd_kafka_topic_partition_list_t *list = NULL;
        int64_t low = 0, high = 0, next;
        int count = 0, rc = -1, stalled = 0;

        /* assign() never joins the group; the id only satisfies librdkafka */
        snprintf(group, sizeof(group), "retl-scan-%d", (int)getpid());
        rk = retl_kafka_consumer_new(kc, group, "retl-scan", NULL, errstr, errstr_size);
        if (!rk || retl_kafka_wait_cluster(rk, kc, errstr, errstr_size))
                goto out;
        if (retl_kafka_partition_count(rk, topic, retl_kafka_timeout_ms(kc), &count, errstr,
                                       errstr_size))
                goto out;
        if (count == 0) {
                rc = 0;
                goto out;
        }
        if (retl_kafka_watermarks(rk, topic, retl_kafka_timeout_ms(kc), &low, &high, errstr,
                                  errstr_size))
                goto out;
        next = from_offset > low ? from_offset : low;
        list = rd_kafka_topic_partition_list_new(1);
        if (from_time_ms > 0) {
                /* A head start, when the broker can say where that time
                 * begins; otherwise read from the start (the callback
                 * filters, so that is only slower). */
                rd_kafka_topic_partition_list_add(list, topic, 0)->offset = from_time_ms;
                if (rd_kafka_offsets_for_times(rk, list, retl_kafka_timeout_ms(kc)) == 0 &&
                    list->elems[0].err == 0 &&
                    list->elems[0].offset > next)
                        next = list->elems[0].offset;
                rd_kafka_topic_partition_list_destroy(list);
                list = rd_kafka_topic_partition_list_new(1);
        }
        if (next >= high) {
                rc = 0;
                goto out;
        }
        rd_kafka_topic_partition_list_add(list, topic, 0)->offset = next;
        if (rd_kafka_assign(rk, list)) {
                snprintf(errstr, errstr_size, "cannot read topic '%s'", topic);
                goto out;
        }
        while (next < high) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 1000);
                int stop;
                if (!m) {
                        /* a topic that cannot be read any further (e.g. records
                         * past retention while reading) must not hang us */
                        if (++stalled > 30) {
                                snprintf(errstr, errstr_size,
                                         "topic '%s': no records for 30 s at offset %lld of %lld",
                                         topic, (long long)next, (long long)high);
                                goto out;
                        }
                        continue;
                }
                stalled = 0;
                if (m->err) {
                        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                                retl_log_warn("scan", "%s: %s", topic, rd_kafka_message_errstr(m));
                        rd_kafka_message_destroy(m);
                        continue;
                }
                next = m->offset + 1;
                stop = cb(opaque, m);
                rd_kafka_message_destroy(m);
                if (stop)
                        break;
        }
        rc = 0;
out:
        if (list)
                rd_kafka_topic_partition_list_destroy(list);
        if (rk) {
                rd_kafka_consumer_close(rk);
                rd_kafka_destroy(rk);
        }
        return rc;
}

int retl_scan_topic(const struct retl_cfg_kafka *kc, const char *topic, int64_t from_offset,
                    int64_t from_time_ms, retl_scan_cb *cb, void *opaque, char *errstr,
                    size_t errstr_size)
{
        struct decoding dc = {retl_codec_new(errstr, errstr_size), cb, opaque};
        int rc;

        if (!dc.codec)
                return -1;
        rc = scan(kc, topic, from_offset, from_time_ms, decode_one, &dc, errstr, errstr_size);
        retl_codec_destroy(dc.codec);
        return rc;
}

int retl_scan_topic_raw(const struct retl_cfg_kafka *kc, const char *topic, int64_t from_offset,
                        retl_scan_raw_cb *cb, void *opaque, char *errstr, size_t errstr_size)
{
        return scan(kc, topic, from_offset, 0, cb, opaque, errstr, errstr_size);
}
