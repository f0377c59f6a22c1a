/* retl — when each sync runs.
 *
 * A sync's slots are start + k * interval. At launch a sync whose start has
 * passed is due at once (its latest slot); after a run (or a skip) the next
 * slot is the first one after now, so a run that overran its interval, or a
 * process that was down, catches up with one run, never a burst. */
#ifndef RETL_SCHEDULE_H
#define RETL_SCHEDULE_H

#include <stdint.h>

/** @brief The first slot at launch (<= now when already due). @p start 0 = now. */
int64_t retl_schedule_first(int64_t start, int64_t interval_s, int64_t now);

/** @brief The slot after @p slot that is later than @p now. */
int64_t retl_schedule_next(int64_t slot, int64_t interval_s, int64_t now);

#endif
