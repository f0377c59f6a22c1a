/* retl uploader — pacing: a sliding window for the request-rate cap, and
 * the retry backoff (exponential, with full jitter).
 *
 * Value types callers embed (use the functions); times are a monotonic
 * clock in milliseconds. */
#ifndef RETL_PACE_H
#define RETL_PACE_H

#include <stdint.h>

/* Send times kept at most: up to this rate the window is exactly one
 * second (plus the jitter allowance); above it, a proportionally shorter
 * window (a rate that high is never a server's fixed-window limit). */
#define RETL_PACE_WINDOW_MAX 1000
/* Requests do not reach the server at the pace they leave: allowance for
 * that jitter, so that a server counting fixed one-second windows never
 * sees more than its limit in one (it costs 2% of the rate). */
#define RETL_PACE_JITTER_MS 20

/* At most pw_limit requests in any pw_span_ms: the send times of the last
 * pw_limit requests in a ring. Idle, it lets a burst of pw_limit go at once;
 * busy, exactly pw_limit per span. Unlike a token bucket with a burst, it
 * never exceeds the rate in any window, so it does not collect the 429s
 * (and their Retry-After pauses) of a server that counts per second. */
struct retl_pace_window {
        int64_t *pw_sent;
        int pw_limit;
        int pw_n;               /* times held */
        int pw_next;            /* ring slot of the next (= the oldest when full) */
        int64_t pw_span_ms;
};

/** @brief At most @p rate requests per second, @p jitter_ms of allowance
 *  (RETL_PACE_JITTER_MS). Free with retl_pace_window_free. */
void retl_pace_window_init(struct retl_pace_window *pw, int rate, int64_t jitter_ms);
void retl_pace_window_free(struct retl_pace_window *pw);
/** @brief Records a request at @p now_ms if the window allows one.
 *  @returns 0 when recorded, else the milliseconds until one is allowed
 *  (at least 1). */
int64_t retl_pace_window_take(struct retl_pace_window *pw, int64_t now_ms);

/** @brief Delay before retry number @p attempt (1 = first retry): a random
 *  point in [d/2, d] where d = min(cap, base * 2^(attempt-1)).
 *  @p rnd is a caller-kept xorshift state (non-zero). */
int64_t retl_pace_backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms, uint64_t *rnd);

/** @brief Monotonic clock, milliseconds. */
int64_t retl_pace_now_ms(void);
/** @brief Wall clock, Unix milliseconds. */
int64_t retl_pace_wall_ms(void);

#endif
