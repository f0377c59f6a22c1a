/* retl — a run's failed rows and their CSV, see failed_rows.h. */
#include "cli/failed_rows.h"
#include "lib/mem.h"
#include "lib/records.h"
#include "lib/scan.h"

#include <stdlib.h>
#include <string.h>

/* The rows come in row order (the main query's, then the relationship
 * query's), however the uploaders met them. Up to this many are held to
 * sort; a run with more is passed on as read, and says so. */
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
        retl_failed_rows_cb *cb;
        void *opaque;
        int64_t count;
        int64_t started_at_ms;  /* from the run's report, to seek */
        int found_report;
        struct failed_row *rows;
        size_t nrows, cap;
        int unsorted;           /* over ERRORS_SORT_MAX: passed on as read */
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

int retl_failed_rows_find(const struct retl_cfg *cfg, const char *run_id, int64_t *started_at_ms,
                          char *errstr, size_t errstr_size)
{
        struct errors_scan e = {.run_id = run_id};
        if (retl_scan_topic(&cfg->kafka, cfg->kafka.imports_topic, 0, 0, find_report, &e, errstr,
                            errstr_size))
                return -1;
        *started_at_ms = e.started_at_ms;
        return e.found_report;
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

void retl_failed_rows_csv_header(FILE *out)
{
        fprintf(out, "row_number,query,identifier,reason\n");
}

void retl_failed_rows_csv_row(void *opaque, int part, int64_t row_number, const char *identifier,
                              const char *reason)
{
        FILE *out = opaque;
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
                e->cb(e->opaque, r->part, r->row_number, r->identifier, r->reason);
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
                e->cb(e->opaque, (int)f->part, f->row_number, f->identifier, f->reason);
                return 0;
        }
        if (e->nrows == ERRORS_SORT_MAX) {
                fprintf(stderr, "retl errors: over %d failed rows: the rest are written in the "
                        "order they were recorded\n", ERRORS_SORT_MAX);
                qsort(e->rows, e->nrows, sizeof(*e->rows), by_row);
                flush_rows(e);
                e->unsorted = 1;
                e->cb(e->opaque, (int)f->part, f->row_number, f->identifier, f->reason);
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

int retl_failed_rows_read(const struct retl_cfg *cfg, const char *run_id, int64_t started_at_ms,
                          retl_failed_rows_cb *cb, void *opaque, int64_t *count, char *errstr,
                          size_t errstr_size)
{
        struct errors_scan e = {.run_id = run_id, .cb = cb, .opaque = opaque};
        int rc = -1;

        /* failures are written after the run started: seek there by time */
        if (retl_scan_topic(&cfg->kafka, cfg->kafka.failures_topic, 0,
                            started_at_ms > 60000 ? started_at_ms - 60000 : 0, on_failure, &e,
                            errstr, errstr_size))
                goto out;
        if (e.nrows)
                qsort(e.rows, e.nrows, sizeof(*e.rows), by_row);
        flush_rows(&e);
        rc = 0;
out:
        for (size_t i = 0; i < e.nrows; i++) { /* after an error: nothing more is passed */
                free(e.rows[i].identifier);
                free(e.rows[i].reason);
        }
        free(e.rows);
        *count = e.count;
        return rc;
}
