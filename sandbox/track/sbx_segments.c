/* retl sandbox — manual segments and their members; see sbx_segments.h. */
#include "sandbox/track/sbx_segments.h"
#include "sandbox/track/sbx_people.h"

#include "lib/mem.h"

#include <stdlib.h>
#include <string.h>

static struct sbx_segment *find_segment(struct retl_sbx_ws *ws, long id)
{
        for (size_t i = 0; i < ws->ws_n_segments; i++)
                if (ws->ws_segments[i].s_id == id)
                        return &ws->ws_segments[i];
        return NULL;
}

void retl_sbx_ws_segment_create(struct retl_sbx_ws *ws, long id)
{
        size_t i;

        if (find_segment(ws, id))
                return;
        ws->ws_segments = retl_realloc(ws->ws_segments,
                                       (ws->ws_n_segments + 1) * sizeof(*ws->ws_segments));
        /* keep them sorted by id */
        for (i = ws->ws_n_segments; i > 0 && ws->ws_segments[i - 1].s_id > id; i--)
                ws->ws_segments[i] = ws->ws_segments[i - 1];
        ws->ws_segments[i].s_id = id;
        ws->ws_segments[i].s_members = retl_sbx_map_new(1);   /* keys: p_cio_id */
        ws->ws_n_segments++;
        ws->ws_dirty = 1;
}

int retl_sbx_ws_segment_change(struct retl_sbx_ws *ws, long segment_id, int add,
                               enum retl_sbx_id_type id_type, const json_t *ids,
                               size_t *changed, size_t *ignored)
{
        struct sbx_segment *s = find_segment(ws, segment_id);
        size_t i;
        json_t *v;

        *changed = *ignored = 0;
        if (!s)
                return RETL_SBX_ENOSEG;
        if (!retl_sbx_rules_is_ident(ws, id_type))
                return RETL_SBX_EIDTYPE;
        json_array_foreach(ids, i, v) {
                struct sbx_pident pi;
                struct sbx_person *p;

                pi.kind = id_type;
                if (retl_sbx_rules_ident_text(v, pi.val, sizeof(pi.val),
                                              RETL_SBX_OBJECT_ID_MAX) ||
                    (id_type != RETL_SBX_BY_ID && !json_is_string(v))) {
                        (*ignored)++;
                        continue;
                }
                retl_sbx_rules_pident_key(&pi);
                p = retl_sbx_people_find(ws, &pi);
                if (!p) {
                        (*ignored)++;
                        continue;
                }
                if (add) {
                        if (!retl_sbx_map_get(s->s_members, p->p_cio_id)) {
                                retl_sbx_map_put(s->s_members, p->p_cio_id, p);
                                (*changed)++;
                        }
                } else if (retl_sbx_map_del(s->s_members, p->p_cio_id)) {
                        (*changed)++;
                }
        }
        if (*changed)
                ws->ws_dirty = 1;
        return 0;
}

json_t *retl_sbx_segments_of(const struct retl_sbx_ws *ws, const struct sbx_person *p)
{
        json_t *segs = json_array();

        for (size_t i = 0; i < ws->ws_n_segments; i++)
                if (retl_sbx_map_get(ws->ws_segments[i].s_members, p->p_cio_id))
                        json_array_append_new(segs, json_integer(ws->ws_segments[i].s_id));
        return segs;
}

void retl_sbx_segments_forget(struct retl_sbx_ws *ws, const struct sbx_person *p)
{
        for (size_t i = 0; i < ws->ws_n_segments; i++)
                retl_sbx_map_del(ws->ws_segments[i].s_members, p->p_cio_id);
}

void retl_sbx_segments_clear(struct retl_sbx_ws *ws)
{
        for (size_t i = 0; i < ws->ws_n_segments; i++)
                retl_sbx_map_destroy(ws->ws_segments[i].s_members);
        free(ws->ws_segments);
        ws->ws_segments = NULL;
        ws->ws_n_segments = 0;
}

static int cmp_cio(const void *a, const void *b)
{
        const struct sbx_person *x = *(struct sbx_person *const *)a;
        const struct sbx_person *y = *(struct sbx_person *const *)b;

        return strcmp(x->p_cio_id, y->p_cio_id);
}

json_t *retl_sbx_ws_segments_json(struct retl_sbx_ws *ws)
{
        json_t *arr = json_array();

        for (size_t i = 0; i < ws->ws_n_segments; i++) {
                struct sbx_segment *s = &ws->ws_segments[i];
                size_t n = retl_sbx_map_count(s->s_members), k = 0, it = 0;
                struct sbx_person **v = retl_calloc(n ? n : 1, sizeof(*v));
                json_t *members = json_array();
                void *val;

                while (retl_sbx_map_next(s->s_members, &it, NULL, &val))
                        v[k++] = val;
                /* cio_ids count up: sorting them gives creation order */
                qsort(v, k, sizeof(*v), cmp_cio);
                for (size_t j = 0; j < k; j++)
                        json_array_append_new(members, retl_sbx_people_ref_json(v[j]));
                free(v);
                json_array_append_new(arr, json_pack("{s:I, s:I, s:o}", "id",
                                                     (json_int_t)s->s_id, "count",
                                                     (json_int_t)n, "members", members));
        }
        return json_pack("{s:o}", "segments", arr);
}

int retl_sbx_segments_restore_member(struct retl_sbx_ws *ws, long segment_id,
                                     const char *cio_id)
{
        struct sbx_person *p = retl_sbx_map_get(ws->ws_by_cio, cio_id);
        struct sbx_segment *s;

        retl_sbx_ws_segment_create(ws, segment_id);
        s = find_segment(ws, segment_id);
        if (!p)
                return -1;
        retl_sbx_map_put(s->s_members, p->p_cio_id, p);
        return 0;
}
