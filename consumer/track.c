/* retl uploader — the Track API client, see track.h. */
#include "track.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/version.h"

#include <ctype.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define RESP_MAX (1024 * 1024)

struct retl_track_xfer {
        CURL *easy;
        struct curl_slist *hdrs;
        struct retl_buf resp;
        int64_t retry_after_ms;
        void *opaque;
        char error[CURL_ERROR_SIZE];
        struct retl_track_xfer *next;   /* in the free list */
        struct retl_track_xfer *anext, *aprev;  /* in the active list */
};

struct retl_track {
        CURLM *multi;
        struct retl_track_xfer *free_list;
        struct retl_track_xfer *active;
        char user_agent[64];
};

struct retl_track *retl_track_new(char *errstr, size_t errstr_size)
{
        struct retl_track *t;
        CURLM *multi = curl_multi_init();

        if (!multi) {
                snprintf(errstr, errstr_size, "curl_multi_init failed");
                return NULL;
        }
        t = retl_calloc(1, sizeof(*t));
        t->multi = multi;
        /* HTTP/2: many requests share one connection when offered */
        curl_multi_setopt(multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
        curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, 64L);
        snprintf(t->user_agent, sizeof(t->user_agent), "retl-upload");
        return t;
}

static void xfer_free(struct retl_track_xfer *x)
{
        if (!x)
                return;
        curl_easy_cleanup(x->easy);
        curl_slist_free_all(x->hdrs);
        retl_buf_free(&x->resp);
        free(x);
}

void retl_track_destroy(struct retl_track *t)
{
        if (!t)
                return;
        while (t->active) {
                struct retl_track_xfer *x = t->active;
                t->active = x->anext;
                curl_multi_remove_handle(t->multi, x->easy);
                xfer_free(x);
        }
        while (t->free_list) {
                struct retl_track_xfer *x = t->free_list;
                t->free_list = x->next;
                xfer_free(x);
        }
        curl_multi_cleanup(t->multi);
        free(t);
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
        struct retl_track_xfer *x = userdata;
        size_t n = size * nmemb;

        /* past the cap the rest is dropped: we only need the start */
        if (retl_buf_len(&x->resp) + n <= RESP_MAX)
                (void)!retl_buf_append(&x->resp, ptr, n);
        return n;
}

int64_t retl_track_parse_retry_after(const char *v, int64_t now_unix_s)
{
        char tmp[128];
        size_t n;
        time_t when;

        while (*v == ' ' || *v == '\t')
                v++;
        n = strcspn(v, "\r\n");
        if (!n || n >= sizeof(tmp))
                return -1;
        memcpy(tmp, v, n);
        tmp[n] = '\0';
        while (n && (tmp[n - 1] == ' ' || tmp[n - 1] == '\t'))
                tmp[--n] = '\0';
        if (isdigit((unsigned char)tmp[0])) {
                char *e;
                long long s = strtoll(tmp, &e, 10);
                if (*e || s < 0)
                        return -1;
                if (s > 3600)
                        s = 3600;
                return (int64_t)s * 1000;
        }
        when = curl_getdate(tmp, NULL);
        if (when == (time_t)-1)
                return -1;
        if (when <= now_unix_s)
                return 0;
        /* capped as above: a date years ahead must not park the workspace */
        return ((int64_t)when - now_unix_s > 3600 ? 3600 : (int64_t)when - now_unix_s) * 1000;
}

static size_t header_cb(char *buf, size_t size, size_t nitems, void *userdata)
{
        struct retl_track_xfer *x = userdata;
        size_t n = size * nitems;
        static const char name[] = "retry-after:";

        if (n > sizeof(name) && !strncasecmp(buf, name, sizeof(name) - 1)) {
                char tmp[128];
                size_t m = n - (sizeof(name) - 1);
                if (m >= sizeof(tmp))
                        m = sizeof(tmp) - 1;
                memcpy(tmp, buf + sizeof(name) - 1, m);
                tmp[m] = '\0';
                x->retry_after_ms = retl_track_parse_retry_after(tmp, (int64_t)time(NULL));
        }
        return n;
}

/* Starts a request: POST @p body when not NULL, else GET; HTTP basic auth
 * @p user : @p secret, or Authorization: Bearer @p secret when @p user is
 * NULL. */
static struct retl_track_xfer *start(struct retl_track *t, const char *url, const char *user,
                                     const char *secret, const char *body, size_t len,
                                     long timeout_s, void *opaque)
{
        struct retl_track_xfer *x = t->free_list;

        if (x) {
                t->free_list = x->next;
                curl_easy_reset(x->easy);
                retl_buf_reset(&x->resp);
        } else {
                x = retl_calloc(1, sizeof(*x));
                x->easy = curl_easy_init();
                if (!x->easy) {
                        retl_log_error("track", "curl_easy_init failed: out of memory");
                        abort();
                }
                x->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
                x->hdrs = curl_slist_append(x->hdrs, "Accept: application/json");
                x->hdrs = curl_slist_append(x->hdrs, "Expect:");
                retl_buf_init(&x->resp, RESP_MAX + 1);
        }
        x->next = NULL;
        x->opaque = opaque;
        x->retry_after_ms = -1;
        x->error[0] = '\0';
        curl_easy_setopt(x->easy, CURLOPT_URL, url);
        if (body) {
                curl_easy_setopt(x->easy, CURLOPT_POST, 1L);
                curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, body);
                curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        } else {
                curl_easy_setopt(x->easy, CURLOPT_HTTPGET, 1L);
        }
        curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->hdrs);
        if (user) {
                curl_easy_setopt(x->easy, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
                curl_easy_setopt(x->easy, CURLOPT_USERNAME, user);
                curl_easy_setopt(x->easy, CURLOPT_PASSWORD, secret);
        } else {
                curl_easy_setopt(x->easy, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
                curl_easy_setopt(x->easy, CURLOPT_XOAUTH2_BEARER, secret);
        }
        curl_easy_setopt(x->easy, CURLOPT_USERAGENT, t->user_agent);
        curl_easy_setopt(x->easy, CURLOPT_TIMEOUT, timeout_s);
        curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT, timeout_s < 10 ? timeout_s : 10L);
        curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(x->easy, CURLOPT_TCP_KEEPALIVE, 1L);
        curl_easy_setopt(x->easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
        curl_easy_setopt(x->easy, CURLOPT_PIPEWAIT, 1L);
        curl_easy_setopt(x->easy, CURLOPT_ACCEPT_ENCODING, "");
        curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, write_cb);
        curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
        curl_easy_setopt(x->easy, CURLOPT_HEADERFUNCTION, header_cb);
        curl_easy_setopt(x->easy, CURLOPT_HEADERDATA, x);
        curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->error);
        curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
        curl_multi_add_handle(t->multi, x->easy);
        x->aprev = NULL;
        x->anext = t->active;
        if (t->active)
                t->active->aprev = x;
        t->active = x;
        return x;
}

struct retl_track_xfer *retl_track_post(struct retl_track *t, const char *url,
                                        const char *user, const char *password,
                                        const char *body, size_t len, long timeout_s,
                                        void *opaque)
{
        return start(t, url, user, password, body, len, timeout_s, opaque);
}

struct retl_track_xfer *retl_track_app(struct retl_track *t, const char *url,
                                       const char *token, const char *body, size_t len,
                                       long timeout_s, void *opaque)
{
        return start(t, url, NULL, token, body, len, timeout_s, opaque);
}

static void recycle(struct retl_track *t, struct retl_track_xfer *x)
{
        curl_multi_remove_handle(t->multi, x->easy);
        if (x->aprev)
                x->aprev->anext = x->anext;
        else
                t->active = x->anext;
        if (x->anext)
                x->anext->aprev = x->aprev;
        x->anext = x->aprev = NULL;
        x->opaque = NULL;
        x->next = t->free_list;
        t->free_list = x;
}

void retl_track_abort(struct retl_track *t, struct retl_track_xfer *x)
{
        recycle(t, x);
}

void retl_track_wait(struct retl_track *t, int extra_fd, int timeout_ms)
{
        struct curl_waitfd wfd = {.fd = extra_fd, .events = CURL_WAIT_POLLIN};

        curl_multi_poll(t->multi, extra_fd >= 0 ? &wfd : NULL, extra_fd >= 0 ? 1 : 0,
                        timeout_ms, NULL);
}

int retl_track_perform(struct retl_track *t,
                       void (*done)(void *opaque, const struct retl_track_result *r, void *arg),
                       void *arg)
{
        int running = 0, q;
        CURLMsg *m;

        curl_multi_perform(t->multi, &running);
        while ((m = curl_multi_info_read(t->multi, &q)) != NULL) {
                struct retl_track_xfer *x = NULL;
                struct retl_track_result r;
                void *opaque;

                if (m->msg != CURLMSG_DONE)
                        continue;
                curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
                memset(&r, 0, sizeof(r));
                r.curl_code = (int)m->data.result;
                r.error = x->error[0] ? x->error : curl_easy_strerror(m->data.result);
                if (!r.curl_code)
                        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &r.status);
                curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME, &r.total_s);
                r.body = retl_buf_str(&x->resp);
                r.body_len = retl_buf_len(&x->resp);
                r.retry_after_ms = x->retry_after_ms;
                opaque = x->opaque;
                done(opaque, &r, arg);
                recycle(t, x);
        }
        return running;
}

enum retl_track_class retl_track_classify(const struct retl_track_result *r)
{
        if (r->curl_code || r->status == 0)
                return RETL_TRACK_RETRY;
        if (r->status == 207)
                return RETL_TRACK_PARTIAL;
        if (r->status >= 200 && r->status < 300)
                return RETL_TRACK_OK;
        if (r->status == 429)
                return RETL_TRACK_RATE;
        if (r->status == 401 || r->status == 403)
                return RETL_TRACK_AUTH;
        /* 408 (request timeout) and 5xx are the server's trouble, not ours */
        if (r->status == 408 || r->status >= 500)
                return RETL_TRACK_RETRY;
        return RETL_TRACK_REJECT;
}

static const char *jstr(json_t *o, const char *k)
{
        const char *s = json_string_value(json_object_get(o, k));
        return s ? s : "";
}

int retl_track_errors(const char *body, size_t len,
                      void (*cb)(void *arg, long index, const char *reason, const char *field,
                                 const char *message),
                      void *arg)
{
        json_t *root = json_loadb(body, len, 0, NULL), *errors, *e;
        size_t i;
        int n = 0;

        if (!root)
                return -1;
        errors = json_object_get(root, "errors");
        if (!json_is_array(errors)) {
                json_decref(root);
                return -1;
        }
        json_array_foreach(errors, i, e) {
                json_t *bi = json_object_get(e, "batch_index");
                long idx = json_is_integer(bi) ? (long)json_integer_value(bi) : -1;
                cb(arg, idx, jstr(e, "reason"), jstr(e, "field"), jstr(e, "message"));
                n++;
        }
        json_decref(root);
        return n;
}
