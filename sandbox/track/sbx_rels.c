/* retl sandbox — relationships between people and objects: records,
 * cio_relationships lists, the add/delete actions, inspection; see
 * sbx_rels.h. */
#include "sandbox/track/sbx_rels.h"
#include "sandbox/track/sbx_objects.h"
#include "sandbox/track/sbx_people.h"

#include "lib/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for a relationship's key: cio_id "\x1f" type "\x1f" object_id. */
#define REL_KEY_BUF (2 * RETL_SBX_IDENT_BUF + 64)

/* ------------------------------------------------------------------ */
/* Records                                                             */

static void rel_unlink(struct retl_sbx_ws *ws, struct sbx_rel *r)
{
        retl_sbx_map_del(ws->ws_rels, r->r_key);
        TAILQ_REMOVE(&ws->ws_rel_list, r, r_link);
        free(r->r_key);
        json_decref(r->r_attrs);
        free(r);
}

void retl_sbx_rels_drop(struct retl_sbx_ws *ws, const struct sbx_person *p,
                        const struct sbx_object *ob)
{
        struct sbx_rel *r, *rn;

        for (r = TAILQ_FIRST(&ws->ws_rel_list); r; r = rn) {
                rn = TAILQ_NEXT(r, r_link);
                if (r->r_person == p || r->r_object == ob)
                        rel_unlink(ws, r);
        }
}

void retl_sbx_rels_clear(struct retl_sbx_ws *ws)
{
        struct sbx_rel *r;

        /* the index is cleared by the caller; unlinking keeps it right anyway */
        while ((r = TAILQ_FIRST(&ws->ws_rel_list)))
                rel_unlink(ws, r);
}

static struct sbx_rel *rel_get(struct retl_sbx_ws *ws, struct sbx_person *p,
                               struct sbx_object *ob, char *key, size_t key_size)
{
        snprintf(key, key_size, "%s\x1f%s", p->p_cio_id, ob->o_key);
        return retl_sbx_map_get(ws->ws_rels, key);
}

static struct sbx_rel *rel_add(struct retl_sbx_ws *ws, struct sbx_person *p,
                               struct sbx_object *ob, json_t *attrs, int64_t now)
{
        char key[REL_KEY_BUF];
        struct sbx_rel *r = rel_get(ws, p, ob, key, sizeof(key));

        if (!r) {
                r = retl_calloc(1, sizeof(*r));
                r->r_key = retl_strdup(key);
                r->r_person = p;
                r->r_object = ob;
                r->r_attrs = json_object();
                r->r_created_ms = now;
                TAILQ_INSERT_TAIL(&ws->ws_rel_list, r, r_link);
                retl_sbx_map_put(ws->ws_rels, r->r_key, r);
        }
        retl_sbx_rules_merge_attrs(r->r_attrs, attrs, 0);
        r->r_updated_ms = now;
        ws->ws_dirty = 1;
        return r;
}

static void rel_del(struct retl_sbx_ws *ws, struct sbx_person *p, struct sbx_object *ob)
{
        char key[REL_KEY_BUF];
        struct sbx_rel *r = rel_get(ws, p, ob, key, sizeof(key));

        if (r) {
                rel_unlink(ws, r);
                ws->ws_dirty = 1;
        }
}

/* ------------------------------------------------------------------ */
/* Relationship lists                                                  */

/* One item of a list from the object side: a person related to @p ob. */
static int rel_person_item(struct retl_sbx_ws *ws, json_t *idents, const char *field,
                           json_t *attrs, int add, int apply, struct sbx_object *ob,
                           int64_t now, struct retl_sbx_outcome *o)
{
        struct sbx_pident pi;
        struct sbx_person *p;

        if (retl_sbx_rules_parse_pident(ws, idents, field, &pi, o))
                return -1;
        p = retl_sbx_people_find(ws, &pi);
        if (!apply) {
                if (!p && pi.kind == RETL_SBX_BY_CIO_ID && add)
                        return retl_sbx_rules_reject(o, RETL_SBX_R_NOT_FOUND, field,
                                                     "person does not exist (cio_id '%s')",
                                                     pi.val);
                if (add && retl_sbx_people_suppressed(ws, p, &pi))
                        return retl_sbx_rules_reject(o, RETL_SBX_R_SUPPRESSED, field,
                                                     "person is suppressed");
                return 0;
        }
        if (add)
                rel_add(ws, retl_sbx_people_get(ws, &pi, now), ob, attrs, now);
        else if (p)
                rel_del(ws, p, ob);
        return 0;
}

/* One item of a list from the person side: an object related to @p p. */
static int rel_object_item(struct retl_sbx_ws *ws, json_t *idents, const char *field,
                           json_t *attrs, int add, int apply, struct sbx_person *p, int64_t now,
                           struct retl_sbx_outcome *o)
{
        struct sbx_oident oi;
        struct sbx_object *ob;

        if (retl_sbx_rules_parse_oident(ws, idents, field, &oi, o))
                return -1;
        if (!apply)
                return 0;
        ob = retl_sbx_objects_find(ws, &oi);
        if (add)
                rel_add(ws, p, retl_sbx_objects_get(ws, &oi, now), attrs, now);
        else if (ob)
                rel_del(ws, p, ob);
        return 0;
}

int retl_sbx_rels_list(struct retl_sbx_ws *ws, json_t *rels, int object_side, int add,
                       int apply, struct sbx_person *person, struct sbx_object *object,
                       int64_t now, struct retl_sbx_outcome *o)
{
        size_t i;
        json_t *item;
        char field[64];

        if (!json_is_array(rels))
                return retl_sbx_rules_reject(o, RETL_SBX_R_INVALID, "cio_relationships",
                                             "cio_relationships must be an array");
        json_array_foreach(rels, i, item) {
                json_t *idents, *attrs;
                int rc;

                snprintf(field, sizeof(field), "cio_relationships[%zu]", i);
                if (!json_is_object(item))
                        return retl_sbx_rules_reject(o, RETL_SBX_R_INVALID, field,
                                                     "each relationship must be an object");
                idents = json_object_get(item, "identifiers");
                attrs = json_object_get(item, "relationship_attributes");
                if (attrs && !json_is_object(attrs))
                        return retl_sbx_rules_reject_in(o, RETL_SBX_R_INVALID, field,
                                                        "relationship_attributes",
                                                        "relationship_attributes must be an "
                                                        "object");
                snprintf(field, sizeof(field), "cio_relationships[%zu].identifiers", i);
                rc = object_side ? rel_person_item(ws, idents, field, attrs, add, apply, object,
                                                   now, o)
                                 : rel_object_item(ws, idents, field, attrs, add, apply, person,
                                                   now, o);
                if (rc)
                        return -1;
        }
        return 0;
}

/* ------------------------------------------------------------------ */
/* Actions                                                             */

/* Checks the entity's cio_relationships (required) before anything
 * changes. */
static int check_list(struct retl_sbx_ws *ws, json_t *rels, int object_side, int add,
                      int64_t now, struct retl_sbx_outcome *o)
{
        if (!rels)
                return retl_sbx_rules_reject(o, RETL_SBX_R_REQUIRED, "cio_relationships",
                                             "cio_relationships is required");
        return retl_sbx_rels_list(ws, rels, object_side, add, 0, NULL, NULL, now, o);
}

int retl_sbx_rels_person_action(struct retl_sbx_ws *ws, json_t *e, char **prepared, int add,
                                int64_t now, struct retl_sbx_outcome *o)
{
        struct sbx_pident pi;
        json_t *rels = json_object_get(e, "cio_relationships");
        struct sbx_person *p;

        if (retl_sbx_people_parse(ws, e, &pi, &p, o) || check_list(ws, rels, 0, add, now, o))
                return -1;
        if (!p) {
                if (!add) {
                        o->so_noop = 1;
                        return 0;
                }
                if (pi.kind == RETL_SBX_BY_CIO_ID)
                        return retl_sbx_rules_reject(o, RETL_SBX_R_NOT_FOUND,
                                                     "identifiers.cio_id",
                                                     "person does not exist (cio_id '%s')",
                                                     pi.val);
        }
        if (add && retl_sbx_people_suppressed(ws, p, &pi))
                return retl_sbx_rules_reject(o, RETL_SBX_R_SUPPRESSED, "identifiers",
                                             "person is suppressed");
        if (!p)
                p = retl_sbx_people_get(ws, &pi, now);
        return retl_sbx_rels_list(ws, rels, 0, add, 1, p, NULL, now, o);
}

int retl_sbx_rels_object_action(struct retl_sbx_ws *ws, json_t *e, char **prepared, int add,
                                int64_t now, struct retl_sbx_outcome *o)
{
        struct sbx_oident oi;
        json_t *rels = json_object_get(e, "cio_relationships");
        struct sbx_object *ob;

        if (retl_sbx_objects_parse(ws, e, &oi, &ob, o) || check_list(ws, rels, 1, add, now, o))
                return -1;
        if (!ob) {
                if (!add) {
                        o->so_noop = 1;
                        return 0;
                }
                ob = retl_sbx_objects_get(ws, &oi, now);
        }
        return retl_sbx_rels_list(ws, rels, 1, add, 1, NULL, ob, now, o);
}

/* ------------------------------------------------------------------ */
/* Inspection and restore                                              */

json_t *retl_sbx_ws_relationships_json(struct retl_sbx_ws *ws, const char *person_id,
                                       const char *email, const char *type,
                                       const char *object_id)
{
        json_t *arr = json_array();
        struct sbx_rel *r;

        TAILQ_FOREACH(r, &ws->ws_rel_list, r_link) {
                const struct sbx_person *p = r->r_person;
                const struct sbx_object *ob = r->r_object;

                if (person_id && (!p->p_id || strcmp(person_id, p->p_id)))
                        continue;
                if (email && (!p->p_email || strcasecmp(email, p->p_email)))
                        continue;
                if (type && strcmp(type, ob->o_type))
                        continue;
                if (object_id && strcmp(object_id, ob->o_id))
                        continue;
                json_array_append_new(
                        arr, json_pack("{s:o, s:s, s:s, s:O, s:I, s:I}", "person",
                                       retl_sbx_people_ref_json(p), "object_type_id",
                                       ob->o_type, "object_id", ob->o_id, "attributes",
                                       r->r_attrs, "created_at_ms",
                                       (json_int_t)r->r_created_ms, "updated_at_ms",
                                       (json_int_t)r->r_updated_ms));
        }
        return json_pack("{s:I, s:o}", "count", (json_int_t)json_array_size(arr),
                         "relationships", arr);
}

int retl_sbx_rels_restore(struct retl_sbx_ws *ws, const char *cio_id, const char *type,
                          const char *object_id, json_t *attrs, int64_t created_ms,
                          int64_t updated_ms)
{
        struct sbx_person *p = retl_sbx_map_get(ws->ws_by_cio, cio_id);
        char *key = retl_asprintf("%s\x1f%s", type, object_id);
        struct sbx_object *ob = retl_sbx_map_get(ws->ws_objects, key);
        struct sbx_rel *r;

        free(key);
        if (!p || !ob) {
                json_decref(attrs);
                return -1;
        }
        r = rel_add(ws, p, ob, NULL, created_ms);
        retl_sbx_rules_take_attrs(&r->r_attrs, attrs);
        r->r_created_ms = created_ms;
        r->r_updated_ms = updated_ms;
        return 0;
}
