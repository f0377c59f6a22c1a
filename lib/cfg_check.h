/* retl — configuration checks across settings, once every group is loaded. */
#ifndef RETL_CFG_CHECK_H
#define RETL_CFG_CHECK_H

#include "cfg_load.h"

/** @brief Checks what one setting alone cannot say (unique names, a sync's
 *  workspace and database, region or api_url, ...), fills what derives from
 *  other settings (api_url from region, a sync's ws and db) and notes each
 *  problem in @p ld. */
void retl_cfg_check_all(struct retl_cfg_loader *ld, struct retl_cfg *cfg);

#endif
