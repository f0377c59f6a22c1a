/* Integration test 0307: a workspace topic made by hand with 3 partitions
 * is refused with a clear error before anything is published, the run exits
 * 1, and the import history shows it as failed with that error (`retl
 * status`), since nothing reached the workspace's topic for the uploaders
 * to report. Env: RETL, RETL_KAFKA_BROKERS, RETL_TEST_TMP. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/kafka.h"
#include "lib/mem.h"
#include "tests/it/it_util.h"

static void test_three_partitions(void **state)
{
        char cfgpath[600], prefix[64], topic[128], args[1024], err[512], *out;
        struct retl_cfg_kafka kc;
        static char *props[] = {NULL};
        rd_kafka_t *rk;
        rd_kafka_NewTopic_t *nt;
        rd_kafka_queue_t *q;
        rd_kafka_event_t *ev;
        FILE *f;
        int status, count = 0;

        snprintf(prefix, sizeof(prefix), "it0307x%ld", (long)time(NULL));
        snprintf(topic, sizeof(topic), "%s.ws.acme", prefix);
        memset(&kc, 0, sizeof(kc));
        kc.brokers = getenv("RETL_KAFKA_BROKERS");
        kc.props = props;
        rk = retl_kafka_producer_new(&kc, "it0307", NULL, NULL, err, sizeof(err));
        assert_non_null(rk);
        nt = rd_kafka_NewTopic_new(topic, 3, 1, err, sizeof(err));
        q = rd_kafka_queue_new(rk);
        rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
        ev = rd_kafka_queue_poll(q, 15000);
        assert_non_null(ev);
        rd_kafka_event_destroy(ev);
        rd_kafka_queue_destroy(q);
        rd_kafka_NewTopic_destroy(nt);
        for (int i = 0; i < 100 && count != 3; i++) {
                assert_int_equal(retl_kafka_partition_count(rk, topic, 5000, &count, err,
                                                            sizeof(err)), 0);
                if (count != 3)
                        nanosleep(&(struct timespec){0, 100000000}, NULL);
        }
        assert_int_equal(count, 3);
        rd_kafka_destroy(rk);

        snprintf(cfgpath, sizeof(cfgpath), "%s/retl.cfg", getenv("RETL_TEST_TMP"));
        f = fopen(cfgpath, "w");
        assert_non_null(f);
        fprintf(f,
                "kafka = { brokers = \"%s\"; replication_factor = 1; topic_prefix = \"%s.ws.\";\n"
                "  group = \"%s.g\"; imports_topic = \"%s.imports\"; failures_topic = \"%s.failures\"; };\n"
                "workspaces = ( { name = \"acme\"; api_url = \"http://127.0.0.1:9\"; site_id = \"s\";\n"
                "  api_key_env = \"HOME\"; } );\n"
                "databases = ( { name = \"crm\"; host = \"127.0.0.1\"; port = 9; database = \"crm\";\n"
                "  user = \"u\"; password_env = \"HOME\"; } );\n"
                "syncs = ( { name = \"people\"; workspace = \"acme\"; database = \"crm\";\n"
                "  import = \"people\"; interval = \"1h\"; query = \"SELECT id FROM t\"; } );\n",
                getenv("RETL_KAFKA_BROKERS"), prefix, prefix, prefix, prefix);
        fclose(f);

        snprintf(args, sizeof(args), "extract -c %s --once people 2>&1", cfgpath);
        out = it_retl(args, &status);
        fprintf(stderr, "%s", out);
        assert_int_equal(status, 1);
        assert_non_null(strstr(out, "has 3 partitions; a workspace's topic must have exactly one"));
        free(out);

        snprintf(args, sizeof(args), "status -c %s --json 2>&1", cfgpath);
        out = it_retl(args, &status);
        fprintf(stderr, "%s\n", out);
        assert_int_equal(status, 0);
        assert_non_null(strstr(out, "\"status\":\"failed\""));
        assert_non_null(strstr(out, "has 3 partitions"));
        free(out);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_three_partitions),
        };
        return cmocka_run_group_tests_name("0307-extract-bad-topic", tests, NULL, NULL);
}
