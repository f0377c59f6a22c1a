/* retl uploader — the answers of the Track API to a workspace partition's
 * requests: each row's outcome (207 partial failures included), retries
 * with backoff or Retry-After, refused credentials, and refused batches
 * split until the bad row is alone. */
#ifndef RETL_PARTITION_ANSWER_H
#define RETL_PARTITION_ANSWER_H

#include "consumer/partition_int.h"

/** @brief Takes the answer @p r to request @p q (its transfer is over): the
 *  rows get their outcome, or the request waits to go again. */
void retl_partition_answer_take(struct retl_partition *p, struct req *q,
                                const struct retl_track_result *r);

#endif
