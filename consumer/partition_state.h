/* retl uploader — a workspace partition's row state: loaded from the
 * workspace's state topic before anything of it is sent; each row compared
 * with it as it arrives (unchanged rows are skipped); each accepted row
 * recorded when it retires, produced before the commit that covers it;
 * resets applied where they stand in the log. See consumer/README.md "Row
 * state". */
#ifndef RETL_PARTITION_STATE_H
#define RETL_PARTITION_STATE_H

#include "consumer/mapping.h"
#include "consumer/partition_int.h"

/** @brief Creates the state topic if missing and reads it to its end
 *  (blocking), once. @returns 0, or -1 with errstr (retry later; empty
 *  errstr: the last failure was less than 5 s ago). */
int retl_partition_state_load(struct retl_partition *p, char *errstr, size_t errstr_size);

/** @brief Row @p e of its run was mapped (@p m, its JSON in e->json): its
 *  state key and fingerprint are noted. @returns 1 when the workspace holds
 *  it as it is and nothing earlier of the same key is still on its way: the
 *  row is then done as O_UNCHANGED and must not be sent; else 0. */
int retl_partition_state_arrive(struct retl_partition *p, struct entry *e,
                                const struct retl_mapped *m);

/** @brief Row @p e retires with its outcome: an accepted row's fingerprint
 *  is stored and produced; a sent row that was not accepted is forgotten
 *  (so it is sent next time). */
void retl_partition_state_retire(struct retl_partition *p, struct entry *e);

/** @brief A STATE_RESET control read in the log: its sync's state is
 *  emptied and its new generation produced; rows read before it that are
 *  still on their way are not recorded. */
void retl_partition_state_reset(struct retl_partition *p, const struct retl_control *c);

/** @brief Called by the commit: @p stage "flushed" once everything produced
 *  is delivered, "committed" after the commit. Test hooks act here. */
void retl_partition_state_commit_stage(struct retl_partition *p, const char *stage);

/** @brief Frees an entry's row-state fields. */
void retl_partition_state_entry_free(struct entry *e);
/** @brief Frees the partition's row state. */
void retl_partition_state_free(struct retl_partition *p);

#endif
