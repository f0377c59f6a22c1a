/* retl uploader — the batcher of a workspace partition, see
 * partition_batcher.h. */
#include "consumer/partition_batcher.h"
#include "consumer/jsonw.h"
#include "consumer/partition_report.h"
#include "consumer/partition_segname.h"
#include "lib/log.h"
#include "lib/mem.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define SEGMENT_MAX_IDS 1000
#define SCAN_MAX 20000

void retl_partition_batcher_req_free(struct req *q)
{
        free(q->items);
        retl_buf_free(&q->body);
        free(q->url);
        free(q);
}

void retl_partition_batcher_abandon(struct retl_partition *p)
{
        retl_partition_segname_abandon(p);
        while (p->flight) {
                struct req *q = p->flight;
                p->flight = q->fnext;
                retl_track_abort(p->env.track, q->x);
                retl_partition_batcher_req_free(q);
        }
        while (p->ready_head) {
                struct req *q = p->ready_head;
                p->ready_head = q->next;
                retl_partition_batcher_req_free(q);
        }
}

void retl_partition_batcher_keys_release(struct retl_partition *p, const struct entry *e)
{
        for (int k = 0; k < e->nkeys; k++)
                retl_keyset_remove(&p->inflight_keys, e->keys[k]);
}

void retl_partition_batcher_enqueue(struct retl_partition *p, struct entry *e)
{
        e->queued_ms = retl_pace_now_ms();
        if (p->qtail)
                p->qtail->qnext = e;
        else
                p->qhead = e;
        p->qtail = e;
        p->qbytes += e->json_len + 1;
}

void retl_partition_batcher_segment_add(struct retl_partition *p, struct entry *e)
{
        if (!p->shead)
                p->seg_since_ms = retl_pace_now_ms();
        if (p->stail)
                p->stail->qnext = e;
        else
                p->shead = e;
        p->stail = e;
        e->qnext = NULL;
        p->nseg++;
}

void retl_partition_batcher_requeue(struct retl_partition *p, struct req *q)
{
        q->next = p->ready_head;
        p->ready_head = q;
}

void retl_partition_batcher_unlink(struct retl_partition *p, struct req *q)
{
        if (q->fprev)
                q->fprev->fnext = q->fnext;
        else
                p->flight = q->fnext;
        if (q->fnext)
                q->fnext->fprev = q->fprev;
        q->fnext = q->fprev = NULL;
        p->nflight--;
}

void retl_partition_batcher_split(struct retl_partition *p, struct req *q)
{
        struct req *h = retl_calloc(1, sizeof(*h));
        size_t half = q->n / 2;

        h->p = p;
        h->kind = R_BATCH;
        h->n = q->n - half;
        h->items = retl_malloc(h->n * sizeof(*h->items));
        memcpy(h->items, q->items + half, h->n * sizeof(*h->items));
        retl_buf_init(&h->body, 0);
        q->n = half;
        retl_buf_reset(&q->body);       /* rebuilt when sent */
        retl_partition_batcher_requeue(p, h);
        retl_partition_batcher_requeue(p, q);
}

/* Takes rows from the send queue, in order, into one batch: skips a row
 * whose key is in flight (and every later row with that key). */
static struct req *build_batch(struct retl_partition *p)
{
        struct entry *e = p->qhead, *prev = NULL;
        struct req *q = NULL;
        size_t cap = 0, bytes = 11, scanned = 0;

        retl_keyset_clear(&p->skipped_keys);
        while (e && scanned++ < SCAN_MAX) {
                struct entry *nx = e->qnext;
                int blocked = 0;

                /* relationships go once the run's people/objects are answered */
                if (e->part == RETL_PART_RELATIONSHIPS && e->run->main_pending > 0)
                        break;
                for (int k = 0; k < e->nkeys; k++)
                        blocked |= retl_keyset_has(&p->inflight_keys, e->keys[k]) ||
                                   retl_keyset_has(&p->skipped_keys, e->keys[k]);
                if (blocked) {
                        /* and so is every later row with one of its keys */
                        for (int k = 0; k < e->nkeys; k++)
                                retl_keyset_add(&p->skipped_keys, e->keys[k]);
                        prev = e;
                        e = nx;
                        continue;
                }
                if (q && bytes + e->json_len + 1 > p->env.batch_max)
                        break;
                if (!q) {
                        q = retl_calloc(1, sizeof(*q));
                        q->p = p;
                        q->kind = R_BATCH;
                        retl_buf_init(&q->body, 0);
                }
                if (q->n == cap) {
                        cap = cap ? cap * 2 : 64;
                        q->items = retl_realloc(q->items, cap * sizeof(*q->items));
                }
                q->items[q->n++] = e;
                bytes += e->json_len + 1;
                for (int k = 0; k < e->nkeys; k++)
                        retl_keyset_add(&p->inflight_keys, e->keys[k]);
                /* unlink from the send queue */
                if (prev)
                        prev->qnext = nx;
                else
                        p->qhead = nx;
                if (p->qtail == e)
                        p->qtail = prev;
                e->qnext = NULL;
                p->qbytes -= e->json_len + 1;
                e = nx;
        }
        return q;
}

static void body_build(struct req *q)
{
        int err = 0;

        retl_buf_reset(&q->body);
        if (q->kind == R_BATCH) {
                size_t total = sizeof("{\"batch\":[]}");

                /* its size known: one allocation, not ~12 doublings and
                 * their copies of up to half a megabyte */
                for (size_t i = 0; i < q->n; i++)
                        total += q->items[i]->json_len + 1;
                err |= retl_buf_reserve(&q->body, total);
                err |= retl_buf_puts(&q->body, "{\"batch\":[");
                for (size_t i = 0; i < q->n; i++) {
                        if (i)
                                err |= retl_buf_putc(&q->body, ',');
                        err |= retl_buf_append(&q->body, q->items[i]->json,
                                               q->items[i]->json_len);
                }
                err |= retl_buf_puts(&q->body, "]}");
        } else {
                err |= retl_buf_puts(&q->body, "{\"ids\":[");
                for (size_t i = 0; i < q->n; i++) {
                        if (i)
                                err |= retl_buf_putc(&q->body, ',');
                        err |= retl_jsonw_string(&q->body, q->items[i]->ident,
                                                 strlen(q->items[i]->ident)) != 0;
                }
                err |= retl_buf_puts(&q->body, "]}");
        }
        if (err) {
                retl_log_error("upload", "request body over its ceiling");
                abort();
        }
}

/* The segment run @p r's people join: by id, or found by name (0 = not
 * known yet). */
static int64_t segment_of(const struct run *r)
{
        return r->s.segment_name ? r->seg_id : r->s.segment;
}

/* Whether the head of the segment queue can go: 1 with its segment in
 * *@p id, 0 while its segment is being looked up by name. Rows whose
 * segment cannot be used (r->seg_error) fail on the way. */
static int segment_head_ready(struct retl_partition *p, int64_t now, int64_t *wake,
                              int64_t *id)
{
        while (p->shead) {
                struct run *r = p->shead->run;
                int rc = retl_partition_segname_resolve(p, r, now, wake, id);

                if (rc >= 0)
                        return rc;
                /* identified, but not added to the segment: a failed row */
                while (p->shead && p->shead->run == r) {
                        struct entry *e = p->shead;
                        p->shead = e->qnext;
                        e->qnext = NULL;
                        p->nseg--;
                        e->outcome = O_FAILED;
                        retl_partition_report_failure(p, e, r->seg_error);
                        e->done = 1;
                }
                if (!p->shead)
                        p->stail = NULL;
        }
        return 0;
}

static struct req *build_segment(struct retl_partition *p, int64_t segment)
{
        struct entry *e = p->shead;
        struct req *q = retl_calloc(1, sizeof(*q));
        const struct run *r0 = e->run;

        q->p = p;
        q->kind = R_SEGMENT;
        q->segment = segment;
        q->items = retl_malloc(SEGMENT_MAX_IDS * sizeof(*q->items));
        retl_buf_init(&q->body, 0);
        /* one segment and id type per request */
        while (e && q->n < SEGMENT_MAX_IDS && segment_of(e->run) == segment &&
               e->run->s.identify_by == r0->s.identify_by) {
                q->items[q->n++] = e;
                e = e->qnext;
                p->nseg--;
        }
        p->shead = e;
        if (!e)
                p->stail = NULL;
        p->seg_since_ms = retl_pace_now_ms();
        q->url = retl_asprintf("%s/api/v1/segments/%" PRId64 "/add_customers?id_type=%s",
                               p->ws->api_url, q->segment,
                               r0->s.identify_by == RETL_IDENT_EMAIL ? "email" : "id");
        return q;
}

static int queue_flushable(const struct retl_partition *p, int64_t now)
{
        const struct entry *h = p->qhead;

        if (!h)
                return 0;
        if (p->qbytes >= p->env.batch_max || now - h->queued_ms >= p->env.linger_ms)
                return 1;
        /* the run's end is read: nothing more will join */
        return !p->reading || p->reading != p->tail->run;
}

void retl_partition_batcher_send(struct retl_partition *p, int64_t now, int64_t *wake)
{
        int limit = p->auth_blocked ? 1 : p->ws->max_in_flight;

        if (p->auth_blocked && now < p->auth_retry_ms) {
                if (p->auth_retry_ms - now < *wake)
                        *wake = p->auth_retry_ms - now;
                return;
        }
        if (now < p->backoff_until_ms) {
                if (p->backoff_until_ms - now < *wake)
                        *wake = p->backoff_until_ms - now;
                return;
        }
        while (p->nflight < limit) {
                struct req *q = p->ready_head;
                int64_t wait;

                /* Draining (SIGTERM) goes on sending the rows already read,
                 * so that the last commit covers as much as the drain time
                 * allows; nothing new is read meanwhile. */
                if (!q) {
                        if (queue_flushable(p, now) || (p->draining && p->qhead))
                                q = build_batch(p);
                        if (!q && p->shead &&
                            (p->nseg >= SEGMENT_MAX_IDS || now - p->seg_since_ms >= 200 ||
                             !p->qhead)) {
                                int64_t segment;
                                if (segment_head_ready(p, now, wake, &segment) == 1)
                                        q = build_segment(p, segment);
                        }
                        if (!q)
                                break;
                        retl_partition_batcher_requeue(p, q);
                }
                if (!q)
                        break;
                if (q->not_before_ms > now) {
                        if (q->not_before_ms - now < *wake)
                                *wake = q->not_before_ms - now;
                        break;
                }
                wait = retl_pace_window_take(&p->pacer, now);
                if (wait) {
                        if (wait < *wake)
                                *wake = wait;
                        break;
                }
                p->ready_head = q->next;
                q->next = NULL;
                if (!retl_buf_len(&q->body))
                        body_build(q);
                q->x = retl_track_post(p->env.track, q->kind == R_BATCH ? p->batch_url : q->url,
                                       p->ws->site_id, p->ws->api_key, q->body.b_data,
                                       retl_buf_len(&q->body), p->ws->timeout_s, q);
                q->fnext = p->flight;
                q->fprev = NULL;
                if (p->flight)
                        p->flight->fprev = q;
                p->flight = q;
                p->nflight++;
                retl_log_debug(p->ctx, "sent %s of %zu rows, %zu bytes (%d in flight, %zu bytes "
                               "queued)", q->kind == R_BATCH ? "batch" : "segment add", q->n,
                               retl_buf_len(&q->body), p->nflight, p->qbytes);
                if (p->auth_blocked) {
                        p->auth_retry_ms = now + p->env.auth_retry_ms;
                        break;
                }
        }
        if (p->qhead && !p->ready_head && p->nflight < limit) {
                int64_t w = p->qhead->queued_ms + p->env.linger_ms - now;
                if (w < *wake)
                        *wake = w < 1 ? 1 : w;
        }
        if (p->shead && p->nflight < limit) {
                int64_t w = p->seg_since_ms + 200 - now;
                if (w < *wake)
                        *wake = w < 1 ? 1 : w;
        }
}
