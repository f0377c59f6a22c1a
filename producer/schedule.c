/* retl — when each sync runs, see schedule.h. */
#include "producer/schedule.h"

int64_t retl_schedule_first(int64_t start, int64_t interval_s, int64_t now)
{
        if (start <= 0)
                return now;
        if (start >= now || interval_s <= 0)
                return start;
        return start + (now - start) / interval_s * interval_s;
}

int64_t retl_schedule_next(int64_t slot, int64_t interval_s, int64_t now)
{
        if (interval_s <= 0)
                interval_s = 1;
        if (slot + interval_s > now)
                return slot + interval_s;
        return slot + ((now - slot) / interval_s + 1) * interval_s;
}
