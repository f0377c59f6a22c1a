/* retl sandbox — fault injection, see sbx_faults.h. */
#include "sandbox/track/sbx_faults.h"

#include "lib/mem.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct retl_sbx_faults {
        pthread_mutex_t f_lock;
        struct retl_sbx_fault_conf f_start;   /* from the command line */
        struct retl_sbx_fault_conf f_conf;    /* in force */
        int *f_script;                        /* pending statuses, FIFO */
        size_t f_script_len, f_script_pos;
        int64_t f_window;                     /* current second, for the rate limit */
        uint64_t f_window_count;
        uint64_t f_rng;
};

static void conf_defaults(struct retl_sbx_fault_conf *fc)
{
        if (!fc->fc_error_status)
                fc->fc_error_status = 503;
        if (!fc->fc_retry_after)
                fc->fc_retry_after = 1;
}

struct retl_sbx_faults *retl_sbx_faults_new(const struct retl_sbx_fault_conf *fc, uint64_t seed)
{
        struct retl_sbx_faults *f = retl_calloc(1, sizeof(*f));

        pthread_mutex_init(&f->f_lock, NULL);
        f->f_start = *fc;
        conf_defaults(&f->f_start);
        f->f_conf = f->f_start;
        f->f_rng = seed ? seed : 0x9e3779b97f4a7c15ULL;
        return f;
}

void retl_sbx_faults_destroy(struct retl_sbx_faults *f)
{
        if (!f)
                return;
        pthread_mutex_destroy(&f->f_lock);
        free(f->f_script);
        free(f);
}

/* xorshift64*: a uniform double in [0, 1) */
static double rnd(struct retl_sbx_faults *f)
{
        uint64_t x = f->f_rng;

        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        f->f_rng = x;
        return (double)((x * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

static int get_number(const json_t *j, const char *key, double lo, double hi, double *out,
                      char *errstr, size_t errstr_size)
{
        json_t *v = json_object_get(j, key);

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_number(v) || json_number_value(v) < lo || json_number_value(v) > hi) {
                snprintf(errstr, errstr_size, "%s must be a number from %g to %g", key, lo, hi);
                return -1;
        }
        *out = json_number_value(v);
        return 0;
}

int retl_sbx_faults_set_json(struct retl_sbx_faults *f, const json_t *j, char *errstr,
                             size_t errstr_size)
{
        struct retl_sbx_fault_conf fc = {0};
        double d;
        json_t *script, *v;
        int *steps = NULL;
        size_t n = 0, i;
        const char *k;

        if (!json_is_object(j)) {
                snprintf(errstr, errstr_size, "the body must be a JSON object");
                return -1;
        }
        json_object_foreach((json_t *)j, k, v) {
                static const char *const known[] = {"rate_limit", "error_rate", "error_status",
                                                    "latency_ms", "drop_rate", "retry_after",
                                                    "script"};
                int ok = 0;

                for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
                        ok |= !strcmp(k, known[i]);
                if (!ok) {
                        snprintf(errstr, errstr_size, "unknown fault setting '%s'", k);
                        return -1;
                }
        }
        if (get_number(j, "rate_limit", 0, 1e9, &fc.fc_rate_limit, errstr, errstr_size) ||
            get_number(j, "error_rate", 0, 1, &fc.fc_error_rate, errstr, errstr_size) ||
            get_number(j, "drop_rate", 0, 1, &fc.fc_drop_rate, errstr, errstr_size))
                return -1;
        d = 503;
        if (get_number(j, "error_status", 500, 599, &d, errstr, errstr_size))
                return -1;
        fc.fc_error_status = (int)d;
        d = 0;
        if (get_number(j, "latency_ms", 0, 600000, &d, errstr, errstr_size))
                return -1;
        fc.fc_latency_ms = (int)d;
        d = 1;
        if (get_number(j, "retry_after", 0, 86400, &d, errstr, errstr_size))
                return -1;
        fc.fc_retry_after = (int)d;
        script = json_object_get(j, "script");
        if (script && !json_is_null(script)) {
                if (!json_is_array(script) || json_array_size(script) > RETL_SBX_SCRIPT_MAX) {
                        snprintf(errstr, errstr_size,
                                 "script must be an array of at most %d statuses",
                                 RETL_SBX_SCRIPT_MAX);
                        return -1;
                }
                steps = retl_calloc(json_array_size(script) + 1, sizeof(int));
                json_array_foreach(script, i, v) {
                        json_int_t s;

                        if (json_is_string(v) && !strcmp(json_string_value(v), "drop")) {
                                steps[n++] = 0;
                                continue;
                        }
                        s = json_is_integer(v) ? json_integer_value(v) : -1;
                        if (s != 0 && (s < 200 || s > 599)) {
                                snprintf(errstr, errstr_size,
                                         "script[%zu]: a status 200..599, 0 or \"drop\"", i);
                                free(steps);
                                return -1;
                        }
                        steps[n++] = (int)s;
                }
        }
        pthread_mutex_lock(&f->f_lock);
        f->f_conf = fc;
        free(f->f_script);
        f->f_script = steps;
        f->f_script_len = n;
        f->f_script_pos = 0;
        pthread_mutex_unlock(&f->f_lock);
        return 0;
}

void retl_sbx_faults_reset(struct retl_sbx_faults *f)
{
        pthread_mutex_lock(&f->f_lock);
        f->f_conf = f->f_start;
        free(f->f_script);
        f->f_script = NULL;
        f->f_script_len = f->f_script_pos = 0;
        pthread_mutex_unlock(&f->f_lock);
}

json_t *retl_sbx_faults_json(struct retl_sbx_faults *f)
{
        json_t *j, *script = json_array();

        pthread_mutex_lock(&f->f_lock);
        for (size_t i = f->f_script_pos; i < f->f_script_len; i++)
                json_array_append_new(script, json_integer(f->f_script[i]));
        j = json_pack("{s:f, s:f, s:i, s:i, s:f, s:i, s:o}", "rate_limit",
                      f->f_conf.fc_rate_limit, "error_rate", f->f_conf.fc_error_rate,
                      "error_status", f->f_conf.fc_error_status, "latency_ms",
                      f->f_conf.fc_latency_ms, "drop_rate", f->f_conf.fc_drop_rate,
                      "retry_after", f->f_conf.fc_retry_after, "script", script);
        pthread_mutex_unlock(&f->f_lock);
        return j;
}

void retl_sbx_faults_decide(struct retl_sbx_faults *f, int64_t now_ms,
                            struct retl_sbx_fault_decision *d)
{
        const struct retl_sbx_fault_conf *fc = &f->f_conf;
        int64_t window = now_ms / 1000;

        pthread_mutex_lock(&f->f_lock);
        d->fd_kind = RETL_SBX_F_NONE;
        d->fd_status = 0;
        d->fd_latency_ms = fc->fc_latency_ms;
        d->fd_retry_after = fc->fc_retry_after;
        d->fd_why = NULL;
        if (f->f_script_pos < f->f_script_len) {
                int s = f->f_script[f->f_script_pos++];

                /* a script step replaces the random faults for this request */
                if (s != 200) {
                        d->fd_why = "script";
                        d->fd_kind = s == 0 ? RETL_SBX_F_DROP : RETL_SBX_F_STATUS;
                        d->fd_status = s;
                }
                goto out;
        }
        if (fc->fc_drop_rate > 0 && rnd(f) < fc->fc_drop_rate) {
                d->fd_kind = RETL_SBX_F_DROP;
                d->fd_why = "drop_rate";
                goto out;
        }
        if (fc->fc_rate_limit > 0) {
                /* a fixed one-second window: the first N requests of each
                 * second pass, the rest get 429 */
                if (window != f->f_window) {
                        f->f_window = window;
                        f->f_window_count = 0;
                }
                if ((double)f->f_window_count >= fc->fc_rate_limit) {
                        d->fd_kind = RETL_SBX_F_STATUS;
                        d->fd_status = 429;
                        d->fd_why = "rate_limit";
                        goto out;
                }
                f->f_window_count++;
        }
        if (fc->fc_error_rate > 0 && rnd(f) < fc->fc_error_rate) {
                d->fd_kind = RETL_SBX_F_STATUS;
                d->fd_status = fc->fc_error_status;
                d->fd_why = "error_rate";
        }
out:
        pthread_mutex_unlock(&f->f_lock);
}
