/* retl — the extractor's Kafka side: one idempotent producer (acks=all)
 * that encodes records and produces them, with delivery accounting, plus
 * the reads a run needs first (topics, committed state, watermarks).
 *
 * Memory stays bounded whatever the size of a result: librdkafka's queue is
 * capped (queue.buffering.max.messages), and when produce says QUEUE_FULL we
 * serve delivery reports and retry. Not thread-safe: one per thread. */
#ifndef RETL_SINK_H
#define RETL_SINK_H

#include "lib/cfg.h"
#include "lib/checkpoint.h"
#include "lib/records.h"

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

struct retl_sink;

/** @brief A producer and, for reading state, a consumer of the uploader
 *  group that never subscribes. @p cfg is borrowed and must outlive the sink.
 *  @returns NULL with errstr. */
struct retl_sink *retl_sink_new(const struct retl_cfg *cfg, const char *client_id, char *errstr,
                                size_t errstr_size);
void retl_sink_destroy(struct retl_sink *sink); /* NULL is fine; flushes up to 10 s */

/** @brief A reloaded configuration replaces the borrowed one. The Kafka
 *  clients keep the settings they were made with (a change of the kafka
 *  group needs a restart; the caller warns). */
void retl_sink_set_cfg(struct retl_sink *sink, const struct retl_cfg *cfg);

/** @brief Creates @p topic (one partition) unless it exists; remembered, so
 *  asking again costs nothing. @returns 0 or -1 with errstr. */
int retl_sink_ensure_topic(struct retl_sink *sink, const char *topic, char *errstr,
                           size_t errstr_size) __attribute__((warn_unused_result));

/** @brief The uploader group's committed checkpoint on @p topic (fresh when
 *  none; free with retl_checkpoint_free) and the committed offset (-1 when
 *  none). @returns 0 or -1 with errstr. */
int retl_sink_checkpoint(struct retl_sink *sink, const char *topic, struct retl_checkpoint *cp,
                         int64_t *committed, char *errstr, size_t errstr_size)
        __attribute__((warn_unused_result));

/** @brief The sync's last_sync_time from the uploader group's committed
 *  checkpoint on @p topic, and the committed offset (-1 when none).
 *  @returns 0 or -1 with errstr (Kafka unreachable, unknown metadata form). */
int retl_sink_last_sync_time(struct retl_sink *sink, const char *topic, const char *sync,
                             int64_t *last_sync_time, int64_t *committed, char *errstr,
                             size_t errstr_size) __attribute__((warn_unused_result));

/** @brief Low and high watermarks of @p topic's partition 0. */
int retl_sink_watermarks(struct retl_sink *sink, const char *topic, int64_t *low, int64_t *high,
                         char *errstr, size_t errstr_size) __attribute__((warn_unused_result));

/** @brief Starts counting deliveries afresh (one run). */
void retl_sink_begin(struct retl_sink *sink);

/** @brief Encodes @p rec and produces it to partition 0 of @p topic with key
 *  @p key (the payload is copied). Blocks, serving delivery reports, while
 *  the queue is full. @returns 0, or -1 with errstr (encoding failed, a
 *  delivery already failed, Kafka refused). */
int retl_sink_send(struct retl_sink *sink, const char *topic, const char *key,
                   const struct retl_record *rec, char *errstr, size_t errstr_size)
        __attribute__((warn_unused_result));

/** @brief Waits until every message since retl_sink_begin() is acknowledged.
 *  @returns 0 when all were, -1 with errstr (how many failed or were left
 *  waiting, and the first error). */
int retl_sink_flush(struct retl_sink *sink, int timeout_ms, char *errstr, size_t errstr_size)
        __attribute__((warn_unused_result));

/** @brief Serves delivery reports for up to @p timeout_ms (0 = no wait). */
void retl_sink_poll(struct retl_sink *sink, int timeout_ms);

/** @brief The producer handle (metadata, watermarks). */
rd_kafka_t *retl_sink_producer(struct retl_sink *sink);

#endif
