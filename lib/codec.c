/* retl — the Avro codec, see codec.h.
 *
 * Built on avro-c's generic values: one reusable value per record type, so
 * encoding a row allocates little. Fields are set by index in the order of
 * the .avsc files; the FIELD_* constants below name those positions and a
 * unit test checks them against the schemas' field names. */
#include "codec.h"
#include "avro_check.h"
#include "avro_fp.h"
#include "mem.h"

#include <avro.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER_LEN 10

struct codec_type {
        int type;               /* enum retl_record_type */
        avro_schema_t schema;
        struct retl_avro_check *check;
        avro_value_iface_t *iface;
        avro_value_t value;
        uint64_t fp;
        unsigned char header[HEADER_LEN];
};

struct retl_codec {
        struct codec_type t[RETL_REC__COUNT];
        struct codec_type *old; /* earlier versions, decoded only */
        size_t nold;
        avro_reader_t reader;
        /* decode scratch: columns of the last row, runs of the last control */
        struct retl_column *cols;
        size_t cols_cap;
        const char **runs;
        size_t runs_cap;
        /* the Row reader's strings, NUL-terminated */
        char *text;
        size_t text_cap;
};

static const char *const record_names[RETL_REC__COUNT] = {
        "RunStarted", "Row", "RunFinished", "ImportReport", "RowFailure", "Control", "RowState",
};

const char *retl_record_type_name(enum retl_record_type t)
{
        return (unsigned)t < RETL_REC__COUNT ? record_names[t] : "?";
}

const char *retl_vtype_name(enum retl_vtype t)
{
        static const char *const n[RETL_V__COUNT] = {
                "null", "boolean", "long", "double", "string", "bytes", "Decimal",
                "Date", "Time", "DateTime", "DateTimeOffset", "Uuid", "Oversize",
        };
        return (unsigned)t < RETL_V__COUNT ? n[t] : "?";
}

const char *retl_import_status_name(enum retl_import_status s)
{
        static const char *const n[] = {"running", "completed", "some rows failed", "failed",
                                        "skipped", "held", "rejected"};
        return (unsigned)s < sizeof(n) / sizeof(n[0]) ? n[s] : "?";
}

const char *retl_extract_status_name(enum retl_extract_status s)
{
        static const char *const n[] = {"ok", "failed", "cancelled"};
        return (unsigned)s < 3 ? n[s] : "?";
}

static int load_type(struct codec_type *ct, int type, const char *json, char *errstr,
                     size_t errstr_size)
{
        ct->type = type;
        if (avro_schema_from_json_length(json, strlen(json), &ct->schema)) {
                snprintf(errstr, errstr_size, "schema %s: %s", record_names[type],
                         avro_strerror());
                return -1;
        }
        ct->check = retl_avro_check_new(ct->schema, errstr, errstr_size);
        if (!ct->check || retl_avro_fingerprint(json, &ct->fp, errstr, errstr_size))
                return -1;
        ct->iface = avro_generic_class_from_schema(ct->schema);
        if (!ct->iface || avro_generic_value_new(ct->iface, &ct->value)) {
                snprintf(errstr, errstr_size, "schema %s: %s", record_names[type],
                         avro_strerror());
                return -1;
        }
        ct->header[0] = 0xC3;
        ct->header[1] = 0x01;
        for (int b = 0; b < 8; b++)
                ct->header[2 + b] = (unsigned char)(ct->fp >> (8 * b));
        return 0;
}

static void free_type(struct codec_type *ct)
{
        if (ct->iface) {
                if (ct->value.self)
                        avro_value_decref(&ct->value);
                avro_value_iface_decref(ct->iface);
        }
        if (ct->schema)
                avro_schema_decref(ct->schema);
        retl_avro_check_destroy(ct->check);
}

struct retl_codec *retl_codec_new(char *errstr, size_t errstr_size)
{
        struct retl_codec *c = retl_calloc(1, sizeof(*c));
        size_t n = 0;

        for (int i = 0; i < RETL_REC__COUNT; i++)
                if (load_type(&c->t[i], i, retl_schema_json[i], errstr, errstr_size))
                        goto fail;
        while (retl_schema_history[n].type >= 0)
                n++;
        c->old = retl_calloc(n ? n : 1, sizeof(*c->old));
        for (c->nold = 0; c->nold < n; c->nold++)
                if (load_type(&c->old[c->nold], retl_schema_history[c->nold].type,
                              retl_schema_history[c->nold].json, errstr, errstr_size)) {
                        c->nold++;
                        goto fail;
                }
        c->reader = avro_reader_memory(NULL, 0);
        return c;
fail:
        retl_codec_destroy(c);
        return NULL;
}

void retl_codec_destroy(struct retl_codec *c)
{
        if (!c)
                return;
        for (int i = 0; i < RETL_REC__COUNT; i++)
                free_type(&c->t[i]);
        for (size_t i = 0; i < c->nold; i++)
                free_type(&c->old[i]);
        free(c->old);
        if (c->reader)
                avro_reader_free(c->reader);
        free(c->text);
        free(c->cols);
        free(c->runs);
        free(c);
}

uint64_t retl_codec_fingerprint(const struct retl_codec *c, enum retl_record_type t)
{
        return c->t[t].fp;
}

/* ------------------------------------------------------------------ */
/* Encoding                                                            */
/* ------------------------------------------------------------------ */

/* Field positions, as in the .avsc files (tests/unit/test_codec.c checks). */
enum { RS_RUN_ID, RS_SYNC, RS_WORKSPACE, RS_STARTED, RS_LST, RS_REPLAY_OF, RS_SETTINGS,
       RS_DB_CLOCK };
enum { SS_IMPORT, SS_IDENT, SS_UPDATE_ONLY, SS_OTYPE, SS_EMPTY, SS_SUPPRESSED, SS_SEGMENT,
       SS_REL_IDENT, SS_QUERY, SS_REL_QUERY, SS_INTERVAL, SS_SEND_UNCHANGED, SS_SEGMENT_NAME,
       SS_SEGMENT_DESC };
enum { ROW_RUN_ID, ROW_SYNC, ROW_PART, ROW_NUMBER, ROW_COLUMNS };
enum { COL_NAME, COL_VALUE };
enum { RF_RUN_ID, RF_SYNC, RF_STATUS, RF_ROWS, RF_REL_ROWS, RF_FINISHED, RF_ERROR };
enum { IR_RUN_ID, IR_SYNC, IR_WORKSPACE, IR_STATUS, IR_STARTED, IR_FINISHED, IR_ROWS,
       IR_IMPORTED, IR_FAILED, IR_LST, IR_REPLAY_OF, IR_ERROR, IR_UNCHANGED, IR_DELETED };
enum { FL_RUN_ID, FL_SYNC, FL_PART, FL_ROW_NUMBER, FL_IDENTIFIER, FL_REASON };
enum { CT_KIND, CT_REPLAY_ID, CT_WORKSPACE, CT_REQUESTED, CT_FROM, CT_TO, CT_RUNS, CT_SYNC,
       CT_GENERATION };
enum { ST_GENERATION, ST_FINGERPRINT };

struct enc {
        const char *rec;
        char *err;
        size_t errsize;
        int failed;
};

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

static void encode_fields(struct enc *e, avro_value_t *v, const struct retl_record *r)
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

/* Row, the record a run writes a million times, is written straight in
 * Avro's binary encoding (zig-zag varints, length-prefixed strings, the
 * columns as one array block, a union as its branch then the value): avro-c's
 * generic values cost the extractor a third of its CPU for it.
 * tests/unit/test_codec.c checks it byte for byte against avro-c. */
static int put_long(struct retl_buf *b, int64_t v)
{
        unsigned char tmp[10];
        uint64_t z = ((uint64_t)v << 1) ^ (v < 0 ? ~(uint64_t)0 : 0);
        size_t n = 0;

        while (z > 0x7F) {
                tmp[n++] = (unsigned char)((z & 0x7F) | 0x80);
                z >>= 7;
        }
        tmp[n++] = (unsigned char)z;
        return retl_buf_append(b, tmp, n);
}

static int put_str(struct retl_buf *b, const char *s, size_t len)
{
        return put_long(b, (int64_t)len) || retl_buf_append(b, s, len);
}

static int put_value(struct retl_buf *b, const struct retl_value *v)
{
        unsigned char d[8];
        uint64_t bits;

        if (put_long(b, (int64_t)v->type))
                return -1;
        switch (v->type) {
        case RETL_V_NULL: return 0;
        case RETL_V_BOOL: return retl_buf_putc(b, v->u.b != 0);
        case RETL_V_LONG:
        case RETL_V_OVERSIZE: return put_long(b, v->u.l);
        case RETL_V_DOUBLE:
                /* IEEE 754, little-endian */
                memcpy(&bits, &v->u.d, sizeof(bits));
                for (int i = 0; i < 8; i++)
                        d[i] = (unsigned char)(bits >> (8 * i));
                return retl_buf_append(b, d, sizeof(d));
        default: return put_str(b, v->u.s.ptr, v->u.s.len);
        }
}

static int encode_row(const struct retl_row *x, const unsigned char *header, struct retl_buf *out,
                      char *errstr, size_t errstr_size)
{
        int err;

        for (size_t i = 0; i < x->ncolumns; i++)
                if ((unsigned)x->columns[i].value.type >= RETL_V__COUNT) {
                        snprintf(errstr, errstr_size,
                                 "encoding Row: column '%s' has an unknown type",
                                 x->columns[i].name);
                        return -1;
                }
        retl_buf_reset(out);
        err = retl_buf_append(out, header, HEADER_LEN) ||
              put_str(out, x->run_id ? x->run_id : "", x->run_id ? strlen(x->run_id) : 0) ||
              put_str(out, x->sync ? x->sync : "", x->sync ? strlen(x->sync) : 0) ||
              put_long(out, (int64_t)x->part) || put_long(out, x->row_number);
        if (!err && x->ncolumns)
                err = put_long(out, (int64_t)x->ncolumns);
        for (size_t i = 0; !err && i < x->ncolumns; i++) {
                const char *name = x->columns[i].name ? x->columns[i].name : "";
                err = put_str(out, name, strlen(name)) || put_value(out, &x->columns[i].value);
        }
        if (err || put_long(out, 0)) {
                snprintf(errstr, errstr_size, "encoding Row: record too large");
                return -1;
        }
        return 0;
}

/* avro-c's generic encoding, of every record type: the one used for all
 * but Row; test builds see it, to compare Row's own encoding with it. */
#ifdef RETL_UNITTEST
#define UNITTEST
#else
#define UNITTEST static
#endif
UNITTEST int retl_codec_encode_generic(struct retl_codec *c, const struct retl_record *rec,
                                       struct retl_buf *out, char *errstr, size_t errstr_size);

int retl_codec_encode(struct retl_codec *c, const struct retl_record *rec, struct retl_buf *out,
                      char *errstr, size_t errstr_size)
{
        if (rec->type == RETL_REC_ROW)
                return encode_row(&rec->u.row, c->t[RETL_REC_ROW].header, out, errstr,
                                  errstr_size);
        return retl_codec_encode_generic(c, rec, out, errstr, errstr_size);
}

UNITTEST int retl_codec_encode_generic(struct retl_codec *c, const struct retl_record *rec,
                                       struct retl_buf *out, char *errstr, size_t errstr_size)
{
        struct enc e = {.err = errstr, .errsize = errstr_size};
        struct codec_type *ct;
        avro_writer_t w;
        size_t size;
        char *body;
        int rc;

        if ((unsigned)rec->type >= RETL_REC__COUNT) {
                snprintf(errstr, errstr_size, "encoding: unknown record type %d", (int)rec->type);
                return -1;
        }
        ct = &c->t[rec->type];
        e.rec = record_names[rec->type];
        avro_value_reset(&ct->value);
        encode_fields(&e, &ct->value, rec);
        if (e.failed)
                return -1;
        if (avro_value_sizeof(&ct->value, &size)) {
                snprintf(errstr, errstr_size, "encoding %s: %s", e.rec, avro_strerror());
                return -1;
        }
        retl_buf_reset(out);
        body = retl_buf_append(out, ct->header, HEADER_LEN) ? NULL : retl_buf_extend(out, size);
        if (!body) {
                snprintf(errstr, errstr_size, "encoding %s: record of %zu bytes is too large",
                         e.rec, size);
                return -1;
        }
        w = avro_writer_memory(body, (int64_t)size);
        rc = avro_value_write(w, &ct->value);
        avro_writer_free(w);
        if (rc) {
                snprintf(errstr, errstr_size, "encoding %s: %s", e.rec, avro_strerror());
                return -1;
        }
        return 0;
}

/* ------------------------------------------------------------------ */
/* Decoding                                                            */
/* ------------------------------------------------------------------ */

struct dec {
        const char *rec;
        char *err;
        size_t errsize;
        int failed;
};

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

static void decode_fields(struct retl_codec *c, struct dec *d, avro_value_t *v,
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

/* The schema a message was written with: the current one or an earlier
 * version; NULL when neither. */
static struct codec_type *writer_of(struct retl_codec *c, const void *data, size_t len)
{
        const unsigned char *p = data;
        if (len < HEADER_LEN || p[0] != 0xC3 || p[1] != 0x01)
                return NULL;
        for (int i = 0; i < RETL_REC__COUNT; i++)
                if (!memcmp(p, c->t[i].header, HEADER_LEN))
                        return &c->t[i];
        for (size_t i = 0; i < c->nold; i++)
                if (!memcmp(p, c->old[i].header, HEADER_LEN))
                        return &c->old[i];
        return NULL;
}

int retl_codec_peek_type(const struct retl_codec *c, const void *data, size_t len)
{
        struct codec_type *ct = writer_of((struct retl_codec *)c, data, len);
        return ct ? ct->type : -1;
}

/* Row in the current schema, the record an uploader reads a million times
 * a run, is read straight from Avro's binary encoding (the mirror of
 * encode_row): avro-c's generic reader allocated for every column. Strings
 * are copied, NUL-terminated, into the codec's text scratch, sized first so
 * that pointers into it stay valid. Rows of earlier schemas go through
 * avro-c, which resolves them. */
struct rd {
        const unsigned char *p, *end;
        char *t;                /* next free byte of the text scratch */
};

static int rd_long(struct rd *r, int64_t *v)
{
        uint64_t z = 0;

        for (int shift = 0; shift < 64 && r->p < r->end; shift += 7) {
                unsigned b = *r->p++;
                z |= (uint64_t)(b & 0x7F) << shift;
                if (!(b & 0x80)) {
                        *v = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
                        return 0;
                }
        }
        return -1;
}

static int rd_str(struct rd *r, const char **s, size_t *len)
{
        int64_t n;

        if (rd_long(r, &n) || n < 0 || n > r->end - r->p)
                return -1;
        memcpy(r->t, r->p, (size_t)n);
        r->t[n] = '\0';
        *s = r->t;
        *len = (size_t)n;
        r->t += n + 1;
        r->p += n;
        return 0;
}

static int rd_value(struct rd *r, struct retl_value *v)
{
        int64_t disc;
        uint64_t bits = 0;

        if (rd_long(r, &disc) || disc < 0 || disc >= RETL_V__COUNT)
                return -1;
        v->type = (enum retl_vtype)disc;
        switch (v->type) {
        case RETL_V_NULL: return 0;
        case RETL_V_BOOL:
                if (r->p >= r->end)
                        return -1;
                v->u.b = *r->p++ != 0;
                return 0;
        case RETL_V_LONG:
        case RETL_V_OVERSIZE: return rd_long(r, &v->u.l);
        case RETL_V_DOUBLE:
                if (r->end - r->p < 8)
                        return -1;
                for (int i = 0; i < 8; i++)
                        bits |= (uint64_t)r->p[i] << (8 * i);
                memcpy(&v->u.d, &bits, sizeof(bits));
                r->p += 8;
                return 0;
        default: return rd_str(r, &v->u.s.ptr, &v->u.s.len);
        }
}

static int decode_row(struct retl_codec *c, const unsigned char *body, size_t len,
                      struct retl_row *x, char *errstr, size_t errstr_size)
{
        struct rd r = {body, body + len, NULL};
        size_t n = 0, slen;
        int64_t part, count, bytes;

        /* each string takes at least its length byte: room for all of
         * them with their NULs */
        if (2 * len + 1 > c->text_cap) {
                c->text_cap = 2 * len + 1;
                c->text = retl_realloc(c->text, c->text_cap);
        }
        r.t = c->text;
        memset(x, 0, sizeof(*x));
        if (rd_str(&r, &x->run_id, &slen) || rd_str(&r, &x->sync, &slen) ||
            rd_long(&r, &part) || part < 0 || part > RETL_PART_RELATIONSHIPS ||
            rd_long(&r, &x->row_number))
                goto bad;
        x->part = (enum retl_part)part;
        for (;;) {
                if (rd_long(&r, &count))
                        goto bad;
                if (!count)
                        break;
                if (count < 0) {
                        /* a block with its size in bytes, which we do not need */
                        count = -count;
                        if (rd_long(&r, &bytes))
                                goto bad;
                }
                if (count > r.end - r.p)
                        goto bad;
                if (n + (size_t)count > c->cols_cap) {
                        c->cols_cap = n + (size_t)count < 16 ? 16 : n + (size_t)count;
                        c->cols = retl_realloc(c->cols, c->cols_cap * sizeof(*c->cols));
                }
                for (int64_t i = 0; i < count; i++, n++)
                        if (rd_str(&r, &c->cols[n].name, &slen) ||
                            rd_value(&r, &c->cols[n].value))
                                goto bad;
        }
        x->ncolumns = n;
        x->columns = c->cols;
        return 0;
bad:
        snprintf(errstr, errstr_size, "decoding Row: truncated or malformed at byte %td of %zu",
                 r.p - body, len);
        return -1;
}

int retl_codec_decode(struct retl_codec *c, const void *data, size_t len,
                      struct retl_record *rec, char *errstr, size_t errstr_size)
{
        struct dec d = {.err = errstr, .errsize = errstr_size};
        const unsigned char *p = data;
        struct codec_type *ct = writer_of(c, data, len);
        char why[128];

        if (!ct) {
                if (len < HEADER_LEN || p[0] != 0xC3 || p[1] != 0x01)
                        snprintf(errstr, errstr_size,
                                 "not an Avro single-object message (%zu bytes)", len);
                else {
                        uint64_t fp = 0;
                        for (int b = 0; b < 8; b++)
                                fp |= (uint64_t)p[2 + b] << (8 * b);
                        snprintf(errstr, errstr_size,
                                 "unknown schema fingerprint 0x%016llx (a newer retl?)",
                                 (unsigned long long)fp);
                }
                return -1;
        }
        if (ct == &c->t[RETL_REC_ROW]) {
                memset(rec, 0, sizeof(*rec));
                rec->type = RETL_REC_ROW;
                return decode_row(c, p + HEADER_LEN, len - HEADER_LEN, &rec->u.row, errstr,
                                  errstr_size);
        }
        d.rec = record_names[ct->type];
        /* avro-c allocates what lengths claim before reading: check them first */
        if (retl_avro_check(ct->check, p + HEADER_LEN, len - HEADER_LEN, why, sizeof(why))) {
                snprintf(errstr, errstr_size, "decoding %s: %s", d.rec, why);
                return -1;
        }
        avro_reader_memory_set_source(c->reader, (const char *)p + HEADER_LEN,
                                      (int64_t)(len - HEADER_LEN));
        if (avro_value_read(c->reader, &ct->value)) {
                snprintf(errstr, errstr_size, "decoding %s: %s", d.rec, avro_strerror());
                return -1;
        }
        memset(rec, 0, sizeof(*rec));
        rec->type = (enum retl_record_type)ct->type;
        decode_fields(c, &d, &ct->value, rec);
        return d.failed ? -1 : 0;
}
