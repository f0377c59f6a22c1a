/* retl uploader — guardrails: a run whose sync bounds its changes
 * (max_changes, max_changes_percent) is read to its end before any of it is
 * sent, each row compared with the row state; a run over a bound is held
 * (reported HELD, nothing sent, the partition reads nothing past its
 * RunStarted) until a RUN_APPROVE or RUN_REJECT control for it appears in
 * the log. The hold lives in the log itself: the RunStarted is never
 * committed past, so a restarted or rebalanced uploader counts again and
 * finds the same verdict, or the decision. */
#ifndef RETL_PARTITION_GUARD_H
#define RETL_PARTITION_GUARD_H

#include "consumer/partition_int.h"

/** @brief Whether run @p r (just begun, its RunStarted at @p start) must be
 *  counted first: its sync has a bound, and it is neither a replay nor a
 *  resumed run. If so the guard begins: @p start stays undone (nothing of
 *  the run retires or is committed) until the verdict. */
int retl_partition_guard_begin(struct retl_partition *p, struct run *r, struct entry *start);

/** @brief Whether the partition must not take message @p offset now (it is
 *  past a RunStarted being counted or held); such messages are read again
 *  once the run is let go. */
int retl_partition_guard_blocks(struct retl_partition *p, int64_t offset);

/** @brief Whether a run is being counted or held: the partition reads on
 *  only once it is let go. */
int retl_partition_guard_waiting(const struct retl_partition *p);

/** @brief Counts, decides, watches for the decision: called on every step.
 *  Lowers *wake_ms while it has work. */
void retl_partition_guard_step(struct retl_partition *p, int64_t now_ms, int64_t *wake_ms);

/** @brief Frees the guard (the partition's end, or its run let go). */
void retl_partition_guard_free(struct retl_partition *p);

#endif
