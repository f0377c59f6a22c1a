/* Integration test 0001: the foundation against a real Kafka broker.
 * Topic creation with one partition (and refusal of a multi-partition
 * topic), a run's records produced with the idempotent producer, consumed
 * by a group member and decoded field by field, then a commit carrying the
 * checkpoint read back by a handle that never joined the group.
 * Env: RETL_KAFKA_BROKERS. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/checkpoint.h"
#include "lib/codec.h"
#include "lib/kafka.h"
#include "lib/mem.h"

#define NROWS 2000

static struct retl_cfg_kafka kc;
static char topic[128], group[128];
static char err[1024];
static int delivered_ok, delivered_err;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
        if (m->err)
                delivered_err++;
        else
                delivered_ok++;
}

static int setup(void **state)
{
        static char *props[] = {NULL};
        const char *b = getenv("RETL_KAFKA_BROKERS");
        if (!b) {
                fprintf(stderr, "RETL_KAFKA_BROKERS is not set\n");
                return -1;
        }
        memset(&kc, 0, sizeof(kc));
        kc.brokers = (char *)b;
        kc.replication_factor = 1;
        kc.retention_ms = 3600000;
        kc.props = props;
        snprintf(topic, sizeof(topic), "it0001.ws.%ld", (long)time(NULL));
        snprintf(group, sizeof(group), "it0001-group-%ld", (long)time(NULL));
        return 0;
}

static void test_topic_creation(void **state)
{
        rd_kafka_t *rk = retl_kafka_producer_new(&kc, "it0001", NULL, NULL, err, sizeof(err));
        int count = -1;
        char multi[160];
        rd_kafka_NewTopic_t *nt;
        rd_kafka_queue_t *q;
        rd_kafka_event_t *ev;

        assert_non_null(rk);
        assert_int_equal(retl_kafka_partition_count(rk, topic, 10000, &count, err, sizeof(err)), 0);
        assert_int_equal(count, 0);
        if (retl_kafka_ensure_topic(rk, &kc, topic, 10000, err, sizeof(err)))
                fail_msg("ensure_topic: %s", err);
        assert_int_equal(retl_kafka_partition_count(rk, topic, 10000, &count, err, sizeof(err)), 0);
        assert_int_equal(count, 1);
        /* idempotent */
        assert_int_equal(retl_kafka_ensure_topic(rk, &kc, topic, 10000, err, sizeof(err)), 0);

        /* a topic made elsewhere with 3 partitions is refused with a clear error */
        snprintf(multi, sizeof(multi), "%s.multi", topic);
        nt = rd_kafka_NewTopic_new(multi, 3, 1, err, sizeof(err));
        q = rd_kafka_queue_new(rk);
        rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
        ev = rd_kafka_queue_poll(q, 15000);
        assert_non_null(ev);
        rd_kafka_event_destroy(ev);
        rd_kafka_queue_destroy(q);
        rd_kafka_NewTopic_destroy(nt);
        assert_int_equal(retl_kafka_ensure_topic(rk, &kc, multi, 10000, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "has 3 partitions"));
        rd_kafka_destroy(rk);
}

static void test_produce_consume_commit(void **state)
{
        struct retl_codec *codec = retl_codec_new(err, sizeof(err));
        rd_kafka_t *prod, *cons, *reader;
        struct retl_buf buf;
        struct retl_record rec;
        rd_kafka_topic_partition_list_t *sub;
        int64_t expect_row = 1, last_offset = -1, low, high, off;
        int seen_start = 0, seen_finish = 0;
        char *md = NULL;
        const char *extra[] = {"session.timeout.ms", "6000", "heartbeat.interval.ms", "500", NULL};
        time_t deadline;

        assert_non_null(codec);
        retl_buf_init(&buf, 0);
        prod = retl_kafka_producer_new(&kc, "it0001", dr_cb, NULL, err, sizeof(err));
        assert_non_null(prod);

        /* RunStarted, NROWS rows, RunFinished */
        memset(&rec, 0, sizeof(rec));
        rec.type = RETL_REC_RUN_STARTED;
        rec.u.run_started = (struct retl_run_started){
                .run_id = "people-1-abcd", .sync = "people", .workspace = "acme",
                .started_at_ms = 1714566600123, .last_sync_time = 0,
                .settings = {.object_type_id = "1", .query = "SELECT id FROM t",
                             .interval_s = 60}};
        assert_int_equal(retl_codec_encode(codec, &rec, &buf, err, sizeof(err)), 0);
        assert_int_equal(rd_kafka_producev(prod, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY("people", 6),
                                           RD_KAFKA_V_VALUE(buf.b_data, buf.b_len),
                                           RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                         0);
        for (int i = 1; i <= NROWS; i++) {
                char id[32], email[64];
                struct retl_column cols[3];
                snprintf(id, sizeof(id), "%d", i);
                snprintf(email, sizeof(email), "person%d@example.com", i);
                cols[0] = (struct retl_column){"id", {.type = RETL_V_LONG, .u.l = i}};
                cols[1] = (struct retl_column){"email", {.type = RETL_V_STRING,
                                                         .u.s = {email, strlen(email)}}};
                cols[2] = (struct retl_column){"vip", {.type = i % 2 ? RETL_V_BOOL : RETL_V_NULL,
                                                       .u.b = 1}};
                rec.type = RETL_REC_ROW;
                rec.u.row = (struct retl_row){"people-1-abcd", "people", RETL_PART_MAIN, i, 3, cols};
                assert_int_equal(retl_codec_encode(codec, &rec, &buf, err, sizeof(err)), 0);
                while (rd_kafka_producev(prod, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY("people", 6),
                                         RD_KAFKA_V_VALUE(buf.b_data, buf.b_len),
                                         RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                         RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        rd_kafka_poll(prod, 100);
        }
        rec.type = RETL_REC_RUN_FINISHED;
        rec.u.run_finished = (struct retl_run_finished){"people-1-abcd", "people", RETL_EXTRACT_OK,
                                                        NROWS, 0, 1714566601000, NULL};
        assert_int_equal(retl_codec_encode(codec, &rec, &buf, err, sizeof(err)), 0);
        assert_int_equal(rd_kafka_producev(prod, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY("people", 6),
                                           RD_KAFKA_V_VALUE(buf.b_data, buf.b_len),
                                           RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                         0);
        assert_int_equal(rd_kafka_flush(prod, 30000), 0);
        assert_int_equal(delivered_ok, NROWS + 2);
        assert_int_equal(delivered_err, 0);
        assert_int_equal(retl_kafka_watermarks(prod, topic, 10000, &low, &high, err, sizeof(err)), 0);
        assert_true(low == 0 && high == NROWS + 2);
        rd_kafka_destroy(prod);

        /* consume as a group member, decode, compare */
        cons = retl_kafka_consumer_new(&kc, group, "it0001-c", extra, err, sizeof(err));
        assert_non_null(cons);
        rd_kafka_poll_set_consumer(cons);
        sub = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
        assert_int_equal(rd_kafka_subscribe(cons, sub), 0);
        rd_kafka_topic_partition_list_destroy(sub);
        deadline = time(NULL) + 60;
        while (!seen_finish && time(NULL) < deadline) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(cons, 500);
                if (!m)
                        continue;
                if (m->err) {
                        rd_kafka_message_destroy(m);
                        continue;
                }
                if (retl_codec_decode(codec, m->payload, m->len, &rec, err, sizeof(err)))
                        fail_msg("offset %lld: %s", (long long)m->offset, err);
                switch (rec.type) {
                case RETL_REC_RUN_STARTED:
                        assert_false(seen_start);
                        assert_string_equal(rec.u.run_started.run_id, "people-1-abcd");
                        assert_true(rec.u.run_started.started_at_ms == 1714566600123);
                        seen_start = 1;
                        break;
                case RETL_REC_ROW: {
                        char email[64];
                        const struct retl_row *r = &rec.u.row;
                        assert_true(seen_start);
                        assert_true(r->row_number == expect_row);
                        assert_int_equal(r->ncolumns, 3);
                        assert_true(r->columns[0].value.type == RETL_V_LONG &&
                                    r->columns[0].value.u.l == expect_row);
                        snprintf(email, sizeof(email), "person%lld@example.com",
                                 (long long)expect_row);
                        assert_int_equal(r->columns[1].value.u.s.len, strlen(email));
                        assert_memory_equal(r->columns[1].value.u.s.ptr, email, strlen(email));
                        assert_int_equal(r->columns[2].value.type,
                                         expect_row % 2 ? RETL_V_BOOL : RETL_V_NULL);
                        expect_row++;
                        break;
                }
                case RETL_REC_RUN_FINISHED:
                        assert_true(rec.u.run_finished.rows == NROWS);
                        assert_true(expect_row == NROWS + 1);
                        seen_finish = 1;
                        break;
                default:
                        fail_msg("unexpected record %s", retl_record_type_name(rec.type));
                }
                last_offset = m->offset;
                rd_kafka_message_destroy(m);
        }
        assert_true(seen_finish);

        /* commit the offset and the checkpoint together, explicitly */
        {
                struct retl_checkpoint cp;
                rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
                rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_add(list, topic, 0);
                retl_checkpoint_init(&cp);
                retl_checkpoint_set(&cp, "people", 1714566600);
                tp->offset = last_offset + 1;
                tp->metadata = retl_checkpoint_format(&cp, err, sizeof(err));
                tp->metadata_size = strlen(tp->metadata);
                assert_int_equal(rd_kafka_commit(cons, list, 0), 0);
                rd_kafka_topic_partition_list_destroy(list);
                retl_checkpoint_free(&cp);
        }
        rd_kafka_consumer_close(cons);
        rd_kafka_destroy(cons);

        /* a handle that never joins reads both back */
        reader = retl_kafka_consumer_new(&kc, group, "it0001-r", NULL, err, sizeof(err));
        assert_non_null(reader);
        if (retl_kafka_committed(reader, topic, 10000, &off, &md, err, sizeof(err)))
                fail_msg("committed: %s", err);
        assert_true(off == NROWS + 2);
        assert_non_null(md);
        {
                struct retl_checkpoint cp;
                assert_int_equal(retl_checkpoint_parse(&cp, md, strlen(md), err, sizeof(err)), 0);
                assert_true(retl_checkpoint_get(&cp, "people") == 1714566600);
                retl_checkpoint_free(&cp);
        }
        free(md);
        rd_kafka_destroy(reader);
        retl_buf_free(&buf);
        retl_codec_destroy(codec);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_topic_creation),
                cmocka_unit_test(test_produce_consume_commit),
        };
        return cmocka_run_group_tests_name("0001-kafka-roundtrip", tests, setup, NULL);
}
