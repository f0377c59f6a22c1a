/* retl — one run of one sync: read its state back from Kafka, apply the skip
 * rule, run its queries and publish
 *   RunStarted → Row MAIN 1..n → Row RELATIONSHIPS 1..m → RunFinished
 * to the workspace's topic (key = sync name). A run is finished only when
 * Kafka acknowledged every one of its messages. */
#ifndef RETL_RUN_H
#define RETL_RUN_H

#include "lib/cfg.h"
#include "lib/metrics.h"
#include "producer/sink.h"

#include <signal.h>
#include <stddef.h>

enum retl_run_result {
        RETL_RUN_OK = 0,
        RETL_RUN_FAILED = 1,
        RETL_RUN_SKIPPED = 3,
        RETL_RUN_CANCELLED = 4,
        RETL_RUN_BUSY = 5,      /* workspace busy and defer_skip set: nothing published */
};

struct retl_run_opts {
        const volatile sig_atomic_t *stop;      /* non-zero: cancel the run (may be NULL) */
        int progress_s;                         /* progress line period; 0 = 5 s */
        struct retl_metrics *metrics;           /* may be NULL */
        /* Non-zero: when the workspace's previous import is still going,
         * return RETL_RUN_BUSY and publish nothing (the caller tries again
         * shortly, and reports a skip only once the sync's slot is over). */
        int defer_skip;
};

/** @brief Declares the metrics retl_run_sync() records. */
void retl_run_declare_metrics(struct retl_metrics *m);

/** @brief Runs @p sync once, now. Logs what happens with `sync=… run=…`.
 *  @returns the outcome; for FAILED the reason is also in errstr. */
enum retl_run_result retl_run_sync(const struct retl_cfg *cfg, struct retl_sink *sink,
                                   const struct retl_cfg_sync *sync,
                                   const struct retl_run_opts *opts, char *errstr,
                                   size_t errstr_size);

/** @brief Which rules a sync's main query follows. */
int retl_run_main_kind(const struct retl_cfg_sync *sync);

/** @brief The settings a run of @p s carries in its RunStarted (@p query and
 *  @p rel_query as rendered; borrowed, like the sync's strings). */
void retl_run_settings(const struct retl_cfg_sync *s, const char *query, const char *rel_query,
                       struct retl_sync_settings *st);

/** @brief Values of a row too large to import become Oversize (their size
 *  only): a text or binary value over 32 KB, and the largest ones while the
 *  row's values pass 512 KB together. @returns how many; *first (may be
 *  NULL) = the column of the first value over 32 KB, left alone when none. */
size_t retl_run_shrink_row(struct retl_column *cols, size_t n, size_t *first);

/** @brief A new run id: <sync>-<started_at_ms>-<4 random hex digits>; free() it. */
char *retl_run_id(const char *sync, int64_t started_at_ms);

/** @brief The wall clock in Unix milliseconds. */
int64_t retl_run_now_ms(void);

#endif
