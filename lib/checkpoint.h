/* retl — the uploaders' checkpoint: what is stored in the metadata of the
 * offset they commit on a workspace's partition.
 *
 * It holds every sync's last_sync_time and, while a big run is being
 * imported, where that run started and its counts so far, so a worker that
 * takes over resumes the run instead of resending it. Committed together
 * with the offset in one synchronous commit, so the two never disagree.
 *
 * Text form (ASCII, versioned, kept under 4000 bytes — brokers refuse
 * metadata over offset.metadata.max.bytes, 4096 by default):
 *   retl1 run=<offset>,<rows>,<imported>,<failed>[,<suppressed>[,<unchanged>]]
 *         s=<sync>:<last_sync_time>[,<segment id>,<segment name hash>] ...
 * `run=` is present only while a run is part-way through. The segment of a
 * sync with segment_name, once found or created, is remembered with the
 * hash of the name it was found by (retl_checkpoint_name_hash): a sync whose
 * segment_name changed looks its segment up again. Workers before the
 * segment part refuse a checkpoint that has one. */
#ifndef RETL_CHECKPOINT_H
#define RETL_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#define RETL_CHECKPOINT_MAX 4000

struct retl_checkpoint_sync {
        char *name;
        int64_t last_sync_time;
        int64_t segment;        /* segment found by name; 0 = none */
        uint32_t segment_hash;  /* of the name it was found by */
};

struct retl_checkpoint {
        struct retl_checkpoint_sync *syncs;
        size_t nsyncs;
        int64_t run_offset;     /* offset of the run's RunStarted; -1 = none in progress */
        int64_t run_rows;       /* rows of that run already processed */
        int64_t run_imported;
        int64_t run_failed;
        int64_t run_suppressed; /* suppressed people ignored (suppressed = succeed) */
        int64_t run_unchanged;  /* rows skipped as unchanged (row state) */
};

void retl_checkpoint_init(struct retl_checkpoint *cp);
void retl_checkpoint_free(struct retl_checkpoint *cp);
/** @brief Deep copy. */
void retl_checkpoint_copy(struct retl_checkpoint *dst, const struct retl_checkpoint *src);

/** @brief Parses committed metadata (NULL or empty = a fresh checkpoint).
 *  @returns 0, or -1 with errstr for a form we do not know. */
int retl_checkpoint_parse(struct retl_checkpoint *cp, const char *text, size_t len,
                          char *errstr, size_t errstr_size);

/** @brief The text form; free() it. @returns NULL with errstr when it would be
 *  over RETL_CHECKPOINT_MAX bytes (too many syncs in one workspace). */
char *retl_checkpoint_format(const struct retl_checkpoint *cp, char *errstr, size_t errstr_size);

/** @brief A sync's last_sync_time, 0 when it has none yet. */
int64_t retl_checkpoint_get(const struct retl_checkpoint *cp, const char *sync);
void retl_checkpoint_set(struct retl_checkpoint *cp, const char *sync, int64_t last_sync_time);
/** @brief FNV-1a of a segment name: what the checkpoint keeps of it. */
uint32_t retl_checkpoint_name_hash(const char *name);
/** @brief The segment remembered for @p sync, found by a name of hash
 *  @p hash; 0 when none (or found by another name). */
int64_t retl_checkpoint_segment_get(const struct retl_checkpoint *cp, const char *sync,
                                    uint32_t hash);
/** @brief Remembers segment @p segment (0 = forget it) for @p sync, found by
 *  a name of hash @p hash; a sync without an entry gets one (last_sync_time 0). */
void retl_checkpoint_segment_set(struct retl_checkpoint *cp, const char *sync, int64_t segment,
                                 uint32_t hash);
/** @brief Forgets a sync's last_sync_time (the others keep their order).
 *  @returns 1 when it had one, else 0. */
int retl_checkpoint_remove(struct retl_checkpoint *cp, const char *sync);

#endif
