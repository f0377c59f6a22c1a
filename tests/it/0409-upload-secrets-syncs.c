/* Integration test 0409: secrets rotated in their files, and the checkpoint
 * of deleted, re-created and too many syncs.
 *   - api_key_file holding a wrong key: 401, blocked, nothing committed;
 *     only the key file is rewritten (write + rename, as a Secret volume
 *     swaps it), retl.conf untouched, no SIGHUP, --auth-retry far away:
 *     the run lands and commits;
 *   - a sync deleted from the file: its entry leaves the checkpoint at the
 *     next commit (of another sync's run); re-created, it starts from
 *     last_sync_time 0;
 *   - a sync in the log but not in the uploader's file (the extractor has a
 *     newer one): its entry stays;
 *   - more syncs than 4000 bytes of checkpoint hold: the worker goes on
 *     committing every run, with one error per commit that has to forget a
 *     last_sync_time, not one a second. */
#include "tests/it/upload_it.h"

#include <sys/stat.h>

#define STR(n, v) {n, {.type = RETL_V_STRING, .u.s = {v, sizeof(v) - 1}}}
#define LNG(n, v) {n, {.type = RETL_V_LONG, .u.l = v}}

#define NBIG 40

static char prefix[64], group[128], config[512], keyfile[512];
static const struct it_sandbox *acme_sb, *big_sb;

static void put_file(const char *path, const char *text)
{
        char tmp[600];
        FILE *f;

        snprintf(tmp, sizeof(tmp), "%s.new", path);
        f = fopen(tmp, "w");
        CHECK(f);
        fputs(text, f);
        fclose(f);
        CHECK(rename(tmp, path) == 0);
}

static void big_name(char *out, size_t n, int i)
{
        snprintf(out, n, "big-%02d-%s", i,
                 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
}

static void sync_entry(FILE *f, const char *name, const char *ws, int *first)
{
        fprintf(f,
                "%s  { name = \"%s\"; workspace = \"%s\"; database = \"crm\"; import = \"people\";"
                " interval = \"1h\"; query = \"SELECT id FROM t\"; }",
                *first ? "" : ",\n", name, ws);
        *first = 0;
}

/* The configuration, renamed over @p config: acme with its key in
 * `keyfile`, its syncs people, @p with_old: old; big with NBIG syncs. */
static void write_config(int with_old)
{
        char tmp[600], name[128];
        int first = 1;
        FILE *f;

        snprintf(tmp, sizeof(tmp), "%s.new", config);
        f = fopen(tmp, "w");
        CHECK(f);
        fprintf(f,
                "log_level = \"info\";\n"
                "kafka = { brokers = \"%s\"; replication_factor = 1; topic_prefix = \"%s.\";\n"
                "  state_topic_prefix = \"%s-state.\";\n"
                "  group = \"%s\"; imports_topic = \"%s-imports\";\n"
                "  failures_topic = \"%s-failures\";\n"
                "  properties = { session_timeout_ms = \"6000\"; heartbeat_interval_ms = \"500\";"
                " topic_metadata_refresh_interval_ms = \"2000\"; }; };\n"
                "workspaces = (\n"
                "  { name = \"acme\"; api_url = \"%s\"; site_id = \"acme\";"
                " api_key_file = \"%s\"; max_in_flight = 4; },\n"
                "  { name = \"big\"; api_url = \"%s\"; site_id = \"big\";"
                " api_key_env = \"IT_API_KEY\"; max_in_flight = 4; } );\n"
                "databases = ( { name = \"crm\"; host = \"db\"; database = \"crm\"; user = \"ro\";"
                " password_env = \"IT_0409_NO_PASSWORD\"; } );\n"
                "syncs = (\n",
                it_brokers, prefix, prefix, group, prefix, prefix, acme_sb->url, keyfile, big_sb->url);
        sync_entry(f, "people", "acme", &first);
        if (with_old)
                sync_entry(f, "old", "acme", &first);
        for (int i = 0; i < NBIG; i++) {
                big_name(name, sizeof(name), i);
                sync_entry(f, name, "big", &first);
        }
        fprintf(f, " );\n");
        fclose(f);
        CHECK(rename(tmp, config) == 0);
}

/* A run of @p sync with @p n people (@p bad: the last one has no id). */
static void run(const char *topic, const char *run_id, const char *sync, int64_t t, int n,
                int bad)
{
        struct retl_sync_settings s = it_settings(RETL_IMPORT_PEOPLE, RETL_IDENT_ID);

        it_run_started(topic, run_id, sync, t, &s);
        for (int i = 1; i <= n; i++) {
                char id[64];
                struct retl_column c[] = {STR("id", ""), LNG("n", i)};
                snprintf(id, sizeof(id), "%s-%d", run_id, i);
                c[0].value.u.s.ptr = bad && i == n ? "" : id;
                c[0].value.u.s.len = bad && i == n ? 0 : strlen(id);
                it_row(topic, run_id, sync, RETL_PART_MAIN, i, c, 2);
        }
        it_run_finished(topic, run_id, sync, RETL_EXTRACT_OK, n, 0);
        it_flush();
}

static void wait_log(const char *needle, int count, int timeout_ms)
{
        int64_t end = it_now_ms() + timeout_ms;

        while (it_log_count("upload.log", needle) < count && it_now_ms() < end)
                it_sleep_ms(100);
        CHECKF(it_log_count("upload.log", needle) >= count, "no %d x '%s' in upload.log", count,
               needle);
}

static int has_entry(const struct retl_checkpoint *cp, const char *sync)
{
        for (size_t i = 0; i < cp->nsyncs; i++)
                if (!strcmp(cp->syncs[i].name, sync))
                        return 1;
        return 0;
}

int main(void)
{
        struct it_sandbox acme, big;
        const char *up_extra[] = {"--auth-retry", "600", NULL};
        char ta[128], tbig[128], imports[128], run_id[64], name[128];
        int64_t t = (it_wall_ms() / 1000 - 7200) * 1000;
        struct retl_checkpoint cp;
        struct it_reports rep;
        int reloads, errors;
        pid_t up;

        it_init("0409");
        snprintf(prefix, sizeof(prefix), "it0409-%ld", (long)time(NULL));
        snprintf(ta, sizeof(ta), "%s.acme", prefix);
        snprintf(tbig, sizeof(tbig), "%s.big", prefix);
        snprintf(imports, sizeof(imports), "%s-imports", prefix);
        snprintf(group, sizeof(group), "%s.g", prefix);
        snprintf(config, sizeof(config), "%s/retl.conf", it_tmp);
        snprintf(keyfile, sizeof(keyfile), "%s/acme.key", it_tmp);
        it_sandbox_start(&acme, "acme", NULL);
        it_sandbox_start(&big, "big", NULL);
        acme_sb = &acme;
        big_sb = &big;
        it_ensure_topic(ta);
        it_ensure_topic(tbig);
        retl_checkpoint_init(&cp);

        /* 1. a wrong key in the key file: refused, blocked, nothing committed */
        put_file(keyfile, "not-the-key\n");
        write_config(1);
        run(ta, "a-1", "people", t, 5, 0);
        up = it_upload_start(config, "upload.log", up_extra);
        wait_log("refused the credentials", 1, 30000);
        CHECK(it_committed(group, ta, NULL) < 0);
        CHECK(it_count(&acme, "people") == 0);
        reloads = it_log_count("upload.log", "configuration reloaded");

        /* only the key file is rewritten: lands and commits, no SIGHUP */
        put_file(keyfile, "it-secret-key\n");
        it_wait_committed(group, ta, it_end_offset(ta), 30000, &cp);
        CHECK(retl_checkpoint_get(&cp, "people") == t / 1000);
        CHECK(it_count(&acme, "people") == 5);
        CHECK(it_log_count("upload.log", "accepts the credentials again") == 1);
        CHECK(it_log_count("upload.log", "configuration reloaded") == reloads + 1);

        /* 2. sync old runs, then is deleted: the next commit (people's)
         * forgets it */
        run(ta, "o-1", "old", t + 1000, 2, 0);
        it_wait_committed(group, ta, it_end_offset(ta), 30000, &cp);
        CHECK(retl_checkpoint_get(&cp, "old") == (t + 1000) / 1000);
        write_config(0);
        wait_log("configuration reloaded", reloads + 2, 15000);
        run(ta, "p-2", "people", t + 2000, 1, 0);
        it_wait_committed(group, ta, it_end_offset(ta), 30000, &cp);
        CHECK(retl_checkpoint_get(&cp, "people") == (t + 2000) / 1000);
        CHECKF(!has_entry(&cp, "old"), "old is still in the checkpoint");
        CHECK(it_log_count("upload.log", "sync old is no longer configured: its last_sync_time "
                                         "is forgotten") == 1);

        /* re-created: starts from 0. Its run has a failed row, so its
         * report carries the last_sync_time it started from, kept as is. */
        write_config(1);
        wait_log("configuration reloaded", reloads + 3, 15000);
        run(ta, "o-2", "old", t + 3000, 2, 1);
        it_wait_committed(group, ta, it_end_offset(ta), 30000, &cp);
        it_reports(imports, "o-2", &rep);
        CHECK(rep.nfinal == 1 && rep.last.status == RETL_IMPORT_SOME_ROWS_FAILED);
        CHECKF(rep.last.last_sync_time == 0, "re-created sync: last_sync_time %" PRId64,
               rep.last.last_sync_time);
        CHECK(has_entry(&cp, "old") && retl_checkpoint_get(&cp, "old") == 0);

        /* a sync the extractor's newer file has: its entry stays, at its
         * run's commit and at the next one of another sync */
        run(ta, "n-1", "newer", t + 4000, 1, 0);
        it_wait_committed(group, ta, it_end_offset(ta), 30000, &cp);
        CHECK(retl_checkpoint_get(&cp, "newer") == (t + 4000) / 1000);
        run(ta, "p-3", "people", t + 5000, 1, 0);
        it_wait_committed(group, ta, it_end_offset(ta), 30000, &cp);
        CHECK(retl_checkpoint_get(&cp, "newer") == (t + 4000) / 1000);
        CHECK(retl_checkpoint_get(&cp, "people") == (t + 5000) / 1000);
        CHECK(it_log_count("upload.log", "is no longer configured") == 1);

        /* 3. too many syncs for 4000 bytes: every run is still committed */
        for (int i = 0; i < NBIG; i++) {
                big_name(name, sizeof(name), i);
                snprintf(run_id, sizeof(run_id), "big-%d", i);
                run(tbig, run_id, name, t + 1000 * i, 1, 0);
        }
        it_wait_committed(group, tbig, it_end_offset(tbig), 60000, &cp);
        big_name(name, sizeof(name), NBIG - 1);
        CHECK(retl_checkpoint_get(&cp, name) == (t + 1000 * (NBIG - 1)) / 1000);
        big_name(name, sizeof(name), 0);
        CHECK(retl_checkpoint_get(&cp, name) == t / 1000);      /* the first ones stay */
        CHECK(cp.nsyncs < NBIG);
        CHECK(it_count(&big, "people") == NBIG);
        errors = it_log_count("upload.log", "bytes a commit's metadata may hold");
        CHECKF(errors >= 1 && errors < NBIG, "%d size errors", errors);
        CHECK(it_log_count("upload.log", "workspace big: the checkpoint of its") == errors);
        /* no error loop once committed */
        it_sleep_ms(3000);
        CHECK(it_log_count("upload.log", "bytes a commit's metadata may hold") == errors);

        CHECK(kill(up, 0) == 0);
        CHECKF(it_stop(up, SIGTERM, 30000) == 0, "upload did not exit 0 on SIGTERM");
        retl_checkpoint_free(&cp);
        it_stop(acme.pid, SIGTERM, 10000);
        it_stop(big.pid, SIGTERM, 10000);
        printf("0409 ok\n");
        return 0;
}
