/* retl uploader — pacing: a token bucket for the request-rate cap, and the
 * retry backoff (exponential, with full jitter).
 *
 * Value types callers embed; times are a monotonic clock in milliseconds. */
#ifndef RETL_PACE_H
#define RETL_PACE_H

#include <stdint.h>

struct retl_pace_bucket {
        double pb_rate;         /* tokens per second */
        double pb_burst;        /* capacity */
        double pb_tokens;
        int64_t pb_last_ms;
};

/** @brief A full bucket of @p burst tokens refilled at @p rate per second. */
void retl_pace_bucket_init(struct retl_pace_bucket *pb, double rate, double burst,
                           int64_t now_ms);
/** @brief Takes a token if one is there. @returns 0 when taken, else the
 *  milliseconds until one will be (at least 1). */
int64_t retl_pace_bucket_take(struct retl_pace_bucket *pb, int64_t now_ms);

/** @brief Delay before retry number @p attempt (1 = first retry): a random
 *  point in [d/2, d] where d = min(cap, base * 2^(attempt-1)).
 *  @p rnd is a caller-kept xorshift state (non-zero). */
int64_t retl_pace_backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms, uint64_t *rnd);

/** @brief Monotonic clock, milliseconds. */
int64_t retl_pace_now_ms(void);
/** @brief Wall clock, Unix milliseconds. */
int64_t retl_pace_wall_ms(void);

#endif
