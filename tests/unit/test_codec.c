/* Unit tests: the Avro codec — a round trip of every record type, field
 * positions against the schemas, the single-object header, bad input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <avro.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/avro_fp.h"
#include "lib/codec.h"

static char err[1024];

/* lib/codec.c, test builds: avro-c's own encoding of any record */
int retl_codec_encode_generic(struct retl_codec *c, const struct retl_record *rec,
                              struct retl_buf *out, char *errstr, size_t errstr_size);

/* Row and RowState are written by the codec itself: byte for byte what avro-c
 * writes. */
static void same_as_avro_c(struct retl_codec *c, const struct retl_record *rec)
{
        struct retl_buf own, ref;

        retl_buf_init(&own, 0);
        retl_buf_init(&ref, 0);
        assert_int_equal(retl_codec_encode(c, rec, &own, err, sizeof(err)), 0);
        assert_int_equal(retl_codec_encode_generic(c, rec, &ref, err, sizeof(err)), 0);
        assert_int_equal(retl_buf_len(&own), retl_buf_len(&ref));
        assert_memory_equal(retl_buf_str(&own), retl_buf_str(&ref), retl_buf_len(&ref));
        if (rec->type == RETL_REC_ROW) {
                /* and read back (the codec reads Row itself too) as it was */
                const struct retl_row *a = &rec->u.row;
                struct retl_record out;
                assert_int_equal(retl_codec_decode(c, retl_buf_str(&ref), retl_buf_len(&ref), &out,
                                                   err, sizeof(err)), 0);
                assert_string_equal(out.u.row.run_id, a->run_id);
                assert_string_equal(out.u.row.sync, a->sync);
                assert_int_equal(out.u.row.part, a->part);
                assert_true(out.u.row.row_number == a->row_number);
                assert_int_equal(out.u.row.ncolumns, a->ncolumns);
                for (size_t i = 0; i < a->ncolumns; i++) {
                        const struct retl_value *x = &a->columns[i].value;
                        const struct retl_value *y = &out.u.row.columns[i].value;
                        assert_string_equal(out.u.row.columns[i].name, a->columns[i].name);
                        assert_int_equal(x->type, y->type);
                        if (x->type == RETL_V_LONG || x->type == RETL_V_OVERSIZE)
                                assert_true(x->u.l == y->u.l);
                        else if (x->type == RETL_V_DOUBLE)
                                assert_memory_equal(&x->u.d, &y->u.d, sizeof(double));
                        else if (x->type == RETL_V_BOOL)
                                assert_int_equal(x->u.b, y->u.b);
                        else if (x->type != RETL_V_NULL)
                                assert_memory_equal(x->u.s.ptr, y->u.s.ptr, x->u.s.len + 1);
                }
                /* every truncation is refused, none is read past its end */
                for (size_t cut = 0; cut < retl_buf_len(&ref); cut++) {
                        char *t = malloc(cut ? cut : 1);
                        memcpy(t, retl_buf_str(&ref), cut);
                        assert_int_equal(retl_codec_decode(c, t, cut, &out, err, sizeof(err)), -1);
                        free(t);
                }
        }
        retl_buf_free(&own);
        retl_buf_free(&ref);
}

static int setup(void **state)
{
        struct retl_codec *c = retl_codec_new(err, sizeof(err));
        if (!c)
                fprintf(stderr, "codec: %s\n", err);
        *state = c;
        return c ? 0 : -1;
}

static int teardown(void **state)
{
        retl_codec_destroy(*state);
        return 0;
}

/* Encodes, checks the header, decodes; returns the decoded record. */
static void roundtrip(struct retl_codec *c, const struct retl_record *in, struct retl_record *out,
                      struct retl_buf *buf)
{
        uint64_t fp = retl_codec_fingerprint(c, in->type);
        const unsigned char *p;

        retl_buf_init(buf, 0);
        assert_int_equal(retl_codec_encode(c, in, buf, err, sizeof(err)), 0);
        p = (const unsigned char *)retl_buf_str(buf);
        assert_true(retl_buf_len(buf) > 10);
        assert_int_equal(p[0], 0xC3);
        assert_int_equal(p[1], 0x01);
        for (int b = 0; b < 8; b++)
                assert_int_equal(p[2 + b], (unsigned char)(fp >> (8 * b)));
        assert_int_equal(retl_codec_peek_type(c, p, retl_buf_len(buf)), (int)in->type);
        assert_int_equal(retl_codec_decode(c, p, retl_buf_len(buf), out, err, sizeof(err)), 0);
        assert_int_equal(out->type, in->type);
}

static void test_run_started(void **state)
{
        struct retl_codec *c = *state;
        struct retl_record in = {.type = RETL_REC_RUN_STARTED}, out;
        struct retl_run_started *r = &in.u.run_started, *o = &out.u.run_started;
        struct retl_buf buf;

        r->run_id = "people-1700000000000-ab12";
        r->sync = "people";
        r->workspace = "acme";
        r->started_at_ms = 1700000000123;
        r->last_sync_time = 1699990000;
        r->replay_of = NULL;
        r->settings = (struct retl_sync_settings){
                .import = 1, .identify_by = 1, .update_only = 1, .object_type_id = "7",
                .empty_values = 1, .suppressed = 1, .segment = 42,
                .relationship_identify_by = 1,
                .query = "SELECT id FROM t WHERE u > 1699990000",
                .relationship_query = "SELECT id, object_id FROM r", .interval_s = 3600};
        roundtrip(c, &in, &out, &buf);
        assert_string_equal(o->run_id, r->run_id);
        assert_string_equal(o->sync, "people");
        assert_string_equal(o->workspace, "acme");
        assert_true(o->started_at_ms == 1700000000123);
        assert_true(o->last_sync_time == 1699990000);
        assert_null(o->replay_of);
        assert_int_equal(o->settings.import, 1);
        assert_int_equal(o->settings.identify_by, 1);
        assert_int_equal(o->settings.update_only, 1);
        assert_string_equal(o->settings.object_type_id, "7");
        assert_int_equal(o->settings.empty_values, 1);
        assert_int_equal(o->settings.suppressed, 1);
        assert_true(o->settings.segment == 42);
        assert_int_equal(o->settings.relationship_identify_by, 1);
        assert_string_equal(o->settings.query, r->settings.query);
        assert_string_equal(o->settings.relationship_query, r->settings.relationship_query);
        assert_true(o->settings.interval_s == 3600);
        assert_null(o->settings.segment_name);
        assert_null(o->settings.segment_description);
        retl_buf_free(&buf);

        r->settings.segment = 0;
        r->settings.segment_name = "Imported from CRM";
        r->settings.segment_description = "people of the CRM";
        roundtrip(c, &in, &out, &buf);
        assert_true(o->settings.segment == 0);
        assert_string_equal(o->settings.segment_name, "Imported from CRM");
        assert_string_equal(o->settings.segment_description, "people of the CRM");
        assert_true(o->started_at_ms == 1700000000123);
        retl_buf_free(&buf);

        r->replay_of = "people-1-x";
        r->settings.relationship_query = NULL;
        roundtrip(c, &in, &out, &buf);
        assert_string_equal(o->replay_of, "people-1-x");
        assert_null(o->settings.relationship_query);
        retl_buf_free(&buf);
}

/* Decodes today's RunStarted @p in with its last @p drop body bytes (all
 * zero: the defaults) cut, under the fingerprint of history entry @p hist. */
static void decode_as_old(struct retl_codec *c, const struct retl_record *in, size_t hist,
                          size_t drop, struct retl_record *out)
{
        struct retl_buf buf;
        unsigned char msg[512];
        uint64_t fp = 0;
        size_t len;

        assert_int_equal(retl_schema_history[hist].type, RETL_REC_RUN_STARTED);
        assert_int_equal(retl_avro_fingerprint(retl_schema_history[hist].json, &fp, err,
                                               sizeof(err)), 0);
        assert_true(fp != retl_codec_fingerprint(c, RETL_REC_RUN_STARTED));
        roundtrip(c, in, out, &buf);
        len = retl_buf_len(&buf) - drop;
        assert_true(len <= sizeof(msg));
        memcpy(msg, retl_buf_str(&buf), len);
        /* the dropped bytes were zigzag 0 or the null branch of a union */
        for (size_t i = 0; i < drop; i++)
                assert_int_equal(((const unsigned char *)retl_buf_str(&buf))[len + i], 0);
        for (int b = 0; b < 8; b++)
                msg[2 + b] = (unsigned char)(fp >> (8 * b));
        assert_int_equal(retl_codec_peek_type(c, msg, len), RETL_REC_RUN_STARTED);
        assert_int_equal(retl_codec_decode(c, msg, len, out, err, sizeof(err)), 0);
        retl_buf_free(&buf);
}

/* RunStarted written by earlier retls still decode, with the defaults of
 * the fields they lack. Today's body ends with interval_s, send_unchanged
 * (false: one zero byte), the null segment_name and segment_description
 * (one zero byte each), then db_clock_ms (0: one zero byte). With every one
 * of those four zero, each earlier body is today's without its last bytes:
 * RunStarted.1 (before db_clock_ms, send_unchanged and the segment name)
 * four, RunStarted.2 (db_clock_ms after interval_s) three, RunStarted.3
 * (send_unchanged, then db_clock_ms) two. */
static void test_run_started_old(void **state)
{
        struct retl_codec *c = *state;
        struct retl_record in = {.type = RETL_REC_RUN_STARTED}, out;

        in.u.run_started = (struct retl_run_started){
                .run_id = "people-1-ab", .sync = "people", .workspace = "acme",
                .started_at_ms = 1700000000123, .last_sync_time = 5, .db_clock_ms = 0,
                .settings = {.object_type_id = "1", .query = "SELECT id FROM t"}};
        decode_as_old(c, &in, 0, 4, &out);
        assert_string_equal(out.u.run_started.run_id, "people-1-ab");
        assert_true(out.u.run_started.started_at_ms == 1700000000123);
        assert_string_equal(out.u.run_started.settings.query, "SELECT id FROM t");
        assert_true(out.u.run_started.db_clock_ms == -1);
        assert_null(out.u.run_started.settings.segment_name);

        for (size_t hist = 1; hist <= 2; hist++) {
                decode_as_old(c, &in, hist, 4 - hist, &out);
                assert_string_equal(out.u.run_started.settings.query, "SELECT id FROM t");
                assert_true(out.u.run_started.db_clock_ms == 0);
                assert_int_equal(out.u.run_started.settings.send_unchanged, 0);
                assert_null(out.u.run_started.settings.segment_name);
                assert_null(out.u.run_started.settings.segment_description);
        }
}

static void test_row_every_type(void **state)
{
        struct retl_codec *c = *state;
        static const char blob[] = {0, 1, 2, (char)0xff, 0};
        struct retl_column cols[] = {
                {"n", {.type = RETL_V_NULL}},
                {"b", {.type = RETL_V_BOOL, .u.b = 1}},
                {"l", {.type = RETL_V_LONG, .u.l = -9223372036854775807LL - 1}},
                {"d", {.type = RETL_V_DOUBLE, .u.d = 0.1}},
                {"s", {.type = RETL_V_STRING, .u.s = {"h\xc3\xa9llo \xf0\x9f\x98\x80", 11}}},
                {"e", {.type = RETL_V_STRING, .u.s = {"", 0}}},
                {"y", {.type = RETL_V_BYTES, .u.s = {blob, sizeof(blob)}}},
                {"dec", {.type = RETL_V_DECIMAL, .u.s = {"-12345678901234567890.1234", 26}}},
                {"dt", {.type = RETL_V_DATE, .u.s = {"2024-05-01", 10}}},
                {"tm", {.type = RETL_V_TIME, .u.s = {"12:34:56.1234567", 16}}},
                {"dtm", {.type = RETL_V_DATETIME, .u.s = {"2024-05-01T12:34:56.1234567", 27}}},
                {"dto", {.type = RETL_V_DATETIMEOFFSET,
                         .u.s = {"2024-05-01T12:34:56.1234567+02:00", 33}}},
                {"g", {.type = RETL_V_UUID, .u.s = {"6F9619FF-8B86-D011-B42D-00C04FC964FF", 36}}},
                {"big", {.type = RETL_V_OVERSIZE, .u.l = 1048576}},
        };
        size_t n = sizeof(cols) / sizeof(cols[0]);
        struct retl_record in = {.type = RETL_REC_ROW}, out;
        struct retl_buf buf;

        in.u.row = (struct retl_row){.run_id = "r1", .sync = "s", .part = RETL_PART_RELATIONSHIPS,
                                     .row_number = 123456789, .ncolumns = n, .columns = cols};
        same_as_avro_c(c, &in);
        for (size_t i = 0; i < n; i++) {
                /* each value alone, and numbers around the varint steps */
                static const int64_t edges[] = {0, -1, 1, 63, -64, 64, -65, 8191, 8192,
                                                INT64_MAX, INT64_MIN};
                struct retl_column one = cols[i];
                struct retl_record r1 = in;
                r1.u.row.ncolumns = 1;
                r1.u.row.columns = &one;
                same_as_avro_c(c, &r1);
                for (size_t k = 0; one.value.type == RETL_V_LONG && k < 11; k++) {
                        one.value.u.l = edges[k];
                        r1.u.row.row_number = edges[k];
                        same_as_avro_c(c, &r1);
                }
        }
        in.u.row.ncolumns = 0;
        same_as_avro_c(c, &in);
        in.u.row.ncolumns = n;
        roundtrip(c, &in, &out, &buf);
        assert_string_equal(out.u.row.run_id, "r1");
        assert_int_equal(out.u.row.part, RETL_PART_RELATIONSHIPS);
        assert_true(out.u.row.row_number == 123456789);
        assert_int_equal(out.u.row.ncolumns, n);
        for (size_t i = 0; i < n; i++) {
                const struct retl_column *a = &cols[i], *b = &out.u.row.columns[i];
                assert_string_equal(a->name, b->name);
                assert_int_equal(a->value.type, b->value.type);
                switch (a->value.type) {
                case RETL_V_NULL: break;
                case RETL_V_BOOL: assert_int_equal(a->value.u.b, b->value.u.b); break;
                case RETL_V_LONG:
                case RETL_V_OVERSIZE: assert_true(a->value.u.l == b->value.u.l); break;
                case RETL_V_DOUBLE: assert_true(a->value.u.d == b->value.u.d); break;
                default:
                        assert_int_equal(a->value.u.s.len, b->value.u.s.len);
                        assert_memory_equal(a->value.u.s.ptr, b->value.u.s.ptr, a->value.u.s.len);
                }
        }
        retl_buf_free(&buf);
}

static void test_finished_report_failure_control(void **state)
{
        struct retl_codec *c = *state;
        struct retl_record in, out;
        struct retl_buf buf;
        const char *runs[] = {"a-1", "b-2"};

        in.type = RETL_REC_RUN_FINISHED;
        in.u.run_finished = (struct retl_run_finished){"r1", "s", RETL_EXTRACT_FAILED, 10, 3,
                                                       1700000000999, "Invalid column name 'x'."};
        roundtrip(c, &in, &out, &buf);
        assert_int_equal(out.u.run_finished.status, RETL_EXTRACT_FAILED);
        assert_true(out.u.run_finished.rows == 10 && out.u.run_finished.relationship_rows == 3);
        assert_string_equal(out.u.run_finished.error, "Invalid column name 'x'.");
        retl_buf_free(&buf);

        in.type = RETL_REC_IMPORT_REPORT;
        in.u.import_report = (struct retl_import_report){
                "r1", "s", "acme", RETL_IMPORT_SOME_ROWS_FAILED, 1, 2, 100, 98, 2, 1699, NULL,
                NULL, 0, 7};
        roundtrip(c, &in, &out, &buf);
        assert_true(out.u.import_report.deleted == 7);
        assert_int_equal(out.u.import_report.status, RETL_IMPORT_SOME_ROWS_FAILED);
        assert_true(out.u.import_report.imported == 98 && out.u.import_report.failed == 2);
        assert_true(out.u.import_report.last_sync_time == 1699);
        assert_string_equal(out.u.import_report.workspace, "acme");
        assert_null(out.u.import_report.error);
        retl_buf_free(&buf);

        in.type = RETL_REC_ROW_FAILURE;
        in.u.row_failure = (struct retl_row_failure){"r1", "s", RETL_PART_MAIN, 7, NULL,
                                                     "missing identifier: id is empty"};
        roundtrip(c, &in, &out, &buf);
        assert_true(out.u.row_failure.row_number == 7);
        assert_null(out.u.row_failure.identifier);
        assert_string_equal(out.u.row_failure.reason, "missing identifier: id is empty");
        retl_buf_free(&buf);

        in.type = RETL_REC_CONTROL;
        in.u.control = (struct retl_control){RETL_CONTROL_REPLAY_END, "rp1", "acme", 5, 10, 20,
                                             2, runs, NULL, 0};
        roundtrip(c, &in, &out, &buf);
        assert_int_equal(out.u.control.kind, RETL_CONTROL_REPLAY_END);
        assert_int_equal(out.u.control.nruns, 2);
        assert_string_equal(out.u.control.runs[1], "b-2");
        assert_true(out.u.control.to_offset == 20);
        retl_buf_free(&buf);
}

/* The FIELD positions the codec uses must match the schemas: decode a Row
 * with avro-c's by-name access, independently of the codec. */
static void test_fields_by_name(void **state)
{
        struct retl_codec *c = *state;
        struct retl_column cols[] = {{"email", {.type = RETL_V_STRING, .u.s = {"a@b.c", 5}}}};
        struct retl_record in = {.type = RETL_REC_ROW};
        struct retl_buf buf;
        avro_schema_t schema;
        avro_value_iface_t *iface;
        avro_value_t v, f, arr, col, u, br;
        avro_reader_t rd;
        int64_t n;
        int e;
        const char *s;
        size_t sz;

        in.u.row = (struct retl_row){"run-9", "people", RETL_PART_MAIN, 5, 1, cols};
        retl_buf_init(&buf, 0);
        assert_int_equal(retl_codec_encode(c, &in, &buf, err, sizeof(err)), 0);
        assert_int_equal(avro_schema_from_json_length(retl_schema_json[RETL_REC_ROW],
                                                      strlen(retl_schema_json[RETL_REC_ROW]),
                                                      &schema), 0);
        iface = avro_generic_class_from_schema(schema);
        assert_int_equal(avro_generic_value_new(iface, &v), 0);
        rd = avro_reader_memory(retl_buf_str(&buf) + 10, (int64_t)retl_buf_len(&buf) - 10);
        assert_int_equal(avro_value_read(rd, &v), 0);
        assert_int_equal(avro_value_get_by_name(&v, "run_id", &f, NULL), 0);
        assert_int_equal(avro_value_get_string(&f, &s, &sz), 0);
        assert_string_equal(s, "run-9");
        assert_int_equal(avro_value_get_by_name(&v, "row_number", &f, NULL), 0);
        assert_int_equal(avro_value_get_long(&f, &n), 0);
        assert_true(n == 5);
        assert_int_equal(avro_value_get_by_name(&v, "part", &f, NULL), 0);
        assert_int_equal(avro_value_get_enum(&f, &e), 0);
        assert_int_equal(e, 0);
        assert_int_equal(avro_value_get_by_name(&v, "columns", &arr, NULL), 0);
        assert_int_equal(avro_value_get_by_index(&arr, 0, &col, NULL), 0);
        assert_int_equal(avro_value_get_by_name(&col, "name", &f, NULL), 0);
        assert_int_equal(avro_value_get_string(&f, &s, &sz), 0);
        assert_string_equal(s, "email");
        assert_int_equal(avro_value_get_by_name(&col, "value", &u, NULL), 0);
        assert_int_equal(avro_value_get_current_branch(&u, &br), 0);
        assert_int_equal(avro_value_get_string(&br, &s, &sz), 0);
        assert_string_equal(s, "a@b.c");
        avro_reader_free(rd);
        avro_value_decref(&v);
        avro_value_iface_decref(iface);
        avro_schema_decref(schema);
        retl_buf_free(&buf);
}

/* The state topic's records and a reset control round-trip. */
static void test_row_state_and_reset(void **state)
{
        struct retl_codec *c = *state;
        struct retl_record in = {.type = RETL_REC_ROW_STATE}, out;
        struct retl_buf buf;

        in.u.row_state = (struct retl_row_state){1733200000123, (int64_t)0xF00DFACECAFEBEEFULL};
        roundtrip(c, &in, &out, &buf);
        assert_true(out.u.row_state.generation == 1733200000123);
        assert_true((uint64_t)out.u.row_state.fingerprint == 0xF00DFACECAFEBEEFULL);
        retl_buf_free(&buf);
        /* written by the codec itself: byte for byte what avro-c writes */
        same_as_avro_c(c, &in);
        in.u.row_state = (struct retl_row_state){0, INT64_MIN};
        same_as_avro_c(c, &in);
        in.u.row_state = (struct retl_row_state){-1, INT64_MAX};
        same_as_avro_c(c, &in);
        in.type = RETL_REC_CONTROL;
        in.u.control = (struct retl_control){RETL_CONTROL_STATE_RESET, "", "acme", 5, -1, -1, 0,
                                             NULL, "people", 77};
        roundtrip(c, &in, &out, &buf);
        assert_int_equal(out.u.control.kind, RETL_CONTROL_STATE_RESET);
        assert_string_equal(out.u.control.sync, "people");
        assert_true(out.u.control.generation == 77);
        retl_buf_free(&buf);
}

/* A record of an earlier schema version (schemas/history/NAME.N.avsc) still
 * decodes; the fields added since take their defaults. */
static void test_older_versions(void **state)
{
        struct retl_codec *c = *state;
        struct retl_record out;
        int seen = 0;

        for (size_t i = 0; retl_schema_history[i].type >= 0; i++) {
                const char *json = retl_schema_history[i].json;
                avro_schema_t schema;
                avro_value_iface_t *iface;
                avro_value_t v, f, br;
                unsigned char msg[512];
                avro_writer_t w;
                uint64_t fp;
                int64_t len;

                if (retl_schema_history[i].type != RETL_REC_IMPORT_REPORT &&
                    retl_schema_history[i].type != RETL_REC_CONTROL)
                        continue;
                seen++;
                assert_int_equal(avro_schema_from_json_length(json, strlen(json), &schema), 0);
                assert_int_equal(retl_avro_fingerprint(json, &fp, err, sizeof(err)), 0);
                assert_true(fp != retl_codec_fingerprint(c, retl_schema_history[i].type));
                iface = avro_generic_class_from_schema(schema);
                assert_int_equal(avro_generic_value_new(iface, &v), 0);
                /* strings and the union's null branch; numbers stay 0 */
                for (size_t k = 0; avro_value_get_by_index(&v, k, &f, NULL) == 0; k++) {
                        if (avro_value_get_type(&f) == AVRO_STRING)
                                avro_value_set_string(&f, "x");
                        else if (avro_value_get_type(&f) == AVRO_UNION)
                                avro_value_set_branch(&f, 0, &br);
                }
                msg[0] = 0xC3;
                msg[1] = 0x01;
                for (int b = 0; b < 8; b++)
                        msg[2 + b] = (unsigned char)(fp >> (8 * b));
                w = avro_writer_memory((char *)msg + 10, sizeof(msg) - 10);
                assert_int_equal(avro_value_write(w, &v), 0);
                len = avro_writer_tell(w);
                avro_writer_free(w);
                assert_int_equal(retl_codec_peek_type(c, msg, 10 + (size_t)len),
                                 retl_schema_history[i].type);
                assert_int_equal(retl_codec_decode(c, msg, 10 + (size_t)len, &out, err,
                                                   sizeof(err)), 0);
                if (out.type == RETL_REC_IMPORT_REPORT) {
                        assert_string_equal(out.u.import_report.run_id, "x");
                        assert_true(out.u.import_report.unchanged == 0);
                } else {
                        assert_int_equal(out.u.control.kind, RETL_CONTROL_REPLAY_BEGIN);
                        assert_null(out.u.control.sync);
                        assert_true(out.u.control.generation == 0);
                }
                avro_value_decref(&v);
                avro_value_iface_decref(iface);
                avro_schema_decref(schema);
        }
        assert_int_equal(seen, 4);   /* ImportReport.1, .2, Control.1, .2 */
}

static void test_bad_input(void **state)
{
        struct retl_codec *c = *state;
        struct retl_record out;
        unsigned char junk[12] = {0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0};
        struct retl_record in = {.type = RETL_REC_ROW_FAILURE};
        struct retl_buf buf;

        assert_int_equal(retl_codec_decode(c, "hello", 5, &out, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "not an Avro single-object"));
        assert_int_equal(retl_codec_decode(c, junk, sizeof(junk), &out, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "unknown schema fingerprint"));
        /* truncated body */
        in.u.row_failure = (struct retl_row_failure){"r1", "s", RETL_PART_MAIN, 7, "x", "why"};
        retl_buf_init(&buf, 0);
        assert_int_equal(retl_codec_encode(c, &in, &buf, err, sizeof(err)), 0);
        assert_int_equal(retl_codec_decode(c, retl_buf_str(&buf), retl_buf_len(&buf) - 3, &out,
                                           err, sizeof(err)), -1);
        retl_buf_free(&buf);
}

/* Corrupt bodies are refused before avro-c reads them (it would allocate
 * what a length claims): RowFailure = run_id, sync, part (enum), row_number,
 * identifier (union), reason. Each case patches the body of a valid one. */
static void test_corrupt_body(void **state)
{
        static const struct {
                size_t at;               /* offset in the body */
                unsigned char byte;
                const char *why;
        } cases[] = {
                {0, 0x01, "bad length"},             /* run_id length -1 */
                {0, 0x31, "bad length"},             /* run_id length -25 */
                {0, 0x7E, "bad length"},             /* run_id length 63: past the end */
                {5, 0x09, "no such enum symbol"},    /* part 5 of 2 */
                {5, 0x01, "no such enum symbol"},    /* part -1 */
                {7, 0x04, "no such union branch"},   /* identifier branch 2 of 2 */
                {6, 0xFF, "number longer than 10 bytes"}, /* row_number */
        };
        struct retl_codec *c = *state;
        struct retl_record in = {.type = RETL_REC_ROW_FAILURE}, out;
        struct retl_buf buf;
        unsigned char msg[64];
        size_t len;

        /* body: 04 "r1" | 02 "s" | 00 | 0e | 02 02 "x" | 06 "why" */
        in.u.row_failure = (struct retl_row_failure){"r1", "s", RETL_PART_MAIN, 7, "x", "why"};
        retl_buf_init(&buf, 0);
        assert_int_equal(retl_codec_encode(c, &in, &buf, err, sizeof(err)), 0);
        len = retl_buf_len(&buf);
        assert_true(len == 10 + 14 && len <= sizeof(msg));
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                size_t n = len;

                memcpy(msg, retl_buf_str(&buf), len);
                msg[10 + cases[i].at] = cases[i].byte;
                if (cases[i].byte == 0xFF) { /* a varint that never ends */
                        n = 10 + cases[i].at + 11;
                        memset(msg + 10 + cases[i].at, 0xFF, 11);
                }
                if (retl_codec_decode(c, msg, n, &out, err, sizeof(err)) != -1 ||
                    !strstr(err, cases[i].why))
                        fail_msg("case %zu: expected '%s', got '%s'", i, cases[i].why, err);
                assert_non_null(strstr(err, "decoding RowFailure: corrupt Avro data"));
        }
        retl_buf_free(&buf);
}

/* Every schema parses, and its fingerprint is the CRC-64-AVRO of its
 * canonical form. */
static void test_schema_fingerprints(void **state)
{
        struct retl_codec *c = *state;
        for (int i = 0; i < RETL_REC__COUNT; i++) {
                char *canon = retl_avro_canonical(retl_schema_json[i], err, sizeof(err));
                assert_non_null(canon);
                assert_null(strchr(canon, ' '));
                assert_null(strstr(canon, "\"doc\""));
                assert_true(retl_avro_crc64(canon, strlen(canon)) ==
                            retl_codec_fingerprint(c, (enum retl_record_type)i));
                free(canon);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_run_started),
                cmocka_unit_test(test_run_started_old),
                cmocka_unit_test(test_row_every_type),
                cmocka_unit_test(test_finished_report_failure_control),
                cmocka_unit_test(test_fields_by_name),
                cmocka_unit_test(test_row_state_and_reset),
                cmocka_unit_test(test_older_versions),
                cmocka_unit_test(test_bad_input),
                cmocka_unit_test(test_corrupt_body),
                cmocka_unit_test(test_schema_fingerprints),
        };
        return cmocka_run_group_tests_name("codec", tests, setup, teardown);
}
