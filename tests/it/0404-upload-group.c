/* Integration test 0404: two workers share three workspaces (each logs its
 * assignment); one is killed with -9 in the middle of the runs and the
 * other takes its workspaces over without losing a row. */
#include "tests/it/upload_it.h"

#define NWS 3
#define NROWS 6000

static const char *names[NWS] = {"alpha", "beta", "gamma"};

int main(void)
{
        struct it_sandbox sb[NWS];
        const char *sbx_extra[] = {"--latency-ms", "100", NULL};
        const char *up_extra[] = {"--batch-bytes", "40000", "--checkpoint-rows", "500", NULL};
        char prefix[64], topic[NWS][128], group[128], config[512];
        struct it_ws ws[NWS];
        struct retl_sync_settings s = it_settings(RETL_IMPORT_PEOPLE, RETL_IDENT_ID);
        int64_t t = it_wall_ms() - 3600 * 1000, end;
        struct retl_checkpoint cp;
        pid_t a, b;
        int any_progress;

        it_init("0404");
        snprintf(prefix, sizeof(prefix), "it0404-%ld", (long)time(NULL));
        snprintf(group, sizeof(group), "%s.g", prefix);
        snprintf(config, sizeof(config), "%s/retl.conf", it_tmp);
        for (int w = 0; w < NWS; w++) {
                it_sandbox_start(&sb[w], names[w], sbx_extra);
                ws[w].name = names[w];
                ws[w].sb = &sb[w];
                snprintf(topic[w], sizeof(topic[w]), "%s.%s", prefix, names[w]);
                it_ensure_topic(topic[w]);
        }
        it_write_config(config, prefix, ws, NWS);

        /* both workers in the group before any data: each gets a share */
        a = it_upload_start(config, "upload-a.log", up_extra);
        b = it_upload_start(config, "upload-b.log", up_extra);
        for (end = it_now_ms() + 60000; it_now_ms() < end; it_sleep_ms(200)) {
                int na = it_log_count("upload-a.log", ": assigned"),
                    nb = it_log_count("upload-b.log", ": assigned"),
                    ra = it_log_count("upload-a.log", ": revoked"),
                    rb = it_log_count("upload-b.log", ": revoked");
                if (na - ra >= 1 && nb - rb >= 1 && na - ra + nb - rb == NWS)
                        break;
        }
        CHECKF(it_now_ms() < end, "the workspaces were not spread over both workers");

        for (int w = 0; w < NWS; w++) {
                it_run_started(topic[w], names[w], "people", t, &s);
                for (int i = 1; i <= NROWS; i++) {
                        char id[32];
                        struct retl_column c[1];
                        snprintf(id, sizeof(id), "%s-%d", names[w], i);
                        c[0].name = "id";
                        c[0].value.type = RETL_V_STRING;
                        c[0].value.u.s.ptr = id;
                        c[0].value.u.s.len = strlen(id);
                        it_row(topic[w], names[w], "people", RETL_PART_MAIN, i, c, 1);
                }
                it_run_finished(topic[w], names[w], "people", RETL_EXTRACT_OK, NROWS, 0);
        }
        it_flush();

        /* kill worker a once some workspace is part-way */
        retl_checkpoint_init(&cp);
        for (end = it_now_ms() + 60000, any_progress = 0; !any_progress && it_now_ms() < end;
             it_sleep_ms(100))
                for (int w = 0; w < NWS; w++)
                        if (it_committed(group, topic[w], &cp) > 0 && cp.run_offset == 0)
                                any_progress = 1;
        CHECK(any_progress);
        CHECK(it_stop(a, SIGKILL, 5000) == -1);

        /* b takes everything over and finishes every run */
        for (int w = 0; w < NWS; w++) {
                it_wait_committed(group, topic[w], it_end_offset(topic[w]), 120000, &cp);
                CHECK(cp.run_offset == -1 && retl_checkpoint_get(&cp, "people") == t / 1000);
                CHECKF(it_count(&sb[w], "people") == NROWS, "%s: %" PRId64 " people", names[w],
                       it_count(&sb[w], "people"));
        }
        CHECK(it_log_count("upload-b.log", ": assigned") > it_log_count("upload-b.log", ": revoked"));
        retl_checkpoint_free(&cp);
        CHECKF(it_stop(b, SIGTERM, 30000) == 0, "upload did not exit 0 on SIGTERM");
        for (int w = 0; w < NWS; w++)
                it_stop(sb[w].pid, SIGTERM, 10000);
        printf("0404 ok\n");
        return 0;
}
