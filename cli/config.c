/* retl — `retl config`: checks a configuration file as a daemon would load
 * it, and beyond what loading checks: each sync's queries against the
 * extractor's rules (one read-only SELECT, only the {{last_sync_time}}
 * template), and each workspace's checkpoint against the size Kafka keeps
 * for commit metadata. */
#include "cli/commands.h"
#include "lib/args.h"
#include "lib/cfg.h"
#include "lib/checkpoint.h"
#include "lib/mem.h"
#include "producer/query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Problems the loader does not see. @returns how many, each printed. */
static int check_more(const struct retl_cfg *cfg)
{
        char err[1024];
        int n = 0;

        for (size_t i = 0; i < cfg->nsyncs; i++) {
                const struct retl_cfg_sync *s = &cfg->syncs[i];
                const char *q[2] = {s->query, s->relationship_query};
                for (int k = 0; k < 2; k++) {
                        if (!q[k])
                                continue;
                        if (retl_query_check_template(q[k], err, sizeof(err))) {
                                /* the file's line is the setting's; "line N" of the
                                 * rules is the query's own */
                                int qline, used = 0;
                                fprintf(stderr, "%s:%d: syncs[%zu] '%s'.%s: ", cfg->path,
                                        k ? s->relationship_query_line : s->query_line, i,
                                        s->name, k ? "relationship_query" : "query");
                                if (sscanf(err, "line %d: %n", &qline, &used) == 1 && used)
                                        fprintf(stderr, "line %d of the query: %s\n", qline,
                                                err + used);
                                else
                                        fprintf(stderr, "%s\n", err);
                                n++;
                        }
                }
        }
        /* The uploaders keep every sync's last_sync_time of a workspace in
         * one commit's metadata: it must fit, with a run in progress. */
        for (size_t w = 0; w < cfg->nworkspaces; w++) {
                struct retl_checkpoint cp;
                char *text;
                retl_checkpoint_init(&cp);
                cp.run_offset = cp.run_rows = cp.run_imported = cp.run_failed =
                        cp.run_suppressed = INT64_MAX / 2;
                for (size_t i = 0; i < cfg->nsyncs; i++)
                        if (!strcmp(cfg->syncs[i].workspace, cfg->workspaces[w].name))
                                retl_checkpoint_set(&cp, cfg->syncs[i].name, 9999999999LL);
                text = retl_checkpoint_format(&cp, err, sizeof(err));
                if (!text) {
                        fprintf(stderr, "%s:%d: workspaces[%zu] '%s': its %zu syncs' state does "
                                "not fit in a Kafka commit (%d bytes at most): use shorter sync "
                                "names or split the syncs over two workspaces\n",
                                cfg->path, cfg->workspaces[w].line, w, cfg->workspaces[w].name,
                                cp.nsyncs, RETL_CHECKPOINT_MAX);
                        n++;
                }
                free(text);
                retl_checkpoint_free(&cp);
        }
        return n;
}

int retl_config_main(int argc, char **argv)
{
        const char *path = NULL;
        int dump = 0, reference = 0;
        unsigned need = RETL_CFG_SECRETS_ALL;
        struct retl_cfg *cfg;
        char err[16384];
        struct retl_args ra = {"config", argc, argv, 1};

        for (; ra.ra_i < argc; ra.ra_i++) {
                const char *arg = argv[ra.ra_i], *daemon = NULL;

                if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
                        printf("usage: retl config -c FILE [--dump] [--for extract|upload]\n"
                               "       retl config --reference\n\n"
                               "Checks a configuration file as the daemons would load it: every "
                               "problem is\nlisted with its line and setting, and the exit "
                               "status is 1 when there is any.\nBeyond loading, it checks each "
                               "sync's queries against the extractor's rules\n(one read-only "
                               "SELECT, only the {{last_sync_time}} template) and that each\n"
                               "workspace's syncs fit in the uploaders' commit metadata.\n\n"
                               "  -c, --config FILE  the configuration file\n"
                               "  --dump             print the configuration as read, defaults "
                               "filled in,\n                     secrets hidden\n"
                               "  --for DAEMON       read only the secrets that daemon reads: "
                               "extract\n                     (Kafka, databases) or upload "
                               "(Kafka, workspaces)\n"
                               "  --reference        print every setting with its type, default "
                               "and meaning\n");
                        return 0;
                } else if (retl_args_is(&ra, "-c", "--config")) {
                        if (retl_args_value(&ra, &path))
                                return 2;
                } else if (!strcmp(arg, "--dump")) {
                        dump = 1;
                } else if (retl_args_is(&ra, NULL, "--for")) {
                        if (retl_args_value(&ra, &daemon))
                                return 2;
                        if (!strcmp(daemon, "extract"))
                                need = RETL_CFG_SECRETS_KAFKA | RETL_CFG_SECRETS_DATABASES;
                        else if (!strcmp(daemon, "upload"))
                                need = RETL_CFG_SECRETS_KAFKA | RETL_CFG_SECRETS_WORKSPACES;
                        else {
                                fprintf(stderr, "retl config: --for takes extract or upload\n");
                                return 2;
                        }
                } else if (!strcmp(arg, "--reference")) {
                        reference = 1;
                } else {
                        return retl_args_unknown(&ra);
                }
        }
        if (reference) {
                retl_cfg_reference(stdout);
                return 0;
        }
        if (!path) {
                fprintf(stderr, "retl config: -c FILE is required (see --help)\n");
                return 2;
        }
        if (retl_cfg_load_secrets(path, need, &cfg, err, sizeof(err))) {
                fprintf(stderr, "%s\n", err);
                return 1;
        }
        if (check_more(cfg)) {
                retl_cfg_destroy(cfg);
                return 1;
        }
        if (dump)
                retl_cfg_dump(cfg, stdout);
        else
                printf("%s: ok (%zu workspaces, %zu databases, %zu syncs)\n", path,
                       cfg->nworkspaces, cfg->ndatabases, cfg->nsyncs);
        retl_cfg_destroy(cfg);
        return 0;
}
