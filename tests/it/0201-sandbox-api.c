/* retl — integration test: `retl sandbox` over real HTTP on loopback.
 *
 * Starts the sanitizer-built retl ($RETL) as `retl sandbox` on a free port,
 * waits for its --port-file, and checks every answer the uploader can get:
 * 200, 207, 400, 401, 404, 429 with Retry-After, injected 5xx, dropped
 * connections; the workspace rules; limits; inspection; and a restart with
 * --state. Deterministic faults use the script, never randomness. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define AUTH "sandbox:sandbox"

struct sandbox {
        pid_t pid;
        int port;
        char name[64];
};

static const char *tmpdir(void)
{
        const char *t = getenv("RETL_TEST_TMP");

        return t && *t ? t : "/tmp";
}

static const char *retl_bin(void)
{
        const char *r = getenv("RETL");

        return r && *r ? r : "build/asan/bin/retl";
}

static void sleep_ms(int ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

        nanosleep(&ts, NULL);
}

/* Starts `retl sandbox --listen 127.0.0.1:0 --port-file F ARGS...` and waits
 * for F (the server writes it once it listens). */
static void sandbox_start(struct sandbox *sb, const char *name, const char *const *args)
{
        char port_file[512], log_file[512];
        const char *argv[64];
        int n = 0;

        snprintf(sb->name, sizeof(sb->name), "%s", name);
        snprintf(port_file, sizeof(port_file), "%s/%s.port", tmpdir(), name);
        snprintf(log_file, sizeof(log_file), "%s/%s.log", tmpdir(), name);
        unlink(port_file);
        argv[n++] = retl_bin();
        argv[n++] = "sandbox";
        argv[n++] = "--listen";
        argv[n++] = "127.0.0.1:0";
        argv[n++] = "--port-file";
        argv[n++] = port_file;
        argv[n++] = "--log-level";
        argv[n++] = "debug";
        for (int i = 0; args && args[i] && n < 62; i++)
                argv[n++] = args[i];
        argv[n] = NULL;
        sb->pid = fork();
        assert_true(sb->pid >= 0);
        if (sb->pid == 0) {
                int fd = open(log_file, O_WRONLY | O_CREAT | O_APPEND, 0644);

                if (fd >= 0) {
                        dup2(fd, 1);
                        dup2(fd, 2);
                }
                execv(argv[0], (char *const *)argv);
                _exit(127);
        }
        /* wait on the port file; a dead child fails at once */
        for (int i = 0; i < 3000; i++) {
                FILE *f = fopen(port_file, "r");
                int status;

                if (f) {
                        int ok = fscanf(f, "%d", &sb->port) == 1;

                        fclose(f);
                        if (ok && sb->port > 0)
                                return;
                }
                if (waitpid(sb->pid, &status, WNOHANG) == sb->pid)
                        fail_msg("sandbox %s exited before listening (see %s)", name, log_file);
                sleep_ms(10);
        }
        fail_msg("sandbox %s did not write %s within 30 s", name, port_file);
}

/* SIGTERM, and the exit status must be 0. */
static void sandbox_stop(struct sandbox *sb)
{
        int status = 0;

        if (sb->pid <= 0)
                return;
        assert_int_equal(kill(sb->pid, SIGTERM), 0);
        assert_int_equal(waitpid(sb->pid, &status, 0), sb->pid);
        sb->pid = 0;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fail_msg("sandbox %s did not exit cleanly (status 0x%x)", sb->name, status);
}

/* ------------------------------------------------------------------ */
/* HTTP                                                                */

struct resp {
        CURLcode cc;
        long status;
        char *body;
        size_t len;
        char retry_after[32];
        char www_auth[160];
        double secs;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
        struct resp *r = ud;

        r->body = realloc(r->body, r->len + size * n + 1);
        memcpy(r->body + r->len, p, size * n);
        r->len += size * n;
        r->body[r->len] = '\0';
        return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
        struct resp *r = ud;
        size_t len = size * n;

        if (len > 13 && !strncasecmp(p, "Retry-After: ", 13))
                snprintf(r->retry_after, sizeof(r->retry_after), "%.*s", (int)(len - 15), p + 13);
        if (len > 18 && !strncasecmp(p, "WWW-Authenticate: ", 18))
                snprintf(r->www_auth, sizeof(r->www_auth), "%.*s", (int)(len - 20), p + 18);
        return len;
}

struct http_opts {
        const char *userpwd;      /* NULL = no auth */
        int expect_continue;      /* send "Expect: 100-continue" */
        int chunked;              /* no Content-Length */
};

static void http_x(const struct sandbox *sb, const char *method, const char *path,
                   const char *body, size_t body_len, const struct http_opts *o, struct resp *r)
{
        CURL *easy = curl_easy_init();
        struct curl_slist *hdrs = NULL;
        char url[1024];

        memset(r, 0, sizeof(*r));
        snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", sb->port, path);
        curl_easy_setopt(easy, CURLOPT_URL, url);
        curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(easy, CURLOPT_WRITEDATA, r);
        curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(easy, CURLOPT_HEADERDATA, r);
        curl_easy_setopt(easy, CURLOPT_TIMEOUT, 60L);
        if (o->userpwd)
                curl_easy_setopt(easy, CURLOPT_USERPWD, o->userpwd);
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
        hdrs = curl_slist_append(hdrs, o->expect_continue ? "Expect: 100-continue" : "Expect:");
        if (o->chunked)
                hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
        curl_easy_setopt(easy, CURLOPT_HTTPHEADER, hdrs);
        if (body) {
                curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body);
                curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
        }
        r->cc = curl_easy_perform(easy);
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &r->status);
        curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME, &r->secs);
        curl_slist_free_all(hdrs);
        curl_easy_cleanup(easy);
        if (!r->body)
                r->body = calloc(1, 1);
}

static void http(const struct sandbox *sb, const char *method, const char *path,
                 const char *body, const char *userpwd, struct resp *r)
{
        struct http_opts o = {.userpwd = userpwd};

        http_x(sb, method, path, body, body ? strlen(body) : 0, &o, r);
}

/* POST with the right credentials; asserts the status. */
static json_t *post(const struct sandbox *sb, const char *path, const char *body, long status)
{
        struct resp r;
        json_t *j;

        http(sb, "POST", path, body, AUTH, &r);
        if (r.cc != CURLE_OK)
                fail_msg("POST %s: %s", path, curl_easy_strerror(r.cc));
        if (r.status != status)
                fail_msg("POST %s: HTTP %ld, expected %ld: %s", path, r.status, status, r.body);
        j = json_loads(r.body, 0, NULL);
        if (!j)
                fail_msg("POST %s: answer is not JSON: %s", path, r.body);
        free(r.body);
        return j;
}

static json_t *get(const struct sandbox *sb, const char *path, long status)
{
        struct resp r;
        json_t *j;

        http(sb, "GET", path, NULL, NULL, &r);
        if (r.cc != CURLE_OK || r.status != status)
                fail_msg("GET %s: %s, HTTP %ld (expected %ld): %s", path,
                         curl_easy_strerror(r.cc), r.status, status, r.body);
        j = json_loads(r.body, 0, NULL);
        if (!j)
                fail_msg("GET %s: answer is not JSON: %s", path, r.body);
        free(r.body);
        return j;
}

/* The person by ?id= / ?email= (NULL if 404). */
static json_t *person(const struct sandbox *sb, const char *query)
{
        struct resp r;
        char path[512];
        json_t *j = NULL;

        snprintf(path, sizeof(path), "/_sandbox/people?%s", query);
        http(sb, "GET", path, NULL, NULL, &r);
        assert_int_equal(r.cc, CURLE_OK);
        if (r.status == 200)
                j = json_loads(r.body, 0, NULL);
        else
                assert_int_equal(r.status, 404);
        free(r.body);
        return j;
}

static const char *jstr(json_t *j, const char *path)
{
        /* "a.b.c" lookups */
        char buf[256], *tok, *save = NULL;

        snprintf(buf, sizeof(buf), "%s", path);
        for (tok = strtok_r(buf, ".", &save); tok && j; tok = strtok_r(NULL, ".", &save))
                j = json_object_get(j, tok);
        return json_string_value(j);
}

static json_int_t jint(json_t *j, const char *path)
{
        char buf[256], *tok, *save = NULL;

        snprintf(buf, sizeof(buf), "%s", path);
        for (tok = strtok_r(buf, ".", &save); tok && j; tok = strtok_r(NULL, ".", &save))
                j = json_object_get(j, tok);
        if (!json_is_integer(j))
                fail_msg("%s is not an integer", path);
        return json_integer_value(j);
}

/* The error for batch_index @p i in a 207 answer, or NULL. */
static json_t *error_at(json_t *ans, size_t i)
{
        size_t k;
        json_t *e;

        json_array_foreach(json_object_get(ans, "errors"), k, e)
                if ((size_t)json_integer_value(json_object_get(e, "batch_index")) == i)
                        return e;
        return NULL;
}

static void expect_error(json_t *ans, size_t i, const char *reason, const char *msg_part)
{
        json_t *e = error_at(ans, i);

        if (!e)
                fail_msg("no error for batch_index %zu in %s", i, json_dumps(ans, 0));
        if (strcmp(json_string_value(json_object_get(e, "reason")), reason))
                fail_msg("batch_index %zu: reason %s, expected %s (%s)", i,
                         json_string_value(json_object_get(e, "reason")), reason,
                         json_string_value(json_object_get(e, "message")));
        if (msg_part && !strstr(json_string_value(json_object_get(e, "message")), msg_part))
                fail_msg("batch_index %zu: message '%s' lacks '%s'", i,
                         json_string_value(json_object_get(e, "message")), msg_part);
        assert_non_null(json_object_get(e, "field"));
}

/* ------------------------------------------------------------------ */
/* The shared sandbox                                                  */

static struct sandbox main_sb;

static int group_setup(void **state)
{
        static const char *const args[] = {"--segments", "10,11", "--object-types", "1,2",
                                           "--suppress", "id:99", "--suppress",
                                           "email:blocked@example.com", NULL};

        (void)state;
        curl_global_init(CURL_GLOBAL_DEFAULT);
        sandbox_start(&main_sb, "main", args);
        return 0;
}

static int group_teardown(void **state)
{
        (void)state;
        sandbox_stop(&main_sb);
        curl_global_cleanup();
        return 0;
}

/* Each test starts from an empty workspace. */
static int reset(void **state)
{
        (void)state;
        json_decref(post(&main_sb, "/_sandbox/reset", "", 200));
        return 0;
}

#define PERSON(id, attrs)                                                                    \
        "{\"type\":\"person\",\"identifiers\":{\"id\":\"" id "\"},\"action\":\"identify\","  \
        "\"attributes\":" attrs "}"

/* ------------------------------------------------------------------ */
/* Tests                                                               */

static void test_auth(void **state)
{
        struct resp r;
        const char *b = "{\"batch\":[" PERSON("1", "{}") "]}";

        (void)state;
        http(&main_sb, "POST", "/api/v2/batch", b, NULL, &r);
        assert_int_equal(r.status, 401);
        assert_non_null(strstr(r.www_auth, "Basic"));
        assert_non_null(strstr(r.body, "\"meta\""));
        free(r.body);
        http(&main_sb, "POST", "/api/v2/batch", b, "sandbox:wrong", &r);
        assert_int_equal(r.status, 401);
        free(r.body);
        http(&main_sb, "POST", "/api/v2/batch", b, "other:sandbox", &r);
        assert_int_equal(r.status, 401);
        free(r.body);
        http(&main_sb, "POST", "/api/v1/segments/10/add_customers", "{\"ids\":[\"1\"]}", NULL,
             &r);
        assert_int_equal(r.status, 401);
        free(r.body);
        /* nothing was applied */
        assert_null(person(&main_sb, "id=1"));
        json_decref(post(&main_sb, "/api/v2/batch", b, 200));
}

static void test_200_types_and_removal(void **state)
{
        json_t *j, *p, *a;

        (void)state;
        j = post(&main_sb, "/api/v2/batch",
                 "{\"batch\":[" PERSON("42", "{\"email\":\"Jane@Example.com\",\"n\":1,\"r\":1.5,"
                                             "\"t\":true,\"f\":false,\"s\":\"x\",\"o\":{\"k\":"
                                             "[1,2]},\"u\":\"\\u00e9\",\"gone\":\"soon\","
                                             "\"gone2\":1}") "]}",
                 200);
        assert_int_equal(json_object_size(j), 0); /* {} */
        json_decref(j);
        p = person(&main_sb, "id=42");
        assert_non_null(p);
        a = json_object_get(p, "attributes");
        assert_true(json_is_integer(json_object_get(a, "n")));
        assert_true(json_is_real(json_object_get(a, "r")));
        assert_true(json_is_true(json_object_get(a, "t")));
        assert_true(json_is_false(json_object_get(a, "f")));
        assert_true(json_is_object(json_object_get(a, "o")));
        assert_string_equal(jstr(a, "u"), "\xc3\xa9");
        assert_non_null(jstr(p, "cio_id"));
        assert_int_equal(jint(p, "updates"), 1);
        assert_true(jint(p, "created_at_ms") > 0);
        json_decref(p);
        /* null and "" remove; the entity endpoint works the same */
        json_decref(post(&main_sb, "/api/v2/entity",
                         PERSON("42", "{\"gone\":null,\"gone2\":\"\",\"n\":2}"), 200));
        p = person(&main_sb, "email=JANE@example.com");
        assert_non_null(p);
        a = json_object_get(p, "attributes");
        assert_null(json_object_get(a, "gone"));
        assert_null(json_object_get(a, "gone2"));
        assert_int_equal(jint(a, "n"), 2);
        assert_int_equal(jint(p, "updates"), 2);
        assert_true(jint(p, "updated_at_ms") >= jint(p, "created_at_ms"));
        json_decref(p);
}

/* One batch with every kind of refusal; the others are applied. */
/* Attribute numbers are shown as sent, digits and spelling kept: a
 * DECIMAL(38,10) is not a double (issue #16). */
static void test_numbers_as_sent(void **state)
{
        static const char *const want[] = {
                "\"d\":12345678901234567890123456.7890123456", "\"p\":0.1", "\"z\":2.50",
                "\"e\":-1.5E+300", "\"n\":7", "\"w\":0.30",
        };
        struct resp r;
        json_t *j;

        (void)state;
        j = post(&main_sb, "/api/v2/batch",
                 "{\"batch\":[" PERSON("77", "{\"d\":12345678901234567890123456.7890123456,"
                                             "\"p\":0.1,\"z\":2.50,\"e\":-1.5E+300,\"n\":7}")
                 ",{\"type\":\"person\",\"identifiers\":{\"id\":\"77\"},"
                 "\"action\":\"add_relationships\",\"cio_relationships\":[{\"identifiers\":"
                 "{\"object_type_id\":\"1\",\"object_id\":\"n1\"},"
                 "\"relationship_attributes\":{\"w\":0.30}}]}]}",
                 200);
        json_decref(j);
        http(&main_sb, "GET", "/_sandbox/people?id=77", NULL, NULL, &r);
        assert_int_equal(r.status, 200);
        for (size_t i = 0; i < 5; i++)
                if (!strstr(r.body, want[i]))
                        fail_msg("%s not in %s", want[i], r.body);
        free(r.body);
        http(&main_sb, "GET", "/_sandbox/relationships?id=77", NULL, NULL, &r);
        assert_int_equal(r.status, 200);
        if (!strstr(r.body, want[5]))
                fail_msg("%s not in %s", want[5], r.body);
        free(r.body);
        /* the same text again changes nothing; the value is still a number */
        j = post(&main_sb, "/api/v2/entity",
                 PERSON("77", "{\"d\":12345678901234567890123456.7890123456}"), 200);
        json_decref(j);
        j = person(&main_sb, "id=77");
        assert_true(json_is_real(json_object_get(json_object_get(j, "attributes"), "d")));
        json_decref(j);
}

static void test_207(void **state)
{
        char *blob, *body;
        json_t *j, *p;

        (void)state;
        json_decref(post(&main_sb, "/api/v2/batch",
                         "{\"batch\":[" PERSON("1", "{\"email\":\"one@example.com\"}") "]}", 200));
        blob = malloc(33 * 1024 + 1);
        memset(blob, 'b', 33 * 1024);
        blob[33 * 1024] = '\0';
        body = malloc(64 * 1024);
        snprintf(body, 64 * 1024,
                 "{\"batch\":["
                 PERSON("2", "{\"email\":\"two@example.com\"}") ","
                 PERSON("3", "{\"email\":\"ONE@example.com\"}") ","
                 PERSON("99", "{}") ","
                 "{\"type\":\"person\",\"identifiers\":{\"email\":\"Blocked@example.com\"},"
                 "\"action\":\"identify\"},"
                 "{\"type\":\"object\",\"identifiers\":{\"object_type_id\":\"7\","
                 "\"object_id\":\"acme\"},\"action\":\"identify\",\"attributes\":{}},"
                 PERSON("5", "{\"email\":\"john..doe@example.com\"}") ","
                 PERSON("6", "{\"email\":\"john@localhost\"}") ","
                 PERSON("7", "{\"email\":\"a@b@example.com\"}") ","
                 "{\"type\":\"person\",\"identifiers\":{\"email\":\".x@example.com\"},"
                 "\"action\":\"identify\"},"
                 "{\"type\":\"person\",\"identifiers\":{\"email\":\"one@example.com\"},"
                 "\"action\":\"identify\",\"attributes\":{\"id\":\"changed\"}},"
                 PERSON("10", "{\"email\":\"\\\"john..doe\\\"@[192.168.0.1]\"}") ","
                 "{\"type\":\"person\",\"action\":\"identify\"},"
                 "{\"type\":\"person\",\"identifiers\":{\"id\":\"1\",\"email\":\"x@example.com\"},"
                 "\"action\":\"identify\"},"
                 PERSON("13", "{\"blob\":\"%s\"}") ","
                 "17,"
                 PERSON("15", "{\"email\":\"o'brien+tag@sub.example.co.uk\"}")
                 "]}",
                 blob);
        j = post(&main_sb, "/api/v2/batch", body, 207);
        free(blob);
        free(body);
        assert_null(error_at(j, 0));
        expect_error(j, 1, "failed attribute change", "already belongs to another person");
        expect_error(j, 2, "suppressed", "person is suppressed");
        expect_error(j, 3, "suppressed", "person is suppressed");
        expect_error(j, 4, "invalid", "object type 7 does not exist");
        expect_error(j, 5, "failed attribute change", "RFC 5322");
        expect_error(j, 6, "failed attribute change", "RFC 5322");
        expect_error(j, 7, "failed attribute change", "RFC 5322");
        expect_error(j, 8, "invalid", "RFC 5322");
        expect_error(j, 9, "failed attribute change", "cannot be changed");
        assert_null(error_at(j, 10));
        expect_error(j, 11, "required", NULL);
        expect_error(j, 12, "invalid", "exactly one");
        expect_error(j, 13, "too_large", "limit");
        expect_error(j, 14, "invalid", NULL);
        assert_null(error_at(j, 15));
        assert_int_equal(json_array_size(json_object_get(j, "errors")), 13);
        json_decref(j);
        /* the accepted ones were applied, the refused ones not */
        p = person(&main_sb, "id=2");
        assert_non_null(p);
        json_decref(p);
        p = person(&main_sb, "id=10");
        assert_non_null(p);
        assert_string_equal(jstr(p, "email"), "\"john..doe\"@[192.168.0.1]");
        json_decref(p);
        p = person(&main_sb, "email=o'brien%2Btag@sub.example.co.uk");
        assert_non_null(p);
        json_decref(p);
        assert_null(person(&main_sb, "id=3"));
        assert_null(person(&main_sb, "id=99"));
        assert_null(person(&main_sb, "id=13"));
        assert_null(person(&main_sb, "id=changed"));
        p = person(&main_sb, "id=1");
        assert_string_equal(jstr(p, "email"), "one@example.com");
        json_decref(p);
        /* counters saw it */
        j = get(&main_sb, "/_sandbox/counters", 200);
        assert_int_equal(jint(j, "entities.rejected"), 13);
        assert_int_equal(jint(j, "entities.accepted"), 4);
        assert_int_equal(jint(j, "entities.rejected_by_reason.suppressed"), 2);
        assert_int_equal(jint(j, "requests.by_status.207"), 1);
        json_decref(j);
}

static void test_400(void **state)
{
        static const char *const bodies[] = {
                "{\"batch\":[",                          /* truncated */
                "[1,2]",                                 /* not an object */
                "{\"data\":[]}",                         /* no batch */
                "{\"batch\":{}}",                        /* batch not an array */
                "{\"batch\":[{\"type\":\"person\",\"identifiers\":{\"id\":\"\xff\"}}]}",
                "",                                      /* empty */
        };
        struct resp r;

        (void)state;
        for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
                json_t *j, *e;

                http(&main_sb, "POST", "/api/v2/batch", bodies[i], AUTH, &r);
                if (r.status != 400)
                        fail_msg("body %zu: HTTP %ld: %s", i, r.status, r.body);
                j = json_loads(r.body, 0, NULL);
                assert_non_null(j);
                e = json_array_get(json_object_get(j, "errors"), 0);
                assert_non_null(json_object_get(e, "reason"));
                assert_non_null(json_object_get(e, "message"));
                json_decref(j);
                free(r.body);
        }
        /* /entity: a refused entity is a 400 with the same error shape */
        http(&main_sb, "POST", "/api/v2/entity", PERSON("99", "{}"), AUTH, &r);
        assert_int_equal(r.status, 400);
        assert_non_null(strstr(r.body, "\"suppressed\""));
        free(r.body);
        /* wrong method, unknown path */
        http(&main_sb, "GET", "/api/v2/batch", NULL, AUTH, &r);
        assert_int_equal(r.status, 405);
        free(r.body);
        http(&main_sb, "POST", "/api/v2/nothing", "{}", AUTH, &r);
        assert_int_equal(r.status, 404);
        free(r.body);
}

static void test_update_only(void **state)
{
        json_t *j, *p;

        (void)state;
        j = post(&main_sb, "/api/v2/batch",
                 "{\"batch\":[" PERSON("50", "{\"_update\":true,\"a\":1}") "]}", 200);
        json_decref(j);
        assert_null(person(&main_sb, "id=50"));
        json_decref(post(&main_sb, "/api/v2/batch", "{\"batch\":[" PERSON("50", "{}") "]}", 200));
        json_decref(post(&main_sb, "/api/v2/batch",
                         "{\"batch\":[" PERSON("50", "{\"_update\":true,\"a\":1}") "]}", 200));
        p = person(&main_sb, "id=50");
        assert_int_equal(jint(p, "attributes.a"), 1);
        assert_null(json_object_get(json_object_get(p, "attributes"), "_update"));
        json_decref(p);
        j = get(&main_sb, "/_sandbox/counters", 200);
        assert_int_equal(jint(j, "entities.noop"), 1);
        json_decref(j);
}

static void test_email_update_setting(void **state)
{
        static const char *const args[] = {"--allow-email-update-by-id", NULL};
        struct sandbox sb;
        json_t *j, *p;

        (void)state;
        /* off (the shared sandbox): refused */
        json_decref(post(&main_sb, "/api/v2/batch",
                         "{\"batch\":[" PERSON("1", "{\"email\":\"a@example.com\"}") "]}", 200));
        j = post(&main_sb, "/api/v2/batch",
                 "{\"batch\":[" PERSON("1", "{\"email\":\"b@example.com\"}") "]}", 207);
        expect_error(j, 0, "failed attribute change", "cannot be changed");
        json_decref(j);
        /* on: allowed through id, not through email */
        sandbox_start(&sb, "email-update", args);
        json_decref(post(&sb, "/api/v2/batch",
                         "{\"batch\":[" PERSON("1", "{\"email\":\"a@example.com\"}") "]}", 200));
        json_decref(post(&sb, "/api/v2/batch",
                         "{\"batch\":[" PERSON("1", "{\"email\":\"b@example.com\"}") "]}", 200));
        p = person(&sb, "id=1");
        assert_string_equal(jstr(p, "email"), "b@example.com");
        json_decref(p);
        j = post(&sb, "/api/v2/batch",
                 "{\"batch\":[{\"type\":\"person\",\"identifiers\":{\"email\":\"b@example.com\"},"
                 "\"action\":\"identify\",\"attributes\":{\"email\":\"c@example.com\"}}]}",
                 207);
        expect_error(j, 0, "failed attribute change", NULL);
        json_decref(j);
        sandbox_stop(&sb);
}

static void test_relationships(void **state)
{
        json_t *j, *r;

        (void)state;
        json_decref(post(&main_sb, "/api/v2/batch",
                         "{\"batch\":["
                         "{\"type\":\"object\",\"identifiers\":{\"object_type_id\":\"1\","
                         "\"object_id\":\"acme\"},\"action\":\"identify\",\"attributes\":"
                         "{\"name\":\"Acme\",\"seats\":50}},"
                         "{\"type\":\"person\",\"identifiers\":{\"id\":\"42\"},"
                         "\"action\":\"add_relationships\",\"cio_relationships\":[{\"identifiers\":"
                         "{\"object_type_id\":\"1\",\"object_id\":\"acme\"},"
                         "\"relationship_attributes\":{\"role\":\"admin\",\"since\":2020}}]},"
                         "{\"type\":\"object\",\"identifiers\":{\"object_type_id\":\"2\","
                         "\"object_id\":\"course\"},\"action\":\"add_relationships\","
                         "\"cio_relationships\":[{\"identifiers\":{\"id\":\"42\"},"
                         "\"relationship_attributes\":{\"grade\":\"A\"}},"
                         "{\"identifiers\":{\"email\":\"kid@example.com\"}}]}]}",
                         200));
        j = get(&main_sb, "/_sandbox/objects?type=1&id=acme", 200);
        assert_int_equal(jint(j, "count"), 1);
        assert_int_equal(jint(json_array_get(json_object_get(j, "objects"), 0),
                              "attributes.seats"), 50);
        json_decref(j);
        j = get(&main_sb, "/_sandbox/relationships?id=42", 200);
        assert_int_equal(jint(j, "count"), 2);
        json_decref(j);
        j = get(&main_sb, "/_sandbox/relationships?type=1&object_id=acme", 200);
        r = json_array_get(json_object_get(j, "relationships"), 0);
        assert_string_equal(jstr(r, "attributes.role"), "admin");
        assert_int_equal(jint(r, "attributes.since"), 2020);
        assert_string_equal(jstr(r, "person.id"), "42");
        json_decref(j);
        /* update relationship attributes (null removes) */
        json_decref(post(&main_sb, "/api/v2/entity",
                         "{\"type\":\"person\",\"identifiers\":{\"id\":\"42\"},"
                         "\"action\":\"add_relationships\",\"cio_relationships\":[{\"identifiers\":"
                         "{\"object_type_id\":\"1\",\"object_id\":\"acme\"},"
                         "\"relationship_attributes\":{\"role\":null,\"level\":2}}]}",
                         200));
        j = get(&main_sb, "/_sandbox/relationships?type=1&object_id=acme", 200);
        r = json_array_get(json_object_get(j, "relationships"), 0);
        assert_null(json_object_get(json_object_get(r, "attributes"), "role"));
        assert_int_equal(jint(r, "attributes.level"), 2);
        json_decref(j);
        /* unknown object type in a relationship; suppressed person on the object side */
        j = post(&main_sb, "/api/v2/batch",
                 "{\"batch\":[{\"type\":\"person\",\"identifiers\":{\"id\":\"42\"},"
                 "\"action\":\"add_relationships\",\"cio_relationships\":[{\"identifiers\":"
                 "{\"object_type_id\":\"5\",\"object_id\":\"x\"}}]},"
                 "{\"type\":\"object\",\"identifiers\":{\"object_type_id\":\"1\","
                 "\"object_id\":\"acme\"},\"action\":\"add_relationships\","
                 "\"cio_relationships\":[{\"identifiers\":{\"id\":\"99\"}}]}]}",
                 207);
        expect_error(j, 0, "invalid", "object type 5");
        expect_error(j, 1, "suppressed", NULL);
        json_decref(j);
        /* delete from both sides */
        json_decref(post(&main_sb, "/api/v2/batch",
                         "{\"batch\":[{\"type\":\"person\",\"identifiers\":{\"id\":\"42\"},"
                         "\"action\":\"delete_relationships\",\"cio_relationships\":[{"
                         "\"identifiers\":{\"object_type_id\":\"1\",\"object_id\":\"acme\"}}]},"
                         "{\"type\":\"object\",\"identifiers\":{\"object_type_id\":\"2\","
                         "\"object_id\":\"course\"},\"action\":\"delete_relationships\","
                         "\"cio_relationships\":[{\"identifiers\":{\"email\":"
                         "\"kid@example.com\"}}]}]}",
                         200));
        j = get(&main_sb, "/_sandbox/relationships", 200);
        assert_int_equal(jint(j, "count"), 1);
        r = json_array_get(json_object_get(j, "relationships"), 0);
        assert_string_equal(jstr(r, "object_id"), "course");
        assert_string_equal(jstr(r, "person.id"), "42");
        json_decref(j);
}

static void test_segments(void **state)
{
        struct resp r;
        json_t *j, *s;
        char *body;
        size_t off;

        (void)state;
        json_decref(post(&main_sb, "/api/v2/batch",
                         "{\"batch\":[" PERSON("1", "{\"email\":\"one@example.com\"}") ","
                         PERSON("2", "{\"email\":\"two@example.com\"}") "]}", 200));
        json_decref(post(&main_sb, "/api/v1/segments/10/add_customers",
                         "{\"ids\":[\"1\",\"2\",\"nobody\"]}", 200));
        json_decref(post(&main_sb, "/api/v1/segments/11/add_customers?id_type=email",
                         "{\"ids\":[\"TWO@example.com\"]}", 200));
        json_decref(post(&main_sb, "/api/v1/segments/10/remove_customers?id_type=id",
                         "{\"ids\":[\"1\"]}", 200));
        j = get(&main_sb, "/_sandbox/segments", 200);
        s = json_object_get(j, "segments");
        assert_int_equal(json_array_size(s), 2);
        assert_int_equal(jint(json_array_get(s, 0), "id"), 10);
        assert_int_equal(jint(json_array_get(s, 0), "count"), 1);
        assert_string_equal(jstr(json_array_get(json_object_get(json_array_get(s, 0), "members"),
                                                0), "id"), "2");
        assert_int_equal(jint(json_array_get(s, 1), "count"), 1);
        json_decref(j);
        /* by cio_id */
        j = person(&main_sb, "id=2");
        body = malloc(200);
        snprintf(body, 200, "{\"ids\":[\"%s\"]}", jstr(j, "cio_id"));
        json_decref(j);
        json_decref(post(&main_sb, "/api/v1/segments/11/remove_customers?id_type=cio_id", body,
                         200));
        free(body);
        j = get(&main_sb, "/_sandbox/segments", 200);
        assert_int_equal(jint(json_array_get(json_object_get(j, "segments"), 1), "count"), 0);
        json_decref(j);
        /* a segment that does not exist */
        j = post(&main_sb, "/api/v1/segments/12/add_customers", "{\"ids\":[\"1\"]}", 404);
        assert_non_null(json_object_get(json_object_get(j, "meta"), "errors"));
        json_decref(j);
        json_decref(post(&main_sb, "/api/v1/segments/abc/add_customers", "{\"ids\":[\"1\"]}",
                         404));
        /* bad id_type, empty ids, not an array */
        json_decref(post(&main_sb, "/api/v1/segments/10/add_customers?id_type=phone",
                         "{\"ids\":[\"1\"]}", 400));
        json_decref(post(&main_sb, "/api/v1/segments/10/add_customers", "{\"ids\":[]}", 400));
        json_decref(post(&main_sb, "/api/v1/segments/10/add_customers", "{\"ids\":\"1\"}", 400));
        /* 1000 ids pass, 1001 do not */
        body = malloc(20000);
        off = (size_t)snprintf(body, 20000, "{\"ids\":[");
        for (int i = 0; i < 1001; i++)
                off += (size_t)snprintf(body + off, 20000 - off, "%s\"%d\"", i ? "," : "", i);
        snprintf(body + off, 20000 - off, "]}");
        http(&main_sb, "POST", "/api/v1/segments/10/add_customers", body, AUTH, &r);
        assert_int_equal(r.status, 400);
        assert_non_null(strstr(r.body, "1000"));
        free(r.body);
        /* cut to exactly 1000 */
        *strrchr(body, ',') = '\0';
        strncat(body, "]}", 3);
        http(&main_sb, "POST", "/api/v1/segments/10/add_customers", body, AUTH, &r);
        assert_int_equal(r.status, 200);
        free(r.body);
        free(body);
}

static void test_limits(void **state)
{
        size_t n = 520 * 1024, off;
        char *body = malloc(n + 1024);
        struct http_opts o = {.userpwd = AUTH, .expect_continue = 1};
        struct resp r;
        json_t *j;

        (void)state;
        /* a valid batch just over 500 KB */
        off = (size_t)snprintf(body, n, "{\"batch\":[");
        for (int i = 0; off < n - 200; i++)
                off += (size_t)snprintf(body + off, n - off, "%s" PERSON("L%d", "{\"pad\":\"%s\"}"),
                                        i ? "," : "", i,
                                        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        off += (size_t)snprintf(body + off, n + 1024 - off, "]}");
        assert_true(off > 500 * 1024);
        /* declared length: refused before the body is read */
        http_x(&main_sb, "POST", "/api/v2/batch", body, off, &o, &r);
        assert_int_equal(r.cc, CURLE_OK);
        assert_int_equal(r.status, 400);
        assert_non_null(strstr(r.body, "too_large"));
        free(r.body);
        /* chunked: read, not kept, refused */
        o.expect_continue = 0;
        o.chunked = 1;
        http_x(&main_sb, "POST", "/api/v2/batch", body, off, &o, &r);
        assert_int_equal(r.cc, CURLE_OK);
        assert_int_equal(r.status, 400);
        assert_non_null(strstr(r.body, "too_large"));
        free(r.body);
        assert_null(person(&main_sb, "id=L0"));
        /* /entity over 32 KB */
        o.chunked = 0;
        memset(body, 'y', 40000);
        memcpy(body, "{\"type\":\"person\",\"identifiers\":{\"id\":\"E\"},\"action\":\"identify\","
                     "\"attributes\":{\"b\":\"", 81);
        memcpy(body + 39990, "\"}}", 4);
        http_x(&main_sb, "POST", "/api/v2/entity", body, strlen(body), &o, &r);
        assert_int_equal(r.status, 400);
        free(r.body);
        /* a batch of 499 KB is fine */
        off = (size_t)snprintf(body, n, "{\"batch\":[");
        for (int i = 0; off < 499 * 1024 - 200; i++)
                off += (size_t)snprintf(body + off, n - off, "%s" PERSON("M%d", "{}"),
                                        i ? "," : "", i);
        snprintf(body + off, n - off, "]}");
        j = post(&main_sb, "/api/v2/batch", body, 200);
        json_decref(j);
        free(body);
}

static void test_faults_script(void **state)
{
        struct resp r;
        const char *b = "{\"batch\":[" PERSON("F", "{}") "]}";
        json_t *j;

        (void)state;
        json_decref(post(&main_sb, "/_sandbox/faults", "{\"script\":[503,429,0,500,200]}", 200));
        http(&main_sb, "POST", "/api/v2/batch", b, AUTH, &r);
        assert_int_equal(r.status, 503);
        free(r.body);
        assert_null(person(&main_sb, "id=F")); /* not applied */
        http(&main_sb, "POST", "/api/v2/batch", b, AUTH, &r);
        assert_int_equal(r.status, 429);
        assert_string_equal(r.retry_after, "1");
        free(r.body);
        http(&main_sb, "POST", "/api/v2/batch", b, AUTH, &r);
        assert_int_equal(r.cc, CURLE_GOT_NOTHING); /* dropped connection */
        free(r.body);
        http(&main_sb, "POST", "/api/v2/batch", b, AUTH, &r);
        assert_int_equal(r.status, 500);
        free(r.body);
        assert_null(person(&main_sb, "id=F"));
        http(&main_sb, "POST", "/api/v2/batch", b, AUTH, &r);
        assert_int_equal(r.status, 200);
        free(r.body);
        j = person(&main_sb, "id=F");
        assert_non_null(j);
        json_decref(j);
        /* the script is spent */
        j = get(&main_sb, "/_sandbox/faults", 200);
        assert_int_equal(json_array_size(json_object_get(j, "script")), 0);
        json_decref(j);
        j = get(&main_sb, "/_sandbox/counters", 200);
        assert_int_equal(jint(j, "requests.dropped"), 1);
        assert_int_equal(jint(j, "faults.script"), 4);
        json_decref(j);
        /* the ring shows the dropped request as status 0 */
        j = get(&main_sb, "/_sandbox/requests?limit=5", 200);
        assert_int_equal(jint(json_array_get(json_object_get(j, "requests"), 2), "status"), 0);
        assert_string_equal(jstr(json_array_get(json_object_get(j, "requests"), 2), "fault"),
                            "script");
        json_decref(j);
}

static void test_faults_settings(void **state)
{
        struct resp r;
        const char *b = "{\"batch\":[" PERSON("G", "{}") "]}";
        int limited = 0;
        json_t *j;

        (void)state;
        /* every request fails with the chosen status */
        json_decref(post(&main_sb, "/_sandbox/faults", "{\"error_rate\":1,\"error_status\":502}",
                         200));
        http(&main_sb, "POST", "/api/v2/batch", b, AUTH, &r);
        assert_int_equal(r.status, 502);
        free(r.body);
        assert_null(person(&main_sb, "id=G"));
        /* every connection dropped */
        json_decref(post(&main_sb, "/_sandbox/faults", "{\"drop_rate\":1}", 200));
        http(&main_sb, "POST", "/api/v2/batch", b, AUTH, &r);
        assert_int_equal(r.cc, CURLE_GOT_NOTHING);
        free(r.body);
        /* latency */
        json_decref(post(&main_sb, "/_sandbox/faults", "{\"latency_ms\":300}", 200));
        http(&main_sb, "POST", "/api/v2/batch", b, AUTH, &r);
        assert_int_equal(r.status, 200);
        assert_true(r.secs >= 0.29);
        free(r.body);
        /* rate limit 1/s: of three quick requests (within two one-second
         * windows at most), at least one is refused with Retry-After */
        json_decref(post(&main_sb, "/_sandbox/faults", "{\"rate_limit\":1}", 200));
        for (int i = 0; i < 3; i++) {
                http(&main_sb, "POST", "/api/v2/batch", b, AUTH, &r);
                if (r.status == 429) {
                        limited++;
                        assert_string_equal(r.retry_after, "1");
                } else {
                        assert_int_equal(r.status, 200);
                }
                free(r.body);
        }
        assert_true(limited >= 1);
        /* {} clears; bad settings are refused */
        json_decref(post(&main_sb, "/_sandbox/faults", "{\"error_rate\":7}", 400));
        j = post(&main_sb, "/_sandbox/faults", "{}", 200);
        assert_true(json_number_value(json_object_get(j, "rate_limit")) == 0);
        json_decref(j);
        http(&main_sb, "POST", "/api/v2/batch", b, AUTH, &r);
        assert_int_equal(r.status, 200);
        free(r.body);
        /* admin endpoints are never faulted */
        json_decref(post(&main_sb, "/_sandbox/faults", "{\"error_rate\":1}", 200));
        json_decref(get(&main_sb, "/_sandbox/counters", 200));
        json_decref(post(&main_sb, "/_sandbox/faults", "{}", 200));
}

static void test_inspection(void **state)
{
        struct resp r;
        json_t *j, *q;
        size_t i;

        (void)state;
        json_decref(post(&main_sb, "/api/v2/batch", "{\"batch\":[" PERSON("1", "{}") "]}", 200));
        /* suppress through the admin endpoint */
        json_decref(post(&main_sb, "/_sandbox/suppress", "{\"id\":\"1\"}", 200));
        json_decref(post(&main_sb, "/_sandbox/suppress", "{\"email\":\"bad\"}", 400));
        j = post(&main_sb, "/api/v2/batch", "{\"batch\":[" PERSON("1", "{}") "]}", 207);
        expect_error(j, 0, "suppressed", "person is suppressed");
        json_decref(j);
        j = get(&main_sb, "/_sandbox/suppressions", 200);
        assert_int_equal(json_array_size(json_object_get(j, "ids")), 2); /* 99 and 1 */
        json_decref(j);
        json_decref(post(&main_sb, "/_sandbox/unsuppress", "{\"id\":\"1\"}", 200));
        json_decref(post(&main_sb, "/api/v2/batch", "{\"batch\":[" PERSON("1", "{}") "]}", 200));
        /* the request ring: no Authorization header anywhere */
        http(&main_sb, "GET", "/_sandbox/requests?limit=2", NULL, NULL, &r);
        assert_int_equal(r.status, 200);
        assert_null(strstr(r.body, "Authorization"));
        assert_null(strstr(r.body, "c2FuZGJveDpzYW5kYm94")); /* base64 of sandbox:sandbox */
        j = json_loads(r.body, 0, NULL);
        free(r.body);
        assert_int_equal(json_array_size(json_object_get(j, "requests")), 2);
        json_array_foreach(json_object_get(j, "requests"), i, q) {
                assert_string_equal(jstr(q, "method"), "POST");
                assert_string_equal(jstr(q, "path"), "/api/v2/batch");
                assert_int_equal(jint(q, "entities"), 1);
                assert_true(jint(q, "body_bytes") > 0);
                assert_true(jint(q, "time_ms") > 0);
        }
        assert_int_equal(jint(json_array_get(json_object_get(j, "requests"), 0), "status"), 207);
        assert_int_equal(jint(json_array_get(json_object_get(j, "requests"), 1), "status"), 200);
        json_decref(j);
        j = get(&main_sb, "/_sandbox/people", 200);
        assert_int_equal(jint(j, "count"), 1);
        json_decref(j);
        j = get(&main_sb, "/_sandbox/counters", 200);
        /* the action label holds a dot: walk by hand */
        assert_int_equal(jint(json_object_get(json_object_get(json_object_get(j, "entities"),
                                                              "by_action"),
                                              "person.identify"),
                              "accepted"),
                         2);
        json_decref(j);
        /* the index page */
        http(&main_sb, "GET", "/", NULL, NULL, &r);
        assert_int_equal(r.status, 200);
        assert_non_null(strstr(r.body, "/_sandbox/people"));
        free(r.body);
        json_decref(get(&main_sb, "/_sandbox/nothing", 404));
}

static void test_state_restart(void **state)
{
        char path[512];
        const char *args[] = {"--state", path, "--segments", "10", "--object-types", "1,2", NULL};
        struct sandbox sb;
        json_t *j, *p;

        (void)state;
        snprintf(path, sizeof(path), "%s/state.sqlite", tmpdir());
        unlink(path);
        sandbox_start(&sb, "state1", args);
        json_decref(post(&sb, "/api/v2/batch",
                         "{\"batch\":[" PERSON("1", "{\"email\":\"one@example.com\",\"n\":1.25,"
                                                    "\"o\":{\"deep\":[true,null]}}") ","
                         "{\"type\":\"object\",\"identifiers\":{\"object_type_id\":\"2\","
                         "\"object_id\":\"acme\"},\"action\":\"identify\",\"attributes\":"
                         "{\"name\":\"Acme\"}},"
                         "{\"type\":\"person\",\"identifiers\":{\"id\":\"1\"},"
                         "\"action\":\"add_relationships\",\"cio_relationships\":[{\"identifiers\":"
                         "{\"object_type_id\":\"2\",\"object_id\":\"acme\"},"
                         "\"relationship_attributes\":{\"role\":\"owner\"}}]}]}",
                         200));
        json_decref(post(&sb, "/api/v1/segments/10/add_customers", "{\"ids\":[\"1\"]}", 200));
        json_decref(post(&sb, "/_sandbox/segments", "{\"id\":20}", 200));
        json_decref(post(&sb, "/_sandbox/suppress", "{\"email\":\"gone@example.com\"}", 200));
        sandbox_stop(&sb);

        sandbox_start(&sb, "state2", args);
        p = person(&sb, "email=ONE@example.com");
        assert_non_null(p);
        assert_string_equal(jstr(p, "id"), "1");
        assert_true(json_real_value(json_object_get(json_object_get(p, "attributes"), "n")) ==
                    1.25);
        assert_true(json_is_null(json_array_get(
                json_object_get(json_object_get(json_object_get(p, "attributes"), "o"), "deep"),
                1)));
        assert_int_equal(json_integer_value(json_array_get(json_object_get(p, "segments"), 0)), 10);
        json_decref(p);
        j = get(&sb, "/_sandbox/objects?type=2", 200);
        assert_int_equal(jint(j, "count"), 1);
        json_decref(j);
        j = get(&sb, "/_sandbox/relationships", 200);
        assert_string_equal(jstr(json_array_get(json_object_get(j, "relationships"), 0),
                                 "attributes.role"), "owner");
        json_decref(j);
        j = get(&sb, "/_sandbox/segments", 200);
        assert_int_equal(json_array_size(json_object_get(j, "segments")), 2);
        json_decref(j);
        j = post(&sb, "/api/v2/batch",
                 "{\"batch\":[{\"type\":\"person\",\"identifiers\":{\"email\":"
                 "\"gone@example.com\"},\"action\":\"identify\"}]}",
                 207);
        expect_error(j, 0, "suppressed", NULL);
        json_decref(j);
        /* the unique index came back too */
        j = post(&sb, "/api/v2/batch",
                 "{\"batch\":[" PERSON("2", "{\"email\":\"one@example.com\"}") "]}", 207);
        expect_error(j, 0, "failed attribute change", "already belongs");
        json_decref(j);
        sandbox_stop(&sb);
}

static void test_cli(void **state)
{
        char cmd[1024], out[512];
        FILE *f;
        int status;
        size_t n;

        (void)state;
        snprintf(cmd, sizeof(cmd), "%s sandbox --help", retl_bin());
        f = popen(cmd, "r");
        assert_non_null(f);
        n = fread(out, 1, sizeof(out) - 1, f);
        out[n] = '\0';
        status = pclose(f);
        assert_int_equal(WEXITSTATUS(status), 0);
        assert_non_null(strstr(out, "--listen"));
        snprintf(cmd, sizeof(cmd), "%s sandbox --bogus 2>&1", retl_bin());
        f = popen(cmd, "r");
        n = fread(out, 1, sizeof(out) - 1, f);
        out[n] = '\0';
        status = pclose(f);
        assert_int_equal(WEXITSTATUS(status), 2);
        assert_non_null(strstr(out, "unknown option '--bogus'"));
        snprintf(cmd, sizeof(cmd), "%s sandbox --identifiers phone 2>&1", retl_bin());
        f = popen(cmd, "r");
        n = fread(out, 1, sizeof(out) - 1, f);
        out[n] = '\0';
        status = pclose(f);
        assert_int_equal(WEXITSTATUS(status), 2);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup(test_auth, reset),
                cmocka_unit_test_setup(test_200_types_and_removal, reset),
                cmocka_unit_test_setup(test_numbers_as_sent, reset),
                cmocka_unit_test_setup(test_207, reset),
                cmocka_unit_test_setup(test_400, reset),
                cmocka_unit_test_setup(test_update_only, reset),
                cmocka_unit_test_setup(test_email_update_setting, reset),
                cmocka_unit_test_setup(test_relationships, reset),
                cmocka_unit_test_setup(test_segments, reset),
                cmocka_unit_test_setup(test_limits, reset),
                cmocka_unit_test_setup(test_faults_script, reset),
                cmocka_unit_test_setup(test_faults_settings, reset),
                cmocka_unit_test_setup(test_inspection, reset),
                cmocka_unit_test(test_state_restart),
                cmocka_unit_test(test_cli),
        };
        return cmocka_run_group_tests_name("sandbox_api", tests, group_setup, group_teardown);
}
