/* retl uploader — when to nudge librdkafka's fetcher for a workspace.
 *
 * librdkafka 2.0 stops fetching a partition whose prefetch queue reached its
 * bound and looks at it again only when its broker thread next wakes: up to
 * a second later, however soon the queue drained. A seek wakes that thread
 * (a pause and resume does not). The caller seeks to the next offset it
 * takes when this says so: its queue has stood empty, with room to take
 * more and more on the broker, for longer than a fetch takes. How long a
 * fetch takes is learnt: the time from a nudge to the first message after
 * it, doubled, between 20 ms and 1 s; a nudge that brought nothing doubles
 * the wait. So on a slow link the nudge does not cut short the fetch
 * librdkafka already has in flight. Pure logic: no Kafka here. */
#ifndef RETL_FETCH_NUDGE_H
#define RETL_FETCH_NUDGE_H

#include <stdint.h>

#define RETL_FETCH_NUDGE_MIN_MS 20
#define RETL_FETCH_NUDGE_MAX_MS 1000

struct retl_fetch_nudge {
        int64_t hungry_since_ms;   /* room, an empty queue, more on the broker; 0: not */
        int64_t nudged_at_ms;      /* the last nudge, no message since; 0: none */
        int64_t wait_ms;           /* hunger before a nudge; 0 reads as the minimum */
        int64_t count;             /* nudges so far */
};

/** @brief Messages came from the queue at @p now_ms. */
void retl_fetch_nudge_fed(struct retl_fetch_nudge *n, int64_t now_ms);

/** @brief The caller takes nothing now (no room): not hungry. */
void retl_fetch_nudge_full(struct retl_fetch_nudge *n);

/** @brief The queue was empty at @p now_ms with room to take more; @p more:
 *  the broker holds more of the topic than was taken.
 *  @returns 1 when the caller should nudge (seek) now. */
int retl_fetch_nudge_hungry(struct retl_fetch_nudge *n, int64_t now_ms, int more);

#endif
