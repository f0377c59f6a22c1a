/* Integration test 0414: a sync that names its segment (segment_name).
 *   - first run: the uploader finds no segment of that name through the App
 *     API (its own Bearer key), creates it with the description, adds the
 *     run's people to it, and commits the id in the checkpoint;
 *   - second run: the same segment, no App API request at all; nor after a
 *     restart of the worker (the id comes from the checkpoint);
 *   - a name two segments have: the run's people are imported, their rows
 *     fail naming the sync, the segment and the two ids; nothing is created;
 *   - a refused App API key (another workspace of the same worker): the
 *     people are imported, the rows fail naming the sync and the segment,
 *     the other workspace goes on;
 *   - the segment deleted in the workspace: the next run's rows fail saying
 *     so, and the run after it creates the segment again;
 *   - with the row state (a sync the file lists): a row unchanged since the
 *     last run is sent again, and joins, when the sync's segment_name
 *     changed; with the same name it is skipped. */
#include "tests/it/upload_it.h"

#define SEG "Imported from CRM"

static char prefix[64], group[128], config[512], imports[128], failures[128];

/* Every App API request of @p method on /v1/segments the sandbox saw. */
static int app_requests(const struct it_sandbox *sb, const char *method)
{
        json_t *j = it_http(sb, "/_sandbox/requests?limit=0", NULL), *q;
        size_t i;
        int n = 0;

        json_array_foreach(json_object_get(j, "requests"), i, q) {
                const char *m = json_string_value(json_object_get(q, "method"));
                const char *path = json_string_value(json_object_get(q, "path"));

                if (m && path && !strcmp(m, method) && !strncmp(path, "/v1/segments", 12))
                        n++;
        }
        json_decref(j);
        return n;
}

/* The segments of @p sb named @p name: how many, the id and member count of
 * the last one, its description. */
static int segments_named(const struct it_sandbox *sb, const char *name, int64_t *id,
                          int64_t *count, char *desc, size_t desc_size)
{
        json_t *j = it_http(sb, "/_sandbox/segments", NULL), *s;
        size_t i;
        int n = 0;

        json_array_foreach(json_object_get(j, "segments"), i, s) {
                const char *nm = json_string_value(json_object_get(s, "name"));
                const char *d = json_string_value(json_object_get(s, "description"));

                if (!nm || strcmp(nm, name))
                        continue;
                n++;
                *id = json_integer_value(json_object_get(s, "id"));
                *count = json_integer_value(json_object_get(s, "count"));
                if (desc)
                        snprintf(desc, desc_size, "%s", d ? d : "");
        }
        json_decref(j);
        return n;
}

/* DELETE /v1/segments/@p id with the App API key: @returns the status. */
static long app_delete(const struct it_sandbox *sb, int64_t id)
{
        CURL *c = curl_easy_init();
        struct curl_slist *h = curl_slist_append(NULL, "Authorization: Bearer it-app-key");
        char url[256];
        long status = 0;

        snprintf(url, sizeof(url), "%s/v1/segments/%" PRId64, sb->url, id);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
        CHECK(curl_easy_perform(c) == CURLE_OK);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(c);
        curl_slist_free_all(h);
        return status;
}

static void write_config(const struct it_sandbox *acme, const struct it_sandbox *other)
{
        FILE *f = fopen(config, "w");

        CHECK(f);
        fprintf(f,
                "log_level = \"info\";\n"
                "kafka = { brokers = \"%s\"; replication_factor = 1; topic_prefix = \"%s.\";\n"
                "  group = \"%s\"; imports_topic = \"%s\"; failures_topic = \"%s\";\n"
                "  state_topic_prefix = \"%s-state.\";\n"
                "  properties = { session_timeout_ms = \"6000\"; heartbeat_interval_ms = \"500\";"
                " topic_metadata_refresh_interval_ms = \"2000\"; }; };\n"
                "workspaces = (\n"
                "  { name = \"acme\"; api_url = \"%s\"; site_id = \"acme\";"
                " api_key_env = \"IT_API_KEY\"; app_api_key_env = \"IT_APP_KEY\"; },\n"
                "  { name = \"other\"; api_url = \"%s\"; site_id = \"other\";"
                " api_key_env = \"IT_API_KEY\"; app_api_key_env = \"IT_WRONG_APP_KEY\"; } );\n"
                "databases = ( { name = \"src\"; host = \"127.0.0.1\"; database = \"crm\";"
                " user = \"ro\"; password_env = \"IT_API_KEY\"; } );\n"
                "syncs = ( { name = \"listed\"; workspace = \"acme\"; database = \"src\";"
                " import = \"people\"; interval = \"1h\"; query = \"SELECT id FROM p\";"
                " segment_name = \"Listed A\"; } );\n",
                it_brokers, prefix, group, imports, failures, prefix, acme->url, other->url);
        fclose(f);
}

/* A run of @p n people "<ids>-<i>" joining segment @p name. */
static void run_ids(const char *topic, const char *run_id, const char *ids, const char *sync,
                    const char *name, int64_t t, int n)
{
        struct retl_sync_settings s = it_settings(RETL_IMPORT_PEOPLE, RETL_IDENT_ID);

        s.segment_name = name;
        s.segment_description = "people of the CRM";
        it_run_started(topic, run_id, sync, t, &s);
        for (int i = 1; i <= n; i++) {
                char id[64];
                struct retl_column c[1];

                memset(c, 0, sizeof(c));
                snprintf(id, sizeof(id), "%s-%d", ids, i);
                c[0].name = "id";
                c[0].value.type = RETL_V_STRING;
                c[0].value.u.s.ptr = id;
                c[0].value.u.s.len = strlen(id);
                it_row(topic, run_id, sync, RETL_PART_MAIN, i, c, 1);
        }
        it_run_finished(topic, run_id, sync, RETL_EXTRACT_OK, n, 0);
        it_flush();
}

/* A run of @p n people "<run>-<i>" joining segment @p name. */
static void run(const char *topic, const char *run_id, const char *sync, const char *name,
                int64_t t, int n)
{
        run_ids(topic, run_id, run_id, sync, name, t, n);
}

/* The run's final report is @p status with @p failed rows, each row's
 * failure holding every one of @p needles (NULL-terminated). */
static void expect_run(const char *run_id, int status, int n, int failed,
                       const char *const *needles)
{
        struct it_reports rep;
        struct it_failures fl;

        it_reports(imports, run_id, &rep);
        CHECKF(rep.nfinal == 1, "%s: %d final reports", run_id, rep.nfinal);
        CHECKF((int)rep.last.status == status, "%s: status %d, want %d (%s)", run_id,
               (int)rep.last.status, status, rep.error);
        CHECKF(rep.last.rows == n && rep.last.failed == failed,
               "%s: %" PRId64 " rows, %" PRId64 " failed", run_id, rep.last.rows,
               rep.last.failed);
        it_failures(failures, run_id, &fl);
        CHECKF(fl.n == failed, "%s: %d failed rows", run_id, fl.n);
        for (int i = 1; i <= failed; i++)
                for (int k = 0; needles && needles[k]; k++)
                        CHECKF(it_has_failure(&fl, RETL_PART_MAIN, i, needles[k]),
                               "%s: row %d's failure lacks '%s': %s", run_id, i, needles[k],
                               fl.n ? fl.lines[0] : "");
}

/* Every person "<run>-<i>" is in @p sb. */
static void expect_people(const struct it_sandbox *sb, const char *run_id, int n)
{
        for (int i = 1; i <= n; i++) {
                char id[64];
                json_t *p;

                snprintf(id, sizeof(id), "%s-%d", run_id, i);
                p = it_person(sb, "id", id);
                CHECKF(p, "%s was not imported", id);
                json_decref(p);
        }
}

int main(void)
{
        static const char *const app_key[] = {"--app-api-key-env", "IT_APP_KEY", NULL};
        struct it_sandbox acme, other;
        char ta[128], to[128], desc[128];
        int64_t t = (it_wall_ms() / 1000 - 7200) * 1000, id = 0, id2 = 0, count = 0;
        uint32_t hash = retl_checkpoint_name_hash(SEG);
        struct retl_checkpoint cp;
        pid_t up;

        it_init("0414");
        setenv("IT_APP_KEY", "it-app-key", 1);
        setenv("IT_WRONG_APP_KEY", "not-the-app-key", 1);
        snprintf(prefix, sizeof(prefix), "it0414-%ld", (long)time(NULL));
        snprintf(ta, sizeof(ta), "%s.acme", prefix);
        snprintf(to, sizeof(to), "%s.other", prefix);
        snprintf(imports, sizeof(imports), "%s-imports", prefix);
        snprintf(failures, sizeof(failures), "%s-failures", prefix);
        snprintf(group, sizeof(group), "%s.g", prefix);
        snprintf(config, sizeof(config), "%s/retl.conf", it_tmp);
        it_sandbox_start(&acme, "acme", app_key);
        it_sandbox_start(&other, "other", app_key);
        /* two segments share a name */
        json_decref(it_http(&acme, "/_sandbox/segments", "{\"id\":50,\"name\":\"Twice\"}"));
        json_decref(it_http(&acme, "/_sandbox/segments", "{\"id\":51,\"name\":\"Twice\"}"));
        write_config(&acme, &other);
        it_ensure_topic(ta);
        it_ensure_topic(to);
        retl_checkpoint_init(&cp);

        /* first run: found nowhere, created, people added, id committed */
        run(ta, "people-1", "people", SEG, t, 3);
        up = it_upload_start(config, "upload.log", NULL);
        it_wait_committed(group, ta, it_end_offset(ta), 60000, &cp);
        expect_run("people-1", RETL_IMPORT_COMPLETED, 3, 0, NULL);
        CHECK(segments_named(&acme, SEG, &id, &count, desc, sizeof(desc)) == 1);
        CHECKF(count == 3, "segment %" PRId64 " has %" PRId64 " members", id, count);
        CHECK(!strcmp(desc, "people of the CRM"));
        CHECK(app_requests(&acme, "GET") == 1 && app_requests(&acme, "POST") == 1);
        CHECKF(retl_checkpoint_segment_get(&cp, "people", hash) == id,
               "checkpoint has segment %" PRId64 ", want %" PRId64,
               retl_checkpoint_segment_get(&cp, "people", hash), id);

        /* second run: the same segment, no App API request */
        run(ta, "people-2", "people", SEG, t + 1000, 2);
        it_wait_committed(group, ta, it_end_offset(ta), 60000, NULL);
        expect_run("people-2", RETL_IMPORT_COMPLETED, 2, 0, NULL);
        CHECK(segments_named(&acme, SEG, &id2, &count, NULL, 0) == 1 && id2 == id);
        CHECK(count == 5);
        CHECK(app_requests(&acme, "GET") == 1 && app_requests(&acme, "POST") == 1);

        /* a restarted worker takes the id from the checkpoint */
        CHECK(it_stop(up, SIGTERM, 30000) == 0);
        run(ta, "people-3", "people", SEG, t + 2000, 2);
        up = it_upload_start(config, "upload.log", NULL);
        it_wait_committed(group, ta, it_end_offset(ta), 60000, NULL);
        expect_run("people-3", RETL_IMPORT_COMPLETED, 2, 0, NULL);
        CHECK(segments_named(&acme, SEG, &id2, &count, NULL, 0) == 1 && id2 == id);
        CHECK(count == 7);
        CHECK(app_requests(&acme, "GET") == 1 && app_requests(&acme, "POST") == 1);

        /* a name two segments have */
        run(ta, "twice-1", "twice", "Twice", t, 2);
        it_wait_committed(group, ta, it_end_offset(ta), 60000, NULL);
        {
                const char *const want[] = {"sync twice", "segment 'Twice'",
                                            "2 segments have that name (ids 50, 51)", NULL};
                expect_run("twice-1", RETL_IMPORT_SOME_ROWS_FAILED, 2, 2, want);
        }
        expect_people(&acme, "twice-1", 2);
        CHECK(segments_named(&acme, "Twice", &id2, &count, NULL, 0) == 2 && count == 0);
        CHECK(app_requests(&acme, "POST") == 1);

        /* a refused App API key: people imported, rows failed, nothing created */
        run(to, "people-o1", "people", SEG, t, 2);
        it_wait_committed(group, to, it_end_offset(to), 60000, NULL);
        {
                const char *const want[] = {"sync people", "segment '" SEG "'",
                                            "the App API refused the key of workspace "
                                            "'other' (HTTP 401", NULL};
                expect_run("people-o1", RETL_IMPORT_SOME_ROWS_FAILED, 2, 2, want);
        }
        expect_people(&other, "people-o1", 2);
        CHECK(segments_named(&other, SEG, &id2, &count, NULL, 0) == 0);
        CHECK(it_log_count("upload.log", "the App API refused the key of workspace 'other'") ==
              1);

        /* the segment deleted: the next run's adds fail saying so ... */
        CHECK(app_delete(&acme, id) == 204);
        run(ta, "people-4", "people", SEG, t + 3000, 2);
        it_wait_committed(group, ta, it_end_offset(ta), 60000, &cp);
        {
                const char *const want[] = {"sync people", "segment '" SEG "'",
                                            "no longer exists", NULL};
                expect_run("people-4", RETL_IMPORT_SOME_ROWS_FAILED, 2, 2, want);
        }
        expect_people(&acme, "people-4", 2);
        CHECK(retl_checkpoint_segment_get(&cp, "people", hash) == 0);
        /* ... and the run after it creates it again */
        run(ta, "people-5", "people", SEG, t + 4000, 2);
        it_wait_committed(group, ta, it_end_offset(ta), 60000, &cp);
        expect_run("people-5", RETL_IMPORT_COMPLETED, 2, 0, NULL);
        CHECK(segments_named(&acme, SEG, &id2, &count, NULL, 0) == 1);
        CHECKF(id2 != id && count == 2, "segment %" PRId64 " with %" PRId64 " members", id2,
               count);
        CHECK(app_requests(&acme, "POST") == 2);
        CHECK(retl_checkpoint_segment_get(&cp, "people", hash) == id2);

        /* the row state: the same rows under a new segment_name are sent
         * again and join it; under the same name they are skipped */
        run_ids(ta, "listed-1", "listed", "listed", "Listed A", t, 2);
        it_wait_committed(group, ta, it_end_offset(ta), 60000, NULL);
        expect_run("listed-1", RETL_IMPORT_COMPLETED, 2, 0, NULL);
        CHECK(segments_named(&acme, "Listed A", &id2, &count, NULL, 0) == 1 && count == 2);
        run_ids(ta, "listed-2", "listed", "listed", "Listed B", t + 1000, 2);
        it_wait_committed(group, ta, it_end_offset(ta), 60000, NULL);
        expect_run("listed-2", RETL_IMPORT_COMPLETED, 2, 0, NULL);
        CHECK(segments_named(&acme, "Listed B", &id2, &count, NULL, 0) == 1);
        CHECKF(count == 2, "segment 'Listed B' has %" PRId64 " members", count);
        run_ids(ta, "listed-3", "listed", "listed", "Listed B", t + 2000, 2);
        it_wait_committed(group, ta, it_end_offset(ta), 60000, NULL);
        {
                struct it_reports rep;

                it_reports(imports, "listed-3", &rep);
                CHECKF(rep.last.status == RETL_IMPORT_COMPLETED && rep.last.unchanged == 2,
                       "listed-3: status %d, %" PRId64 " unchanged", (int)rep.last.status,
                       rep.last.unchanged);
        }

        CHECK(it_stop(up, SIGTERM, 30000) == 0);
        retl_checkpoint_free(&cp);
        printf("0414 ok\n");
        return 0;
}
