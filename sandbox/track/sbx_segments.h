/* retl sandbox — manual segments and their members. */
#ifndef RETL_SBX_SEGMENTS_H
#define RETL_SBX_SEGMENTS_H

#include "sandbox/track/sbx_ws_int.h"

/** @returns the ids of the segments @p p belongs to, a new JSON array. */
json_t *retl_sbx_segments_of(const struct retl_sbx_ws *ws, const struct sbx_person *p);
/** @brief Takes @p p out of every segment (the person is being deleted). */
void retl_sbx_segments_forget(struct retl_sbx_ws *ws, const struct sbx_person *p);
/** @brief Frees every segment with its members. */
void retl_sbx_segments_clear(struct retl_sbx_ws *ws);
/** @brief Restores a membership from the state file (sbx_state.c),
 *  creating the segment if needed. @returns -1 if there is no such person. */
int retl_sbx_segments_restore_member(struct retl_sbx_ws *ws, long segment_id,
                                     const char *cio_id);

#endif
