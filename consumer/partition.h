/* retl uploader — one workspace partition: its runs, rows, requests to the
 * Track API, outcomes, and commits.
 *
 * Rows are mapped as they arrive, sent in batches (several requests in
 * flight, never two holding the same entity key, so updates to one person
 * or object land in log order), and retired strictly in log order once
 * each has its outcome. The commit position is the first row without one:
 * nothing past it is ever committed. A run's end commits the offset after
 * its RunFinished with the sync's new last_sync_time; big runs commit a
 * `run=` checkpoint as they go.
 *
 * Single-threaded: everything runs on the uploader's loop (and in its
 * rebalance callback). Its metrics: partition_metrics.h. */
#ifndef RETL_PARTITION_H
#define RETL_PARTITION_H

#include "consumer/track.h"
#include "lib/cfg.h"
#include "lib/codec.h"
#include "lib/metrics.h"

#include <librdkafka/rdkafka.h>
#include <stdint.h>

/* Tunables and the services a partition uses (borrowed, outlive it). The
 * producer also writes the row state; flush covers it. */
struct retl_partition_env {
        rd_kafka_t *rk;                 /* the consumer: the group member that commits */
        rd_kafka_t *producer;           /* import reports and failed rows */
        const char *imports_topic;
        const char *failures_topic;
        const struct retl_cfg_kafka *kafka;     /* to read the row-state topics */
        struct retl_track *track;
        struct retl_codec *codec;
        /* Flushes the producer; 0 when every report so far is delivered. */
        int (*flush)(void *flush_arg);
        void *flush_arg;
        int64_t checkpoint_rows;        /* mid-run checkpoint every N rows ... */
        int64_t checkpoint_ms;          /* ... or this often */
        int64_t auth_retry_ms;          /* 401/403: retry this often */
        size_t batch_max;               /* bytes per batch request */
        int64_t linger_ms;              /* wait this long to fill a batch */
        size_t max_pending;             /* entries held before it stops reading */
        size_t read_ahead_bytes;        /* mapped rows waiting to be sent, at most */
        int64_t backoff_base_ms, backoff_max_ms;
        struct retl_metrics *metrics;   /* NULL = none */
};

struct retl_partition;

/** @brief State for @p topic (partition 0) of workspace @p ws (NULL for a
 *  topic that is no workspace of the configuration: it is paused, never
 *  consumed nor committed). Nothing is consumed before retl_partition_init.
 *  @p cfg (borrowed, outlives the partition or the next
 *  retl_partition_set_workspace) holds @p ws; its syncs say whose
 *  last_sync_time the checkpoint keeps. */
struct retl_partition *retl_partition_new(const struct retl_partition_env *env,
                                          const struct retl_cfg *cfg,
                                          const struct retl_cfg_workspace *ws,
                                          const char *topic);
/** @brief Abandons in-flight requests and frees everything (commits
 *  nothing). NULL is fine. */
void retl_partition_destroy(struct retl_partition *p);

const char *retl_partition_topic(const struct retl_partition *p);

/** @brief The configuration was reloaded: @p ws of @p cfg (same name,
 *  borrowed, outlive the partition or the next call) applies to the next
 *  requests; requests in flight finish with the old ones. The syncs of
 *  @p cfg say whose last_sync_time the next commits keep. */
void retl_partition_set_workspace(struct retl_partition *p, const struct retl_cfg *cfg,
                                  const struct retl_cfg_workspace *ws);

/** @brief Reads the group's committed offset and checkpoint (blocking, up to
 *  @p timeout_ms) and decides where to start: the committed offset, or the
 *  RunStarted of a run in progress (`run=`).
 *  @returns 0 with *start_offset (RD_KAFKA_OFFSET_INVALID = the committed
 *  one, i.e. none yet: from the beginning), or -1 (retry later). */
int retl_partition_init(struct retl_partition *p, int timeout_ms, int64_t *start_offset);
/** @brief Whether retl_partition_init succeeded already. */
int retl_partition_ready(const struct retl_partition *p);
/** @brief Whether it is a workspace partition that can be consumed. */
int retl_partition_usable(const struct retl_partition *p);

/** @brief Gives the partition its own message queue @p rkqu (owned from
 *  now on; rd_kafka_queue_get_partition, forwarded nowhere), which
 *  retl_partition_read consumes. */
void retl_partition_set_queue(struct retl_partition *p, rd_kafka_queue_t *rkqu);
/** @brief Takes up to @p budget messages from its queue, as long as it has
 *  room for them: this is its backpressure. What it does not take waits in
 *  librdkafka's prefetch queue, which stops fetching at its own bounds
 *  (queued.min.messages, queued.max.messages.kbytes) rather than being
 *  paused, so that reading on costs no fetch round trip.
 *  @returns how many it took. */
size_t retl_partition_read(struct retl_partition *p, size_t budget);
/** @brief Takes one message of the partition (not kept). */
void retl_partition_message(struct retl_partition *p, const rd_kafka_message_t *rkm);

/** @brief A completed request (from retl_track_perform's callback). */
void retl_partition_done(void *opaque, const struct retl_track_result *r, void *arg);

/** @brief Sends, retires, commits what is due.
 *  @returns milliseconds until it wants to be called again (<= 1000). */
int64_t retl_partition_step(struct retl_partition *p, int64_t now_ms);

/** @brief Stops sending new requests (shutdown): only what is in flight
 *  finishes. */
void retl_partition_drain(struct retl_partition *p);
/** @brief Requests in flight or waiting to be retried. */
int retl_partition_busy(const struct retl_partition *p);
/** @brief Commits the completed prefix now (mid-run checkpoint), if any. */
void retl_partition_checkpoint(struct retl_partition *p);

#endif
