/* retl sandbox — a fast reader of request bodies; see sbx_json_read.h. */
#include "sandbox/track/sbx_json_read.h"

#include "lib/mem.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* jansson allows 2,048 levels; deeper text is left to it. */
#define MAX_DEPTH 1000
/* Longer number tokens are left to jansson. */
#define NUMBER_MAX 128

struct reader {
        const unsigned char *p, *end;
        int depth;
        char *buf;      /* unescaped strings */
        size_t cap;
};

static json_t *read_value(struct reader *r);

static void skip_ws(struct reader *r)
{
        while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
                r->p++;
}

/* The length of the valid UTF-8 sequence (RFC 3629: no overlongs, no
 * surrogates, nothing past U+10FFFF) that starts at @p p with a byte of
 * 0x80 or more; 0 if it is not one. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
        unsigned c = p[0];
        uint32_t cp;
        size_t n;

        if (c >= 0xC2 && c <= 0xDF) {
                n = 2;
                cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
                n = 3;
                cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
                n = 4;
                cp = c & 0x07;
        } else {
                return 0;
        }
        if ((size_t)(end - p) < n)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((p[i] & 0xC0) != 0x80)
                        return 0;
                cp = cp << 6 | (p[i] & 0x3F);
        }
        if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
                return 0;
        return n;
}

static void put(struct reader *r, size_t *used, const void *s, size_t n)
{
        if (!n)
                return;
        if (*used + n > r->cap) {
                r->cap = (*used + n) * 2 + 64;
                r->buf = retl_realloc(r->buf, r->cap);
        }
        memcpy(r->buf + *used, s, n);
        *used += n;
}

/* Four hex digits at p; -1 if they are not. */
static long hex4(const unsigned char *p, const unsigned char *end)
{
        long v = 0;

        if (end - p < 4)
                return -1;
        for (int i = 0; i < 4; i++) {
                unsigned c = p[i];

                v <<= 4;
                if (c >= '0' && c <= '9')
                        v |= c - '0';
                else if (c >= 'a' && c <= 'f')
                        v |= c - 'a' + 10;
                else if (c >= 'A' && c <= 'F')
                        v |= c - 'A' + 10;
                else
                        return -1;
        }
        return v;
}

/* The escape after a backslash at r->p, appended to the buffer; r->p moves
 * past it. @returns 0, or -1 (left to jansson: bad escapes, NUL, lone
 * surrogates). */
static int unescape(struct reader *r, size_t *used)
{
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        const char *e;
        long cp, lo;
        unsigned char u[4];
        size_t n;

        if (r->p >= r->end)
                return -1;
        if (*r->p != 'u') {
                e = memchr(from, *r->p, sizeof(from) - 1);
                if (!e)
                        return -1;
                put(r, used, &to[e - from], 1);
                r->p++;
                return 0;
        }
        cp = hex4(r->p + 1, r->end);
        r->p += 5;
        if (cp <= 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
                return -1;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u')
                        return -1;
                lo = hex4(r->p + 2, r->end);
                if (lo < 0xDC00 || lo > 0xDFFF)
                        return -1;
                r->p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        if (cp < 0x80) {
                u[0] = (unsigned char)cp;
                n = 1;
        } else if (cp < 0x800) {
                u[0] = (unsigned char)(0xC0 | cp >> 6);
                u[1] = (unsigned char)(0x80 | (cp & 0x3F));
                n = 2;
        } else if (cp < 0x10000) {
                u[0] = (unsigned char)(0xE0 | cp >> 12);
                u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
                u[2] = (unsigned char)(0x80 | (cp & 0x3F));
                n = 3;
        } else {
                u[0] = (unsigned char)(0xF0 | cp >> 18);
                u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
                u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
                u[3] = (unsigned char)(0x80 | (cp & 0x3F));
                n = 4;
        }
        put(r, used, u, n);
        return 0;
}

/* The string whose opening quote r->p is on: *s and *len point into the
 * text when it has no escapes, else into r->buf (valid until the next
 * string). @returns 0 or -1. */
static int read_string(struct reader *r, const char **s, size_t *len)
{
        const unsigned char *start = ++r->p;
        size_t used = 0;
        int escaped = 0;

        while (r->p < r->end) {
                unsigned c = *r->p;
                size_t n;

                if (c == '"') {
                        if (escaped) {
                                put(r, &used, start, (size_t)(r->p - start));
                                *s = r->buf;
                                *len = used;
                        } else {
                                *s = (const char *)start;
                                *len = (size_t)(r->p - start);
                        }
                        r->p++;
                        return 0;
                }
                if (c == '\\') {
                        /* what came before goes to the buffer first */
                        put(r, &used, start, (size_t)(r->p - start));
                        r->p++;
                        if (unescape(r, &used))
                                return -1;
                        start = r->p;
                        escaped = 1;
                        continue;
                }
                if (c < 0x20)
                        return -1;
                if (c < 0x80) {
                        r->p++;
                        continue;
                }
                n = utf8_len(r->p, r->end);
                if (!n)
                        return -1;
                r->p += n;
        }
        return -1;
}

static int is_digit(const unsigned char *p, const unsigned char *end)
{
        return p < end && *p >= '0' && *p <= '9';
}

static json_t *read_number(struct reader *r)
{
        const unsigned char *p = r->p, *end = r->end;
        char tok[NUMBER_MAX];
        int real = 0;
        size_t n;

        if (*p == '-')
                p++;
        if (!is_digit(p, end))
                return NULL;
        if (*p == '0') {
                p++;
                if (is_digit(p, end))
                        return NULL;
        } else {
                while (is_digit(p, end))
                        p++;
        }
        if (p < end && *p == '.') {
                real = 1;
                p++;
                if (!is_digit(p, end))
                        return NULL;
                while (is_digit(p, end))
                        p++;
        }
        if (p < end && (*p == 'e' || *p == 'E')) {
                real = 1;
                p++;
                if (p < end && (*p == '+' || *p == '-'))
                        p++;
                if (!is_digit(p, end))
                        return NULL;
                while (is_digit(p, end))
                        p++;
        }
        n = (size_t)(p - r->p);
        if (n >= sizeof(tok))
                return NULL;
        memcpy(tok, r->p, n);
        tok[n] = '\0';
        r->p = p;
        errno = 0;
        if (!real) {
                long long v = strtoll(tok, NULL, 10);

                return errno == ERANGE ? NULL : json_integer((json_int_t)v);
        } else {
                double d = strtod(tok, NULL);

                /* overflow is an error to jansson; underflow is not */
                return errno == ERANGE && isinf(d) ? NULL : json_real(d);
        }
}

static int literal(struct reader *r, const char *word, size_t n)
{
        if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n))
                return -1;
        r->p += n;
        return 0;
}

static json_t *read_object(struct reader *r)
{
        json_t *obj = json_object();
        char small[256], *key = NULL;

        r->p++;
        skip_ws(r);
        if (r->p < r->end && *r->p == '}') {
                r->p++;
                return obj;
        }
        for (;;) {
                const char *k;
                size_t klen;
                json_t *v;

                skip_ws(r);
                if (r->p >= r->end || *r->p != '"' || read_string(r, &k, &klen))
                        goto fail;
                /* an unescaped key lives in r->buf, which the value reuses */
                if (k == r->buf) {
                        key = klen < sizeof(small) ? small : retl_malloc(klen);
                        memcpy(key, k, klen);
                        k = key;
                }
                skip_ws(r);
                if (r->p >= r->end || *r->p != ':')
                        goto fail;
                r->p++;
                v = read_value(r);
                if (!v || json_object_setn_new_nocheck(obj, k, klen, v))
                        goto fail;
                if (key && key != small)
                        free(key);
                key = NULL;
                skip_ws(r);
                if (r->p < r->end && *r->p == ',') {
                        r->p++;
                        continue;
                }
                if (r->p < r->end && *r->p == '}') {
                        r->p++;
                        return obj;
                }
                goto fail;
        }
fail:
        if (key && key != small)
                free(key);
        json_decref(obj);
        return NULL;
}

static json_t *read_array(struct reader *r)
{
        json_t *arr = json_array();

        r->p++;
        skip_ws(r);
        if (r->p < r->end && *r->p == ']') {
                r->p++;
                return arr;
        }
        for (;;) {
                json_t *v = read_value(r);

                if (!v || json_array_append_new(arr, v))
                        break;
                skip_ws(r);
                if (r->p < r->end && *r->p == ',') {
                        r->p++;
                        continue;
                }
                if (r->p < r->end && *r->p == ']') {
                        r->p++;
                        return arr;
                }
                break;
        }
        json_decref(arr);
        return NULL;
}

static json_t *read_value(struct reader *r)
{
        const char *s;
        size_t len;
        json_t *v;

        skip_ws(r);
        if (r->p >= r->end)
                return NULL;
        switch (*r->p) {
        case '{':
        case '[':
                if (++r->depth > MAX_DEPTH)
                        return NULL;
                v = *r->p == '{' ? read_object(r) : read_array(r);
                r->depth--;
                return v;
        case '"':
                return read_string(r, &s, &len) ? NULL : json_stringn_nocheck(s, len);
        case 't':
                return literal(r, "true", 4) ? NULL : json_true();
        case 'f':
                return literal(r, "false", 5) ? NULL : json_false();
        case 'n':
                return literal(r, "null", 4) ? NULL : json_null();
        default:
                return read_number(r);
        }
}

json_t *retl_sbx_json_read(const char *text, size_t len)
{
        struct reader r = {(const unsigned char *)text, (const unsigned char *)text + len, 0,
                           NULL, 0};
        json_t *root;

        skip_ws(&r);
        /* jansson decodes only an object or an array at the top */
        if (r.p >= r.end || (*r.p != '{' && *r.p != '['))
                return NULL;
        root = read_value(&r);
        free(r.buf);
        if (!root)
                return NULL;
        skip_ws(&r);
        if (r.p != r.end) {
                json_decref(root);
                return NULL;
        }
        return root;
}
