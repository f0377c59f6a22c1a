/* retl uploader — the sliding-window rate cap and the backoff, see pace.h. */
#include "pace.h"
#include "lib/mem.h"

#include <stdlib.h>

#include <time.h>

void retl_pace_window_init(struct retl_pace_window *pw, int rate, int64_t jitter_ms)
{
        if (rate < 1)
                rate = 1;
        pw->pw_limit = rate < RETL_PACE_WINDOW_MAX ? rate : RETL_PACE_WINDOW_MAX;
        pw->pw_span_ms = (1000 + jitter_ms) * pw->pw_limit / rate;
        if (pw->pw_span_ms < 1)
                pw->pw_span_ms = 1;
        pw->pw_sent = retl_calloc((size_t)pw->pw_limit, sizeof(*pw->pw_sent));
        pw->pw_n = 0;
        pw->pw_next = 0;
}

void retl_pace_window_free(struct retl_pace_window *pw)
{
        free(pw->pw_sent);
        pw->pw_sent = NULL;
}

int64_t retl_pace_window_take(struct retl_pace_window *pw, int64_t now_ms)
{
        if (pw->pw_n == pw->pw_limit) {
                int64_t free_at = pw->pw_sent[pw->pw_next] + pw->pw_span_ms;
                if (now_ms < free_at)
                        return free_at - now_ms;
        } else {
                pw->pw_n++;
        }
        pw->pw_sent[pw->pw_next] = now_ms;
        pw->pw_next = (pw->pw_next + 1) % pw->pw_limit;
        return 0;
}

static uint64_t xorshift(uint64_t *s)
{
        uint64_t x = *s ? *s : 0x9E3779B97F4A7C15ULL;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *s = x;
        return x;
}

int64_t retl_pace_backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms, uint64_t *rnd)
{
        int64_t d = base_ms;

        for (int i = 1; i < attempt && d < cap_ms; i++)
                d *= 2;
        if (d > cap_ms)
                d = cap_ms;
        if (d < 2)
                return d;
        return d / 2 + (int64_t)(xorshift(rnd) % (uint64_t)(d / 2 + 1));
}

int64_t retl_pace_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t retl_pace_wall_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
