/* retl — `retl status` and `retl errors`: the import history and the failed
 * rows of a run, read from the imports and failures topics, so they work
 * from any machine that reaches the cluster. */
#include "cli/commands.h"
#include "lib/args.h"
#include "lib/checkpoint.h"
#include "lib/kafka.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/scan.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One run's newest report, its strings owned. */
struct run {
        struct retl_import_report r;
        int64_t offset;
        int64_t start_ms;       /* when this import started: see import_start_ms() */
};

struct history {
        struct run *runs;
        size_t n, cap;
        size_t *slots;          /* open addressing on run_id: index + 1, 0 = empty */
        size_t nslots;
        const char *only_sync;
};

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

static void rehash(struct history *h)
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
        struct history *h = opaque;
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
                struct run *run = &h->runs[h->slots[s] - 1];
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

static void history_free(struct history *h)
{
        for (size_t i = 0; i < h->n; i++)
                free_report(&h->runs[i].r);
        free(h->runs);
        free(h->slots);
}

static int by_start_desc(const void *a, const void *b)
{
        const struct run *x = a, *y = b;
        if (x->start_ms != y->start_ms)
                return x->start_ms < y->start_ms ? 1 : -1;
        return x->offset < y->offset ? 1 : -1;
}

static void fmt_time(char *out, size_t n, int64_t unix_s)
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

static void fmt_duration(char *out, size_t n, int64_t ms)
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

static void json_str(FILE *out, const char *s)
{
        fputc('"', out);
        for (; s && *s; s++) {
                unsigned char c = (unsigned char)*s;
                if (c == '"' || c == '\\')
                        fprintf(out, "\\%c", c);
                else if (c < 0x20)
                        fprintf(out, "\\u%04x", c);
                else
                        fputc(c, out);
        }
        fputc('"', out);
}

/* A workspace as the uploaders left it: a sync's last_sync_time from their
 * committed checkpoint, the records not imported yet (an import in progress,
 * or uploaders that are down), and the counts so far of a run part-way
 * through (its mid-run checkpoint). */
struct ws_state {
        int known;              /* 0: why says what went wrong */
        int no_topic;           /* nothing was ever published to the workspace */
        int64_t lst, pending;
        int in_run;             /* a mid-run checkpoint: the counts below */
        int64_t run_rows, run_imported, run_failed, run_unchanged;
        char why[512];
};

static void current_state(const struct retl_cfg *cfg, rd_kafka_t *reader, const char *ws,
                          const char *sync, struct ws_state *st)
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

static int usage_status(FILE *out)
{
        fprintf(out,
                "usage: retl status -c FILE [SYNC] [--limit N] [--json]\n\n"
                "Each sync's imports, newest first: start, duration, status (running,\n"
                "completed, some rows failed, failed, skipped), rows read, sent (imported),\n"
                "unchanged (not sent: the workspace held them as they are), failed,\n"
                "and the sync's current last_sync_time (a replay: when it was imported, not\n"
                "when the original run started). Read from the imports topic, so it works\n"
                "from any machine that reaches the cluster.\n\n"
                "  -c, --config FILE  the configuration file\n"
                "  --limit N          imports shown per sync (default 10, 0 = all)\n"
                "  --json             one JSON document instead of tables\n");
        return out == stdout ? 0 : 2;
}

int retl_status_main(int argc, char **argv)
{
        const char *path = NULL, *only = NULL;
        int64_t limit = 10;
        int json = 0, rc = 1;
        struct retl_args ra = {"status", argc, argv, 1};
        struct retl_cfg *cfg = NULL;
        struct history h = {0};
        rd_kafka_t *reader = NULL;
        char err[16384];

        for (; ra.ra_i < argc; ra.ra_i++) {
                const char *arg = argv[ra.ra_i];
                int bad = 0;

                if (!strcmp(arg, "-h") || !strcmp(arg, "--help"))
                        return usage_status(stdout);
                else if (retl_args_is(&ra, "-c", "--config"))
                        bad = retl_args_value(&ra, &path);
                else if (retl_args_is(&ra, NULL, "--limit"))
                        bad = retl_args_count(&ra, 0, INT_MAX, &limit);
                else if (!strcmp(arg, "--json"))
                        json = 1;
                else if (arg[0] != '-' && !only)
                        only = arg;
                else
                        return retl_args_unknown(&ra);
                if (bad)
                        return 2;
        }
        if (!path) {
                fprintf(stderr, "retl status: -c FILE is required (see --help)\n");
                return 2;
        }
        if (retl_cfg_load_secrets(path, RETL_CFG_SECRETS_KAFKA, &cfg, err, sizeof(err))) {
                fprintf(stderr, "%s\n", err);
                return 1;
        }
        if (only && !retl_cfg_sync_find(cfg, only))
                fprintf(stderr, "retl status: note: sync '%s' is not in %s (showing its history "
                        "anyway)\n", only, path);
        h.only_sync = only;
        if (retl_scan_topic(&cfg->kafka, cfg->kafka.imports_topic, 0, 0, on_report, &h, err,
                            sizeof(err))) {
                fprintf(stderr, "retl status: %s\n", err);
                goto out;
        }
        reader = retl_kafka_consumer_new(&cfg->kafka, cfg->kafka.group, "retl-status", NULL, err,
                                         sizeof(err));
        if (h.n)
                qsort(h.runs, h.n, sizeof(*h.runs), by_start_desc);

        if (json)
                printf("{\"syncs\":[");
        /* configured syncs first, in file order, then any others in the history */
        for (size_t pass = 0, first = 1; pass < 2; pass++) {
                size_t count = pass == 0 ? cfg->nsyncs : h.n;
                for (size_t k = 0; k < count; k++) {
                        const char *sync, *ws;
                        struct ws_state st;
                        long shown = 0;
                        if (pass == 0) {
                                sync = cfg->syncs[k].name;
                                ws = cfg->syncs[k].workspace;
                                if (only && strcmp(sync, only))
                                        continue;
                        } else {
                                size_t j;
                                sync = h.runs[k].r.sync;
                                ws = h.runs[k].r.workspace;
                                if (retl_cfg_sync_find(cfg, sync))
                                        continue;
                                for (j = 0; j < k && strcmp(h.runs[j].r.sync, sync); j++)
                                        ;
                                if (j < k)
                                        continue; /* shown already */
                        }
                        current_state(cfg, reader, ws, sync, &st);
                        if (json) {
                                printf("%s{\"sync\":", first ? "" : ",");
                                json_str(stdout, sync);
                                printf(",\"workspace\":");
                                json_str(stdout, ws);
                                if (st.known)
                                        printf(",\"last_sync_time\":%lld,\"pending_records\":%lld",
                                               (long long)st.lst, (long long)st.pending);
                                printf(",\"configured\":%s,\"imports\":[",
                                       pass == 0 ? "true" : "false");
                        } else {
                                char t[32], p[96] = "";
                                fmt_time(t, sizeof(t), st.lst);
                                if (st.pending)
                                        snprintf(p, sizeof(p),
                                                 "  (%lld records of %s not imported yet)",
                                                 (long long)st.pending, ws);
                                if (st.no_topic)
                                        printf("%s%s  workspace %s  last_sync_time 0 (nothing "
                                               "published to the workspace's topic yet)%s\n",
                                               first ? "" : "\n", sync, ws,
                                               pass == 1 ? "  [no longer configured]" : "");
                                else if (st.known)
                                        printf("%s%s  workspace %s  last_sync_time %lld (%s)%s%s\n",
                                               first ? "" : "\n", sync, ws, (long long)st.lst, t, p,
                                               pass == 1 ? "  [no longer configured]" : "");
                                else
                                        printf("%s%s  workspace %s  last_sync_time unknown (%s)%s\n",
                                               first ? "" : "\n", sync, ws, st.why,
                                               pass == 1 ? "  [no longer configured]" : "");
                                printf("  %-20s  %-10s  %-16s  %9s  %9s  %9s  %7s  %s\n",
                                       "STARTED", "DURATION", "STATUS", "ROWS", "SENT",
                                       "UNCHANGED", "FAILED", "RUN");
                        }
                        first = 0;
                        for (size_t i = 0; i < h.n; i++) {
                                const struct retl_import_report *r = &h.runs[i].r;
                                struct retl_import_report running;
                                int64_t start = h.runs[i].start_ms, dur;
                                if (strcmp(r->sync, sync))
                                        continue;
                                if (limit > 0 && shown >= limit)
                                        break;
                                dur = r->status == RETL_IMPORT_RUNNING
                                              ? (int64_t)time(NULL) * 1000 - start
                                              : r->finished_at_ms - start;
                                /* one import per workspace at a time: a running
                                 * run's progress is the workspace's mid-run
                                 * checkpoint */
                                if (r->status == RETL_IMPORT_RUNNING && st.in_run && !shown) {
                                        running = *r;
                                        running.rows = st.run_rows;
                                        running.imported = st.run_imported;
                                        running.failed = st.run_failed;
                                        running.unchanged = st.run_unchanged;
                                        r = &running;
                                }
                                if (json) {
                                        printf("%s{\"run\":", shown ? "," : "");
                                        json_str(stdout, r->run_id);
                                        printf(",\"status\":");
                                        json_str(stdout, retl_import_status_name(r->status));
                                        printf(",\"started_at_ms\":%lld,\"duration_ms\":%lld,"
                                               "\"rows\":%lld,\"imported\":%lld,\"failed\":%lld,"
                                               "\"unchanged\":%lld",
                                               (long long)start, (long long)dur,
                                               (long long)r->rows, (long long)r->imported,
                                               (long long)r->failed, (long long)r->unchanged);
                                        if (r->replay_of) {
                                                printf(",\"replay_of\":");
                                                json_str(stdout, r->replay_of);
                                        }
                                        if (r->error) {
                                                printf(",\"error\":");
                                                json_str(stdout, r->error);
                                        }
                                        printf("}");
                                } else {
                                        char t[32], d[32];
                                        fmt_time(t, sizeof(t), start / 1000);
                                        fmt_duration(d, sizeof(d), dur);
                                        printf("  %-20s  %-10s  %-16s  %9lld  %9lld  %9lld  %7lld  "
                                               "%s%s%s\n",
                                               t, d, retl_import_status_name(r->status),
                                               (long long)r->rows, (long long)r->imported,
                                               (long long)r->unchanged, (long long)r->failed,
                                               r->run_id,
                                               r->replay_of ? "  replay of " : "",
                                               r->replay_of ? r->replay_of : "");
                                        if (r->error)
                                                printf("  %-20s  %s\n", "", r->error);
                                }
                                shown++;
                        }
                        if (json)
                                printf("]}");
                        else if (!shown)
                                printf("  (no imports yet)\n");
                }
        }
        if (json)
                printf("]}\n");
        rc = 0;
        if (only && !retl_cfg_sync_find(cfg, only) && !h.n) {
                fprintf(stderr, "retl status: no sync '%s' in %s and no imports of it\n", only,
                        path);
                rc = 1;
        }
out:
        if (reader)
                rd_kafka_destroy(reader);
        history_free(&h);
        retl_cfg_destroy(cfg);
        return rc;
}

/* ------------------------------------------------------------------ */
/* retl errors                                                         */
/* ------------------------------------------------------------------ */

/* The CSV lists a run's failed rows in row order (the main query's, then the
 * relationship query's), however the uploaders met them. Up to this many are
 * held to sort; a run with more is written as read, and says so. */
#define ERRORS_SORT_MAX 500000

struct failed_row {
        int part;
        int64_t row_number;
        char *identifier;
        char *reason;
        int64_t seq;            /* reading order: repeats after a retry stay in it */
};

struct errors_scan {
        const char *run_id;
        FILE *out;
        int64_t count;
        int64_t started_at_ms;  /* from the run's report, to seek */
        int found_report;
        struct failed_row *rows;
        size_t nrows, cap;
        int unsorted;           /* over ERRORS_SORT_MAX: written as read */
};

static int find_report(void *opaque, int64_t offset, int64_t ts, const struct retl_record *rec,
                       const char *why)
{
        struct errors_scan *e = opaque;
        if (rec && rec->type == RETL_REC_IMPORT_REPORT &&
            !strcmp(rec->u.import_report.run_id, e->run_id)) {
                e->started_at_ms = rec->u.import_report.started_at_ms;
                e->found_report = 1;
                return 1;
        }
        return 0;
}

static void csv_field(FILE *out, const char *s)
{
        if (!s)
                return;
        if (!strpbrk(s, ",\"\r\n")) {
                fputs(s, out);
                return;
        }
        fputc('"', out);
        for (; *s; s++) {
                if (*s == '"')
                        fputc('"', out);
                fputc(*s, out);
        }
        fputc('"', out);
}

static void write_row(FILE *out, int part, int64_t row_number, const char *identifier,
                      const char *reason)
{
        fprintf(out, "%lld,%s,", (long long)row_number,
                part == RETL_PART_MAIN ? "main" : "relationships");
        csv_field(out, identifier);
        fputc(',', out);
        csv_field(out, reason);
        fputc('\n', out);
}

static void flush_rows(struct errors_scan *e)
{
        for (size_t i = 0; i < e->nrows; i++) {
                struct failed_row *r = &e->rows[i];
                write_row(e->out, r->part, r->row_number, r->identifier, r->reason);
                free(r->identifier);
                free(r->reason);
        }
        e->nrows = 0;
}

static int by_row(const void *a, const void *b)
{
        const struct failed_row *x = a, *y = b;
        if (x->part != y->part)
                return x->part < y->part ? -1 : 1;
        if (x->row_number != y->row_number)
                return x->row_number < y->row_number ? -1 : 1;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int on_failure(void *opaque, int64_t offset, int64_t ts, const struct retl_record *rec,
                      const char *why)
{
        struct errors_scan *e = opaque;
        const struct retl_row_failure *f;
        struct failed_row *r;

        if (!rec || rec->type != RETL_REC_ROW_FAILURE)
                return 0;
        f = &rec->u.row_failure;
        if (strcmp(f->run_id, e->run_id))
                return 0;
        e->count++;
        if (e->unsorted) {
                write_row(e->out, f->part, f->row_number, f->identifier, f->reason);
                return 0;
        }
        if (e->nrows == ERRORS_SORT_MAX) {
                fprintf(stderr, "retl errors: over %d failed rows: the rest are written in the "
                        "order they were recorded\n", ERRORS_SORT_MAX);
                qsort(e->rows, e->nrows, sizeof(*e->rows), by_row);
                flush_rows(e);
                e->unsorted = 1;
                write_row(e->out, f->part, f->row_number, f->identifier, f->reason);
                return 0;
        }
        if (e->nrows == e->cap) {
                e->cap = e->cap ? e->cap * 2 : 1024;
                e->rows = retl_realloc(e->rows, e->cap * sizeof(*e->rows));
        }
        r = &e->rows[e->nrows++];
        r->part = (int)f->part;
        r->row_number = f->row_number;
        r->identifier = f->identifier ? retl_strdup(f->identifier) : NULL;
        r->reason = retl_strdup(f->reason);
        r->seq = e->count;
        return 0;
}

int retl_errors_main(int argc, char **argv)
{
        const char *path = NULL, *run = NULL, *outpath = NULL;
        struct retl_cfg *cfg = NULL;
        struct errors_scan e = {0};
        struct retl_args ra = {"errors", argc, argv, 1};
        char err[16384];
        int rc = 1;

        for (; ra.ra_i < argc; ra.ra_i++) {
                const char *arg = argv[ra.ra_i];
                int bad = 0;

                if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
                        printf("usage: retl errors -c FILE RUN [-o FILE.csv]\n\n"
                               "Writes the failed rows of a run as CSV (row_number, query, "
                               "identifier,\nreason), like the hosted product's Download. RUN is "
                               "a run id as `retl status`\nshows it. The exit status is 0 when "
                               "the run is known, 1 when it is not.\n\n"
                               "  -c, --config FILE  the configuration file\n"
                               "  -o, --output FILE  write the CSV there instead of stdout\n");
                        return 0;
                } else if (retl_args_is(&ra, "-c", "--config")) {
                        bad = retl_args_value(&ra, &path);
                } else if (retl_args_is(&ra, "-o", "--output")) {
                        bad = retl_args_value(&ra, &outpath);
                } else if (arg[0] != '-' && !run) {
                        run = arg;
                } else {
                        return retl_args_unknown(&ra);
                }
                if (bad)
                        return 2;
        }
        if (!path || !run) {
                fprintf(stderr, "retl errors: -c FILE and RUN are required (see --help)\n");
                return 2;
        }
        if (retl_cfg_load_secrets(path, RETL_CFG_SECRETS_KAFKA, &cfg, err, sizeof(err))) {
                fprintf(stderr, "%s\n", err);
                return 1;
        }
        e.run_id = run;
        if (retl_scan_topic(&cfg->kafka, cfg->kafka.imports_topic, 0, 0, find_report, &e, err,
                            sizeof(err))) {
                fprintf(stderr, "retl errors: %s\n", err);
                goto out;
        }
        if (!e.found_report) {
                fprintf(stderr, "retl errors: no run '%s' in %s (see `retl status`)\n", run,
                        cfg->kafka.imports_topic);
                goto out;
        }
        e.out = outpath ? fopen(outpath, "w") : stdout;
        if (!e.out) {
                fprintf(stderr, "retl errors: cannot write %s\n", outpath);
                goto out;
        }
        fprintf(e.out, "row_number,query,identifier,reason\n");
        /* failures are written after the run started: seek there by time */
        if (retl_scan_topic(&cfg->kafka, cfg->kafka.failures_topic, 0,
                            e.started_at_ms > 60000 ? e.started_at_ms - 60000 : 0, on_failure, &e,
                            err, sizeof(err))) {
                fprintf(stderr, "retl errors: %s\n", err);
                goto out;
        }
        if (e.nrows)
                qsort(e.rows, e.nrows, sizeof(*e.rows), by_row);
        flush_rows(&e);
        if (outpath)
                fprintf(stderr, "retl errors: %lld failed rows of %s written to %s\n",
                        (long long)e.count, run, outpath);
        rc = 0;
out:
        for (size_t i = 0; i < e.nrows; i++) { /* after an error: nothing more is written */
                free(e.rows[i].identifier);
                free(e.rows[i].reason);
        }
        free(e.rows);
        if (e.out && e.out != stdout)
                fclose(e.out);
        retl_cfg_destroy(cfg);
        return rc;
}
