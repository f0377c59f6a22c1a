/* retl sandbox — a record's attributes kept frozen; see sbx_attrs.h. */
#include "sandbox/track/sbx_attrs.h"
#include "sandbox/track/sbx_arena.h"
#include "sandbox/track/sbx_rules.h"

#include "lib/mem.h"

#include <string.h>

#define DUMP_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(17))
/* Frozen text up to this size is written once, on the stack. */
#define STACK_DUMP 4096

/* The text being written: on the caller's stack until it outgrows it. */
struct out {
        char *buf;
        size_t cap, pos;
        char *stack;
};

static void out_room(struct out *o, size_t n)
{
        char *grown;

        if (o->pos + n <= o->cap)
                return;
        o->cap = (o->pos + n) * 2;
        grown = retl_malloc(o->cap);
        memcpy(grown, o->buf, o->pos);
        if (o->buf != o->stack)
                free(o->buf);
        o->buf = grown;
}

static void out_put(struct out *o, const char *s, size_t n)
{
        out_room(o, n);
        memcpy(o->buf + o->pos, s, n);
        o->pos += n;
}

static void out_char(struct out *o, char c)
{
        out_room(o, 1);
        o->buf[o->pos++] = c;
}

/* @p j as jansson's compact dump writes it. */
static void out_dump(struct out *o, const json_t *j, size_t flags)
{
        size_t n = json_dumpb(j, o->buf + o->pos, o->cap - o->pos, flags);

        if (o->pos + n > o->cap) {
                out_room(o, n);
                n = json_dumpb(j, o->buf + o->pos, o->cap - o->pos, flags);
        }
        o->pos += n;
}

/* The @p len bytes at @p s (valid UTF-8: they were parsed) as a JSON string,
 * escaped as jansson's dump escapes: runs of plain bytes copied at once. */
static void out_string(struct out *o, const char *s, size_t len)
{
        static const char hex[] = "0123456789ABCDEF";
        size_t run = 0;

        out_char(o, '"');
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)s[i];
                char esc[6] = {'\\', 0, '0', '0', 0, 0};
                size_t n = 2;

                if (c >= 0x20 && c != '"' && c != '\\')
                        continue;
                out_put(o, s + run, i - run);
                run = i + 1;
                switch (c) {
                case '"': esc[1] = '"'; break;
                case '\\': esc[1] = '\\'; break;
                case '\b': esc[1] = 'b'; break;
                case '\f': esc[1] = 'f'; break;
                case '\n': esc[1] = 'n'; break;
                case '\r': esc[1] = 'r'; break;
                case '\t': esc[1] = 't'; break;
                default:
                        esc[1] = 'u';
                        esc[4] = hex[c >> 4];
                        esc[5] = hex[c & 15];
                        n = 6;
                }
                out_put(o, esc, n);
        }
        out_put(o, s + run, len - run);
        out_char(o, '"');
}

static void out_integer(struct out *o, json_int_t v)
{
        char digits[24], *p = digits + sizeof(digits);
        /* through unsigned: INT64_MIN has no positive counterpart */
        unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

        do {
                *--p = (char)('0' + u % 10);
                u /= 10;
        } while (u);
        if (v < 0)
                *--p = '-';
        out_put(o, p, (size_t)(digits + sizeof(digits) - p));
}

/* A member's value: scalars written here, the rest by jansson. */
static void out_value(struct out *o, const json_t *v)
{
        switch (json_typeof(v)) {
        case JSON_STRING:
                out_string(o, json_string_value(v), json_string_length(v));
                break;
        case JSON_INTEGER:
                out_integer(o, json_integer_value(v));
                break;
        case JSON_TRUE:
                out_put(o, "true", 4);
                break;
        case JSON_FALSE:
                out_put(o, "false", 5);
                break;
        case JSON_NULL:
                out_put(o, "null", 4);
                break;
        default:
                out_dump(o, v, DUMP_FLAGS | JSON_ENCODE_ANY);
        }
}

/* The text as an exact-size string. */
static char *out_finish(struct out *o)
{
        char *text = retl_malloc(o->pos + 1);

        memcpy(text, o->buf, o->pos);
        text[o->pos] = '\0';
        if (o->buf != o->stack)
                free(o->buf);
        return text;
}

char *retl_sbx_attrs_freeze(const json_t *obj)
{
        char stack[STACK_DUMP];
        struct out o = {stack, sizeof(stack), 0, stack};

        if (!json_is_object(obj))
                return retl_strdup("{}");
        out_dump(&o, obj, DUMP_FLAGS);
        return out_finish(&o);
}

json_t *retl_sbx_attrs_thaw(const char *frozen)
{
        json_t *j = frozen ? json_loads(frozen, JSON_ALLOW_NUL, NULL) : NULL;

        if (j && !json_is_object(j)) {
                json_decref(j);
                j = NULL;
        }
        return j ? j : json_object();
}

char *retl_sbx_attrs_prepare(const json_t *attrs, int person)
{
        char stack[STACK_DUMP];
        struct out o = {stack, sizeof(stack), 0, stack};
        int first = 1;

        if (attrs && !json_is_object(attrs))
                return NULL;
        out_char(&o, '{');
        /* members in the order sent, as a tree built from them would dump */
        for (void *it = json_object_iter((json_t *)attrs); it;
             it = json_object_iter_next((json_t *)attrs, it)) {
                const char *k = json_object_iter_key(it);
                json_t *v = json_object_iter_value(it);

                if ((person && retl_sbx_rules_person_key(k)) || retl_sbx_rules_is_removal(v))
                        continue;
                if (!first)
                        out_char(&o, ',');
                first = 0;
                out_string(&o, k, json_object_iter_key_len(it));
                out_char(&o, ':');
                out_value(&o, v);
        }
        out_char(&o, '}');
        return out_finish(&o);
}

void retl_sbx_attrs_merge(char **frozen, json_t *src, int person,
                          struct retl_sbx_arena *scratch)
{
        struct retl_sbx_arena *prev;
        json_t *cur;

        if (!src || !json_object_size(src))
                return;
        /* the thawed tree and the copies merged into it die here: a bump
         * allocator, not ~25 malloc/free pairs per update */
        prev = retl_sbx_arena_swap(scratch);
        cur = retl_sbx_attrs_thaw(*frozen);
        if (retl_sbx_rules_merge_attrs(cur, src, person)) {
                free(*frozen);
                *frozen = retl_sbx_attrs_freeze(cur);   /* malloc'd: not the arena's */
        }
        json_decref(cur);
        retl_sbx_arena_swap(prev);
        if (scratch)
                retl_sbx_arena_reset(scratch);
}

void retl_sbx_attrs_take(char **frozen, json_t *attrs)
{
        if (!attrs)
                return;
        free(*frozen);
        *frozen = retl_sbx_attrs_freeze(attrs);
        json_decref(attrs);
}
