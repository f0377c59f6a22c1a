/* Fuzz target: the configuration loader (retl_cfg_load_secrets) on arbitrary libconfig files. */
#include "tests/fuzz/fuzz.h"

#include "cfg.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char cfg_path[64];

static void remove_cfg_file(void)
{
        unlink(cfg_path);
}

/* The loader reads a path: one scratch file per process, rewritten per input. */
static void write_cfg_file(const uint8_t *data, size_t size)
{
        FILE *f;

        if (!cfg_path[0]) {
                int fd;

                snprintf(cfg_path, sizeof(cfg_path), "/tmp/retl-fuzz-cfg-XXXXXX");
                fd = mkstemp(cfg_path);
                if (fd < 0) {
                        perror("fuzz_cfg: mkstemp");
                        abort();
                }
                close(fd);
                atexit(remove_cfg_file);
        }
        f = fopen(cfg_path, "wb");
        if (!f || fwrite(data, 1, size, f) != size || fclose(f)) {
                perror("fuzz_cfg: writing the scratch file");
                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static FILE *devnull;
        struct retl_cfg *cfg = NULL;
        char err[8192], *text, *topic;
        int64_t v;

        if (!devnull && !(devnull = fopen("/dev/null", "w")))
                abort();
        /* the value parsers alone, on the input as one string */
        text = retl_strndup((const char *)data, size);
        (void)retl_cfg_parse_duration(text, &v);
        (void)retl_cfg_parse_time(text, &v);
        free(text);

        write_cfg_file(data, size);
        /* No secrets read: a fuzzed X_file could name a FIFO or a device
         * and block; their forms are still checked. */
        if (retl_cfg_load_secrets(cfg_path, 0, &cfg, err, sizeof(err)))
                return 0;
        retl_cfg_dump(cfg, devnull);
        for (size_t i = 0; i < cfg->nsyncs; i++) {
                const struct retl_cfg_sync *s = cfg->syncs + i;

                if (retl_cfg_sync_find(cfg, s->name) != s || !s->ws || !s->db) {
                        fprintf(stderr, "fuzz_cfg: sync '%s' not resolved\n", s->name);
                        abort();
                }
                topic = retl_cfg_workspace_topic(cfg, s->workspace);
                free(topic);
        }
        if (!retl_cfg_kafka_same(&cfg->kafka, &cfg->kafka)) {
                fprintf(stderr, "fuzz_cfg: kafka settings differ from themselves\n");
                abort();
        }
        retl_cfg_destroy(cfg);
        return 0;
}
