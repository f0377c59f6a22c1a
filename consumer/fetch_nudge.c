/* retl uploader — when to nudge librdkafka's fetcher; see fetch_nudge.h. */
#include "consumer/fetch_nudge.h"

static int64_t clamp(int64_t ms)
{
        return ms < RETL_FETCH_NUDGE_MIN_MS ? RETL_FETCH_NUDGE_MIN_MS
               : ms > RETL_FETCH_NUDGE_MAX_MS ? RETL_FETCH_NUDGE_MAX_MS
                                               : ms;
}

void retl_fetch_nudge_fed(struct retl_fetch_nudge *n, int64_t now_ms)
{
        /* a nudge answered: twice its round trip is how long a fetch may take */
        if (n->nudged_at_ms)
                n->wait_ms = clamp(2 * (now_ms - n->nudged_at_ms));
        n->nudged_at_ms = 0;
        n->hungry_since_ms = 0;
}

void retl_fetch_nudge_full(struct retl_fetch_nudge *n)
{
        n->hungry_since_ms = 0;
}

int retl_fetch_nudge_hungry(struct retl_fetch_nudge *n, int64_t now_ms, int more)
{
        if (!more) {
                /* caught up: an empty queue is what it should be */
                n->hungry_since_ms = 0;
                return 0;
        }
        if (!n->hungry_since_ms) {
                n->hungry_since_ms = now_ms;
                return 0;
        }
        if (now_ms - n->hungry_since_ms < clamp(n->wait_ms))
                return 0;
        /* the previous nudge brought nothing yet: wait longer this time */
        if (n->nudged_at_ms)
                n->wait_ms = clamp(2 * clamp(n->wait_ms));
        n->nudged_at_ms = now_ms;
        n->hungry_since_ms = now_ms;
        n->count++;
        return 1;
}
