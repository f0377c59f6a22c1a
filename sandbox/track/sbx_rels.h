/* retl sandbox — relationships between people and objects: records,
 * cio_relationships lists, the add/delete actions, inspection. */
#ifndef RETL_SBX_RELS_H
#define RETL_SBX_RELS_H

#include "sandbox/track/sbx_ws_int.h"

/** @brief Walks a cio_relationships array. With @p apply = 0 only checks
 *  it (no change); with 1 applies it (after a check passed).
 *  Person side (@p object_side = 0): the items are objects related to
 *  @p person. Object side: the items are people related to @p object.
 *  The other end may be NULL while checking. @returns 0 or -1. */
int retl_sbx_rels_list(struct retl_sbx_ws *ws, json_t *rels, int object_side, int add,
                       int apply, struct sbx_person *person, struct sbx_object *object,
                       int64_t now, struct retl_sbx_outcome *o);

/* add_relationships (@p add = 1) / delete_relationships from the person
 * side and from the object side (see retl_sbx_ws_apply()). */
int retl_sbx_rels_person_action(struct retl_sbx_ws *ws, json_t *e, char **prepared, int add,
                                int64_t now, struct retl_sbx_outcome *o);
int retl_sbx_rels_object_action(struct retl_sbx_ws *ws, json_t *e, char **prepared, int add,
                                int64_t now, struct retl_sbx_outcome *o);

/** @brief Deletes the relationships of @p p, or of @p ob (the other NULL). */
void retl_sbx_rels_drop(struct retl_sbx_ws *ws, const struct sbx_person *p,
                        const struct sbx_object *ob);
/** @brief Frees every relationship; the caller clears the index. */
void retl_sbx_rels_clear(struct retl_sbx_ws *ws);
/** @brief Restores a relationship from the state file (sbx_state.c); the
 *  @p attrs reference is taken. @returns -1 if either end is missing. */
int retl_sbx_rels_restore(struct retl_sbx_ws *ws, const char *cio_id, const char *type,
                          const char *object_id, json_t *attrs, int64_t created_ms,
                          int64_t updated_ms);

#endif
