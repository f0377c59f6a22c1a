/* retl — `retl preview -c FILE SYNC`: runs a sync's queries as its next run
 * would (same last_sync_time, read from Kafka when reachable), prints the
 * columns with their SQL types, up to 100 rows and the column rules'
 * verdict. Cancels each query after 100 rows; sends nothing to Kafka. */
#include "lib/args.h"
#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/checkpoint.h"
#include "lib/kafka.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "producer/columns.h"
#include "producer/commands.h"
#include "producer/jsonval.h"
#include "producer/query.h"
#include "producer/run.h"
#include "producer/source.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREVIEW_ROWS 100
#define CELL_MAX 40

/* Characters in a UTF-8 string (continuation bytes do not count). */
static size_t width(const char *s)
{
        size_t n = 0;
        for (; *s; s++)
                n += ((unsigned char)*s & 0xC0) != 0x80;
        return n;
}

static void pad(FILE *out, const char *s, size_t w)
{
        size_t n = width(s);
        fputs(s, out);
        for (; n < w; n++)
                fputc(' ', out);
}

/* Reads the last_sync_time the next run would use. @returns 0, or -1 with
 * errstr when Kafka cannot be asked. */
static int kafka_last_sync_time(const struct retl_cfg *cfg, const struct retl_cfg_sync *sync,
                                int64_t *lst, char *errstr, size_t errstr_size)
{
        rd_kafka_t *rk = retl_kafka_consumer_new(&cfg->kafka, cfg->kafka.group, "retl-preview",
                                                 NULL, errstr, errstr_size);
        struct retl_checkpoint cp;
        char *topic, *meta = NULL;
        int64_t off;
        int rc;

        if (!rk)
                return -1;
        if (retl_kafka_wait_cluster(rk, &cfg->kafka, errstr, errstr_size)) {
                rd_kafka_destroy(rk);
                return -1;
        }
        topic = retl_cfg_workspace_topic(cfg, sync->workspace);
        rc = retl_kafka_committed(rk, topic, retl_kafka_timeout_ms(&cfg->kafka), &off, &meta,
                                  errstr, errstr_size);
        if (rc == 0) {
                retl_checkpoint_init(&cp);
                rc = retl_checkpoint_parse(&cp, meta, meta ? strlen(meta) : 0, errstr,
                                           errstr_size);
                if (rc == 0)
                        *lst = retl_checkpoint_get(&cp, sync->name);
                retl_checkpoint_free(&cp);
        }
        free(meta);
        free(topic);
        rd_kafka_destroy(rk);
        return rc;
}

struct preview {
        const char *label;              /* "main", "relationships" */
        enum retl_query_kind kind;
        enum retl_ident ident;
        char *sql;
        const struct retl_source_column *cols;  /* borrowed from the source */
        size_t ncols;
        char **cells;                   /* text cells, rows x ncols */
        json_t *jrows;
        size_t nrows;
        int more;                       /* rows beyond PREVIEW_ROWS */
        struct retl_buf problems;
        int nproblems;
        char error[4096];               /* the query could not run */
};

static void preview_free(struct preview *p)
{
        for (size_t i = 0; i < p->nrows * p->ncols; i++)
                free(p->cells ? p->cells[i] : NULL);
        free(p->cells);
        json_decref(p->jrows);
        retl_buf_free(&p->problems);
        free(p->sql);
}

/* Runs one query; the columns stay readable until the source's next query. */
static void run_preview(struct retl_source *src, const char *tmpl, int64_t lst,
                        struct preview *p)
{
        struct retl_query_info qi = {0};
        enum retl_source_fail fail;
        const struct retl_value *vals;
        struct retl_buf cell;
        int rc;

        retl_buf_init(&p->problems, 64 * 1024);
        p->jrows = json_array();
        if (retl_query_render(tmpl, lst, &p->sql, p->error, sizeof(p->error)) ||
            retl_query_check(p->sql, &qi, p->error, sizeof(p->error)))
                return;
        if (!src)
                return;
        if (retl_source_query(src, p->sql, &fail, p->error, sizeof(p->error)))
                return;
        p->cols = retl_source_columns(src);
        p->ncols = retl_source_ncolumns(src);
        p->nproblems = retl_columns_check(p->kind, p->ident, qi.has_star, p->cols, p->ncols,
                                          &p->problems);
        p->cells = retl_calloc(PREVIEW_ROWS * (p->ncols ? p->ncols : 1), sizeof(*p->cells));
        retl_buf_init(&cell, 0);
        for (;;) {
                json_t *row;

                rc = retl_source_next(src, &vals, &fail, p->error, sizeof(p->error));
                if (rc <= 0)
                        break;
                if (p->nrows == PREVIEW_ROWS) {
                        p->more = 1;
                        retl_source_cancel(src);
                        break;
                }
                row = json_array();
                for (size_t i = 0; i < p->ncols; i++) {
                        retl_buf_reset(&cell);
                        retl_jsonval_text(&vals[i], CELL_MAX, &cell);
                        p->cells[p->nrows * p->ncols + i] = retl_strdup(retl_buf_str(&cell));
                        json_array_append_new(row, retl_jsonval_new(&vals[i]));
                }
                json_array_append_new(p->jrows, row);
                p->nrows++;
        }
        retl_buf_free(&cell);
}

static void print_text(FILE *out, const struct preview *p)
{
        size_t *w;

        fprintf(out, "\n== %s query\n%s\n\n", p->label, p->sql ? p->sql : "");
        if (p->error[0] && !p->ncols) {
                fprintf(out, "FAILED: %s\n", p->error);
                return;
        }
        fprintf(out, "columns (%zu):\n", p->ncols);
        for (size_t i = 0; i < p->ncols; i++)
                fprintf(out, "  %3zu  %-30s %-28s -> %s\n", i + 1,
                        p->cols[i].name[0] ? p->cols[i].name : "(no name)", p->cols[i].type_name,
                        retl_vtype_name(p->cols[i].vtype));
        w = retl_calloc(p->ncols ? p->ncols : 1, sizeof(*w));
        for (size_t i = 0; i < p->ncols; i++) {
                w[i] = width(p->cols[i].name);
                for (size_t r = 0; r < p->nrows; r++)
                        if (width(p->cells[r * p->ncols + i]) > w[i])
                                w[i] = width(p->cells[r * p->ncols + i]);
        }
        fprintf(out, "\nrows: %zu shown%s\n", p->nrows,
                p->more ? " (more follow; the preview stops at 100)" : "");
        if (p->ncols) {
                for (size_t i = 0; i < p->ncols; i++) {
                        fputs(i ? " | " : "", out);
                        pad(out, p->cols[i].name, w[i]);
                }
                fputc('\n', out);
                for (size_t i = 0; i < p->ncols; i++) {
                        fputs(i ? "-+-" : "", out);
                        for (size_t k = 0; k < w[i]; k++)
                                fputc('-', out);
                }
                fputc('\n', out);
                for (size_t r = 0; r < p->nrows; r++) {
                        for (size_t i = 0; i < p->ncols; i++) {
                                fputs(i ? " | " : "", out);
                                pad(out, p->cells[r * p->ncols + i], w[i]);
                        }
                        fputc('\n', out);
                }
        }
        free(w);
        if (p->error[0])
                fprintf(out, "\nFAILED while reading rows: %s\n", p->error);
        if (p->nproblems)
                fprintf(out, "\ncolumn rules: FAILED, %d problem(s):\n%s", p->nproblems,
                        retl_buf_str(&p->problems));
        else
                fprintf(out, "\ncolumn rules: ok\n");
}

static json_t *to_json(const struct preview *p)
{
        json_t *j = json_object(), *cols = json_array(), *probs = json_array();
        const char *s = retl_buf_str(&p->problems), *nl;

        json_object_set_new(j, "part", json_string(p->label));
        json_object_set_new(j, "query", p->sql ? json_string(p->sql) : json_null());
        for (size_t i = 0; i < p->ncols; i++) {
                json_t *c = json_object();
                json_object_set_new(c, "name", json_string(p->cols[i].name));
                json_object_set_new(c, "sql_type", json_string(p->cols[i].type_name));
                json_object_set_new(c, "avro", json_string(retl_vtype_name(p->cols[i].vtype)));
                json_array_append_new(cols, c);
        }
        json_object_set_new(j, "columns", cols);
        json_object_set(j, "rows", p->jrows);
        json_object_set_new(j, "more_rows", json_boolean(p->more));
        while (*s && (nl = strchr(s, '\n'))) {
                json_array_append_new(probs, json_stringn(s, (size_t)(nl - s)));
                s = nl + 1;
        }
        json_object_set_new(j, "problems", probs);
        json_object_set_new(j, "error", p->error[0] ? json_string(p->error) : json_null());
        json_object_set_new(j, "ok", json_boolean(!p->error[0] && !p->nproblems));
        return j;
}

int retl_preview_main(int argc, char **argv)
{
        const char *path = NULL, *name = NULL, *lst_from = "override";
        const struct retl_cfg_sync *sync;
        struct retl_cfg *cfg = NULL;
        struct retl_source *src = NULL;
        struct preview pv[2];
        enum retl_source_fail fail;
        char err[16384], connerr[4096] = "";
        int json = 0, rc = 1, np = 0, ok = 1, lst_given = 0;
        struct retl_args ra = {"preview", argc, argv, 1};
        int64_t lst = 0, subst;

        memset(pv, 0, sizeof(pv));
        for (; ra.ra_i < argc; ra.ra_i++) {
                const char *arg = argv[ra.ra_i];
                int bad = 0;

                if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
                        printf("usage: retl preview -c FILE SYNC [--last-sync-time N] [--json]\n\n"
                               "Runs SYNC's query (and relationship query) as its next run "
                               "would and prints\nthe columns with their SQL types, up to 100 "
                               "rows and the column rules'\nverdict. Nothing is sent to Kafka. "
                               "last_sync_time is read from Kafka when\nreachable (0 "
                               "otherwise).\n\n"
                               "  --last-sync-time N  substitute N for {{last_sync_time}}\n"
                               "  --json              one JSON document instead of tables\n\n"
                               "Exit status 0 when every query runs and passes the column "
                               "rules, 1 otherwise.\n");
                        return 0;
                } else if (retl_args_is(&ra, "-c", "--config")) {
                        bad = retl_args_value(&ra, &path);
                } else if (retl_args_is(&ra, NULL, "--last-sync-time")) {
                        bad = retl_args_count(&ra, 0, INT64_MAX, &lst);
                        lst_given = 1;
                } else if (!strcmp(arg, "--json")) {
                        json = 1;
                } else if (arg[0] != '-' && !name) {
                        name = arg;
                } else {
                        return retl_args_unknown(&ra);
                }
                if (bad)
                        return 2;
        }
        if (!path || !name) {
                fprintf(stderr, "retl preview: usage: retl preview -c FILE SYNC\n");
                return 2;
        }
        if (retl_cfg_load_secrets(path, RETL_CFG_SECRETS_KAFKA | RETL_CFG_SECRETS_DATABASES, &cfg, err, sizeof(err))) {
                fprintf(stderr, "%s\n", err);
                return 1;
        }
        if (cfg->log_level && retl_log_parse_level(cfg->log_level) >= 0)
                retl_log_set_level((enum retl_log_level)retl_log_parse_level(cfg->log_level));
        sync = retl_cfg_sync_find(cfg, name);
        if (!sync) {
                fprintf(stderr, "retl preview: no sync named '%s' in %s\n", name, path);
                rc = 2;
                goto out;
        }
        if (!lst_given) {
                if (kafka_last_sync_time(cfg, sync, &lst, err, sizeof(err))) {
                        retl_log_warn("preview", "last_sync_time not read from Kafka (%s): using 0",
                                      err);
                        lst = 0;
                        lst_from = "Kafka unreachable, 0 used";
                } else {
                        lst_from = "from Kafka";
                }
        }
        src = retl_source_open(sync->db, "preview", NULL, &fail, connerr, sizeof(connerr));
        pv[0].label = "main";
        pv[0].kind = (enum retl_query_kind)retl_run_main_kind(sync);
        pv[0].ident = sync->identify_by;
        pv[1].label = "relationships";
        pv[1].kind = RETL_QK_RELATIONSHIPS;
        pv[1].ident = sync->relationship_identify_by;
        np = sync->relationship_query ? 2 : 1;
        /* As the next run would: the sync's overlap window taken off what
         * Kafka holds; --last-sync-time is substituted as given. */
        subst = lst_given ? lst : retl_query_watermark(lst, sync->overlap_s);
        /* Each query is printed before the next runs: its columns belong to
         * the source until then. */
        if (json) {
                json_t *doc = json_object(), *qs = json_array();
                json_object_set_new(doc, "sync", json_string(sync->name));
                json_object_set_new(doc, "import", json_string(retl_import_name(sync->import)));
                json_object_set_new(doc, "last_sync_time", json_integer(lst));
                json_object_set_new(doc, "last_sync_time_source", json_string(lst_from));
                json_object_set_new(doc, "substituted", json_integer(subst));
                json_object_set_new(doc, "connection_error",
                                    src ? json_null() : json_string(connerr));
                for (int i = 0; i < np; i++) {
                        run_preview(src, i ? sync->relationship_query : sync->query, subst, &pv[i]);
                        if (!src && !pv[i].error[0])
                                snprintf(pv[i].error, sizeof(pv[i].error), "%s", connerr);
                        json_array_append_new(qs, to_json(&pv[i]));
                        ok &= !pv[i].error[0] && !pv[i].nproblems;
                }
                json_object_set_new(doc, "queries", qs);
                json_object_set_new(doc, "ok", json_boolean(ok));
                json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
                fputc('\n', stdout);
                json_decref(doc);
        } else {
                printf("sync %s (%s), last_sync_time %lld (%s), {{last_sync_time}} = %lld%s\n",
                       sync->name, retl_import_name(sync->import), (long long)lst, lst_from,
                       (long long)subst, lst_given ? "" : " (less the overlap window)");
                if (!src)
                        printf("FAILED to connect: %s\n", connerr);
                for (int i = 0; i < np; i++) {
                        run_preview(src, i ? sync->relationship_query : sync->query, subst, &pv[i]);
                        if (!src && !pv[i].error[0])
                                snprintf(pv[i].error, sizeof(pv[i].error), "%s", connerr);
                        print_text(stdout, &pv[i]);
                        ok &= !pv[i].error[0] && !pv[i].nproblems;
                }
                printf("\nverdict: %s\n", ok ? "ok, the sync can run"
                                             : "FAILED, the sync's runs would fail");
        }
        rc = ok ? 0 : 1;
out:
        for (int i = 0; i < 2; i++)
                if (pv[i].label)
                        preview_free(&pv[i]);
        retl_source_close(src);
        retl_cfg_destroy(cfg);
        return rc;
}
