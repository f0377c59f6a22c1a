/* Helpers of the uploader's integration tests (tests/it/04NN-*.c): a
 * `retl sandbox` per workspace, `retl upload` workers as child processes,
 * runs produced with lib/codec + lib/kafka, and polling with deadlines.
 * Header-only: each test is one program. Env: RETL, RETL_KAFKA_BROKERS,
 * RETL_TEST_TMP. */
#ifndef RETL_UPLOAD_IT_H
#define RETL_UPLOAD_IT_H

#include "lib/checkpoint.h"
#include "lib/codec.h"
#include "lib/kafka.h"
#include "lib/mem.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHECK(c)                                                                     \
        do {                                                                         \
                if (!(c)) {                                                          \
                        fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,       \
                                __LINE__, #c);                                       \
                        it_fail();                                                   \
                }                                                                    \
        } while (0)
#define CHECKF(c, ...)                                                               \
        do {                                                                         \
                if (!(c)) {                                                          \
                        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);              \
                        fprintf(stderr, __VA_ARGS__);                                \
                        fputc('\n', stderr);                                         \
                        it_fail();                                                   \
                }                                                                    \
        } while (0)

#define IT_MAX_CHILD 16
static pid_t it_children[IT_MAX_CHILD];
static int it_nchildren;
static const char *it_tmp, *it_retl, *it_brokers, *it_sandbox_bin;
static struct retl_cfg_kafka it_kc;
static struct retl_codec *it_codec;
static rd_kafka_t *it_prod;

static __attribute__((unused)) void it_kill_all(void)
{
        for (int i = 0; i < it_nchildren; i++)
                if (it_children[i] > 0) {
                        kill(it_children[i], SIGKILL);
                        waitpid(it_children[i], NULL, 0);
                        it_children[i] = 0;
                }
}

static __attribute__((unused)) void it_fail(void)
{
        char cmd[512];
        it_kill_all();
        snprintf(cmd, sizeof(cmd), "tail -n 30 %s/*.log >&2", it_tmp);
        if (system(cmd) < 0)
                perror("system");
        exit(1);
}

static __attribute__((unused)) int64_t it_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static __attribute__((unused)) int64_t it_wall_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static __attribute__((unused)) void it_sleep_ms(int ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

/* Starts argv (NULL-terminated) with stdout+stderr to TMP/<log>. */
static __attribute__((unused)) pid_t it_spawn(const char *log, char *const argv[])
{
        char path[512];
        pid_t pid;

        snprintf(path, sizeof(path), "%s/%s", it_tmp, log);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                FILE *f = freopen(path, "a", stderr);
                if (!f || dup2(fileno(stderr), 1) < 0)
                        _exit(127);
                execv(argv[0], argv);
                _exit(127);
        }
        for (int i = 0; i < IT_MAX_CHILD; i++)
                if (it_children[i] <= 0) {
                        it_children[i] = pid;
                        if (i >= it_nchildren)
                                it_nchildren = i + 1;
                        break;
                }
        return pid;
}

static __attribute__((unused)) void it_forget(pid_t pid)
{
        for (int i = 0; i < it_nchildren; i++)
                if (it_children[i] == pid)
                        it_children[i] = 0;
}

/* Stops a child with @p sig and waits; @returns its exit status or -1. */
static __attribute__((unused)) int it_stop(pid_t pid, int sig, int timeout_ms)
{
        int st = 0;
        int64_t end = it_now_ms() + timeout_ms;

        kill(pid, sig);
        while (it_now_ms() < end) {
                pid_t r = waitpid(pid, &st, WNOHANG);
                if (r == pid) {
                        it_forget(pid);
                        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
                }
                it_sleep_ms(50);
        }
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        it_forget(pid);
        return -2;
}

static __attribute__((unused)) void it_init(const char *testname)
{
        static char *noprops[] = {NULL};

        it_tmp = getenv("RETL_TEST_TMP");
        it_retl = getenv("RETL");
        it_brokers = getenv("RETL_KAFKA_BROKERS");
        /* RETL_SANDBOX: another binary's sandbox, while ours has none */
        it_sandbox_bin = getenv("RETL_SANDBOX") ? getenv("RETL_SANDBOX") : it_retl;
        if (!it_tmp || !it_retl || !it_brokers) {
                fprintf(stderr, "%s: RETL, RETL_KAFKA_BROKERS and RETL_TEST_TMP must be set "
                        "(run through tests/run.sh)\n", testname);
                exit(1);
        }
        setenv("IT_API_KEY", "it-secret-key", 1);
        curl_global_init(CURL_GLOBAL_DEFAULT);
        memset(&it_kc, 0, sizeof(it_kc));
        it_kc.brokers = (char *)it_brokers;
        it_kc.replication_factor = 1;
        it_kc.retention_ms = 3600000;
        it_kc.props = noprops;
        char err[512];
        it_codec = retl_codec_new(err, sizeof(err));
        CHECKF(it_codec, "%s", err);
        it_prod = retl_kafka_producer_new(&it_kc, "it-producer", NULL, NULL, err, sizeof(err));
        CHECKF(it_prod, "%s", err);
        atexit(it_kill_all);
}

/* ================================================================ sandbox */

struct it_sandbox {
        pid_t pid;
        int port;
        char url[64];
};

/* Waits up to 15 s for the port a server wrote to @p portfile; fills
 * sb->port and sb->url. */
static __attribute__((unused)) void it_wait_port(struct it_sandbox *sb, const char *portfile,
                                                 const char *what)
{
        int64_t end = it_now_ms() + 15000;

        sb->port = 0;
        while (!sb->port && it_now_ms() < end) {
                FILE *f = fopen(portfile, "r");
                if (f) {
                        if (fscanf(f, "%d", &sb->port) != 1)
                                sb->port = 0;
                        fclose(f);
                }
                if (!sb->port)
                        it_sleep_ms(50);
        }
        CHECKF(sb->port, "%s did not start", what);
        snprintf(sb->url, sizeof(sb->url), "http://127.0.0.1:%d", sb->port);
}

/* extra: more sandbox options, NULL-terminated (may be NULL). */
static __attribute__((unused)) void it_sandbox_start(struct it_sandbox *sb, const char *name, const char *const *extra)
{
        char portfile[512], log[128], what[128];
        char *argv[40];
        int n = 0;

        snprintf(portfile, sizeof(portfile), "%s/%s.port", it_tmp, name);
        snprintf(log, sizeof(log), "sandbox-%s.log", name);
        unlink(portfile);
        argv[n++] = (char *)it_sandbox_bin;
        argv[n++] = "sandbox";
        argv[n++] = "--listen";
        argv[n++] = "127.0.0.1:0";
        argv[n++] = "--port-file";
        argv[n++] = portfile;
        argv[n++] = "--site-id";
        argv[n++] = (char *)name;
        argv[n++] = "--api-key-env";
        argv[n++] = "IT_API_KEY";
        for (int i = 0; extra && extra[i]; i++)
                argv[n++] = (char *)extra[i];
        argv[n] = NULL;
        sb->pid = it_spawn(log, argv);
        snprintf(what, sizeof(what), "sandbox %s", name);
        it_wait_port(sb, portfile, what);
}

static __attribute__((unused)) size_t it_wcb(char *p, size_t s, size_t n, void *ud)
{
        struct retl_buf *b = ud;
        if (retl_buf_append(b, p, s * n))
                return 0;
        return s * n;
}

/* GET or POST (body != NULL) on the sandbox; @returns the parsed JSON answer. */
static __attribute__((unused)) json_t *it_http(const struct it_sandbox *sb, const char *path, const char *body)
{
        CURL *c = curl_easy_init();
        struct retl_buf b;
        char url[512];
        json_t *j;
        struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");

        retl_buf_init(&b, 0);
        snprintf(url, sizeof(url), "%s%s", sb->url, path);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, it_wcb);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        if (body)
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        CHECKF(curl_easy_perform(c) == CURLE_OK, "HTTP %s failed", url);
        j = json_loads(retl_buf_str(&b), 0, NULL);
        CHECKF(j, "not JSON from %s: %.200s", url, retl_buf_str(&b));
        curl_easy_cleanup(c);
        curl_slist_free_all(h);
        retl_buf_free(&b);
        return j;
}

/* The person with identifier @p key = value (or NULL); decref the result. */
static __attribute__((unused)) json_t *it_person(const struct it_sandbox *sb, const char *key, const char *value)
{
        json_t *all = it_http(sb, "/_sandbox/people", NULL), *p, *found = NULL;
        size_t i;

        json_array_foreach(json_object_get(all, "people"), i, p) {
                const char *v = json_string_value(json_object_get(p, key));
                if (v && !strcmp(v, value)) {
                        found = json_incref(p);
                        break;
                }
        }
        json_decref(all);
        return found;
}

static __attribute__((unused)) int64_t it_count(const struct it_sandbox *sb, const char *what)
{
        char path[64];
        json_t *j;
        int64_t n;

        snprintf(path, sizeof(path), "/_sandbox/%s", what);
        j = it_http(sb, path, NULL);
        n = json_integer_value(json_object_get(j, "count"));
        json_decref(j);
        return n;
}

/* ================================================================ config */

struct it_ws {
        const char *name;
        const struct it_sandbox *sb;
};

static __attribute__((unused)) void it_write_config(const char *path, const char *prefix, const struct it_ws *ws,
                            int nws)
{
        FILE *f = fopen(path, "w");

        CHECK(f);
        fprintf(f,
                "log_level = \"info\";\n"
                "kafka = { brokers = \"%s\"; replication_factor = 1; topic_prefix = \"%s.\";\n"
                "  state_topic_prefix = \"%s-state.\";\n"
                "  group = \"%s.g\"; imports_topic = \"%s-imports\";\n"
                "  failures_topic = \"%s-failures\";\n"
                "  properties = { session_timeout_ms = \"6000\"; heartbeat_interval_ms = \"500\";"
                " topic_metadata_refresh_interval_ms = \"2000\"; }; };\n"
                "workspaces = (\n",
                it_brokers, prefix, prefix, prefix, prefix, prefix);
        for (int i = 0; i < nws; i++)
                fprintf(f,
                        "  { name = \"%s\"; api_url = \"%s\"; site_id = \"%s\";"
                        " api_key_env = \"IT_API_KEY\"; max_in_flight = 4; }%s\n",
                        ws[i].name, ws[i].sb->url, ws[i].name, i + 1 < nws ? "," : "");
        fprintf(f, ");\n");
        fclose(f);
}

/* ================================================================ records */

static __attribute__((unused)) void it_produce(const char *topic, const char *key, const struct retl_record *rec)
{
        struct retl_buf out;
        char err[512];
        rd_kafka_resp_err_t e;

        retl_buf_init(&out, 0);
        CHECKF(!retl_codec_encode(it_codec, rec, &out, err, sizeof(err)), "encode: %s", err);
        do {
                e = rd_kafka_producev(it_prod, RD_KAFKA_V_TOPIC(topic),
                                      RD_KAFKA_V_KEY(key, strlen(key)),
                                      RD_KAFKA_V_VALUE(out.b_data, retl_buf_len(&out)),
                                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
                if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        rd_kafka_poll(it_prod, 100);
        } while (e == RD_KAFKA_RESP_ERR__QUEUE_FULL);
        CHECKF(!e, "produce: %s", rd_kafka_err2str(e));
        retl_buf_free(&out);
}

static __attribute__((unused)) int64_t it_end_offset(const char *topic)
{
        char err[512];
        int64_t lo = 0, hi = 0;
        CHECKF(!retl_kafka_watermarks(it_prod, topic, 10000, &lo, &hi, err, sizeof(err)), "%s",
               err);
        return hi;
}

static __attribute__((unused)) void it_ensure_topic(const char *topic)
{
        char err[512];
        CHECKF(!retl_kafka_ensure_topic(it_prod, &it_kc, topic, 15000, err, sizeof(err)), "%s",
               err);
}

static __attribute__((unused)) void it_flush(void)
{
        rd_kafka_flush(it_prod, 30000);
        CHECK(rd_kafka_outq_len(it_prod) == 0);
}

static __attribute__((unused)) struct retl_sync_settings it_settings(int import, int ident)
{
        struct retl_sync_settings s;
        memset(&s, 0, sizeof(s));
        s.import = import;
        s.identify_by = ident;
        s.object_type_id = "1";
        s.query = "SELECT ...";
        s.interval_s = 3600;
        return s;
}

static __attribute__((unused)) void it_run_started(const char *topic, const char *run_id, const char *sync,
                           int64_t started_at_ms, const struct retl_sync_settings *s)
{
        struct retl_record rec;
        memset(&rec, 0, sizeof(rec));
        rec.type = RETL_REC_RUN_STARTED;
        rec.u.run_started.run_id = run_id;
        rec.u.run_started.sync = sync;
        rec.u.run_started.workspace = "ws";
        rec.u.run_started.started_at_ms = started_at_ms;
        rec.u.run_started.settings = *s;
        it_produce(topic, sync, &rec);
}

static __attribute__((unused)) void it_row(const char *topic, const char *run_id, const char *sync, int part,
                   int64_t n, const struct retl_column *cols, size_t ncols)
{
        struct retl_record rec;
        memset(&rec, 0, sizeof(rec));
        rec.type = RETL_REC_ROW;
        rec.u.row.run_id = run_id;
        rec.u.row.sync = sync;
        rec.u.row.part = part;
        rec.u.row.row_number = n;
        rec.u.row.ncolumns = ncols;
        rec.u.row.columns = cols;
        it_produce(topic, sync, &rec);
}

static __attribute__((unused)) void it_run_finished(const char *topic, const char *run_id, const char *sync,
                            int status, int64_t rows, int64_t rel_rows)
{
        struct retl_record rec;
        memset(&rec, 0, sizeof(rec));
        rec.type = RETL_REC_RUN_FINISHED;
        rec.u.run_finished.run_id = run_id;
        rec.u.run_finished.sync = sync;
        rec.u.run_finished.status = status;
        rec.u.run_finished.rows = rows;
        rec.u.run_finished.relationship_rows = rel_rows;
        rec.u.run_finished.finished_at_ms = it_wall_ms();
        it_produce(topic, sync, &rec);
}

/* A run of @p n people rows (id "<run>-<i>", column n = i), finished OK. */
static __attribute__((unused)) void it_people_run(const char *topic, const char *run, const char *sync,
                                                  int64_t t, int n)
{
        struct retl_sync_settings s = it_settings(RETL_IMPORT_PEOPLE, RETL_IDENT_ID);

        it_run_started(topic, run, sync, t, &s);
        for (int i = 1; i <= n; i++) {
                char id[64];
                struct retl_column c[2];

                memset(c, 0, sizeof(c));
                snprintf(id, sizeof(id), "%s-%d", run, i);
                c[0].name = "id";
                c[0].value.type = RETL_V_STRING;
                c[0].value.u.s.ptr = id;
                c[0].value.u.s.len = strlen(id);
                c[1].name = "n";
                c[1].value.type = RETL_V_LONG;
                c[1].value.u.l = i;
                it_row(topic, run, sync, RETL_PART_MAIN, i, c, 2);
        }
        it_run_finished(topic, run, sync, RETL_EXTRACT_OK, n, 0);
        it_flush();
}

/* ================================================================ outputs */

/* The group's committed offset and checkpoint on @p topic. */
static __attribute__((unused)) int64_t it_committed(const char *group, const char *topic, struct retl_checkpoint *cp)
{
        char err[512], cid[64], *meta = NULL;
        rd_kafka_t *rk;
        int64_t off = -1;

        snprintf(cid, sizeof(cid), "it-reader-%d", (int)getpid());
        rk = retl_kafka_consumer_new(&it_kc, group, cid, NULL, err, sizeof(err));
        CHECKF(rk, "%s", err);
        if (retl_kafka_committed(rk, topic, 10000, &off, &meta, err, sizeof(err)))
                off = -2;
        if (cp) {
                retl_checkpoint_free(cp);
                if (off >= 0)
                        CHECKF(!retl_checkpoint_parse(cp, meta, meta ? strlen(meta) : 0, err,
                                                      sizeof(err)), "%s", err);
        }
        free(meta);
        rd_kafka_destroy(rk);
        return off;
}

/* Waits until the group has committed @p want on @p topic. */
static __attribute__((unused)) void it_wait_committed(const char *group, const char *topic, int64_t want,
                              int timeout_ms, struct retl_checkpoint *cp)
{
        int64_t end = it_now_ms() + timeout_ms, got = -1;

        while (it_now_ms() < end) {
                got = it_committed(group, topic, cp);
                if (got == want)
                        return;
                it_sleep_ms(250);
        }
        CHECKF(0, "committed offset on %s is %" PRId64 ", want %" PRId64, topic, got, want);
}

/* Every record of @p topic (one partition) decoded, calling @p cb. */
static __attribute__((unused)) void it_read_topic(const char *topic, void (*cb)(const struct retl_record *, void *),
                          void *arg)
{
        char err[512];
        rd_kafka_t *rk = retl_kafka_consumer_new(&it_kc, "it-reader-nogroup", "it-reader", NULL,
                                                 err, sizeof(err));
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        int64_t lo = 0, hi = 0;
        struct retl_codec *codec = retl_codec_new(err, sizeof(err));

        CHECK(rk && codec);
        CHECK(!retl_kafka_watermarks(rk, topic, 10000, &lo, &hi, err, sizeof(err)));
        rd_kafka_topic_partition_list_add(l, topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
        CHECK(!rd_kafka_assign(rk, l));
        for (int64_t seen = lo; seen < hi;) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 5000);
                struct retl_record rec;
                CHECKF(m, "timeout reading %s", topic);
                if (!m->err) {
                        CHECK(!retl_codec_decode(codec, m->payload, m->len, &rec, err,
                                                 sizeof(err)));
                        cb(&rec, arg);
                        seen = m->offset + 1;
                }
                rd_kafka_message_destroy(m);
        }
        rd_kafka_topic_partition_list_destroy(l);
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        retl_codec_destroy(codec);
}

/* The import reports of a run. */
struct it_reports {
        const char *run_id;
        int n, nfinal;
        struct retl_import_report last;
        char error[512];
};

static __attribute__((unused)) void it_report_cb(const struct retl_record *rec, void *arg)
{
        struct it_reports *r = arg;
        if (rec->type != RETL_REC_IMPORT_REPORT || strcmp(rec->u.import_report.run_id, r->run_id))
                return;
        r->n++;
        if (rec->u.import_report.status != RETL_IMPORT_RUNNING)
                r->nfinal++;
        r->last = rec->u.import_report;
        snprintf(r->error, sizeof(r->error), "%s",
                 rec->u.import_report.error ? rec->u.import_report.error : "");
        r->last.run_id = r->last.sync = r->last.workspace = r->last.replay_of = NULL;
        r->last.error = NULL;
}

static __attribute__((unused)) void it_reports(const char *imports_topic, const char *run_id, struct it_reports *r)
{
        memset(r, 0, sizeof(*r));
        r->run_id = run_id;
        it_read_topic(imports_topic, it_report_cb, r);
}

/* Failed rows of a run: "part:row:reason" lines. */
struct it_failures {
        const char *run_id;
        int n;
        char lines[64][256];
};

static __attribute__((unused)) void it_failure_cb(const struct retl_record *rec, void *arg)
{
        struct it_failures *f = arg;
        if (rec->type != RETL_REC_ROW_FAILURE || strcmp(rec->u.row_failure.run_id, f->run_id))
                return;
        if (f->n < 64)
                snprintf(f->lines[f->n], sizeof(f->lines[0]), "%d:%" PRId64 ":%s",
                         (int)rec->u.row_failure.part, rec->u.row_failure.row_number,
                         rec->u.row_failure.reason);
        f->n++;
}

static __attribute__((unused)) int it_has_failure(const struct it_failures *f, int part, int64_t row, const char *needle)
{
        char pre[64];
        snprintf(pre, sizeof(pre), "%d:%" PRId64 ":", part, row);
        for (int i = 0; i < f->n && i < 64; i++)
                if (!strncmp(f->lines[i], pre, strlen(pre)) && strstr(f->lines[i], needle))
                        return 1;
        return 0;
}

static __attribute__((unused)) void it_failures(const char *topic, const char *run_id, struct it_failures *f)
{
        memset(f, 0, sizeof(*f));
        f->run_id = run_id;
        it_read_topic(topic, it_failure_cb, f);
}

/* Counts lines of TMP/<log> containing @p needle. */
static __attribute__((unused)) int it_log_count(const char *log, const char *needle)
{
        char path[512], line[4096];
        FILE *f;
        int n = 0;

        snprintf(path, sizeof(path), "%s/%s", it_tmp, log);
        f = fopen(path, "r");
        if (!f)
                return 0;
        while (fgets(line, sizeof(line), f))
                if (strstr(line, needle))
                        n++;
        fclose(f);
        return n;
}

/* ================================================================ metrics */

/* GET http://127.0.0.1:port/path: the body (free it) and *status. */
static __attribute__((unused)) char *it_get(int port, const char *path, long *status)
{
        CURL *c = curl_easy_init();
        struct retl_buf b;
        char url[256];
        CURLcode rc;

        retl_buf_init(&b, 0);
        snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, it_wcb);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
        rc = curl_easy_perform(c);
        CHECKF(rc == CURLE_OK, "GET %s: %s", url, curl_easy_strerror(rc));
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
        curl_easy_cleanup(c);
        return retl_buf_take(&b, NULL);
}

/* The value of series `name{labels}` in an exposition text, -1 if absent. */
static __attribute__((unused)) double it_metric(const char *text, const char *series)
{
        size_t n = strlen(series);

        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
                if (!strncmp(l, series, n) && l[n] == ' ')
                        return strtod(l + n + 1, NULL);
        return -1;
}

static __attribute__((unused)) double it_scrape(int port, const char *series)
{
        long st = 0;
        char *t = it_get(port, "/metrics", &st);
        double v;

        CHECK(st == 200);
        v = it_metric(t, series);
        free(t);
        return v;
}

/* The metrics port the worker logged in TMP/<log>, waiting up to 20 s. */
static __attribute__((unused)) int it_log_port(const char *log)
{
        static const char needle[] = "metrics and health on port ";
        char path[512], line[4096];
        int port = 0;

        snprintf(path, sizeof(path), "%s/%s", it_tmp, log);
        for (int64_t end = it_now_ms() + 20000; !port && it_now_ms() < end;) {
                FILE *f = fopen(path, "r");
                while (f && fgets(line, sizeof(line), f)) {
                        char *p = strstr(line, needle);
                        if (p)
                                port = (int)strtol(p + strlen(needle), NULL, 10);
                }
                if (f)
                        fclose(f);
                if (!port)
                        it_sleep_ms(100);
        }
        return port;
}

static __attribute__((unused)) pid_t it_upload_start(const char *config, const char *log, const char *const *extra)
{
        char *argv[24];
        int n = 0;

        argv[n++] = (char *)it_retl;
        argv[n++] = "upload";
        argv[n++] = "-c";
        argv[n++] = (char *)config;
        for (int i = 0; extra && extra[i]; i++)
                argv[n++] = (char *)extra[i];
        argv[n] = NULL;
        return it_spawn(log, argv);
}

#endif
