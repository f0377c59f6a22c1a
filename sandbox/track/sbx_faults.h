/* retl sandbox — fault injection for the Track API endpoints.
 *
 * Random faults (a request-rate limit, a share of 5xx answers, added
 * latency, dropped connections) and a script: a queue of statuses the next
 * API requests get in order, for deterministic tests. A script entry of 200
 * means "process normally, no random fault"; 0 means "drop the connection";
 * 429 comes with Retry-After; anything else is answered as is, unapplied.
 *
 * Thread-safe: an internal lock. */
#ifndef RETL_SBX_FAULTS_H
#define RETL_SBX_FAULTS_H

#include <jansson.h>
#include <stdint.h>

#define RETL_SBX_SCRIPT_MAX 10000

struct retl_sbx_fault_conf {
        double fc_rate_limit;     /* requests per second; 0 = none */
        double fc_error_rate;     /* share of requests answered fc_error_status */
        int fc_error_status;      /* 500..599, default 503 */
        int fc_latency_ms;        /* added before every API answer */
        double fc_drop_rate;      /* share of connections closed unanswered */
        int fc_retry_after;       /* seconds, in 429 answers; default 1 */
};

enum retl_sbx_fault_kind {
        RETL_SBX_F_NONE = 0,      /* process normally */
        RETL_SBX_F_STATUS,        /* answer fd_status, do not apply */
        RETL_SBX_F_DROP,          /* close the connection, no answer */
};

struct retl_sbx_fault_decision {
        enum retl_sbx_fault_kind fd_kind;
        int fd_status;
        int fd_latency_ms;
        int fd_retry_after;
        const char *fd_why;       /* "script", "rate_limit", "error_rate", "drop_rate" */
};

struct retl_sbx_faults;

struct retl_sbx_faults *retl_sbx_faults_new(const struct retl_sbx_fault_conf *fc,
                                            uint64_t seed);
void retl_sbx_faults_destroy(struct retl_sbx_faults *f);   /* NULL is fine */

/** @brief Replaces the settings with those in @p j (any subset of
 *  rate_limit, error_rate, error_status, latency_ms, drop_rate,
 *  retry_after, script; {} clears everything).
 *  @returns 0, or -1 with the reason in errstr (nothing changed). */
int retl_sbx_faults_set_json(struct retl_sbx_faults *f, const json_t *j, char *errstr,
                             size_t errstr_size);
/** @brief Back to the start-up settings, with an empty script. */
void retl_sbx_faults_reset(struct retl_sbx_faults *f);
/** @returns the settings and the pending script; json_decref() it. */
json_t *retl_sbx_faults_json(struct retl_sbx_faults *f);

/** @brief Decides the fate of one API request arriving at @p now_ms
 *  (a monotonic clock). Consumes a script entry if one is pending. */
void retl_sbx_faults_decide(struct retl_sbx_faults *f, int64_t now_ms,
                            struct retl_sbx_fault_decision *d);

#endif
