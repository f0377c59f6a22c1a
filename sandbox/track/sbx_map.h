/* retl sandbox — string-keyed hash map (open addressing, linear probing).
 *
 * Keys are NUL-terminated strings, copied in, or borrowed (a map made with
 * borrow_keys keeps the caller's pointer: the key must stay valid until the
 * entry is removed; the workspace points at strings in its records). Values
 * are borrowed pointers the map never frees. Not thread-safe: the
 * workspace lock covers it. */
#ifndef RETL_SBX_MAP_H
#define RETL_SBX_MAP_H

#include <stddef.h>

struct retl_sbx_map;

/** @brief An empty map; free with retl_sbx_map_destroy(). */
struct retl_sbx_map *retl_sbx_map_new(int borrow_keys);
/** @brief Frees the map and its key copies, not the values. NULL is fine. */
void retl_sbx_map_destroy(struct retl_sbx_map *m);
/** @brief Removes every entry, keeping the table's memory. */
void retl_sbx_map_clear(struct retl_sbx_map *m);
/** @returns the value stored under @p key, or NULL. */
void *retl_sbx_map_get(const struct retl_sbx_map *m, const char *key);
/** @brief Stores @p val (not NULL) under @p key (a copy of it unless the
 *  map borrows keys; then @p key replaces the stored pointer), replacing
 *  any earlier value. */
void retl_sbx_map_put(struct retl_sbx_map *m, const char *key, void *val);
/** @returns the value that was under @p key (now removed), or NULL. */
void *retl_sbx_map_del(struct retl_sbx_map *m, const char *key);
size_t retl_sbx_map_count(const struct retl_sbx_map *m);
/** @brief Walks the entries: start with *iter = 0, call while it returns 1.
 *  The map must not change during the walk. */
int retl_sbx_map_next(const struct retl_sbx_map *m, size_t *iter,
                      const char **key, void **val);

#endif
