/* retl sandbox — objects in the workspace: records, the object actions,
 * inspection; see sbx_objects.h. */
#include "sandbox/track/sbx_objects.h"
#include "sandbox/track/sbx_attrs.h"
#include "sandbox/track/sbx_rels.h"

#include "lib/mem.h"

#include <stdlib.h>
#include <string.h>

static struct sbx_object *object_new(struct retl_sbx_ws *ws, const char *type,
                                     const char *id, const char *cio_id, int64_t now,
                                     char *attrs)
{
        struct sbx_object *ob = retl_calloc(1, sizeof(*ob));

        ob->o_type = retl_strdup(type);
        ob->o_id = retl_strdup(id);
        ob->o_key = retl_asprintf("%s\x1f%s", type, id);
        if (cio_id)
                ob->o_cio_id = retl_strdup(cio_id);
        else
                ob->o_cio_id = retl_sbx_rules_seq_id("ob", 6, ws->ws_next_object++);
        ob->o_attrs = attrs ? attrs : retl_strdup("{}");
        ob->o_created_ms = ob->o_updated_ms = now;
        TAILQ_INSERT_TAIL(&ws->ws_objs, ob, o_link);
        retl_sbx_map_put(ws->ws_objects, ob->o_key, ob);
        retl_sbx_map_put(ws->ws_obj_by_cio, ob->o_cio_id, ob);
        ws->ws_dirty = 1;
        return ob;
}

static void object_free(struct sbx_object *ob)
{
        free(ob->o_key);
        free(ob->o_type);
        free(ob->o_id);
        free(ob->o_cio_id);
        free(ob->o_attrs);
        free(ob);
}

void retl_sbx_objects_clear(struct retl_sbx_ws *ws)
{
        struct sbx_object *ob;

        while ((ob = TAILQ_FIRST(&ws->ws_objs))) {
                TAILQ_REMOVE(&ws->ws_objs, ob, o_link);
                object_free(ob);
        }
}

struct sbx_object *retl_sbx_objects_find(struct retl_sbx_ws *ws, const struct sbx_oident *oi)
{
        return oi->found ? oi->found : retl_sbx_map_get(ws->ws_objects, oi->key);
}

int retl_sbx_objects_parse(struct retl_sbx_ws *ws, json_t *e, struct sbx_oident *oi,
                           struct sbx_object **ob, struct retl_sbx_outcome *o)
{
        if (retl_sbx_rules_parse_oident(ws, json_object_get(e, "identifiers"), "identifiers",
                                        oi, o))
                return -1;
        *ob = retl_sbx_objects_find(ws, oi);
        return 0;
}

struct sbx_object *retl_sbx_objects_get(struct retl_sbx_ws *ws, const struct sbx_oident *oi,
                                        int64_t now)
{
        struct sbx_object *ob = retl_sbx_objects_find(ws, oi);

        return ob ? ob : object_new(ws, oi->type, oi->id, NULL, now, NULL);
}

int retl_sbx_objects_identify(struct retl_sbx_ws *ws, json_t *e, char **prepared, int flag,
                              int64_t now, struct retl_sbx_outcome *o)
{
        struct sbx_oident oi;
        json_t *attrs;
        json_t *rels = json_object_get(e, "cio_relationships");
        struct sbx_object *ob;
        int created;

        if (retl_sbx_objects_parse(ws, e, &oi, &ob, o) || retl_sbx_rules_attrs(e, &attrs, o))
                return -1;
        if (rels && retl_sbx_rels_list(ws, rels, 1, 1, 0, NULL, NULL, now, o))
                return -1;
        /* checks passed: apply; a new object takes the prepared copy */
        created = !ob;
        if (created && prepared && *prepared) {
                ob = object_new(ws, oi.type, oi.id, NULL, now, *prepared);
                *prepared = NULL;
        } else {
                if (created)
                        ob = object_new(ws, oi.type, oi.id, NULL, now, NULL);
                retl_sbx_attrs_merge(&ob->o_attrs, attrs, 0, ws->ws_scratch);
        }
        ob->o_updated_ms = now;
        ob->o_updates++;
        ws->ws_dirty = 1;
        if (rels)
                retl_sbx_rels_list(ws, rels, 1, 1, 1, NULL, ob, now, o);
        return 0;
}

int retl_sbx_objects_delete(struct retl_sbx_ws *ws, json_t *e, char **prepared, int flag,
                            int64_t now, struct retl_sbx_outcome *o)
{
        struct sbx_oident oi;
        struct sbx_object *ob;

        if (retl_sbx_objects_parse(ws, e, &oi, &ob, o))
                return -1;
        if (!ob) {
                o->so_noop = 1;
                return 0;
        }
        retl_sbx_rels_drop(ws, NULL, ob);
        retl_sbx_map_del(ws->ws_objects, ob->o_key);
        retl_sbx_map_del(ws->ws_obj_by_cio, ob->o_cio_id);
        TAILQ_REMOVE(&ws->ws_objs, ob, o_link);
        object_free(ob);
        ws->ws_dirty = 1;
        return 0;
}

static json_t *object_json(const struct sbx_object *ob)
{
        return json_pack("{s:s, s:s, s:s, s:o, s:I, s:I, s:I}", "object_type_id", ob->o_type,
                         "object_id", ob->o_id, "cio_object_id", ob->o_cio_id, "attributes",
                         retl_sbx_attrs_thaw(ob->o_attrs), "created_at_ms", (json_int_t)ob->o_created_ms,
                         "updated_at_ms", (json_int_t)ob->o_updated_ms, "updates",
                         (json_int_t)ob->o_updates);
}

json_t *retl_sbx_ws_objects_json(struct retl_sbx_ws *ws, const char *type,
                                 const char *object_id, size_t offset, size_t limit)
{
        json_t *arr = json_array();
        struct sbx_object *ob;
        size_t n = 0;

        TAILQ_FOREACH(ob, &ws->ws_objs, o_link) {
                if (type && strcmp(type, ob->o_type))
                        continue;
                if (object_id && strcmp(object_id, ob->o_id))
                        continue;
                if (n++ < offset)
                        continue;
                if (limit && json_array_size(arr) >= limit)
                        continue;
                json_array_append_new(arr, object_json(ob));
        }
        return json_pack("{s:I, s:o}", "count", (json_int_t)n, "objects", arr);
}

struct sbx_object *retl_sbx_objects_restore(struct retl_sbx_ws *ws, const char *type,
                                            const char *object_id, const char *cio_id,
                                            json_t *attrs, int64_t created_ms,
                                            int64_t updated_ms, uint64_t updates)
{
        struct sbx_object *ob;
        char *key = retl_asprintf("%s\x1f%s", type, object_id);
        int dup = retl_sbx_map_get(ws->ws_objects, key) != NULL ||
                  retl_sbx_map_get(ws->ws_obj_by_cio, cio_id) != NULL;

        free(key);
        if (dup) {
                json_decref(attrs);
                return NULL;
        }
        ob = object_new(ws, type, object_id, cio_id, created_ms, NULL);
        retl_sbx_attrs_take(&ob->o_attrs, attrs);
        ob->o_updated_ms = updated_ms;
        ob->o_updates = updates;
        return ob;
}
