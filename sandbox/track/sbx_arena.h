/* retl sandbox — request-scoped memory for jansson parse trees.
 *
 * Parsing a 500-entity batch makes ~25,000 small allocations that all die
 * together when the request ends; through malloc that is most of the
 * sandbox's CPU time. While a thread has entered an arena, jansson's
 * allocations come from it (a bump pointer) and its frees of arena memory
 * do nothing; the tree is dropped at once by retl_sbx_arena_reset().
 *
 * Rules for users: leave the arena before anything jansson allocates must
 * outlive the request, never json_decref() a tree parsed in an arena, and
 * keep no reference to its nodes (copy what you keep: json_deep_copy()
 * outside the arena). */
#ifndef RETL_SBX_ARENA_H
#define RETL_SBX_ARENA_H

#include <stddef.h>

struct retl_sbx_arena;

/** @brief Routes jansson's allocations through the arena hooks (idempotent,
 *  any thread). Outside an arena they are plain malloc/free. */
void retl_sbx_arena_install(void);

struct retl_sbx_arena *retl_sbx_arena_new(void);
void retl_sbx_arena_destroy(struct retl_sbx_arena *a);   /* NULL is fine */
/** @brief Forgets everything allocated, keeping some memory for reuse. */
void retl_sbx_arena_reset(struct retl_sbx_arena *a);
/** @brief The calling thread's jansson allocations now come from @p a. */
void retl_sbx_arena_enter(struct retl_sbx_arena *a);
/** @brief Back to malloc for the calling thread. */
void retl_sbx_arena_leave(void);
/** @brief The calling thread's jansson allocations now come from @p a (NULL:
 *  malloc). @returns the arena they came from before, to swap back. */
struct retl_sbx_arena *retl_sbx_arena_swap(struct retl_sbx_arena *a);

#endif
