/* Integration test 0411: failed rows are never in the row state. A run
 * with 3 invalid emails fails those rows; once the source fixes them, the
 * next run sends exactly those 3 and completes. And a row never overtakes
 * an earlier row of the same person: in a run where u1 changes and then
 * changes back to what the state holds, the second row is sent too, so
 * the workspace ends with the source's last value. A run of a sync with
 * diff = false sends every row. */
#include "tests/it/rowstate_it.h"

#define NROWS 50

static int bad(int i)
{
        return i == 10 || i == 20 || i == 30;
}

static void email_broken(int i, char *buf, size_t size)
{
        snprintf(buf, size, bad(i) ? "not-an-email-%d" : "p%d@example.com", i);
}

static void email_fixed(int i, char *buf, size_t size)
{
        snprintf(buf, size, "p%d@example.com", i);
}

int main(void)
{
        struct rs_it x;
        struct retl_import_report r;
        struct it_failures f;
        int64_t ent, req;
        pid_t up;
        json_t *p;

        rs_setup(&x, "0411");
        up = it_upload_start(x.config, "upload-1.log", NULL);

        rs_run(&x, "r1", NROWS, NULL, email_broken);
        rs_wait_done(&x, 120000);
        r = rs_report(&x, "r1");
        CHECK(r.status == RETL_IMPORT_SOME_ROWS_FAILED && r.imported == NROWS - 3 &&
              r.failed == 3 && r.unchanged == 0);
        it_failures(x.failures, "r1", &f);
        CHECK(f.n == 3 && it_has_failure(&f, 0, 10, "invalid email") &&
              it_has_failure(&f, 0, 20, "invalid email") &&
              it_has_failure(&f, 0, 30, "invalid email"));

        /* fixed at the source: exactly those 3 rows go */
        ent = rs_entities(&x);
        rs_run(&x, "r2", NROWS, NULL, email_fixed);
        rs_wait_done(&x, 120000);
        r = rs_report(&x, "r2");
        CHECK(r.status == RETL_IMPORT_COMPLETED && r.imported == 3 && r.failed == 0 &&
              r.unchanged == NROWS - 3);
        CHECKF(rs_entities(&x) - ent == 3, "%" PRId64 " entities sent, want 3",
               rs_entities(&x) - ent);
        rs_check_people(&x, NROWS, NULL);
        for (int i = 10; i <= 30; i += 10) {
                char id[16];
                snprintf(id, sizeof(id), "u%d", i);
                p = it_person(&x.sb, "id", id);
                CHECK(p && json_string_value(json_object_get(p, "email")) &&
                      !strncmp(json_string_value(json_object_get(p, "email")), "p", 1));
                json_decref(p);
        }

        /* u1 changes, then changes back within one run: both rows go, in order */
        req = rs_requests(&x);
        x.t += 1000;
        it_run_started(x.topic, "r3", "people", x.t, &x.s);
        {
                const char *names[2] = {"changed", "n1"};
                for (int k = 0; k < 2; k++) {
                        struct retl_column c[3] = {
                                {"id", {.type = RETL_V_STRING, .u.s = {"u1", 2}}},
                                {"name", {.type = RETL_V_STRING,
                                          .u.s = {names[k], strlen(names[k])}}},
                                {"email", {.type = RETL_V_STRING,
                                           .u.s = {"p1@example.com", 14}}},
                        };
                        it_row(x.topic, "r3", "people", RETL_PART_MAIN, k + 1, c, 3);
                }
        }
        it_run_finished(x.topic, "r3", "people", RETL_EXTRACT_OK, 2, 0);
        it_flush();
        rs_wait_done(&x, 120000);
        r = rs_report(&x, "r3");
        CHECK(r.status == RETL_IMPORT_COMPLETED && r.imported == 2 && r.unchanged == 0);
        CHECK(rs_requests(&x) > req);
        p = it_person(&x.sb, "id", "u1");
        CHECK(p);
        CHECKF(!strcmp(json_string_value(json_object_get(json_object_get(p, "attributes"),
                                                         "name")), "n1"),
               "u1 is named '%s'",
               json_string_value(json_object_get(json_object_get(p, "attributes"), "name")));
        json_decref(p);

        /* diff = false (the run's settings say send_unchanged): every row goes */
        ent = rs_entities(&x);
        x.s.send_unchanged = 1;
        rs_run(&x, "r4", NROWS, NULL, email_fixed);
        rs_wait_done(&x, 120000);
        r = rs_report(&x, "r4");
        CHECK(r.status == RETL_IMPORT_COMPLETED && r.imported == NROWS && r.unchanged == 0);
        CHECK(rs_entities(&x) - ent == NROWS);

        CHECK(it_stop(up, SIGTERM, 30000) == 0);
        it_stop(x.sb.pid, SIGTERM, 10000);
        printf("0411 ok\n");
        return 0;
}
