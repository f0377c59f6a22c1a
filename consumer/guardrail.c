/* retl uploader — the guardrail rules, see guardrail.h. */
#include "consumer/guardrail.h"

#include <inttypes.h>
#include <stdio.h>

int64_t retl_guardrail_deletes(const struct retl_guardrail_counts *c, char *why, size_t n)
{
        why[0] = '\0';
        if (c->holds == 0)
                return 0;
        if (!c->complete)
                snprintf(why, n, "the run did not complete");
        else if (c->corrupt)
                snprintf(why, n, "%" PRId64 " records of the run could not be decoded",
                         c->corrupt);
        else if (c->failed)
                snprintf(why, n, "%" PRId64 " rows failed, and a failed row's identifier may "
                         "be among those the result seems to lack", c->failed);
        else if (c->rows - c->rel_rows == 0)
                snprintf(why, n, "the query returned no rows while the sync holds %" PRId64
                         " identifiers (a truncated or unreachable table?)", c->holds);
        else if (c->has_rel && c->rel_rows == 0)
                snprintf(why, n, "the relationship query returned no rows while the sync "
                         "holds %" PRId64 " identifiers", c->holds);
        else
                return c->holds - c->kept;
        return 0;
}

int retl_guardrail_over(const struct retl_cfg_sync *s, int64_t holds, int64_t changes,
                        int64_t deletes, char *why, size_t n)
{
        double share = holds > 0 ? 100.0 / (double)holds : 0;

        if (s->max_changes && changes > s->max_changes) {
                snprintf(why, n, "%" PRId64 " identifiers to add or change, over max_changes = "
                         "%" PRId64 " (the sync holds %" PRId64 ")", changes, s->max_changes,
                         holds);
                return 1;
        }
        /* a sync that holds nothing yet has no share to protect */
        if (s->max_changes_percent && holds > 0 &&
            changes * 100 > holds * s->max_changes_percent) {
                snprintf(why, n, "%" PRId64 " identifiers to add or change of the %" PRId64
                         " the sync holds (%.1f %%), over max_changes_percent = %d", changes,
                         holds, (double)changes * share, s->max_changes_percent);
                return 1;
        }
        if (deletes > 0 && s->max_deletes && deletes > s->max_deletes) {
                snprintf(why, n, "%" PRId64 " identifiers to delete, over max_deletes = %" PRId64
                         " (the sync holds %" PRId64 ")", deletes, s->max_deletes, holds);
                return 1;
        }
        if (deletes > 0 && s->max_deletes_percent < 100 &&
            deletes * 100 > holds * s->max_deletes_percent) {
                snprintf(why, n, "%" PRId64 " identifiers to delete of the %" PRId64
                         " the sync holds (%.1f %%), over max_deletes_percent = %d", deletes,
                         holds, (double)deletes * share, s->max_deletes_percent);
                return 1;
        }
        return 0;
}

int retl_guardrail_applies(const struct retl_cfg_sync *s)
{
        return s->max_changes || s->max_changes_percent || s->mirror;
}
