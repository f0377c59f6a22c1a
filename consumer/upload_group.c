/* retl uploader — a worker's workspace partitions, see upload_group.h. */
#include "consumer/upload_group.h"
#include "lib/log.h"
#include "lib/mem.h"

#include <stdlib.h>
#include <string.h>

/* ========================================================= assignment */

static struct retl_partition *find_part(struct retl_upload *u, const char *topic, size_t *idx)
{
        for (size_t i = 0; i < u->nparts; i++)
                if (!strcmp(retl_partition_topic(u->parts[i]), topic)) {
                        if (idx)
                                *idx = i;
                        return u->parts[i];
                }
        return NULL;
}

static int warned_once(struct retl_upload *u, const char *topic)
{
        for (size_t i = 0; i < u->nwarned; i++)
                if (!strcmp(u->warned[i], topic))
                        return 1;
        u->warned = retl_realloc(u->warned, (u->nwarned + 1) * sizeof(*u->warned));
        u->warned[u->nwarned++] = retl_strdup(topic);
        return 0;
}

static void pause_one(rd_kafka_t *rk, const char *topic, int32_t partition)
{
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, topic, partition);
        rd_kafka_pause_partitions(rk, l);
        rd_kafka_topic_partition_list_destroy(l);
}

/* Workspace partition @p p reads its own queue (retl_partition_read), not
 * the consumer's: a workspace with no room leaves its messages in
 * librdkafka's queue without holding up the others, and without a pause
 * (which would drop what was fetched and cost a fetch round trip on
 * resume). Set before the partition is assigned, so that no message goes
 * to the consumer's queue; librdkafka keeps a forwarding the application
 * chose. */
static void own_queue(struct retl_upload *u, struct retl_partition *p)
{
        rd_kafka_queue_t *rkqu = rd_kafka_queue_get_partition(u->rk, retl_partition_topic(p), 0);

        rd_kafka_queue_forward(rkqu, NULL);
        if (u->pipefd[1] >= 0)
                rd_kafka_queue_io_event_enable(rkqu, u->pipefd[1], "1", 1);
        retl_partition_set_queue(p, rkqu);
}

static void on_assign(struct retl_upload *u, rd_kafka_topic_partition_list_t *parts)
{
        const char *prefix = u->kcfg->kafka.topic_prefix;
        size_t plen = strlen(prefix);

        u->joined = 1;
        for (int i = 0; i < parts->cnt; i++) {
                rd_kafka_topic_partition_t *tp = &parts->elems[i];
                const struct retl_cfg_workspace *ws = NULL;
                struct retl_partition *p;
                int64_t start;

                if (find_part(u, tp->topic, NULL))
                        continue;
                if (tp->partition == 0 && !strncmp(tp->topic, prefix, plen) &&
                    strcmp(tp->topic, u->kcfg->kafka.imports_topic) &&
                    strcmp(tp->topic, u->kcfg->kafka.failures_topic))
                        ws = retl_cfg_workspace_find(u->cfg, tp->topic + plen);
                if (!ws && !warned_once(u, tp->topic)) {
                        if (!strcmp(tp->topic, u->kcfg->kafka.imports_topic) ||
                            !strcmp(tp->topic, u->kcfg->kafka.failures_topic))
                                retl_log_info("upload", "%s [%d] is no workspace topic; "
                                              "not consumed", tp->topic, tp->partition);
                        else
                                retl_log_error("upload",
                                               "topic %s [%d] matches the workspace prefix "
                                               "but workspace '%s' is not in the "
                                               "configuration: not consumed, never committed",
                                               tp->topic, tp->partition, tp->topic + plen);
                }
                p = retl_partition_new(&u->env, u->cfg, tp->partition == 0 ? ws : NULL,
                                       tp->topic);
                u->parts = retl_realloc(u->parts, (u->nparts + 1) * sizeof(*u->parts));
                u->parts[u->nparts++] = p;
                if (ws)
                        own_queue(u, p);
                if (ws && !retl_partition_init(p, 10000, &start))
                        tp->offset = start;
                retl_log_info("upload", "%s: assigned %s [%d]%s", u->client_id, tp->topic,
                              tp->partition,
                              !ws ? " (paused)" : retl_partition_ready(p) ? "" : " (waiting for "
                              "its committed offset)");
        }
}

static void on_revoke(struct retl_upload *u, const rd_kafka_topic_partition_list_t *parts)
{
        for (int i = 0; i < parts->cnt; i++) {
                size_t idx;
                struct retl_partition *p = find_part(u, parts->elems[i].topic, &idx);
                if (!p)
                        continue;
                /* what is acknowledged may still be committed; the rest is
                 * dropped and the next owner imports it again */
                retl_partition_checkpoint(p);
                retl_partition_destroy(p);
                u->parts[idx] = u->parts[--u->nparts];
                retl_log_info("upload", "%s: revoked %s [%d]", u->client_id,
                              parts->elems[i].topic, parts->elems[i].partition);
        }
}

void retl_upload_group_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                                    rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        struct retl_upload *u = opaque;
        int coop = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
        rd_kafka_error_t *error = NULL;
        rd_kafka_resp_err_t aerr = RD_KAFKA_RESP_ERR_NO_ERROR;

        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                on_assign(u, parts);
                if (coop)
                        error = rd_kafka_incremental_assign(rk, parts);
                else
                        aerr = rd_kafka_assign(rk, parts);
                /* unknown workspaces and those still waiting: hold them */
                for (int i = 0; i < parts->cnt; i++) {
                        struct retl_partition *p = find_part(u, parts->elems[i].topic, NULL);
                        if (p && (!retl_partition_usable(p) || !retl_partition_ready(p)))
                                pause_one(rk, parts->elems[i].topic, parts->elems[i].partition);
                }
        } else {
                on_revoke(u, parts);
                if (coop)
                        error = rd_kafka_incremental_unassign(rk, parts);
                else
                        aerr = rd_kafka_assign(rk, NULL);
        }
        if (error) {
                retl_log_error("upload", "rebalance: %s", rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
        } else if (aerr) {
                retl_log_error("upload", "rebalance: %s", rd_kafka_err2str(aerr));
        }
}

void retl_upload_group_init_waiting(struct retl_upload *u)
{
        for (size_t i = 0; i < u->nparts; i++) {
                struct retl_partition *p = u->parts[i];
                rd_kafka_topic_partition_list_t *l;
                rd_kafka_error_t *error;
                int64_t start;

                if (!retl_partition_usable(p) || retl_partition_ready(p))
                        continue;
                if (retl_partition_init(p, 2000, &start))
                        continue;
                l = rd_kafka_topic_partition_list_new(1);
                rd_kafka_topic_partition_list_add(l, retl_partition_topic(p), 0)->offset =
                        start >= 0 ? start : RD_KAFKA_OFFSET_BEGINNING;
                error = rd_kafka_seek_partitions(u->rk, l, 10000);
                if (error) {
                        retl_log_error("upload", "seek on %s: %s", retl_partition_topic(p),
                                       rd_kafka_error_string(error));
                        rd_kafka_error_destroy(error);
                }
                rd_kafka_resume_partitions(u->rk, l);
                rd_kafka_topic_partition_list_destroy(l);
        }
}

struct retl_partition *retl_upload_group_find(struct retl_upload *u, const char *topic)
{
        return find_part(u, topic, NULL);
}

/* ============================================================== reload */

static int same_str(const char *a, const char *b)
{
        return (!a && !b) || (a && b && !strcmp(a, b));
}

void retl_upload_group_reload(struct retl_upload *u, const char *cli_log_level)
{
        struct retl_cfg *old = u->cfg, *cfg;
        const char *prefix = u->kcfg->kafka.topic_prefix;
        size_t plen = strlen(prefix);
        char err[16384];

        if (retl_cfg_load_secrets(old->path, RETL_UPLOAD_SECRETS, &cfg, err, sizeof(err))) {
                retl_log_error("upload", "configuration not reloaded, the running one stays: %s",
                               err);
                return;
        }
        if (!retl_cfg_kafka_same(&u->kcfg->kafka, &cfg->kafka))
                retl_log_warn("upload", "the kafka settings changed: they apply after a restart; "
                              "the workspaces' changes apply now");
        if (!same_str(u->kcfg->metrics.listen, cfg->metrics.listen))
                retl_log_warn("upload", "metrics.listen changed: it applies after a restart");
        if (!cli_log_level && cfg->log_level && !same_str(old->log_level, cfg->log_level)) {
                int lvl = retl_log_parse_level(cfg->log_level);
                if (lvl >= 0)
                        retl_log_set_level(lvl);
        }
        for (size_t i = 0; i < u->nparts; i++) {
                struct retl_partition *p = u->parts[i];
                const char *topic = retl_partition_topic(p);
                const struct retl_cfg_workspace *ws = NULL;
                int was = retl_partition_usable(p);
                char *t;

                if (!strncmp(topic, prefix, plen) && strcmp(topic, u->kcfg->kafka.imports_topic) &&
                    strcmp(topic, u->kcfg->kafka.failures_topic))
                        ws = retl_cfg_workspace_find(cfg, topic + plen);
                if (ws && was) {
                        retl_partition_set_workspace(p, cfg, ws);
                        continue;
                }
                if (!ws && !was)
                        continue;
                /* added or removed: a fresh partition state. Added: it reads
                 * its committed offset on the loop (retl_upload_group_init_waiting) and is
                 * resumed there. Removed: what is not committed stays in the
                 * log for whoever consumes the workspace again. */
                t = retl_strdup(topic);
                retl_partition_destroy(p);
                u->parts[i] = retl_partition_new(&u->env, cfg, ws, t);
                topic = retl_partition_topic(u->parts[i]);
                free(t);
                if (ws) {
                        own_queue(u, u->parts[i]);
                        retl_log_info("upload", "workspace %s added to the configuration: "
                                      "consuming %s", ws->name, topic);
                } else {
                        pause_one(u->rk, topic, 0);
                        retl_log_warn("upload", "workspace %s removed from the configuration: "
                                      "%s paused, nothing committed, nothing lost", topic + plen,
                                      topic);
                }
        }
        u->cfg = cfg;
        if (old != u->kcfg)
                retl_cfg_destroy(old);
        retl_log_info("upload", "configuration reloaded from %s (%zu workspaces)", cfg->path,
                      cfg->nworkspaces);
}

void retl_upload_group_free(struct retl_upload *u)
{
        while (u->nparts)
                retl_partition_destroy(u->parts[--u->nparts]);
        free(u->parts);
        u->parts = NULL;
        for (size_t i = 0; i < u->nwarned; i++)
                free(u->warned[i]);
        free(u->warned);
        u->warned = NULL;
        u->nwarned = 0;
}
