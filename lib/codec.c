/* retl — the Avro codec, see codec.h: its life (schemas, fingerprints,
 * earlier versions), and encoding and decoding dispatched by record type.
 *
 * Built on avro-c's generic values (codec_fields.c): one reusable value per
 * record type, so encoding a record allocates little; Row, written and read
 * a million times a run, in Avro's binary encoding directly (codec_row.c). */
#include "codec_int.h"
#include "avro_fp.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


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
                return retl_codec_encode_row(&rec->u.row, c->t[RETL_REC_ROW].header, out,
                                             errstr, errstr_size);
        if (rec->type == RETL_REC_ROW_STATE)
                return retl_codec_encode_row_state(&rec->u.row_state,
                                                   c->t[RETL_REC_ROW_STATE].header, out, errstr,
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
        retl_codec_encode_fields(&e, &ct->value, rec);
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
                return retl_codec_decode_row(c, p + HEADER_LEN, len - HEADER_LEN, &rec->u.row,
                                             errstr, errstr_size);
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
        retl_codec_decode_fields(c, &d, &ct->value, rec);
        return d.failed ? -1 : 0;
}
