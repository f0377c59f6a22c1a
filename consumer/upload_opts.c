/* retl uploader — the command line of `retl upload`, see upload_opts.h. */
#include "consumer/upload_opts.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
                "      --batch-bytes N        request body size cap (500000)\n"
                "\n"
                "SIGHUP, or a change of the file or of a secret file it names (checked every\n"
                "2 s), reloads the workspaces.\n"
                "With metrics.listen set: /metrics, /healthz, /readyz.\n"
                "See consumer/README.md.\n");
}

int retl_upload_opts_parse(int argc, char **argv, struct retl_upload_opts *o)
{
        static const struct option longs[] = {
                {"config", required_argument, NULL, 'c'},
                {"status", no_argument, NULL, 's'},
                {"client-id", required_argument, NULL, 'i'},
                {"log-level", required_argument, NULL, 'l'},
                {"checkpoint-rows", required_argument, NULL, 'r'},
                {"checkpoint-interval", required_argument, NULL, 't'},
                {"auth-retry", required_argument, NULL, 'a'},
                {"drain-timeout", required_argument, NULL, 'd'},
                {"batch-bytes", required_argument, NULL, 'b'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0},
        };
        int c;

        memset(o, 0, sizeof(*o));
        o->checkpoint_rows = 10000;
        o->checkpoint_s = 10;
        o->auth_retry_s = 60;
        o->drain_s = 25;
        o->batch_bytes = 500000;
        optind = 1;
        while ((c = getopt_long(argc, argv, "c:h", longs, NULL)) != -1) {
                char *end = NULL;
                long long v = 0;
                if (strchr("rtadb", c)) {
                        errno = 0;
                        v = strtoll(optarg, &end, 10);
                        if (errno || *end || v < 1) {
                                fprintf(stderr, "retl upload: bad number '%s'\n", optarg);
                                return 2;
                        }
                }
                switch (c) {
                case 'c': o->config = optarg; break;
                case 's': o->status = 1; break;
                case 'i': o->client_id = optarg; break;
                case 'l': o->log_level = optarg; break;
                case 'r': o->checkpoint_rows = v; break;
                case 't': o->checkpoint_s = v; break;
                case 'a': o->auth_retry_s = v; break;
                case 'd': o->drain_s = v; break;
                case 'b':
                        if (v < 40000 || v > 500 * 1024) {
                                fprintf(stderr, "retl upload: --batch-bytes must be "
                                        "40000..512000\n");
                                return 2;
                        }
                        o->batch_bytes = v;
                        break;
                case 'h': usage(stdout); return 1;
                default: usage(stderr); return 2;
                }
        }
        if (!o->config || optind != argc) {
                usage(stderr);
                return 2;
        }
        return 0;
}
