/* retl uploader — the batcher of a workspace partition: the send queue,
 * the segment queue, request bodies, and sending within max_in_flight and
 * rate_limit, never two requests in flight holding the same entity key. */
#ifndef RETL_PARTITION_BATCHER_H
#define RETL_PARTITION_BATCHER_H

#include "consumer/partition_int.h"

/** @brief Queues mapped row @p e for sending. */
void retl_partition_batcher_enqueue(struct retl_partition *p, struct entry *e);
/** @brief Queues identified row @p e for its run's segment. */
void retl_partition_batcher_segment_add(struct retl_partition *p, struct entry *e);

/** @brief Builds and sends what is due; lowers *@p wake to when it wants to
 *  be called again (ms from @p now). */
void retl_partition_batcher_send(struct retl_partition *p, int64_t now, int64_t *wake);

/** @brief Row @p e is answered: its keys no longer hold later rows back. */
void retl_partition_batcher_keys_release(struct retl_partition *p, const struct entry *e);
/** @brief Request @p q finished: off the in-flight list. */
void retl_partition_batcher_unlink(struct retl_partition *p, struct req *q);
/** @brief Request @p q goes again, before anything else (retry). */
void retl_partition_batcher_requeue(struct retl_partition *p, struct req *q);
/** @brief Halves refused batch @p q (more than one row): both halves go
 *  again, first half first. */
void retl_partition_batcher_split(struct retl_partition *p, struct req *q);
void retl_partition_batcher_req_free(struct req *q);
/** @brief Aborts the requests in flight and frees those waiting (the
 *  partition's end). */
void retl_partition_batcher_abandon(struct retl_partition *p);

#endif
