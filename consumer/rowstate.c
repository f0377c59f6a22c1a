/* retl uploader — row state in memory, see rowstate.h. */
#include "consumer/rowstate.h"
#include "lib/checkpoint.h"
#include "lib/mem.h"

#include <stdlib.h>
#include <string.h>

#define MIN_CAP 1024u
/* key 0 marks an empty slot; a real key that hashes to 0 is stored as this */
#define KEY_ZERO 0x9E3779B97F4A7C15ULL

struct rs_sync {
        char *name;
        int64_t generation;
        size_t count;
};

struct retl_rowstate {
        uint64_t *keys;
        uint64_t *fps;
        uint16_t *sidx;
        size_t cap;             /* a power of 2 */
        size_t count;
        struct rs_sync *syncs;
        size_t nsyncs;
};

static uint64_t fix_key(uint64_t key)
{
        return key ? key : KEY_ZERO;
}

static void alloc_slots(struct retl_rowstate *rs, size_t cap)
{
        rs->cap = cap;
        rs->keys = retl_calloc(cap, sizeof(*rs->keys));
        rs->fps = retl_malloc(cap * sizeof(*rs->fps));
        rs->sidx = retl_malloc(cap * sizeof(*rs->sidx));
}

struct retl_rowstate *retl_rowstate_new(void)
{
        struct retl_rowstate *rs = retl_calloc(1, sizeof(*rs));

        alloc_slots(rs, MIN_CAP);
        return rs;
}

void retl_rowstate_destroy(struct retl_rowstate *rs)
{
        if (!rs)
                return;
        for (size_t i = 0; i < rs->nsyncs; i++)
                free(rs->syncs[i].name);
        free(rs->syncs);
        free(rs->keys);
        free(rs->fps);
        free(rs->sidx);
        free(rs);
}

int retl_rowstate_sync_find(const struct retl_rowstate *rs, const char *sync)
{
        for (size_t i = 0; i < rs->nsyncs; i++)
                if (!strcmp(rs->syncs[i].name, sync))
                        return (int)i;
        return -1;
}

int retl_rowstate_sync(struct retl_rowstate *rs, const char *sync)
{
        int i = retl_rowstate_sync_find(rs, sync);

        if (i >= 0)
                return i;
        if (rs->nsyncs >= RETL_ROWSTATE_MAX_SYNCS)
                return -1;
        rs->syncs = retl_realloc(rs->syncs, (rs->nsyncs + 1) * sizeof(*rs->syncs));
        rs->syncs[rs->nsyncs].name = retl_strdup(sync);
        rs->syncs[rs->nsyncs].generation = 0;
        rs->syncs[rs->nsyncs].count = 0;
        return (int)rs->nsyncs++;
}

int64_t retl_rowstate_generation(const struct retl_rowstate *rs, int sync_idx)
{
        return rs->syncs[sync_idx].generation;
}

void retl_rowstate_set_generation(struct retl_rowstate *rs, int sync_idx, int64_t generation)
{
        rs->syncs[sync_idx].generation = generation;
}

/* The slot holding @p key, or the empty slot where it would go. */
static size_t probe(const struct retl_rowstate *rs, uint64_t key)
{
        size_t mask = rs->cap - 1, i = (size_t)(key * 0xFF51AFD7ED558CCDULL >> 20) & mask;

        /* the multiply spreads keys whose low bits agree (hashes are good
         * already; this guards against a weak caller) */
        while (rs->keys[i] && rs->keys[i] != key)
                i = (i + 1) & mask;
        return i;
}

int retl_rowstate_lookup(const struct retl_rowstate *rs, uint64_t key, uint64_t *fp)
{
        size_t i = probe(rs, fix_key(key));

        if (!rs->keys[i])
                return 0;
        *fp = rs->fps[i];
        return 1;
}

static void grow(struct retl_rowstate *rs)
{
        uint64_t *keys = rs->keys, *fps = rs->fps;
        uint16_t *sidx = rs->sidx;
        size_t cap = rs->cap;

        alloc_slots(rs, cap * 2);
        for (size_t j = 0; j < cap; j++) {
                size_t i;
                if (!keys[j])
                        continue;
                i = probe(rs, keys[j]);
                rs->keys[i] = keys[j];
                rs->fps[i] = fps[j];
                rs->sidx[i] = sidx[j];
        }
        free(keys);
        free(fps);
        free(sidx);
}

void retl_rowstate_put(struct retl_rowstate *rs, uint64_t key, int sync_idx, uint64_t fp)
{
        size_t i;

        key = fix_key(key);
        i = probe(rs, key);
        if (rs->keys[i]) {
                if (rs->sidx[i] != (uint16_t)sync_idx) {
                        rs->syncs[rs->sidx[i]].count--;
                        rs->syncs[sync_idx].count++;
                        rs->sidx[i] = (uint16_t)sync_idx;
                }
                rs->fps[i] = fp;
                return;
        }
        if ((rs->count + 1) * 4 > rs->cap * 3) {
                grow(rs);
                i = probe(rs, key);
        }
        rs->keys[i] = key;
        rs->fps[i] = fp;
        rs->sidx[i] = (uint16_t)sync_idx;
        rs->count++;
        rs->syncs[sync_idx].count++;
}

/* Empties slot @p i and moves later entries of its cluster back, so that
 * every key stays reachable from its home slot (no tombstones in memory). */
static void delete_slot(struct retl_rowstate *rs, size_t i)
{
        size_t mask = rs->cap - 1, j = i;

        rs->syncs[rs->sidx[i]].count--;
        rs->count--;
        for (;;) {
                size_t home;
                j = (j + 1) & mask;
                if (!rs->keys[j])
                        break;
                home = (size_t)(rs->keys[j] * 0xFF51AFD7ED558CCDULL >> 20) & mask;
                /* j's entry may fill hole i unless its home lies in (i, j] */
                if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
                        continue;
                rs->keys[i] = rs->keys[j];
                rs->fps[i] = rs->fps[j];
                rs->sidx[i] = rs->sidx[j];
                i = j;
        }
        rs->keys[i] = 0;
}

int retl_rowstate_remove(struct retl_rowstate *rs, uint64_t key)
{
        size_t i = probe(rs, fix_key(key));

        if (!rs->keys[i])
                return 0;
        delete_slot(rs, i);
        return 1;
}

size_t retl_rowstate_reset_sync(struct retl_rowstate *rs, int sync_idx)
{
        uint64_t *keys = rs->keys, *fps = rs->fps;
        uint16_t *sidx = rs->sidx;
        size_t cap = rs->cap, removed = rs->syncs[sync_idx].count, ncap = MIN_CAP;

        if (!removed)
                return 0;
        /* rebuilt at the size the remaining entries need */
        while ((rs->count - removed) * 4 > ncap * 3)
                ncap *= 2;
        alloc_slots(rs, ncap);
        for (size_t j = 0; j < cap; j++) {
                size_t i;
                if (!keys[j] || sidx[j] == (uint16_t)sync_idx)
                        continue;
                i = probe(rs, keys[j]);
                rs->keys[i] = keys[j];
                rs->fps[i] = fps[j];
                rs->sidx[i] = sidx[j];
        }
        rs->count -= removed;
        rs->syncs[sync_idx].count = 0;
        free(keys);
        free(fps);
        free(sidx);
        return removed;
}

size_t retl_rowstate_count(const struct retl_rowstate *rs, int sync_idx)
{
        return sync_idx < 0 ? rs->count : rs->syncs[sync_idx].count;
}

size_t retl_rowstate_bytes(const struct retl_rowstate *rs)
{
        size_t b = sizeof(*rs) + rs->cap * (sizeof(*rs->keys) + sizeof(*rs->fps) +
                                            sizeof(*rs->sidx));

        b += rs->nsyncs * sizeof(*rs->syncs);
        for (size_t i = 0; i < rs->nsyncs; i++)
                b += strlen(rs->syncs[i].name) + 1;
        return b;
}

/* ================================================================ hashes */

static uint64_t mix64(uint64_t x)
{
        /* splitmix64's finalizer: every input bit reaches every output bit */
        x ^= x >> 30;
        x *= 0xBF58476D1CE4E5B9ULL;
        x ^= x >> 27;
        x *= 0x94D049BB133111EBULL;
        x ^= x >> 31;
        return x;
}

static uint64_t hash_from(uint64_t h, const void *data, size_t len)
{
        const unsigned char *p = data;
        uint64_t w;

        h ^= mix64(len + 0x2545F4914F6CDD1DULL);
        while (len >= 8) {
                memcpy(&w, p, 8);
                h = mix64(h ^ w) + 0x9E3779B97F4A7C15ULL;
                p += 8;
                len -= 8;
        }
        w = 0;
        memcpy(&w, p, len);
        return mix64(h ^ w ^ ((uint64_t)len << 56));
}

uint64_t retl_rowstate_hash(const void *data, size_t len)
{
        return hash_from(0x6A09E667F3BCC908ULL, data, len);
}

uint64_t retl_rowstate_fingerprint(const char *json, size_t len, int64_t segment)
{
        /* a different seed from the keys', then the settings folded in */
        return mix64(hash_from(0xBB67AE8584CAA73BULL, json, len) ^ mix64((uint64_t)segment));
}

int64_t retl_rowstate_segment_key(int64_t segment, const char *segment_name)
{
        if (!segment_name)
                return segment;
        return -1 - (int64_t)retl_checkpoint_name_hash(segment_name);
}
