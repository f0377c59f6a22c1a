/* retl uploader — a set of 64-bit entity keys, see keyset.h. Linear
 * probing, at most half full; removal shifts the following run back, so
 * there are no tombstones and lookups stay short however many keys came and
 * went. */
#include "consumer/keyset.h"
#include "lib/mem.h"

#include <stdlib.h>
#include <string.h>

#define KEYSET_MIN 64

void retl_keyset_init(struct retl_keyset *ks)
{
        memset(ks, 0, sizeof(*ks));
}

void retl_keyset_free(struct retl_keyset *ks)
{
        free(ks->ks_keys);
        retl_keyset_init(ks);
}

void retl_keyset_clear(struct retl_keyset *ks)
{
        if (ks->ks_n)
                memset(ks->ks_keys, 0, ks->ks_cap * sizeof(*ks->ks_keys));
        ks->ks_n = 0;
        ks->ks_zero = 0;
}

/* The home slot of @p key: keys are hashes already, but their low bits
 * alone may be poor (a caller's own hash); mixing costs a multiply. */
static size_t home(const struct retl_keyset *ks, uint64_t key)
{
        return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 32) & (ks->ks_cap - 1);
}

/* The slot holding @p key, or the free slot where it would go. */
static size_t find(const struct retl_keyset *ks, uint64_t key)
{
        size_t i = home(ks, key);

        while (ks->ks_keys[i] && ks->ks_keys[i] != key)
                i = (i + 1) & (ks->ks_cap - 1);
        return i;
}

int retl_keyset_has(const struct retl_keyset *ks, uint64_t key)
{
        if (!key)
                return ks->ks_zero;
        return ks->ks_cap && ks->ks_keys[find(ks, key)] == key;
}

static void grow(struct retl_keyset *ks)
{
        uint64_t *old = ks->ks_keys;
        size_t ocap = ks->ks_cap;

        ks->ks_cap = ocap ? 2 * ocap : KEYSET_MIN;
        ks->ks_keys = retl_calloc(ks->ks_cap, sizeof(*ks->ks_keys));
        for (size_t i = 0; i < ocap; i++)
                if (old[i])
                        ks->ks_keys[find(ks, old[i])] = old[i];
        free(old);
}

void retl_keyset_add(struct retl_keyset *ks, uint64_t key)
{
        size_t i;

        if (!key) {
                ks->ks_zero = 1;
                return;
        }
        if (2 * (ks->ks_n + 1) > ks->ks_cap)
                grow(ks);
        i = find(ks, key);
        if (ks->ks_keys[i])
                return;
        ks->ks_keys[i] = key;
        ks->ks_n++;
}

void retl_keyset_remove(struct retl_keyset *ks, uint64_t key)
{
        size_t mask = ks->ks_cap - 1, i, j;

        if (!key) {
                ks->ks_zero = 0;
                return;
        }
        if (!ks->ks_cap)
                return;
        i = find(ks, key);
        if (!ks->ks_keys[i])
                return;
        /* backward shift: a key after the hole moves into it unless its
         * home lies cyclically in (i, j] (it would no longer be found) */
        for (j = (i + 1) & mask; ks->ks_keys[j]; j = (j + 1) & mask) {
                size_t h = home(ks, ks->ks_keys[j]);
                if (((j - h) & mask) >= ((j - i) & mask)) {
                        ks->ks_keys[i] = ks->ks_keys[j];
                        i = j;
                }
        }
        ks->ks_keys[i] = 0;
        ks->ks_n--;
}

size_t retl_keyset_count(const struct retl_keyset *ks)
{
        return ks->ks_n + (ks->ks_zero ? 1 : 0);
}
