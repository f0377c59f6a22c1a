/* retl uploader — a set of 64-bit entity keys (open addressing, exact): the
 * keys a workspace has in flight, so that a row waits only for an earlier
 * row with its own key, never for one whose key merely shares a slot. Its
 * size follows what it holds. Use the functions; the fields are shown only
 * so that callers can embed it. */
#ifndef RETL_KEYSET_H
#define RETL_KEYSET_H

#include <stddef.h>
#include <stdint.h>

struct retl_keyset {
        uint64_t *ks_keys;      /* 0 = free slot; key 0 is kept apart */
        size_t ks_cap;          /* a power of two, or 0 */
        size_t ks_n;            /* keys held, key 0 excepted */
        int ks_zero;            /* key 0 is held */
};

void retl_keyset_init(struct retl_keyset *ks);
void retl_keyset_free(struct retl_keyset *ks);
/** @brief Empties it (keeps its memory). */
void retl_keyset_clear(struct retl_keyset *ks);
/** @brief Whether @p key is in it. */
int retl_keyset_has(const struct retl_keyset *ks, uint64_t key);
/** @brief Adds @p key (a key already there stays once). */
void retl_keyset_add(struct retl_keyset *ks, uint64_t key);
/** @brief Removes @p key (none there is fine). */
void retl_keyset_remove(struct retl_keyset *ks, uint64_t key);
/** @brief How many keys it holds. */
size_t retl_keyset_count(const struct retl_keyset *ks);

#endif
