/* retl — Row, the record a run writes and an uploader reads a million
 * times, in Avro's binary encoding without avro-c: written (the extractor)
 * and read (the uploaders) directly; RowState written directly too. */
#include "codec_int.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int retl_codec_encode_row(const struct retl_row *x, const unsigned char *header,
                          struct retl_buf *out, char *errstr, size_t errstr_size)
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

/* RowState, which the uploader writes once for every row it sends: two
 * longs, written the same way. */
int retl_codec_encode_row_state(const struct retl_row_state *x, const unsigned char *header,
                                struct retl_buf *out, char *errstr, size_t errstr_size)
{
        retl_buf_reset(out);
        if (retl_buf_append(out, header, HEADER_LEN) || put_long(out, x->generation) ||
            put_long(out, x->fingerprint)) {
                snprintf(errstr, errstr_size, "encoding RowState: record too large");
                return -1;
        }
        return 0;
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

int retl_codec_decode_row(struct retl_codec *c, const unsigned char *body, size_t len,
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
                        /* a block with its size in bytes, which we do not need;
                         * the smallest long has no positive count */
                        if (count == INT64_MIN)
                                goto bad;
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
