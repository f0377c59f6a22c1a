/* retl uploader — `retl upload --status`, see upload_status.h. */
#include "consumer/upload_status.h"
#include "lib/kafka.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int retl_upload_status(const struct retl_cfg *cfg)
{
        char errstr[512], cid[64];
        rd_kafka_t *rk;
        int rc = 0, wait_ms = retl_kafka_timeout_ms(&cfg->kafka);

        snprintf(cid, sizeof(cid), "retl-upload-status-%d", (int)getpid());
        rk = retl_kafka_consumer_new(&cfg->kafka, cfg->kafka.group, cid, NULL, errstr,
                                     sizeof(errstr));
        /* an unreachable cluster fails once, after kafka.timeout, as in the
         * other commands; each question below is bounded by it too */
        if (!rk || retl_kafka_wait_cluster(rk, &cfg->kafka, errstr, sizeof(errstr))) {
                fprintf(stderr, "retl upload: %s\n", errstr);
                if (rk)
                        rd_kafka_destroy(rk);
                return 1;
        }
        for (size_t i = 0; i < cfg->nworkspaces; i++) {
                char *topic = retl_cfg_workspace_topic(cfg, cfg->workspaces[i].name);
                int64_t off, lo = -1, hi = -1;
                char *meta = NULL;

                if (retl_kafka_committed(rk, topic, wait_ms, &off, &meta, errstr,
                                         sizeof(errstr))) {
                        fprintf(stderr, "retl upload: %s\n", errstr);
                        rc = 1;
                } else {
                        (void)retl_kafka_watermarks(rk, topic, wait_ms, &lo, &hi, errstr,
                                                    sizeof(errstr));
                        printf("workspace=%s topic=%s committed=%" PRId64 " end=%" PRId64
                               " checkpoint=\"%s\"\n",
                               cfg->workspaces[i].name, topic, off, hi, meta ? meta : "");
                }
                free(meta);
                free(topic);
        }
        rd_kafka_destroy(rk);
        return rc;
}
