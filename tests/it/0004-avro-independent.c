/* Integration test 0004: any Avro library decodes retl's messages with the
 * schemas/ files alone. Every record type is encoded by our codec and
 * decoded by Debian's python3-avro (tests/tools/avro_decode.py), which finds
 * the schema by its own canonical form's CRC-64-AVRO fingerprint.
 * Env: RETL_ROOT, RETL_TEST_TMP. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "lib/codec.h"
#include "lib/mem.h"

static char err[1024];

static void write_msg(struct retl_codec *c, const struct retl_record *rec, const char *name,
                      struct retl_buf *files)
{
        struct retl_buf b;
        char path[600];
        FILE *f;
        retl_buf_init(&b, 0);
        assert_int_equal(retl_codec_encode(c, rec, &b, err, sizeof(err)), 0);
        snprintf(path, sizeof(path), "%s/%s.bin", getenv("RETL_TEST_TMP"), name);
        f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(b.b_data, 1, b.b_len, f), b.b_len);
        fclose(f);
        assert_int_equal(retl_buf_printf(files, " %s", path), 0);
        retl_buf_free(&b);
}

static void test_python_avro_decodes(void **state)
{
        struct retl_codec *c = retl_codec_new(err, sizeof(err));
        struct retl_record rec;
        struct retl_buf files, out;
        char cmd[8192], line[65536];
        const char *runs[] = {"people-1"};
        static const char blob[] = {1, 2, 3};
        struct retl_column cols[] = {
                {"n", {.type = RETL_V_NULL}},
                {"b", {.type = RETL_V_BOOL, .u.b = 1}},
                {"l", {.type = RETL_V_LONG, .u.l = -42}},
                {"d", {.type = RETL_V_DOUBLE, .u.d = 2.5}},
                {"s", {.type = RETL_V_STRING, .u.s = {"h\xc3\xa9", 3}}},
                {"y", {.type = RETL_V_BYTES, .u.s = {blob, 3}}},
                {"dec", {.type = RETL_V_DECIMAL, .u.s = {"123.4500", 8}}},
                {"dt", {.type = RETL_V_DATE, .u.s = {"2024-05-01", 10}}},
                {"tm", {.type = RETL_V_TIME, .u.s = {"12:34:56.1234567", 16}}},
                {"dtm", {.type = RETL_V_DATETIME, .u.s = {"2024-05-01T12:34:56.123", 23}}},
                {"dto", {.type = RETL_V_DATETIMEOFFSET, .u.s = {"2024-05-01T12:34:56+02:00", 25}}},
                {"g", {.type = RETL_V_UUID, .u.s = {"6F9619FF-8B86-D011-B42D-00C04FC964FF", 36}}},
        };
        FILE *p;
        int lines = 0;

        assert_non_null(c);
        retl_buf_init(&files, 0);
        retl_buf_init(&out, 0);
        rec.type = RETL_REC_RUN_STARTED;
        rec.u.run_started = (struct retl_run_started){
                .run_id = "people-1", .sync = "people", .workspace = "acme",
                .started_at_ms = 1714566600123, .last_sync_time = 17,
                .settings = {.import = 1, .identify_by = 1, .object_type_id = "2",
                             .segment = 9, .query = "SELECT 1", .interval_s = 60}};
        write_msg(c, &rec, "1-run-started", &files);
        rec.type = RETL_REC_ROW;
        rec.u.row = (struct retl_row){"people-1", "people", RETL_PART_MAIN, 1,
                                      sizeof(cols) / sizeof(cols[0]), cols};
        write_msg(c, &rec, "2-row", &files);
        rec.type = RETL_REC_RUN_FINISHED;
        rec.u.run_finished = (struct retl_run_finished){"people-1", "people", RETL_EXTRACT_OK, 1,
                                                        0, 1714566601000, NULL};
        write_msg(c, &rec, "3-run-finished", &files);
        rec.type = RETL_REC_IMPORT_REPORT;
        rec.u.import_report = (struct retl_import_report){"people-1", "people", "acme",
                RETL_IMPORT_COMPLETED, 1, 2, 1, 1, 0, 1714566600, NULL, NULL, 0, 0};
        write_msg(c, &rec, "4-import-report", &files);
        rec.type = RETL_REC_ROW_FAILURE;
        rec.u.row_failure = (struct retl_row_failure){"people-1", "people", RETL_PART_MAIN, 3,
                                                      "x@y", "person is suppressed"};
        write_msg(c, &rec, "5-row-failure", &files);
        rec.type = RETL_REC_CONTROL;
        rec.u.control = (struct retl_control){RETL_CONTROL_REPLAY_BEGIN, "rp", "acme", 1, 2, 3, 1,
                                              runs, NULL, 0};
        write_msg(c, &rec, "6-control", &files);

        snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s/tests/tools/avro_decode.py %s/schemas%s",
                 getenv("RETL_ROOT"), getenv("RETL_ROOT"), retl_buf_str(&files));
        p = popen(cmd, "r");
        assert_non_null(p);
        while (fgets(line, sizeof(line), p)) {
                fputs(line, stderr);
                assert_int_equal(retl_buf_puts(&out, line), 0);
                lines++;
        }
        assert_int_equal(WEXITSTATUS(pclose(p)), 0);
        assert_int_equal(lines, 6);
        assert_null(strstr(retl_buf_str(&out), "{\"error\": \""));
        assert_non_null(strstr(retl_buf_str(&out), "\"schema\": \"RunStarted\""));
        assert_non_null(strstr(retl_buf_str(&out), "\"started_at_ms\": 1714566600123"));
        assert_non_null(strstr(retl_buf_str(&out), "\"import\": \"OBJECTS\""));
        assert_non_null(strstr(retl_buf_str(&out),
                               "{\"name\": \"dec\", \"value\": {\"text\": \"123.4500\"}}"));
        assert_non_null(strstr(retl_buf_str(&out),
                               "{\"name\": \"s\", \"value\": \"h\\u00e9\"}"));
        assert_non_null(strstr(retl_buf_str(&out),
                               "{\"name\": \"y\", \"value\": {\"bytes_b64\": \"AQID\"}}"));
        assert_non_null(strstr(retl_buf_str(&out), "{\"name\": \"n\", \"value\": null}"));
        assert_non_null(strstr(retl_buf_str(&out), "\"reason\": \"person is suppressed\""));
        assert_non_null(strstr(retl_buf_str(&out), "\"kind\": \"REPLAY_BEGIN\""));
        assert_non_null(strstr(retl_buf_str(&out), "\"status\": \"COMPLETED\""));
        retl_buf_free(&files);
        retl_buf_free(&out);
        retl_codec_destroy(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_python_avro_decodes),
        };
        return cmocka_run_group_tests_name("0004-avro-independent", tests, NULL, NULL);
}
