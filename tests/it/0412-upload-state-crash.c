/* Integration test 0412: a worker killed between the workspace accepting
 * rows, their state being written and the commit loses nothing.
 * RETL_TEST_CRASH_AT makes the uploader _exit(86) at that point:
 * - after-state-write (state flushed, offset not committed): the next
 *   worker reads the run again, finds every row in the state and sends
 *   nothing — the state is ahead of the commit, never behind;
 * - before-state-write (rows accepted, no state written): the next worker
 *   sends the rows again.
 * Either way the run completes once and the workspace equals the source. */
#include "tests/it/rowstate_it.h"

#define NROWS 2000

static void name_v2(int i, char *buf, size_t size)
{
        snprintf(buf, size, "v2-%d", i);
}

/* One uploader with RETL_TEST_CRASH_AT=@p at, which must die by it. */
static void crash_at(struct rs_it *x, const char *at, const char *log)
{
        pid_t up;

        setenv("RETL_TEST_CRASH_AT", at, 1);
        up = it_upload_start(x->config, log, NULL);
        unsetenv("RETL_TEST_CRASH_AT");
        CHECKF(rs_wait_exit(up, 120000) == 86, "the uploader did not stop at %s", at);
        CHECK(it_log_count(log, "RETL_TEST_CRASH_AT=") == 1);
}

int main(void)
{
        struct rs_it x;
        struct retl_import_report r;
        int64_t req, committed_before;
        pid_t up;

        rs_setup(&x, "0412");

        /* killed after the state write, before the commit */
        rs_run(&x, "c1", NROWS, NULL, NULL);
        crash_at(&x, "after-state-write", "upload-1.log");
        CHECK(it_committed(x.group, x.topic, NULL) < it_end_offset(x.topic));
        rs_check_people(&x, NROWS, NULL);       /* accepted before the crash */
        req = rs_requests(&x);
        up = it_upload_start(x.config, "upload-2.log", NULL);
        rs_wait_done(&x, 120000);
        /* reported before the crash; the next worker finds that report on
         * the imports topic and sends no second one, nor any row */
        r = rs_report_n(&x, "c1", 1);
        CHECK(r.status == RETL_IMPORT_COMPLETED && r.rows == NROWS && r.failed == 0 &&
              r.imported == NROWS);
        CHECKF(rs_requests(&x) == req, "after the crash: %" PRId64 " requests",
               rs_requests(&x) - req);
        rs_check_people(&x, NROWS, NULL);
        CHECK(it_stop(up, SIGTERM, 30000) == 0);

        /* killed after the workspace accepted rows, before their state */
        committed_before = it_committed(x.group, x.topic, NULL);
        rs_run(&x, "c2", NROWS, name_v2, NULL);
        crash_at(&x, "before-state-write", "upload-3.log");
        CHECK(it_committed(x.group, x.topic, NULL) == committed_before);
        up = it_upload_start(x.config, "upload-4.log", NULL);
        rs_wait_done(&x, 120000);
        r = rs_report(&x, "c2");
        CHECK(r.status == RETL_IMPORT_COMPLETED && r.rows == NROWS && r.failed == 0 &&
              r.imported == NROWS && r.unchanged == 0);
        rs_check_people(&x, NROWS, name_v2);

        /* and the state holds what landed: the same rows again send nothing */
        req = rs_requests(&x);
        rs_run(&x, "c3", NROWS, name_v2, NULL);
        rs_wait_done(&x, 120000);
        r = rs_report(&x, "c3");
        CHECK(r.status == RETL_IMPORT_COMPLETED && r.unchanged == NROWS);
        CHECK(rs_requests(&x) == req);

        CHECK(it_stop(up, SIGTERM, 30000) == 0);
        it_stop(x.sb.pid, SIGTERM, 10000);
        printf("0412 ok\n");
        return 0;
}
