/* retl — every record type encoded and decoded through avro-c's generic
 * values, field by field in the order of the .avsc files (the positions in
 * codec_int.h; tests/unit/test_codec.c checks them against the schemas). */
#include "codec_int.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void enc_fail(struct enc *e, const char *field)
{
        if (!e->failed)
                snprintf(e->err, e->errsize, "encoding %s.%s: %s", e->rec, field,
                         avro_strerror());
        e->failed = 1;
}

static void field(struct enc *e, avro_value_t *rec, int idx, avro_value_t *out,
                  const char *name)
{
        if (avro_value_get_by_index(rec, (size_t)idx, out, NULL))
                enc_fail(e, name);
}

static void set_str(struct enc *e, avro_value_t *rec, int idx, const char *name, const char *s)
{
        avro_value_t f;
        field(e, rec, idx, &f, name);
        if (!e->failed && avro_value_set_string_len(&f, s ? s : "", (s ? strlen(s) : 0) + 1))
                enc_fail(e, name);
}

static void set_long(struct enc *e, avro_value_t *rec, int idx, const char *name, int64_t v)
{
        avro_value_t f;
        field(e, rec, idx, &f, name);
        if (!e->failed && avro_value_set_long(&f, v))
                enc_fail(e, name);
}

static void set_bool(struct enc *e, avro_value_t *rec, int idx, const char *name, int v)
{
        avro_value_t f;
        field(e, rec, idx, &f, name);
        if (!e->failed && avro_value_set_boolean(&f, v != 0))
                enc_fail(e, name);
}

static void set_enum(struct enc *e, avro_value_t *rec, int idx, const char *name, int v)
{
        avro_value_t f;
        field(e, rec, idx, &f, name);
        if (!e->failed && avro_value_set_enum(&f, v))
                enc_fail(e, name);
}

/* ["null", "string"] */
static void set_opt_str(struct enc *e, avro_value_t *rec, int idx, const char *name,
                        const char *s)
{
        avro_value_t f, br;
        field(e, rec, idx, &f, name);
        if (e->failed)
                return;
        if (!s) {
                if (avro_value_set_branch(&f, 0, &br) || avro_value_set_null(&br))
                        enc_fail(e, name);
        } else if (avro_value_set_branch(&f, 1, &br) ||
                   avro_value_set_string_len(&br, s, strlen(s) + 1)) {
                enc_fail(e, name);
        }
}

/* A string value that is not NUL-terminated: avro-c wants the NUL counted. */
static int set_text_len(avro_value_t *v, const char *p, size_t len)
{
        char small[256];
        char *tmp;
        int rc;

        if (len < sizeof(small)) {
                memcpy(small, p, len);
                small[len] = '\0';
                return avro_value_set_string_len(v, small, len + 1);
        }
        tmp = retl_strndup(p, len);
        rc = avro_value_set_string_len(v, tmp, len + 1);
        free(tmp);
        return rc;
}

static void set_value(struct enc *e, avro_value_t *u, const struct retl_value *v,
                      const char *colname)
{
        avro_value_t br, txt;
        int rc;

        if ((unsigned)v->type >= RETL_V__COUNT) {
                snprintf(e->err, e->errsize, "encoding Row: column '%s' has an unknown type",
                         colname);
                e->failed = 1;
                return;
        }
        if (avro_value_set_branch(u, (int)v->type, &br)) {
                enc_fail(e, colname);
                return;
        }
        switch (v->type) {
        case RETL_V_NULL: rc = avro_value_set_null(&br); break;
        case RETL_V_BOOL: rc = avro_value_set_boolean(&br, v->u.b != 0); break;
        case RETL_V_LONG: rc = avro_value_set_long(&br, v->u.l); break;
        case RETL_V_DOUBLE: rc = avro_value_set_double(&br, v->u.d); break;
        case RETL_V_STRING: rc = set_text_len(&br, v->u.s.ptr, v->u.s.len); break;
        case RETL_V_BYTES:
                rc = avro_value_set_bytes(&br, (void *)(uintptr_t)v->u.s.ptr, v->u.s.len);
                break;
        case RETL_V_OVERSIZE:
                rc = avro_value_get_by_index(&br, 0, &txt, NULL) ||
                     avro_value_set_long(&txt, v->u.l);
                break;
        default:
                rc = avro_value_get_by_index(&br, 0, &txt, NULL) ||
                     set_text_len(&txt, v->u.s.ptr, v->u.s.len);
                break;
        }
        if (rc)
                enc_fail(e, colname);
}

static void encode_settings(struct enc *e, avro_value_t *s, const struct retl_sync_settings *ss)
{
        set_enum(e, s, SS_IMPORT, "import", ss->import);
        set_enum(e, s, SS_IDENT, "identify_by", ss->identify_by);
        set_bool(e, s, SS_UPDATE_ONLY, "update_only", ss->update_only);
        set_str(e, s, SS_OTYPE, "object_type_id", ss->object_type_id ? ss->object_type_id : "1");
        set_enum(e, s, SS_EMPTY, "empty_values", ss->empty_values);
        set_enum(e, s, SS_SUPPRESSED, "suppressed", ss->suppressed);
        set_long(e, s, SS_SEGMENT, "segment", ss->segment);
        set_enum(e, s, SS_REL_IDENT, "relationship_identify_by", ss->relationship_identify_by);
        set_str(e, s, SS_QUERY, "query", ss->query);
        set_opt_str(e, s, SS_REL_QUERY, "relationship_query", ss->relationship_query);
        set_long(e, s, SS_INTERVAL, "interval_s", ss->interval_s);
        set_bool(e, s, SS_SEND_UNCHANGED, "send_unchanged", ss->send_unchanged);
        set_opt_str(e, s, SS_SEGMENT_NAME, "segment_name", ss->segment_name);
        set_opt_str(e, s, SS_SEGMENT_DESC, "segment_description", ss->segment_description);
}

void retl_codec_encode_fields(struct enc *e, avro_value_t *v, const struct retl_record *r)
{
        avro_value_t sub;

        switch (r->type) {
        case RETL_REC_RUN_STARTED: {
                const struct retl_run_started *x = &r->u.run_started;
                set_str(e, v, RS_RUN_ID, "run_id", x->run_id);
                set_str(e, v, RS_SYNC, "sync", x->sync);
                set_str(e, v, RS_WORKSPACE, "workspace", x->workspace);
                set_long(e, v, RS_STARTED, "started_at_ms", x->started_at_ms);
                set_long(e, v, RS_LST, "last_sync_time", x->last_sync_time);
                set_opt_str(e, v, RS_REPLAY_OF, "replay_of", x->replay_of);
                set_long(e, v, RS_DB_CLOCK, "db_clock_ms", x->db_clock_ms);
                field(e, v, RS_SETTINGS, &sub, "settings");
                if (!e->failed)
                        encode_settings(e, &sub, &x->settings);
                break;
        }
        case RETL_REC_ROW: {
                const struct retl_row *x = &r->u.row;
                set_str(e, v, ROW_RUN_ID, "run_id", x->run_id);
                set_str(e, v, ROW_SYNC, "sync", x->sync);
                set_enum(e, v, ROW_PART, "part", (int)x->part);
                set_long(e, v, ROW_NUMBER, "row_number", x->row_number);
                field(e, v, ROW_COLUMNS, &sub, "columns");
                for (size_t i = 0; !e->failed && i < x->ncolumns; i++) {
                        avro_value_t col, u;
                        if (avro_value_append(&sub, &col, NULL)) {
                                enc_fail(e, "columns");
                                break;
                        }
                        set_str(e, &col, COL_NAME, "columns.name", x->columns[i].name);
                        field(e, &col, COL_VALUE, &u, "columns.value");
                        if (!e->failed)
                                set_value(e, &u, &x->columns[i].value, x->columns[i].name);
                }
                break;
        }
        case RETL_REC_RUN_FINISHED: {
                const struct retl_run_finished *x = &r->u.run_finished;
                set_str(e, v, RF_RUN_ID, "run_id", x->run_id);
                set_str(e, v, RF_SYNC, "sync", x->sync);
                set_enum(e, v, RF_STATUS, "status", (int)x->status);
                set_long(e, v, RF_ROWS, "rows", x->rows);
                set_long(e, v, RF_REL_ROWS, "relationship_rows", x->relationship_rows);
                set_long(e, v, RF_FINISHED, "finished_at_ms", x->finished_at_ms);
                set_opt_str(e, v, RF_ERROR, "error", x->error);
                break;
        }
        case RETL_REC_IMPORT_REPORT: {
                const struct retl_import_report *x = &r->u.import_report;
                set_str(e, v, IR_RUN_ID, "run_id", x->run_id);
                set_str(e, v, IR_SYNC, "sync", x->sync);
                set_str(e, v, IR_WORKSPACE, "workspace", x->workspace);
                set_enum(e, v, IR_STATUS, "status", (int)x->status);
                set_long(e, v, IR_STARTED, "started_at_ms", x->started_at_ms);
                set_long(e, v, IR_FINISHED, "finished_at_ms", x->finished_at_ms);
                set_long(e, v, IR_ROWS, "rows", x->rows);
                set_long(e, v, IR_IMPORTED, "imported", x->imported);
                set_long(e, v, IR_FAILED, "failed", x->failed);
                set_long(e, v, IR_LST, "last_sync_time", x->last_sync_time);
                set_opt_str(e, v, IR_REPLAY_OF, "replay_of", x->replay_of);
                set_opt_str(e, v, IR_ERROR, "error", x->error);
                set_long(e, v, IR_UNCHANGED, "unchanged", x->unchanged);
                set_long(e, v, IR_DELETED, "deleted", x->deleted);
                break;
        }
        case RETL_REC_ROW_FAILURE: {
                const struct retl_row_failure *x = &r->u.row_failure;
                set_str(e, v, FL_RUN_ID, "run_id", x->run_id);
                set_str(e, v, FL_SYNC, "sync", x->sync);
                set_enum(e, v, FL_PART, "part", (int)x->part);
                set_long(e, v, FL_ROW_NUMBER, "row_number", x->row_number);
                set_opt_str(e, v, FL_IDENTIFIER, "identifier", x->identifier);
                set_str(e, v, FL_REASON, "reason", x->reason);
                break;
        }
        case RETL_REC_CONTROL: {
                const struct retl_control *x = &r->u.control;
                set_enum(e, v, CT_KIND, "kind", (int)x->kind);
                set_str(e, v, CT_REPLAY_ID, "replay_id", x->replay_id);
                set_str(e, v, CT_WORKSPACE, "workspace", x->workspace);
                set_long(e, v, CT_REQUESTED, "requested_at_ms", x->requested_at_ms);
                set_long(e, v, CT_FROM, "from_offset", x->from_offset);
                set_long(e, v, CT_TO, "to_offset", x->to_offset);
                field(e, v, CT_RUNS, &sub, "runs");
                for (size_t i = 0; !e->failed && i < x->nruns; i++) {
                        avro_value_t s;
                        if (avro_value_append(&sub, &s, NULL) ||
                            avro_value_set_string_len(&s, x->runs[i], strlen(x->runs[i]) + 1))
                                enc_fail(e, "runs");
                }
                set_opt_str(e, v, CT_SYNC, "sync", x->sync);
                set_long(e, v, CT_GENERATION, "generation", x->generation);
                break;
        }
        case RETL_REC_ROW_STATE:
                set_long(e, v, ST_GENERATION, "generation", r->u.row_state.generation);
                set_long(e, v, ST_FINGERPRINT, "fingerprint", r->u.row_state.fingerprint);
                break;
        default:
                snprintf(e->err, e->errsize, "encoding: unknown record type %d", (int)r->type);
                e->failed = 1;
        }
}

static void dec_fail(struct dec *d, const char *fieldname, const char *why)
{
        if (!d->failed)
                snprintf(d->err, d->errsize, "decoding %s.%s: %s", d->rec, fieldname, why);
        d->failed = 1;
}

static avro_value_t get_field(struct dec *d, avro_value_t *rec, int idx, const char *name)
{
        avro_value_t f;
        memset(&f, 0, sizeof(f));
        if (!d->failed && avro_value_get_by_index(rec, (size_t)idx, &f, NULL))
                dec_fail(d, name, "missing");
        return f;
}

static const char *get_str(struct dec *d, avro_value_t *rec, int idx, const char *name)
{
        avro_value_t f = get_field(d, rec, idx, name);
        const char *s = NULL;
        size_t size;
        if (!d->failed && avro_value_get_string(&f, &s, &size))
                dec_fail(d, name, "not a string");
        return s ? s : "";
}

/* A field added since an earlier version of the schema: its default when the
 * writer's version has no such field (fields are only ever appended). */
static int has_field(avro_value_t *rec, int idx)
{
        size_t n = 0;
        return !avro_value_get_size(rec, &n) && (size_t)idx < n;
}

static int64_t get_long(struct dec *d, avro_value_t *rec, int idx, const char *name)
{
        avro_value_t f = get_field(d, rec, idx, name);
        int64_t v = 0;
        if (!d->failed && avro_value_get_long(&f, &v))
                dec_fail(d, name, "not a long");
        return v;
}

static int get_bool(struct dec *d, avro_value_t *rec, int idx, const char *name)
{
        avro_value_t f = get_field(d, rec, idx, name);
        int v = 0;
        if (!d->failed && avro_value_get_boolean(&f, &v))
                dec_fail(d, name, "not a boolean");
        return v;
}

static int get_enum(struct dec *d, avro_value_t *rec, int idx, const char *name)
{
        avro_value_t f = get_field(d, rec, idx, name);
        int v = 0;
        if (!d->failed && avro_value_get_enum(&f, &v))
                dec_fail(d, name, "not an enum");
        return v;
}

static const char *get_opt_str(struct dec *d, avro_value_t *rec, int idx, const char *name)
{
        avro_value_t f = get_field(d, rec, idx, name), br;
        int disc = 0;
        const char *s = NULL;
        size_t size;
        if (d->failed)
                return NULL;
        if (avro_value_get_discriminant(&f, &disc) || avro_value_get_current_branch(&f, &br)) {
                dec_fail(d, name, "bad union");
                return NULL;
        }
        if (disc == 0)
                return NULL;
        if (avro_value_get_string(&br, &s, &size))
                dec_fail(d, name, "not a string");
        return s;
}

static void get_value(struct dec *d, avro_value_t *u, struct retl_value *v)
{
        avro_value_t br, txt;
        int disc = 0, rc = 0;
        const void *p = NULL;
        size_t size = 0;

        if (avro_value_get_discriminant(u, &disc) || avro_value_get_current_branch(u, &br) ||
            disc < 0 || disc >= RETL_V__COUNT) {
                dec_fail(d, "columns.value", "bad union");
                return;
        }
        v->type = (enum retl_vtype)disc;
        switch (v->type) {
        case RETL_V_NULL: break;
        case RETL_V_BOOL: rc = avro_value_get_boolean(&br, &v->u.b); break;
        case RETL_V_LONG: rc = avro_value_get_long(&br, &v->u.l); break;
        case RETL_V_DOUBLE: rc = avro_value_get_double(&br, &v->u.d); break;
        case RETL_V_STRING:
                rc = avro_value_get_string(&br, (const char **)&p, &size);
                v->u.s.ptr = p;
                v->u.s.len = size ? size - 1 : 0;
                break;
        case RETL_V_BYTES:
                rc = avro_value_get_bytes(&br, &p, &size);
                v->u.s.ptr = p;
                v->u.s.len = size;
                break;
        case RETL_V_OVERSIZE:
                rc = avro_value_get_by_index(&br, 0, &txt, NULL) ||
                     avro_value_get_long(&txt, &v->u.l);
                break;
        default:
                rc = avro_value_get_by_index(&br, 0, &txt, NULL) ||
                     avro_value_get_string(&txt, (const char **)&p, &size);
                v->u.s.ptr = p;
                v->u.s.len = size ? size - 1 : 0;
                break;
        }
        if (rc)
                dec_fail(d, "columns.value", "bad value");
}

void retl_codec_decode_fields(struct retl_codec *c, struct dec *d, avro_value_t *v,
                              struct retl_record *r)
{
        avro_value_t sub;

        switch (r->type) {
        case RETL_REC_RUN_STARTED: {
                struct retl_run_started *x = &r->u.run_started;
                struct retl_sync_settings *ss = &x->settings;
                x->run_id = get_str(d, v, RS_RUN_ID, "run_id");
                x->sync = get_str(d, v, RS_SYNC, "sync");
                x->workspace = get_str(d, v, RS_WORKSPACE, "workspace");
                x->started_at_ms = get_long(d, v, RS_STARTED, "started_at_ms");
                x->last_sync_time = get_long(d, v, RS_LST, "last_sync_time");
                x->replay_of = get_opt_str(d, v, RS_REPLAY_OF, "replay_of");
                sub = get_field(d, v, RS_SETTINGS, "settings");
                if (d->failed)
                        break;
                ss->import = get_enum(d, &sub, SS_IMPORT, "import");
                ss->identify_by = get_enum(d, &sub, SS_IDENT, "identify_by");
                ss->update_only = get_bool(d, &sub, SS_UPDATE_ONLY, "update_only");
                ss->object_type_id = get_str(d, &sub, SS_OTYPE, "object_type_id");
                ss->empty_values = get_enum(d, &sub, SS_EMPTY, "empty_values");
                ss->suppressed = get_enum(d, &sub, SS_SUPPRESSED, "suppressed");
                ss->segment = get_long(d, &sub, SS_SEGMENT, "segment");
                ss->relationship_identify_by = get_enum(d, &sub, SS_REL_IDENT,
                                                        "relationship_identify_by");
                ss->query = get_str(d, &sub, SS_QUERY, "query");
                ss->relationship_query = get_opt_str(d, &sub, SS_REL_QUERY, "relationship_query");
                ss->interval_s = get_long(d, &sub, SS_INTERVAL, "interval_s");
                if (has_field(&sub, SS_SEND_UNCHANGED))
                        ss->send_unchanged = get_bool(d, &sub, SS_SEND_UNCHANGED,
                                                      "send_unchanged");
                /* absent from records written before them (RunStarted.3 and older) */
                if (has_field(&sub, SS_SEGMENT_NAME)) {
                        ss->segment_name = get_opt_str(d, &sub, SS_SEGMENT_NAME,
                                                       "segment_name");
                        ss->segment_description = get_opt_str(d, &sub, SS_SEGMENT_DESC,
                                                              "segment_description");
                }
                x->db_clock_ms = has_field(v, RS_DB_CLOCK)
                                         ? get_long(d, v, RS_DB_CLOCK, "db_clock_ms")
                                         : -1;
                break;
        }
        case RETL_REC_ROW: {
                struct retl_row *x = &r->u.row;
                size_t n = 0;
                x->run_id = get_str(d, v, ROW_RUN_ID, "run_id");
                x->sync = get_str(d, v, ROW_SYNC, "sync");
                x->part = (enum retl_part)get_enum(d, v, ROW_PART, "part");
                x->row_number = get_long(d, v, ROW_NUMBER, "row_number");
                sub = get_field(d, v, ROW_COLUMNS, "columns");
                if (d->failed || avro_value_get_size(&sub, &n)) {
                        dec_fail(d, "columns", "not an array");
                        break;
                }
                if (n > c->cols_cap) {
                        c->cols_cap = n < 16 ? 16 : n;
                        c->cols = retl_realloc(c->cols, c->cols_cap * sizeof(*c->cols));
                }
                for (size_t i = 0; i < n && !d->failed; i++) {
                        avro_value_t col, u;
                        if (avro_value_get_by_index(&sub, i, &col, NULL)) {
                                dec_fail(d, "columns", "short array");
                                break;
                        }
                        c->cols[i].name = get_str(d, &col, COL_NAME, "columns.name");
                        u = get_field(d, &col, COL_VALUE, "columns.value");
                        if (!d->failed)
                                get_value(d, &u, &c->cols[i].value);
                }
                x->ncolumns = n;
                x->columns = c->cols;
                break;
        }
        case RETL_REC_RUN_FINISHED: {
                struct retl_run_finished *x = &r->u.run_finished;
                x->run_id = get_str(d, v, RF_RUN_ID, "run_id");
                x->sync = get_str(d, v, RF_SYNC, "sync");
                x->status = (enum retl_extract_status)get_enum(d, v, RF_STATUS, "status");
                x->rows = get_long(d, v, RF_ROWS, "rows");
                x->relationship_rows = get_long(d, v, RF_REL_ROWS, "relationship_rows");
                x->finished_at_ms = get_long(d, v, RF_FINISHED, "finished_at_ms");
                x->error = get_opt_str(d, v, RF_ERROR, "error");
                break;
        }
        case RETL_REC_IMPORT_REPORT: {
                struct retl_import_report *x = &r->u.import_report;
                x->run_id = get_str(d, v, IR_RUN_ID, "run_id");
                x->sync = get_str(d, v, IR_SYNC, "sync");
                x->workspace = get_str(d, v, IR_WORKSPACE, "workspace");
                x->status = (enum retl_import_status)get_enum(d, v, IR_STATUS, "status");
                x->started_at_ms = get_long(d, v, IR_STARTED, "started_at_ms");
                x->finished_at_ms = get_long(d, v, IR_FINISHED, "finished_at_ms");
                x->rows = get_long(d, v, IR_ROWS, "rows");
                x->imported = get_long(d, v, IR_IMPORTED, "imported");
                x->failed = get_long(d, v, IR_FAILED, "failed");
                x->last_sync_time = get_long(d, v, IR_LST, "last_sync_time");
                x->replay_of = get_opt_str(d, v, IR_REPLAY_OF, "replay_of");
                x->error = get_opt_str(d, v, IR_ERROR, "error");
                if (has_field(v, IR_UNCHANGED))
                        x->unchanged = get_long(d, v, IR_UNCHANGED, "unchanged");
                if (has_field(v, IR_DELETED))
                        x->deleted = get_long(d, v, IR_DELETED, "deleted");
                break;
        }
        case RETL_REC_ROW_FAILURE: {
                struct retl_row_failure *x = &r->u.row_failure;
                x->run_id = get_str(d, v, FL_RUN_ID, "run_id");
                x->sync = get_str(d, v, FL_SYNC, "sync");
                x->part = (enum retl_part)get_enum(d, v, FL_PART, "part");
                x->row_number = get_long(d, v, FL_ROW_NUMBER, "row_number");
                x->identifier = get_opt_str(d, v, FL_IDENTIFIER, "identifier");
                x->reason = get_str(d, v, FL_REASON, "reason");
                break;
        }
        case RETL_REC_CONTROL: {
                struct retl_control *x = &r->u.control;
                size_t n = 0;
                x->kind = (enum retl_control_kind)get_enum(d, v, CT_KIND, "kind");
                x->replay_id = get_str(d, v, CT_REPLAY_ID, "replay_id");
                x->workspace = get_str(d, v, CT_WORKSPACE, "workspace");
                x->requested_at_ms = get_long(d, v, CT_REQUESTED, "requested_at_ms");
                x->from_offset = get_long(d, v, CT_FROM, "from_offset");
                x->to_offset = get_long(d, v, CT_TO, "to_offset");
                sub = get_field(d, v, CT_RUNS, "runs");
                if (d->failed || avro_value_get_size(&sub, &n)) {
                        dec_fail(d, "runs", "not an array");
                        break;
                }
                if (n > c->runs_cap) {
                        c->runs_cap = n < 16 ? 16 : n;
                        c->runs = retl_realloc(c->runs, c->runs_cap * sizeof(*c->runs));
                }
                for (size_t i = 0; i < n && !d->failed; i++) {
                        avro_value_t s;
                        size_t size;
                        if (avro_value_get_by_index(&sub, i, &s, NULL) ||
                            avro_value_get_string(&s, &c->runs[i], &size))
                                dec_fail(d, "runs", "bad element");
                }
                x->nruns = n;
                x->runs = c->runs;
                if (has_field(v, CT_SYNC))
                        x->sync = get_opt_str(d, v, CT_SYNC, "sync");
                if (has_field(v, CT_GENERATION))
                        x->generation = get_long(d, v, CT_GENERATION, "generation");
                break;
        }
        case RETL_REC_ROW_STATE:
                r->u.row_state.generation = get_long(d, v, ST_GENERATION, "generation");
                r->u.row_state.fingerprint = get_long(d, v, ST_FINGERPRINT, "fingerprint");
                break;
        default:
                break;
        }
}
