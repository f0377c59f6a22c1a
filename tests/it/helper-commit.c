/* Test helper (not a test: its name has no number): commits an offset with
 * metadata for a consumer group on partition 0 of a topic, the way the
 * uploaders do at the end of an import.
 *
 *   helper-commit BROKERS GROUP TOPIC OFFSET|high METADATA
 *
 * "high" commits the topic's high watermark (everything imported). The
 * handle is assign()ed, never subscribed: Kafka accepts commits for a group
 * with no members from such a handle. rd_kafka_commit's return value is the
 * only place a refusal shows (the per-partition err stays 0). */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
        char err[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_topic_partition_list_t *list;
        rd_kafka_topic_partition_t *tp;
        rd_kafka_resp_err_t e;
        rd_kafka_t *rk;
        int64_t low, high, off;

        if (argc != 6) {
                fprintf(stderr, "usage: helper-commit BROKERS GROUP TOPIC OFFSET|high METADATA\n");
                return 2;
        }
        if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], err, sizeof(err)) ||
            rd_kafka_conf_set(conf, "group.id", argv[2], err, sizeof(err)) ||
            rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof(err))) {
                fprintf(stderr, "helper-commit: %s\n", err);
                return 1;
        }
        rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
        if (!rk) {
                fprintf(stderr, "helper-commit: %s\n", err);
                return 1;
        }
        if (!strcmp(argv[4], "high")) {
                e = rd_kafka_query_watermark_offsets(rk, argv[3], 0, &low, &high, 10000);
                if (e) {
                        fprintf(stderr, "helper-commit: watermarks: %s\n", rd_kafka_err2str(e));
                        return 1;
                }
                off = high;
        } else {
                off = strtoll(argv[4], NULL, 10);
        }
        list = rd_kafka_topic_partition_list_new(1);
        tp = rd_kafka_topic_partition_list_add(list, argv[3], 0);
        tp->offset = off;
        tp->metadata = strdup(argv[5]);  /* list_destroy frees it */
        tp->metadata_size = strlen(argv[5]);
        rd_kafka_assign(rk, list);
        e = rd_kafka_commit(rk, list, 0);
        if (e) {
                fprintf(stderr, "helper-commit: commit refused: %s\n", rd_kafka_err2str(e));
                return 1;
        }
        printf("%lld\n", (long long)off);
        rd_kafka_assign(rk, NULL);
        rd_kafka_topic_partition_list_destroy(list);
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        return 0;
}
