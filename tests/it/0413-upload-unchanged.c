/* Integration test 0413: row state. A second run of an unchanged full-load
 * sync sends nothing to the workspace and completes (rows counted as
 * unchanged); so does a third, after the workspace moved to another worker;
 * `retl state` counts the entries; a replay resends every row; after
 * `retl state --reset` the next run sends every row again, and the one after
 * it nothing. NROWS rows (RETL_IT_ROWS overrides; 100,000 by default). */
#include "tests/it/rowstate_it.h"

struct replay_find {
        const char *of;
        struct retl_import_report last;
        int nfinal;
};

static void replay_cb(const struct retl_record *rec, void *arg)
{
        struct replay_find *f = arg;
        const struct retl_import_report *r = &rec->u.import_report;

        if (rec->type != RETL_REC_IMPORT_REPORT || !r->replay_of || strcmp(r->replay_of, f->of) ||
            r->status == RETL_IMPORT_RUNNING)
                return;
        f->nfinal++;
        f->last = *r;
        f->last.run_id = f->last.sync = f->last.workspace = f->last.replay_of = NULL;
        f->last.error = NULL;
}

static int log_has(const char *log, const char *needle)
{
        return it_log_count(log, needle) > 0;
}

int main(void)
{
        struct rs_it x;
        const char *extra[] = {"--checkpoint-rows", "50000", NULL};
        int nrows = getenv("RETL_IT_ROWS") ? atoi(getenv("RETL_IT_ROWS")) : 100000;
        struct retl_import_report r;
        struct replay_find rf = {"full-2", {0}, 0};
        int64_t req, t0;
        char want[64];
        pid_t up, up2;

        rs_setup(&x, "0413");
        up = it_upload_start(x.config, "upload-1.log", extra);

        /* the first run sends every row */
        t0 = it_now_ms();
        rs_run(&x, "full-1", nrows, NULL, NULL);
        rs_wait_done(&x, 600000);
        fprintf(stderr, "first run of %d rows: %.1f s\n", nrows,
                (double)(it_now_ms() - t0) / 1000);
        r = rs_report(&x, "full-1");
        CHECK(r.status == RETL_IMPORT_COMPLETED && r.rows == nrows && r.imported == nrows &&
              r.unchanged == 0);
        req = rs_requests(&x);
        CHECK(req > 0);

        /* the same rows again: nothing is sent, the run completes */
        t0 = it_now_ms();
        rs_run(&x, "full-2", nrows, NULL, NULL);
        rs_wait_done(&x, 600000);
        fprintf(stderr, "unchanged run of %d rows: %.1f s\n", nrows,
                (double)(it_now_ms() - t0) / 1000);
        r = rs_report(&x, "full-2");
        CHECK(r.status == RETL_IMPORT_COMPLETED && r.rows == nrows && r.imported == 0 &&
              r.unchanged == nrows && r.failed == 0);
        CHECKF(rs_requests(&x) == req, "%" PRId64 " requests for an unchanged run",
               rs_requests(&x) - req);

        /* (f) a second worker joins and the first leaves: the workspace moves to
         * the running one, which reads the state before it sends anything */
        up2 = it_upload_start(x.config, "upload-2.log", extra);
        CHECK(it_stop(up, SIGTERM, 30000) == 0);
        up = up2;
        rs_run(&x, "full-3", nrows, NULL, NULL);
        rs_wait_done(&x, 600000);
        snprintf(want, sizeof(want), "row state: %d entries", nrows);
        CHECKF(log_has("upload-2.log", want), "upload-2.log lacks '%s'", want);
        r = rs_report(&x, "full-3");
        CHECK(r.status == RETL_IMPORT_COMPLETED && r.imported == 0 && r.unchanged == nrows);
        CHECK(rs_requests(&x) == req);

        /* retl state counts what was delivered */
        CHECK(rs_retl("state.log", (const char *[]){"state", "-c", x.config, "people", NULL}) ==
              0);
        snprintf(want, sizeof(want), "sync people (workspace acme): %d entries", nrows);
        CHECKF(log_has("state.log", want), "state.log lacks '%s'", want);

        /* a replay always resends */
        CHECK(rs_retl("replay.log", (const char *[]){"replay", "-c", x.config, "acme", "--run",
                                                     "full-2", NULL}) == 0);
        rs_wait_done(&x, 600000);
        it_read_topic(x.imports, replay_cb, &rf);
        CHECK(rf.nfinal == 1 && rf.last.status == RETL_IMPORT_COMPLETED &&
              rf.last.imported == nrows && rf.last.unchanged == 0);
        CHECK(rs_requests(&x) > req);

        /* a reset: the next run sends everything, the one after it nothing */
        CHECK(rs_retl("reset.log", (const char *[]){"state", "-c", x.config, "people",
                                                    "--reset", NULL}) == 0);
        CHECK(log_has("reset.log", "reset: sync people now has generation"));
        rs_run(&x, "full-4", nrows, NULL, NULL);
        rs_wait_done(&x, 600000);
        CHECK(log_has("upload-2.log", "sync people: row state reset"));
        r = rs_report(&x, "full-4");
        CHECK(r.status == RETL_IMPORT_COMPLETED && r.imported == nrows && r.unchanged == 0);
        req = rs_requests(&x);
        rs_run(&x, "full-5", nrows, NULL, NULL);
        rs_wait_done(&x, 600000);
        r = rs_report(&x, "full-5");
        CHECK(r.status == RETL_IMPORT_COMPLETED && r.imported == 0 && r.unchanged == nrows);
        CHECK(rs_requests(&x) == req);
        rs_check_people(&x, nrows, NULL);

        /* retl status: rows read, sent, unchanged, failed */
        CHECK(rs_retl("status.log", (const char *[]){"status", "-c", x.config, "people",
                                                     "--json", NULL}) == 0);
        snprintf(want, sizeof(want), "\"rows\":%d,\"imported\":0,\"failed\":0,"
                 "\"unchanged\":%d", nrows, nrows);
        CHECKF(log_has("status.log", want), "status.log lacks '%s'", want);
        CHECK(rs_retl("status-table.log", (const char *[]){"status", "-c", x.config, "people",
                                                           NULL}) == 0);
        CHECK(log_has("status-table.log", "SENT  UNCHANGED   FAILED"));

        CHECK(it_stop(up, SIGTERM, 30000) == 0);
        it_stop(x.sb.pid, SIGTERM, 10000);
        printf("0413 ok\n");
        return 0;
}
