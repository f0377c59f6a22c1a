/* Benchmark: the ceilings of each stage of retl on the same data, for
 * tests/bench/e2e.sh (release build, bin/bench/stage_bench):
 *   stage_bench topic BROKERS TOPIC            create a one-partition topic
 *   stage_bench db HOST PORT DB USER PWENV SQL a bare db-lib loop over the query
 *   stage_bench produce BROKERS FROM TO        the records of FROM, read into
 *                                              memory first, produced again to TO
 *                                              by a bare librdkafka producer
 *                                              (idempotent, acks=all, as the
 *                                              extractor's)
 *   stage_bench post BROKERS FROM URL SITE KEY INFLIGHT BATCH_BYTES
 *                                              the rows of FROM mapped into the
 *                                              uploader's request bodies, built
 *                                              first, then posted by a plain
 *                                              libcurl multi load generator
 * Each prints one line: "ceiling <stage>: N rows in W s = R rows/s, CPU C s,
 * peak RSS M MiB" (CPU and RSS of this process), timing only the stage
 * itself; post adds the server's answers. */
#include "consumer/mapping.h"
#include "lib/codec.h"
#include "lib/kafka.h"
#include "lib/mem.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sybdb.h>
#include <sys/resource.h>
#include <time.h>

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
               (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void report(const char *stage, long rows, double t0, double c0, const char *extra)
{
        struct rusage ru;
        double w = now_s() - t0;

        getrusage(RUSAGE_SELF, &ru);
        printf("ceiling %s: %ld rows in %.2f s = %.0f rows/s, CPU %.2f s, peak RSS %.0f MiB%s\n",
               stage, rows, w, rows / w, cpu_s() - c0, ru.ru_maxrss / 1024.0, extra ? extra : "");
}

static void die(const char *what, const char *why)
{
        fprintf(stderr, "stage_bench: %s: %s\n", what, why);
        exit(1);
}

static struct retl_cfg_kafka kcfg(const char *brokers)
{
        struct retl_cfg_kafka kc = {0};
        kc.brokers = (char *)brokers;
        kc.replication_factor = 1;
        kc.retention_ms = -1;
        return kc;
}

/* ================================================================ topic */

static int cmd_topic(const char *brokers, const char *topic)
{
        struct retl_cfg_kafka kc = kcfg(brokers);
        char errstr[512];
        rd_kafka_t *rk = retl_kafka_producer_new(&kc, "stage-bench", NULL, NULL, errstr,
                                                 sizeof(errstr));

        if (!rk || retl_kafka_ensure_topic(rk, &kc, topic, 30000, errstr, sizeof(errstr)))
                die(topic, errstr);
        rd_kafka_destroy(rk);
        return 0;
}

/* =================================================================== db */

static int cmd_db(const char *host, const char *port, const char *db, const char *user,
                  const char *pwenv, const char *sql)
{
        char server[256];
        LOGINREC *login;
        DBPROCESS *dbproc;
        long rows = 0;
        size_t bytes = 0;
        double t0, c0;

        if (dbinit() == FAIL)
                die("dbinit", "failed");
        login = dblogin();
        DBSETLUSER(login, user);
        DBSETLPWD(login, getenv(pwenv) ? getenv(pwenv) : "");
        DBSETLAPP(login, "stage_bench");
        dbsetlversion(login, DBVERSION_74);
        snprintf(server, sizeof(server), "%s:%s", host, port);
        dbproc = dbopen(login, server);
        if (!dbproc || dbuse(dbproc, db) == FAIL)
                die(server, "cannot connect");
        t0 = now_s();
        c0 = cpu_s();
        if (dbcmd(dbproc, sql) == FAIL || dbsqlexec(dbproc) == FAIL)
                die("query", "failed");
        while (dbresults(dbproc) == SUCCEED) {
                int ncol = dbnumcols(dbproc);
                while (dbnextrow(dbproc) != NO_MORE_ROWS) {
                        /* touch every value, as a reader must */
                        for (int c = 1; c <= ncol; c++)
                                if (dbdata(dbproc, c))
                                        bytes += (size_t)dbdatlen(dbproc, c);
                        rows++;
                }
        }
        report("db-lib read", rows, t0, c0, NULL);
        dbclose(dbproc);
        dbloginfree(login);
        dbexit();
        return bytes ? 0 : 1;
}

/* ============================================================ read topic */

struct msgs {
        char **data;
        size_t *len;
        size_t n, cap;
};

/* Every message of partition 0 of @p topic, up to its end, into memory. */
static void read_topic(const char *brokers, const char *topic, struct msgs *m)
{
        struct retl_cfg_kafka kc = kcfg(brokers);
        char errstr[512];
        const char *extra[] = {"enable.partition.eof", "true", NULL};
        rd_kafka_t *rk = retl_kafka_consumer_new(&kc, "stage-bench", "stage-bench", extra, errstr,
                                                 sizeof(errstr));
        rd_kafka_topic_partition_list_t *l;
        int64_t low, high;

        if (!rk || retl_kafka_watermarks(rk, topic, 10000, &low, &high, errstr, sizeof(errstr)))
                die(topic, errstr);
        l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_assign(rk, l);
        rd_kafka_topic_partition_list_destroy(l);
        memset(m, 0, sizeof(*m));
        while (m->n < (size_t)(high - low)) {
                rd_kafka_message_t *rkm = rd_kafka_consumer_poll(rk, 1000);
                if (!rkm)
                        continue;
                if (!rkm->err) {
                        if (m->n == m->cap) {
                                m->cap = m->cap ? 2 * m->cap : 65536;
                                m->data = retl_realloc(m->data, m->cap * sizeof(*m->data));
                                m->len = retl_realloc(m->len, m->cap * sizeof(*m->len));
                        }
                        m->data[m->n] = retl_malloc(rkm->len);
                        memcpy(m->data[m->n], rkm->payload, rkm->len);
                        m->len[m->n++] = rkm->len;
                }
                rd_kafka_message_destroy(rkm);
        }
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
}

/* ============================================================== produce */

static long delivered, failed;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
        (void)rk;
        (void)opaque;
        if (rkm->err)
                failed++;
        else
                delivered++;
}

static int cmd_produce(const char *brokers, const char *from, const char *to)
{
        struct retl_cfg_kafka kc = kcfg(brokers);
        struct msgs m;
        char errstr[512];
        rd_kafka_t *rk;
        double t0, c0;

        read_topic(brokers, from, &m);
        rk = retl_kafka_producer_new(&kc, "stage-bench", dr_cb, NULL, errstr, sizeof(errstr));
        if (!rk || retl_kafka_ensure_topic(rk, &kc, to, 30000, errstr, sizeof(errstr)))
                die(to, errstr);
        t0 = now_s();
        c0 = cpu_s();
        for (size_t i = 0; i < m.n; i++) {
                rd_kafka_resp_err_t err;
                while ((err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(to), RD_KAFKA_V_PARTITION(0),
                                                RD_KAFKA_V_VALUE(m.data[i], m.len[i]),
                                                RD_KAFKA_V_END)) ==
                       RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        rd_kafka_poll(rk, 10);
                if (err)
                        die("produce", rd_kafka_err2str(err));
                rd_kafka_poll(rk, 0);
        }
        rd_kafka_flush(rk, 60000);
        report("bare producer", delivered, t0, c0, NULL);
        rd_kafka_destroy(rk);
        for (size_t i = 0; i < m.n; i++)
                free(m.data[i]);
        free(m.data);
        free(m.len);
        return failed || (size_t)delivered != m.n;
}

/* ================================================================= post */

struct bodies {
        struct retl_buf *b;
        size_t n, cap;
        long rows;
};

static void body_close(struct bodies *bs)
{
        if (bs->n && retl_buf_len(&bs->b[bs->n - 1]))
                (void)!retl_buf_puts(&bs->b[bs->n - 1], "]}");
}

/* The request bodies the uploader builds from the rows of @p m: entities
 * joined into {"batch":[...]} up to @p max bytes. */
static void build_bodies(struct msgs *m, size_t max, struct bodies *bs)
{
        struct retl_codec *codec;
        struct retl_sync_settings s;
        struct retl_buf json;
        char errstr[512];
        int have_settings = 0;
        size_t cur = 0;

        codec = retl_codec_new(errstr, sizeof(errstr));
        if (!codec)
                die("codec", errstr);
        memset(bs, 0, sizeof(*bs));
        memset(&s, 0, sizeof(s));
        retl_buf_init(&json, 0);
        for (size_t i = 0; i < m->n; i++) {
                struct retl_record rec;
                struct retl_mapped mp;

                if (retl_codec_decode(codec, m->data[i], m->len[i], &rec, errstr, sizeof(errstr)))
                        die("decode", errstr);
                if (rec.type == RETL_REC_RUN_STARTED) {
                        s = rec.u.run_started.settings;
                        s.object_type_id = "1";
                        have_settings = 1;
                        continue;
                }
                if (rec.type != RETL_REC_ROW || !have_settings)
                        continue;
                memset(&mp, 0, sizeof(mp));
                if (retl_mapping_row(&s, &rec.u.row, &json, &mp, errstr, sizeof(errstr)))
                        die("mapping", errstr);
                retl_mapped_free(&mp);
                /* 11 = {"batch":[ + ]}, as the uploader counts */
                if (!bs->n || cur + retl_buf_len(&json) + 1 > max) {
                        body_close(bs);
                        if (bs->n == bs->cap) {
                                bs->cap = bs->cap ? 2 * bs->cap : 1024;
                                bs->b = retl_realloc(bs->b, bs->cap * sizeof(*bs->b));
                        }
                        retl_buf_init(&bs->b[bs->n++], 0);
                        (void)!retl_buf_puts(&bs->b[bs->n - 1], "{\"batch\":[");
                        cur = 11;
                } else {
                        (void)!retl_buf_putc(&bs->b[bs->n - 1], ',');
                }
                (void)!retl_buf_append(&bs->b[bs->n - 1], retl_buf_str(&json),
                                       retl_buf_len(&json));
                cur += retl_buf_len(&json) + 1;
                bs->rows++;
        }
        body_close(bs);
        retl_buf_free(&json);
        retl_codec_destroy(codec);
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
        (void)ptr;
        (void)userdata;
        return size * nmemb;
}

static CURL *post_one(CURLM *multi, CURL *easy, const char *url, const char *site,
                      const char *key, const struct retl_buf *body)
{
        if (!easy) {
                easy = curl_easy_init();
                curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
                curl_easy_setopt(easy, CURLOPT_HTTPHEADER,
                                 curl_slist_append(NULL, "Content-Type: application/json"));
                curl_easy_setopt(easy, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
                curl_easy_setopt(easy, CURLOPT_USERNAME, site);
                curl_easy_setopt(easy, CURLOPT_PASSWORD, key);
                curl_easy_setopt(easy, CURLOPT_URL, url);
        }
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body->b_data);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)retl_buf_len(body));
        curl_multi_add_handle(multi, easy);
        return easy;
}

static int cmd_post(const char *brokers, const char *from, const char *base, const char *site,
                    const char *key, int inflight, size_t max)
{
        struct msgs m;
        struct bodies bs;
        char url[512], extra[128];
        CURLM *multi;
        size_t next = 0, done = 0, bad = 0;
        int running = 0;
        double t0, c0;

        read_topic(brokers, from, &m);
        build_bodies(&m, max, &bs);
        for (size_t i = 0; i < m.n; i++)
                free(m.data[i]);
        free(m.data);
        free(m.len);
        snprintf(url, sizeof(url), "%s/api/v2/batch", base);
        curl_global_init(CURL_GLOBAL_DEFAULT);
        multi = curl_multi_init();
        t0 = now_s();
        c0 = cpu_s();
        while (next < bs.n && next < (size_t)inflight) {
                post_one(multi, NULL, url, site, key, &bs.b[next]);
                next++;
        }
        while (done < bs.n) {
                CURLMsg *msg;
                int q;

                curl_multi_perform(multi, &running);
                while ((msg = curl_multi_info_read(multi, &q))) {
                        long status = 0;
                        CURL *easy = msg->easy_handle;

                        if (msg->msg != CURLMSG_DONE)
                                continue;
                        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
                        if (msg->data.result || status != 200)
                                bad++;
                        done++;
                        curl_multi_remove_handle(multi, easy);
                        if (next < bs.n)
                                post_one(multi, easy, url, site, key, &bs.b[next++]);
                        else
                                curl_easy_cleanup(easy);
                }
                if (done < bs.n)
                        curl_multi_poll(multi, NULL, 0, 100, NULL);
        }
        snprintf(extra, sizeof(extra), "; %zu requests of %.0f rows, %d in flight, %zu not 200",
                 bs.n, (double)bs.rows / (double)(bs.n ? bs.n : 1), inflight, bad);
        report("sandbox ingest", bs.rows, t0, c0, extra);
        curl_multi_cleanup(multi);
        for (size_t i = 0; i < bs.n; i++)
                retl_buf_free(&bs.b[i]);
        free(bs.b);
        return bad != 0;
}

int main(int argc, char **argv)
{
        const char *cmd = argc > 1 ? argv[1] : "";

        if (!strcmp(cmd, "topic") && argc == 4)
                return cmd_topic(argv[2], argv[3]);
        if (!strcmp(cmd, "db") && argc == 8)
                return cmd_db(argv[2], argv[3], argv[4], argv[5], argv[6], argv[7]);
        if (!strcmp(cmd, "produce") && argc == 5)
                return cmd_produce(argv[2], argv[3], argv[4]);
        if (!strcmp(cmd, "post") && argc == 9)
                return cmd_post(argv[2], argv[3], argv[4], argv[5], argv[6], atoi(argv[7]),
                                (size_t)atol(argv[8]));
        fprintf(stderr, "usage: stage_bench topic|db|produce|post ... (see the file's header)\n");
        return 2;
}
