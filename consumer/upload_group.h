/* retl uploader — the workspace partitions of a `retl upload` worker:
 * what the consumer group assigns and revokes, those still waiting for
 * their committed offset, and the workspaces a reloaded configuration adds
 * or removes. */
#ifndef RETL_UPLOAD_GROUP_H
#define RETL_UPLOAD_GROUP_H

#include "consumer/upload_int.h"

/** @brief librdkafka's rebalance callback (opaque: the struct retl_upload):
 *  assigns (eager or cooperative), creating a partition state for each
 *  topic; revokes after committing each one's completed prefix. */
void retl_upload_group_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                                    rd_kafka_topic_partition_list_t *parts, void *opaque);
/** @brief The partition state of @p topic, NULL when it is not assigned. */
struct retl_partition *retl_upload_group_find(struct retl_upload *u, const char *topic);
/** @brief Reads the committed offset of the partitions that could not at
 *  assignment; seeks and resumes those that can start. */
void retl_upload_group_init_waiting(struct retl_upload *u);
/** @brief Loads the file again; when valid, its workspaces replace the
 *  running ones. On the loop, never inside a librdkafka or curl callback.
 *  @p cli_log_level: --log-level, which a file's log_level does not
 *  override (NULL = none). */
void retl_upload_group_reload(struct retl_upload *u, const char *cli_log_level);
/** @brief Frees the partition states (nothing committed) and the rest. */
void retl_upload_group_free(struct retl_upload *u);

#endif
