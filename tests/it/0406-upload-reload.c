/* Integration test 0406: the uploader's live configuration. Each change is
 * a new file renamed over the old one (as a ConfigMap swaps its files):
 *   - a wrong API key: 401, the workspace is blocked, nothing committed;
 *   - a file that does not parse: refused with its error, the worker goes on;
 *   - the key fixed in the file: the run lands and commits, no restart (the
 *     --auth-retry timer is far away, so the reload is what unblocks it);
 *   - a workspace added whose topic was paused as unknown: imported;
 *   - a workspace removed: paused, its new run neither sent nor committed,
 *     and imported once the workspace is back;
 *   - SIGHUP reloads even when the file did not change. */
#include "tests/it/upload_it.h"

#include <sys/stat.h>

static char prefix[64], group[128], config[512];

/* Writes the configuration to a new file and renames it over @p config.
 * @p acme_key: the variable holding acme's key, NULL = acme absent;
 * @p beta: whether workspace beta is in it; @p broken: not libconfig. */
static void write_config(const struct it_sandbox *acme, const char *acme_key,
                         const struct it_sandbox *beta, int with_beta, int broken)
{
        char tmp[600];
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
                "workspaces = (\n",
                it_brokers, prefix, prefix, group, prefix, prefix);
        if (acme_key)
                fprintf(f,
                        "  { name = \"acme\"; api_url = \"%s\"; site_id = \"acme\";"
                        " api_key_env = \"%s\"; max_in_flight = 4; }%s\n",
                        acme->url, acme_key, with_beta ? "," : "");
        if (with_beta)
                fprintf(f,
                        "  { name = \"beta\"; api_url = \"%s\"; site_id = \"beta\";"
                        " api_key_env = \"IT_API_KEY\"; max_in_flight = 2; }\n",
                        beta->url);
        fprintf(f, ");\n%s", broken ? "syncs = ( { name = ; } \n" : "");
        fclose(f);
        CHECK(rename(tmp, config) == 0);
}

static void wait_log(const char *needle, int count, int timeout_ms)
{
        int64_t end = it_now_ms() + timeout_ms;

        while (it_log_count("upload.log", needle) < count && it_now_ms() < end)
                it_sleep_ms(100);
        CHECKF(it_log_count("upload.log", needle) >= count, "no %d x '%s' in upload.log", count,
               needle);
}

int main(void)
{
        struct it_sandbox acme, beta;
        const char *up_extra[] = {"--auth-retry", "600", NULL};
        char ta[128], tb[128];
        int64_t t = (it_wall_ms() / 1000 - 7200) * 1000, end_a;
        struct retl_checkpoint cp;
        int reloads;
        pid_t up;

        it_init("0406");
        setenv("IT_BAD_KEY", "not-the-key", 1);
        snprintf(prefix, sizeof(prefix), "it0406-%ld", (long)time(NULL));
        snprintf(ta, sizeof(ta), "%s.acme", prefix);
        snprintf(tb, sizeof(tb), "%s.beta", prefix);
        snprintf(group, sizeof(group), "%s.g", prefix);
        snprintf(config, sizeof(config), "%s/retl.conf", it_tmp);
        it_sandbox_start(&acme, "acme", NULL);
        it_sandbox_start(&beta, "beta", NULL);
        it_ensure_topic(ta);
        it_ensure_topic(tb);
        retl_checkpoint_init(&cp);

        /* a wrong key: refused, blocked, nothing committed */
        write_config(&acme, "IT_BAD_KEY", &beta, 0, 0);
        it_people_run(ta, "a-1", "people", t, 5);
        it_people_run(tb, "b-1", "people", t, 3);
        up = it_upload_start(config, "upload.log", up_extra);
        wait_log("refused the credentials", 1, 30000);
        wait_log("workspace 'beta' is not in the configuration", 1, 30000);
        CHECK(it_committed(group, ta, NULL) < 0);
        CHECK(it_committed(group, tb, NULL) < 0);
        CHECK(it_count(&acme, "people") == 0);

        /* a broken file is refused with its error; the worker goes on */
        write_config(&acme, "IT_BAD_KEY", &beta, 0, 1);
        wait_log("configuration not reloaded, the running one stays", 1, 15000);
        wait_log("retl.conf:", 1, 1000);        /* the error names the file and line */
        CHECK(kill(up, 0) == 0);
        CHECK(it_committed(group, ta, NULL) < 0);

        /* the key fixed in the file: lands and commits without a restart */
        write_config(&acme, "IT_API_KEY", &beta, 0, 0);
        it_wait_committed(group, ta, it_end_offset(ta), 30000, &cp);
        CHECK(retl_checkpoint_get(&cp, "people") == t / 1000);
        CHECK(it_count(&acme, "people") == 5);
        CHECK(it_log_count("upload.log", "accepts the credentials again") == 1);
        CHECK(it_log_count("upload.log", "configuration reloaded") == 1);

        /* beta added: its paused topic is consumed */
        write_config(&acme, "IT_API_KEY", &beta, 1, 0);
        it_wait_committed(group, tb, it_end_offset(tb), 30000, &cp);
        CHECK(retl_checkpoint_get(&cp, "people") == t / 1000);
        CHECK(it_count(&beta, "people") == 3);
        CHECK(it_log_count("upload.log", "workspace beta added") == 1);

        /* acme removed: paused; its next run waits in the log. A beta run
         * after it shows the worker went on reading. */
        end_a = it_end_offset(ta);
        write_config(&acme, NULL, &beta, 1, 0);
        wait_log("workspace acme removed from the configuration", 1, 15000);
        it_people_run(ta, "a-2", "people", t + 1000, 4);
        it_people_run(tb, "b-2", "people", t + 1000, 2);
        it_wait_committed(group, tb, it_end_offset(tb), 30000, &cp);
        CHECK(it_count(&beta, "people") == 5);
        CHECK(it_committed(group, ta, NULL) == end_a);
        CHECK(it_count(&acme, "people") == 5);

        /* acme back: the run that waited lands */
        write_config(&acme, "IT_API_KEY", &beta, 1, 0);
        it_wait_committed(group, ta, it_end_offset(ta), 30000, &cp);
        CHECK(retl_checkpoint_get(&cp, "people") == (t + 1000) / 1000);
        CHECK(it_count(&acme, "people") == 9);

        /* SIGHUP reloads an unchanged file */
        reloads = it_log_count("upload.log", "configuration reloaded");
        CHECK(kill(up, SIGHUP) == 0);
        wait_log("configuration reloaded", reloads + 1, 15000);
        /* only the bad file was refused */
        CHECK(it_log_count("upload.log", "configuration not reloaded") == 1);
        CHECK(it_log_count("upload.log", "refused the credentials") == 1);

        CHECKF(it_stop(up, SIGTERM, 30000) == 0, "upload did not exit 0 on SIGTERM");
        retl_checkpoint_free(&cp);
        it_stop(acme.pid, SIGTERM, 10000);
        it_stop(beta.pid, SIGTERM, 10000);
        printf("0406 ok\n");
        return 0;
}
