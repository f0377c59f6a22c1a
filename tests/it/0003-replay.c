/* Integration test 0003: `retl replay` against the real broker: a run
 * copied under a new id with replay_of, framed by Control records that both
 * carry the source range and the runs, its rows
 * identical; --since choosing runs by start time; runs that retention
 * removed (DeleteRecords) give a clear error and append nothing.
 * Env: RETL, RETL_KAFKA_BROKERS, RETL_TEST_TMP. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>

#include "lib/codec.h"
#include "lib/kafka.h"
#include "lib/mem.h"
#include "tests/it/it_util.h"
#include "lib/scan.h"

static char cfgpath[512], err[1024];
static struct retl_cfg *cfg;
static char *topic;



static void produce_run(rd_kafka_t *rk, struct retl_codec *codec, const char *run_id,
                        int64_t started_ms, int nrows)
{
        struct retl_record rec = {.type = RETL_REC_RUN_STARTED};
        rec.u.run_started = (struct retl_run_started){
                .run_id = run_id, .sync = "people", .workspace = "acme",
                .started_at_ms = started_ms, .last_sync_time = 5,
                .settings = {.object_type_id = "1", .query = "SELECT id FROM t", .interval_s = 60}};
        it_produce(rk, codec, topic, &rec);
        for (int i = 1; i <= nrows; i++) {
                char email[64];
                struct retl_column cols[2];
                snprintf(email, sizeof(email), "%s-%d@example.com", run_id, i);
                cols[0] = (struct retl_column){"id", {.type = RETL_V_LONG, .u.l = i}};
                cols[1] = (struct retl_column){"email", {.type = RETL_V_STRING,
                                                         .u.s = {email, strlen(email)}}};
                rec.type = RETL_REC_ROW;
                rec.u.row = (struct retl_row){run_id, "people", RETL_PART_MAIN, i, 2, cols};
                it_produce(rk, codec, topic, &rec);
        }
        rec.type = RETL_REC_RUN_FINISHED;
        rec.u.run_finished = (struct retl_run_finished){run_id, "people", RETL_EXTRACT_OK, nrows,
                                                        0, started_ms + 1000, NULL};
        it_produce(rk, codec, topic, &rec);
}

/* What the topic holds after a given offset, as one line per record. */
struct seen {
        struct retl_buf text;
};

static int collect(void *opaque, int64_t offset, int64_t ts, const struct retl_record *rec,
                   const char *why)
{
        struct seen *s = opaque;
        int e = 0;
        assert_non_null(rec);
        switch (rec->type) {
        case RETL_REC_CONTROL:
                e = retl_buf_printf(&s->text, "control %s offsets %lld-%lld runs=%zu first=%s\n",
                                    rec->u.control.kind == RETL_CONTROL_REPLAY_BEGIN ? "begin" : "end",
                                    (long long)rec->u.control.from_offset,
                                    (long long)rec->u.control.to_offset, rec->u.control.nruns,
                                    rec->u.control.nruns ? rec->u.control.runs[0] : "-");
                break;
        case RETL_REC_RUN_STARTED:
                e = retl_buf_printf(&s->text, "started replay_of=%s lst=%lld\n",
                                    rec->u.run_started.replay_of ? rec->u.run_started.replay_of : "-",
                                    (long long)rec->u.run_started.last_sync_time);
                assert_non_null(strstr(rec->u.run_started.run_id, "-replay-"));
                break;
        case RETL_REC_ROW:
                e = retl_buf_printf(&s->text, "row %lld %.*s\n", (long long)rec->u.row.row_number,
                                    (int)rec->u.row.columns[1].value.u.s.len,
                                    rec->u.row.columns[1].value.u.s.ptr);
                break;
        case RETL_REC_RUN_FINISHED:
                e = retl_buf_printf(&s->text, "finished %lld\n", (long long)rec->u.run_finished.rows);
                break;
        default:
                break;
        }
        assert_int_equal(e, 0);
        return 0;
}

static int setup(void **state)
{
        FILE *f;
        char prefix[64];
        snprintf(prefix, sizeof(prefix), "it0003x%ld", (long)time(NULL));
        snprintf(cfgpath, sizeof(cfgpath), "%s/retl.cfg", getenv("RETL_TEST_TMP"));
        f = fopen(cfgpath, "w");
        if (!f)
                return -1;
        fprintf(f,
                "kafka = { brokers = \"%s\"; replication_factor = 1; topic_prefix = \"%s.ws.\";\n"
                "  group = \"%s.g\"; imports_topic = \"%s.imports\"; failures_topic = \"%s.failures\"; };\n"
                "workspaces = ( { name = \"acme\"; api_url = \"http://127.0.0.1:9\"; site_id = \"s\";\n"
                "  api_key_env = \"HOME\"; } );\n",
                getenv("RETL_KAFKA_BROKERS"), prefix, prefix, prefix, prefix);
        fclose(f);
        if (retl_cfg_load(cfgpath, &cfg, err, sizeof(err)))
                return -1;
        topic = retl_cfg_workspace_topic(cfg, "acme");
        return 0;
}

static int teardown(void **state)
{
        free(topic);
        retl_cfg_destroy(cfg);
        return 0;
}

static void test_replay(void **state)
{
        struct retl_codec *codec = retl_codec_new(err, sizeof(err));
        rd_kafka_t *rk = retl_kafka_producer_new(&cfg->kafka, "it0003", NULL, NULL, err, sizeof(err));
        int64_t low, high, high2;
        char args[1024], *out;
        int status;
        struct seen s;

        assert_int_equal(retl_kafka_ensure_topic(rk, &cfg->kafka, topic, 10000, err, sizeof(err)), 0);
        produce_run(rk, codec, "people-A", 1714566600000, 3);   /* 2024-05-01T12:30Z */
        produce_run(rk, codec, "people-B", 1714570200000, 2);   /* 2024-05-01T13:30Z */
        assert_int_equal(rd_kafka_flush(rk, 10000), 0);
        assert_int_equal(retl_kafka_watermarks(rk, topic, 10000, &low, &high, err, sizeof(err)), 0);
        assert_true(high == 9);

        /* one run */
        snprintf(args, sizeof(args), "replay -c %s acme --run people-A 2>&1", cfgpath);
        out = it_retl(args, &status);
        fprintf(stderr, "%s", out);
        assert_int_equal(status, 0);
        assert_non_null(strstr(out, "1 run, 3 rows"));
        free(out);
        retl_buf_init(&s.text, 0);
        assert_int_equal(retl_scan_topic(&cfg->kafka, topic, high, 0, collect, &s, err, sizeof(err)), 0);
        assert_string_equal(retl_buf_str(&s.text),
                            /* the range and runs known from the start */
                            "control begin offsets 0-4 runs=1 first=people-A\n"
                            "started replay_of=people-A lst=5\n"
                            "row 1 people-A-1@example.com\n"
                            "row 2 people-A-2@example.com\n"
                            "row 3 people-A-3@example.com\n"
                            "finished 3\n"
                            "control end offsets 0-4 runs=1 first=people-A\n");
        retl_buf_free(&s.text);

        /* --since picks people-B only; a dry run appends nothing */
        assert_int_equal(retl_kafka_watermarks(rk, topic, 10000, &low, &high, err, sizeof(err)), 0);
        snprintf(args, sizeof(args), "replay -c %s acme --since 2024-05-01T13:00:00Z --dry-run 2>&1",
                 cfgpath);
        out = it_retl(args, &status);
        assert_int_equal(status, 0);
        assert_non_null(strstr(out, "dry run"));
        assert_non_null(strstr(out, "people-B"));
        assert_null(strstr(out, "people-A\n"));
        free(out);
        /* from before both: the two originals, not the replay of people-A */
        snprintf(args, sizeof(args), "replay -c %s acme --since 2024-05-01T12:00:00Z --dry-run 2>&1",
                 cfgpath);
        out = it_retl(args, &status);
        assert_int_equal(status, 0);
        assert_non_null(strstr(out, "2 runs, 5 rows"));
        assert_null(strstr(out, "-replay-"));
        free(out);
        assert_int_equal(retl_kafka_watermarks(rk, topic, 10000, &low, &high2, err, sizeof(err)), 0);
        assert_true(high2 == high);

        /* retention: delete the first run's records, then ask for it */
        {
                rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
                rd_kafka_DeleteRecords_t *dr;
                rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
                rd_kafka_event_t *ev;
                rd_kafka_topic_partition_list_add(l, topic, 0)->offset = 5;
                dr = rd_kafka_DeleteRecords_new(l);
                rd_kafka_DeleteRecords(rk, &dr, 1, NULL, q);
                ev = rd_kafka_queue_poll(q, 15000);
                assert_non_null(ev);
                assert_int_equal(rd_kafka_event_error(ev), 0);
                rd_kafka_event_destroy(ev);
                rd_kafka_DeleteRecords_destroy(dr);
                rd_kafka_queue_destroy(q);
                rd_kafka_topic_partition_list_destroy(l);
        }
        snprintf(args, sizeof(args), "replay -c %s acme --run people-A 2>&1", cfgpath);
        out = it_retl(args, &status);
        assert_int_equal(status, 1);
        assert_non_null(strstr(out, "run 'people-A' is not in"));
        assert_non_null(strstr(out, "removed by retention"));
        free(out);
        snprintf(args, sizeof(args), "replay -c %s acme --since 2024-05-01T00:00:00Z 2>&1", cfgpath);
        out = it_retl(args, &status);
        assert_int_equal(status, 1);
        assert_non_null(strstr(out, "retention removed them"));
        free(out);
        assert_int_equal(retl_kafka_watermarks(rk, topic, 10000, &low, &high2, err, sizeof(err)), 0);
        assert_true(high2 == high);

        rd_kafka_destroy(rk);
        retl_codec_destroy(codec);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_replay),
        };
        return cmocka_run_group_tests_name("0003-replay", tests, setup, teardown);
}
