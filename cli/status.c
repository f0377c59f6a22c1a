/* retl — `retl status` and `retl errors`: the import history and the failed
 * rows of a run, read from the imports and failures topics, so they work
 * from any machine that reaches the cluster. */
#include "cli/commands.h"
#include "cli/failed_rows.h"
#include "cli/history.h"
#include "lib/args.h"
#include "lib/kafka.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/scan.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
        struct retl_history h = {0};
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
        if (retl_history_read(cfg, &h, err, sizeof(err))) {
                fprintf(stderr, "retl status: %s\n", err);
                goto out;
        }
        reader = retl_kafka_consumer_new(&cfg->kafka, cfg->kafka.group, "retl-status", NULL, err,
                                         sizeof(err));

        if (json)
                printf("{\"syncs\":[");
        /* configured syncs first, in file order, then any others in the history */
        for (size_t pass = 0, first = 1; pass < 2; pass++) {
                size_t count = pass == 0 ? cfg->nsyncs : h.n;
                for (size_t k = 0; k < count; k++) {
                        const char *sync, *ws;
                        struct retl_ws_state st;
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
                        retl_history_ws_state(cfg, reader, ws, sync, &st);
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
                                retl_history_fmt_time(t, sizeof(t), st.lst);
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
                                               "\"unchanged\":%lld,\"deleted\":%lld",
                                               (long long)start, (long long)dur,
                                               (long long)r->rows, (long long)r->imported,
                                               (long long)r->failed, (long long)r->unchanged,
                                               (long long)r->deleted);
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
                                        retl_history_fmt_time(t, sizeof(t), start / 1000);
                                        retl_history_fmt_duration(d, sizeof(d), dur);
                                        printf("  %-20s  %-10s  %-16s  %9lld  %9lld  %9lld  %7lld  "
                                               "%s%s%s\n",
                                               t, d, retl_import_status_name(r->status),
                                               (long long)r->rows, (long long)r->imported,
                                               (long long)r->unchanged, (long long)r->failed,
                                               r->run_id,
                                               r->replay_of ? "  replay of " : "",
                                               r->replay_of ? r->replay_of : "");
                                        if (r->deleted)
                                                printf("  %-20s  deleted %lld identifiers the "
                                                       "result no longer holds (mirror)\n", "",
                                                       (long long)r->deleted);
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
        retl_history_free(&h);
        retl_cfg_destroy(cfg);
        return rc;
}

/* ------------------------------------------------------------------ */
/* retl errors                                                         */
/* ------------------------------------------------------------------ */

int retl_errors_main(int argc, char **argv)
{
        const char *path = NULL, *run = NULL, *outpath = NULL;
        struct retl_cfg *cfg = NULL;
        FILE *out = NULL;
        int64_t started_at_ms = 0, count = 0;
        int found;
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
        found = retl_failed_rows_find(cfg, run, &started_at_ms, err, sizeof(err));
        if (found < 0) {
                fprintf(stderr, "retl errors: %s\n", err);
                goto out;
        }
        if (!found) {
                fprintf(stderr, "retl errors: no run '%s' in %s (see `retl status`)\n", run,
                        cfg->kafka.imports_topic);
                goto out;
        }
        out = outpath ? fopen(outpath, "w") : stdout;
        if (!out) {
                fprintf(stderr, "retl errors: cannot write %s\n", outpath);
                goto out;
        }
        retl_failed_rows_csv_header(out);
        if (retl_failed_rows_read(cfg, run, started_at_ms, retl_failed_rows_csv_row, out, &count,
                                  err, sizeof(err))) {
                fprintf(stderr, "retl errors: %s\n", err);
                goto out;
        }
        if (outpath)
                fprintf(stderr, "retl errors: %lld failed rows of %s written to %s\n",
                        (long long)count, run, outpath);
        rc = 0;
out:
        if (out && out != stdout)
                fclose(out);
        retl_cfg_destroy(cfg);
        return rc;
}
