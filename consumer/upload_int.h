/* retl uploader — the state of a `retl upload` worker, shared by upload.c
 * (startup, signals, loop) and upload_group.c (its partitions); nobody else
 * includes it. */
#ifndef RETL_UPLOAD_INT_H
#define RETL_UPLOAD_INT_H

#include "consumer/partition.h"
#include "lib/cfg.h"
#include "lib/metrics.h"

#include <librdkafka/rdkafka.h>
#include <stdint.h>

/* The uploader reads the Kafka and Track API secrets, never the database's. */
#define RETL_UPLOAD_SECRETS (RETL_CFG_SECRETS_KAFKA | RETL_CFG_SECRETS_WORKSPACES)

/* One worker: its configuration, Kafka handles, HTTP client and the
 * partitions the group gave it. */
struct retl_upload {
        struct retl_cfg *cfg;           /* live: workspaces (reloaded) */
        struct retl_cfg *kcfg;          /* from startup: kafka (may be cfg) */
        struct retl_metrics *metrics;
        int joined;                     /* a first assignment came */
        int kafka_ok;                   /* the broker answered lately */
        rd_kafka_t *rk;
        rd_kafka_t *producer;
        struct retl_codec *codec;
        struct retl_track *track;
        struct retl_partition_env env;
        struct retl_partition **parts;
        size_t nparts;
        char **warned;                  /* topics already reported as unknown */
        size_t nwarned;
        int64_t delivery_errors;
        int pipefd[2];
        const char *client_id;
};

#endif
