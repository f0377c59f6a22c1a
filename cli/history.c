/* retl — the import history and each workspace's state, see history.h. */
#include "cli/history.h"
#include "lib/checkpoint.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t hash(const char *s)
{
        uint64_t h = 1469598103934665603ULL;
        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ULL;
        return h;
}

static void free_report(struct retl_import_report *r)
{
        free((char *)r->run_id);
        free((char *)r->sync);
        free((char *)r->workspace);
        free((char *)r->replay_of);
        free((char *)r->error);
}

static void copy_report(struct retl_import_report *dst, const struct retl_import_report *src)
{
        *dst = *src;
        dst->run_id = retl_strdup(src->run_id);
        dst->sync = retl_strdup(src->sync);
        dst->workspace = retl_strdup(src->workspace);
        dst->replay_of = src->replay_of ? retl_strdup(src->replay_of) : NULL;
        dst->error = src->error ? retl_strdup(src->error) : NULL;
}

/* A replay's report carries the original run's started_at_ms (the copied
 * RunStarted's); the import itself began when the uploader wrote the run's
 * first report (RUNNING), which the message's timestamp says. */
static int64_t import_start_ms(const struct retl_import_report *r, int64_t ts)
{
        return r->replay_of && ts > 0 ? ts : r->started_at_ms;
}

static void rehash(struct retl_history *h)
{
        size_t n = h->nslots ? h->nslots * 2 : 1024;
        free(h->slots);
        h->slots = retl_calloc(n, sizeof(*h->slots));
        h->nslots = n;
        for (size_t i = 0; i < h->n; i++) {
                size_t s = hash(h->runs[i].r.run_id) & (n - 1);
                while (h->slots[s])
                        s = (s + 1) & (n - 1);
                h->slots[s] = i + 1;
        }
}

static int on_report(void *opaque, int64_t offset, int64_t ts, const struct retl_record *rec,
                     const char *why)
{
        struct retl_history *h = opaque;
        const struct retl_import_report *r;
        size_t s;

        if (!rec) {
                retl_log_warn("status", "imports topic offset %lld: %s", (long long)offset, why);
                return 0;
        }
        if (rec->type != RETL_REC_IMPORT_REPORT)
                return 0;
        r = &rec->u.import_report;
        if (h->only_sync && strcmp(r->sync, h->only_sync))
                return 0;
        if ((h->n + 1) * 2 > h->nslots)
                rehash(h);
        s = hash(r->run_id) & (h->nslots - 1);
        while (h->slots[s]) {
                struct retl_history_run *run = &h->runs[h->slots[s] - 1];
                if (!strcmp(run->r.run_id, r->run_id)) {
                        /* the newest report of a run is its status */
                        free_report(&run->r);
                        copy_report(&run->r, r);
                        run->offset = offset;
                        return 0;
                }
                s = (s + 1) & (h->nslots - 1);
        }
        if (h->n == h->cap) {
                h->cap = h->cap ? h->cap * 2 : 256;
                h->runs = retl_realloc(h->runs, h->cap * sizeof(*h->runs));
        }
        copy_report(&h->runs[h->n].r, r);
        h->runs[h->n].offset = offset;
        h->runs[h->n].start_ms = import_start_ms(r, ts);
        h->slots[s] = ++h->n;
        return 0;
}

void retl_history_free(struct retl_history *h)
{
        for (size_t i = 0; i < h->n; i++)
                free_report(&h->runs[i].r);
        free(h->runs);
        free(h->slots);
}

static int by_start_desc(const void *a, const void *b)
{
        const struct retl_history_run *x = a, *y = b;
        if (x->start_ms != y->start_ms)
                return x->start_ms < y->start_ms ? 1 : -1;
        return x->offset < y->offset ? 1 : -1;
}

void retl_history_fmt_time(char *out, size_t n, int64_t unix_s)
{
        time_t t = (time_t)unix_s;
        struct tm tm;
        if (unix_s <= 0) {
                snprintf(out, n, "-");
                return;
        }
        gmtime_r(&t, &tm);
        strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void retl_history_fmt_duration(char *out, size_t n, int64_t ms)
{
        int64_t s = ms / 1000;
        if (ms < 0)
                ms = 0;
        if (s < 60)
                snprintf(out, n, "%.1fs", (double)ms / 1000.0);
        else
                snprintf(out, n, "%lldh%02lldm%02llds", (long long)(s / 3600),
                         (long long)(s / 60 % 60), (long long)(s % 60));
}

void retl_history_ws_state(const struct retl_cfg *cfg, rd_kafka_t *reader, const char *ws,
                           const char *sync, struct retl_ws_state *st)
{
        char *topic = retl_cfg_workspace_topic(cfg, ws);
        char *md = NULL;
        int64_t off, low, high;
        int count = 0, wait_ms = retl_kafka_timeout_ms(&cfg->kafka);
        struct retl_checkpoint cp;

        memset(st, 0, sizeof(*st));
        if (!reader) {
                snprintf(st->why, sizeof(st->why), "no Kafka client");
        } else if (retl_kafka_partition_count(reader, topic, wait_ms, &count, st->why,
                                              sizeof(st->why))) {
                /* why says it */
        } else if (count == 0) {
                st->known = st->no_topic = 1;
        } else if (!retl_kafka_committed(reader, topic, wait_ms, &off, &md, st->why,
                                         sizeof(st->why)) &&
                   !retl_kafka_watermarks(reader, topic, wait_ms, &low, &high, st->why,
                                          sizeof(st->why)) &&
                   !retl_checkpoint_parse(&cp, md, md ? strlen(md) : 0, st->why,
                                          sizeof(st->why))) {
                st->known = 1;
                st->lst = retl_checkpoint_get(&cp, sync);
                st->pending = high - (off > low ? off : low);
                if (st->pending < 0)
                        st->pending = 0;
                if (cp.run_offset >= 0) {
                        st->in_run = 1;
                        st->run_rows = cp.run_rows;
                        st->run_imported = cp.run_imported;
                        st->run_failed = cp.run_failed;
                        st->run_unchanged = cp.run_unchanged;
                }
                retl_checkpoint_free(&cp);
        }
        free(md);
        free(topic);
}

int retl_history_read(const struct retl_cfg *cfg, struct retl_history *h, char *errstr,
                      size_t errstr_size)
{
        if (retl_scan_topic(&cfg->kafka, cfg->kafka.imports_topic, 0, 0, on_report, h, errstr,
                            errstr_size))
                return -1;
        if (h->n)
                qsort(h->runs, h->n, sizeof(*h->runs), by_start_desc);
        return 0;
}

const struct retl_history_run *retl_history_find(const struct retl_history *h,
                                                 const char *run_id)
{
        for (size_t i = 0; i < h->n; i++)
                if (!strcmp(h->runs[i].r.run_id, run_id))
                        return &h->runs[i];
        return NULL;
}
