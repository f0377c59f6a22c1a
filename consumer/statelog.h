/* retl uploader — the row state in Kafka: a workspace's compacted topic
 * (kafka.state_topic_prefix + workspace, one partition), the only place it
 * persists.
 *
 * Record key: sync NUL kind NUL identifier (retl_mapped.state_id); value: a
 * RowState (generation, fingerprint); a null value (tombstone) deletes the
 * key. The key sync NUL "generation" holds the sync's generation: entries
 * of another generation are stale (written before a reset) and count as
 * absent. See schemas/RowState.avsc and consumer/README.md "Row state". */
#ifndef RETL_STATELOG_H
#define RETL_STATELOG_H

#include "consumer/rowstate.h"
#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/codec.h"

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

/* Stale keys found while loading that are tombstoned, at most this many a
 * load (the rest at a later one). */
#define RETL_STATELOG_MAX_STALE 100000

/** @brief The record key of an entry: @p sync NUL @p state_id, into @p out
 *  (emptied first). */
void retl_statelog_key(struct retl_buf *out, const char *sync, const char *state_id,
                       size_t state_id_len);

/* What a load saw. */
struct retl_statelog_stats {
        int64_t records;        /* read, tombstones included */
        int64_t bytes;          /* their keys and values */
        int64_t stale;          /* entries of another generation than their sync's */
        int64_t tombstoned;     /* stale keys tombstoned */
        int64_t undecodable;    /* values that are no RowState: taken as absent */
};

/* Called for each record of a load (NULL value = tombstone); @p sync is
 * the key's sync part. */
typedef void (retl_statelog_each_cb)(void *opaque, const char *sync, const void *key,
                                     size_t keylen, const struct retl_row_state *value,
                                     size_t bytes);

/** @brief Reads @p topic from its start to its end (as the load began) into
 *  @p rs. Stale entries are left out and, when @p producer is given,
 *  tombstoned (not flushed). @p each (may be NULL) sees every record.
 *  Blocking. @returns 0 (a missing topic is an empty state), or -1 with
 *  errstr. */
int retl_statelog_load(const struct retl_cfg_kafka *kc, const char *topic,
                       struct retl_codec *codec, rd_kafka_t *producer, struct retl_rowstate *rs,
                       retl_statelog_each_cb *each, void *opaque,
                       struct retl_statelog_stats *st, char *errstr, size_t errstr_size);

/* What one record did to the table (retl_statelog_apply). */
enum retl_statelog_applied {
        RETL_STATELOG_ENTRY,            /* stored */
        RETL_STATELOG_GENERATION,       /* the sync's generation (a new one drops its entries) */
        RETL_STATELOG_DELETED,          /* a tombstone */
        RETL_STATELOG_STALE,            /* an entry of another generation: absent */
        RETL_STATELOG_UNDECODABLE,      /* no RowState: absent */
        RETL_STATELOG_IGNORED           /* a key that is not sync NUL kind ... */
};

/** @brief Applies one record of a state topic (@p value NULL = tombstone)
 *  to @p rs, in log order; the decoded value goes to @p out (may be NULL). */
enum retl_statelog_applied retl_statelog_apply(struct retl_rowstate *rs,
                                               struct retl_codec *codec, const void *key,
                                               size_t keylen, const void *value, size_t len,
                                               struct retl_row_state *out);

/** @brief Produces an entry: @p key (from retl_statelog_key) holds
 *  @p fingerprint under @p generation. Not flushed: the caller flushes
 *  before committing. @returns 0 or -1 with errstr. */
int retl_statelog_put(rd_kafka_t *producer, struct retl_codec *codec, const char *topic,
                      const void *key, size_t keylen, int64_t generation, uint64_t fingerprint,
                      char *errstr, size_t errstr_size);
/** @brief Produces the tombstone of @p key. @returns 0 or -1 with errstr. */
int retl_statelog_delete(rd_kafka_t *producer, const char *topic, const void *key,
                         size_t keylen, char *errstr, size_t errstr_size);
/** @brief Produces @p sync's generation record. @returns 0 or -1 with errstr. */
int retl_statelog_put_generation(rd_kafka_t *producer, struct retl_codec *codec,
                                 const char *topic, const char *sync, int64_t generation,
                                 char *errstr, size_t errstr_size);

#endif
