/* retl — Prometheus metrics and health endpoints, see metrics.h. */
#include "metrics.h"
#include "buf.h"
#include "listen.h"
#include "log.h"
#include "mem.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static const double buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                 1, 2.5, 5, 10, 30, 60};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct series {
        char *labels;
        double value;                   /* counter, gauge; histogram: sum */
        unsigned long long count;       /* histogram */
        unsigned long long bucket[NBUCKETS];
        struct series *next;
};

struct family {
        char *name;
        char *help;
        enum retl_metric_type type;
        struct series *series;
        struct family *next;
};

struct retl_metrics {
        pthread_mutex_t lock;
        struct family *families;
        struct MHD_Daemon *mhd;
        int port;
        int stall_s;
        time_t last_beat;
        int ready;
        char why[256];
};

static struct family *find_family(struct retl_metrics *m, const char *name)
{
        for (struct family *f = m->families; f; f = f->next)
                if (!strcmp(f->name, name))
                        return f;
        return NULL;
}

void retl_metrics_declare(struct retl_metrics *m, const char *name, enum retl_metric_type type,
                          const char *help)
{
        struct family *f, **tail;
        if (!m)
                return;
        pthread_mutex_lock(&m->lock);
        if (!find_family(m, name)) {
                f = retl_calloc(1, sizeof(*f));
                f->name = retl_strdup(name);
                f->help = retl_strdup(help);
                f->type = type;
                /* keep declaration order: the output reads like the code */
                for (tail = &m->families; *tail; tail = &(*tail)->next)
                        ;
                *tail = f;
        }
        pthread_mutex_unlock(&m->lock);
}

static struct series *get_series(struct retl_metrics *m, const char *name, const char *labels)
{
        struct family *f = find_family(m, name);
        struct series *s;
        if (!f) {
                retl_log_debug("metrics", "undeclared metric %s", name);
                return NULL;
        }
        if (!labels)
                labels = "";
        for (s = f->series; s; s = s->next)
                if (!strcmp(s->labels, labels))
                        return s;
        s = retl_calloc(1, sizeof(*s));
        s->labels = retl_strdup(labels);
        s->next = f->series;
        f->series = s;
        return s;
}

void retl_metrics_add(struct retl_metrics *m, const char *name, const char *labels, double v)
{
        struct series *s;
        if (!m)
                return;
        pthread_mutex_lock(&m->lock);
        if ((s = get_series(m, name, labels)))
                s->value += v;
        pthread_mutex_unlock(&m->lock);
}

void retl_metrics_set(struct retl_metrics *m, const char *name, const char *labels, double v)
{
        struct series *s;
        if (!m)
                return;
        pthread_mutex_lock(&m->lock);
        if ((s = get_series(m, name, labels)))
                s->value = v;
        pthread_mutex_unlock(&m->lock);
}

void retl_metrics_observe(struct retl_metrics *m, const char *name, const char *labels,
                          double v)
{
        struct series *s;
        if (!m)
                return;
        pthread_mutex_lock(&m->lock);
        if ((s = get_series(m, name, labels))) {
                s->value += v;
                s->count++;
                for (size_t i = 0; i < NBUCKETS; i++)
                        if (v <= buckets[i])
                                s->bucket[i]++;
        }
        pthread_mutex_unlock(&m->lock);
}

void retl_metrics_label(char *out, size_t outsize, const char *key, const char *value)
{
        size_t n = 0;
        int r = snprintf(out, outsize, "%s=\"", key);
        if (r < 0 || (size_t)r >= outsize) {
                if (outsize)
                        out[0] = '\0';
                return;
        }
        n = (size_t)r;
        for (; *value && n + 3 < outsize; value++) {
                if (*value == '"' || *value == '\\') {
                        out[n++] = '\\';
                        out[n++] = *value;
                } else if (*value == '\n') {
                        out[n++] = '\\';
                        out[n++] = 'n';
                } else {
                        out[n++] = *value;
                }
        }
        out[n++] = '"';
        out[n] = '\0';
}

void retl_metrics_beat(struct retl_metrics *m)
{
        if (!m)
                return;
        pthread_mutex_lock(&m->lock);
        m->last_beat = time(NULL);
        pthread_mutex_unlock(&m->lock);
}

void retl_metrics_ready(struct retl_metrics *m, int ready, const char *why)
{
        if (!m)
                return;
        pthread_mutex_lock(&m->lock);
        m->ready = ready;
        snprintf(m->why, sizeof(m->why), "%s", why ? why : "");
        pthread_mutex_unlock(&m->lock);
}

static const char *type_name(enum retl_metric_type t)
{
        return t == RETL_COUNTER ? "counter" : t == RETL_GAUGE ? "gauge" : "histogram";
}

char *retl_metrics_render(struct retl_metrics *m)
{
        struct retl_buf b;
        int err = 0;

        retl_buf_init(&b, 64 << 20);
        if (!m)
                return retl_buf_take(&b, NULL);
        pthread_mutex_lock(&m->lock);
        for (struct family *f = m->families; f && !err; f = f->next) {
                err |= retl_buf_printf(&b, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help,
                                       f->name, type_name(f->type));
                for (struct series *s = f->series; s && !err; s = s->next) {
                        const char *lb = s->labels;
                        if (f->type != RETL_HISTOGRAM) {
                                err |= retl_buf_printf(&b, "%s%s%s%s %.17g\n", f->name,
                                                       *lb ? "{" : "", lb, *lb ? "}" : "",
                                                       s->value);
                                continue;
                        }
                        for (size_t i = 0; i < NBUCKETS; i++)
                                err |= retl_buf_printf(&b, "%s_bucket{%s%sle=\"%g\"} %llu\n",
                                                       f->name, lb, *lb ? "," : "", buckets[i],
                                                       s->bucket[i]);
                        err |= retl_buf_printf(&b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", f->name,
                                               lb, *lb ? "," : "", s->count);
                        err |= retl_buf_printf(&b, "%s_sum%s%s%s %.17g\n%s_count%s%s%s %llu\n",
                                               f->name, *lb ? "{" : "", lb, *lb ? "}" : "",
                                               s->value, f->name, *lb ? "{" : "", lb,
                                               *lb ? "}" : "", s->count);
                }
        }
        pthread_mutex_unlock(&m->lock);
        return retl_buf_take(&b, NULL);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
        struct retl_metrics *m = cls;
        struct MHD_Response *resp;
        unsigned status = 200;
        char *body;
        enum MHD_Result ret;

        if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
                body = retl_strdup("only GET\n");
                status = 405;
        } else if (!strcmp(url, "/metrics")) {
                body = retl_metrics_render(m);
        } else if (!strcmp(url, "/healthz")) {
                time_t now = time(NULL);
                pthread_mutex_lock(&m->lock);
                if (now - m->last_beat > m->stall_s) {
                        status = 503;
                        body = retl_asprintf("stalled: main loop silent for %lld s\n",
                                             (long long)(now - m->last_beat));
                } else {
                        body = retl_strdup("ok\n");
                }
                pthread_mutex_unlock(&m->lock);
        } else if (!strcmp(url, "/readyz")) {
                pthread_mutex_lock(&m->lock);
                if (m->ready) {
                        body = retl_strdup("ready\n");
                } else {
                        status = 503;
                        body = retl_asprintf("not ready: %s\n", m->why[0] ? m->why : "starting");
                }
                pthread_mutex_unlock(&m->lock);
        } else {
                status = 404;
                body = retl_strdup("not found: try /metrics, /healthz or /readyz\n");
        }
        resp = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
        MHD_add_response_header(resp, "Content-Type",
                                !strcmp(url, "/metrics") && status == 200
                                        ? "text/plain; version=0.0.4; charset=utf-8"
                                        : "text/plain; charset=utf-8");
        ret = MHD_queue_response(conn, status, resp);
        MHD_destroy_response(resp);
        return ret;
}

struct retl_metrics *retl_metrics_new(const char *listen, int stall_s, char *errstr,
                                      size_t errstr_size)
{
        struct retl_metrics *m = retl_calloc(1, sizeof(*m));
        struct sockaddr_in sa;

        pthread_mutex_init(&m->lock, NULL);
        m->stall_s = stall_s > 0 ? stall_s : 60;
        m->last_beat = time(NULL);
        if (!listen)
                return m;
        if (retl_listen_parse("metrics.listen", listen, &sa, errstr, errstr_size)) {
                retl_metrics_destroy(m);
                return NULL;
        }
        m->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL,
                                  NULL, answer, m, MHD_OPTION_SOCK_ADDR, &sa,
                                  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
        if (!m->mhd) {
                snprintf(errstr, errstr_size, "metrics.listen '%s': cannot listen (port in use?)",
                         listen);
                retl_metrics_destroy(m);
                return NULL;
        }
        {
                const union MHD_DaemonInfo *di = MHD_get_daemon_info(m->mhd,
                                                                     MHD_DAEMON_INFO_BIND_PORT);
                m->port = di ? di->port : (int)ntohs(sa.sin_port);
        }
        retl_log_info("metrics", "serving /metrics, /healthz and /readyz on %s:%d",
                      inet_ntoa(sa.sin_addr), m->port);
        return m;
}

int retl_metrics_port(const struct retl_metrics *m)
{
        return m ? m->port : 0;
}

void retl_metrics_destroy(struct retl_metrics *m)
{
        if (!m)
                return;
        if (m->mhd)
                MHD_stop_daemon(m->mhd);
        for (struct family *f = m->families, *fn; f; f = fn) {
                fn = f->next;
                for (struct series *s = f->series, *sn; s; s = sn) {
                        sn = s->next;
                        free(s->labels);
                        free(s);
                }
                free(f->name);
                free(f->help);
                free(f);
        }
        pthread_mutex_destroy(&m->lock);
        free(m);
}
