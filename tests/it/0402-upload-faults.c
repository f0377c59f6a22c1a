/* Integration test 0402: how `retl upload` meets the Track API's answers,
 * with the sandbox's scripted faults: 503 and 429 are retried until every
 * row lands; 207 errors become failed rows (a suppressed person under the
 * FAIL policy: "person is suppressed", last_sync_time kept); 401 stops the
 * workspace with a clear error and commits nothing until the key works. */
#include "tests/it/upload_it.h"

#define STR(n, v) {n, {.type = RETL_V_STRING, .u.s = {v, sizeof(v) - 1}}}
#define LNG(n, v) {n, {.type = RETL_V_LONG, .u.l = v}}

static char topic[128], group[128];

static void people_run(const char *run, const char *sync, int64_t t, int policy, int n,
                       const char *sup)
{
        struct retl_sync_settings s = it_settings(RETL_IMPORT_PEOPLE, RETL_IDENT_ID);

        s.suppressed = policy;
        it_run_started(topic, run, sync, t, &s);
        for (int i = 1; i <= n; i++) {
                char id[64];
                struct retl_column c[] = {STR("id", ""), LNG("n", i)};
                snprintf(id, sizeof(id), "%s-%d", run, i);
                c[0].value.u.s.ptr = i == n && sup ? sup : id;
                c[0].value.u.s.len = strlen(c[0].value.u.s.ptr);
                it_row(topic, run, sync, RETL_PART_MAIN, i, c, 2);
        }
        it_run_finished(topic, run, sync, RETL_EXTRACT_OK, n, 0);
        it_flush();
}

static int64_t status_count(const struct it_sandbox *sb, const char *status)
{
        json_t *j = it_http(sb, "/_sandbox/counters", NULL);
        int64_t n = json_integer_value(
                json_object_get(json_object_get(json_object_get(j, "requests"), "by_status"),
                                status));
        json_decref(j);
        return n;
}

int main(void)
{
        struct it_sandbox sb;
        const char *sbx_extra[] = {"--suppress", "id:sup1", NULL};
        const char *up_extra[] = {"--auth-retry", "2", NULL};
        char prefix[64], imports[128], failures[128], config[512];
        struct it_ws ws[1];
        int64_t t = it_wall_ms() - 3600 * 1000, before;
        struct retl_checkpoint cp;
        struct it_reports rep;
        struct it_failures fl;
        json_t *j;
        pid_t up;

        it_init("0402");
        snprintf(prefix, sizeof(prefix), "it0402-%ld", (long)time(NULL));
        snprintf(topic, sizeof(topic), "%s.acme", prefix);
        snprintf(imports, sizeof(imports), "%s-imports", prefix);
        snprintf(failures, sizeof(failures), "%s-failures", prefix);
        snprintf(group, sizeof(group), "%s.g", prefix);
        snprintf(config, sizeof(config), "%s/retl.conf", it_tmp);
        it_sandbox_start(&sb, "acme", sbx_extra);
        ws[0].name = "acme";
        ws[0].sb = &sb;
        it_write_config(config, prefix, ws, 1);
        it_ensure_topic(topic);
        retl_checkpoint_init(&cp);

        /* 503, 429, 503: retried with backoff until all 50 rows land */
        json_decref(it_http(&sb, "/_sandbox/faults", "{\"script\":[503,429,503]}"));
        people_run("retry-1", "retry", t, RETL_SUPPRESSED_SUCCEED, 50, NULL);
        up = it_upload_start(config, "upload.log", up_extra);
        it_wait_committed(group, topic, it_end_offset(topic), 60000, &cp);
        CHECK(retl_checkpoint_get(&cp, "retry") == t / 1000);
        CHECK(it_count(&sb, "people") == 50);
        CHECK(status_count(&sb, "503") == 2 && status_count(&sb, "429") == 1);
        CHECK(it_log_count("upload.log", "HTTP 503") == 2);
        CHECK(it_log_count("upload.log", "rate limited") == 1);
        it_reports(imports, "retry-1", &rep);
        CHECK(rep.nfinal == 1 && rep.last.status == RETL_IMPORT_COMPLETED && rep.last.imported == 50);

        /* 207: a suppressed person under FAIL is a failed row; last_sync_time stays */
        people_run("sup-1", "sup", t + 1000, RETL_SUPPRESSED_FAIL, 5, "sup1");
        it_wait_committed(group, topic, it_end_offset(topic), 60000, &cp);
        CHECK(retl_checkpoint_get(&cp, "sup") == 0);
        it_reports(imports, "sup-1", &rep);
        CHECK(rep.nfinal == 1 && rep.last.status == RETL_IMPORT_SOME_ROWS_FAILED &&
              rep.last.failed == 1 && rep.last.imported == 4);
        it_failures(failures, "sup-1", &fl);
        CHECKF(fl.n == 1 && it_has_failure(&fl, 0, 5, "person is suppressed"), "%d: %s", fl.n,
               fl.lines[0]);
        /* and under SUCCEED it is ignored: the run completes */
        people_run("sup-2", "sup", t + 2000, RETL_SUPPRESSED_SUCCEED, 5, "sup1");
        it_wait_committed(group, topic, it_end_offset(topic), 60000, &cp);
        CHECK(retl_checkpoint_get(&cp, "sup") == (t + 2000) / 1000);
        it_failures(failures, "sup-2", &fl);
        CHECK(fl.n == 0);

        /* 401: stopped, nothing committed while refused, recovers by itself */
        before = it_committed(group, topic, NULL);
        json_decref(it_http(&sb, "/_sandbox/faults", "{\"script\":[401,401]}"));
        people_run("auth-1", "auth", t + 3000, RETL_SUPPRESSED_SUCCEED, 20, NULL);
        for (int64_t end = it_now_ms() + 20000;
             !it_log_count("upload.log", "refused the credentials") && it_now_ms() < end;)
                it_sleep_ms(100);
        CHECK(it_log_count("upload.log", "refused the credentials") == 1);
        CHECK(it_committed(group, topic, NULL) == before);
        it_wait_committed(group, topic, it_end_offset(topic), 60000, &cp);
        CHECK(retl_checkpoint_get(&cp, "auth") == (t + 3000) / 1000);
        CHECK(it_log_count("upload.log", "accepts the credentials again") == 1);
        CHECK(it_count(&sb, "people") == 50 + 4 + 4 + 20);
        j = it_http(&sb, "/_sandbox/faults", NULL);
        CHECK(json_array_size(json_object_get(j, "script")) == 0);
        json_decref(j);
        retl_checkpoint_free(&cp);

        CHECKF(it_stop(up, SIGTERM, 30000) == 0, "upload did not exit 0 on SIGTERM");
        it_stop(sb.pid, SIGTERM, 10000);
        printf("0402 ok\n");
        return 0;
}
