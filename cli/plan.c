/* retl — `retl plan -c FILE SYNC`: what the sync's next run would do, sending
 * nothing. Its queries run as the next run would run them (the same
 * last_sync_time less the overlap, the same column rules, each row coded in
 * Avro as the extractor publishes it), each row is mapped as the uploader
 * maps it and compared with the sync's row state: new, changed, unchanged,
 * or failing the row rules. The query is streamed; memory is the row state
 * the uploader keeps anyway (18 bytes a slot) and a sample of changed rows. */
#include "cli/commands.h"
#include "cli/plan.h"
#include "consumer/guardrail.h"
#include "consumer/mapping.h"
#include "consumer/statelog.h"
#include "lib/args.h"
#include "lib/checkpoint.h"
#include "lib/kafka.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "producer/columns.h"
#include "producer/query.h"
#include "producer/run.h"
#include "producer/source.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FAIL_SAMPLE 10
#define PROGRESS_S 5.0

/* One query's figures. */
struct plan_part {
        const char *label;              /* "main", "relationships" */
        enum retl_part part;
        enum retl_query_kind kind;
        enum retl_ident ident;
        char *sql;
        int ran;                        /* the query ran (to its end or an error) */
        int64_t rows, new_, changed, unchanged, failed;
        struct retl_buf problems;       /* column rules broken, one a line */
        int nproblems;
        char error[4096];               /* the query could not run */
};

struct plan_fail {
        int part;
        int64_t row_number;
        char *ident;
        char *reason;
};

struct plan_run {
        struct plan pl;
        struct retl_sync_settings settings;
        int64_t segkey;                 /* the segment, as fingerprints take it */
        struct plan_part parts[2];
        int nparts;
        struct plan_fail fails[FAIL_SAMPLE];
        size_t nfails;
        int64_t held;                   /* the sync's entries before the run */
        int64_t generation;
        int64_t lst, watermark, pending;
        double t0, last_progress;
        struct retl_rowstate *seen;     /* mirror: the state keys the result holds */
        int64_t kept, deletes;          /* mirror: of the sync's identifiers; to delete */
        char nodelete[300];             /* mirror: why nothing would be deleted */
        int over;                       /* over a guardrail: the run would be held */
        char over_why[400];
        struct retl_buf row_avro, json, key;
};

static double mono_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(FILE *out)
{
        fprintf(out,
                "usage: retl plan -c FILE SYNC [--sample N] [--json]\n"
                "\n"
                "Runs SYNC's queries as its next run would (the same {{last_sync_time}},\n"
                "overlap included, the same rules), compares each row with what the\n"
                "workspace holds per the sync's row state, and says what the run would do:\n"
                "identifiers new, changed, unchanged, failing the rules, and for a sample of\n"
                "changed rows which attributes change from what to what. Nothing is sent\n"
                "to Kafka or the workspace.\n"
                "\n"
                "  --sample N   changed rows to show, 0 to 1000 (default 10); 0 skips reading\n"
                "               the workspace's topic for their earlier values\n"
                "  --json       one JSON document\n"
                "\n"
                "Progress goes to stderr every 5 s on long queries.\n"
                "Exit status: 0 the run would go through as planned; 1 it would fail (a query\n"
                "or its column rules) or the plan could not be made (database, Kafka);\n"
                "2 usage.\n");
        return out == stdout ? 0 : 2;
}

/* The sync's last_sync_time and the records of its workspace not yet
 * imported, from the uploaders' committed offset. @returns 0 or -1. */
static int read_checkpoint(struct plan_run *pr, char *errstr, size_t errstr_size)
{
        const struct retl_cfg *cfg = pr->pl.cfg;
        rd_kafka_t *rk = retl_kafka_consumer_new(&cfg->kafka, cfg->kafka.group, "retl-plan",
                                                 NULL, errstr, errstr_size);
        int tmo = retl_kafka_timeout_ms(&cfg->kafka);
        struct retl_checkpoint cp;
        char *topic = retl_cfg_workspace_topic(cfg, pr->pl.sync->workspace), *meta = NULL;
        int64_t off = -1, low = 0, high = 0;
        int rc = -1;

        retl_checkpoint_init(&cp);
        if (!rk || retl_kafka_wait_cluster(rk, &cfg->kafka, errstr, errstr_size) ||
            retl_kafka_committed(rk, topic, tmo, &off, &meta, errstr, errstr_size) ||
            retl_checkpoint_parse(&cp, meta, meta ? strlen(meta) : 0, errstr, errstr_size))
                goto out;
        pr->lst = retl_checkpoint_get(&cp, pr->pl.sync->name);
        if (retl_kafka_watermarks(rk, topic, tmo, &low, &high, errstr, errstr_size))
                pr->pending = 0;        /* no topic yet: nothing pending */
        else
                pr->pending = high - (off > low ? off : low);
        rc = 0;
out:
        retl_checkpoint_free(&cp);
        free(meta);
        free(topic);
        if (rk)
                rd_kafka_destroy(rk);
        return rc;
}

static void progress(struct plan_run *pr, const struct plan_part *pp, int force)
{
        double now = mono_s();

        if (!force && now - pr->last_progress < PROGRESS_S)
                return;
        pr->last_progress = now;
        fprintf(stderr, "plan: %s query: %" PRId64 " rows in %.0f s: %" PRId64 " new, %" PRId64
                " changed, %" PRId64 " unchanged, %" PRId64 " failed\n", pp->label, pp->rows,
                now - pr->t0, pp->new_, pp->changed, pp->unchanged, pp->failed);
}

static void note_fail(struct plan_run *pr, const struct retl_row *row, const char *ident,
                      const char *why)
{
        struct plan_fail *f;

        if (pr->nfails == FAIL_SAMPLE)
                return;
        f = &pr->fails[pr->nfails++];
        f->part = row->part;
        f->row_number = row->row_number;
        f->ident = ident ? retl_strdup(ident) : NULL;
        f->reason = retl_strdup(why);
}

static void note_change(struct plan_run *pr, const struct retl_row *row,
                        const struct retl_mapped *m, uint64_t old_fp)
{
        struct plan_change *c;

        if (pr->pl.nchanges == pr->pl.nsample)
                return;
        c = &pr->pl.changes[pr->pl.nchanges++];
        memset(c, 0, sizeof(*c));
        c->part = row->part;
        c->row_number = row->row_number;
        c->ident = m->ident ? retl_strdup(m->ident) : NULL;
        c->key = retl_malloc(retl_buf_len(&pr->key));
        memcpy(c->key, pr->key.b_data, retl_buf_len(&pr->key));
        c->keylen = retl_buf_len(&pr->key);
        c->old_fp = old_fp;
        c->json = retl_strdup(retl_buf_str(&pr->json));
}

/* One row as the uploader would see it: coded in Avro and decoded, mapped,
 * compared with the state. The row's fingerprint then stands in the state,
 * as after the run, so an identifier twice in a result counts once as new
 * or changed. */
static void classify(struct plan_run *pr, struct plan_part *pp, struct retl_record *rec)
{
        struct retl_record dec;
        struct retl_mapped m;
        char why[512];
        uint64_t fp, old, h, seen_fp;
        int had;

        if (retl_codec_encode(pr->pl.codec, rec, &pr->row_avro, why, sizeof(why)) ||
            retl_codec_decode(pr->pl.codec, pr->row_avro.b_data, retl_buf_len(&pr->row_avro),
                              &dec, why, sizeof(why))) {
                /* the extractor would fail the run at this row */
                snprintf(pp->error, sizeof(pp->error), "row %" PRId64 " cannot be coded: %s",
                         rec->u.row.row_number, why);
                return;
        }
        if (retl_mapping_row(&pr->settings, &dec.u.row, &pr->json, &m, why, sizeof(why))) {
                pp->failed++;
                note_fail(pr, &dec.u.row, m.ident, why);
                retl_mapped_free(&m);
                return;
        }
        if (!m.state_id) {
                pp->new_++;
                retl_mapped_free(&m);
                return;
        }
        retl_statelog_key(&pr->key, pr->pl.sync->name, m.state_id, m.state_id_len);
        h = retl_rowstate_hash(pr->key.b_data, retl_buf_len(&pr->key));
        fp = retl_rowstate_fingerprint(
                pr->json.b_data, retl_buf_len(&pr->json),
                pp->part == RETL_PART_MAIN && pr->pl.sync->import == RETL_IMPORT_PEOPLE
                        ? pr->segkey
                        : 0);
        had = retl_rowstate_lookup(pr->pl.rs, h, &old);
        if (pr->seen && !retl_rowstate_lookup(pr->seen, h, &seen_fp)) {
                retl_rowstate_put(pr->seen, h, 0, 0);
                if (had)
                        pr->kept++;
        }
        if (!had) {
                pp->new_++;
        } else if (old == fp) {
                pp->unchanged++;
        } else {
                pp->changed++;
                note_change(pr, &dec.u.row, &m, old);
        }
        retl_rowstate_put(pr->pl.rs, h, pr->pl.sidx, fp);
        retl_mapped_free(&m);
}

/* Runs one query to its end, as the extractor's stream_query does. */
static void run_part(struct plan_run *pr, struct retl_source *src, struct plan_part *pp)
{
        struct retl_query_info qi = {0};
        enum retl_source_fail fail = RETL_SRC_OK;
        const struct retl_source_column *sc;
        const struct retl_value *vals;
        struct retl_column *cols = NULL;
        struct retl_record rec = {.type = RETL_REC_ROW};
        size_t n;
        int rc;

        if (retl_query_check(pp->sql, &qi, pp->error, sizeof(pp->error)) ||
            retl_source_query(src, pp->sql, &fail, pp->error, sizeof(pp->error)))
                return;
        pp->ran = 1;
        n = retl_source_ncolumns(src);
        sc = retl_source_columns(src);
        pp->nproblems = retl_columns_check(pp->kind, pp->ident, qi.has_star, sc, n,
                                           &pp->problems);
        if (pp->nproblems) {
                retl_source_cancel(src);
                return;
        }
        cols = retl_calloc(n ? n : 1, sizeof(*cols));
        for (size_t i = 0; i < n; i++)
                cols[i].name = sc[i].name;
        rec.u.row.run_id = "plan";
        rec.u.row.sync = pr->pl.sync->name;
        rec.u.row.part = pp->part;
        rec.u.row.ncolumns = n;
        rec.u.row.columns = cols;
        for (;;) {
                rc = retl_source_next(src, &vals, &fail, pp->error, sizeof(pp->error));
                if (rc <= 0)
                        break;
                for (size_t i = 0; i < n; i++)
                        cols[i].value = vals[i];
                rec.u.row.row_number = ++pp->rows;
                retl_run_shrink_row(cols, n, NULL);
                classify(pr, pp, &rec);
                if (pp->error[0]) {
                        retl_source_cancel(src);
                        break;
                }
                if ((pp->rows & 1023) == 0)
                        progress(pr, pp, 0);
        }
        if (pp->rows >= 1024)
                progress(pr, pp, 1);
        free(cols);
}

static int part_ok(const struct plan_part *pp)
{
        return pp->ran && !pp->error[0] && !pp->nproblems;
}

static const char *part_name(int part)
{
        return part == RETL_PART_MAIN ? "main" : "relationships";
}

static void totals(const struct plan_run *pr, int64_t t[5]);

/* What the run's guardrails would say, and a mirror run's deletes. */
static void guardrails(struct plan_run *pr)
{
        struct retl_guardrail_counts c = {0};
        int64_t t[5];

        totals(pr, t);
        if (pr->pl.sync->mirror) {
                c.holds = pr->held;
                c.kept = pr->kept;
                c.rows = t[0];
                c.rel_rows = pr->nparts > 1 ? pr->parts[1].rows : 0;
                c.failed = t[4];
                c.complete = 1;
                c.has_rel = pr->nparts > 1;
                pr->deletes = retl_guardrail_deletes(&c, pr->nodelete, sizeof(pr->nodelete));
        }
        pr->over = retl_guardrail_over(pr->pl.sync, pr->held, t[1] + t[2], pr->deletes,
                                       pr->over_why, sizeof(pr->over_why));
}

/* ============================================================== output */

static void totals(const struct plan_run *pr, int64_t t[5])
{
        memset(t, 0, 5 * sizeof(*t));
        for (int i = 0; i < pr->nparts; i++) {
                t[0] += pr->parts[i].rows;
                t[1] += pr->parts[i].new_;
                t[2] += pr->parts[i].changed;
                t[3] += pr->parts[i].unchanged;
                t[4] += pr->parts[i].failed;
        }
}

static int64_t would_send(const struct plan_run *pr, const int64_t t[5])
{
        return t[1] + t[2] + (pr->pl.sync->diff ? 0 : t[3]);
}

static char *value_text(json_t *v, size_t max)
{
        char *s = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;

        if (!s)
                return retl_strdup("(absent)");
        if (strlen(s) > max)
                memcpy(s + max - 3, "...", 4);
        return s;
}

static void print_text(const struct plan_run *pr, int ok)
{
        const struct retl_cfg_sync *s = pr->pl.sync;
        int64_t t[5];

        totals(pr, t);
        printf("plan for sync %s (%s into workspace %s): last_sync_time %" PRId64
               ", {{last_sync_time}} = %" PRId64 " (overlap %" PRId64 "s)\n",
               s->name, retl_import_name(s->import), s->workspace, pr->lst, pr->watermark,
               s->overlap_s);
        printf("row state: %" PRId64 " identifiers delivered by this sync (generation %" PRId64
               ")%s\n", pr->held, pr->generation, s->diff ? "" : "; diff = false: every row is sent");
        if (pr->pending > 0)
                printf("note: the workspace's topic holds %" PRId64 " records not imported yet: "
                       "a run now would be skipped, and this plan compares with the state "
                       "before them\n", pr->pending);
        printf("\n%-14s %10s %10s %10s %10s %10s\n", "query", "rows", "new", "changed",
               "unchanged", "failed");
        for (int i = 0; i < pr->nparts; i++) {
                const struct plan_part *pp = &pr->parts[i];
                printf("%-14s %10" PRId64 " %10" PRId64 " %10" PRId64 " %10" PRId64 " %10" PRId64
                       "\n", pp->label, pp->rows, pp->new_, pp->changed, pp->unchanged,
                       pp->failed);
        }
        if (pr->nparts > 1)
                printf("%-14s %10" PRId64 " %10" PRId64 " %10" PRId64 " %10" PRId64 " %10" PRId64
                       "\n", "total", t[0], t[1], t[2], t[3], t[4]);
        for (int i = 0; i < pr->nparts; i++) {
                const struct plan_part *pp = &pr->parts[i];
                if (pp->error[0])
                        printf("\n%s query FAILED: %s\n", pp->label, pp->error);
                if (pp->nproblems)
                        printf("\n%s query: column rules FAILED, %d problem(s):\n%s", pp->label,
                               pp->nproblems, retl_buf_str(&pp->problems));
        }
        if (pr->nfails) {
                printf("\nrows failing the row rules (first %zu):\n", pr->nfails);
                for (size_t i = 0; i < pr->nfails; i++)
                        printf("  %s row %" PRId64 " (%s): %s\n", part_name(pr->fails[i].part),
                               pr->fails[i].row_number,
                               pr->fails[i].ident ? pr->fails[i].ident : "no identifier",
                               pr->fails[i].reason);
        }
        if (pr->pl.nchanges) {
                printf("\nchanged (first %zu of %" PRId64 "):\n", pr->pl.nchanges, t[2]);
                for (size_t i = 0; i < pr->pl.nchanges; i++) {
                        const struct plan_change *c = &pr->pl.changes[i];
                        json_t *d = retl_plan_sample_diff(c->old_json, c->json);
                        size_t k;
                        json_t *ch;

                        printf("  %s row %" PRId64 " (%s)%s\n", part_name(c->part), c->row_number,
                               c->ident ? c->ident : "?",
                               c->old_json ? "" : ": earlier value not in the topic (retention), "
                                                  "attributes now:");
                        json_array_foreach(d, k, ch) {
                                char *from = value_text(json_object_get(ch, "from"), 60);
                                char *to = value_text(json_object_get(ch, "to"), 60);
                                if (c->old_json)
                                        printf("      %s: %s -> %s\n",
                                               json_string_value(json_object_get(ch, "attribute")),
                                               from, to);
                                else
                                        printf("      %s: %s\n",
                                               json_string_value(json_object_get(ch, "attribute")),
                                               to);
                                free(from);
                                free(to);
                        }
                        if (c->old_json && !json_array_size(d))
                                printf("      no attribute differs (the segment or the "
                                       "entity's form changed)\n");
                        json_decref(d);
                }
        }
        printf("\nverdict: %s\n",
               !ok ? "FAILED: the run would fail, nothing of it would be sent"
               : pr->over ? "HELD by the sync's guardrails until retl approve or retl reject"
                          : "ok");
        if (ok && pr->over)
                printf("guardrails: %s\n", pr->over_why);
        if (ok && s->mirror && pr->nodelete[0])
                printf("mirror: nothing would be deleted: %s\n", pr->nodelete);
        else if (ok && s->mirror)
                printf("mirror: the run would delete %" PRId64 " identifiers the result no "
                       "longer holds\n", pr->deletes);
        if (ok)
                printf("the run would send %" PRId64 " rows (%" PRId64 " new, %" PRId64
                       " changed%s), skip %" PRId64 " unchanged, fail %" PRId64 "\n",
                       would_send(pr, t), t[1], t[2], s->diff ? "" : ", the unchanged too",
                       s->diff ? t[3] : 0, t[4]);
}

static json_t *to_json(const struct plan_run *pr, int ok)
{
        const struct retl_cfg_sync *s = pr->pl.sync;
        json_t *doc = json_object(), *qs = json_array(), *fails = json_array(),
               *chs = json_array(), *tot = json_object();
        int64_t t[5];

        totals(pr, t);
        json_object_set_new(doc, "sync", json_string(s->name));
        json_object_set_new(doc, "workspace", json_string(s->workspace));
        json_object_set_new(doc, "import", json_string(retl_import_name(s->import)));
        json_object_set_new(doc, "last_sync_time", json_integer(pr->lst));
        json_object_set_new(doc, "substituted", json_integer(pr->watermark));
        json_object_set_new(doc, "overlap_s", json_integer(s->overlap_s));
        json_object_set_new(doc, "state_entries", json_integer(pr->held));
        json_object_set_new(doc, "state_generation", json_integer(pr->generation));
        json_object_set_new(doc, "diff", json_boolean(s->diff));
        json_object_set_new(doc, "pending_records", json_integer(pr->pending));
        for (int i = 0; i < pr->nparts; i++) {
                const struct plan_part *pp = &pr->parts[i];
                json_t *q = json_object(), *probs = json_array();
                const char *p = retl_buf_str(&pp->problems), *nl;

                json_object_set_new(q, "part", json_string(pp->label));
                json_object_set_new(q, "query", pp->sql ? json_string(pp->sql) : json_null());
                json_object_set_new(q, "rows", json_integer(pp->rows));
                json_object_set_new(q, "new", json_integer(pp->new_));
                json_object_set_new(q, "changed", json_integer(pp->changed));
                json_object_set_new(q, "unchanged", json_integer(pp->unchanged));
                json_object_set_new(q, "failed", json_integer(pp->failed));
                while (*p && (nl = strchr(p, '\n'))) {
                        json_array_append_new(probs, json_stringn(p, (size_t)(nl - p)));
                        p = nl + 1;
                }
                json_object_set_new(q, "problems", probs);
                json_object_set_new(q, "error",
                                    pp->error[0] ? json_string(pp->error) : json_null());
                json_array_append_new(qs, q);
        }
        json_object_set_new(doc, "queries", qs);
        json_object_set_new(tot, "rows", json_integer(t[0]));
        json_object_set_new(tot, "new", json_integer(t[1]));
        json_object_set_new(tot, "changed", json_integer(t[2]));
        json_object_set_new(tot, "unchanged", json_integer(t[3]));
        json_object_set_new(tot, "failed", json_integer(t[4]));
        json_object_set_new(tot, "sent", json_integer(ok ? would_send(pr, t) : 0));
        json_object_set_new(tot, "deleted", json_integer(ok ? pr->deletes : 0));
        json_object_set_new(doc, "mirror", json_boolean(s->mirror));
        json_object_set_new(doc, "mirror_note",
                            pr->nodelete[0] ? json_string(pr->nodelete) : json_null());
        json_object_set_new(doc, "held", json_boolean(ok && pr->over));
        json_object_set_new(doc, "held_reason",
                            ok && pr->over ? json_string(pr->over_why) : json_null());
        json_object_set_new(doc, "total", tot);
        for (size_t i = 0; i < pr->nfails; i++) {
                json_t *f = json_object();
                json_object_set_new(f, "part", json_string(part_name(pr->fails[i].part)));
                json_object_set_new(f, "row_number", json_integer(pr->fails[i].row_number));
                json_object_set_new(f, "identifier", pr->fails[i].ident
                                                             ? json_string(pr->fails[i].ident)
                                                             : json_null());
                json_object_set_new(f, "reason", json_string(pr->fails[i].reason));
                json_array_append_new(fails, f);
        }
        json_object_set_new(doc, "failed_rows", fails);
        for (size_t i = 0; i < pr->pl.nchanges; i++) {
                const struct plan_change *c = &pr->pl.changes[i];
                json_t *o = json_object();
                json_object_set_new(o, "part", json_string(part_name(c->part)));
                json_object_set_new(o, "row_number", json_integer(c->row_number));
                json_object_set_new(o, "identifier", c->ident ? json_string(c->ident)
                                                              : json_null());
                json_object_set_new(o, "earlier_found", json_boolean(c->old_json != NULL));
                json_object_set_new(o, "changes", retl_plan_sample_diff(c->old_json, c->json));
                json_array_append_new(chs, o);
        }
        json_object_set_new(doc, "changed_rows", chs);
        json_object_set_new(doc, "ok", json_boolean(ok));
        return doc;
}

/* ================================================================ main */

static void plan_free(struct plan_run *pr)
{
        for (int i = 0; i < 2; i++) {
                free(pr->parts[i].sql);
                retl_buf_free(&pr->parts[i].problems);
        }
        for (size_t i = 0; i < pr->nfails; i++) {
                free(pr->fails[i].ident);
                free(pr->fails[i].reason);
        }
        for (size_t i = 0; i < pr->pl.nchanges; i++) {
                free(pr->pl.changes[i].ident);
                free(pr->pl.changes[i].key);
                free(pr->pl.changes[i].json);
                free(pr->pl.changes[i].old_json);
        }
        free(pr->pl.changes);
        retl_rowstate_destroy(pr->pl.rs);
        retl_rowstate_destroy(pr->seen);
        retl_codec_destroy(pr->pl.codec);
        retl_buf_free(&pr->row_avro);
        retl_buf_free(&pr->json);
        retl_buf_free(&pr->key);
}

int retl_plan_main(int argc, char **argv)
{
        const char *path = NULL, *name = NULL;
        struct retl_args ra = {"plan", argc, argv, 1};
        struct retl_cfg *cfg = NULL;
        struct retl_source *src = NULL;
        struct retl_statelog_stats st;
        struct plan_run pr;
        enum retl_source_fail fail;
        char err[16384], *state_topic = NULL;
        int json = 0, rc = 1, ok = 1;
        int64_t nsample = 10;

        memset(&pr, 0, sizeof(pr));
        for (; ra.ra_i < argc; ra.ra_i++) {
                const char *arg = argv[ra.ra_i];
                int bad = 0;

                if (!strcmp(arg, "-h") || !strcmp(arg, "--help"))
                        return usage(stdout);
                else if (retl_args_is(&ra, "-c", "--config"))
                        bad = retl_args_value(&ra, &path);
                else if (retl_args_is(&ra, NULL, "--sample"))
                        bad = retl_args_count(&ra, 0, PLAN_SAMPLE_MAX, &nsample);
                else if (!strcmp(arg, "--json"))
                        json = 1;
                else if (arg[0] != '-' && !name)
                        name = arg;
                else
                        return retl_args_unknown(&ra);
                if (bad)
                        return 2;
        }
        if (!path || !name) {
                fprintf(stderr, "retl plan: usage: retl plan -c FILE SYNC (see --help)\n");
                return 2;
        }
        if (retl_cfg_load_secrets(path, RETL_CFG_SECRETS_KAFKA | RETL_CFG_SECRETS_DATABASES,
                                  &cfg, err, sizeof(err))) {
                fprintf(stderr, "%s\n", err);
                return 1;
        }
        if (cfg->log_level && retl_log_parse_level(cfg->log_level) >= 0)
                retl_log_set_level((enum retl_log_level)retl_log_parse_level(cfg->log_level));
        pr.pl.cfg = cfg;
        pr.pl.sync = retl_cfg_sync_find(cfg, name);
        if (!pr.pl.sync) {
                fprintf(stderr, "retl plan: no sync named '%s' in %s\n", name, path);
                rc = 2;
                goto out;
        }
        retl_buf_init(&pr.row_avro, 0);
        retl_buf_init(&pr.json, 0);
        retl_buf_init(&pr.key, 0);
        pr.pl.nsample = (size_t)nsample;
        pr.pl.changes = retl_calloc(pr.pl.nsample ? pr.pl.nsample : 1, sizeof(*pr.pl.changes));
        pr.t0 = pr.last_progress = mono_s();

        /* what the next run would start from: its last_sync_time, and the
         * row state the uploader would compare with */
        if (read_checkpoint(&pr, err, sizeof(err))) {
                fprintf(stderr, "retl plan: %s\n", err);
                goto out;
        }
        pr.pl.codec = retl_codec_new(err, sizeof(err));
        pr.pl.rs = retl_rowstate_new();
        state_topic = retl_cfg_state_topic(cfg, pr.pl.sync->workspace);
        if (!pr.pl.codec || retl_statelog_load(&cfg->kafka, state_topic, pr.pl.codec, NULL,
                                               pr.pl.rs, NULL, NULL, &st, err, sizeof(err))) {
                fprintf(stderr, "retl plan: row state: %s\n", err);
                goto out;
        }
        pr.pl.sidx = retl_rowstate_sync(pr.pl.rs, pr.pl.sync->name);
        if (pr.pl.sidx < 0) {
                fprintf(stderr, "retl plan: the row state of %s holds too many syncs\n",
                        state_topic);
                goto out;
        }
        pr.held = (int64_t)retl_rowstate_count(pr.pl.rs, pr.pl.sidx);
        pr.generation = retl_rowstate_generation(pr.pl.rs, pr.pl.sidx);
        if (pr.pl.sync->mirror) {
                pr.seen = retl_rowstate_new();
                retl_rowstate_sync(pr.seen, "seen");
        }
        pr.watermark = retl_query_watermark(pr.lst, pr.pl.sync->overlap_s);

        pr.nparts = pr.pl.sync->relationship_query ? 2 : 1;
        for (int i = 0; i < pr.nparts; i++) {
                struct plan_part *pp = &pr.parts[i];
                pp->label = i ? "relationships" : "main";
                pp->part = i ? RETL_PART_RELATIONSHIPS : RETL_PART_MAIN;
                pp->kind = i ? RETL_QK_RELATIONSHIPS
                             : (enum retl_query_kind)retl_run_main_kind(pr.pl.sync);
                pp->ident = i ? pr.pl.sync->relationship_identify_by : pr.pl.sync->identify_by;
                retl_buf_init(&pp->problems, 64 * 1024);
                if (retl_query_render(i ? pr.pl.sync->relationship_query : pr.pl.sync->query,
                                      pr.watermark, &pp->sql, pp->error, sizeof(pp->error)))
                        ok = 0;
        }
        retl_run_settings(pr.pl.sync, pr.parts[0].sql ? pr.parts[0].sql : pr.pl.sync->query,
                          pr.parts[1].sql, &pr.settings);
        pr.segkey = retl_rowstate_segment_key(pr.settings.segment, pr.settings.segment_name);

        src = ok ? retl_source_open(pr.pl.sync->db, "plan", NULL, &fail, err, sizeof(err))
                 : NULL;
        if (ok && !src) {
                fprintf(stderr, "retl plan: database %s: %s\n", pr.pl.sync->database, err);
                goto out;
        }
        /* in the run's order; a failed query ends the run, as it would */
        for (int i = 0; ok && i < pr.nparts; i++) {
                run_part(&pr, src, &pr.parts[i]);
                ok = part_ok(&pr.parts[i]);
        }
        retl_source_close(src);
        src = NULL;
        if (ok)
                guardrails(&pr);
        if (ok && pr.pl.nchanges && retl_plan_sample_find(&pr.pl, err, sizeof(err)))
                fprintf(stderr, "retl plan: the earlier values of the changed rows could not "
                        "be read: %s\n", err);
        if (json) {
                json_t *doc = to_json(&pr, ok);
                json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
                fputc('\n', stdout);
                json_decref(doc);
        } else {
                print_text(&pr, ok);
        }
        rc = ok ? 0 : 1;
out:
        retl_source_close(src);
        plan_free(&pr);
        free(state_topic);
        retl_cfg_destroy(cfg);
        return rc;
}
