/* retl — closing runs a previous extractor left open.
 *
 * An extractor killed while publishing (kill -9, a lost node) leaves its run
 * without a RunFinished record. The uploaders cannot finish such a run, so
 * they never commit past it, and every later run of the workspace would be
 * skipped as "previous import still in progress". Since exactly one
 * extractor runs per deployment, whatever run is open in a workspace's log
 * when the extractor starts belongs to a dead one: it is closed with a
 * CANCELLED RunFinished, imported as failed (last_sync_time does not move),
 * and its rows are read again by the sync's next run. */
#ifndef RETL_RECOVER_H
#define RETL_RECOVER_H

#include "lib/cfg.h"
#include "producer/sink.h"

/** @brief Closes the open run, if any, of every workspace the syncs use.
 *  @returns how many runs were closed, or -1 with errstr (Kafka unreachable). */
int retl_recover_open_runs(const struct retl_cfg *cfg, struct retl_sink *sink, char *errstr,
                           size_t errstr_size);

#endif
