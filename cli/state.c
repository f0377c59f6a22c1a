/* retl — `retl state`: a sync's row state (what the uploaders last delivered
 * per identifier), and its reset.
 *
 * The reset is a Control STATE_RESET appended to the workspace's topic with
 * the sync's next generation: the uploader that owns the workspace applies
 * it where it stands in the log, so the runs before it still compare with
 * the old state and every run after it sends every row, whichever worker
 * holds the workspace and whether one runs now or not. The entries of the
 * old generation are tombstoned here so that compaction drops them. */
#include "cli/commands.h"
#include "consumer/rowstate.h"
#include "consumer/statelog.h"
#include "lib/cfg.h"
#include "lib/codec.h"
#include "lib/kafka.h"
#include "lib/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

/* Keys of old entries tombstoned by a reset, at most this many bytes; the
 * rest stay in the topic, where loads ignore them (they come before the new
 * generation's record). */
#define RETL_STATE_KEYS_MAX (256u * 1024 * 1024)

struct state_cmd {
        const char *sync;
        int64_t records, bytes;         /* of the sync, before compaction */
        struct retl_rowstate *seen;     /* keys of the sync, once each */
        struct retl_buf keys;           /* the same, as length then bytes */
        int keys_full;                  /* more keys than the buffer holds */
};

static int usage(FILE *out)
{
        fprintf(out,
                "usage: retl state -c FILE SYNC [--reset]\n"
                "\n"
                "Shows what the uploaders last delivered for the sync: the entries of its row\n"
                "state (one per identifier) on the workspace's state topic\n"
                "(kafka.state_topic_prefix + workspace).\n"
                "\n"
                "  --reset   forget it: the sync's next runs send every row. Appended to the\n"
                "            workspace's topic, it takes effect in log order, after the\n"
                "            records already there; safe while uploaders run.\n"
                "\n"
                "See consumer/README.md, \"Row state\".\n");
        return out == stdout ? 0 : 2;
}

static void each(void *opaque, const char *sync, const void *key, size_t keylen,
                 const struct retl_row_state *value, size_t bytes)
{
        struct state_cmd *sc = opaque;
        uint64_t h = retl_rowstate_hash(key, keylen), fp;
        uint32_t len = (uint32_t)keylen;

        if (strcmp(sync, sc->sync))
                return;
        sc->records++;
        sc->bytes += (int64_t)bytes;
        (void)value;
        /* the generation record stays: the uploader writes the next one */
        if (keylen == strlen(sync) + 1 + strlen("generation") &&
            !memcmp((const char *)key + strlen(sync) + 1, "generation", strlen("generation")))
                return;
        if (retl_rowstate_lookup(sc->seen, h, &fp))
                return;
        retl_rowstate_put(sc->seen, h, 0, 0);
        if (retl_buf_len(&sc->keys) + sizeof(len) + keylen > RETL_STATE_KEYS_MAX ||
            retl_buf_append(&sc->keys, &len, sizeof(len)) ||
            retl_buf_append(&sc->keys, key, keylen))
                sc->keys_full = 1;      /* the rest stay, ignored */
}

static int64_t wall_ms(void)
{
        struct timeval tv;
        gettimeofday(&tv, NULL);
        return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* Appends the reset to the workspace topic, then the old entries' tombstones. */
static int reset(const struct retl_cfg *cfg, const struct retl_cfg_sync *s,
                 const char *state_topic, struct state_cmd *sc, int64_t generation,
                 struct retl_codec *codec, char *err, size_t errsize)
{
        struct retl_record rec = {.type = RETL_REC_CONTROL};
        char *topic = retl_cfg_workspace_topic(cfg, s->workspace);
        rd_kafka_t *rk = retl_kafka_producer_new(&cfg->kafka, "retl-state", NULL, NULL, err,
                                                 errsize);
        struct retl_buf out;
        int64_t low = 0, high = 0;
        int rc = -1;

        retl_buf_init(&out, 0);
        if (!rk || retl_kafka_ensure_topic(rk, &cfg->kafka, topic, 15000, err, errsize) ||
            retl_kafka_watermarks(rk, topic, 10000, &low, &high, err, errsize))
                goto out;
        rec.u.control = (struct retl_control){RETL_CONTROL_STATE_RESET, "", s->workspace,
                                              wall_ms(), -1, -1, 0, NULL, s->name, generation};
        if (retl_codec_encode(codec, &rec, &out, err, errsize))
                goto out;
        if (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
                              RD_KAFKA_V_KEY(s->workspace, strlen(s->workspace)),
                              RD_KAFKA_V_VALUE(out.b_data, retl_buf_len(&out)),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END)) {
                snprintf(err, errsize, "producing to %s failed", topic);
                goto out;
        }
        /* the reset first: should the tombstones not all arrive, the
         * uploader still drops the old generation */
        if (rd_kafka_flush(rk, 30000)) {
                snprintf(err, errsize, "the broker did not acknowledge the reset within 30 s; "
                         "it may or may not be in %s", topic);
                goto out;
        }
        for (size_t at = 0; at < retl_buf_len(&sc->keys);) {
                uint32_t len;
                memcpy(&len, sc->keys.b_data + at, sizeof(len));
                if (retl_statelog_delete(rk, state_topic, sc->keys.b_data + at + sizeof(len), len,
                                         err, errsize))
                        goto out;
                at += sizeof(len) + len;
        }
        if (rd_kafka_flush(rk, 60000)) {
                snprintf(err, errsize, "the old entries' tombstones were not all acknowledged; "
                         "the uploaders drop them anyway");
                goto out;
        }
        if (sc->keys_full)
                printf("(too many old entries to delete at once: the rest stay in the topic, "
                       "ignored; another --reset deletes more)\n");
        printf("reset: sync %s now has generation %lld; appended to %s after offset %lld.\n"
               "The uploader of workspace %s applies it in log order: the runs after it send "
               "every row.\n",
               s->name, (long long)generation, topic, (long long)high - 1, s->workspace);
        rc = 0;
out:
        retl_buf_free(&out);
        if (rk)
                rd_kafka_destroy(rk);
        free(topic);
        return rc;
}

int retl_state_main(int argc, char **argv)
{
        const char *path = NULL, *name = NULL;
        int do_reset = 0, rc = 1, sidx;
        struct retl_cfg *cfg = NULL;
        const struct retl_cfg_sync *s;
        struct retl_codec *codec = NULL;
        struct retl_rowstate *rs = NULL;
        struct retl_statelog_stats st;
        struct state_cmd sc;
        char err[16384], *topic = NULL;
        int64_t generation = 0;
        size_t entries = 0;

        memset(&sc, 0, sizeof(sc));
        retl_buf_init(&sc.keys, 0);
        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
                        return usage(stdout);
                else if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc)
                        path = argv[++i];
                else if (!strcmp(argv[i], "--reset"))
                        do_reset = 1;
                else if (argv[i][0] != '-' && !name)
                        name = argv[i];
                else {
                        fprintf(stderr, "retl state: unknown option '%s' (see --help)\n", argv[i]);
                        return 2;
                }
        }
        if (!path || !name) {
                fprintf(stderr, "retl state: -c FILE and SYNC are required (see --help)\n");
                return 2;
        }
        if (retl_cfg_load_secrets(path, RETL_CFG_SECRETS_KAFKA, &cfg, err, sizeof(err))) {
                fprintf(stderr, "%s\n", err);
                return 1;
        }
        s = retl_cfg_sync_find(cfg, name);
        if (!s) {
                fprintf(stderr, "retl state: sync '%s' is not in %s\n", name, path);
                goto out;
        }
        sc.sync = s->name;
        sc.seen = retl_rowstate_new();
        retl_rowstate_sync(sc.seen, s->name);   /* index 0: the keys seen */
        topic = retl_cfg_state_topic(cfg, s->workspace);
        codec = retl_codec_new(err, sizeof(err));
        rs = retl_rowstate_new();
        if (!codec || retl_statelog_load(&cfg->kafka, topic, codec, NULL, rs, each, &sc, &st, err,
                                         sizeof(err))) {
                fprintf(stderr, "retl state: %s\n", err);
                goto out;
        }
        sidx = retl_rowstate_sync_find(rs, s->name);
        if (sidx >= 0) {
                entries = retl_rowstate_count(rs, sidx);
                generation = retl_rowstate_generation(rs, sidx);
        }
        printf("sync %s (workspace %s): %zu entries, generation %lld, diff %s\n"
               "state topic %s: %lld records of this sync (%lld bytes; fewer once compacted), "
               "%lld in all\n",
               s->name, s->workspace, entries, (long long)generation, s->diff ? "on" : "off",
               topic, (long long)sc.records, (long long)sc.bytes, (long long)st.records);
        if (do_reset) {
                /* generations only move forward; the time makes them unique */
                int64_t next = wall_ms();
                if (next <= generation)
                        next = generation + 1;
                if (reset(cfg, s, topic, &sc, next, codec, err, sizeof(err))) {
                        fprintf(stderr, "retl state: %s\n", err);
                        goto out;
                }
        }
        rc = 0;
out:
        retl_rowstate_destroy(rs);
        retl_rowstate_destroy(sc.seen);
        retl_buf_free(&sc.keys);
        retl_codec_destroy(codec);
        free(topic);
        retl_cfg_destroy(cfg);
        return rc;
}
