/* retl — allocation that never returns NULL.
 *
 * Out of memory is not something a daemon can recover from in the middle of
 * a run: the wrapper logs and aborts, the pod restarts and the run is
 * re-imported from the last commit. The only abort() in lib/. */
#ifndef RETL_MEM_H
#define RETL_MEM_H

#include <stddef.h>

void *retl_malloc(size_t size) __attribute__((malloc, returns_nonnull));
void *retl_calloc(size_t n, size_t size) __attribute__((malloc, returns_nonnull));
void *retl_realloc(void *p, size_t size) __attribute__((returns_nonnull));
char *retl_strdup(const char *s) __attribute__((malloc, returns_nonnull));
char *retl_strndup(const char *s, size_t n) __attribute__((malloc, returns_nonnull));
/** @brief printf into a new string; free() it. */
char *retl_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2), returns_nonnull));

#endif
