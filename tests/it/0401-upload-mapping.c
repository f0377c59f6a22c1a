/* Integration test 0401: `retl upload` against a real broker and a `retl
 * sandbox`: people, objects and relationships land as the rows hold them
 * (compared field by field), empty values ignored or deleted, failed rows
 * reported with row number and reason, suppressed people ignored under
 * SUCCEED, the manual segment, import reports, and the commit carrying
 * each sync's last_sync_time. */
#include "tests/it/upload_it.h"

#include <math.h>

#define STR(n, v) {n, {.type = RETL_V_STRING, .u.s = {v, sizeof(v) - 1}}}
#define TXT(n, t, v) {n, {.type = t, .u.s = {v, sizeof(v) - 1}}}
#define LNG(n, v) {n, {.type = RETL_V_LONG, .u.l = v}}
#define DBL(n, v) {n, {.type = RETL_V_DOUBLE, .u.d = v}}
#define BOOL(n, v) {n, {.type = RETL_V_BOOL, .u.b = v}}
#define NUL(n) {n, {.type = RETL_V_NULL}}
#define ROW(topic, run, sync, part, n, cols) \
        it_row(topic, run, sync, part, n, cols, sizeof(cols) / sizeof(cols[0]))

static char big[40000];

static const char *sattr(json_t *p, const char *k)
{
        return json_string_value(json_object_get(json_object_get(p, "attributes"), k));
}

static json_t *attr(json_t *p, const char *k)
{
        return json_object_get(json_object_get(p, "attributes"), k);
}

int main(void)
{
        struct it_sandbox sb;
        const char *sbx_extra[] = {"--segments", "10", "--suppress", "id:sup1", NULL};
        char prefix[64], topic[128], imports[128], failures[128], group[128], config[512];
        struct it_ws ws[1];
        struct retl_sync_settings so, sp;
        int64_t t0 = it_wall_ms() - 3600 * 1000, t1 = t0 + 1000 * 1000, t2 = t1 + 1000 * 1000;
        struct retl_checkpoint cp;
        struct it_reports rep;
        struct it_failures fl;
        json_t *p, *o;
        pid_t up;

        it_init("0401");
        snprintf(prefix, sizeof(prefix), "it0401-%ld", (long)time(NULL));
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

        /* run 0: objects */
        so = it_settings(RETL_IMPORT_OBJECTS, RETL_IDENT_ID);
        {
                const struct retl_column r1[] = {STR("object_id", "acme"), STR("name", "Acme Inc"),
                                                 LNG("employees", 12)};
                const struct retl_column r2[] = {LNG("object_id", 77), STR("object_type_id", "1"),
                                                 TXT("founded", RETL_V_DATE, "1999-12-31")};
                it_run_started(topic, "companies-0", "companies", t0, &so);
                ROW(topic, "companies-0", "companies", RETL_PART_MAIN, 1, r1);
                ROW(topic, "companies-0", "companies", RETL_PART_MAIN, 2, r2);
                it_run_finished(topic, "companies-0", "companies", RETL_EXTRACT_OK, 2, 0);
        }
        /* run 1: people by id, empty values ignored, segment 10, failures */
        sp = it_settings(RETL_IMPORT_PEOPLE, RETL_IDENT_ID);
        sp.segment = 10;
        {
                const struct retl_column r1[] = {
                        LNG("id", 1), STR("name", "Ada \"the first\" Lovelace \xc3\xa9"),
                        LNG("age", 36), DBL("score", 0.25), BOOL("vip", 1),
                        TXT("balance", RETL_V_DECIMAL, "1234.50"),
                        TXT("born", RETL_V_DATE, "1815-12-10"),
                        TXT("seen", RETL_V_DATETIMEOFFSET, "2024-05-01T12:34:56.1234567+02:00"),
                        TXT("u", RETL_V_UUID, "6F9619FF-8B86-D011-B42D-00C04FC964FF"),
                        {"raw", {.type = RETL_V_BYTES, .u.s = {"\x00\xff", 2}}},
                        NUL("note"), STR("nick", "")};
                const struct retl_column r2[] = {STR("id", ""), STR("name", "nobody")};
                const struct retl_column r3[] = {LNG("id", 3), STR("email", "not-an-email")};
                const struct retl_column r4[] = {LNG("id", 4), DBL("x", NAN)};
                const struct retl_column r5[] = {STR("id", "sup1"), STR("name", "Suppressed")};
                struct retl_column r6[] = {LNG("id", 6), STR("blob", "")};
                const struct retl_column r7[] = {LNG("id", 7), STR("email", "seven@example.com")};
                const struct retl_column rel1[] = {LNG("id", 1), STR("object_id", "acme"),
                                                   STR("role", "owner")};
                const struct retl_column rel2[] = {LNG("id", 7), LNG("object_id", 77)};
                const struct retl_column rel3[] = {LNG("id", 7), STR("object_id", "")};

                memset(big, 'x', sizeof(big));
                r6[1].value.u.s.ptr = big;
                r6[1].value.u.s.len = sizeof(big);
                it_run_started(topic, "people-1", "people", t1, &sp);
                ROW(topic, "people-1", "people", RETL_PART_MAIN, 1, r1);
                ROW(topic, "people-1", "people", RETL_PART_MAIN, 2, r2);
                ROW(topic, "people-1", "people", RETL_PART_MAIN, 3, r3);
                ROW(topic, "people-1", "people", RETL_PART_MAIN, 4, r4);
                ROW(topic, "people-1", "people", RETL_PART_MAIN, 5, r5);
                ROW(topic, "people-1", "people", RETL_PART_MAIN, 6, r6);
                ROW(topic, "people-1", "people", RETL_PART_MAIN, 7, r7);
                ROW(topic, "people-1", "people", RETL_PART_RELATIONSHIPS, 1, rel1);
                ROW(topic, "people-1", "people", RETL_PART_RELATIONSHIPS, 2, rel2);
                ROW(topic, "people-1", "people", RETL_PART_RELATIONSHIPS, 3, rel3);
                it_run_finished(topic, "people-1", "people", RETL_EXTRACT_OK, 7, 3);
        }
        /* run 2: empty values deleted, a relationship removed: completes */
        sp.segment = 0;
        sp.empty_values = RETL_EMPTY_DELETE;
        {
                const struct retl_column r1[] = {LNG("id", 1), STR("name", ""), NUL("score"),
                                                 LNG("age", 37)};
                const struct retl_column rel1[] = {LNG("id", 1), STR("object_id", "acme"),
                                                   BOOL("deleted", 1)};
                it_run_started(topic, "people-2", "people", t2, &sp);
                ROW(topic, "people-2", "people", RETL_PART_MAIN, 1, r1);
                ROW(topic, "people-2", "people", RETL_PART_RELATIONSHIPS, 1, rel1);
                it_run_finished(topic, "people-2", "people", RETL_EXTRACT_OK, 1, 1);
        }
        it_flush();

        up = it_upload_start(config, "upload.log", NULL);
        it_wait_committed(group, topic, it_end_offset(topic), 60000, NULL);
        /* the first run is checked through its reports and failures... */
        it_reports(imports, "companies-0", &rep);
        CHECKF(rep.nfinal == 1 && rep.last.status == RETL_IMPORT_COMPLETED && rep.last.rows == 2 &&
               rep.last.imported == 2 && rep.last.last_sync_time == t0 / 1000,
               "companies-0: %d final, status %d", rep.nfinal, rep.last.status);
        it_reports(imports, "people-1", &rep);
        CHECKF(rep.nfinal == 1 && rep.last.status == RETL_IMPORT_SOME_ROWS_FAILED,
               "people-1: %d final, status %d", rep.nfinal, rep.last.status);
        CHECKF(rep.last.rows == 10 && rep.last.failed == 5 && rep.last.imported == 4,
               "people-1: rows %" PRId64 " imported %" PRId64 " failed %" PRId64, rep.last.rows,
               rep.last.imported, rep.last.failed);
        CHECK(rep.last.last_sync_time == t0 / 1000 || rep.last.last_sync_time == 0);
        it_failures(failures, "people-1", &fl);
        CHECKF(fl.n == 5, "%d failures", fl.n);
        CHECK(it_has_failure(&fl, 0, 2, "id is empty"));
        CHECK(it_has_failure(&fl, 0, 3, "invalid email"));
        CHECK(it_has_failure(&fl, 0, 4, "JSON cannot carry"));
        CHECK(it_has_failure(&fl, 0, 6, "over 32768 bytes"));
        CHECK(it_has_failure(&fl, 1, 3, "object_id is empty"));
        it_reports(imports, "people-2", &rep);
        CHECKF(rep.nfinal == 1 && rep.last.status == RETL_IMPORT_COMPLETED &&
               rep.last.last_sync_time == t2 / 1000, "people-2: status %d lst %" PRId64,
               rep.last.status, rep.last.last_sync_time);

        /* ... and the workspace holds what the rows said */
        o = it_http(&sb, "/_sandbox/objects", NULL);
        CHECK(json_integer_value(json_object_get(o, "count")) == 2);
        json_decref(o);
        p = it_person(&sb, "id", "1");
        CHECK(p);
        CHECK(!attr(p, "name"));                        /* deleted by run 2 */
        CHECK(!attr(p, "score"));
        CHECK(json_integer_value(attr(p, "age")) == 37);
        CHECK(json_is_true(attr(p, "vip")));
        CHECK(fabs(json_number_value(attr(p, "balance")) - 1234.5) < 1e-9);
        CHECK(!strcmp(sattr(p, "born"), "1815-12-10"));
        CHECK(!strcmp(sattr(p, "seen"), "2024-05-01T12:34:56.1234567+02:00"));
        CHECK(!strcmp(sattr(p, "u"), "6F9619FF-8B86-D011-B42D-00C04FC964FF"));
        CHECK(!strcmp(sattr(p, "raw"), "AP8="));
        CHECK(!attr(p, "note") && !attr(p, "nick"));    /* ignored in run 1 */
        CHECK(json_array_size(json_object_get(p, "segments")) == 1);
        json_decref(p);
        p = it_person(&sb, "id", "7");
        CHECK(p && !strcmp(json_string_value(json_object_get(p, "email")), "seven@example.com"));
        json_decref(p);
        CHECK(!it_person(&sb, "id", "3") && !it_person(&sb, "id", "4") && !it_person(&sb, "id", "6"));
        /* rel 1 added in run 1 then removed in run 2; rel 2 stays */
        CHECKF(it_count(&sb, "relationships") == 1, "%" PRId64 " relationships",
               it_count(&sb, "relationships"));
        o = it_http(&sb, "/_sandbox/segments", NULL);
        CHECK(json_integer_value(json_object_get(json_array_get(json_object_get(o, "segments"), 0),
                                                 "count")) == 2);
        json_decref(o);

        /* the commit: offset at the end, each sync's last_sync_time */
        retl_checkpoint_init(&cp);
        CHECK(it_committed(group, topic, &cp) == it_end_offset(topic));
        CHECK(cp.run_offset == -1);
        CHECK(retl_checkpoint_get(&cp, "companies") == t0 / 1000);
        CHECK(retl_checkpoint_get(&cp, "people") == t2 / 1000);
        retl_checkpoint_free(&cp);
        CHECK(it_log_count("upload.log", "assigned") >= 1);

        CHECKF(it_stop(up, SIGTERM, 30000) == 0, "upload did not exit 0 on SIGTERM");
        it_stop(sb.pid, SIGTERM, 10000);
        printf("0401 ok\n");
        return 0;
}
