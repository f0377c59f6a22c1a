/* retl sandbox — request-scoped memory for jansson, see sbx_arena.h. */
#include "sandbox/track/sbx_arena.h"

#include "lib/mem.h"

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#define BLOCK_SIZE (512 * 1024)
/* Memory kept across resets: enough for the largest batches. */
#define KEEP_BYTES (8 * 1024 * 1024)
#define ALIGN 16

struct arena_block {
        struct arena_block *next;
        size_t size;        /* usable bytes after the header */
        size_t used;
        /* data follows, ALIGN-aligned */
};

struct retl_sbx_arena {
        struct arena_block *blocks;   /* current first */
};

/* The arena this thread allocates from. jansson's allocator hooks are
 * process-wide and take no context, so the context is per thread. */
static _Thread_local struct retl_sbx_arena *tl_arena;

static pthread_once_t install_once = PTHREAD_ONCE_INIT;

static char *block_data(struct arena_block *b)
{
        return (char *)b + ((sizeof(*b) + ALIGN - 1) & ~(size_t)(ALIGN - 1));
}

static void *arena_alloc(struct retl_sbx_arena *a, size_t n)
{
        struct arena_block *b = a->blocks;

        n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
        if (!b || b->used + n > b->size) {
                /* reuse a kept block further down the list, if any fits */
                struct arena_block **pp = b ? &b->next : &a->blocks;

                while (*pp && (*pp)->used + n > (*pp)->size)
                        pp = &(*pp)->next;
                if (*pp) {
                        struct arena_block *f = *pp;

                        *pp = f->next;
                        f->next = a->blocks;
                        a->blocks = f;
                } else {
                        size_t size = n > BLOCK_SIZE ? n : BLOCK_SIZE;

                        b = retl_malloc(((sizeof(*b) + ALIGN - 1) & ~(size_t)(ALIGN - 1)) + size);
                        b->size = size;
                        b->used = 0;
                        b->next = a->blocks;
                        a->blocks = b;
                }
                b = a->blocks;
        }
        b->used += n;
        return block_data(b) + b->used - n;
}

static int arena_owns(const struct retl_sbx_arena *a, const void *p)
{
        for (const struct arena_block *b = a->blocks; b; b = b->next) {
                const char *d = block_data((struct arena_block *)b);

                if ((const char *)p >= d && (const char *)p < d + b->size)
                        return 1;
        }
        return 0;
}

static void *hook_malloc(size_t n)
{
        return tl_arena ? arena_alloc(tl_arena, n) : malloc(n);
}

static void hook_free(void *p)
{
        if (!p)
                return;
        if (tl_arena && arena_owns(tl_arena, p))
                return; /* dropped with the arena */
        free(p);
}

static void install(void)
{
        json_set_alloc_funcs(hook_malloc, hook_free);
}

void retl_sbx_arena_install(void)
{
        pthread_once(&install_once, install);
}

struct retl_sbx_arena *retl_sbx_arena_new(void)
{
        return retl_calloc(1, sizeof(struct retl_sbx_arena));
}

void retl_sbx_arena_destroy(struct retl_sbx_arena *a)
{
        struct arena_block *b, *n;

        if (!a)
                return;
        if (tl_arena == a)
                tl_arena = NULL;
        for (b = a->blocks; b; b = n) {
                n = b->next;
                free(b);
        }
        free(a);
}

void retl_sbx_arena_reset(struct retl_sbx_arena *a)
{
        struct arena_block **pp = &a->blocks;
        size_t kept = 0;

        while (*pp) {
                struct arena_block *b = *pp;

                if (kept + b->size > KEEP_BYTES) {
                        *pp = b->next;
                        free(b);
                        continue;
                }
                kept += b->size;
                b->used = 0;
                pp = &b->next;
        }
}

void retl_sbx_arena_enter(struct retl_sbx_arena *a)
{
        tl_arena = a;
}

void retl_sbx_arena_leave(void)
{
        tl_arena = NULL;
}

struct retl_sbx_arena *retl_sbx_arena_swap(struct retl_sbx_arena *a)
{
        struct retl_sbx_arena *prev = tl_arena;

        tl_arena = a;
        return prev;
}
