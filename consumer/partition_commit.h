/* retl uploader — a workspace partition's commits: mid-run checkpoints,
 * the commit that ends a run, and which syncs' last_sync_time the
 * checkpoint keeps. */
#ifndef RETL_PARTITION_COMMIT_H
#define RETL_PARTITION_COMMIT_H

#include "consumer/partition_int.h"

/* retl_partition_commit_run_end's expected_rows for a run whose RunFinished
 * never came: its xerr is the whole reason. */
#define RETL_PARTITION_NEVER_FINISHED (-2)

/** @brief A run of @p sync was read: when the configuration does not list
 *  it, the extractor's file is newer (rolling update); its entry stays. */
void retl_partition_commit_note_sync(struct retl_partition *p, const char *sync);
/** @brief Forgets the syncs noted by retl_partition_commit_note_sync (a new
 *  configuration, or the partition's end). */
void retl_partition_commit_forget_unlisted(struct retl_partition *p);

/** @brief Commits a mid-run checkpoint (or, between runs, the plain
 *  position) when the completed prefix moved past the last commit: when
 *  due, or now with @p force. A failed commit is retried a second later. */
void retl_partition_commit_checkpoint(struct retl_partition *p, int force);

/** @brief Ends run @p r: its report and failures out, then one commit of
 *  @p offset with the sync's resulting last_sync_time. @p xerr: the
 *  extraction's error (NULL = none), or with @p expected_rows
 *  RETL_PARTITION_NEVER_FINISHED the whole reason.
 *  @returns 0, or -1 to retry (the report is produced once all the same). */
int retl_partition_commit_run_end(struct retl_partition *p, struct run *r, int64_t offset,
                                  enum retl_extract_status xst, int64_t expected_rows,
                                  const char *xerr);

#endif
