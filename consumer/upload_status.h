/* retl uploader — `retl upload --status`: the committed offset and
 * checkpoint of every configured workspace. */
#ifndef RETL_UPLOAD_STATUS_H
#define RETL_UPLOAD_STATUS_H

#include "lib/cfg.h"

/** @brief Prints one line per workspace of @p cfg on stdout (Kafka only:
 *  waits for the cluster, then for each answer, at most kafka.timeout).
 *  @returns the exit status, 0 or 1. */
int retl_upload_status(const struct retl_cfg *cfg);

#endif
