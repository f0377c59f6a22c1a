/* retl uploader — row state in memory: per identifier, the fingerprint of
 * what the workspace last accepted, so unchanged rows are not sent again.
 *
 * An open-addressing table (linear probing) of 64-bit key hashes to 64-bit
 * fingerprints, plus a 16-bit sync index per slot: 18 bytes a slot, never
 * the identifier strings. Kept at most 3/4 full, so 1,000,000 identifiers
 * take 2^21 slots, 36 MiB. Each sync has a generation; a reset drops the
 * sync's entries and moves its generation on (see consumer/statelog.h for
 * how both persist in Kafka).
 *
 * Not thread-safe: one table per workspace partition, on the uploader's
 * loop. */
#ifndef RETL_ROWSTATE_H
#define RETL_ROWSTATE_H

#include <stddef.h>
#include <stdint.h>

#define RETL_ROWSTATE_MAX_SYNCS 65535

struct retl_rowstate;

/** @brief An empty table; free with retl_rowstate_destroy. */
struct retl_rowstate *retl_rowstate_new(void);
void retl_rowstate_destroy(struct retl_rowstate *rs);   /* NULL is fine */

/** @brief The index of @p sync in this table, added when new (generation 0).
 *  @returns the index, or -1 past RETL_ROWSTATE_MAX_SYNCS syncs. */
int retl_rowstate_sync(struct retl_rowstate *rs, const char *sync);
/** @brief The index of @p sync, or -1 when it has none. */
int retl_rowstate_sync_find(const struct retl_rowstate *rs, const char *sync);
int64_t retl_rowstate_generation(const struct retl_rowstate *rs, int sync_idx);
void retl_rowstate_set_generation(struct retl_rowstate *rs, int sync_idx, int64_t generation);

/** @brief The fingerprint stored for @p key. @returns 1 and *fp, or 0. */
int retl_rowstate_lookup(const struct retl_rowstate *rs, uint64_t key, uint64_t *fp);
/** @brief Stores @p fp for @p key (of sync @p sync_idx), growing the table
 *  as needed. */
void retl_rowstate_put(struct retl_rowstate *rs, uint64_t key, int sync_idx, uint64_t fp);
/** @brief Forgets @p key. @returns 1 when it was there, else 0. */
int retl_rowstate_remove(struct retl_rowstate *rs, uint64_t key);
/** @brief Forgets every entry of sync @p sync_idx. @returns how many. */
size_t retl_rowstate_reset_sync(struct retl_rowstate *rs, int sync_idx);

/** @brief Entries held, all syncs or one (@p sync_idx >= 0). */
size_t retl_rowstate_count(const struct retl_rowstate *rs, int sync_idx);
/** @brief Heap bytes the table uses (slots, sync list, the struct). */
size_t retl_rowstate_bytes(const struct retl_rowstate *rs);

/** @brief A 64-bit hash of @p len bytes (keys: sync, kind, identifier). */
uint64_t retl_rowstate_hash(const void *data, size_t len);
/** @brief The fingerprint of a mapped row: its exact JSON entity and the
 *  sync settings that change what lands beside it (@p segment). */
uint64_t retl_rowstate_fingerprint(const char *json, size_t len, int64_t segment);
/** @brief What a row's fingerprint takes of its sync's segment: the id, or
 *  (@p segment_name given) a value from the name's hash, never a real id. */
int64_t retl_rowstate_segment_key(int64_t segment, const char *segment_name);

#endif
