/* retl uploader — the command line of `retl upload`, see upload_opts.h. */
#include "consumer/upload_opts.h"
#include "lib/args.h"

#include <stdio.h>
#include <string.h>

/* The seconds options' ceiling, a day: their milliseconds stay far from
 * overflowing. */
#define SECONDS_MAX 86400

static void usage(FILE *out)
{
        fprintf(out,
                "usage: retl upload -c FILE [OPTIONS]\n"
                "       retl upload -c FILE --status\n"
                "\n"
                "Consumes every workspace topic (kafka.topic_prefix + workspace) as a member\n"
                "of kafka.group and imports the runs into the workspaces' Track API.\n"
                "\n"
                "  -c, --config FILE          the configuration file\n"
                "      --status               print each workspace's committed offset and\n"
                "                             checkpoint, then exit\n"
                "      --client-id ID         Kafka client.id (default retl-upload-<pid>)\n"
                "      --log-level LEVEL      error, warn, info, debug (default: log_level)\n"
                "      --checkpoint-rows N    mid-run checkpoint every N rows (10000)\n"
                "      --checkpoint-interval S  ... or every S seconds (10)\n"
                "      --auth-retry S         after 401/403, try again every S seconds (60)\n"
                "      --drain-timeout S      on SIGTERM, wait S seconds for requests in\n"
                "                             flight (25)\n"
                "      --batch-bytes N        request body size cap, 40000 to 512000 (500000)\n"
                "\n"
                "SIGHUP, or a change of the file or of a secret file it names (checked every\n"
                "2 s), reloads the workspaces.\n"
                "With metrics.listen set: /metrics, /healthz, /readyz.\n"
                "See consumer/README.md.\n");
}

int retl_upload_opts_parse(int argc, char **argv, struct retl_upload_opts *o)
{
        struct retl_args ra = {"upload", argc, argv, 1};

        memset(o, 0, sizeof(*o));
        o->checkpoint_rows = 10000;
        o->checkpoint_s = 10;
        o->auth_retry_s = 60;
        o->drain_s = 25;
        o->batch_bytes = 500000;
        for (; ra.ra_i < argc; ra.ra_i++) {
                int bad;

                if (retl_args_is(&ra, "-h", "--help")) {
                        usage(stdout);
                        return 1;
                } else if (retl_args_is(&ra, "-c", "--config")) {
                        bad = retl_args_value(&ra, &o->config);
                } else if (retl_args_is(&ra, NULL, "--status")) {
                        o->status = 1;
                        bad = 0;
                } else if (retl_args_is(&ra, NULL, "--client-id")) {
                        bad = retl_args_value(&ra, &o->client_id);
                } else if (retl_args_is(&ra, NULL, "--log-level")) {
                        bad = retl_args_value(&ra, &o->log_level);
                } else if (retl_args_is(&ra, NULL, "--checkpoint-rows")) {
                        bad = retl_args_count(&ra, 1, INT64_MAX, &o->checkpoint_rows);
                } else if (retl_args_is(&ra, NULL, "--checkpoint-interval")) {
                        bad = retl_args_count(&ra, 1, SECONDS_MAX, &o->checkpoint_s);
                } else if (retl_args_is(&ra, NULL, "--auth-retry")) {
                        bad = retl_args_count(&ra, 1, SECONDS_MAX, &o->auth_retry_s);
                } else if (retl_args_is(&ra, NULL, "--drain-timeout")) {
                        bad = retl_args_count(&ra, 1, SECONDS_MAX, &o->drain_s);
                } else if (retl_args_is(&ra, NULL, "--batch-bytes")) {
                        /* the Track API's 500 KB request limit, read as KiB;
                         * below 40000 a 32 KB entity would not fit */
                        bad = retl_args_count(&ra, 40000, 500 * 1024, &o->batch_bytes);
                } else {
                        return retl_args_unknown(&ra);
                }
                if (bad)
                        return 2;
        }
        if (!o->config) {
                fprintf(stderr, "retl upload: -c FILE is required (see --help)\n");
                return 2;
        }
        return 0;
}
