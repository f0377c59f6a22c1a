/* retl — the uploaders' checkpoint, see checkpoint.h. */
#include "checkpoint.h"
#include "buf.h"
#include "mem.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "retl1"

void retl_checkpoint_init(struct retl_checkpoint *cp)
{
        memset(cp, 0, sizeof(*cp));
        cp->run_offset = -1;
}

void retl_checkpoint_free(struct retl_checkpoint *cp)
{
        for (size_t i = 0; i < cp->nsyncs; i++)
                free(cp->syncs[i].name);
        free(cp->syncs);
        retl_checkpoint_init(cp);
}

void retl_checkpoint_copy(struct retl_checkpoint *dst, const struct retl_checkpoint *src)
{
        retl_checkpoint_init(dst);
        dst->run_offset = src->run_offset;
        dst->run_rows = src->run_rows;
        dst->run_imported = src->run_imported;
        dst->run_failed = src->run_failed;
        dst->run_suppressed = src->run_suppressed;
        dst->run_unchanged = src->run_unchanged;
        for (size_t i = 0; i < src->nsyncs; i++) {
                retl_checkpoint_set(dst, src->syncs[i].name, src->syncs[i].last_sync_time);
                dst->syncs[i].segment = src->syncs[i].segment;
                dst->syncs[i].segment_hash = src->syncs[i].segment_hash;
        }
}

int64_t retl_checkpoint_get(const struct retl_checkpoint *cp, const char *sync)
{
        for (size_t i = 0; i < cp->nsyncs; i++)
                if (!strcmp(cp->syncs[i].name, sync))
                        return cp->syncs[i].last_sync_time;
        return 0;
}

/* The entry of @p sync, added (last_sync_time 0) when it has none. */
static struct retl_checkpoint_sync *entry_of(struct retl_checkpoint *cp, const char *sync)
{
        struct retl_checkpoint_sync *e;

        for (size_t i = 0; i < cp->nsyncs; i++)
                if (!strcmp(cp->syncs[i].name, sync))
                        return &cp->syncs[i];
        cp->syncs = retl_realloc(cp->syncs, (cp->nsyncs + 1) * sizeof(*cp->syncs));
        e = &cp->syncs[cp->nsyncs++];
        memset(e, 0, sizeof(*e));
        e->name = retl_strdup(sync);
        return e;
}

void retl_checkpoint_set(struct retl_checkpoint *cp, const char *sync, int64_t last_sync_time)
{
        entry_of(cp, sync)->last_sync_time = last_sync_time;
}

uint32_t retl_checkpoint_name_hash(const char *name)
{
        uint32_t h = 2166136261u;

        for (const unsigned char *p = (const unsigned char *)name; *p; p++)
                h = (h ^ *p) * 16777619u;
        return h;
}

int64_t retl_checkpoint_segment_get(const struct retl_checkpoint *cp, const char *sync,
                                    uint32_t hash)
{
        for (size_t i = 0; i < cp->nsyncs; i++)
                if (!strcmp(cp->syncs[i].name, sync))
                        return cp->syncs[i].segment_hash == hash ? cp->syncs[i].segment : 0;
        return 0;
}

void retl_checkpoint_segment_set(struct retl_checkpoint *cp, const char *sync, int64_t segment,
                                 uint32_t hash)
{
        struct retl_checkpoint_sync *e = entry_of(cp, sync);

        e->segment = segment;
        e->segment_hash = segment ? hash : 0;
}

int retl_checkpoint_remove(struct retl_checkpoint *cp, const char *sync)
{
        for (size_t i = 0; i < cp->nsyncs; i++)
                if (!strcmp(cp->syncs[i].name, sync)) {
                        free(cp->syncs[i].name);
                        memmove(&cp->syncs[i], &cp->syncs[i + 1],
                                (cp->nsyncs - i - 1) * sizeof(*cp->syncs));
                        cp->nsyncs--;
                        return 1;
                }
        return 0;
}

static int parse_i64(const char **p, const char *end, int64_t *v)
{
        char tmp[32];
        size_t n = 0;
        char *e;
        if (*p < end && **p == '-')
                tmp[n++] = *(*p)++;
        while (*p < end && isdigit((unsigned char)**p) && n < sizeof(tmp) - 1)
                tmp[n++] = *(*p)++;
        tmp[n] = '\0';
        if (!n || (n == 1 && tmp[0] == '-'))
                return -1;
        errno = 0;
        *v = strtoll(tmp, &e, 10);
        return errno || *e ? -1 : 0;
}

int retl_checkpoint_parse(struct retl_checkpoint *cp, const char *text, size_t len,
                          char *errstr, size_t errstr_size)
{
        const char *p = text, *end = text + len;

        retl_checkpoint_init(cp);
        if (!text || !len)
                return 0;
        if (len < sizeof(MAGIC) - 1 || memcmp(text, MAGIC, sizeof(MAGIC) - 1) ||
            (len > sizeof(MAGIC) - 1 && text[sizeof(MAGIC) - 1] != ' ')) {
                snprintf(errstr, errstr_size,
                         "committed offset metadata is not a retl checkpoint (\"%.40s\")", text);
                return -1;
        }
        p += sizeof(MAGIC) - 1;
        while (p < end) {
                if (*p == ' ') {
                        p++;
                        continue;
                }
                if (end - p > 4 && !memcmp(p, "run=", 4)) {
                        p += 4;
                        if (parse_i64(&p, end, &cp->run_offset) || p >= end || *p++ != ',' ||
                            parse_i64(&p, end, &cp->run_rows) || p >= end || *p++ != ',' ||
                            parse_i64(&p, end, &cp->run_imported) || p >= end || *p++ != ',' ||
                            parse_i64(&p, end, &cp->run_failed))
                                goto bad;
                        if (p < end && *p == ',' &&
                            (++p, parse_i64(&p, end, &cp->run_suppressed)))
                                goto bad;
                        if (p < end && *p == ',' &&
                            (++p, parse_i64(&p, end, &cp->run_unchanged)))
                                goto bad;
                } else if (end - p > 2 && !memcmp(p, "s=", 2)) {
                        const char *name = p + 2, *colon;
                        int64_t v, seg = 0, hash = 0;
                        char *n;
                        p = name;
                        while (p < end && *p != ':' && *p != ' ')
                                p++;
                        if (p >= end || *p != ':' || p == name)
                                goto bad;
                        colon = p++;
                        if (parse_i64(&p, end, &v))
                                goto bad;
                        if (p < end && *p == ',' &&
                            (++p, parse_i64(&p, end, &seg) || seg <= 0 || p >= end ||
                                  *p++ != ',' || parse_i64(&p, end, &hash) || hash < 0 ||
                                  hash > UINT32_MAX))
                                goto bad;
                        n = retl_strndup(name, (size_t)(colon - name));
                        retl_checkpoint_set(cp, n, v);
                        retl_checkpoint_segment_set(cp, n, seg, (uint32_t)hash);
                        free(n);
                } else {
                        goto bad;
                }
                if (p < end && *p != ' ')
                        goto bad;
        }
        return 0;
bad:
        snprintf(errstr, errstr_size, "bad retl checkpoint at byte %zu: \"%.60s\"",
                 (size_t)(p - text), text);
        retl_checkpoint_free(cp);
        return -1;
}

char *retl_checkpoint_format(const struct retl_checkpoint *cp, char *errstr, size_t errstr_size)
{
        struct retl_buf b;
        int err = 0;

        retl_buf_init(&b, RETL_CHECKPOINT_MAX);
        err |= retl_buf_puts(&b, MAGIC);
        if (cp->run_offset >= 0)
                err |= retl_buf_printf(&b, " run=%lld,%lld,%lld,%lld", (long long)cp->run_offset,
                                       (long long)cp->run_rows, (long long)cp->run_imported,
                                       (long long)cp->run_failed);
        if (cp->run_offset >= 0 && (cp->run_suppressed || cp->run_unchanged))
                err |= retl_buf_printf(&b, ",%lld", (long long)cp->run_suppressed);
        if (cp->run_offset >= 0 && cp->run_unchanged)
                err |= retl_buf_printf(&b, ",%lld", (long long)cp->run_unchanged);
        for (size_t i = 0; i < cp->nsyncs && !err; i++) {
                err |= retl_buf_printf(&b, " s=%s:%lld", cp->syncs[i].name,
                                       (long long)cp->syncs[i].last_sync_time);
                if (cp->syncs[i].segment)
                        err |= retl_buf_printf(&b, ",%lld,%lu",
                                               (long long)cp->syncs[i].segment,
                                               (unsigned long)cp->syncs[i].segment_hash);
        }
        if (err) {
                snprintf(errstr, errstr_size,
                         "checkpoint of %zu syncs is over %d bytes: split the workspace's syncs",
                         cp->nsyncs, RETL_CHECKPOINT_MAX);
                retl_buf_free(&b);
                return NULL;
        }
        return retl_buf_take(&b, NULL);
}
