/* retl sandbox — people in the workspace: records, identifiers, the person
 * actions, inspection. */
#ifndef RETL_SBX_PEOPLE_H
#define RETL_SBX_PEOPLE_H

#include "sandbox/track/sbx_rules.h"

/** @returns the person @p pi names, or NULL. */
struct sbx_person *retl_sbx_people_find(struct retl_sbx_ws *ws, const struct sbx_pident *pi);
/** @brief Parses the identifiers of entity @p e into @p pi and finds the
 *  person they name (*p, NULL if none). @returns 0, or -1 (why in @p o). */
int retl_sbx_people_parse(struct retl_sbx_ws *ws, json_t *e, struct sbx_pident *pi,
                          struct sbx_person **p, struct retl_sbx_outcome *o);
/** @brief The person @p pi names, created (with that id or email) when
 *  missing; @p pi is not a cio_id. */
struct sbx_person *retl_sbx_people_get(struct retl_sbx_ws *ws, const struct sbx_pident *pi,
                                       int64_t now);
/** @returns 1 if the person (@p p, or the one @p pi would create when @p p
 *  is NULL) is suppressed. */
int retl_sbx_people_suppressed(const struct retl_sbx_ws *ws, const struct sbx_person *p,
                               const struct sbx_pident *pi);
/** @returns {"cio_id","id","email"} of @p p, a new reference. */
json_t *retl_sbx_people_ref_json(const struct sbx_person *p);

/* The person actions (see retl_sbx_ws_apply()); @returns 0 or -1. */
int retl_sbx_people_identify(struct retl_sbx_ws *ws, json_t *e, char **prepared, int flag,
                             int64_t now, struct retl_sbx_outcome *o);
int retl_sbx_people_delete(struct retl_sbx_ws *ws, json_t *e, char **prepared, int flag,
                           int64_t now, struct retl_sbx_outcome *o);
/** @brief suppress (@p on = 1) or unsuppress. */
int retl_sbx_people_suppress(struct retl_sbx_ws *ws, json_t *e, char **prepared, int on,
                             int64_t now, struct retl_sbx_outcome *o);

/** @brief Frees every person; the caller clears the indexes. */
void retl_sbx_people_clear(struct retl_sbx_ws *ws);
/** @brief Restores a person from the state file (sbx_state.c); strings are
 *  copied, the @p attrs reference is taken. @returns NULL for a duplicate. */
struct sbx_person *retl_sbx_people_restore(struct retl_sbx_ws *ws, const char *cio_id,
                                           const char *id, const char *email, json_t *attrs,
                                           int64_t created_ms, int64_t updated_ms,
                                           uint64_t updates);

#endif
