/* Integration test 0410: a 207 whose errors carry a batch_index that names
 * no row of the request (out of range, negative, not a number) is not
 * dropped in silence: the worker warns once for the answer, counts the
 * errors in retl_unmatched_answer_errors_total, and the run's report is
 * SOME_ROWS_FAILED with a note (rows without an error of their own count
 * as imported; last_sync_time stays). The next run, answered 200, completes.
 * The sandbox cannot answer such a 207, so a stand-in Track API here does. */
#include "tests/it/upload_it.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>

static char topic[128];
static atomic_int batches;      /* batch requests answered */
static atomic_int entities;     /* entities they held */

/* Each request's body, collected across the handler's calls. */
static void body_free(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
        (void)cls;
        (void)conn;
        (void)toe;
        if (*con_cls) {
                retl_buf_free(*con_cls);
                free(*con_cls);
                *con_cls = NULL;
        }
}

/* POST /api/v2/batch: the first batch gets a 207 with three errors naming
 * no row of it (index n, -1, "0"); every other request a 200. */
static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *data,
                              size_t *data_size, void **con_cls)
{
        struct retl_buf *b = *con_cls;
        struct MHD_Response *resp;
        char text[512] = "{}";
        unsigned status = 200;
        enum MHD_Result rc;
        json_t *j;
        int n = 0;

        (void)cls;
        (void)method;
        (void)version;
        if (!b) {
                b = retl_malloc(sizeof(*b));
                retl_buf_init(b, 0);
                *con_cls = b;
                return MHD_YES;
        }
        if (*data_size) {
                CHECK(!retl_buf_append(b, data, *data_size));
                *data_size = 0;
                return MHD_YES;
        }
        if (!strcmp(url, "/api/v2/batch")) {
                j = json_loadb(b->b_data, retl_buf_len(b), 0, NULL);
                n = (int)json_array_size(json_object_get(j, "batch"));
                json_decref(j);
                atomic_fetch_add(&entities, n);
                if (atomic_fetch_add(&batches, 1) == 0) {
                        status = 207;
                        snprintf(text, sizeof(text),
                                 "{\"errors\":[{\"batch_index\":%d,\"reason\":\"invalid\","
                                 "\"message\":\"past the end\"},{\"batch_index\":-1,\"reason\":"
                                 "\"invalid\",\"message\":\"negative\"},{\"batch_index\":\"0\","
                                 "\"reason\":\"invalid\",\"message\":\"a string\"}]}", n);
                }
        }
        resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_COPY);
        MHD_add_response_header(resp, "Content-Type", "application/json");
        rc = MHD_queue_response(conn, status, resp);
        MHD_destroy_response(resp);
        return rc;
}

int main(void)
{
        struct it_sandbox api = {0};
        char prefix[64], imports[128], group[128], config[512], series[256];
        struct it_ws ws[1];
        int64_t t1 = (it_wall_ms() / 1000 - 7200) * 1000, t2 = t1 + 60000;
        struct retl_checkpoint cp;
        struct it_reports rep;
        struct sockaddr_in sa = {.sin_family = AF_INET};
        struct MHD_Daemon *d;
        int port;
        FILE *f;
        pid_t up;

        it_init("0410");
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                             answer, NULL, MHD_OPTION_NOTIFY_COMPLETED, body_free, NULL,
                             MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_END);
        CHECKF(d, "the stand-in Track API did not start");
        api.port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
        snprintf(api.url, sizeof(api.url), "http://127.0.0.1:%d", api.port);
        snprintf(prefix, sizeof(prefix), "it0410-%ld", (long)time(NULL));
        snprintf(topic, sizeof(topic), "%s.acme", prefix);
        snprintf(imports, sizeof(imports), "%s-imports", prefix);
        snprintf(group, sizeof(group), "%s.g", prefix);
        snprintf(config, sizeof(config), "%s/retl.conf", it_tmp);
        ws[0].name = "acme";
        ws[0].sb = &api;
        it_write_config(config, prefix, ws, 1);
        f = fopen(config, "a");
        CHECK(f);
        fprintf(f, "metrics = { listen = \"127.0.0.1:0\"; };\n");
        fclose(f);
        it_ensure_topic(topic);
        retl_checkpoint_init(&cp);

        /* run 1: its (first) batch is answered 207 with three unmatched errors */
        it_people_run(topic, "u-1", "people", t1, 5);
        up = it_upload_start(config, "upload.log", NULL);
        port = it_log_port("upload.log");
        CHECKF(port > 0, "the worker did not log its metrics port");
        it_wait_committed(group, topic, it_end_offset(topic), 60000, &cp);
        CHECK(atomic_load(&entities) == 5);
        CHECK(retl_checkpoint_get(&cp, "people") == 0);
        it_reports(imports, "u-1", &rep);
        CHECK(rep.nfinal == 1);
        CHECK(rep.last.status == RETL_IMPORT_SOME_ROWS_FAILED);
        CHECK(rep.last.rows == 5 && rep.last.imported == 5 && rep.last.failed == 0);
        CHECKF(strstr(rep.error, "answered 3 errors retl could not match to a row"),
               "report error: %s", rep.error);
        CHECK(it_log_count("upload.log", "name no row of it") == 1);
        CHECK(it_log_count("upload.log", "3 of its 3 errors name no row") == 1);
        CHECK(it_scrape(port, "retl_unmatched_answer_errors_total{workspace=\"acme\"}") == 3);
        snprintf(series, sizeof(series), "retl_imports_total{workspace=\"acme\",sync=\"people\","
                 "status=\"some_rows_failed\"}");
        CHECK(it_scrape(port, series) == 1);

        /* run 2: answered 200, completes and moves last_sync_time */
        it_people_run(topic, "u-2", "people", t2, 3);
        it_wait_committed(group, topic, it_end_offset(topic), 60000, &cp);
        CHECK(atomic_load(&entities) == 8);
        CHECK(retl_checkpoint_get(&cp, "people") == t2 / 1000);
        it_reports(imports, "u-2", &rep);
        CHECK(rep.last.status == RETL_IMPORT_COMPLETED && rep.error[0] == '\0');
        CHECK(it_log_count("upload.log", "name no row of it") == 1);
        CHECK(it_scrape(port, "retl_unmatched_answer_errors_total{workspace=\"acme\"}") == 3);

        CHECK(it_stop(up, SIGTERM, 30000) == 0);
        MHD_stop_daemon(d);
        retl_checkpoint_free(&cp);
        printf("0410 ok\n");
        return 0;
}
