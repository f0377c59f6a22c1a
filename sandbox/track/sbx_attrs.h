/* retl sandbox — a record's attributes kept frozen: the compact JSON text of
 * its attributes object in one allocation, instead of a jansson tree (ten
 * members as a tree are ~25 allocations and ~1.4 KiB; as text ~300 bytes,
 * made in one pass). Readers thaw a tree when they need one: the inspection
 * API, an update's merge, nothing on the create path.
 *
 * The text is what the state file has always kept: json_dumps() compact,
 * reals to 17 digits (they read back the same), kept numbers as their
 * "\u0000num:" strings (sbx_numbers.h), read back with JSON_ALLOW_NUL. */
#ifndef RETL_SBX_ATTRS_H
#define RETL_SBX_ATTRS_H

#include <jansson.h>

/** @returns the frozen text of the object @p obj ("{}" for NULL or a
 *  non-object), malloc'd. */
char *retl_sbx_attrs_freeze(const json_t *obj);

/** @returns a new object thawed from @p frozen (an empty one for NULL). */
json_t *retl_sbx_attrs_thaw(const char *frozen);

/** @brief The frozen attributes of a record created from the sent
 *  attributes @p attrs: removals (null, "") left out, and with @p person the
 *  keys that are not stored as attributes (id, email, cio_id, _update). Made
 *  in one pass: values are dumped straight from @p attrs, nothing copied.
 *  @returns malloc'd text, or NULL when @p attrs is present but no object. */
char *retl_sbx_attrs_prepare(const json_t *attrs, int person);

struct retl_sbx_arena;

/** @brief Merges sent attributes into frozen ones, as
 *  retl_sbx_rules_merge_attrs() does; *@p frozen is replaced only when
 *  something changed. The tree thawed for it lives in @p scratch (reset
 *  after; NULL: malloc). */
void retl_sbx_attrs_merge(char **frozen, json_t *src, int person,
                          struct retl_sbx_arena *scratch);

/** @brief Replaces *@p frozen by the frozen form of @p attrs (reference
 *  taken) unless that is NULL. */
void retl_sbx_attrs_take(char **frozen, json_t *attrs);

#endif
