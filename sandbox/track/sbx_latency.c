/* retl sandbox — injected latency with a thread pool: connections are
 * suspended and a thread of its own resumes each when due; see
 * sbx_latency.h. */
#include "sandbox/track/sbx_latency.h"
#include "sandbox/track/sbx_http.h"

#include "lib/mem.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* A connection suspended for injected latency, resumed when due. */
struct sbx_delay {
        int64_t dl_due;           /* monotonic ms */
        struct MHD_Connection *dl_conn;
};

struct retl_sbx_latency {
        pthread_t lt_thread;
        pthread_mutex_t lt_lock;
        pthread_cond_t lt_cond;   /* on the monotonic clock */
        struct sbx_delay *lt_delays;
        size_t lt_n, lt_cap;
        int lt_draining;          /* no more suspends; resume all now */
        int lt_quit;
};

/* With a thread pool, sleeping would stall every connection of that
 * thread; instead the connection is suspended and this thread resumes it
 * when due. */
static void *resumer_main(void *arg)
{
        struct retl_sbx_latency *lt = arg;

        pthread_mutex_lock(&lt->lt_lock);
        while (!lt->lt_quit) {
                int64_t now = retl_sbx_http_mono_ms(), next = INT64_MAX;
                size_t i = 0;

                while (i < lt->lt_n) {
                        struct sbx_delay *d = &lt->lt_delays[i];

                        if (d->dl_due <= now || lt->lt_draining) {
                                MHD_resume_connection(d->dl_conn);
                                *d = lt->lt_delays[--lt->lt_n];
                                continue;
                        }
                        if (d->dl_due < next)
                                next = d->dl_due;
                        i++;
                }
                if (next == INT64_MAX) {
                        pthread_cond_wait(&lt->lt_cond, &lt->lt_lock);
                } else {
                        struct timespec ts;

                        ts.tv_sec = (time_t)(next / 1000);
                        ts.tv_nsec = (long)(next % 1000) * 1000000L;
                        pthread_cond_timedwait(&lt->lt_cond, &lt->lt_lock, &ts);
                }
        }
        pthread_mutex_unlock(&lt->lt_lock);
        return NULL;
}

struct retl_sbx_latency *retl_sbx_latency_new(char *errstr, size_t errstr_size)
{
        struct retl_sbx_latency *lt = retl_calloc(1, sizeof(*lt));
        pthread_condattr_t ca;

        pthread_mutex_init(&lt->lt_lock, NULL);
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&lt->lt_cond, &ca);
        pthread_condattr_destroy(&ca);
        if (pthread_create(&lt->lt_thread, NULL, resumer_main, lt)) {
                snprintf(errstr, errstr_size, "cannot start a thread");
                pthread_cond_destroy(&lt->lt_cond);
                pthread_mutex_destroy(&lt->lt_lock);
                free(lt);
                return NULL;
        }
        return lt;
}

int retl_sbx_latency_delay(struct retl_sbx_latency *lt, struct MHD_Connection *conn, int ms)
{
        int rc = -1;

        pthread_mutex_lock(&lt->lt_lock);
        if (!lt->lt_draining) {
                if (lt->lt_n == lt->lt_cap) {
                        lt->lt_cap = lt->lt_cap ? lt->lt_cap * 2 : 16;
                        lt->lt_delays = retl_realloc(lt->lt_delays,
                                                     lt->lt_cap * sizeof(*lt->lt_delays));
                }
                lt->lt_delays[lt->lt_n].dl_due = retl_sbx_http_mono_ms() + ms;
                lt->lt_delays[lt->lt_n].dl_conn = conn;
                lt->lt_n++;
                /* under our lock, so that a drain cannot miss it */
                MHD_suspend_connection(conn);
                pthread_cond_signal(&lt->lt_cond);
                rc = 0;
        }
        pthread_mutex_unlock(&lt->lt_lock);
        return rc;
}

/* Sets a flag under the lock and wakes the thread. */
static void signal_flag(struct retl_sbx_latency *lt, int *flag)
{
        pthread_mutex_lock(&lt->lt_lock);
        *flag = 1;
        pthread_cond_signal(&lt->lt_cond);
        pthread_mutex_unlock(&lt->lt_lock);
}

void retl_sbx_latency_drain(struct retl_sbx_latency *lt)
{
        size_t left;

        signal_flag(lt, &lt->lt_draining);
        for (;;) {
                pthread_mutex_lock(&lt->lt_lock);
                left = lt->lt_n;
                pthread_mutex_unlock(&lt->lt_lock);
                if (!left)
                        break;
                retl_sbx_http_sleep_ms(1);
        }
}

void retl_sbx_latency_destroy(struct retl_sbx_latency *lt)
{
        if (!lt)
                return;
        signal_flag(lt, &lt->lt_quit);
        pthread_join(lt->lt_thread, NULL);
        pthread_mutex_destroy(&lt->lt_lock);
        pthread_cond_destroy(&lt->lt_cond);
        free(lt->lt_delays);
        free(lt);
}
