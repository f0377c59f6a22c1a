/* retl console — the Syncs page, and the pieces every page shows a sync or an import with. */
#include "cli/console_int.h"
#include "cli/history.h"
#include "lib/mem.h"
#include "producer/schedule.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *retl_console_status_class(int import_status)
{
        static const char *const c[] = {"st-running", "st-completed", "st-some-rows-failed",
                                        "st-failed", "st-skipped", "st-held", "st-rejected"};
        return (unsigned)import_status < sizeof(c) / sizeof(c[0]) ? c[import_status]
                                                                   : "st-unknown";
}

void retl_console_fmt_every(char *out, size_t n, int64_t s)
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
void retl_console_next_run(char *out, size_t n, const struct retl_cfg_sync *s,
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

void retl_console_status_badge(struct retl_html *p, int status)
{
        retl_html_fmt(p, "<span class=\"badge %s\">", retl_console_status_class(status));
        retl_html_text(p, retl_import_status_name((enum retl_import_status)status));
        retl_html_raw(p, "</span>");
}

void retl_console_sync_link(struct retl_html *p, const char *sync)
{
        retl_html_raw(p, "<a href=\"/sync?name=");
        retl_html_url_value(p, sync);
        retl_html_raw(p, "\">");
        retl_html_text(p, sync);
        retl_html_raw(p, "</a>");
}

void retl_console_time_cell(struct retl_html *p, int64_t unix_s)
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
                retl_console_sync_link(&p, s->name);
                retl_html_raw(&p, "</td><td>");
                retl_html_text(&p, s->workspace);
                retl_html_raw(&p, "</td><td>");
                retl_html_text(&p, retl_import_name(s->import));
                retl_console_fmt_every(buf, sizeof(buf), s->interval_s);
                retl_html_raw(&p, "</td><td>");
                retl_html_text(&p, buf);
                retl_console_next_run(buf, sizeof(buf), s, &h);
                retl_html_raw(&p, "</td><td>");
                retl_html_text(&p, buf);
                retl_html_raw(&p, s->paused ? "</td><td><span class=\"badge st-paused\">paused"
                                              "</span></td>"
                                            : "</td><td>active</td>");
                if (st.known)
                        retl_console_time_cell(&p, st.lst);
                else
                        retl_html_raw(&p, "<td>unknown</td>");
                retl_html_raw(&p, "<td>");
                if (last) {
                        retl_html_raw(&p, "<a href=\"/run?id=");
                        retl_html_url_value(&p, last->r.run_id);
                        retl_html_raw(&p, "\">");
                        retl_console_status_badge(&p, last->r.status);
                        retl_html_raw(&p, "</a></td>");
                        retl_console_time_cell(&p, last->start_ms / 1000);
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
