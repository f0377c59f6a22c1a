/* retl console — the Syncs page, a sync's page and its live progress. */
#include "cli/console_int.h"
#include "cli/console_svg.h"
#include "cli/history.h"
#include "lib/mem.h"
#include "producer/schedule.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HISTORY_ROWS 200        /* imports listed on a sync's page */

const char *retl_console_status_class(int import_status)
{
        static const char *const c[] = {"st-running", "st-completed", "st-some-rows-failed",
                                        "st-failed", "st-skipped"};
        return (unsigned)import_status < 5 ? c[import_status] : "st-unknown";
}

static void every(char *out, size_t n, int64_t s)
{
        if (s % 86400 == 0)
                snprintf(out, n, "every %lldd", (long long)(s / 86400));
        else if (s % 3600 == 0)
                snprintf(out, n, "every %lldh", (long long)(s / 3600));
        else if (s % 60 == 0)
                snprintf(out, n, "every %lldm", (long long)(s / 60));
        else
                snprintf(out, n, "every %llds", (long long)s);
}

/* The newest import of @p sync, or NULL. */
static const struct retl_history_run *last_run(const struct retl_history *h, const char *sync)
{
        for (size_t i = 0; i < h->n; i++)
                if (!strcmp(h->runs[i].r.sync, sync))
                        return &h->runs[i];
        return NULL;
}

/* The next run as the extractor plans it: the slots are start + k * interval;
 * without a start, the extractor's launch sets them, so the last run's start
 * + interval is what can be told from here. */
static void next_run(char *out, size_t n, const struct retl_cfg_sync *s,
                     const struct retl_history *h)
{
        int64_t now = (int64_t)time(NULL), slot = 0;
        const struct retl_history_run *last;

        if (s->paused) {
                snprintf(out, n, "paused");
                return;
        }
        if (s->start)
                slot = s->start > now ? s->start : retl_schedule_next(s->start, s->interval_s, now);
        else if ((last = last_run(h, s->name)) && !last->r.replay_of)
                slot = last->start_ms / 1000 + s->interval_s;
        if (!slot) {
                snprintf(out, n, "when the extractor starts");
                return;
        }
        if (slot <= now) {
                snprintf(out, n, "due now");
                return;
        }
        retl_history_fmt_time(out, n, slot);
}

static void status_badge(struct retl_html *p, int status)
{
        retl_html_fmt(p, "<span class=\"badge %s\">", retl_console_status_class(status));
        retl_html_text(p, retl_import_status_name((enum retl_import_status)status));
        retl_html_raw(p, "</span>");
}

static void sync_link(struct retl_html *p, const char *sync)
{
        retl_html_raw(p, "<a href=\"/sync?name=");
        retl_html_url_value(p, sync);
        retl_html_raw(p, "\">");
        retl_html_text(p, sync);
        retl_html_raw(p, "</a>");
}

static void time_cell(struct retl_html *p, int64_t unix_s)
{
        char t[32];
        retl_history_fmt_time(t, sizeof(t), unix_s);
        retl_html_raw(p, "<td class=\"time\">");
        retl_html_text(p, t);
        retl_html_raw(p, "</td>");
}

static void lag_cell(struct retl_html *p, const struct retl_ws_state *st)
{
        retl_html_raw(p, "<td class=\"num\">");
        if (st->no_topic)
                retl_html_raw(p, "0");
        else if (st->known)
                retl_html_count(p, st->pending);
        else
                retl_html_text(p, "unknown");
        retl_html_raw(p, "</td>");
}

void retl_console_page_syncs(struct retl_console *c, const struct retl_console_req *rq,
                             struct retl_console_resp *rs)
{
        const struct retl_cfg *cfg = c->cfg;
        struct retl_history h = {0};
        struct retl_html p;
        char err[4096], buf[64];

        if (retl_history_read(cfg, &h, err, sizeof(err))) {
                retl_console_send_error(rs, 502, "Syncs", err);
                return;
        }
        retl_html_init(&p);
        retl_html_begin(&p, "Syncs");
        retl_html_raw(&p, "<h1>Syncs</h1>\n<table id=\"syncs\"><thead><tr><th>Sync</th>"
                          "<th>Workspace</th><th>Kind</th><th>Schedule</th><th>Next run</th>"
                          "<th>State</th><th>last_sync_time</th><th>Last import</th>"
                          "<th>Started</th><th class=\"num\">Lag (records)</th></tr></thead>"
                          "<tbody>\n");
        for (size_t i = 0; i < cfg->nsyncs; i++) {
                const struct retl_cfg_sync *s = &cfg->syncs[i];
                const struct retl_history_run *last = last_run(&h, s->name);
                struct retl_ws_state st;

                retl_history_ws_state(cfg, c->reader, s->workspace, s->name, &st);
                retl_html_raw(&p, "<tr><td>");
                sync_link(&p, s->name);
                retl_html_raw(&p, "</td><td>");
                retl_html_text(&p, s->workspace);
                retl_html_raw(&p, "</td><td>");
                retl_html_text(&p, retl_import_name(s->import));
                every(buf, sizeof(buf), s->interval_s);
                retl_html_raw(&p, "</td><td>");
                retl_html_text(&p, buf);
                next_run(buf, sizeof(buf), s, &h);
                retl_html_raw(&p, "</td><td>");
                retl_html_text(&p, buf);
                retl_html_raw(&p, s->paused ? "</td><td><span class=\"badge st-paused\">paused"
                                              "</span></td>"
                                            : "</td><td>active</td>");
                if (st.known)
                        time_cell(&p, st.lst);
                else
                        retl_html_raw(&p, "<td>unknown</td>");
                retl_html_raw(&p, "<td>");
                if (last) {
                        retl_html_raw(&p, "<a href=\"/run?id=");
                        retl_html_url_value(&p, last->r.run_id);
                        retl_html_raw(&p, "\">");
                        status_badge(&p, last->r.status);
                        retl_html_raw(&p, "</a></td>");
                        time_cell(&p, last->start_ms / 1000);
                } else {
                        retl_html_raw(&p, "no imports yet</td><td></td>");
                }
                lag_cell(&p, &st);
                retl_html_raw(&p, "</tr>\n");
        }
        retl_html_raw(&p, "</tbody></table>\n<h2>Workspaces</h2>\n<table id=\"workspaces\">"
                          "<thead><tr><th>Workspace</th><th>Topic</th>"
                          "<th class=\"num\">Lag (records not imported yet)</th>"
                          "<th>Import in progress</th></tr></thead><tbody>\n");
        for (size_t i = 0; i < cfg->nworkspaces; i++) {
                const char *ws = cfg->workspaces[i].name;
                char *topic = retl_cfg_workspace_topic(cfg, ws);
                struct retl_ws_state st;

                retl_history_ws_state(cfg, c->reader, ws, "", &st);
                retl_html_raw(&p, "<tr><td>");
                retl_html_text(&p, ws);
                retl_html_raw(&p, "</td><td>");
                retl_html_text(&p, topic);
                retl_html_raw(&p, "</td>");
                lag_cell(&p, &st);
                retl_html_raw(&p, st.in_run ? "<td>yes</td>" : "<td>no</td>");
                retl_html_raw(&p, "</tr>\n");
                if (!st.known) {
                        retl_html_raw(&p, "<tr><td colspan=\"4\" class=\"why\">");
                        retl_html_text(&p, st.why);
                        retl_html_raw(&p, "</td></tr>\n");
                }
                free(topic);
        }
        retl_html_raw(&p, "</tbody></table>\n");
        retl_html_end(&p, 0);
        retl_console_send_page(rs, &p);
        retl_history_free(&h);
}

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
                time_cell(p, run->start_ms / 1000);
                retl_history_fmt_duration(d, sizeof(d), duration_ms(run));
                retl_html_raw(p, "<td>");
                retl_html_text(p, d);
                retl_html_raw(p, "</td><td>");
                status_badge(p, r.status);
                retl_html_raw(p, "</td><td class=\"num\">");
                retl_html_count(p, r.rows);
                retl_html_raw(p, "</td><td class=\"num\">");
                retl_html_count(p, r.imported);
                retl_html_raw(p, "</td><td class=\"num\">");
                retl_html_count(p, r.failed);
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
                every(buf, sizeof(buf), s->interval_s);
                retl_html_raw(&p, "</dd><dt>Schedule</dt><dd>");
                retl_html_text(&p, buf);
                next_run(buf, sizeof(buf), s, &h);
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
