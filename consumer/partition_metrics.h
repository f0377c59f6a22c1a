/* retl uploader — the uploader's Prometheus series, fed by its workspace
 * partitions (names and labels in consumer/README.md). */
#ifndef RETL_PARTITION_METRICS_H
#define RETL_PARTITION_METRICS_H

#include "consumer/partition.h"

/** @brief Declares the uploader's metric families (see consumer/README.md). */
void retl_partition_metrics_declare(struct retl_metrics *m);

/** @brief Refreshes retl_consumer_lag (high watermark - committed offset)
 *  from librdkafka's cached watermarks: never blocks (@p timeout_ms is
 *  unused). @returns 0, or -1 when no watermark is known yet. */
int retl_partition_metrics_refresh_lag(struct retl_partition *p, int timeout_ms);
/** @brief retl_consumer_lag 0: the partition is let go, another member
 *  reports it from now on. */
void retl_partition_metrics_lag_release(struct retl_partition *p);

/** @brief retl_last_completed_import_timestamp_seconds of @p sync (t <= 0:
 *  nothing). */
void retl_partition_metrics_last_completed(const struct retl_partition *p, const char *sync,
                                           int64_t t);
/** @brief retl_runs_held of @p sync: 1 while a run is held, else 0. */
void retl_partition_metrics_held(const struct retl_partition *p, const char *sync, int held);
/** @brief One finished import of @p sync. */
void retl_partition_metrics_import(const struct retl_partition *p, const char *sync,
                                   enum retl_import_status st);
/** @brief One Track API answer: its status and duration. */
void retl_partition_metrics_answer(const struct retl_partition *p,
                                   const struct retl_track_result *r);
/** @brief @p n errors of a 207 answer that named no row of the request. */
void retl_partition_metrics_unmatched(const struct retl_partition *p, int n);
/** @brief @p n retired rows of @p sync in @p series: retl_rows_sent_total,
 *  retl_rows_unchanged_total, retl_rows_failed_total or
 *  retl_rows_deleted_total. */
void retl_partition_metrics_rows(const struct retl_partition *p, const char *sync,
                                 const char *series, int64_t n);

#endif
