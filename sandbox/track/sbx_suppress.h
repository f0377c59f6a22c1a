/* retl sandbox — suppressed people: the ids and emails the workspace
 * refuses. */
#ifndef RETL_SBX_SUPPRESS_H
#define RETL_SBX_SUPPRESS_H

#include "sandbox/track/sbx_ws_int.h"

/** @brief Adds the suppressions of the configuration (--suppress). */
void retl_sbx_suppress_conf(struct retl_sbx_ws *ws);
/** @returns 1 if @p id (NULL is fine) is suppressed. */
int retl_sbx_suppress_has_id(const struct retl_sbx_ws *ws, const char *id);
/** @returns 1 if @p email (NULL is fine; any case) is suppressed. */
int retl_sbx_suppress_has_email(const struct retl_sbx_ws *ws, const char *email);

#endif
