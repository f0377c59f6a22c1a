/* Integration test 0408: every request `retl upload` sends to the Track API
 * conforms to retl's own schema of those requests,
 * tests/data/track-requests.schema.json (written from Customer.io's
 * published OpenAPI document: paths, members, types, required members,
 * limits). Runs covering every kind of row the mapping produces (people by
 * id and by email, update-only with deletions, objects with the default and
 * an explicit type, relationships added with attributes and deleted, by id
 * and by email, both kinds of segment call) go through a real broker to a
 * real uploader whose api_url is tests/tools/track_recorder.py; each
 * recorded request is validated by python3-jsonschema
 * (tests/tools/track_validate.py). Mutated copies of real requests (no
 * identifiers, a wrong type, an entity over 32 KB, an integer id, a path
 * retl does not use) must be refused, so the schema is known to bite.
 *
 * Extra step, only when Customer.io's published document is at hand (the
 * Track API OpenAPI document, "Download OpenAPI specification" on
 * https://docs.customer.io/api/track/): the same requests are validated
 * against it. RETL_TRACK_OPENAPI=PATH names it (it must then be readable);
 * unset, ../shared/reference/customerio-track-openapi.json beside the
 * checkout is used when present (CI lays it out so);
 * RETL_TRACK_OPENAPI=off skips the step. A skipped step says so and counts
 * for nothing: the test's pass comes from the in-repo schema.
 * Env: RETL, RETL_ROOT, RETL_KAFKA_BROKERS, RETL_TEST_TMP. */
#include "tests/it/upload_it.h"

#include <dirent.h>
#include <sys/stat.h>

#define STR(n, v) {n, {.type = RETL_V_STRING, .u.s = {v, sizeof(v) - 1}}}
#define TXT(n, t, v) {n, {.type = t, .u.s = {v, sizeof(v) - 1}}}
#define LNG(n, v) {n, {.type = RETL_V_LONG, .u.l = v}}
#define DBL(n, v) {n, {.type = RETL_V_DOUBLE, .u.d = v}}
#define BOOL(n, v) {n, {.type = RETL_V_BOOL, .u.b = v}}
#define NUL(n) {n, {.type = RETL_V_NULL}}
#define ROW(topic, run, sync, part, n, cols) \
        it_row(topic, run, sync, part, n, cols, sizeof(cols) / sizeof(cols[0]))

static const char *root;
static char schema[600];        /* the in-repo schema */

/* What the recorder saw. */
struct seen {
        int requests, batches, entities, seg_by_id, seg_by_email, other;
        json_t *first_batch;    /* body of a batch request, to mutate */
};

static void read_recorded(const char *dir, struct seen *sn)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        char path[1024];

        CHECKF(d, "the recorder wrote nothing into %s", dir);
        memset(sn, 0, sizeof(*sn));
        while ((de = readdir(d))) {
                json_t *rec, *body;
                const char *req;

                if (!strstr(de->d_name, ".json") || strstr(de->d_name, ".tmp"))
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                rec = json_load_file(path, 0, NULL);
                CHECKF(rec, "%s is not a recorded request", path);
                req = json_string_value(json_object_get(rec, "request"));
                body = json_loads(json_string_value(json_object_get(rec, "body")), 0, NULL);
                CHECKF(req && body, "%s: no request line or a body that is not JSON", path);
                sn->requests++;
                if (!strcmp(req, "POST /api/v2/batch")) {
                        sn->batches++;
                        sn->entities += (int)json_array_size(json_object_get(body, "batch"));
                        if (!sn->first_batch)
                                sn->first_batch = json_incref(body);
                } else if (strstr(req, "/add_customers?id_type=id")) {
                        sn->seg_by_id++;
                } else if (strstr(req, "/add_customers?id_type=email")) {
                        sn->seg_by_email++;
                } else {
                        sn->other++;
                }
                json_decref(body);
                json_decref(rec);
        }
        closedir(d);
}

/* Writes a request as the recorder would have recorded it; steals body. */
static void write_request(const char *dir, const char *name, const char *request, json_t *body)
{
        char path[1024], *text = json_dumps(body, JSON_COMPACT);
        json_t *rec = json_pack("{s:s, s:s, s:s}", "request", request, "content_type",
                                "application/json", "body", text);

        snprintf(path, sizeof(path), "%s/%s.json", dir, name);
        CHECK(rec && !json_dump_file(rec, path, 0));
        json_decref(rec);
        json_decref(body);
        free(text);
}

/* Copies of a real batch request, each wrong in one way the Track API
 * would refuse; @returns how many were written. */
static int write_wrong_requests(const char *dir, json_t *batch)
{
        json_t *b, *e, *attrs;
        char name[16], value[901];

        b = json_deep_copy(batch);
        json_object_del(json_array_get(json_object_get(b, "batch"), 0), "identifiers");
        write_request(dir, "no-identifiers", "POST /api/v2/batch", b);

        b = json_deep_copy(batch);
        json_object_set_new(json_array_get(json_object_get(b, "batch"), 0), "type",
                            json_string("people"));
        write_request(dir, "wrong-type", "POST /api/v2/batch", b);

        b = json_deep_copy(batch);
        e = json_pack("{s:s, s:{s:i}, s:s}", "type", "person", "identifiers", "id", 42,
                      "action", "identify");
        json_array_append_new(json_object_get(b, "batch"), e);
        write_request(dir, "integer-id", "POST /api/v2/batch", b);

        /* 40 attributes of 900 bytes: each within the attribute limits,
         * the entity over 32 KB */
        b = json_deep_copy(batch);
        attrs = json_object();
        memset(value, 'v', sizeof(value) - 1);
        value[sizeof(value) - 1] = '\0';
        for (int i = 0; i < 40; i++) {
                snprintf(name, sizeof(name), "a%d", i);
                json_object_set_new(attrs, name, json_string(value));
        }
        e = json_pack("{s:s, s:{s:s}, s:s, s:o}", "type", "person", "identifiers", "id", "7",
                      "action", "identify", "attributes", attrs);
        json_array_append_new(json_object_get(b, "batch"), e);
        write_request(dir, "entity-over-32k", "POST /api/v2/batch", b);

        write_request(dir, "segment-integer-ids", "POST /api/v1/segments/10/add_customers?id_type=id",
                      json_pack("{s:[i]}", "ids", 42));
        write_request(dir, "not-a-retl-path", "POST /api/v1/customers/42",
                      json_pack("{s:s}", "email", "ada@example.com"));
        return 6;
}

static int validate(const char *kind, const char *document, const char *expect,
                    const char *dir)
{
        char cmd[4096];
        int rc;

        snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s/tests/tools/track_validate.py %s %s %s %s/*.json",
                 root, kind, document, expect, dir);
        rc = system(cmd);
        return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* The published document's path, or NULL (and why) when the step is skipped. */
static const char *published_document(char *buf, size_t size, const char **why)
{
        const char *env = getenv("RETL_TRACK_OPENAPI");

        if (env && !strcmp(env, "off")) {
                *why = "RETL_TRACK_OPENAPI=off";
                return NULL;
        }
        if (env && *env) {
                CHECKF(!access(env, R_OK), "RETL_TRACK_OPENAPI=%s is not a readable file", env);
                snprintf(buf, size, "%s", env);
                return buf;
        }
        snprintf(buf, size, "%s/../shared/reference/customerio-track-openapi.json", root);
        if (access(buf, R_OK)) {
                *why = "no RETL_TRACK_OPENAPI, and no copy beside the checkout";
                return NULL;
        }
        return buf;
}

int main(void)
{
        struct it_sandbox rec;
        struct it_ws ws[1];
        struct seen sn;
        char prefix[64], topic[128], group[128], config[512], portfile[512], dir[512],
                wrong[512], doc[1024];
        char *argv[8];
        struct retl_sync_settings s;
        int64_t t0 = it_wall_ms() - 3600 * 1000;
        const char *skipped = NULL;
        int nwrong;
        pid_t up;

        it_init("0408");
        root = getenv("RETL_ROOT");
        CHECKF(root, "RETL_ROOT must be set (run through tests/run.sh)");
        snprintf(schema, sizeof(schema), "%s/tests/data/track-requests.schema.json", root);
        snprintf(prefix, sizeof(prefix), "it0408-%ld", (long)time(NULL));
        snprintf(topic, sizeof(topic), "%s.acme", prefix);
        snprintf(group, sizeof(group), "%s.g", prefix);
        snprintf(config, sizeof(config), "%s/retl.conf", it_tmp);
        snprintf(portfile, sizeof(portfile), "%s/recorder.port", it_tmp);
        snprintf(dir, sizeof(dir), "%s/requests", it_tmp);
        snprintf(wrong, sizeof(wrong), "%s/wrong", it_tmp);
        CHECK(!mkdir(wrong, 0700));

        argv[0] = "/usr/bin/python3";
        argv[1] = retl_asprintf("%s/tests/tools/track_recorder.py", root);
        argv[2] = portfile;
        argv[3] = dir;
        argv[4] = NULL;
        rec.pid = it_spawn("recorder.log", argv);
        it_wait_port(&rec, portfile, "tests/tools/track_recorder.py");
        free(argv[1]);
        ws[0].name = "acme";
        ws[0].sb = &rec;
        it_write_config(config, prefix, ws, 1);
        it_ensure_topic(topic);

        /* people by id into segment 10, with relationships added and deleted */
        s = it_settings(RETL_IMPORT_PEOPLE, RETL_IDENT_ID);
        s.segment = 10;
        {
                const struct retl_column person[] = {
                        LNG("id", 42), STR("email", "ada@example.com"), STR("first_name", "Ada"),
                        BOOL("vip", 1), TXT("ltv", RETL_V_DECIMAL, "411.03"), DBL("score", 0.25),
                        TXT("signed_up", RETL_V_DATETIME, "2024-05-01T09:30:00"),
                        {"raw", {.type = RETL_V_BYTES, .u.s = {"\x00\xff", 2}}}, NUL("phone")};
                const struct retl_column rel_add[] = {LNG("id", 42), STR("object_id", "acme"),
                                                      STR("role", "admin"), BOOL("deleted", 0)};
                const struct retl_column rel_del[] = {LNG("id", 42), STR("object_id", "old"),
                                                      BOOL("deleted", 1)};
                it_run_started(topic, "people-1", "people", t0, &s);
                ROW(topic, "people-1", "people", RETL_PART_MAIN, 1, person);
                ROW(topic, "people-1", "people", RETL_PART_RELATIONSHIPS, 1, rel_add);
                ROW(topic, "people-1", "people", RETL_PART_RELATIONSHIPS, 2, rel_del);
                it_run_finished(topic, "people-1", "people", RETL_EXTRACT_OK, 1, 2);
        }
        /* update-only, empty values deleted */
        s.segment = 0;
        s.update_only = 1;
        s.empty_values = RETL_EMPTY_DELETE;
        {
                const struct retl_column update_delete[] = {STR("id", "7"), NUL("phone"),
                                                            STR("nick", "")};
                it_run_started(topic, "people-2", "people", t0 + 1000, &s);
                ROW(topic, "people-2", "people", RETL_PART_MAIN, 1, update_delete);
                it_run_finished(topic, "people-2", "people", RETL_EXTRACT_OK, 1, 0);
        }
        /* people by email into segment 11, a relationship by email */
        s = it_settings(RETL_IMPORT_PEOPLE, RETL_IDENT_EMAIL);
        s.segment = 11;
        s.relationship_identify_by = RETL_IDENT_EMAIL;
        {
                const struct retl_column by_email[] = {STR("email", "grace@example.com"),
                                                       STR("plan", "team")};
                const struct retl_column rel_email[] = {STR("email", "grace@example.com"),
                                                        STR("object_id", "9"),
                                                        STR("object_type_id", "2")};
                it_run_started(topic, "people-3", "by-email", t0, &s);
                ROW(topic, "people-3", "by-email", RETL_PART_MAIN, 1, by_email);
                ROW(topic, "people-3", "by-email", RETL_PART_RELATIONSHIPS, 1, rel_email);
                it_run_finished(topic, "people-3", "by-email", RETL_EXTRACT_OK, 1, 1);
        }
        /* objects: the default type and an explicit one */
        s = it_settings(RETL_IMPORT_OBJECTS, RETL_IDENT_ID);
        {
                const struct retl_column object[] = {STR("object_id", "acme"), STR("name", "Acme"),
                                                     LNG("employees", 250)};
                const struct retl_column object_typed[] = {LNG("object_id", 9),
                                                           STR("object_type_id", "2"),
                                                           STR("name", "Course 9")};
                it_run_started(topic, "objects-1", "objects", t0, &s);
                ROW(topic, "objects-1", "objects", RETL_PART_MAIN, 1, object);
                ROW(topic, "objects-1", "objects", RETL_PART_MAIN, 2, object_typed);
                it_run_finished(topic, "objects-1", "objects", RETL_EXTRACT_OK, 2, 0);
        }
        it_flush();

        up = it_upload_start(config, "upload.log", NULL);
        it_wait_committed(group, topic, it_end_offset(topic), 60000, NULL);
        CHECK(it_stop(up, SIGTERM, 30000) == 0);
        CHECK(it_stop(rec.pid, SIGTERM, 10000) == 0);

        /* what was sent: every row once, both kinds of segment call */
        read_recorded(dir, &sn);
        fprintf(stderr, "   recorded %d requests: %d batches (%d entities), segment adds by id %d, "
                "by email %d, other %d\n", sn.requests, sn.batches, sn.entities, sn.seg_by_id,
                sn.seg_by_email, sn.other);
        CHECKF(sn.entities == 8 && sn.seg_by_id >= 1 && sn.seg_by_email >= 1 && !sn.other,
               "expected 8 entities in batches and segment adds by id and by email");

        CHECKF(!validate("schema", schema, "", dir),
               "a request retl sent does not conform to tests/data/track-requests.schema.json");
        nwrong = write_wrong_requests(wrong, sn.first_batch);
        json_decref(sn.first_batch);
        CHECKF(!validate("schema", schema, "--expect-invalid", wrong),
               "the schema accepted a malformed request (of %d)", nwrong);
        fprintf(stderr, "   ok: every request conforms to tests/data/track-requests.schema.json; "
                "the %d malformed ones are refused\n", nwrong);

        if (published_document(doc, sizeof(doc), &skipped)) {
                CHECKF(!validate("openapi", doc, "", dir),
                       "a request retl sent does not conform to %s", doc);
                fprintf(stderr, "   ok: every request conforms to the published document %s\n",
                        doc);
        } else {
                fprintf(stderr, "   SKIPPED (not counted as a check): validation against "
                        "Customer.io's published Track API OpenAPI document (%s). Get it from "
                        "https://docs.customer.io/api/track/ (\"Download OpenAPI "
                        "specification\") and set RETL_TRACK_OPENAPI=/path/to/it.\n", skipped);
        }
        return 0;
}
