/* Integration test 0407: replays and runs that did not end well.
 *   - `retl replay --run` of an imported run: the rows are sent again, the
 *     copy's report has replay_of and is completed, last_sync_time stays;
 *   - a replay never moves last_sync_time, not even forward: a run with a
 *     failed row (suppressed under FAIL) is replayed once the person is
 *     unsuppressed; the copy completes, last_sync_time stays;
 *   - RunFinished FAILED / CANCELLED: the rows before it are sent, the
 *     report is failed with the extraction's error, last_sync_time stays;
 *   - a RunStarted while the previous run has no RunFinished: that run is
 *     failed ("the run never finished in the log") and the new one imported. */
#include "tests/it/upload_it.h"

#define STR(n, v) {n, {.type = RETL_V_STRING, .u.s = {v, sizeof(v) - 1}}}
#define LNG(n, v) {n, {.type = RETL_V_LONG, .u.l = v}}

static char topic[128], group[128], imports[128], config[512];

static void start_and_rows(const char *run, int64_t t, int policy, int n)
{
        struct retl_sync_settings s = it_settings(RETL_IMPORT_PEOPLE, RETL_IDENT_ID);

        s.suppressed = policy;
        it_run_started(topic, run, "people", t, &s);
        for (int i = 1; i <= n; i++) {
                char id[64];
                struct retl_column c[] = {STR("id", ""), LNG("n", i)};
                snprintf(id, sizeof(id), "%s-%d", run, i);
                c[0].value.u.s.ptr = id;
                c[0].value.u.s.len = strlen(id);
                it_row(topic, run, "people", RETL_PART_MAIN, i, c, 2);
        }
}

static void finished(const char *run, int status, int64_t rows, const char *error)
{
        struct retl_record rec;

        memset(&rec, 0, sizeof(rec));
        rec.type = RETL_REC_RUN_FINISHED;
        rec.u.run_finished.run_id = run;
        rec.u.run_finished.sync = "people";
        rec.u.run_finished.status = status;
        rec.u.run_finished.rows = rows;
        rec.u.run_finished.finished_at_ms = it_wall_ms();
        rec.u.run_finished.error = error;
        it_produce(topic, "people", &rec);
        it_flush();
}

/* The final report of a run, found by its id or (copies) by replay_of. */
struct final {
        const char *run_id, *replay_of;
        int n;
        enum retl_import_status status;
        int64_t rows, imported, failed, lst;
        char run[128], of[128], error[512];
};

static void final_cb(const struct retl_record *rec, void *arg)
{
        const struct retl_import_report *r = &rec->u.import_report;
        struct final *f = arg;

        if (rec->type != RETL_REC_IMPORT_REPORT || r->status == RETL_IMPORT_RUNNING)
                return;
        if (f->run_id && strcmp(r->run_id, f->run_id))
                return;
        if (f->replay_of && (!r->replay_of || strcmp(r->replay_of, f->replay_of)))
                return;
        f->n++;
        f->status = r->status;
        f->rows = r->rows;
        f->imported = r->imported;
        f->failed = r->failed;
        f->lst = r->last_sync_time;
        snprintf(f->run, sizeof(f->run), "%s", r->run_id);
        snprintf(f->of, sizeof(f->of), "%s", r->replay_of ? r->replay_of : "");
        snprintf(f->error, sizeof(f->error), "%s", r->error ? r->error : "");
}

static void final_of(const char *run_id, const char *replay_of, struct final *f)
{
        memset(f, 0, sizeof(*f));
        f->run_id = run_id;
        f->replay_of = replay_of;
        it_read_topic(imports, final_cb, f);
}

static int64_t updates(const struct it_sandbox *sb, const char *id)
{
        json_t *p = it_person(sb, "id", id);
        int64_t n = p ? json_integer_value(json_object_get(p, "updates")) : -1;

        json_decref(p);
        return n;
}

static void replay(const char *run)
{
        char cmd[1024];

        snprintf(cmd, sizeof(cmd), "%s replay -c %s acme --run %s >> %s/replay.log 2>&1",
                 it_retl, config, run, it_tmp);
        CHECKF(system(cmd) == 0, "%s failed", cmd);
}

int main(void)
{
        struct it_sandbox sb;
        char prefix[64], body[128];
        struct it_ws ws[1];
        int64_t t = (it_wall_ms() / 1000 - 7200) * 1000, u1;
        struct retl_checkpoint cp;
        struct final f;
        pid_t up;

        it_init("0407");
        snprintf(prefix, sizeof(prefix), "it0407-%ld", (long)time(NULL));
        snprintf(topic, sizeof(topic), "%s.acme", prefix);
        snprintf(group, sizeof(group), "%s.g", prefix);
        snprintf(imports, sizeof(imports), "%s-imports", prefix);
        snprintf(config, sizeof(config), "%s/retl.conf", it_tmp);
        it_sandbox_start(&sb, "acme", NULL);
        ws[0].name = "acme";
        ws[0].sb = &sb;
        it_write_config(config, prefix, ws, 1);
        it_ensure_topic(topic);
        retl_checkpoint_init(&cp);
        up = it_upload_start(config, "upload.log", NULL);

        /* an ordinary run */
        start_and_rows("r-1", t, RETL_SUPPRESSED_SUCCEED, 5);
        finished("r-1", RETL_EXTRACT_OK, 5, NULL);
        it_wait_committed(group, topic, it_end_offset(topic), 60000, &cp);
        CHECK(retl_checkpoint_get(&cp, "people") == t / 1000);
        u1 = updates(&sb, "r-1-1");
        CHECK(u1 >= 1);

        /* replayed: sent again, the copy completes, last_sync_time stays */
        replay("r-1");
        it_wait_committed(group, topic, it_end_offset(topic), 60000, &cp);
        CHECK(retl_checkpoint_get(&cp, "people") == t / 1000);
        for (int i = 1; i <= 5; i++) {
                char id[32];
                snprintf(id, sizeof(id), "r-1-%d", i);
                CHECKF(updates(&sb, id) == u1 + 1, "%s updated %" PRId64 " times", id,
                       updates(&sb, id));
        }
        final_of(NULL, "r-1", &f);
        CHECKF(f.n == 1 && f.status == RETL_IMPORT_COMPLETED && f.imported == 5 &&
               strcmp(f.run, "r-1") && !strcmp(f.of, "r-1") && f.lst == t / 1000,
               "n=%d status=%d imported=%" PRId64 " run=%s lst=%" PRId64, f.n, f.status,
               f.imported, f.run, f.lst);

        /* not even forward: a later run with a failed row, replayed once the
         * person may be imported, completes but last_sync_time stays */
        json_decref(it_http(&sb, "/_sandbox/suppress", "{\"id\":\"r-2-3\"}"));
        start_and_rows("r-2", t + 60000, RETL_SUPPRESSED_FAIL, 4);
        finished("r-2", RETL_EXTRACT_OK, 4, NULL);
        it_wait_committed(group, topic, it_end_offset(topic), 60000, &cp);
        final_of("r-2", NULL, &f);
        CHECK(f.n == 1 && f.status == RETL_IMPORT_SOME_ROWS_FAILED && f.failed == 1);
        CHECK(retl_checkpoint_get(&cp, "people") == t / 1000);
        snprintf(body, sizeof(body), "{\"id\":\"r-2-3\"}");
        json_decref(it_http(&sb, "/_sandbox/unsuppress", body));
        replay("r-2");
        it_wait_committed(group, topic, it_end_offset(topic), 60000, &cp);
        final_of(NULL, "r-2", &f);
        CHECKF(f.n == 1 && f.status == RETL_IMPORT_COMPLETED && f.imported == 4 && f.failed == 0,
               "n=%d status=%d imported=%" PRId64, f.n, f.status, f.imported);
        CHECK(retl_checkpoint_get(&cp, "people") == t / 1000);
        CHECK(updates(&sb, "r-2-3") == 1);

        /* extraction failed halfway / cancelled: rows sent, report failed */
        start_and_rows("r-3", t + 120000, RETL_SUPPRESSED_SUCCEED, 4);
        finished("r-3", RETL_EXTRACT_FAILED, 4, "Transaction was deadlocked (1205)");
        start_and_rows("r-4", t + 180000, RETL_SUPPRESSED_SUCCEED, 2);
        finished("r-4", RETL_EXTRACT_CANCELLED, 2, "stopped by SIGTERM");
        it_wait_committed(group, topic, it_end_offset(topic), 60000, &cp);
        CHECK(retl_checkpoint_get(&cp, "people") == t / 1000);
        CHECK(updates(&sb, "r-3-4") == 1 && updates(&sb, "r-4-2") == 1);
        final_of("r-3", NULL, &f);
        CHECKF(f.n == 1 && f.status == RETL_IMPORT_FAILED && f.imported == 4 &&
               strstr(f.error, "extraction failed") &&
               strstr(f.error, "Transaction was deadlocked (1205)"),
               "n=%d status=%d error=%s", f.n, f.status, f.error);
        final_of("r-4", NULL, &f);
        CHECKF(f.n == 1 && f.status == RETL_IMPORT_FAILED && strstr(f.error, "cancelled") &&
               strstr(f.error, "stopped by SIGTERM"), "n=%d status=%d error=%s", f.n, f.status,
               f.error);

        /* a RunStarted while the previous run never finished */
        start_and_rows("r-5", t + 240000, RETL_SUPPRESSED_SUCCEED, 3);
        it_flush();
        start_and_rows("r-6", t + 300000, RETL_SUPPRESSED_SUCCEED, 2);
        finished("r-6", RETL_EXTRACT_OK, 2, NULL);
        it_wait_committed(group, topic, it_end_offset(topic), 60000, &cp);
        CHECK(retl_checkpoint_get(&cp, "people") == (t + 300000) / 1000);
        CHECK(updates(&sb, "r-5-3") == 1 && updates(&sb, "r-6-2") == 1);
        final_of("r-5", NULL, &f);
        CHECKF(f.n == 1 && f.status == RETL_IMPORT_FAILED && f.imported == 3 &&
               strstr(f.error, "the run never finished in the log"), "n=%d status=%d error=%s",
               f.n, f.status, f.error);
        final_of("r-6", NULL, &f);
        CHECK(f.n == 1 && f.status == RETL_IMPORT_COMPLETED && f.lst == (t + 300000) / 1000);

        /* the same across a restart: the worker stops inside an unfinished
         * run (checkpointed mid-run), a new run follows in the log */
        CHECKF(it_stop(up, SIGTERM, 30000) == 0, "upload did not exit 0 on SIGTERM");
        start_and_rows("r-7", t + 360000, RETL_SUPPRESSED_SUCCEED, 3);
        it_flush();
        up = it_upload_start(config, "upload2.log", NULL);
        for (int64_t end = it_now_ms() + 30000; updates(&sb, "r-7-3") < 1 && it_now_ms() < end;)
                it_sleep_ms(200);
        CHECK(updates(&sb, "r-7-3") == 1);
        CHECKF(it_stop(up, SIGTERM, 30000) == 0, "upload did not exit 0 on SIGTERM");
        start_and_rows("r-8", t + 420000, RETL_SUPPRESSED_SUCCEED, 2);
        finished("r-8", RETL_EXTRACT_OK, 2, NULL);
        up = it_upload_start(config, "upload3.log", NULL);
        it_wait_committed(group, topic, it_end_offset(topic), 60000, &cp);
        CHECK(retl_checkpoint_get(&cp, "people") == (t + 420000) / 1000);
        CHECK(updates(&sb, "r-7-3") == 1);      /* not sent again after the checkpoint */
        final_of("r-7", NULL, &f);
        CHECKF(f.n == 1 && f.status == RETL_IMPORT_FAILED && f.rows == 3 &&
               strstr(f.error, "the run never finished in the log"), "n=%d status=%d error=%s",
               f.n, f.status, f.error);

        CHECKF(it_stop(up, SIGTERM, 30000) == 0, "upload did not exit 0 on SIGTERM");
        retl_checkpoint_free(&cp);
        it_stop(sb.pid, SIGTERM, 10000);
        printf("0407 ok\n");
        return 0;
}
