/* retl uploader — token bucket and backoff, see pace.h. */
#include "pace.h"

#include <time.h>

void retl_pace_bucket_init(struct retl_pace_bucket *pb, double rate, double burst,
                           int64_t now_ms)
{
        pb->pb_rate = rate > 0 ? rate : 1;
        pb->pb_burst = burst >= 1 ? burst : 1;
        pb->pb_tokens = pb->pb_burst;
        pb->pb_last_ms = now_ms;
}

int64_t retl_pace_bucket_take(struct retl_pace_bucket *pb, int64_t now_ms)
{
        double need;

        if (now_ms > pb->pb_last_ms) {
                pb->pb_tokens += (double)(now_ms - pb->pb_last_ms) * pb->pb_rate / 1000.0;
                if (pb->pb_tokens > pb->pb_burst)
                        pb->pb_tokens = pb->pb_burst;
                pb->pb_last_ms = now_ms;
        }
        if (pb->pb_tokens >= 1.0) {
                pb->pb_tokens -= 1.0;
                return 0;
        }
        need = (1.0 - pb->pb_tokens) * 1000.0 / pb->pb_rate;
        return need < 1 ? 1 : (int64_t)need + 1;
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
