/* retl — `retl plan`'s state, shared by cli/plan.c (the queries, the
 * comparison with the row state, the output) and cli/plan_sample.c (what a
 * sample of changed rows held before, from the workspace's topic). */
#ifndef RETL_CLI_PLAN_H
#define RETL_CLI_PLAN_H

#include "consumer/rowstate.h"
#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/codec.h"

#include <jansson.h>
#include <stdint.h>

#define PLAN_SAMPLE_MAX 1000

/* A changed row of the sample: its state key, what the state holds for it
 * and the entity it would send now. */
struct plan_change {
        int part;                       /* enum retl_part */
        int64_t row_number;
        char *ident;                    /* malloc'd, may be NULL */
        char *key;                      /* state key, malloc'd */
        size_t keylen;
        uint64_t old_fp;                /* the state's fingerprint */
        char *json;                     /* the entity now, malloc'd */
        char *old_json;                 /* the entity the state's fingerprint is of,
                                           found in the topic; NULL when not found */
};

struct plan {
        const struct retl_cfg *cfg;
        const struct retl_cfg_sync *sync;
        struct retl_codec *codec;
        struct retl_rowstate *rs;       /* the workspace's row state, all syncs */
        int sidx;                       /* the sync's index in it */
        struct plan_change *changes;    /* the sample, at most nsample */
        size_t nchanges, nsample;
};

/** @brief Fills in old_json of each sampled change from the workspace's
 *  topic: the last row of the sync whose entity has the state's fingerprint
 *  (a row accepted by the workspace and still within retention). Progress
 *  lines on stderr. @returns 0, or -1 with errstr (Kafka). */
int retl_plan_sample_find(struct plan *pl, char *errstr, size_t errstr_size);

/** @brief What differs between two entities (JSON texts; @p from may be
 *  NULL: unknown): an array of {attribute, from, to}, each side absent when
 *  the attribute is. New reference. */
json_t *retl_plan_sample_diff(const char *from, const char *to);

#endif
