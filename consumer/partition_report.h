/* retl uploader — what a workspace partition writes to Kafka: import
 * reports (kafka.imports_topic) and failed rows (kafka.failures_topic). */
#ifndef RETL_PARTITION_REPORT_H
#define RETL_PARTITION_REPORT_H

#include "consumer/partition_int.h"

/** @brief Produces run @p r's ImportReport with status @p st, last_sync_time
 *  @p lst and @p error (NULL = none); not flushed (the commit flushes). */
void retl_partition_report_import(struct retl_partition *p, struct run *r,
                                  enum retl_import_status st, int64_t lst, const char *error);
/** @brief Whether run @p r already has its final report (any status but
 *  RUNNING and HELD) on the imports topic: an earlier owner of the workspace sent it
 *  and lost the workspace before its commit. Reads the topic from a little
 *  before the run's start (blocking); 0 when it cannot be read. */
int retl_partition_report_final_exists(struct retl_partition *p, const struct run *r);
/** @brief Produces the RowFailure of row @p e with @p reason. */
void retl_partition_report_failure(struct retl_partition *p, struct entry *e,
                                   const char *reason);

#endif
