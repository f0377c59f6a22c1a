/* retl sandbox — what every HTTP handler of the sandbox needs: sending an
 * answer through libmicrohttpd, and the clocks; see sbx_http.h. */
#include "sandbox/track/sbx_http.h"
#include "sandbox/track/sbx_numbers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t clock_ms(clockid_t clk)
{
        struct timespec ts;

        clock_gettime(clk, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t retl_sbx_http_mono_ms(void)
{
        return clock_ms(CLOCK_MONOTONIC);
}

int64_t retl_sbx_http_wall_ms(void)
{
        return clock_ms(CLOCK_REALTIME);
}

void retl_sbx_http_sleep_ms(int ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

        while (nanosleep(&ts, &ts) && errno == EINTR)
                ;
}

enum MHD_Result retl_sbx_http_send_body(struct MHD_Connection *conn, int status,
                                        const char *ctype, char *body, size_t len,
                                        int retry_after, int auth)
{
        struct MHD_Response *resp;
        enum MHD_Result ret;
        char ra[16];

        resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
                free(body);
                return MHD_NO;
        }
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
        if (retry_after >= 0) {
                snprintf(ra, sizeof(ra), "%d", retry_after);
                MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
        }
        if (auth)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                        "Basic realm=\"Customer.io Track API (retl sandbox)\"");
        ret = MHD_queue_response(conn, (unsigned)status, resp);
        MHD_destroy_response(resp);
        return ret;
}

enum MHD_Result retl_sbx_http_send_json(struct MHD_Connection *conn, int status, json_t *j,
                                        int retry_after, int auth)
{
        char *s = retl_sbx_numbers_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17));

        json_decref(j);
        if (!s)
                return MHD_NO;
        return retl_sbx_http_send_body(conn, status, "application/json", s, strlen(s),
                                       retry_after, auth);
}

enum MHD_Result retl_sbx_http_send_error(struct MHD_Connection *conn, int status,
                                         const char *message)
{
        return retl_sbx_http_send_json(conn, status, json_pack("{s:s}", "error", message), -1,
                                       0);
}
