/* retl — reading a single-partition topic from an offset (or a time) to its
 * end, decoding each record: what the operator commands (status, errors,
 * replay) do. No consumer group is joined and nothing is committed. */
#ifndef RETL_SCAN_H
#define RETL_SCAN_H

#include "cfg.h"
#include "codec.h"

#include <librdkafka/rdkafka.h>
#include <stdint.h>

/* Called for each record; return non-zero to stop the scan early. Messages
 * that do not decode are reported with rec = NULL and the reason in why. */
typedef int (retl_scan_cb)(void *opaque, int64_t offset, int64_t timestamp_ms,
                           const struct retl_record *rec, const char *why);

/** @brief Reads partition 0 of @p topic from @p from_offset (or, when
 *  @p from_time_ms > 0, from the first message at or after that time) up to
 *  the high watermark seen at the start.
 *  @returns 0 (a missing topic reads as empty), or -1 with errstr. */
int retl_scan_topic(const struct retl_cfg_kafka *kc, const char *topic, int64_t from_offset,
                    int64_t from_time_ms, retl_scan_cb *cb, void *opaque, char *errstr,
                    size_t errstr_size);

/* Called for each message as it is (key, value; a tombstone's payload is
 * NULL); return non-zero to stop early. */
typedef int (retl_scan_raw_cb)(void *opaque, const rd_kafka_message_t *rkm);

/** @brief As retl_scan_topic from @p from_offset, without decoding: for
 *  topics whose keys matter (the compacted row-state topics). */
int retl_scan_topic_raw(const struct retl_cfg_kafka *kc, const char *topic, int64_t from_offset,
                        retl_scan_raw_cb *cb, void *opaque, char *errstr, size_t errstr_size);

#endif
