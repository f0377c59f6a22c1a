/* retl — Avro binary data checked against its schema, see avro_check.h. */
#include "avro_check.h"

#include <stdint.h>
#include <stdio.h>

/* Schemas nest records in unions in arrays...; ours go 4 deep. A bound
 * keeps a recursive schema from recursing without end on crafted data. */
#define MAX_DEPTH 64

struct walk {
        const unsigned char *start, *p, *end;
        char *err;
        size_t errsize;
};

static int fail(struct walk *w, const char *why)
{
        snprintf(w->err, w->errsize, "corrupt Avro data at byte %zu: %s",
                 (size_t)(w->p - w->start), why);
        return -1;
}

/* A zig-zag varint, as Avro writes int and long. */
static int read_long(struct walk *w, int64_t *v)
{
        uint64_t u = 0;

        for (int shift = 0; shift < 70; shift += 7) {
                unsigned char b;

                if (w->p == w->end)
                        return fail(w, "truncated number");
                b = *w->p++;
                u |= (uint64_t)(b & 0x7F) << shift;
                if (!(b & 0x80)) {
                        *v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
                        return 0;
                }
        }
        return fail(w, "number longer than 10 bytes");
}

static int skip(struct walk *w, int64_t n, const char *what)
{
        if (n < 0 || (uint64_t)n > (size_t)(w->end - w->p))
                return fail(w, what);
        w->p += n;
        return 0;
}

static int check_value(struct walk *w, avro_schema_t s, int depth);

/* Arrays and maps: blocks of items, a negative count being followed by the
 * block's size in bytes, a zero count ending the list. */
static int check_blocks(struct walk *w, avro_schema_t items, int is_map, int depth)
{
        for (;;) {
                int64_t count, size;

                if (read_long(w, &count))
                        return -1;
                if (!count)
                        return 0;
                if (count < 0) {
                        if (count == INT64_MIN)
                                return fail(w, "bad item count");
                        count = -count;
                        if (read_long(w, &size) || size < 0)
                                return size < 0 ? fail(w, "bad block size") : -1;
                }
                /* every item of a non-empty type takes at least a byte; a
                 * count past what is left would only make avro-c loop */
                if ((uint64_t)count > (size_t)(w->end - w->p))
                        return fail(w, "more items than bytes left");
                for (int64_t i = 0; i < count; i++) {
                        int64_t klen;

                        if (is_map && (read_long(w, &klen) || skip(w, klen, "bad key length")))
                                return -1;
                        if (check_value(w, items, depth + 1))
                                return -1;
                }
        }
}

static int check_value(struct walk *w, avro_schema_t s, int depth)
{
        int64_t n;

        if (depth > MAX_DEPTH)
                return fail(w, "nested too deep");
        switch (avro_typeof(s)) {
        case AVRO_NULL:
                return 0;
        case AVRO_BOOLEAN:
                return skip(w, 1, "truncated boolean");
        case AVRO_INT32:
        case AVRO_INT64:
                return read_long(w, &n);
        case AVRO_FLOAT:
                return skip(w, 4, "truncated float");
        case AVRO_DOUBLE:
                return skip(w, 8, "truncated double");
        case AVRO_STRING:
        case AVRO_BYTES:
                return read_long(w, &n) ? -1 : skip(w, n, "bad length");
        case AVRO_FIXED:
                return skip(w, avro_schema_fixed_size(s), "truncated fixed");
        case AVRO_ENUM:
                if (read_long(w, &n))
                        return -1;
                if (n < 0 || n >= avro_schema_enum_number_of_symbols(s))
                        return fail(w, "no such enum symbol");
                return 0;
        case AVRO_UNION:
                if (read_long(w, &n))
                        return -1;
                if (n < 0 || (uint64_t)n >= avro_schema_union_size(s))
                        return fail(w, "no such union branch");
                return check_value(w, avro_schema_union_branch(s, (int)n), depth + 1);
        case AVRO_RECORD:
                for (size_t i = 0; i < avro_schema_record_size(s); i++)
                        if (check_value(w, avro_schema_record_field_get_by_index(s, (int)i),
                                        depth + 1))
                                return -1;
                return 0;
        case AVRO_ARRAY:
                return check_blocks(w, avro_schema_array_items(s), 0, depth);
        case AVRO_MAP:
                return check_blocks(w, avro_schema_map_values(s), 1, depth);
        case AVRO_LINK:
                return check_value(w, avro_schema_link_target(s), depth + 1);
        }
        return fail(w, "unknown schema type");
}

int retl_avro_check(avro_schema_t schema, const void *data, size_t len, char *errstr,
                    size_t errstr_size)
{
        struct walk w = {data, data, (const unsigned char *)data + len, errstr, errstr_size};

        return check_value(&w, schema, 0);
}
