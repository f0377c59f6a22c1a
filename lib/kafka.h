/* retl — Kafka helpers shared by the extractor and the uploaders.
 *
 * Clients are built from the configuration's kafka group: bootstrap servers,
 * then every kafka.properties entry passed verbatim to librdkafka (we never
 * mirror its options), then the settings retl depends on. librdkafka's own
 * log lines are routed into ours. */
#ifndef RETL_KAFKA_H
#define RETL_KAFKA_H

#include "cfg.h"

#include <librdkafka/rdkafka.h>
#include <stdint.h>

/** @brief A configuration with the cluster settings and @p extra
 *  (NULL-terminated name, value pairs, applied last; may be NULL).
 *  @returns NULL with the property at fault in errstr. */
rd_kafka_conf_t *retl_kafka_conf_new(const struct retl_cfg_kafka *kc, const char *const *extra,
                                     char *errstr, size_t errstr_size);

/** @brief The configuration of retl_kafka_producer_new: idempotence and
 *  acks=all fixed, linger.ms and compression.type (lz4) defaults that
 *  kafka.properties override. @returns NULL with the property at fault in
 *  errstr; else rd_kafka_new takes it, or rd_kafka_conf_destroy frees it. */
rd_kafka_conf_t *retl_kafka_producer_conf_new(const struct retl_cfg_kafka *kc,
                                              const char *client_id, char *errstr,
                                              size_t errstr_size);

/** @brief An idempotent producer (acks=all): no duplicates or reordering on
 *  retries. @p dr_cb may be NULL. */
rd_kafka_t *retl_kafka_producer_new(const struct retl_cfg_kafka *kc, const char *client_id,
                                    void (*dr_cb)(rd_kafka_t *, const rd_kafka_message_t *,
                                                  void *),
                                    void *opaque, char *errstr, size_t errstr_size);

/** @brief A consumer of @p group with auto-commit and automatic offset
 *  storing off: offsets move only by explicit commits. @p extra as for
 *  retl_kafka_conf_new. */
rd_kafka_t *retl_kafka_consumer_new(const struct retl_cfg_kafka *kc, const char *group,
                                    const char *client_id, const char *const *extra,
                                    char *errstr, size_t errstr_size);

/** @brief kafka.timeout in milliseconds: how long a command waits for the
 *  cluster to answer (metadata, offsets, topic creation, a report's delivery). */
int retl_kafka_timeout_ms(const struct retl_cfg_kafka *kc);

/** @brief Waits until the cluster answers a metadata request, at most
 *  kafka.timeout; when it does not answer at once, logs once what it waits
 *  for. Call it first, so that an unreachable cluster fails one way.
 *  @returns 0, or -1 with errstr naming the brokers and the setting. */
int retl_kafka_wait_cluster(rd_kafka_t *rk, const struct retl_cfg_kafka *kc, char *errstr,
                            size_t errstr_size);

/** @brief How many partitions @p topic has. @returns 0 and the count, 0 with
 *  *count = 0 when the topic does not exist, or -1 with errstr. */
int retl_kafka_partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms, int *count,
                               char *errstr, size_t errstr_size);

/** @brief Creates @p topic with exactly one partition, the configured
 *  replication factor and retention, unless it exists. An existing topic
 *  with more than one partition is an error: a workspace's log must be one
 *  ordered sequence. @returns 0 or -1 with errstr. */
int retl_kafka_ensure_topic(rd_kafka_t *rk, const struct retl_cfg_kafka *kc, const char *topic,
                            int timeout_ms, char *errstr, size_t errstr_size);

/** @brief As retl_kafka_ensure_topic, but compacted (cleanup.policy=compact,
 *  no retention): the row-state topics, where the latest record of each key
 *  is what counts. */
int retl_kafka_ensure_compacted_topic(rd_kafka_t *rk, const struct retl_cfg_kafka *kc,
                                      const char *topic, int timeout_ms, char *errstr,
                                      size_t errstr_size);

/** @brief The committed offset and metadata of the group on partition 0 of
 *  @p topic. @p rk is a consumer made with the group's group.id that never
 *  subscribes (reading needs no membership; committing would).
 *  @returns 0 with *offset (RD_KAFKA_OFFSET_INVALID when nothing was
 *  committed) and *metadata (malloc'd, NUL-terminated, NULL when none; free
 *  it), or -1 with errstr. */
int retl_kafka_committed(rd_kafka_t *rk, const char *topic, int timeout_ms,
                         int64_t *offset, char **metadata, char *errstr, size_t errstr_size);

/** @brief Low and high watermarks of partition 0 of @p topic.
 *  @returns 0 or -1 with errstr. */
int retl_kafka_watermarks(rd_kafka_t *rk, const char *topic, int timeout_ms, int64_t *low,
                          int64_t *high, char *errstr, size_t errstr_size);

#endif
