/* retl sandbox — a record's attributes kept frozen; see sbx_attrs.h. */
#include "sandbox/track/sbx_attrs.h"
#include "sandbox/track/sbx_arena.h"
#include "sandbox/track/sbx_rules.h"

#include "lib/mem.h"

#include <string.h>

#define DUMP_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(17))
/* Frozen text up to this size is dumped once, on the stack. */
#define STACK_DUMP 4096

/* Appends the compact dump of @p j at *pos of the growing buffer *buf
 * (capacity *cap; *buf may start as the caller's stack buffer @p stack). */
static void dump_into(const json_t *j, size_t flags, char **buf, size_t *cap, size_t *pos,
                      char *stack)
{
        size_t n = json_dumpb(j, *buf + *pos, *cap - *pos, flags);

        if (*pos + n > *cap) {
                size_t want = (*pos + n) * 2;
                char *grown = retl_malloc(want);

                memcpy(grown, *buf, *pos);
                if (*buf != stack)
                        free(*buf);
                *buf = grown;
                *cap = want;
                n = json_dumpb(j, *buf + *pos, *cap - *pos, flags);
        }
        *pos += n;
}

static void put_char(char c, char **buf, size_t *cap, size_t *pos, char *stack)
{
        if (*pos + 1 > *cap) {
                size_t want = *cap * 2;
                char *grown = retl_malloc(want);

                memcpy(grown, *buf, *pos);
                if (*buf != stack)
                        free(*buf);
                *buf = grown;
                *cap = want;
        }
        (*buf)[(*pos)++] = c;
}

/* Appends the object key @p k (@p len bytes, valid UTF-8: it was parsed)
 * as a JSON string, escaped as jansson's dump escapes. */
static void dump_key(const char *k, size_t len, char **buf, size_t *cap, size_t *pos,
                     char *stack)
{
        static const char hex[] = "0123456789ABCDEF";

        put_char('"', buf, cap, pos, stack);
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)k[i];
                const char *esc = NULL;

                switch (c) {
                case '"': esc = "\\\""; break;
                case '\\': esc = "\\\\"; break;
                case '\b': esc = "\\b"; break;
                case '\f': esc = "\\f"; break;
                case '\n': esc = "\\n"; break;
                case '\r': esc = "\\r"; break;
                case '\t': esc = "\\t"; break;
                default: break;
                }
                if (esc) {
                        put_char(esc[0], buf, cap, pos, stack);
                        put_char(esc[1], buf, cap, pos, stack);
                } else if (c < 0x20) {
                        put_char('\\', buf, cap, pos, stack);
                        put_char('u', buf, cap, pos, stack);
                        put_char('0', buf, cap, pos, stack);
                        put_char('0', buf, cap, pos, stack);
                        put_char(hex[c >> 4], buf, cap, pos, stack);
                        put_char(hex[c & 15], buf, cap, pos, stack);
                } else {
                        put_char((char)c, buf, cap, pos, stack);
                }
        }
        put_char('"', buf, cap, pos, stack);
}

/* The text in buf (pos bytes) as an exact-size string; frees buf. */
static char *finish(char *buf, size_t pos, char *stack)
{
        char *out = retl_malloc(pos + 1);

        memcpy(out, buf, pos);
        out[pos] = '\0';
        if (buf != stack)
                free(buf);
        return out;
}

char *retl_sbx_attrs_freeze(const json_t *obj)
{
        char stack[STACK_DUMP], *buf = stack;
        size_t cap = sizeof(stack), pos = 0;

        if (!json_is_object(obj))
                return retl_strdup("{}");
        dump_into(obj, DUMP_FLAGS, &buf, &cap, &pos, stack);
        return finish(buf, pos, stack);
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
        char stack[STACK_DUMP], *buf = stack;
        size_t cap = sizeof(stack), pos = 0;
        int first = 1;

        if (attrs && !json_is_object(attrs))
                return NULL;
        put_char('{', &buf, &cap, &pos, stack);
        /* members in the order sent, as a tree built from them would dump */
        for (void *it = json_object_iter((json_t *)attrs); it;
             it = json_object_iter_next((json_t *)attrs, it)) {
                const char *k = json_object_iter_key(it);
                json_t *v = json_object_iter_value(it);

                if ((person && retl_sbx_rules_person_key(k)) || retl_sbx_rules_is_removal(v))
                        continue;
                if (!first)
                        put_char(',', &buf, &cap, &pos, stack);
                first = 0;
                dump_key(k, json_object_iter_key_len(it), &buf, &cap, &pos, stack);
                put_char(':', &buf, &cap, &pos, stack);
                dump_into(v, DUMP_FLAGS | JSON_ENCODE_ANY, &buf, &cap, &pos, stack);
        }
        put_char('}', &buf, &cap, &pos, stack);
        return finish(buf, pos, stack);
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
