/* retl — Avro Parsing Canonical Form and CRC-64-AVRO, see avro_fp.h.
 *
 * The canonical form, per the specification: primitives in simple form,
 * full names, only the attributes name, type, fields, symbols, items,
 * values, size — in that order — no whitespace, strings unescaped to UTF-8,
 * integers bare. doc, aliases, default, order, namespace and logicalType
 * are dropped. */
#include "avro_fp.h"
#include "buf.h"
#include "mem.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CRC64_EMPTY 0xc15d213aa4d7a795ULL

uint64_t retl_avro_crc64(const void *data, size_t len)
{
        static uint64_t table[256];
        static int ready;
        const unsigned char *p = data;
        uint64_t fp = CRC64_EMPTY;

        if (!ready) { /* idempotent: racing threads compute the same table */
                for (int i = 0; i < 256; i++) {
                        uint64_t f = (uint64_t)i;
                        for (int j = 0; j < 8; j++)
                                f = (f >> 1) ^ (CRC64_EMPTY & (0 - (f & 1)));
                        table[i] = f;
                }
                ready = 1;
        }
        for (size_t i = 0; i < len; i++)
                fp = (fp >> 8) ^ table[(fp ^ p[i]) & 0xff];
        return fp;
}

static const char *const primitives[] = {"null", "boolean", "int", "long", "float",
                                         "double", "bytes", "string", NULL};

static int is_primitive(const char *s)
{
        for (int i = 0; primitives[i]; i++)
                if (!strcmp(primitives[i], s))
                        return 1;
        return 0;
}

struct canon {
        struct retl_buf out;
        char *err;
        size_t errsize;
        int failed;
};

static void fail(struct canon *c, const char *msg, const char *what)
{
        if (!c->failed)
                snprintf(c->err, c->errsize, "%s%s%s", msg, what ? ": " : "", what ? what : "");
        c->failed = 1;
}

static void put(struct canon *c, const char *s)
{
        if (retl_buf_puts(&c->out, s))
                fail(c, "schema too large", NULL);
}

/* A JSON string with only the escapes JSON requires. */
static void put_string(struct canon *c, const char *s)
{
        put(c, "\"");
        for (; *s; s++) {
                char esc[8];
                if (*s == '"' || *s == '\\') {
                        esc[0] = '\\'; esc[1] = *s; esc[2] = 0;
                        put(c, esc);
                } else if ((unsigned char)*s < 0x20) {
                        snprintf(esc, sizeof(esc), "\\u%04x", (unsigned char)*s);
                        put(c, esc);
                } else {
                        esc[0] = *s; esc[1] = 0;
                        put(c, esc);
                }
        }
        put(c, "\"");
}

/* The full name of @p name in namespace @p ns; free() it. */
static char *fullname(const char *name, const char *ns)
{
        if (strchr(name, '.') || !ns || !*ns)
                return retl_strdup(name);
        return retl_asprintf("%s.%s", ns, name);
}

static void canon_schema(struct canon *c, json_t *s, const char *ns);

static void canon_named_ref(struct canon *c, const char *name, const char *ns)
{
        if (is_primitive(name)) {
                put_string(c, name);
        } else {
                char *fn = fullname(name, ns);
                put_string(c, fn);
                free(fn);
        }
}

static void canon_schema(struct canon *c, json_t *s, const char *ns)
{
        if (c->failed)
                return;
        if (json_is_string(s)) {
                canon_named_ref(c, json_string_value(s), ns);
        } else if (json_is_array(s)) {
                size_t i;
                json_t *b;
                put(c, "[");
                json_array_foreach(s, i, b) {
                        if (i)
                                put(c, ",");
                        canon_schema(c, b, ns);
                }
                put(c, "]");
        } else if (json_is_object(s)) {
                json_t *type = json_object_get(s, "type");
                const char *t = json_string_value(type);
                json_t *name = json_object_get(s, "name");
                json_t *nsj = json_object_get(s, "namespace");
                char *fn = NULL, *newns = NULL;

                if (!type) {
                        fail(c, "schema object without \"type\"", NULL);
                        return;
                }
                if (!t) { /* {"type": {...}} or {"type": [...]} */
                        canon_schema(c, type, ns);
                        return;
                }
                if (is_primitive(t)) {
                        put_string(c, t);
                        return;
                }
                if (!strcmp(t, "record") || !strcmp(t, "error") || !strcmp(t, "enum") ||
                    !strcmp(t, "fixed")) {
                        if (!json_is_string(name)) {
                                fail(c, "named type without a name", t);
                                return;
                        }
                        if (strchr(json_string_value(name), '.'))
                                fn = retl_strdup(json_string_value(name));
                        else
                                fn = fullname(json_string_value(name),
                                              json_is_string(nsj) ? json_string_value(nsj) : ns);
                        /* the namespace of enclosed names is the full name's */
                        newns = retl_strdup(fn);
                        if (strrchr(newns, '.'))
                                *strrchr(newns, '.') = '\0';
                        else
                                newns[0] = '\0';
                        put(c, "{\"name\":");
                        put_string(c, fn);
                        put(c, ",\"type\":");
                        put_string(c, !strcmp(t, "error") ? "record" : t);
                        if (!strcmp(t, "record") || !strcmp(t, "error")) {
                                json_t *fields = json_object_get(s, "fields"), *f;
                                size_t i;
                                if (!json_is_array(fields)) {
                                        fail(c, "record without fields", fn);
                                } else {
                                        put(c, ",\"fields\":[");
                                        json_array_foreach(fields, i, f) {
                                                json_t *fname = json_object_get(f, "name");
                                                if (!json_is_string(fname)) {
                                                        fail(c, "field without a name", fn);
                                                        break;
                                                }
                                                if (i)
                                                        put(c, ",");
                                                put(c, "{\"name\":");
                                                put_string(c, json_string_value(fname));
                                                put(c, ",\"type\":");
                                                canon_schema(c, json_object_get(f, "type"), newns);
                                                put(c, "}");
                                        }
                                        put(c, "]");
                                }
                        } else if (!strcmp(t, "enum")) {
                                json_t *syms = json_object_get(s, "symbols"), *sym;
                                size_t i;
                                put(c, ",\"symbols\":[");
                                json_array_foreach(syms, i, sym) {
                                        if (i)
                                                put(c, ",");
                                        put_string(c, json_string_value(sym) ? json_string_value(sym) : "");
                                }
                                put(c, "]");
                        } else {
                                json_t *size = json_object_get(s, "size");
                                char num[32];
                                long long v = json_is_integer(size) ? json_integer_value(size)
                                              : json_is_string(size) ? atoll(json_string_value(size)) : -1;
                                if (v < 0) {
                                        fail(c, "fixed without a size", fn);
                                } else {
                                        snprintf(num, sizeof(num), ",\"size\":%lld", v);
                                        put(c, num);
                                }
                        }
                        put(c, "}");
                        free(fn);
                        free(newns);
                } else if (!strcmp(t, "array")) {
                        put(c, "{\"type\":\"array\",\"items\":");
                        canon_schema(c, json_object_get(s, "items"), ns);
                        put(c, "}");
                } else if (!strcmp(t, "map")) {
                        put(c, "{\"type\":\"map\",\"values\":");
                        canon_schema(c, json_object_get(s, "values"), ns);
                        put(c, "}");
                } else {
                        /* a reference to a named type, written as {"type": "Name"} */
                        canon_named_ref(c, t, ns);
                }
        } else {
                fail(c, "not a schema", NULL);
        }
}

char *retl_avro_canonical(const char *schema_json, char *errstr, size_t errstr_size)
{
        struct canon c = {.err = errstr, .errsize = errstr_size, .failed = 0};
        json_error_t jerr;
        json_t *root = json_loads(schema_json, JSON_DECODE_ANY, &jerr);

        if (!root) {
                snprintf(errstr, errstr_size, "schema is not JSON: line %d: %s", jerr.line,
                         jerr.text);
                return NULL;
        }
        retl_buf_init(&c.out, 1 << 20);
        canon_schema(&c, root, "");
        json_decref(root);
        if (c.failed) {
                retl_buf_free(&c.out);
                return NULL;
        }
        return retl_buf_take(&c.out, NULL);
}

int retl_avro_fingerprint(const char *schema_json, uint64_t *fp, char *errstr,
                          size_t errstr_size)
{
        char *canon = retl_avro_canonical(schema_json, errstr, errstr_size);
        if (!canon)
                return -1;
        *fp = retl_avro_crc64(canon, strlen(canon));
        free(canon);
        return 0;
}
