/* retl — `retl plan`'s sample of changed rows: what each held before (the
 * workspace topic's last row of the sync whose entity has the fingerprint
 * the row state holds) and which attributes change, see cli/plan.h. */
#include "cli/plan.h"
#include "consumer/mapping.h"
#include "consumer/statelog.h"
#include "lib/mem.h"
#include "lib/scan.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct find {
        struct plan *pl;
        char *run_id;                   /* the sync's run being read, NULL = none */
        struct retl_sync_settings s;    /* its settings; strings owned */
        int64_t segkey;
        struct retl_buf json, key;
        int64_t records;
        time_t last;
};

static void forget_run(struct find *f)
{
        free(f->run_id);
        free((char *)f->s.object_type_id);
        free((char *)f->s.segment_name);
        f->run_id = NULL;
        memset(&f->s, 0, sizeof(f->s));
}

static void take_run(struct find *f, const struct retl_run_started *rs)
{
        forget_run(f);
        f->run_id = retl_strdup(rs->run_id);
        f->s = rs->settings;
        f->s.object_type_id = retl_strdup(rs->settings.object_type_id
                                                  ? rs->settings.object_type_id : "1");
        f->s.segment_name = rs->settings.segment_name ? retl_strdup(rs->settings.segment_name)
                                                      : NULL;
        f->s.segment_description = NULL;
        f->s.query = f->s.relationship_query = NULL;
        f->segkey = retl_rowstate_segment_key(f->s.segment, f->s.segment_name);
}

static void row(struct find *f, const struct retl_row *r)
{
        struct retl_mapped m;
        char why[512];
        uint64_t h, fp;

        if (retl_mapping_row(&f->s, r, &f->json, &m, why, sizeof(why)) || !m.state_id) {
                retl_mapped_free(&m);
                return;
        }
        retl_statelog_key(&f->key, f->pl->sync->name, m.state_id, m.state_id_len);
        retl_mapped_free(&m);
        h = retl_rowstate_hash(f->key.b_data, retl_buf_len(&f->key));
        for (size_t i = 0; i < f->pl->nchanges; i++) {
                struct plan_change *c = &f->pl->changes[i];

                if (c->keylen != retl_buf_len(&f->key) ||
                    retl_rowstate_hash(c->key, c->keylen) != h ||
                    memcmp(c->key, f->key.b_data, c->keylen))
                        continue;
                fp = retl_rowstate_fingerprint(
                        f->json.b_data, retl_buf_len(&f->json),
                        r->part == RETL_PART_MAIN && f->s.import == RETL_IMPORT_PEOPLE
                                ? f->segkey
                                : 0);
                /* the latest row the state's fingerprint is of */
                if (fp == c->old_fp) {
                        free(c->old_json);
                        c->old_json = retl_strdup(retl_buf_str(&f->json));
                }
        }
}

static int each(void *opaque, int64_t offset, int64_t timestamp_ms,
                const struct retl_record *rec, const char *why)
{
        struct find *f = opaque;
        time_t now = time(NULL);

        (void)offset;
        (void)timestamp_ms;
        (void)why;
        if (++f->records % 100000 == 0 && now - f->last >= 5) {
                f->last = now;
                fprintf(stderr, "plan: reading the workspace's topic for earlier values: "
                        "%" PRId64 " records\n", f->records);
        }
        if (!rec || strcmp(rec->type == RETL_REC_RUN_STARTED ? rec->u.run_started.sync
                           : rec->type == RETL_REC_ROW       ? rec->u.row.sync
                                                             : "",
                           f->pl->sync->name))
                return 0;
        if (rec->type == RETL_REC_RUN_STARTED)
                take_run(f, &rec->u.run_started);
        else if (f->run_id && !strcmp(f->run_id, rec->u.row.run_id))
                row(f, &rec->u.row);
        return 0;
}

int retl_plan_sample_find(struct plan *pl, char *errstr, size_t errstr_size)
{
        struct find f;
        char *topic = retl_cfg_workspace_topic(pl->cfg, pl->sync->workspace);
        int rc;

        memset(&f, 0, sizeof(f));
        f.pl = pl;
        f.last = time(NULL);
        retl_buf_init(&f.json, 0);
        retl_buf_init(&f.key, 0);
        rc = retl_scan_topic(&pl->cfg->kafka, topic, 0, 0, each, &f, errstr, errstr_size);
        forget_run(&f);
        retl_buf_free(&f.json);
        retl_buf_free(&f.key);
        free(topic);
        return rc;
}

/* The attributes of an entity: a person's or object's `attributes`, a
 * relationship's `relationship_attributes` (borrowed; NULL when none). */
static json_t *attributes_of(json_t *e)
{
        json_t *rel = json_object_get(e, "cio_relationships");

        if (json_is_array(rel))
                return json_object_get(json_array_get(rel, 0), "relationship_attributes");
        return json_object_get(e, "attributes");
}

static void add_change(json_t *out, const char *name, json_t *from, json_t *to)
{
        json_t *c = json_object();

        json_object_set_new(c, "attribute", json_string(name));
        if (from)
                json_object_set(c, "from", from);
        if (to)
                json_object_set(c, "to", to);
        json_array_append_new(out, c);
}

json_t *retl_plan_sample_diff(const char *from, const char *to)
{
        json_t *out = json_array(), *a = from ? json_loads(from, 0, NULL) : NULL,
               *b = json_loads(to, 0, NULL), *aa = attributes_of(a), *ba = attributes_of(b),
               *v;
        const char *k;

        /* a relationship added, or removed (deleted = true) */
        if (a && b && !json_equal(json_object_get(a, "action"), json_object_get(b, "action")))
                add_change(out, "(action)", json_object_get(a, "action"),
                           json_object_get(b, "action"));
        /* an attribute the row no longer has is left as it is (an empty
         * value ignored), so only the row's own attributes are compared */
        json_object_foreach(ba, k, v) {
                json_t *old = json_object_get(aa, k);
                if (!from || !old || !json_equal(old, v))
                        add_change(out, k, from ? old : NULL, v);
        }
        json_decref(a);
        json_decref(b);
        return out;
}
