/* Benchmark: rows per second from a workspace topic into a `retl sandbox`
 * through `retl upload` (release build). One run of N people rows with 5
 * attributes; timed from the worker's start to the commit of the run's end.
 * Env as for the integration tests (RETL = release bin/retl). Usage:
 * upload_bench [N]; BENCH_METRICS=1 turns the metrics listener on. */
#include "tests/it/upload_it.h"

int main(int argc, char **argv)
{
        int n = argc > 1 ? atoi(argv[1]) : 100000;
        struct it_sandbox sb;
        char prefix[64], topic[128], group[128], config[512];
        struct it_ws ws[1];
        struct retl_sync_settings s = it_settings(RETL_IMPORT_PEOPLE, RETL_IDENT_ID);
        int64_t t0, t1;
        pid_t up;

        it_init("upload_bench");
        snprintf(prefix, sizeof(prefix), "bench-%ld", (long)time(NULL));
        snprintf(topic, sizeof(topic), "%s.acme", prefix);
        snprintf(group, sizeof(group), "%s.g", prefix);
        snprintf(config, sizeof(config), "%s/bench.conf", it_tmp);
        it_sandbox_start(&sb, "acme", NULL);
        ws[0].name = "acme";
        ws[0].sb = &sb;
        it_write_config(config, prefix, ws, 1);
        if (getenv("BENCH_METRICS")) {
                /* the same run with /metrics served and every series recorded */
                FILE *f = fopen(config, "a");
                CHECK(f);
                fprintf(f, "metrics = { listen = \"127.0.0.1:0\"; };\n");
                fclose(f);
        }
        it_ensure_topic(topic);
        it_run_started(topic, "b1", "bench", it_wall_ms(), &s);
        for (int i = 1; i <= n; i++) {
                char id[32], name[64], mail[64];
                struct retl_column c[5];
                snprintf(id, sizeof(id), "user-%d", i);
                snprintf(name, sizeof(name), "Person Number %d", i);
                snprintf(mail, sizeof(mail), "user%d@example.com", i);
                c[0] = (struct retl_column){"id", {.type = RETL_V_STRING, .u.s = {id, strlen(id)}}};
                c[1] = (struct retl_column){"name", {.type = RETL_V_STRING, .u.s = {name, strlen(name)}}};
                c[2] = (struct retl_column){"email", {.type = RETL_V_STRING, .u.s = {mail, strlen(mail)}}};
                c[3] = (struct retl_column){"age", {.type = RETL_V_LONG, .u.l = i % 90}};
                c[4] = (struct retl_column){"balance", {.type = RETL_V_DECIMAL, .u.s = {"1234.50", 7}}};
                it_row(topic, "b1", "bench", RETL_PART_MAIN, i, c, 5);
        }
        it_run_finished(topic, "b1", "bench", RETL_EXTRACT_OK, n, 0);
        it_flush();
        t0 = it_now_ms();
        up = it_upload_start(config, "bench-upload.log", NULL);
        it_wait_committed(group, topic, it_end_offset(topic), 600000, NULL);
        t1 = it_now_ms();
        CHECK(it_count(&sb, "people") == n);
        printf("upload: %d rows in %.2f s = %.0f rows/s (incl. ~1-3 s group join)\n", n,
               (t1 - t0) / 1000.0, n * 1000.0 / (double)(t1 - t0));
        it_stop(up, SIGTERM, 30000);
        it_stop(sb.pid, SIGTERM, 10000);
        return 0;
}
