/* Integration test 0403: `kill -9` of a worker in the middle of a big run,
 * then a restart: the new worker resumes from the mid-run checkpoint (it
 * does not resend what was committed), every row lands, and last_sync_time
 * advances once. */
#include "tests/it/upload_it.h"

#define NROWS 20000

int main(void)
{
        struct it_sandbox sb;
        const char *sbx_extra[] = {"--latency-ms", "150", NULL};
        const char *up_extra[] = {"--batch-bytes", "40000", "--checkpoint-rows", "1000", NULL};
        char prefix[64], topic[128], imports[128], group[128], config[512];
        struct it_ws ws[1];
        struct retl_sync_settings s = it_settings(RETL_IMPORT_PEOPLE, RETL_IDENT_ID);
        int64_t t = it_wall_ms() - 3600 * 1000, cp_rows, accepted, end;
        struct retl_checkpoint cp;
        struct it_reports rep;
        json_t *j;
        pid_t up;

        it_init("0403");
        snprintf(prefix, sizeof(prefix), "it0403-%ld", (long)time(NULL));
        snprintf(topic, sizeof(topic), "%s.acme", prefix);
        snprintf(imports, sizeof(imports), "%s-imports", prefix);
        snprintf(group, sizeof(group), "%s.g", prefix);
        snprintf(config, sizeof(config), "%s/retl.conf", it_tmp);
        it_sandbox_start(&sb, "acme", sbx_extra);
        ws[0].name = "acme";
        ws[0].sb = &sb;
        it_write_config(config, prefix, ws, 1);
        it_ensure_topic(topic);

        it_run_started(topic, "big-1", "big", t, &s);
        for (int i = 1; i <= NROWS; i++) {
                char id[32], name[64];
                struct retl_column c[2];
                snprintf(id, sizeof(id), "u%d", i);
                snprintf(name, sizeof(name), "person number %d", i);
                c[0].name = "id";
                c[0].value.type = RETL_V_STRING;
                c[0].value.u.s.ptr = id;
                c[0].value.u.s.len = strlen(id);
                c[1].name = "name";
                c[1].value.type = RETL_V_STRING;
                c[1].value.u.s.ptr = name;
                c[1].value.u.s.len = strlen(name);
                it_row(topic, "big-1", "big", RETL_PART_MAIN, i, c, 2);
        }
        it_run_finished(topic, "big-1", "big", RETL_EXTRACT_OK, NROWS, 0);
        it_flush();

        /* wait for a mid-run checkpoint, then kill -9 */
        retl_checkpoint_init(&cp);
        up = it_upload_start(config, "upload-1.log", up_extra);
        for (end = it_now_ms() + 60000; it_now_ms() < end; it_sleep_ms(100))
                if (it_committed(group, topic, &cp) > 0 && cp.run_offset == 0 &&
                    cp.run_rows >= 3000)
                        break;
        CHECKF(cp.run_offset == 0 && cp.run_rows >= 3000 && cp.run_rows < NROWS,
               "no mid-run checkpoint (run_offset %" PRId64 ", rows %" PRId64 ")",
               cp.run_offset, cp.run_rows);
        CHECK(it_stop(up, SIGKILL, 5000) == -1);
        it_committed(group, topic, &cp);
        cp_rows = cp.run_rows;
        CHECK(cp.run_offset == 0 && cp_rows < NROWS);
        CHECK(retl_checkpoint_get(&cp, "big") == 0);
        fprintf(stderr, "killed with %" PRId64 " rows checkpointed\n", cp_rows);

        /* a new worker resumes the run */
        up = it_upload_start(config, "upload-2.log", up_extra);
        it_wait_committed(group, topic, it_end_offset(topic), 120000, &cp);
        CHECK(cp.run_offset == -1);
        CHECK(retl_checkpoint_get(&cp, "big") == t / 1000);
        CHECK(it_log_count("upload-2.log", "resuming a run in progress") == 1);
        CHECK(it_count(&sb, "people") == NROWS);
        it_reports(imports, "big-1", &rep);
        /* rows whose state the killed worker wrote count as unchanged */
        CHECKF(rep.nfinal == 1 && rep.last.status == RETL_IMPORT_COMPLETED &&
               rep.last.rows == NROWS && rep.last.imported + rep.last.unchanged == NROWS &&
               rep.last.last_sync_time == t / 1000,
               "%d final reports, status %d, rows %" PRId64, rep.nfinal, rep.last.status,
               rep.last.rows);
        /* what was checkpointed was not sent again */
        j = it_http(&sb, "/_sandbox/counters", NULL);
        accepted = json_integer_value(json_object_get(json_object_get(j, "entities"), "accepted")) +
                   json_integer_value(json_object_get(json_object_get(j, "entities"), "noop"));
        json_decref(j);
        fprintf(stderr, "entities accepted %" PRId64 " for %d rows\n", accepted, NROWS);
        CHECK(accepted >= NROWS && accepted - NROWS < NROWS - cp_rows);
        retl_checkpoint_free(&cp);

        CHECKF(it_stop(up, SIGTERM, 30000) == 0, "upload did not exit 0 on SIGTERM");
        it_stop(sb.pid, SIGTERM, 10000);
        printf("0403 ok\n");
        return 0;
}
