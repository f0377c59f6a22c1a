/* retl uploader — the guardrail rules, shared by the uploader's guard
 * (partition_guard.c) and `retl plan`: whether a run's changes and deletes
 * pass its sync's bounds, and what a mirror run may delete. Pure functions. */
#ifndef RETL_GUARDRAIL_H
#define RETL_GUARDRAIL_H

#include "lib/cfg.h"

#include <stddef.h>
#include <stdint.h>

/* What reading a whole run found. */
struct retl_guardrail_counts {
        int64_t holds;          /* identifiers the sync held before the run */
        int64_t kept;           /* ... that the run's result holds too */
        int64_t rows;           /* rows of both queries */
        int64_t rel_rows;       /* rows of the relationship query */
        int64_t failed;         /* rows that failed the row rules */
        int64_t corrupt;        /* records that could not be decoded */
        int complete;           /* the run completed (its RunFinished says so) */
        int has_rel;            /* the sync has a relationship query */
};

/** @brief A mirror run's deletes: the identifiers the sync holds and the
 *  result does not — or 0 with the reason in @p why when the run cannot be
 *  trusted to be the whole truth (it did not complete, rows failed or did
 *  not decode, a query returned nothing while the sync holds identifiers).
 *  @p why is "" when nothing needs saying. */
int64_t retl_guardrail_deletes(const struct retl_guardrail_counts *c, char *why, size_t n);

/** @brief Whether @p changes (identifiers to add or change) or @p deletes
 *  pass a bound of sync @p s, which holds @p holds identifiers; the reason,
 *  with its figures, in @p why. */
int retl_guardrail_over(const struct retl_cfg_sync *s, int64_t holds, int64_t changes,
                        int64_t deletes, char *why, size_t n);

/** @brief Whether runs of @p s are counted before they are sent. */
int retl_guardrail_applies(const struct retl_cfg_sync *s);

#endif
