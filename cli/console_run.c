/* retl console — a run's page (its failed rows, paged), their CSV, and the
 * actions on a run behind a confirmation: its replay, and the decision on a
 * run its guardrails hold (approve, reject). */
#include "cli/console_int.h"
#include "cli/failed_rows.h"
#include "cli/history.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/records.h"

#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE_ROWS 50
#define REPLAY_OUTPUT_MAX 65536

/* One page of failed rows, written as they come. */
struct rows_page {
        struct retl_html *p;
        int64_t first, seen;
};

static void page_row(void *opaque, int part, int64_t row_number, const char *identifier,
                     const char *reason)
{
        struct rows_page *rp = opaque;
        int64_t i = rp->seen++;

        if (i < rp->first || i >= rp->first + PAGE_ROWS)
                return;
        retl_html_fmt(rp->p, "<tr><td class=\"num\">%lld</td><td>%s</td><td>",
                      (long long)row_number, part == RETL_PART_MAIN ? "main" : "relationships");
        retl_html_text(rp->p, identifier);
        retl_html_raw(rp->p, "</td><td class=\"reason\">");
        retl_html_text(rp->p, reason);
        retl_html_raw(rp->p, "</td></tr>\n");
}

static void run_link(struct retl_html *p, const char *path, const char *run, int64_t page)
{
        retl_html_raw(p, "<a href=\"");
        retl_html_raw(p, path);
        retl_html_raw(p, "?id=");
        retl_html_url_value(p, run);
        if (page >= 0)
                retl_html_fmt(p, "&amp;page=%lld", (long long)page);
        retl_html_raw(p, "\"");
}

static void run_facts(struct retl_html *p, const struct retl_history_run *run)
{
        const struct retl_import_report *r = &run->r;
        char t[32];

        retl_html_raw(p, "<dl class=\"facts\"><dt>Sync</dt><dd>");
        retl_console_sync_link(p, r->sync);
        retl_html_raw(p, "</dd><dt>Workspace</dt><dd>");
        retl_html_text(p, r->workspace);
        retl_html_raw(p, "</dd><dt>Status</dt><dd>");
        retl_console_status_badge(p, r->status);
        retl_history_fmt_time(t, sizeof(t), run->start_ms / 1000);
        retl_html_raw(p, "</dd><dt>Started</dt><dd>");
        retl_html_text(p, t);
        retl_html_raw(p, "</dd><dt>Rows read</dt><dd id=\"run-rows\">");
        retl_html_count(p, r->rows);
        retl_html_raw(p, "</dd><dt>Imported</dt><dd id=\"run-imported\">");
        retl_html_count(p, r->imported);
        retl_html_raw(p, "</dd><dt>Failed</dt><dd id=\"run-failed\">");
        retl_html_count(p, r->failed);
        retl_html_raw(p, "</dd>");
        if (r->replay_of) {
                retl_html_raw(p, "<dt>Replay of</dt><dd>");
                run_link(p, "/run", r->replay_of, -1);
                retl_html_raw(p, ">");
                retl_html_text(p, r->replay_of);
                retl_html_raw(p, "</a></dd>");
        }
        if (r->error) {
                retl_html_raw(p, "<dt>Error</dt><dd class=\"why\">");
                retl_html_text(p, r->error);
                retl_html_raw(p, "</dd>");
        }
        retl_html_raw(p, "</dl>\n");
}

/* Reads the history and finds the run the request names; answers itself
 * when it cannot. */
static const struct retl_history_run *requested_run(struct retl_console *c,
                                                    const struct retl_console_req *rq,
                                                    struct retl_history *h,
                                                    struct retl_console_resp *rs)
{
        const char *id = retl_console_arg(rq, "id");
        const struct retl_history_run *run;
        char err[4096];

        if (!id || !*id) {
                retl_console_send_error(rs, 400, "Run", "which run? (?id=RUN)");
                return NULL;
        }
        if (retl_history_read(c->cfg, h, err, sizeof(err))) {
                retl_console_send_error(rs, 502, id, err);
                return NULL;
        }
        run = retl_history_find(h, id);
        if (!run)
                retl_console_send_error(rs, 404, id, "no such run in the imports topic");
        return run;
}

void retl_console_page_run(struct retl_console *c, const struct retl_console_req *rq,
                           struct retl_console_resp *rs)
{
        struct retl_history h = {0};
        const struct retl_history_run *run = requested_run(c, rq, &h, rs);
        const char *pg = retl_console_arg(rq, "page");
        struct retl_html p;
        struct rows_page rp;
        int64_t page = pg ? strtoll(pg, NULL, 10) : 0, count = 0, pages;
        char err[4096];

        if (!run)
                goto out;
        if (page < 0)
                page = 0;
        retl_html_init(&p);
        retl_html_begin(&p, run->r.run_id);
        retl_html_raw(&p, "<h1>Run <span class=\"name\">");
        retl_html_text(&p, run->r.run_id);
        retl_html_raw(&p, "</span></h1>\n");
        run_facts(&p, run);
        retl_html_raw(&p, "<p class=\"actions\">");
        run_link(&p, "/run/errors.csv", run->r.run_id, -1);
        retl_html_raw(&p, " class=\"button\" id=\"csv\" download>Download the failed rows "
                          "(CSV)</a> ");
        if (run->r.status == RETL_IMPORT_HELD) {
                run_link(&p, "/approve", run->r.run_id, -1);
                retl_html_raw(&p, " class=\"button\" id=\"approve\">Approve…</a> ");
                run_link(&p, "/reject", run->r.run_id, -1);
                retl_html_raw(&p, " class=\"button\" id=\"reject\">Reject…</a> ");
        }
        run_link(&p, "/replay", run->r.run_id, -1);
        retl_html_raw(&p, " class=\"button\" id=\"replay\">Replay this run…</a></p>\n"
                          "<h2>Failed rows</h2>\n<table id=\"failed\"><thead><tr>"
                          "<th class=\"num\">Row</th><th>Query</th><th>Identifier</th>"
                          "<th>Reason</th></tr></thead><tbody>\n");
        rp = (struct rows_page){&p, page * PAGE_ROWS, 0};
        if (retl_failed_rows_read(c->cfg, run->r.run_id, run->r.started_at_ms, page_row, &rp,
                                  &count, err, sizeof(err))) {
                retl_html_raw(&p, "<tr><td colspan=\"4\" class=\"why\">");
                retl_html_text(&p, err);
                retl_html_raw(&p, "</td></tr>\n");
        } else if (!count) {
                retl_html_raw(&p, "<tr><td colspan=\"4\">no failed rows</td></tr>\n");
        }
        retl_html_raw(&p, "</tbody></table>\n");
        pages = (count + PAGE_ROWS - 1) / PAGE_ROWS;
        retl_html_fmt(&p, "<p class=\"pager\" id=\"pager\">%lld failed rows · page %lld of "
                      "%lld ", (long long)count, (long long)(pages ? page + 1 : 0),
                      (long long)pages);
        if (page > 0) {
                run_link(&p, "/run", run->r.run_id, page - 1);
                retl_html_raw(&p, " rel=\"prev\">previous</a> ");
        }
        if (page + 1 < pages) {
                run_link(&p, "/run", run->r.run_id, page + 1);
                retl_html_raw(&p, " rel=\"next\">next</a>");
        }
        retl_html_raw(&p, "</p>\n");
        retl_html_end(&p, 0);
        retl_console_send_page(rs, &p);
out:
        retl_history_free(&h);
}

void retl_console_run_csv(struct retl_console *c, const struct retl_console_req *rq,
                          struct retl_console_resp *rs)
{
        struct retl_history h = {0};
        const struct retl_history_run *run = requested_run(c, rq, &h, rs);
        char err[4096], *body = NULL;
        size_t len = 0;
        int64_t count;
        FILE *out;

        if (!run)
                goto out;
        /* the very writer `retl errors` uses, so the two are the same bytes */
        out = open_memstream(&body, &len);
        if (!out) {
                retl_console_send_error(rs, 500, "CSV", "out of memory");
                goto out;
        }
        retl_failed_rows_csv_header(out);
        if (retl_failed_rows_read(c->cfg, run->r.run_id, run->r.started_at_ms,
                                  retl_failed_rows_csv_row, out, &count, err, sizeof(err))) {
                fclose(out);
                free(body);
                retl_console_send_error(rs, 502, "CSV", err);
                goto out;
        }
        fclose(out);
        rs->status = 200;
        rs->type = "text/csv; charset=utf-8";
        rs->body = body;
        rs->len = len;
        rs->attachment = "failed-rows.csv";
out:
        retl_history_free(&h);
}

/* Runs retl itself with @p argv (the command an operator would type) and
 * keeps what it says. @returns its exit status, or -1. */
static int run_command(struct retl_console *c, char *const argv[], struct retl_buf *said)
{
        posix_spawn_file_actions_t fa;
        int fd[2], status = -1, err = 0;
        pid_t pid;
        char chunk[4096];
        ssize_t n;

        if (pipe(fd))
                return -1;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
        posix_spawn_file_actions_adddup2(&fa, fd[1], 2);
        posix_spawn_file_actions_addclose(&fa, fd[0]);
        err = posix_spawn(&pid, c->self_exe, &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(fd[1]);
        if (err) {
                close(fd[0]);
                return -1;
        }
        while ((n = read(fd[0], chunk, sizeof(chunk))) > 0)
                if (retl_buf_len(said) + (size_t)n < REPLAY_OUTPUT_MAX &&
                    retl_buf_append(said, chunk, (size_t)n))
                        break;
        close(fd[0]);
        if (waitpid(pid, &status, 0) != pid)
                return -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void retl_console_page_replay(struct retl_console *c, const struct retl_console_req *rq,
                              struct retl_console_resp *rs)
{
        struct retl_history h = {0};
        const struct retl_history_run *run = requested_run(c, rq, &h, rs);
        struct retl_html p;
        struct retl_buf said;

        if (!run)
                goto out;
        retl_html_init(&p);
        retl_html_begin(&p, "Replay");
        retl_html_raw(&p, "<h1>Replay run <span class=\"name\">");
        retl_html_text(&p, run->r.run_id);
        retl_html_raw(&p, "</span></h1>\n");
        if (strcmp(rq->method, "POST")) {
                /* the confirmation: a form that POSTs with the CSRF token */
                retl_html_raw(&p, "<p>The run's records are appended again to workspace <b>");
                retl_html_text(&p, run->r.workspace);
                retl_html_raw(&p, "</b>'s topic and the uploaders import them once more, as "
                                  "<code>retl replay</code> does. last_sync_time does not "
                                  "move.</p>\n<form method=\"post\" action=\"/replay\">"
                                  "<input type=\"hidden\" name=\"id\" value=\"");
                retl_html_text(&p, run->r.run_id);
                retl_html_raw(&p, "\"><input type=\"hidden\" name=\"csrf\" value=\"");
                retl_html_text(&p, c->csrf);
                retl_html_raw(&p, "\"><button type=\"submit\" id=\"confirm\">Replay it</button> ");
                run_link(&p, "/run", run->r.run_id, -1);
                retl_html_raw(&p, ">Cancel</a></form>\n");
        } else {
                int rc;
                retl_buf_init(&said, REPLAY_OUTPUT_MAX);
                retl_log_info("console", "replaying run %s of workspace %s", run->r.run_id,
                              run->r.workspace);
                {
                        char *argv[] = {"retl", "replay", "-c", (char *)c->cfg_path,
                                        (char *)run->r.workspace, "--run", (char *)run->r.run_id,
                                        NULL};
                        rc = run_command(c, argv, &said);
                }
                retl_html_raw(&p, rc == 0 ? "<p class=\"ok\" id=\"result\">Replay appended."
                                            "</p>\n"
                                          : "<p class=\"why\" id=\"result\">The replay failed."
                                            "</p>\n");
                retl_html_raw(&p, "<pre>");
                retl_html_text(&p, retl_buf_str(&said));
                retl_html_raw(&p, "</pre>\n<p>Back to the sync: ");
                retl_console_sync_link(&p, run->r.sync);
                retl_html_raw(&p, "</p>\n");
                retl_buf_free(&said);
        }
        retl_html_end(&p, 0);
        retl_console_send_page(rs, &p);
out:
        retl_history_free(&h);
}

void retl_console_page_decide(struct retl_console *c, const struct retl_console_req *rq,
                              struct retl_console_resp *rs)
{
        int approve = !strcmp(rq->path, "/approve");
        const char *verb = approve ? "approve" : "reject";
        struct retl_history h = {0};
        const struct retl_history_run *run = requested_run(c, rq, &h, rs);
        struct retl_html p;
        struct retl_buf said;

        if (!run)
                goto out;
        retl_html_init(&p);
        retl_html_begin(&p, approve ? "Approve" : "Reject");
        retl_html_fmt(&p, "<h1>%s run <span class=\"name\">", approve ? "Approve" : "Reject");
        retl_html_text(&p, run->r.run_id);
        retl_html_raw(&p, "</span></h1>\n");
        if (strcmp(rq->method, "POST")) {
                /* the confirmation: the figures that held it, then a form
                 * that POSTs with the CSRF token */
                run_facts(&p, run);
                retl_html_raw(&p, approve ? "<p>The uploader sends the run from its start, as "
                                            "<code>retl approve</code> does; it ends as any run "
                                            "(last_sync_time moves).</p>\n"
                                          : "<p>Nothing of the run is sent, as <code>retl "
                                            "reject</code> does; last_sync_time stays, so the "
                                            "sync's next run reads its rows again.</p>\n");
                retl_html_fmt(&p, "<form method=\"post\" action=\"/%s\">"
                              "<input type=\"hidden\" name=\"id\" value=\"", verb);
                retl_html_text(&p, run->r.run_id);
                retl_html_raw(&p, "\"><input type=\"hidden\" name=\"csrf\" value=\"");
                retl_html_text(&p, c->csrf);
                retl_html_fmt(&p, "\"><button type=\"submit\" id=\"confirm\">%s it</button> ",
                              approve ? "Approve" : "Reject");
                run_link(&p, "/run", run->r.run_id, -1);
                retl_html_raw(&p, ">Cancel</a></form>\n");
        } else {
                char *argv[] = {"retl", (char *)verb, "-c", (char *)c->cfg_path,
                                (char *)run->r.run_id, NULL};
                int rc;

                retl_buf_init(&said, REPLAY_OUTPUT_MAX);
                retl_log_info("console", "%s run %s of sync %s", approve ? "approving" : "rejecting",
                              run->r.run_id, run->r.sync);
                rc = run_command(c, argv, &said);
                retl_html_fmt(&p, rc == 0 ? "<p class=\"ok\" id=\"result\">%s.</p>\n"
                                          : "<p class=\"why\" id=\"result\">The %s failed.</p>\n",
                              rc == 0 ? (approve ? "Approved" : "Rejected")
                                      : (approve ? "approval" : "rejection"));
                retl_html_raw(&p, "<pre>");
                retl_html_text(&p, retl_buf_str(&said));
                retl_html_raw(&p, "</pre>\n<p>Back to the sync: ");
                retl_console_sync_link(&p, run->r.sync);
                retl_html_raw(&p, "</p>\n");
                retl_buf_free(&said);
        }
        retl_html_end(&p, 0);
        retl_console_send_page(rs, &p);
out:
        retl_history_free(&h);
}
