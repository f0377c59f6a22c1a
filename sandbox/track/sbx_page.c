/* retl sandbox — the HTML page at /: counts of what landed, with links;
 * see sbx_page.h. */
#include "sandbox/track/sbx_page.h"

#include "lib/buf.h"

#include <inttypes.h>

enum MHD_Result retl_sbx_page_index(struct retl_sbx_server *srv, struct MHD_Connection *conn)
{
        struct retl_sbx_ws_counts wc;
        struct retl_buf b;
        uint64_t req, acc, rej;
        size_t len;
        char *s;

        pthread_mutex_lock(&srv->s_lock);
        retl_sbx_ws_counts(srv->s_ws, &wc);
        req = srv->s_traffic.t_requests;
        acc = srv->s_traffic.t_accepted;
        rej = srv->s_traffic.t_rejected;
        pthread_mutex_unlock(&srv->s_lock);
        retl_buf_init(&b, 64 * 1024);
        if (retl_buf_printf(
                    &b,
                    "<!doctype html><html><head><meta charset=\"utf-8\"><title>retl sandbox"
                    "</title></head><body><h1>retl sandbox: a local Customer.io workspace</h1>"
                    "<p>Track API at <code>/api/v2/batch</code>, <code>/api/v2/entity</code>, "
                    "<code>/api/v1/segments/{id}/add_customers</code> and "
                    "<code>remove_customers</code> (HTTP basic auth: site id : API key).</p>"
                    "<h2>What landed</h2><ul>"
                    "<li><a href=\"/_sandbox/people\">people</a>: %zu</li>"
                    "<li><a href=\"/_sandbox/objects\">objects</a>: %zu</li>"
                    "<li><a href=\"/_sandbox/relationships\">relationships</a>: %zu</li>"
                    "<li><a href=\"/_sandbox/segments\">segments</a>: %zu (%zu members)</li>"
                    "<li><a href=\"/_sandbox/suppressions\">suppressions</a>: %zu</li>"
                    "</ul><h2>Traffic</h2><ul>"
                    "<li><a href=\"/_sandbox/requests?limit=100\">requests</a>: %" PRIu64
                    "</li>"
                    "<li><a href=\"/_sandbox/counters\">counters</a>: %" PRIu64
                    " entities accepted, %" PRIu64 " rejected</li>"
                    "<li><a href=\"/_sandbox/faults\">faults</a> in force</li>"
                    "</ul></body></html>\n",
                    wc.people, wc.objects, wc.relationships, wc.segments, wc.memberships,
                    wc.suppressed, req, acc, rej)) {
                retl_buf_free(&b);
                return MHD_NO;
        }
        s = retl_buf_take(&b, &len);
        return retl_sbx_http_send_body(conn, 200, "text/html; charset=utf-8", s, len, -1, 0);
}
