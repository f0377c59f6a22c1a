/* Integration test 0405: `retl upload` with `metrics = { listen = ... }`
 * serves /metrics, /healthz and /readyz. The worker reads only its own
 * secrets: the database password variable does not exist. A completed run
 * counts its rows as sent, answers by status, brings the lag to 0 after the
 * commit and sets the sync's last completed import time to the run's start;
 * a run with a failed row counts it and is a some_rows_failed import. */
#include "tests/it/upload_it.h"

#define STR(n, v) {n, {.type = RETL_V_STRING, .u.s = {v, sizeof(v) - 1}}}
#define LNG(n, v) {n, {.type = RETL_V_LONG, .u.l = v}}

static char topic[128], group[128];

static void people_run(const char *run, const char *sync, int64_t t, int n, int bad)
{
        struct retl_sync_settings s = it_settings(RETL_IMPORT_PEOPLE, RETL_IDENT_ID);

        it_run_started(topic, run, sync, t, &s);
        for (int i = 1; i <= n; i++) {
                char id[64];
                struct retl_column c[] = {STR("id", ""), LNG("n", i)};
                snprintf(id, sizeof(id), "%s-%d", run, i);
                c[0].value.u.s.ptr = i == bad ? "" : id;
                c[0].value.u.s.len = strlen(c[0].value.u.s.ptr);
                it_row(topic, run, sync, RETL_PART_MAIN, i, c, 2);
        }
        it_run_finished(topic, run, sync, RETL_EXTRACT_OK, n, 0);
        it_flush();
}

int main(void)
{
        struct it_sandbox sb;
        char prefix[64], config[512], want[256];
        struct it_ws ws[1];
        int64_t t = (it_wall_ms() / 1000 - 7200) * 1000 + 123;
        struct retl_checkpoint cp;
        int port = 0;
        long st = 0;
        char *body;
        FILE *f;
        pid_t up;

        it_init("0405");
        unsetenv("IT_NO_SUCH_DB_PASSWORD");
        snprintf(prefix, sizeof(prefix), "it0405-%ld", (long)time(NULL));
        snprintf(topic, sizeof(topic), "%s.acme", prefix);
        snprintf(group, sizeof(group), "%s.g", prefix);
        snprintf(config, sizeof(config), "%s/retl.conf", it_tmp);
        it_sandbox_start(&sb, "acme", NULL);
        ws[0].name = "acme";
        ws[0].sb = &sb;
        it_write_config(config, prefix, ws, 1);
        f = fopen(config, "a");
        CHECK(f);
        /* port 0: the worker logs the port it got */
        fprintf(f, "metrics = { listen = \"127.0.0.1:0\"; };\n"
                "databases = ( { name = \"db\"; host = \"127.0.0.1\"; port = 1433;"
                " database = \"d\"; user = \"u\";"
                " password_env = \"IT_NO_SUCH_DB_PASSWORD\"; } );\n");
        fclose(f);
        it_ensure_topic(topic);
        retl_checkpoint_init(&cp);

        people_run("m-1", "people", t, 7, 0);
        up = it_upload_start(config, "upload.log", NULL);
        port = it_log_port("upload.log");
        CHECKF(port > 0, "the worker did not log its metrics port");

        it_wait_committed(group, topic, it_end_offset(topic), 60000, &cp);
        CHECK(retl_checkpoint_get(&cp, "people") == t / 1000);
        CHECK(it_count(&sb, "people") == 7);

        /* ready once in the group with Kafka reachable; healthy while it beats */
        for (int64_t end = it_now_ms() + 20000; it_now_ms() < end; it_sleep_ms(200)) {
                free(it_get(port, "/readyz", &st));
                if (st == 200)
                        break;
        }
        CHECKF(st == 200, "/readyz answers %ld", st);
        free(it_get(port, "/healthz", &st));
        CHECKF(st == 200, "/healthz answers %ld", st);

        CHECK(it_scrape(port, "retl_rows_sent_total{workspace=\"acme\",sync=\"people\"}") == 7);
        CHECK(it_scrape(port, "retl_http_responses_total{workspace=\"acme\",status=\"200\"}") >= 1);
        CHECK(it_scrape(port, "retl_http_request_duration_seconds_count{workspace=\"acme\"}") >= 1);
        CHECK(it_scrape(port, "retl_imports_total{workspace=\"acme\",sync=\"people\","
                           "status=\"completed\"}") == 1);
        CHECK(it_scrape(port, "retl_last_completed_import_timestamp_seconds{workspace=\"acme\","
                           "sync=\"people\"}") == (double)(t / 1000));
        /* the lag is refreshed every 5 s: 0 once the commit is seen */
        snprintf(want, sizeof(want), "retl_consumer_lag{workspace=\"acme\"}");
        for (int64_t end = it_now_ms() + 20000; it_now_ms() < end; it_sleep_ms(250))
                if (it_scrape(port, want) == 0)
                        break;
        CHECKF(it_scrape(port, want) == 0, "lag %g", it_scrape(port, want));

        /* a failed row: counted, the import is some_rows_failed, nothing moves */
        people_run("m-2", "people2", t + 1000, 3, 2);
        it_wait_committed(group, topic, it_end_offset(topic), 60000, &cp);
        CHECK(it_scrape(port, "retl_rows_sent_total{workspace=\"acme\",sync=\"people2\"}") == 2);
        CHECK(it_scrape(port, "retl_rows_failed_total{workspace=\"acme\",sync=\"people2\"}") == 1);
        CHECK(it_scrape(port, "retl_imports_total{workspace=\"acme\",sync=\"people2\","
                           "status=\"some_rows_failed\"}") == 1);
        CHECK(it_scrape(port, "retl_last_completed_import_timestamp_seconds{workspace=\"acme\","
                           "sync=\"people2\"}") == -1);
        body = it_get(port, "/metrics", &st);
        CHECK(strstr(body, "# TYPE retl_http_request_duration_seconds histogram"));
        free(body);
        CHECK(it_log_count("upload.log", "IT_NO_SUCH_DB_PASSWORD") == 0);

        CHECKF(it_stop(up, SIGTERM, 30000) == 0, "upload did not exit 0 on SIGTERM");

        /* --status reads only the Kafka secrets too */
        {
                char cmd[1024];
                snprintf(cmd, sizeof(cmd), "%s upload -c %s --status >> %s/status.log 2>&1",
                         it_retl, config, it_tmp);
                CHECK(system(cmd) == 0);
                CHECK(it_log_count("status.log", "workspace=acme") == 1);
        }
        /* a restarted worker shows the last completed import from its checkpoint */
        up = it_upload_start(config, "upload2.log", NULL);
        port = it_log_port("upload2.log");
        CHECK(port > 0);
        snprintf(want, sizeof(want),
                 "retl_last_completed_import_timestamp_seconds{workspace=\"acme\","
                 "sync=\"people\"}");
        for (int64_t end = it_now_ms() + 30000; it_now_ms() < end; it_sleep_ms(250))
                if (it_scrape(port, want) == (double)(t / 1000))
                        break;
        CHECK(it_scrape(port, want) == (double)(t / 1000));
        CHECKF(it_stop(up, SIGTERM, 30000) == 0, "upload did not exit 0 on SIGTERM");

        retl_checkpoint_free(&cp);
        it_stop(sb.pid, SIGTERM, 10000);
        printf("0405 ok\n");
        return 0;
}
