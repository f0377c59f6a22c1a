/* retl sandbox — objects in the workspace: records, the object actions,
 * inspection. */
#ifndef RETL_SBX_OBJECTS_H
#define RETL_SBX_OBJECTS_H

#include "sandbox/track/sbx_rules.h"

/** @returns the object @p oi names, or NULL. */
struct sbx_object *retl_sbx_objects_find(struct retl_sbx_ws *ws, const struct sbx_oident *oi);
/** @brief Parses the identifiers of entity @p e into @p oi and finds the
 *  object they name (*ob, NULL if none). @returns 0, or -1 (why in @p o). */
int retl_sbx_objects_parse(struct retl_sbx_ws *ws, json_t *e, struct sbx_oident *oi,
                           struct sbx_object **ob, struct retl_sbx_outcome *o);
/** @brief The object @p oi names, created when missing. */
struct sbx_object *retl_sbx_objects_get(struct retl_sbx_ws *ws, const struct sbx_oident *oi,
                                        int64_t now);

/* The object actions (see retl_sbx_ws_apply()); @returns 0 or -1. */
int retl_sbx_objects_identify(struct retl_sbx_ws *ws, json_t *e, char **prepared, int flag,
                              int64_t now, struct retl_sbx_outcome *o);
int retl_sbx_objects_delete(struct retl_sbx_ws *ws, json_t *e, char **prepared, int flag,
                            int64_t now, struct retl_sbx_outcome *o);

/** @brief Frees every object; the caller clears the indexes. */
void retl_sbx_objects_clear(struct retl_sbx_ws *ws);
/** @brief Restores an object from the state file (sbx_state.c); strings
 *  are copied, the @p attrs reference is taken. @returns NULL for a
 *  duplicate. */
struct sbx_object *retl_sbx_objects_restore(struct retl_sbx_ws *ws, const char *type,
                                            const char *object_id, const char *cio_id,
                                            json_t *attrs, int64_t created_ms,
                                            int64_t updated_ms, uint64_t updates);

#endif
