/* retl console — a sync's page (facts, live progress, chart, imports, query) and the
 * progress its script polls. */
#include "cli/console_int.h"
#include "cli/console_svg.h"
#include "cli/history.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HISTORY_ROWS 200        /* imports listed on a sync's page */

/* The running import's counts: one import per workspace at a time, so a
 * running run's progress is the workspace's mid-run checkpoint. */
static struct retl_import_report progress_of(const struct retl_history_run *run,
                                             const struct retl_ws_state *st)
{
        struct retl_import_report r = run->r;
        if (r.status == RETL_IMPORT_RUNNING && st->in_run) {
                r.rows = st->run_rows;
                r.imported = st->run_imported;
                r.failed = st->run_failed;
        }
        return r;
}

static int64_t duration_ms(const struct retl_history_run *run)
{
        return run->r.status == RETL_IMPORT_RUNNING
                       ? (int64_t)time(NULL) * 1000 - run->start_ms
                       : run->r.finished_at_ms - run->start_ms;
}

static void progress_box(struct retl_html *p, const char *sync,
                         const struct retl_history_run *last, const struct retl_ws_state *st)
{
        struct retl_import_report r = {0};
        int running = last && last->r.status == RETL_IMPORT_RUNNING;

        if (running)
                r = progress_of(last, st);
        retl_html_raw(p, "<section id=\"progress\" data-sync=\"");
        retl_html_text(p, sync);
        retl_html_raw(p, "\"><h2>Import in progress</h2><p><span id=\"p-state\">");
        retl_html_raw(p, running ? "running" : "none running");
        retl_html_raw(p, "</span> · rows read <span id=\"p-rows\">");
        retl_html_count(p, r.rows);
        retl_html_raw(p, "</span> · imported <span id=\"p-imported\">");
        retl_html_count(p, r.imported);
        retl_html_raw(p, "</span> · failed <span id=\"p-failed\">");
        retl_html_count(p, r.failed);
        retl_html_raw(p, "</span> · records waiting in the workspace's topic "
                         "<span id=\"p-pending\">");
        retl_html_count(p, st->known ? st->pending : 0);
        retl_html_raw(p, "</span></p><p class=\"note\" id=\"p-note\">Updated when the page "
                         "loads; with JavaScript, every 2 seconds.</p></section>\n");
}

static void history_table(struct retl_html *p, const struct retl_history *h, const char *sync,
                          const struct retl_ws_state *st)
{
        size_t shown = 0;

        retl_html_raw(p, "<h2>Imports</h2>\n<table id=\"imports\"><thead><tr><th>Started</th>"
                         "<th>Duration</th><th>Status</th><th class=\"num\">Rows read</th>"
                         "<th class=\"num\">Imported</th><th class=\"num\">Failed</th>"
                         "<th>Run</th></tr></thead><tbody>\n");
        for (size_t i = 0; i < h->n && shown < HISTORY_ROWS; i++) {
                const struct retl_history_run *run = &h->runs[i];
                struct retl_import_report r;
                char d[32];

                if (strcmp(run->r.sync, sync))
                        continue;
                r = shown ? run->r : progress_of(run, st);
                shown++;
                retl_html_raw(p, "<tr>");
                retl_console_time_cell(p, run->start_ms / 1000);
                retl_history_fmt_duration(d, sizeof(d), duration_ms(run));
                retl_html_raw(p, "<td>");
                retl_html_text(p, d);
                retl_html_raw(p, "</td><td>");
                retl_console_status_badge(p, r.status);
                for (size_t k = 0; k < 3; k++) {
                        const int64_t counts[] = {r.rows, r.imported, r.failed};
                        retl_html_raw(p, "</td><td class=\"num\">");
                        retl_html_count(p, counts[k]);
                }
                retl_html_raw(p, "</td><td><a href=\"/run?id=");
                retl_html_url_value(p, r.run_id);
                retl_html_raw(p, "\">");
                retl_html_text(p, r.run_id);
                retl_html_raw(p, "</a>");
                if (r.replay_of) {
                        retl_html_raw(p, " <span class=\"note\">replay of ");
                        retl_html_text(p, r.replay_of);
                        retl_html_raw(p, "</span>");
                }
                if (r.error) {
                        retl_html_raw(p, "<div class=\"why\">");
                        retl_html_text(p, r.error);
                        retl_html_raw(p, "</div>");
                }
                retl_html_raw(p, "</td></tr>\n");
        }
        if (!shown)
                retl_html_raw(p, "<tr><td colspan=\"7\">no imports yet</td></tr>\n");
        retl_html_raw(p, "</tbody></table>\n");
}

static void chart(struct retl_html *p, const struct retl_history *h, const char *sync)
{
        struct retl_chart_point pts[RETL_CHART_MAX];
        size_t n = 0;

        /* the newest RETL_CHART_MAX, then oldest first */
        for (size_t i = 0; i < h->n && n < RETL_CHART_MAX; i++) {
                const struct retl_history_run *run = &h->runs[i];
                if (strcmp(run->r.sync, sync))
                        continue;
                pts[n++] = (struct retl_chart_point){run->start_ms, run->r.imported,
                                                     run->r.failed, duration_ms(run)};
        }
        for (size_t i = 0; i < n / 2; i++) {
                struct retl_chart_point t = pts[i];
                pts[i] = pts[n - 1 - i];
                pts[n - 1 - i] = t;
        }
        retl_html_raw(p, "<h2>Rows and duration per import</h2>\n<figure>");
        retl_console_svg_chart(p, pts, n);
        retl_html_raw(p, "<figcaption><span class=\"key imp\"></span>imported "
                         "<span class=\"key fail\"></span>failed "
                         "<span class=\"key dur\"></span>duration</figcaption></figure>\n");
}

static void query_text(struct retl_html *p, const char *title, const char *sql)
{
        retl_html_raw(p, "<h2>");
        retl_html_text(p, title);
        retl_html_raw(p, "</h2>\n<pre class=\"query\">");
        retl_html_text(p, sql);
        retl_html_raw(p, "</pre>\n");
}

void retl_console_page_sync(struct retl_console *c, const struct retl_console_req *rq,
                            struct retl_console_resp *rs)
{
        const char *name = retl_console_arg(rq, "name");
        const struct retl_cfg_sync *s = name ? retl_cfg_sync_find(c->cfg, name) : NULL;
        struct retl_history h = {.only_sync = name};
        struct retl_ws_state st;
        struct retl_html p;
        const char *ws;
        char err[4096], buf[64];

        if (!name) {
                retl_console_send_error(rs, 400, "Sync", "which sync? (/sync?name=NAME)");
                return;
        }
        if (retl_history_read(c->cfg, &h, err, sizeof(err))) {
                retl_console_send_error(rs, 502, name, err);
                return;
        }
        if (!s && !h.n) {
                retl_history_free(&h);
                retl_console_send_error(rs, 404, name, "no such sync in the configuration, and "
                                        "no imports of it");
                return;
        }
        ws = s ? s->workspace : h.runs[0].r.workspace;
        retl_history_ws_state(c->cfg, c->reader, ws, name, &st);
        retl_html_init(&p);
        retl_html_begin(&p, name);
        retl_html_raw(&p, "<h1>Sync <span class=\"name\">");
        retl_html_text(&p, name);
        retl_html_raw(&p, "</span></h1>\n<dl class=\"facts\"><dt>Workspace</dt><dd>");
        retl_html_text(&p, ws);
        if (s) {
                retl_html_raw(&p, "</dd><dt>Kind</dt><dd>");
                retl_html_text(&p, retl_import_name(s->import));
                retl_console_fmt_every(buf, sizeof(buf), s->interval_s);
                retl_html_raw(&p, "</dd><dt>Schedule</dt><dd>");
                retl_html_text(&p, buf);
                retl_console_next_run(buf, sizeof(buf), s, &h);
                retl_html_raw(&p, "</dd><dt>Next run</dt><dd>");
                retl_html_text(&p, buf);
                retl_html_raw(&p, s->paused ? "</dd><dt>State</dt><dd>paused"
                                            : "</dd><dt>State</dt><dd>active");
        } else {
                retl_html_raw(&p, "</dd><dt>State</dt><dd>no longer configured");
        }
        retl_html_raw(&p, "</dd><dt>last_sync_time</dt><dd>");
        if (st.known) {
                retl_history_fmt_time(buf, sizeof(buf), st.lst);
                retl_html_fmt(&p, "%lld (", (long long)st.lst);
                retl_html_text(&p, buf);
                retl_html_raw(&p, ")");
        } else {
                retl_html_raw(&p, "unknown: ");
                retl_html_text(&p, st.why);
        }
        retl_html_raw(&p, "</dd></dl>\n");
        progress_box(&p, name, h.n ? &h.runs[0] : NULL, &st);
        chart(&p, &h, name);
        history_table(&p, &h, name, &st);
        if (s) {
                query_text(&p, "Query", s->query);
                if (s->relationship_query)
                        query_text(&p, "Relationship query", s->relationship_query);
        }
        retl_html_end(&p, 1);
        retl_console_send_page(rs, &p);
        retl_history_free(&h);
}

void retl_console_progress_json(struct retl_console *c, const struct retl_console_req *rq,
                                struct retl_console_resp *rs)
{
        const char *name = retl_console_arg(rq, "sync");
        const struct retl_cfg_sync *s = name ? retl_cfg_sync_find(c->cfg, name) : NULL;
        struct retl_history h = {.only_sync = name};
        struct retl_import_report r = {0};
        struct retl_ws_state st;
        json_t *o;
        char err[4096];

        if (!s) {
                retl_console_send_error(rs, 404, "Progress", "no such sync");
                return;
        }
        if (retl_history_read(c->cfg, &h, err, sizeof(err))) {
                retl_console_send_error(rs, 502, name, err);
                return;
        }
        retl_history_ws_state(c->cfg, c->reader, s->workspace, name, &st);
        if (h.n)
                r = progress_of(&h.runs[0], &st);
        o = json_pack("{s:s, s:b, s:s?, s:s?, s:I, s:I, s:I, s:I, s:b}", "sync", name,
                      "running", h.n && r.status == RETL_IMPORT_RUNNING, "run", r.run_id,
                      "status", h.n ? retl_import_status_name(r.status) : NULL, "rows",
                      (json_int_t)r.rows, "imported", (json_int_t)r.imported, "failed",
                      (json_int_t)r.failed, "pending", (json_int_t)(st.known ? st.pending : 0),
                      "known", st.known);
        rs->status = 200;
        rs->type = "application/json";
        rs->body = json_dumps(o, JSON_COMPACT);
        rs->len = rs->body ? strlen(rs->body) : 0;
        json_decref(o);
        retl_history_free(&h);
}
