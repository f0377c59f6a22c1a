/* retl — Avro binary data checked against its schema, see avro_check.h. */
#include "avro_check.h"
#include "mem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Ours nest 4 deep; the bound refuses recursive schemas. */
#define MAX_DEPTH 64

/* One schema node; its children (record fields, union branches, array
 * items, map values) are kids[n_child .. n_child + n_kids). */
struct node {
        avro_type_t n_type;
        int64_t n_size;         /* fixed: bytes; enum: symbols */
        size_t n_child;
        size_t n_kids;
};

struct retl_avro_check {
        struct node *nodes;
        size_t nnodes, nodes_cap;
        size_t *kids;
        size_t nkids, kids_cap;
};

/* ------------------------------------------------------------------ */
/* Flattening                                                          */

static size_t add_kids(struct retl_avro_check *chk, size_t n)
{
        size_t at = chk->nkids;

        if (chk->nkids + n > chk->kids_cap) {
                chk->kids_cap = (chk->nkids + n) * 2;
                chk->kids = retl_realloc(chk->kids, chk->kids_cap * sizeof(*chk->kids));
        }
        chk->nkids += n;
        return at;
}

/* @returns the node's index, or -1 (SIZE_MAX) when nested too deep. */
static size_t flatten(struct retl_avro_check *chk, avro_schema_t s, int depth)
{
        avro_type_t type;
        size_t idx, n = 0, at;

        if (depth > MAX_DEPTH)
                return SIZE_MAX;
        type = avro_typeof(s);
        if (type == AVRO_LINK)
                return flatten(chk, avro_schema_link_target(s), depth + 1);
        if (chk->nnodes == chk->nodes_cap) {
                chk->nodes_cap = chk->nodes_cap ? 2 * chk->nodes_cap : 32;
                chk->nodes = retl_realloc(chk->nodes, chk->nodes_cap * sizeof(*chk->nodes));
        }
        idx = chk->nnodes++;
        chk->nodes[idx] = (struct node){.n_type = type};
        if (type == AVRO_FIXED)
                chk->nodes[idx].n_size = avro_schema_fixed_size(s);
        else if (type == AVRO_ENUM)
                chk->nodes[idx].n_size = avro_schema_enum_number_of_symbols(s);
        else if (type == AVRO_RECORD)
                n = avro_schema_record_size(s);
        else if (type == AVRO_UNION)
                n = avro_schema_union_size(s);
        else if (type == AVRO_ARRAY || type == AVRO_MAP)
                n = 1;
        at = add_kids(chk, n);
        chk->nodes[idx].n_child = at;
        chk->nodes[idx].n_kids = n;
        for (size_t i = 0; i < n; i++) {
                avro_schema_t k = type == AVRO_RECORD
                                          ? avro_schema_record_field_get_by_index(s, (int)i)
                                  : type == AVRO_UNION ? avro_schema_union_branch(s, (int)i)
                                  : type == AVRO_ARRAY ? avro_schema_array_items(s)
                                                       : avro_schema_map_values(s);
                size_t c = flatten(chk, k, depth + 1);

                if (c == SIZE_MAX)
                        return SIZE_MAX;
                chk->kids[at + i] = c;
        }
        return idx;
}

struct retl_avro_check *retl_avro_check_new(avro_schema_t schema, char *errstr,
                                            size_t errstr_size)
{
        struct retl_avro_check *chk = retl_calloc(1, sizeof(*chk));

        if (flatten(chk, schema, 0) == SIZE_MAX) {
                snprintf(errstr, errstr_size, "schema nested over %d deep (recursive?)",
                         MAX_DEPTH);
                retl_avro_check_destroy(chk);
                return NULL;
        }
        return chk;
}

void retl_avro_check_destroy(struct retl_avro_check *chk)
{
        if (!chk)
                return;
        free(chk->nodes);
        free(chk->kids);
        free(chk);
}

/* ------------------------------------------------------------------ */
/* Checking                                                            */

struct walk {
        const struct retl_avro_check *chk;
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

static int check_value(struct walk *w, size_t idx);

/* Arrays and maps: blocks of items, a negative count being followed by the
 * block's size in bytes, a zero count ending the list. */
static int check_blocks(struct walk *w, size_t items, int is_map)
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
                        if (read_long(w, &size))
                                return -1;
                        if (size < 0)
                                return fail(w, "bad block size");
                }
                /* every item of our schemas takes a byte or more; a count
                 * past what is left would only make avro-c loop */
                if ((uint64_t)count > (size_t)(w->end - w->p))
                        return fail(w, "more items than bytes left");
                for (int64_t i = 0; i < count; i++) {
                        int64_t klen;

                        if (is_map && (read_long(w, &klen) || skip(w, klen, "bad key length")))
                                return -1;
                        if (check_value(w, items))
                                return -1;
                }
        }
}

static int check_value(struct walk *w, size_t idx)
{
        const struct node *nd = &w->chk->nodes[idx];
        const size_t *kids = w->chk->kids + nd->n_child;
        int64_t n;

        switch (nd->n_type) {
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
                return skip(w, nd->n_size, "truncated fixed");
        case AVRO_ENUM:
                if (read_long(w, &n))
                        return -1;
                return n < 0 || n >= nd->n_size ? fail(w, "no such enum symbol") : 0;
        case AVRO_UNION:
                if (read_long(w, &n))
                        return -1;
                if (n < 0 || (uint64_t)n >= nd->n_kids)
                        return fail(w, "no such union branch");
                return check_value(w, kids[n]);
        case AVRO_RECORD:
                for (size_t i = 0; i < nd->n_kids; i++)
                        if (check_value(w, kids[i]))
                                return -1;
                return 0;
        case AVRO_ARRAY:
        case AVRO_MAP:
                return check_blocks(w, kids[0], nd->n_type == AVRO_MAP);
        case AVRO_LINK:
                break; /* resolved when flattened */
        }
        return fail(w, "unknown schema type");
}

int retl_avro_check(const struct retl_avro_check *chk, const void *data, size_t len,
                    char *errstr, size_t errstr_size)
{
        struct walk w = {chk, data, data, (const unsigned char *)data + len, errstr, errstr_size};

        return check_value(&w, 0);
}
