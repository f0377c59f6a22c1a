/* retl console — what the pages share: the console's context and the helpers
 * that turn a page into a response. */
#ifndef RETL_CONSOLE_INT_H
#define RETL_CONSOLE_INT_H

#include "cli/console_html.h"
#include "cli/console_http.h"
#include "lib/cfg.h"
#include "lib/kafka.h"

struct retl_console {
        const struct retl_cfg *cfg;
        const char *cfg_path;
        rd_kafka_t *reader;             /* a consumer of the uploaders' group: lag, checkpoints */
        const char *csrf;               /* what forms carry, see retl_console_http_csrf */
        char self_exe[4096];            /* this program, to run `retl replay` */
};

/** @brief Answers with the page @p h (taken). */
void retl_console_send_page(struct retl_console_resp *rs, struct retl_html *h);
/** @brief Answers with a page saying @p message (escaped). */
void retl_console_send_error(struct retl_console_resp *rs, unsigned status, const char *title,
                             const char *message);
/** @brief A status's CSS class: "st-completed", "st-some-rows-failed"... */
const char *retl_console_status_class(int import_status);

/* Pieces of the pages (console_pages.c). */
struct retl_history;
/** @brief "every 1h", "every 90s". */
void retl_console_fmt_every(char *out, size_t n, int64_t interval_s);
/** @brief The sync's next run as far as the console can tell: a time, "due now",
 *  "paused" or "when the extractor starts". */
void retl_console_next_run(char *out, size_t n, const struct retl_cfg_sync *s,
                           const struct retl_history *h);
void retl_console_status_badge(struct retl_html *p, int import_status);
void retl_console_sync_link(struct retl_html *p, const char *sync);
/** @brief A <td> with the time @p unix_s. */
void retl_console_time_cell(struct retl_html *p, int64_t unix_s);

/* The pages (console_pages.c, console_run.c). */
void retl_console_page_syncs(struct retl_console *c, const struct retl_console_req *rq,
                             struct retl_console_resp *rs);
void retl_console_page_sync(struct retl_console *c, const struct retl_console_req *rq,
                            struct retl_console_resp *rs);
void retl_console_progress_json(struct retl_console *c, const struct retl_console_req *rq,
                                struct retl_console_resp *rs);
void retl_console_page_run(struct retl_console *c, const struct retl_console_req *rq,
                           struct retl_console_resp *rs);
void retl_console_run_csv(struct retl_console *c, const struct retl_console_req *rq,
                          struct retl_console_resp *rs);
void retl_console_page_replay(struct retl_console *c, const struct retl_console_req *rq,
                              struct retl_console_resp *rs);
/** @brief GET /approve?id=RUN or /reject?id=RUN: the confirmation of the
 *  decision on a held run; POST (CSRF-checked): `retl approve` or
 *  `retl reject` run, and what it said. */
void retl_console_page_decide(struct retl_console *c, const struct retl_console_req *rq,
                              struct retl_console_resp *rs);
/* The stylesheet and the script (console_assets.c). */
void retl_console_asset(const char *path, struct retl_console_resp *rs);

#endif
