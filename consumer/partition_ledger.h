/* retl uploader — the run ledger of a workspace partition: its runs, and
 * the records read but not yet retired, in log order. A row is retired (and
 * counted in its run) once it has its outcome and everything before it is
 * retired; a run's end commits (partition_commit.c). */
#ifndef RETL_PARTITION_LEDGER_H
#define RETL_PARTITION_LEDGER_H

#include "consumer/partition_int.h"

/** @brief A RunStarted at @p offset: the run begins (or, at the `run=`
 *  checkpoint's offset, resumes with its counts and seeks past the rows
 *  done). */
void retl_partition_ledger_run_begin(struct retl_partition *p, const struct retl_run_started *rs,
                                     int64_t offset);
/** @brief A row at @p offset: mapped and queued for sending, or failed at
 *  once when it cannot be imported; skipped when its run is not the one
 *  being read. */
void retl_partition_ledger_row(struct retl_partition *p, const struct retl_row *row,
                               int64_t offset);
/** @brief A RunFinished at @p offset: the run's end, retired after its rows. */
void retl_partition_ledger_run_end(struct retl_partition *p, const struct retl_run_finished *rf,
                                   int64_t offset);
/** @brief Any other record at @p offset: nothing to do but commit past it. */
void retl_partition_ledger_skip(struct retl_partition *p, int64_t offset);

/** @brief Retires the entries that have their outcome, in log order: counts
 *  rows, reports a run's start, ends runs (stops at a commit that failed). */
void retl_partition_ledger_retire(struct retl_partition *p);
/** @brief Frees the runs nothing refers to any more. */
void retl_partition_ledger_free_runs(struct retl_partition *p);
/** @brief Frees every entry and run (the partition's end). */
void retl_partition_ledger_free(struct retl_partition *p);
/** @brief Entries not yet retired. */
size_t retl_partition_ledger_pending(const struct retl_partition *p);

#endif
