/* Integration test 0002: `retl status` and `retl errors` read the import
 * history and failed rows from the real broker: newest report of a run wins,
 * newest run first, the sync's last_sync_time from the uploaders' committed
 * checkpoint, the CSV with quoting, an unknown run; a replay shown with
 * when it was imported, not the original run's start.
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

#include "lib/checkpoint.h"
#include "lib/codec.h"
#include "lib/kafka.h"
#include "lib/mem.h"
#include "tests/it/it_util.h"

static char cfgpath[512], prefix[64], err[1024];
static struct retl_cfg *cfg;



/* A configuration whose topics and group are named after @p pfx. */
static int write_cfg(const char *path, const char *pfx)
{
        FILE *f = fopen(path, "w");

        if (!f)
                return -1;
        fprintf(f,
                "kafka = { brokers = \"%s\"; replication_factor = 1; topic_prefix = \"%s.ws.\";\n"
                "  group = \"%s.g\"; imports_topic = \"%s.imports\"; failures_topic = \"%s.failures\"; };\n"
                "workspaces = ( { name = \"acme\"; api_url = \"http://127.0.0.1:9\"; site_id = \"s\";\n"
                "  api_key_env = \"HOME\"; } );\n"
                "databases = ( { name = \"crm\"; host = \"127.0.0.1\"; database = \"crm\"; user = \"u\";\n"
                "  password_env = \"HOME\"; } );\n"
                "syncs = ( { name = \"people\"; workspace = \"acme\"; database = \"crm\"; import = \"people\";\n"
                "  interval = \"1h\"; query = \"SELECT id FROM t\"; } );\n",
                getenv("RETL_KAFKA_BROKERS"), pfx, pfx, pfx, pfx);
        return fclose(f);
}

static int setup(void **state)
{
        snprintf(prefix, sizeof(prefix), "it0002x%ld", (long)time(NULL));
        snprintf(cfgpath, sizeof(cfgpath), "%s/retl.cfg", getenv("RETL_TEST_TMP"));
        if (write_cfg(cfgpath, prefix))
                return -1;
        return retl_cfg_load(cfgpath, &cfg, err, sizeof(err));
}

static int teardown(void **state)
{
        retl_cfg_destroy(cfg);
        return 0;
}

static void test_status_and_errors(void **state)
{
        struct retl_codec *codec = retl_codec_new(err, sizeof(err));
        rd_kafka_t *rk = retl_kafka_producer_new(&cfg->kafka, "it0002", NULL, NULL, err, sizeof(err));
        struct retl_record rec;
        char args[1024], *out, *wstopic;
        int status;
        int64_t t0 = 1714566600000;

        assert_non_null(rk);
        assert_int_equal(retl_kafka_ensure_topic(rk, &cfg->kafka, cfg->kafka.imports_topic, 10000,
                                                 err, sizeof(err)), 0);
        assert_int_equal(retl_kafka_ensure_topic(rk, &cfg->kafka, cfg->kafka.failures_topic, 10000,
                                                 err, sizeof(err)), 0);
        rec.type = RETL_REC_IMPORT_REPORT;
        rec.u.import_report = (struct retl_import_report){"people-1", "people", "acme",
                RETL_IMPORT_RUNNING, t0, 0, 0, 0, 0, 0, NULL, NULL, 0, 0};
        it_produce(rk, codec, cfg->kafka.imports_topic, &rec);
        rec.u.import_report.status = RETL_IMPORT_SOME_ROWS_FAILED;
        rec.u.import_report.finished_at_ms = t0 + 4000;
        rec.u.import_report.rows = 10;
        rec.u.import_report.imported = 8;
        rec.u.import_report.failed = 2;
        it_produce(rk, codec, cfg->kafka.imports_topic, &rec);
        rec.u.import_report = (struct retl_import_report){"people-2", "people", "acme",
                RETL_IMPORT_COMPLETED, t0 + 3600000, t0 + 3601500, 5, 5, 0, 1714570200, NULL, NULL, 0, 0};
        it_produce(rk, codec, cfg->kafka.imports_topic, &rec);
        rec.u.import_report = (struct retl_import_report){"people-3", "people", "acme",
                RETL_IMPORT_SKIPPED, t0 + 7200000, t0 + 7200000, 0, 0, 0, 1714570200, NULL,
                "previous import still in progress", 0, 0};
        it_produce(rk, codec, cfg->kafka.imports_topic, &rec);
        rec.type = RETL_REC_ROW_FAILURE;
        rec.u.row_failure = (struct retl_row_failure){"people-1", "people", RETL_PART_MAIN, 3,
                                                      "not-an-email", "invalid email: no @"};
        it_produce(rk, codec, cfg->kafka.failures_topic, &rec);
        rec.u.row_failure = (struct retl_row_failure){"other-9", "people", RETL_PART_MAIN, 1, "x",
                                                      "of another run"};
        it_produce(rk, codec, cfg->kafka.failures_topic, &rec);
        rec.u.row_failure = (struct retl_row_failure){"people-1", "people",
                                                      RETL_PART_RELATIONSHIPS, 7, NULL,
                                                      "person is suppressed, \"x\""};
        it_produce(rk, codec, cfg->kafka.failures_topic, &rec);
        /* recorded later (a 207), listed in row order */
        rec.u.row_failure = (struct retl_row_failure){"people-1", "people", RETL_PART_MAIN, 2,
                                                      "42", "failed attribute change"};
        it_produce(rk, codec, cfg->kafka.failures_topic, &rec);
        /* an import in progress */
        rec.type = RETL_REC_IMPORT_REPORT;
        rec.u.import_report = (struct retl_import_report){"people-5", "people", "acme",
                RETL_IMPORT_RUNNING, t0 + 10800000, 0, 0, 0, 0, 1714570200, NULL, NULL, 0, 0};
        it_produce(rk, codec, cfg->kafka.imports_topic, &rec);
        assert_int_equal(rd_kafka_flush(rk, 10000), 0);

        /* the uploaders' checkpoint says last_sync_time = 1714570200 */
        wstopic = retl_cfg_workspace_topic(cfg, "acme");
        assert_int_equal(retl_kafka_ensure_topic(rk, &cfg->kafka, wstopic, 10000, err, sizeof(err)), 0);
        {
                rd_kafka_t *c = retl_kafka_consumer_new(&cfg->kafka, cfg->kafka.group, "it0002c",
                                                        NULL, err, sizeof(err));
                rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
                rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_add(l, wstopic, 0);
                tp->offset = 0;
                /* part-way through a run: its counts so far */
                tp->metadata = retl_strdup("retl1 run=0,1234,1200,34 s=people:1714570200");
                tp->metadata_size = strlen(tp->metadata);
                assert_int_equal(rd_kafka_commit(c, l, 0), 0);
                rd_kafka_topic_partition_list_destroy(l);
                rd_kafka_destroy(c);
        }
        /* three records the uploaders have not committed yet */
        rec.type = RETL_REC_RUN_FINISHED;
        rec.u.run_finished = (struct retl_run_finished){"people-4", "people", RETL_EXTRACT_OK, 0,
                                                        0, 1, NULL};
        for (int i = 0; i < 3; i++)
                it_produce(rk, codec, wstopic, &rec);
        assert_int_equal(rd_kafka_flush(rk, 10000), 0);
        free(wstopic);
        rd_kafka_destroy(rk);
        retl_codec_destroy(codec);

        snprintf(args, sizeof(args), "status -c %s", cfgpath);
        out = it_retl(args, &status);
        assert_int_equal(status, 0);
        fprintf(stderr, "%s", out);
        assert_non_null(strstr(out, "last_sync_time 1714570200 (2024-05-01T13:30:00Z)  "
                                    "(3 records of acme not imported yet)"));
        /* newest first; people-1 shows its newest report */
        assert_true(strstr(out, "people-3") < strstr(out, "people-2"));
        assert_true(strstr(out, "people-2") < strstr(out, "people-1"));
        assert_non_null(strstr(out, "some rows failed"));
        assert_non_null(strstr(out, "ROWS       SENT  UNCHANGED   FAILED  RUN"));
        /* the running import shows its progress from the mid-run checkpoint;
         * people-1's first report (running) gave way to its last */
        assert_non_null(strstr(out, "running                1234       1200          0       34  "
                                    "people-5"));
        assert_null(strstr(strstr(out, "people-5") + 1, "running"));
        assert_non_null(strstr(out, "skipped"));
        assert_non_null(strstr(out, "previous import still in progress"));
        free(out);

        snprintf(args, sizeof(args), "status -c %s --json people", cfgpath);
        out = it_retl(args, &status);
        assert_int_equal(status, 0);
        assert_non_null(strstr(out, "\"last_sync_time\":1714570200,\"pending_records\":3"));
        assert_non_null(strstr(out, "\"run\":\"people-1\",\"status\":\"some rows failed\","
                                    "\"started_at_ms\":1714566600000,\"duration_ms\":4000,"
                                    "\"rows\":10,\"imported\":8,\"failed\":2"));
        free(out);

        /* a workspace whose topic was never published to */
        {
                char other[600], cmd[1400];
                snprintf(other, sizeof(other), "%s/other.cfg", getenv("RETL_TEST_TMP"));
                snprintf(cmd, sizeof(cmd), "sed 's/topic_prefix = \"%s.ws.\"/topic_prefix = "
                         "\"%s.none.\"/' %s > %s", prefix, prefix, cfgpath, other);
                assert_int_equal(system(cmd), 0);
                snprintf(args, sizeof(args), "status -c %s", other);
                out = it_retl(args, &status);
                assert_int_equal(status, 0);
                assert_non_null(strstr(out, "last_sync_time 0 (nothing published to the "
                                            "workspace's topic yet)"));
                free(out);
        }

        snprintf(args, sizeof(args), "errors -c %s people-1", cfgpath);
        out = it_retl(args, &status);
        assert_int_equal(status, 0);
        assert_string_equal(out, "row_number,query,identifier,reason\n"
                                 "2,main,42,failed attribute change\n"
                                 "3,main,not-an-email,invalid email: no @\n"
                                 "7,relationships,,\"person is suppressed, \"\"x\"\"\"\n");
        free(out);

        snprintf(args, sizeof(args), "errors -c %s nope-1 2>&1", cfgpath);
        out = it_retl(args, &status);
        assert_int_equal(status, 1);
        assert_non_null(strstr(out, "no run 'nope-1'"));
        free(out);
}

/* A replay's reports carry the original run's start (the copied RunStarted);
 * status shows when the replay was imported: its first report's time. */
static void test_status_replay(void **state)
{
        struct retl_codec *codec = retl_codec_new(err, sizeof(err));
        struct retl_cfg *rcfg = NULL;
        rd_kafka_t *rk;
        struct retl_record rec = {.type = RETL_REC_IMPORT_REPORT};
        char path[600], args[1024], *out, want[128], t_orig[32], t_rep[32], rprefix[80];
        const char *line;
        int status;
        /* recent times: the topic's retention goes by the messages' timestamps */
        int64_t t0 = ((int64_t)time(NULL) - 7200) * 1000, t_replay = t0 + 5400000;
        time_t tt;
        struct tm tm;

        tt = (time_t)(t0 / 1000);
        strftime(t_orig, sizeof(t_orig), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&tt, &tm));
        tt = (time_t)(t_replay / 1000);
        strftime(t_rep, sizeof(t_rep), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&tt, &tm));

        snprintf(path, sizeof(path), "%s/replay.cfg", getenv("RETL_TEST_TMP"));
        snprintf(rprefix, sizeof(rprefix), "%sr", prefix);
        assert_int_equal(write_cfg(path, rprefix), 0);
        assert_int_equal(retl_cfg_load(path, &rcfg, err, sizeof(err)), 0);
        rk = retl_kafka_producer_new(&rcfg->kafka, "it0002r", NULL, NULL, err, sizeof(err));
        assert_non_null(rk);
        assert_int_equal(retl_kafka_ensure_topic(rk, &rcfg->kafka, rcfg->kafka.imports_topic,
                                                 10000, err, sizeof(err)), 0);
        /* the original: 4 s */
        rec.u.import_report = (struct retl_import_report){"people-1", "people", "acme",
                RETL_IMPORT_RUNNING, t0, 0, 0, 0, 0, 0, NULL, NULL, 0, 0};
        it_produce_at(rk, codec, rcfg->kafka.imports_topic, &rec, t0 + 100);
        rec.u.import_report.status = RETL_IMPORT_COMPLETED;
        rec.u.import_report.finished_at_ms = t0 + 4000;
        it_produce_at(rk, codec, rcfg->kafka.imports_topic, &rec, t0 + 4000);
        /* its replay, 1.5 hours later, imported in 0.3 s */
        rec.u.import_report = (struct retl_import_report){"people-1-replay-1", "people", "acme",
                RETL_IMPORT_RUNNING, t0, 0, 0, 0, 0, 0, "people-1", NULL, 0, 0};
        it_produce_at(rk, codec, rcfg->kafka.imports_topic, &rec, t_replay);
        rec.u.import_report.status = RETL_IMPORT_COMPLETED;
        rec.u.import_report.finished_at_ms = t_replay + 300;
        it_produce_at(rk, codec, rcfg->kafka.imports_topic, &rec, t_replay + 300);
        assert_int_equal(rd_kafka_flush(rk, 10000), 0);
        rd_kafka_destroy(rk);
        retl_codec_destroy(codec);

        snprintf(args, sizeof(args), "status -c %s", path);
        out = it_retl(args, &status);
        fprintf(stderr, "%s", out);
        assert_int_equal(status, 0);
        line = strstr(out, "people-1-replay-1");
        assert_non_null(line);
        while (line > out && line[-1] != '\n')
                line--;
        snprintf(want, sizeof(want), "  %s  0.3s        completed", t_rep);
        assert_true(!strncmp(line, want, strlen(want)));
        /* newest first: the replay above the original */
        snprintf(want, sizeof(want), "  %s  4.0s        completed", t_orig);
        assert_non_null(strstr(out, want));
        assert_true(strstr(out, "people-1-replay-1") < strstr(out, want));
        free(out);
        snprintf(args, sizeof(args), "status -c %s --json", path);
        out = it_retl(args, &status);
        assert_int_equal(status, 0);
        snprintf(want, sizeof(want), "\"run\":\"people-1-replay-1\",\"status\":\"completed\","
                 "\"started_at_ms\":%lld,\"duration_ms\":300,", (long long)t_replay);
        assert_non_null(strstr(out, want));
        snprintf(want, sizeof(want), "\"run\":\"people-1\",\"status\":\"completed\","
                 "\"started_at_ms\":%lld,\"duration_ms\":4000,", (long long)t0);
        assert_non_null(strstr(out, want));
        free(out);
        retl_cfg_destroy(rcfg);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_status_and_errors),
                cmocka_unit_test(test_status_replay),
        };
        return cmocka_run_group_tests_name("0002-status-errors", tests, setup, teardown);
}
