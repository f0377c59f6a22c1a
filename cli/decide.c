/* retl — `retl approve RUN` and `retl reject RUN`: the decision on a run its
 * sync's guardrails hold. The decision is a Control RUN_APPROVE or
 * RUN_REJECT appended to the workspace's topic, after the held run: the
 * uploader that holds the workspace (or the next one, after a restart or a
 * rebalance) reads it there and sends the run from its start, or drops it
 * without moving last_sync_time. */
#include "cli/commands.h"
#include "cli/history.h"
#include "lib/args.h"
#include "lib/cfg.h"
#include "lib/codec.h"
#include "lib/kafka.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

static int usage(const char *cmd, FILE *out)
{
        int approve = !strcmp(cmd, "approve");

        fprintf(out,
                "usage: retl %s -c FILE RUN\n"
                "\n"
                "%s\n"
                "RUN is a run id as `retl status` shows it; the run must be held.\n"
                "The decision is appended to the workspace's topic, after the run: the\n"
                "uploader acts on it in log order, whichever worker holds the workspace.\n"
                "\n"
                "Exit status: 0 the decision is in the log; 1 the run is not held or Kafka\n"
                "failed; 2 usage.\n",
                cmd,
                approve ? "Lets a run its sync's guardrails hold go: the uploader sends it from its\n"
                          "start, and it completes as any run (last_sync_time moves)."
                        : "Drops a run its sync's guardrails hold: nothing of it is sent, and\n"
                          "last_sync_time stays, so the sync's next run reads its rows again\n"
                          "(and is held again if it is still over the bound).");
        return out == stdout ? 0 : 2;
}

static int64_t wall_ms(void)
{
        struct timeval tv;
        gettimeofday(&tv, NULL);
        return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* Appends the decision to @p topic and waits for the broker's
 * acknowledgement. */
static int append(const struct retl_cfg *cfg, const char *topic, const struct retl_control *c,
                  char *err, size_t errsize)
{
        struct retl_record rec = {.type = RETL_REC_CONTROL};
        struct retl_codec *codec = retl_codec_new(err, errsize);
        rd_kafka_t *rk = NULL;
        struct retl_buf out;
        int rc = -1;

        retl_buf_init(&out, 0);
        rec.u.control = *c;
        if (!codec || retl_codec_encode(codec, &rec, &out, err, errsize))
                goto out;
        rk = retl_kafka_producer_new(&cfg->kafka, "retl-decide", NULL, NULL, err, errsize);
        if (!rk)
                goto out;
        if (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
                              RD_KAFKA_V_KEY(c->workspace, strlen(c->workspace)),
                              RD_KAFKA_V_VALUE(out.b_data, retl_buf_len(&out)),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END)) {
                snprintf(err, errsize, "producing to %s failed", topic);
                goto out;
        }
        if (rd_kafka_flush(rk, retl_kafka_timeout_ms(&cfg->kafka) * 3)) {
                snprintf(err, errsize, "the broker did not acknowledge the decision in time; "
                         "it may or may not be in %s (retl dump shows it; deciding again is "
                         "harmless: the first decision in the log counts)", topic);
                goto out;
        }
        rc = 0;
out:
        retl_buf_free(&out);
        if (rk)
                rd_kafka_destroy(rk);
        retl_codec_destroy(codec);
        return rc;
}

static int decide_main(const char *cmd, int argc, char **argv)
{
        const char *path = NULL, *run = NULL;
        struct retl_args ra = {cmd, argc, argv, 1};
        struct retl_cfg *cfg = NULL;
        struct retl_history h;
        const struct retl_history_run *hr;
        char err[16384], *topic = NULL;
        int approve = !strcmp(cmd, "approve"), rc = 1;

        memset(&h, 0, sizeof(h));
        for (; ra.ra_i < argc; ra.ra_i++) {
                const char *arg = argv[ra.ra_i];

                if (!strcmp(arg, "-h") || !strcmp(arg, "--help"))
                        return usage(cmd, stdout);
                else if (retl_args_is(&ra, "-c", "--config")) {
                        if (retl_args_value(&ra, &path))
                                return 2;
                } else if (arg[0] != '-' && !run)
                        run = arg;
                else
                        return retl_args_unknown(&ra);
        }
        if (!path || !run) {
                fprintf(stderr, "retl %s: usage: retl %s -c FILE RUN (see --help)\n", cmd, cmd);
                return 2;
        }
        if (retl_cfg_load_secrets(path, RETL_CFG_SECRETS_KAFKA, &cfg, err, sizeof(err))) {
                fprintf(stderr, "%s\n", err);
                return 1;
        }
        if (retl_history_read(cfg, &h, err, sizeof(err))) {
                fprintf(stderr, "retl %s: %s\n", cmd, err);
                goto out;
        }
        hr = retl_history_find(&h, run);
        if (!hr) {
                fprintf(stderr, "retl %s: no import of run '%s' in %s (retl status lists the "
                        "runs)\n", cmd, run, cfg->kafka.imports_topic);
                goto out;
        }
        if (hr->r.status != RETL_IMPORT_HELD) {
                fprintf(stderr, "retl %s: run %s of sync %s is not held: its import is %s\n", cmd,
                        run, hr->r.sync, retl_import_status_name(hr->r.status));
                goto out;
        }
        if (!retl_cfg_workspace_find(cfg, hr->r.workspace)) {
                fprintf(stderr, "retl %s: run %s is of workspace '%s', which is not in %s\n", cmd,
                        run, hr->r.workspace, path);
                goto out;
        }
        topic = retl_cfg_workspace_topic(cfg, hr->r.workspace);
        {
                const char *runs[1] = {run};
                struct retl_control c = {approve ? RETL_CONTROL_RUN_APPROVE
                                                 : RETL_CONTROL_RUN_REJECT,
                                         "", hr->r.workspace, wall_ms(), -1, -1, 1, runs,
                                         hr->r.sync, 0};

                if (append(cfg, topic, &c, err, sizeof(err))) {
                        fprintf(stderr, "retl %s: %s\n", cmd, err);
                        goto out;
                }
        }
        if (approve)
                printf("approved: run %s of sync %s. The uploader of workspace %s sends it now, "
                       "from its start; retl status shows its progress.\n", run, hr->r.sync,
                       hr->r.workspace);
        else
                printf("rejected: run %s of sync %s. The uploader of workspace %s drops it; "
                       "last_sync_time stays, and the sync's next run reads its rows again.\n",
                       run, hr->r.sync, hr->r.workspace);
        rc = 0;
out:
        free(topic);
        retl_history_free(&h);
        retl_cfg_destroy(cfg);
        return rc;
}

int retl_approve_main(int argc, char **argv)
{
        return decide_main("approve", argc, argv);
}

int retl_reject_main(int argc, char **argv)
{
        return decide_main("reject", argc, argv);
}
