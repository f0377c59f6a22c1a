/* retl — the import history and each workspace's state, read from the imports
 * topic and the uploaders' group: what `retl status` and `retl console` show. */
#ifndef RETL_HISTORY_H
#define RETL_HISTORY_H

#include "lib/cfg.h"
#include "lib/kafka.h"
#include "lib/records.h"

#include <stddef.h>
#include <stdint.h>

/* One run's newest report, its strings owned. */
struct retl_history_run {
        struct retl_import_report r;
        int64_t offset;
        int64_t start_ms;       /* when this import started (a replay: when it was imported) */
};

/* The runs, newest start first after retl_history_read; use the functions. */
struct retl_history {
        struct retl_history_run *runs;
        size_t n, cap;
        size_t *slots;          /* open addressing on run_id: index + 1, 0 = empty */
        size_t nslots;
        const char *only_sync;  /* NULL = every sync */
};

/** @brief Reads the imports topic into @p h (zeroed, only_sync set or NULL),
 *  newest start first. @returns 0, or -1 with errstr. */
int retl_history_read(const struct retl_cfg *cfg, struct retl_history *h, char *errstr,
                      size_t errstr_size);
/** @brief The run @p run_id, or NULL. */
const struct retl_history_run *retl_history_find(const struct retl_history *h,
                                                 const char *run_id);
void retl_history_free(struct retl_history *h);

/* A workspace as the uploaders left it: a sync's last_sync_time from their
 * committed checkpoint, the records not imported yet (an import in progress,
 * or uploaders that are down), and the counts so far of a run part-way
 * through (its mid-run checkpoint). */
struct retl_ws_state {
        int known;              /* 0: why says what went wrong */
        int no_topic;           /* nothing was ever published to the workspace */
        int64_t lst, pending;
        int in_run;             /* a mid-run checkpoint: the counts below */
        int64_t run_rows, run_imported, run_failed, run_unchanged;
        char why[512];
};

/** @brief Fills @p st for @p sync of workspace @p ws; @p reader is a consumer
 *  of the uploaders' group (NULL: st->why says so). */
void retl_history_ws_state(const struct retl_cfg *cfg, rd_kafka_t *reader, const char *ws,
                           const char *sync, struct retl_ws_state *st);

/** @brief "2024-05-01T12:00:00Z", or "-" for 0 and before. */
void retl_history_fmt_time(char *out, size_t n, int64_t unix_s);
/** @brief "12.3s" under a minute, else "1h02m03s". */
void retl_history_fmt_duration(char *out, size_t n, int64_t ms);

#endif
