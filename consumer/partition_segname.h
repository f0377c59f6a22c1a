/* retl uploader — segments found or created by name (a sync's segment_name)
 * for a workspace partition: the App API's list of segments, the segment's
 * creation when none has the name, the id remembered in the checkpoint.
 *
 * One lookup at a time per partition, over the uploader's libcurl multi
 * handle like every other request (the loop never blocks on it), paced at
 * the App API's 10 requests per second. */
#ifndef RETL_PARTITION_SEGNAME_H
#define RETL_PARTITION_SEGNAME_H

#include "consumer/partition_int.h"

/** @brief Whether the segment adds of run @p r can go.
 *  @returns 1 with its segment id in *@p id; 0 when a segment_name is being
 *  looked up (started if need be; *@p wake lowered to when it wants to be
 *  called again, ms from @p now); -1 when its segment cannot be used:
 *  r->seg_error says why, naming the sync and the segment. */
int retl_partition_segname_resolve(struct retl_partition *p, struct run *r, int64_t now,
                                   int64_t *wake, int64_t *id);

/** @brief The App API's answer @p res to lookup request @p q (R_APP_LIST or
 *  R_APP_CREATE): the segment is found, created, or cannot be used; or the
 *  request goes again later. */
void retl_partition_segname_answer(struct retl_partition *p, struct req *q,
                                   const struct retl_track_result *res);

/** @brief A segment add of run @p r was answered 404: its segment, found by
 *  name, no longer exists. Its id is forgotten (the next run finds or
 *  creates the segment again) and the run's segment adds fail.
 *  @returns the reason (r->seg_error, borrowed). */
const char *retl_partition_segname_gone(struct retl_partition *p, struct run *r,
                                        const struct retl_track_result *res);

/** @brief What the row state fingerprints as run @p r's segment: its id,
 *  or for a segment_name a value of the name (negative, never an id), so
 *  that an unchanged row is sent again once its sync's segment changes. */
int64_t retl_partition_segname_state_key(const struct run *r);

/** @brief Aborts the lookup in progress, if any (the partition's end). */
void retl_partition_segname_abandon(struct retl_partition *p);

#endif
