/* retl sandbox — string-keyed hash map, see sbx_map.h. */
#include "sandbox/track/sbx_map.h"

#include "lib/mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct sbx_slot {
        char *key;      /* NULL = empty slot */
        uint64_t hash;
        void *val;
};

struct retl_sbx_map {
        struct sbx_slot *m_slots;
        size_t m_cap;   /* power of two */
        size_t m_count;
        int m_borrow;   /* keys are the caller's, never freed here */
        int m_mapped;   /* m_slots by slots_new()'s mmap */
};

/* Slot arrays of at least this many bytes are mapped on their own, asking
 * for transparent huge pages: a lookup in a map of a million people is a
 * random access into tens of MiB, which with 4 KiB pages is a TLB miss as
 * well as a cache miss. */
#define HUGE_SLOTS (2u << 20)

/* @p cap zeroed slots; *mapped says how to free them. */
static struct sbx_slot *slots_new(size_t cap, int *mapped)
{
        size_t bytes = cap * sizeof(struct sbx_slot);
        void *p = MAP_FAILED;

        if (bytes >= HUGE_SLOTS)
                p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                         0);
        *mapped = p != MAP_FAILED;
        if (!*mapped)
                return retl_calloc(cap, sizeof(struct sbx_slot));
        (void)madvise(p, bytes, MADV_HUGEPAGE);   /* a hint: fine if refused */
        return p;                                   /* zeroed, as calloc's */
}

static void slots_free(struct sbx_slot *slots, size_t cap, int mapped)
{
        if (mapped)
                munmap(slots, cap * sizeof(struct sbx_slot));
        else
                free(slots);
}

/* FNV-1a, then a final mix so that linear probing sees spread low bits. */
static uint64_t hash_str(const char *s)
{
        uint64_t h = 1469598103934665603ULL;

        for (; *s; s++) {
                h ^= (unsigned char)*s;
                h *= 1099511628211ULL;
        }
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 33;
        return h;
}

struct retl_sbx_map *retl_sbx_map_new(int borrow_keys)
{
        struct retl_sbx_map *m = retl_calloc(1, sizeof(*m));

        m->m_borrow = borrow_keys;
        m->m_cap = 16;
        m->m_slots = slots_new(m->m_cap, &m->m_mapped);
        return m;
}

void retl_sbx_map_clear(struct retl_sbx_map *m)
{
        for (size_t i = 0; i < m->m_cap; i++) {
                if (!m->m_borrow)
                        free(m->m_slots[i].key);
                m->m_slots[i].key = NULL;
                m->m_slots[i].val = NULL;
        }
        m->m_count = 0;
}

void retl_sbx_map_destroy(struct retl_sbx_map *m)
{
        if (!m)
                return;
        retl_sbx_map_clear(m);
        slots_free(m->m_slots, m->m_cap, m->m_mapped);
        free(m);
}

static size_t find_slot(const struct retl_sbx_map *m, const char *key, uint64_t h)
{
        size_t mask = m->m_cap - 1;
        size_t i = (size_t)h & mask;

        while (m->m_slots[i].key) {
                if (m->m_slots[i].hash == h && !strcmp(m->m_slots[i].key, key))
                        return i;
                i = (i + 1) & mask;
        }
        return i;
}

static void grow(struct retl_sbx_map *m)
{
        struct sbx_slot *old = m->m_slots;
        size_t old_cap = m->m_cap;
        int old_mapped = m->m_mapped;

        m->m_cap *= 2;
        m->m_slots = slots_new(m->m_cap, &m->m_mapped);
        for (size_t i = 0; i < old_cap; i++) {
                size_t j;

                if (!old[i].key)
                        continue;
                j = (size_t)old[i].hash & (m->m_cap - 1);
                while (m->m_slots[j].key)
                        j = (j + 1) & (m->m_cap - 1);
                m->m_slots[j] = old[i];
        }
        slots_free(old, old_cap, old_mapped);
}

void *retl_sbx_map_get(const struct retl_sbx_map *m, const char *key)
{
        uint64_t h = hash_str(key);
        size_t i = find_slot(m, key, h);

        return m->m_slots[i].key ? m->m_slots[i].val : NULL;
}

void retl_sbx_map_put(struct retl_sbx_map *m, const char *key, void *val)
{
        uint64_t h = hash_str(key);
        size_t i;

        /* Keep the load under 1/2: with linear probing a miss (every create
         * looks up an absent key) scans ~2.5 slots at 1/2, ~8.5 at 3/4. */
        if ((m->m_count + 1) * 2 > m->m_cap)
                grow(m);
        i = find_slot(m, key, h);
        if (!m->m_slots[i].key) {
                m->m_slots[i].key = m->m_borrow ? (char *)key : retl_strdup(key);
                m->m_slots[i].hash = h;
                m->m_count++;
        } else if (m->m_borrow) {
                m->m_slots[i].key = (char *)key;
        }
        m->m_slots[i].val = val;
}

void *retl_sbx_map_del(struct retl_sbx_map *m, const char *key)
{
        uint64_t h = hash_str(key);
        size_t mask = m->m_cap - 1;
        size_t i = find_slot(m, key, h);
        size_t j;
        void *val;

        if (!m->m_slots[i].key)
                return NULL;
        val = m->m_slots[i].val;
        if (!m->m_borrow)
                free(m->m_slots[i].key);
        m->m_slots[i].key = NULL;
        m->m_count--;
        /* Backward-shift deletion: move later members of the probe run into
         * the hole, so that lookups never need tombstones. */
        j = i;
        for (;;) {
                size_t home;

                j = (j + 1) & mask;
                if (!m->m_slots[j].key)
                        break;
                home = (size_t)m->m_slots[j].hash & mask;
                /* Move j into the hole at i unless its home lies cyclically
                 * in (i, j]. */
                if ((j > i && (home <= i || home > j)) ||
                    (j < i && (home <= i && home > j))) {
                        m->m_slots[i] = m->m_slots[j];
                        m->m_slots[j].key = NULL;
                        m->m_slots[j].val = NULL;
                        i = j;
                }
        }
        return val;
}

size_t retl_sbx_map_count(const struct retl_sbx_map *m)
{
        return m->m_count;
}

int retl_sbx_map_next(const struct retl_sbx_map *m, size_t *iter, const char **key,
                      void **val)
{
        for (size_t i = *iter; i < m->m_cap; i++) {
                if (m->m_slots[i].key) {
                        if (key)
                                *key = m->m_slots[i].key;
                        if (val)
                                *val = m->m_slots[i].val;
                        *iter = i + 1;
                        return 1;
                }
        }
        *iter = m->m_cap;
        return 0;
}
