/* retl — `retl demo`: the whole job on an embedded default, nothing to set up.
 *
 * A sample CRM in SQLite served through the SQL Server stand-in (so the real
 * FreeTDS path runs), Kafka in this process (librdkafka's mock cluster),
 * `retl sandbox` as the workspace, and the real `retl extract --once` and
 * `retl upload` daemons as child processes. It imports people, companies and
 * memberships, changes some source rows, runs the next incremental sync, and
 * checks that the workspace holds exactly what the source says. Exit 0 only
 * when everything arrived as expected. */
#include "cli/commands.h"
#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/kafka.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/scan.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <librdkafka/rdkafka_mock.h>
#include <limits.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NPEOPLE 40
#define NCOMPANIES 6
#define DEMO_PREFIX "demo.ws."
#define DEMO_STATE_PREFIX "demo.state."

struct demo {
        char dir[256];
        char self[PATH_MAX];
        char standin[PATH_MAX];
        char cfg[320];
        char db[320];
        char sandbox_url[64];
        int db_port;
        pid_t standin_pid, sandbox_pid, upload_pid, console_pid;
        rd_kafka_t *mock_rk;
        char brokers[256];
        int checks, failed;
        int64_t now;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
        interrupted = sig;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        fflush(stdout);
}

static void check(struct demo *d, int ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void check(struct demo *d, int ok, const char *fmt, ...)
{
        va_list ap;
        d->checks++;
        if (!ok)
                d->failed++;
        printf("  %s ", ok ? "ok  " : "FAIL");
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        fflush(stdout);
}

static void sleep_ms(int ms)
{
        nanosleep(&(struct timespec){ms / 1000, (long)(ms % 1000) * 1000000L}, NULL);
}

/* ------------------------------------------------------------------ */
/* Child processes                                                     */
/* ------------------------------------------------------------------ */

/* Starts @p argv with stdout+stderr to @p logfile. */
static pid_t spawn(char *const argv[], const char *logfile)
{
        pid_t pid = fork();
        if (pid == 0) {
                FILE *log = fopen(logfile, "a");
                if (log) {
                        dup2(fileno(log), 1);
                        dup2(fileno(log), 2);
                }
                execv(argv[0], argv);
                fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        return pid;
}

static int wait_status(pid_t pid)
{
        int st;
        while (waitpid(pid, &st, 0) < 0)
                if (errno != EINTR)
                        return -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void stop_child(pid_t *pid)
{
        if (*pid <= 0)
                return;
        kill(*pid, SIGTERM);
        for (int i = 0; i < 100; i++) {
                if (waitpid(*pid, NULL, WNOHANG) == *pid) {
                        *pid = 0;
                        return;
                }
                sleep_ms(100);
        }
        kill(*pid, SIGKILL);
        waitpid(*pid, NULL, 0);
        *pid = 0;
}

/* Waits for a child's --port-file. @returns the port or -1. */
static int wait_port(const char *path, pid_t pid, int timeout_ms)
{
        for (int waited = 0; waited < timeout_ms; waited += 50) {
                FILE *f = fopen(path, "r");
                int port = -1;
                if (f) {
                        if (fscanf(f, "%d", &port) != 1)
                                port = -1;
                        fclose(f);
                        if (port > 0)
                                return port;
                }
                if (waitpid(pid, NULL, WNOHANG) == pid)
                        return -1;
                sleep_ms(50);
        }
        return -1;
}

/* ------------------------------------------------------------------ */
/* The sample source                                                   */
/* ------------------------------------------------------------------ */

static const char *const first_names[] = {"Ada", "Grace", "Alan", "Edsger", "Barbara",
                                          "Donald", "Frances", "Ken", "Radia", "Linus"};
static const char *const last_names[] = {"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov",
                                         "Knuth", "Allen", "Thompson", "Perlman", "Torvalds"};
static const char *const plans[] = {"free", "team", "business"};
static const char *const companies[][2] = {
        {"acme", "Acme Corporation"},   {"globex", "Globex"},     {"initech", "Initech"},
        {"umbrella", "Umbrella Corp."}, {"hooli", "Hooli"},       {"stark", "Stark Industries"},
};

static int sql(sqlite3 *db, const char *text, char *errstr, size_t errstr_size)
{
        char *msg = NULL;
        if (sqlite3_exec(db, text, NULL, NULL, &msg) != SQLITE_OK) {
                snprintf(errstr, errstr_size, "sample database: %s", msg ? msg : "?");
                sqlite3_free(msg);
                return -1;
        }
        return 0;
}

static int make_source(struct demo *d, char *errstr, size_t errstr_size)
{
        sqlite3 *db;
        struct retl_buf b;
        int rc = -1, err = 0;
        int64_t old = d->now - 86400;

        if (sqlite3_open(d->db, &db) != SQLITE_OK) {
                snprintf(errstr, errstr_size, "cannot create %s", d->db);
                return -1;
        }
        retl_buf_init(&b, 0);
        err |= retl_buf_puts(&b,
                "BEGIN;"
                "CREATE TABLE people (id INT PRIMARY KEY, email NVARCHAR(255), "
                " first_name NVARCHAR(100), last_name NVARCHAR(100), plan VARCHAR(20), "
                " lifetime_value DECIMAL(12,2), is_vip BIT, signed_up DATETIME2(0), "
                " updated_unix BIGINT);"
                "CREATE TABLE companies (object_id NVARCHAR(50) PRIMARY KEY, name NVARCHAR(100), "
                " employees INT, founded DATE, updated_unix BIGINT);"
                "CREATE TABLE memberships (person_id INT, company_id NVARCHAR(50), "
                " role NVARCHAR(50), deleted BIT, updated_unix BIGINT);");
        for (int i = 1; i <= NPEOPLE; i++)
                err |= retl_buf_printf(&b,
                        "INSERT INTO people VALUES (%d, 'person%d@example.com', '%s', '%s', '%s', "
                        "'%d.%02d', %d, '2024-0%d-1%d 09:30:00', %lld);",
                        i, i, first_names[i % 10], last_names[(i * 3) % 10], plans[i % 3],
                        i * 137, i % 100, i % 7 == 0, 1 + i % 9, i % 10, (long long)old);
        for (int i = 0; i < NCOMPANIES; i++)
                err |= retl_buf_printf(&b,
                        "INSERT INTO companies VALUES ('%s', '%s', %d, '19%02d-01-15', %lld);",
                        companies[i][0], companies[i][1], (i + 1) * 250, 50 + i * 7,
                        (long long)old);
        for (int i = 1; i <= NPEOPLE; i++)
                err |= retl_buf_printf(&b,
                        "INSERT INTO memberships VALUES (%d, '%s', '%s', 0, %lld);", i,
                        companies[i % NCOMPANIES][0], i % 5 == 0 ? "admin" : "member",
                        (long long)old);
        err |= retl_buf_puts(&b, "COMMIT;");
        if (err)
                snprintf(errstr, errstr_size, "sample database: out of buffer");
        else if (!sql(db, retl_buf_str(&b), errstr, errstr_size))
                rc = 0;
        retl_buf_free(&b);
        sqlite3_close(db);
        return rc;
}

/* The changes between the two runs: three people change plan, a new person
 * arrives with an email the workspace must refuse, a membership ends. */
static int change_source(struct demo *d, char *errstr, size_t errstr_size)
{
        sqlite3 *db;
        char text[1024];
        int rc;
        int64_t t = (int64_t)time(NULL) + 1;

        if (sqlite3_open(d->db, &db) != SQLITE_OK) {
                snprintf(errstr, errstr_size, "cannot open %s", d->db);
                return -1;
        }
        snprintf(text, sizeof(text),
                 "BEGIN;"
                 "UPDATE people SET plan = 'enterprise', updated_unix = %lld WHERE id IN (3, 4, 5);"
                 "INSERT INTO people VALUES (%d, 'not-an-email', 'Bad', 'Address', 'free', "
                 " '0.00', 0, '2024-06-01 10:00:00', %lld);"
                 "UPDATE memberships SET deleted = 1, updated_unix = %lld WHERE person_id = 2;"
                 "COMMIT;",
                 (long long)t, NPEOPLE + 1, (long long)t, (long long)t);
        rc = sql(db, text, errstr, errstr_size);
        sqlite3_close(db);
        return rc;
}

/* ------------------------------------------------------------------ */
/* Kafka in this process                                               */
/* ------------------------------------------------------------------ */

static int start_kafka(struct demo *d, char *errstr, size_t errstr_size)
{
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_mock_cluster_t *mc;
        static const char *const topics[] = {DEMO_PREFIX "acme", DEMO_STATE_PREFIX "acme",
                                             "demo.imports", "demo.failures"};

        if (rd_kafka_conf_set(conf, "test.mock.num.brokers", "1", errstr, errstr_size) ||
            rd_kafka_conf_set(conf, "log_level", "3", errstr, errstr_size)) {
                rd_kafka_conf_destroy(conf);
                return -1;
        }
        d->mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, errstr_size);
        if (!d->mock_rk) {
                rd_kafka_conf_destroy(conf);
                return -1;
        }
        mc = rd_kafka_handle_mock_cluster(d->mock_rk);
        if (!mc) {
                snprintf(errstr, errstr_size, "librdkafka did not start its mock cluster");
                return -1;
        }
        snprintf(d->brokers, sizeof(d->brokers), "%s", rd_kafka_mock_cluster_bootstraps(mc));
        /* The mock creates missing topics with 4 partitions and cannot create
         * them through the admin API: make them here, with one. */
        for (size_t i = 0; i < sizeof(topics) / sizeof(topics[0]); i++)
                if (rd_kafka_mock_topic_create(mc, topics[i], 1, 1)) {
                        snprintf(errstr, errstr_size, "mock cluster: cannot create %s",
                                 topics[i]);
                        return -1;
                }
        return 0;
}

static int write_config(struct demo *d, char *errstr, size_t errstr_size)
{
        FILE *f = fopen(d->cfg, "w");
        if (!f) {
                snprintf(errstr, errstr_size, "cannot write %s", d->cfg);
                return -1;
        }
        fprintf(f,
                "# retl demo configuration: written by `retl demo`.\n"
                "log_level = \"info\";\n"
                "kafka = {\n"
                "  brokers = \"%s\";            # librdkafka's mock cluster, in the demo process\n"
                "  topic_prefix = \"" DEMO_PREFIX "\";\n"
                "  state_topic_prefix = \"" DEMO_STATE_PREFIX "\";  # the row state\n"
                "  group = \"demo-uploaders\";\n"
                "  imports_topic = \"demo.imports\";\n"
                "  failures_topic = \"demo.failures\";\n"
                "  replication_factor = 1;\n"
                "  properties = { session_timeout_ms = 6000; heartbeat_interval_ms = 500; };\n"
                "};\n"
                "workspaces = (\n"
                "  { name = \"acme\"; api_url = \"%s\"; site_id = \"demo\";\n"
                "    api_key_env = \"RETL_DEMO_API_KEY\"; }\n"
                ");\n"
                "databases = (\n"
                "  { name = \"crm\"; host = \"127.0.0.1\"; port = %d; database = \"crm\";\n"
                "    user = \"retl_reader\"; password_env = \"RETL_DEMO_DB_PASSWORD\";\n"
                "    encryption = \"off\"; }\n"
                ");\n"
                "syncs = (\n"
                "  { name = \"people\"; workspace = \"acme\"; database = \"crm\";\n"
                "    import = \"people\"; identify_by = \"id\"; interval = \"1h\";\n"
                "    segment = 7;\n"
                "    query = \"SELECT id, email, first_name, last_name, plan, lifetime_value,\"\n"
                "            \" is_vip, signed_up FROM people\"\n"
                "            \" WHERE updated_unix > {{last_sync_time}}\";\n"
                "    relationship_query = \"SELECT person_id AS id, company_id AS object_id,\"\n"
                "            \" role, deleted FROM memberships\"\n"
                "            \" WHERE updated_unix > {{last_sync_time}}\"; },\n"
                "  { name = \"companies\"; workspace = \"acme\"; database = \"crm\";\n"
                "    import = \"objects\"; object_type_id = \"1\"; interval = \"1h\";\n"
                "    query = \"SELECT object_id, name, employees, founded FROM companies\"\n"
                "            \" WHERE updated_unix > {{last_sync_time}}\"; }\n"
                ");\n",
                d->brokers, d->sandbox_url, d->db_port);
        fclose(f);
        return 0;
}

/* ------------------------------------------------------------------ */
/* Watching imports                                                    */
/* ------------------------------------------------------------------ */

struct wait_imports {
        const char *sync;
        int64_t since_ms;
        int done;
        struct retl_import_report last;
        char run_id[256];
};

static int on_report(void *opaque, int64_t offset, int64_t ts, const struct retl_record *rec,
                     const char *why)
{
        struct wait_imports *w = opaque;
        const struct retl_import_report *r;
        if (!rec || rec->type != RETL_REC_IMPORT_REPORT)
                return 0;
        r = &rec->u.import_report;
        if (strcmp(r->sync, w->sync) || r->started_at_ms < w->since_ms)
                return 0;
        w->done = r->status != RETL_IMPORT_RUNNING;
        w->last = *r;
        snprintf(w->run_id, sizeof(w->run_id), "%s", r->run_id);
        w->last.run_id = w->run_id;
        w->last.sync = w->sync;
        w->last.workspace = w->last.error = w->last.replay_of = NULL;
        return 0;
}

/* Waits until the uploader reported the end of @p sync's run started after
 * @p since_ms. @returns 0, or -1 after the timeout. */
static int wait_import(struct demo *d, struct retl_cfg *cfg, struct wait_imports *w,
                       int timeout_s)
{
        char err[512];
        time_t start = time(NULL), last_say = start;
        while (!interrupted && time(NULL) - start < timeout_s) {
                w->done = 0;
                if (retl_scan_topic(&cfg->kafka, cfg->kafka.imports_topic, 0, 0, on_report, w, err,
                                    sizeof(err)))
                        say("    (reading imports: %s)\n", err);
                if (w->done)
                        return 0;
                if (time(NULL) - last_say >= 5) {
                        last_say = time(NULL);
                        say("    ... the uploader is still importing %s (%lds)\n", w->sync,
                            (long)(last_say - start));
                }
                sleep_ms(300);
        }
        return -1;
}

/* ------------------------------------------------------------------ */
/* The sandbox's inspection API                                        */
/* ------------------------------------------------------------------ */

static size_t on_body(char *p, size_t size, size_t n, void *opaque)
{
        return retl_buf_append(opaque, p, size * n) ? 0 : size * n;
}

static json_t *get_json(struct demo *d, const char *path)
{
        CURL *easy = curl_easy_init();
        struct retl_buf body;
        char url[512];
        json_t *j = NULL;
        long status = 0;

        retl_buf_init(&body, 64 << 20);
        snprintf(url, sizeof(url), "%s%s", d->sandbox_url, path);
        curl_easy_setopt(easy, CURLOPT_URL, url);
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(easy, CURLOPT_WRITEDATA, &body);
        curl_easy_setopt(easy, CURLOPT_TIMEOUT, 10L);
        if (curl_easy_perform(easy) == CURLE_OK &&
            curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK && status == 200)
                j = json_loadb(body.b_data, body.b_len, 0, NULL);
        curl_easy_cleanup(easy);
        retl_buf_free(&body);
        return j;
}

/* ------------------------------------------------------------------ */
/* The run                                                             */
/* ------------------------------------------------------------------ */

static int extract_once(struct demo *d, const char *sync)
{
        char log[320];
        char *argv[] = {d->self, "extract", "-c", d->cfg, "--once", (char *)sync, NULL};
        int st;
        snprintf(log, sizeof(log), "%s/extract.log", d->dir);
        st = wait_status(spawn(argv, log));
        say("    retl extract --once %s: %s\n", sync,
            st == 0 ? "published" : st == 3 ? "skipped (previous import in progress)" : "FAILED");
        return st;
}

/* One run of w->sync now, and its import to the end. @returns 0 or -1. */
static int sync_now(struct demo *d, struct retl_cfg *cfg, struct wait_imports *w, char *errstr,
                    size_t errstr_size)
{
        if (extract_once(d, w->sync)) {
                snprintf(errstr, errstr_size, "the extractor failed (see %s/extract.log)", d->dir);
                return -1;
        }
        if (wait_import(d, cfg, w, 120)) {
                snprintf(errstr, errstr_size,
                         "the import did not finish in 2 minutes (see %s/upload.log)", d->dir);
                return -1;
        }
        return 0;
}

static void show_status(struct demo *d)
{
        char *argv[] = {d->self, "status", "-c", d->cfg, "--limit", "3", NULL};
        pid_t pid = fork();
        if (pid == 0) {
                execv(argv[0], argv);
                _exit(127);
        }
        wait_status(pid);
        fflush(stdout);
}

static json_t *person(json_t *people, long id)
{
        size_t i;
        json_t *p;
        char want[32];
        snprintf(want, sizeof(want), "%ld", id);
        json_array_foreach(people, i, p) {
                json_t *pid = json_object_get(json_object_get(p, "identifiers"), "id");
                if (!pid)
                        pid = json_object_get(p, "id");
                if (json_is_string(pid) && !strcmp(json_string_value(pid), want))
                        return p;
        }
        return NULL;
}

static const char *attr(json_t *p, const char *name)
{
        /* identifiers stand beside the attributes */
        json_t *a = json_object_get(p, name);
        if (!json_is_string(a))
                a = json_object_get(json_object_get(p, "attributes"), name);
        static char num[64];
        if (json_is_string(a))
                return json_string_value(a);
        if (json_is_integer(a)) {
                snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(a));
                return num;
        }
        if (json_is_real(a)) {
                snprintf(num, sizeof(num), "%.2f", json_real_value(a));
                return num;
        }
        return a ? "(other)" : "(missing)";
}

static json_t *list_of(json_t *doc, const char *key)
{
        json_t *l = json_is_array(doc) ? doc : json_object_get(doc, key);
        return json_is_array(l) ? l : NULL;
}

static void verify_first(struct demo *d)
{
        json_t *pj = get_json(d, "/_sandbox/people"), *oj = get_json(d, "/_sandbox/objects");
        json_t *rj = get_json(d, "/_sandbox/relationships");
        json_t *people = list_of(pj, "people"), *objects = list_of(oj, "objects");
        json_t *rels = list_of(rj, "relationships");
        json_t *p3;

        say("\n== checking the workspace against the source\n");
        check(d, people && json_array_size(people) == NPEOPLE, "%d people in the workspace (%zu)",
              NPEOPLE, people ? json_array_size(people) : 0);
        check(d, objects && json_array_size(objects) == NCOMPANIES,
              "%d companies as objects of type 1 (%zu)", NCOMPANIES,
              objects ? json_array_size(objects) : 0);
        check(d, rels && json_array_size(rels) == NPEOPLE, "%d memberships as relationships (%zu)",
              NPEOPLE, rels ? json_array_size(rels) : 0);
        p3 = people ? person(people, 3) : NULL;
        check(d, p3 && !strcmp(attr(p3, "email"), "person3@example.com") &&
                         !strcmp(attr(p3, "first_name"), first_names[3]) &&
                         !strcmp(attr(p3, "plan"), plans[0]),
              "person 3: email, first_name and plan as in the source (%s, %s, %s)",
              p3 ? attr(p3, "email") : "-", p3 ? attr(p3, "first_name") : "-",
              p3 ? attr(p3, "plan") : "-");
        check(d, p3 && !strcmp(attr(p3, "lifetime_value"), "411.03"),
              "person 3: lifetime_value DECIMAL(12,2) arrives as the number 411.03 (%s)",
              p3 ? attr(p3, "lifetime_value") : "-");
        json_decref(pj);
        json_decref(oj);
        json_decref(rj);
}

static void verify_second(struct demo *d)
{
        json_t *pj = get_json(d, "/_sandbox/people"), *rj = get_json(d, "/_sandbox/relationships");
        json_t *people = list_of(pj, "people"), *rels = list_of(rj, "relationships");
        int changed = 1;

        say("\n== checking the incremental import\n");
        for (long id = 3; id <= 5; id++) {
                json_t *p = people ? person(people, id) : NULL;
                changed &= p && !strcmp(attr(p, "plan"), "enterprise");
        }
        check(d, changed, "people 3, 4 and 5 now have plan = enterprise");
        check(d, people && person(people, 6) && !strcmp(attr(person(people, 6), "plan"), plans[0]),
              "person 6, unchanged in the source, is unchanged");
        check(d, people && json_array_size(people) == NPEOPLE && !person(people, NPEOPLE + 1),
              "the person with the invalid email was refused, not imported (%zu people)",
              people ? json_array_size(people) : 0);
        check(d, rels && json_array_size(rels) == NPEOPLE - 1,
              "person 2's membership was deleted (%zu relationships)",
              rels ? json_array_size(rels) : 0);
        json_decref(pj);
        json_decref(rj);
}

/* In a terminal, the imports stay on view in `retl console` until Ctrl-C;
 * without one (CI, a script) the demo ends at once, as it always did. */
static void serve_console(struct demo *d)
{
        char port_file[320], log[320], listen_arg[] = "127.0.0.1:0";
        char *av[] = {d->self, "console", "-c", d->cfg, "--listen", listen_arg, "--port-file",
                      port_file, NULL};
        int port;

        if (!isatty(STDIN_FILENO))
                return;
        snprintf(port_file, sizeof(port_file), "%s/console.port", d->dir);
        snprintf(log, sizeof(log), "%s/console.log", d->dir);
        d->console_pid = spawn(av, log);
        port = wait_port(port_file, d->console_pid, 15000);
        if (port < 0) {
                say("\n(the console did not start: see %s)\n", log);
                stop_child(&d->console_pid);
                return;
        }
        say("\n== the console: open http://127.0.0.1:%d/ in a browser (Ctrl-C to stop)\n", port);
        while (!interrupted) {
                if (waitpid(d->console_pid, NULL, WNOHANG) == d->console_pid) {
                        d->console_pid = 0;
                        say("(the console stopped: see %s)\n", log);
                        break;
                }
                sleep_ms(200);
        }
        interrupted = 0; /* leaving the console is how the demo ends: not a failure */
        stop_child(&d->console_pid);
}

static int usage(FILE *out)
{
        fprintf(out,
                "usage: retl demo [--keep]\n\n"
                "Runs the whole job on an embedded sample: a CRM database served by the\n"
                "SQL Server stand-in, Kafka inside this process, `retl sandbox` as the\n"
                "workspace, and the real extractor and uploader. Imports people, companies\n"
                "and memberships, changes the source, runs the next incremental sync and\n"
                "checks what landed. Exit status 0 when everything arrived as expected.\n"
                "In a terminal it then serves `retl console` on the result until Ctrl-C.\n\n"
                "  --keep   leave the work folder (database, config, logs) in place\n");
        return out == stdout ? 0 : 2;
}

int retl_demo_main(int argc, char **argv)
{
        struct demo d;
        struct retl_cfg *cfg = NULL;
        char err[4096], log[320], port_file[320], listen_arg[] = "127.0.0.1:0";
        int keep = 0, rc = 1;
        ssize_t n;
        struct wait_imports wp = {.sync = "people"}, wc = {.sync = "companies"};

        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
                        return usage(stdout);
                else if (!strcmp(argv[i], "--keep"))
                        keep = 1;
                else {
                        fprintf(stderr, "retl demo: unknown option '%s' (see --help)\n", argv[i]);
                        return 2;
                }
        }
        memset(&d, 0, sizeof(d));
        d.now = (int64_t)time(NULL);
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        n = readlink("/proc/self/exe", d.self, sizeof(d.self) - 1);
        if (n <= 0) {
                fprintf(stderr, "retl demo: cannot find my own executable\n");
                return 1;
        }
        d.self[n] = '\0';
        snprintf(d.standin, sizeof(d.standin), "%.*s/retl-mssql-standin",
                 (int)(strrchr(d.self, '/') - d.self), d.self);
        if (access(d.standin, X_OK)) {
                fprintf(stderr, "retl demo: %s is missing (run `make`)\n", d.standin);
                return 1;
        }
        snprintf(d.dir, sizeof(d.dir), "%s/retl-demo-XXXXXX",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(d.dir)) {
                fprintf(stderr, "retl demo: cannot make a work folder: %s\n", strerror(errno));
                return 1;
        }
        snprintf(d.cfg, sizeof(d.cfg), "%s/retl.cfg", d.dir);
        snprintf(d.db, sizeof(d.db), "%s/crm.sqlite", d.dir);
        setenv("RETL_DEMO_DB_PASSWORD", "demo-password", 1);
        setenv("RETL_DEMO_API_KEY", "demo-key", 1);

        say("retl demo — work folder %s (logs: *.log there)\n\n", d.dir);
        say("== starting the embedded default\n");
        if (make_source(&d, err, sizeof(err)))
                goto fail;
        say("  sample CRM: %d people, %d companies, %d memberships (SQLite %s)\n", NPEOPLE,
            NCOMPANIES, NPEOPLE, d.db);
        {
                char *av[] = {d.standin, "--listen", listen_arg, "--db", d.db, "--database", "crm",
                              "--user", "retl_reader", "--password-env", "RETL_DEMO_DB_PASSWORD",
                              "--port-file", port_file, NULL};
                snprintf(port_file, sizeof(port_file), "%s/mssql.port", d.dir);
                snprintf(log, sizeof(log), "%s/mssql.log", d.dir);
                d.standin_pid = spawn(av, log);
                d.db_port = wait_port(port_file, d.standin_pid, 15000);
                if (d.db_port < 0) {
                        snprintf(err, sizeof(err), "the SQL Server stand-in did not start (see %s)",
                                 log);
                        goto fail;
                }
                say("  SQL Server stand-in (TDS 7.4 over SQLite) on 127.0.0.1:%d\n", d.db_port);
        }
        {
                char *av[] = {d.self, "sandbox", "--listen", listen_arg, "--site-id", "demo",
                              "--api-key-env", "RETL_DEMO_API_KEY", "--identifiers", "both",
                              "--object-types", "1", "--segments", "7", "--port-file", port_file,
                              NULL};
                int port;
                snprintf(port_file, sizeof(port_file), "%s/sandbox.port", d.dir);
                snprintf(log, sizeof(log), "%s/sandbox.log", d.dir);
                d.sandbox_pid = spawn(av, log);
                port = wait_port(port_file, d.sandbox_pid, 15000);
                if (port < 0) {
                        snprintf(err, sizeof(err), "the sandbox did not start (see %s)", log);
                        goto fail;
                }
                snprintf(d.sandbox_url, sizeof(d.sandbox_url), "http://127.0.0.1:%d", port);
                say("  sandbox workspace (Track API) at %s — open it in a browser\n",
                    d.sandbox_url);
        }
        if (start_kafka(&d, err, sizeof(err)))
                goto fail;
        say("  Kafka: librdkafka's mock cluster in this process at %s\n", d.brokers);
        if (write_config(&d, err, sizeof(err)) || retl_cfg_load(d.cfg, &cfg, err, sizeof(err)))
                goto fail;
        say("  configuration: %s\n", d.cfg);
        {
                char *av[] = {d.self, "upload", "-c", d.cfg, NULL};
                snprintf(log, sizeof(log), "%s/upload.log", d.dir);
                d.upload_pid = spawn(av, log);
                say("  uploader: retl upload (pid %d)\n", (int)d.upload_pid);
        }

        say("\n== first sync: everything (last_sync_time is 0)\n");
        /* One import per workspace at a time (the hosted product's rule):
         * the companies run waits for the people import to finish. */
        wp.since_ms = wc.since_ms = (int64_t)time(NULL) * 1000 - 1000;
        if (sync_now(&d, cfg, &wp, err, sizeof(err)) || sync_now(&d, cfg, &wc, err, sizeof(err)))
                goto fail;
        say("    people: %s, %lld rows, %lld imported, %lld failed\n",
            retl_import_status_name(wp.last.status), (long long)wp.last.rows,
            (long long)wp.last.imported, (long long)wp.last.failed);
        say("    companies: %s, %lld rows\n", retl_import_status_name(wc.last.status),
            (long long)wc.last.rows);
        check(&d, wp.last.status == RETL_IMPORT_COMPLETED && wp.last.rows == 2 * NPEOPLE,
              "people run completed with %d rows (people and memberships)", 2 * NPEOPLE);
        check(&d, wc.last.status == RETL_IMPORT_COMPLETED && wc.last.rows == NCOMPANIES,
              "companies run completed with %d rows", NCOMPANIES);
        verify_first(&d);

        say("\n== changing the source: 3 people change plan, 1 new person with an invalid email,\n"
            "   1 membership ends\n");
        if (change_source(&d, err, sizeof(err)))
                goto fail;
        sleep_ms(1100); /* the next run's start must pass the rows' updated time */

        say("\n== second sync: only what changed since last_sync_time\n");
        wp.since_ms = (int64_t)time(NULL) * 1000 - 500;
        if (sync_now(&d, cfg, &wp, err, sizeof(err)))
                goto fail;
        check(&d, wp.last.rows == 5 && wp.last.failed == 1 &&
                          wp.last.status == RETL_IMPORT_SOME_ROWS_FAILED,
              "people run read only the 5 changed rows, 1 failed: %s (%lld rows, %lld failed)",
              retl_import_status_name(wp.last.status), (long long)wp.last.rows,
              (long long)wp.last.failed);
        verify_second(&d);

        say("\n== import history (retl status)\n");
        show_status(&d);
        say("\n== failed rows of %s (retl errors, the CSV download)\n", wp.run_id);
        {
                char *av[] = {d.self, "errors", "-c", d.cfg, wp.run_id, NULL};
                pid_t pid = fork();
                if (pid == 0) {
                        execv(av[0], av);
                        _exit(127);
                }
                wait_status(pid);
        }

        say("\n%d checks, %d failed. %s\n", d.checks, d.failed,
            d.failed ? "Something did not arrive as expected." : "Everything arrived as expected.");
        rc = d.failed ? 1 : 0;
        if (!interrupted)
                serve_console(&d);
        goto out;
fail:
        fprintf(stderr, "\nretl demo: %s\n", err);
        keep = 1;
out:
        stop_child(&d.console_pid);
        stop_child(&d.upload_pid);
        stop_child(&d.sandbox_pid);
        stop_child(&d.standin_pid);
        if (d.mock_rk)
                rd_kafka_destroy(d.mock_rk);
        retl_cfg_destroy(cfg);
        if (interrupted)
                rc = 130;
        if (keep || rc) {
                say("The work folder stays: %s\n", d.dir);
        } else {
                char cmd[PATH_MAX + 16];
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d.dir);
                if (system(cmd))
                        say("(could not remove %s)\n", d.dir);
        }
        return rc;
}
