/* retl — a run's failed rows, read from the failures topic in row order, and
 * their CSV: what `retl errors` writes and `retl console` shows and serves. */
#ifndef RETL_FAILED_ROWS_H
#define RETL_FAILED_ROWS_H

#include "lib/cfg.h"

#include <stdint.h>
#include <stdio.h>

/* Called for each failed row, in row order (main query, then relationships). */
typedef void (retl_failed_rows_cb)(void *opaque, int part, int64_t row_number,
                                   const char *identifier, const char *reason);

/** @brief Looks for run @p run_id in the imports topic.
 *  @returns 1 and its start in *started_at_ms, 0 when it is unknown, -1 with errstr. */
int retl_failed_rows_find(const struct retl_cfg *cfg, const char *run_id, int64_t *started_at_ms,
                          char *errstr, size_t errstr_size);

/** @brief Calls @p cb for each failed row of run @p run_id (started at
 *  @p started_at_ms, as retl_failed_rows_find says); *count = how many.
 *  @returns 0, or -1 with errstr (rows already passed to cb stay passed). */
int retl_failed_rows_read(const struct retl_cfg *cfg, const char *run_id, int64_t started_at_ms,
                          retl_failed_rows_cb *cb, void *opaque, int64_t *count, char *errstr,
                          size_t errstr_size);

/** @brief The CSV's first line: row_number,query,identifier,reason. */
void retl_failed_rows_csv_header(FILE *out);
/** @brief A retl_failed_rows_cb writing one CSV line to the FILE * @p opaque. */
void retl_failed_rows_csv_row(void *opaque, int part, int64_t row_number, const char *identifier,
                              const char *reason);

#endif
