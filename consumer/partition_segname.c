/* retl uploader — segments found or created by name, see
 * partition_segname.h. */
#include "consumer/partition_segname.h"
#include "consumer/rowstate.h"
#include "consumer/jsonw.h"
#include "consumer/partition_batcher.h"
#include "lib/log.h"
#include "lib/mem.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The App API allows 10 requests per second per account. */
#define APP_API_RATE 10.0

/* The lookup in progress: one sync's segment, by name. */
struct segname {
        char *sync, *name, *desc;
        uint32_t hash;
        struct req *q;          /* in flight (q->x) or waiting for q->not_before_ms */
        int attempts;
};

static void lookup_free(struct retl_partition *p)
{
        struct segname *sn = p->segname;

        if (!sn)
                return;
        if (sn->q) {
                if (sn->q->x)
                        retl_track_abort(p->env.track, sn->q->x);
                retl_partition_batcher_req_free(sn->q);
        }
        free(sn->sync);
        free(sn->name);
        free(sn->desc);
        free(sn);
        p->segname = NULL;
}

void retl_partition_segname_abandon(struct retl_partition *p)
{
        lookup_free(p);
}

/* Whether run @p r is one the lookup @p sn is for. */
static int lookup_of(const struct segname *sn, const struct run *r)
{
        return r->s.segment_name && !r->seg_id && !r->seg_error && !strcmp(r->sync, sn->sync) &&
               !strcmp(r->s.segment_name, sn->name);
}

/* The request of the lookup's next step: the list of segments, or the
 * creation of one named sn->name. */
static void lookup_step(struct retl_partition *p, enum rkind kind)
{
        struct segname *sn = p->segname;
        struct req *q = retl_calloc(1, sizeof(*q));
        int err = 0;

        q->p = p;
        q->kind = kind;
        retl_buf_init(&q->body, 0);
        q->url = retl_asprintf("%s/v1/segments", p->ws->app_api_url);
        if (kind == R_APP_CREATE) {
                err |= retl_buf_puts(&q->body, "{\"segment\":{\"name\":");
                err |= retl_jsonw_string(&q->body, sn->name, strlen(sn->name)) != 0;
                if (sn->desc) {
                        err |= retl_buf_puts(&q->body, ",\"description\":");
                        err |= retl_jsonw_string(&q->body, sn->desc, strlen(sn->desc)) != 0;
                }
                err |= retl_buf_puts(&q->body, "}}");
                if (err) {
                        retl_log_error("upload", "request body over its ceiling");
                        abort();
                }
        }
        if (sn->q)
                retl_partition_batcher_req_free(sn->q);
        sn->q = q;
        sn->attempts = 0;
}

/* Sends the lookup's request when it is due and the App API's pace allows. */
static void lookup_send(struct retl_partition *p, int64_t now, int64_t *wake)
{
        struct req *q = p->segname->q;
        int64_t wait;

        if (q->x)
                return;
        if (q->not_before_ms > now) {
                if (q->not_before_ms - now < *wake)
                        *wake = q->not_before_ms - now;
                return;
        }
        wait = retl_pace_window_take(&p->app_pacer, now);
        if (wait) {
                if (wait < *wake)
                        *wake = wait;
                return;
        }
        q->x = retl_track_app(p->env.track, q->url, p->ws->app_api_key,
                              q->kind == R_APP_CREATE ? q->body.b_data : NULL,
                              retl_buf_len(&q->body), p->ws->timeout_s, q);
}

int retl_partition_segname_resolve(struct retl_partition *p, struct run *r, int64_t now,
                                   int64_t *wake, int64_t *id)
{
        const char *name = r->s.segment_name;
        struct segname *sn;

        if (!name) {
                *id = r->s.segment;
                return 1;
        }
        if (r->seg_error)
                return -1;
        if (!r->seg_id)
                r->seg_id = retl_checkpoint_segment_get(&p->cp, r->sync,
                                                        retl_checkpoint_name_hash(name));
        if (r->seg_id) {
                *id = r->seg_id;
                return 1;
        }
        if (!p->ws->app_api_key || !*p->ws->app_api_key) {
                r->seg_error = retl_asprintf(
                        "sync %s: segment '%s' cannot be found or created: workspace '%s' has "
                        "no App API key in this uploader's configuration (app_api_key_env or "
                        "app_api_key_file)", r->sync, name, p->ws->name);
                retl_log_error(p->ctx, "%s; the run's people are imported but not added to it",
                               r->seg_error);
                return -1;
        }
        sn = p->segname;
        if (!sn) {
                if (!p->app_pacer.pw_limit)
                        retl_pace_window_init(&p->app_pacer, APP_API_RATE,
                                              RETL_PACE_JITTER_MS);
                sn = p->segname = retl_calloc(1, sizeof(*sn));
                sn->sync = retl_strdup(r->sync);
                sn->name = retl_strdup(name);
                sn->desc = r->s.segment_description ? retl_strdup(r->s.segment_description)
                                                    : NULL;
                sn->hash = retl_checkpoint_name_hash(name);
                lookup_step(p, R_APP_LIST);
                retl_log_info(p->ctx, "sync %s: looking up segment '%s' (App API %s)", r->sync,
                              name, p->ws->app_api_url);
        }
        /* another sync's lookup, if it is one, finishes first: this run
         * waits behind it */
        lookup_send(p, now, wake);
        return 0;
}

/* The lookup found (or created) segment @p id: remembered in the
 * checkpoint, committed with the next commit. */
static void lookup_done(struct retl_partition *p, int64_t id, const char *how)
{
        struct segname *sn = p->segname;

        retl_checkpoint_segment_set(&p->cp, sn->sync, id, sn->hash);
        for (struct run *r = p->runs; r; r = r->next)
                if (lookup_of(sn, r))
                        r->seg_id = id;
        retl_log_info(p->ctx, "sync %s: segment '%s' is segment %" PRId64 " (%s)", sn->sync,
                      sn->name, id, how);
        lookup_free(p);
}

/* The lookup failed for good: every run of its sync and name waiting for
 * it fails its segment adds with @p why; the next run tries again. */
static void lookup_failed(struct retl_partition *p, const char *why)
{
        struct segname *sn = p->segname;
        char *msg = retl_asprintf("sync %s: segment '%s' cannot be found or created: %s",
                                  sn->sync, sn->name, why);

        for (struct run *r = p->runs; r; r = r->next)
                if (lookup_of(sn, r))
                        r->seg_error = retl_strdup(msg);
        retl_log_error(p->ctx, "%s; the run's people are imported but not added to it (their "
                       "rows fail, the next run tries again)", msg);
        free(msg);
        lookup_free(p);
}

/* The list of segments: the manual one named sn->name. @returns its id,
 * 0 when none has the name, -1 with @p why when the name picks no manual
 * segment or the answer is unreadable. */
static int64_t list_pick(const struct segname *sn, const char *body, size_t len, char *why,
                         size_t why_size)
{
        json_t *root = json_loadb(body, len, 0, NULL), *segs, *s;
        char ids[200] = "";
        size_t i, n = 0, off = 0;
        int64_t id = 0;
        const char *type = NULL;

        segs = json_is_object(root) ? json_object_get(root, "segments") : NULL;
        if (!json_is_array(segs)) {
                snprintf(why, why_size, "the App API's list of segments is unreadable: %.200s",
                         body);
                json_decref(root);
                return -1;
        }
        json_array_foreach(segs, i, s) {
                const char *nm = json_string_value(json_object_get(s, "name"));
                json_t *jid = json_object_get(s, "id");
                int w;

                if (!nm || strcmp(nm, sn->name) || !json_is_integer(jid))
                        continue;
                id = json_integer_value(jid);
                type = json_string_value(json_object_get(s, "type"));
                w = snprintf(ids + off, off < sizeof(ids) ? sizeof(ids) - off : 0, "%s%" PRId64,
                             n ? ", " : "", id);
                off += w > 0 ? (size_t)w : 0;
                n++;
        }
        if (n > 1) {
                snprintf(why, why_size, "%zu segments have that name (ids %s%s): rename all but "
                         "one in Customer.io, or give the sync segment = <id>", n, ids,
                         off >= sizeof(ids) ? "..." : "");
                id = -1;
        } else if (n == 1 && type && strcmp(type, "manual")) {
                snprintf(why, why_size, "segment %" PRId64 " of that name is a %s segment; "
                         "people can only be added to a manual one", id, type);
                id = -1;
        }
        json_decref(root);
        return id;
}

/* The created segment's id, from {"segment":{"id":N,...}}; -1 when none. */
static int64_t created_id(const char *body, size_t len)
{
        json_t *root = json_loadb(body, len, 0, NULL);
        json_t *jid = json_object_get(json_object_get(root, "segment"), "id");
        int64_t id = json_is_integer(jid) && json_integer_value(jid) > 0 ? json_integer_value(jid)
                                                                          : -1;

        json_decref(root);
        return id;
}

void retl_partition_segname_answer(struct retl_partition *p, struct req *q,
                                   const struct retl_track_result *res)
{
        struct segname *sn = p->segname;
        enum retl_track_class cls = retl_track_classify(res);
        const char *what = q->kind == R_APP_LIST ? "list of segments" : "segment's creation";
        int64_t now = retl_pace_now_ms(), delay, id;
        char why[600];

        q->x = NULL;
        switch (cls) {
        case RETL_TRACK_RATE:
        case RETL_TRACK_RETRY:
                sn->attempts++;
                delay = retl_pace_backoff_ms(sn->attempts, p->env.backoff_base_ms,
                                             p->env.backoff_max_ms, &p->rnd);
                if (cls == RETL_TRACK_RATE && res->retry_after_ms >= 0)
                        delay = res->retry_after_ms;
                q->not_before_ms = now + delay;
                if (res->curl_code)
                        retl_log_warn(p->ctx, "sync %s: App API %s for segment '%s': %s; retry "
                                      "%d in %.1f s", sn->sync, what, sn->name, res->error,
                                      sn->attempts, (double)delay / 1000);
                else
                        retl_log_warn(p->ctx, "sync %s: App API %s for segment '%s': HTTP %ld%s; "
                                      "retry %d in %.1f s", sn->sync, what, sn->name,
                                      res->status,
                                      cls == RETL_TRACK_RATE ? " (rate limited)" : "",
                                      sn->attempts, (double)delay / 1000);
                return;
        case RETL_TRACK_AUTH:
                snprintf(why, sizeof(why), "the App API refused the key of workspace '%s' "
                         "(HTTP %ld: %.200s): check its app_api_key (an App API key, not the "
                         "Track API's)", p->ws->name, res->status, res->body);
                lookup_failed(p, why);
                return;
        case RETL_TRACK_REJECT:
                snprintf(why, sizeof(why), "the App API refused the %s (HTTP %ld: %.300s)", what,
                         res->status, res->body);
                lookup_failed(p, why);
                return;
        case RETL_TRACK_OK:
        case RETL_TRACK_PARTIAL:
                break;
        }
        if (q->kind == R_APP_CREATE) {
                id = created_id(res->body, res->body_len);
                if (id < 0) {
                        snprintf(why, sizeof(why), "the App API's answer to its creation has no "
                                 "segment id: %.300s", res->body);
                        lookup_failed(p, why);
                } else {
                        lookup_done(p, id, "created");
                }
                return;
        }
        id = list_pick(sn, res->body, res->body_len, why, sizeof(why));
        if (id < 0)
                lookup_failed(p, why);
        else if (id > 0)
                lookup_done(p, id, "found");
        else
                lookup_step(p, R_APP_CREATE);
}

const char *retl_partition_segname_gone(struct retl_partition *p, struct run *r,
                                        const struct retl_track_result *res)
{
        uint32_t hash = retl_checkpoint_name_hash(r->s.segment_name);
        int64_t id = r->seg_id;
        char *msg;

        if (r->seg_error)
                return r->seg_error;
        if (retl_checkpoint_segment_get(&p->cp, r->sync, hash) == id)
                retl_checkpoint_segment_set(&p->cp, r->sync, 0, hash);
        msg = retl_asprintf("sync %s: segment '%s' (segment %" PRId64 ") no longer exists "
                            "(deleted in Customer.io?): HTTP %ld: %.200s; the next run finds or "
                            "creates a segment of that name again", r->sync,
                            r->s.segment_name, id, res->status, res->body);
        for (struct run *o = p->runs; o; o = o->next)
                if (o->s.segment_name && o->seg_id == id && !o->seg_error &&
                    !strcmp(o->sync, r->sync))
                        o->seg_error = retl_strdup(msg);
        retl_log_error(p->ctx, "%s", msg);
        free(msg);
        return r->seg_error;
}

int64_t retl_partition_segname_state_key(const struct run *r)
{
        return retl_rowstate_segment_key(r->s.segment, r->s.segment_name);
}
