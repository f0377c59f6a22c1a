/* retl sandbox — the workspace: its configuration and lifecycle, and each
 * entity sent to the action that applies it; see sbx_ws.h. */
#include "sandbox/track/sbx_arena.h"
#include "sandbox/track/sbx_attrs.h"
#include "sandbox/track/sbx_email.h"
#include "sandbox/track/sbx_objects.h"
#include "sandbox/track/sbx_people.h"
#include "sandbox/track/sbx_rels.h"
#include "sandbox/track/sbx_segments.h"
#include "sandbox/track/sbx_suppress.h"

#include "lib/mem.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Actions                                                             */

/* The Track API's actions by type and action; a row without a handler is
 * one the sandbox refuses as unsupported. The handler's int is the row's
 * flag: add or delete, suppress or unsuppress. */
static const struct action {
        const char *ac_type, *ac_name;
        enum retl_sbx_action ac_action;
        int (*ac_apply)(struct retl_sbx_ws *ws, json_t *e, char **prepared, int flag,
                        int64_t now, struct retl_sbx_outcome *o);
        int ac_flag;
} actions[] = {
        {"person", "identify", RETL_SBX_A_PERSON_IDENTIFY, retl_sbx_people_identify, 0},
        {"person", "delete", RETL_SBX_A_PERSON_DELETE, retl_sbx_people_delete, 0},
        {"person", "add_relationships", RETL_SBX_A_PERSON_ADD_REL, retl_sbx_rels_person_action,
         1},
        {"person", "delete_relationships", RETL_SBX_A_PERSON_DEL_REL,
         retl_sbx_rels_person_action, 0},
        {"person", "suppress", RETL_SBX_A_PERSON_SUPPRESS, retl_sbx_people_suppress, 1},
        {"person", "unsuppress", RETL_SBX_A_PERSON_UNSUPPRESS, retl_sbx_people_suppress, 0},
        {"object", "identify", RETL_SBX_A_OBJECT_IDENTIFY, retl_sbx_objects_identify, 0},
        {"object", "delete", RETL_SBX_A_OBJECT_DELETE, retl_sbx_objects_delete, 0},
        {"object", "add_relationships", RETL_SBX_A_OBJECT_ADD_REL, retl_sbx_rels_object_action,
         1},
        {"object", "delete_relationships", RETL_SBX_A_OBJECT_DEL_REL,
         retl_sbx_rels_object_action, 0},
        {"person", "event", RETL_SBX_A_OTHER, NULL, 0},
        {"person", "page", RETL_SBX_A_OTHER, NULL, 0},
        {"person", "screen", RETL_SBX_A_OTHER, NULL, 0},
        {"person", "add_device", RETL_SBX_A_OTHER, NULL, 0},
        {"person", "delete_device", RETL_SBX_A_OTHER, NULL, 0},
        {"person", "merge", RETL_SBX_A_OTHER, NULL, 0},
        {"object", "identify_anonymous", RETL_SBX_A_OTHER, NULL, 0},
};

static const char *const action_names[RETL_SBX_A_COUNT] = {
        [RETL_SBX_A_INVALID] = "invalid",
        [RETL_SBX_A_PERSON_IDENTIFY] = "person.identify",
        [RETL_SBX_A_PERSON_DELETE] = "person.delete",
        [RETL_SBX_A_PERSON_ADD_REL] = "person.add_relationships",
        [RETL_SBX_A_PERSON_DEL_REL] = "person.delete_relationships",
        [RETL_SBX_A_PERSON_SUPPRESS] = "person.suppress",
        [RETL_SBX_A_PERSON_UNSUPPRESS] = "person.unsuppress",
        [RETL_SBX_A_OBJECT_IDENTIFY] = "object.identify",
        [RETL_SBX_A_OBJECT_DELETE] = "object.delete",
        [RETL_SBX_A_OBJECT_ADD_REL] = "object.add_relationships",
        [RETL_SBX_A_OBJECT_DEL_REL] = "object.delete_relationships",
        [RETL_SBX_A_OTHER] = "other",
};

const char *retl_sbx_action_name(enum retl_sbx_action a)
{
        return (unsigned)a < RETL_SBX_A_COUNT ? action_names[a] : "other";
}

/* @returns the row of type @p t, action @p a, or NULL. */
static const struct action *find_action(const char *t, const char *a)
{
        for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
                if (!strcmp(t, actions[i].ac_type) && !strcmp(a, actions[i].ac_name))
                        return &actions[i];
        return NULL;
}

enum retl_sbx_action retl_sbx_action_of(const json_t *e)
{
        const char *t = json_string_value(json_object_get(e, "type"));
        const char *a = json_string_value(json_object_get(e, "action"));
        const struct action *ac;

        if (!t || !a)
                return RETL_SBX_A_INVALID;
        ac = find_action(t, a);
        return ac ? ac->ac_action : RETL_SBX_A_OTHER;
}

/* ------------------------------------------------------------------ */
/* Lifecycle                                                           */

/* The workspace's hash maps; borrowed keys point into the records. */
static const struct {
        size_t mp_off;
        int mp_borrow;
} maps[] = {
        {offsetof(struct retl_sbx_ws, ws_by_id), 1},
        {offsetof(struct retl_sbx_ws, ws_by_email), 1},
        {offsetof(struct retl_sbx_ws, ws_by_cio), 1},
        {offsetof(struct retl_sbx_ws, ws_objects), 1},
        {offsetof(struct retl_sbx_ws, ws_obj_by_cio), 1},
        {offsetof(struct retl_sbx_ws, ws_rels), 1},
        {offsetof(struct retl_sbx_ws, ws_sup_ids), 0},
        {offsetof(struct retl_sbx_ws, ws_sup_emails), 0},
};
#define N_MAPS (sizeof(maps) / sizeof(maps[0]))

static struct retl_sbx_map **map_at(struct retl_sbx_ws *ws, size_t i)
{
        return (struct retl_sbx_map **)((char *)ws + maps[i].mp_off);
}

static char **copy_strv(const char *const *v, size_t n)
{
        char **c = retl_calloc(n ? n : 1, sizeof(*c));

        for (size_t i = 0; i < n; i++)
                c[i] = retl_strdup(v[i]);
        return c;
}

static void free_strv(char **v, size_t n)
{
        if (!v)
                return;
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

static long *copy_longs(const long *v, size_t n)
{
        long *c = retl_malloc((n ? n : 1) * sizeof(long));

        if (n)
                memcpy(c, v, n * sizeof(long));
        return c;
}

static int cmp_long(const void *a, const void *b)
{
        long x = *(const long *)a, y = *(const long *)b;

        return x < y ? -1 : x > y;
}

static int conf_check(const struct retl_sbx_ws_conf *wc, char *errstr, size_t errstr_size)
{
        if (wc->wc_identifiers < RETL_SBX_IDS_ID || wc->wc_identifiers > RETL_SBX_IDS_BOTH) {
                snprintf(errstr, errstr_size, "identifiers must be id, email or both");
                return -1;
        }
        for (size_t i = 0; i < wc->wc_n_object_types; i++) {
                if (wc->wc_object_types[i] < 1) {
                        snprintf(errstr, errstr_size,
                                 "object type ids are integers from 1 (got %ld)",
                                 wc->wc_object_types[i]);
                        return -1;
                }
        }
        for (size_t i = 0; i < wc->wc_n_suppress_emails; i++) {
                const char *e = wc->wc_suppress_emails[i];
                const char *why;

                if (!retl_sbx_email_valid(e, strlen(e), &why)) {
                        snprintf(errstr, errstr_size, "suppressed email '%s' is not valid: %s",
                                 e, why);
                        return -1;
                }
        }
        return 0;
}

/* Segments and suppressions as configured. */
static void apply_conf_sets(struct retl_sbx_ws *ws)
{
        for (size_t i = 0; i < ws->ws_n_conf_segments; i++)
                retl_sbx_ws_segment_create(ws, ws->ws_conf_segments[i]);
        retl_sbx_suppress_conf(ws);
}

struct retl_sbx_ws *retl_sbx_ws_new(const struct retl_sbx_ws_conf *wc, char *errstr,
                                    size_t errstr_size)
{
        static const long default_types[] = {1};
        struct retl_sbx_ws *ws;

        if (conf_check(wc, errstr, errstr_size))
                return NULL;
        ws = retl_calloc(1, sizeof(*ws));
        ws->ws_ids = wc->wc_identifiers;
        ws->ws_allow_email_update = wc->wc_allow_email_update_by_id;
        ws->ws_n_types = wc->wc_n_object_types ? wc->wc_n_object_types : 1;
        ws->ws_types = copy_longs(wc->wc_n_object_types ? wc->wc_object_types : default_types,
                                  ws->ws_n_types);
        qsort(ws->ws_types, ws->ws_n_types, sizeof(long), cmp_long);
        ws->ws_n_conf_segments = wc->wc_n_segments;
        ws->ws_conf_segments = copy_longs(wc->wc_segments, wc->wc_n_segments);
        ws->ws_conf_sup_ids = copy_strv(wc->wc_suppress_ids, wc->wc_n_suppress_ids);
        ws->ws_n_conf_sup_ids = wc->wc_n_suppress_ids;
        ws->ws_conf_sup_emails = copy_strv(wc->wc_suppress_emails, wc->wc_n_suppress_emails);
        ws->ws_n_conf_sup_emails = wc->wc_n_suppress_emails;
        for (size_t i = 0; i < N_MAPS; i++)
                *map_at(ws, i) = retl_sbx_map_new(maps[i].mp_borrow);
        TAILQ_INIT(&ws->ws_people);
        TAILQ_INIT(&ws->ws_objs);
        TAILQ_INIT(&ws->ws_rel_list);
        ws->ws_next_person = 1;
        ws->ws_next_object = 1;
        ws->ws_next_segment = 1;
        apply_conf_sets(ws);
        ws->ws_dirty = 0;
        ws->ws_scratch = retl_sbx_arena_new();
        return ws;
}

/* Empties everything but the configuration. */
static void clear_all(struct retl_sbx_ws *ws)
{
        retl_sbx_rels_clear(ws);
        retl_sbx_people_clear(ws);
        retl_sbx_objects_clear(ws);
        for (size_t i = 0; i < N_MAPS; i++)
                retl_sbx_map_clear(*map_at(ws, i));
        retl_sbx_segments_clear(ws);
}

void retl_sbx_ws_reset(struct retl_sbx_ws *ws)
{
        clear_all(ws);
        ws->ws_next_person = 1;
        ws->ws_next_object = 1;
        ws->ws_next_segment = 1;
        apply_conf_sets(ws);
        ws->ws_dirty = 1;
}

void retl_sbx_ws_destroy(struct retl_sbx_ws *ws)
{
        if (!ws)
                return;
        clear_all(ws);
        for (size_t i = 0; i < N_MAPS; i++)
                retl_sbx_map_destroy(*map_at(ws, i));
        free(ws->ws_types);
        free(ws->ws_conf_segments);
        free_strv(ws->ws_conf_sup_ids, ws->ws_n_conf_sup_ids);
        free_strv(ws->ws_conf_sup_emails, ws->ws_n_conf_sup_emails);
        retl_sbx_arena_destroy(ws->ws_scratch);
        free(ws);
}

int retl_sbx_ws_dirty(const struct retl_sbx_ws *ws)
{
        return ws->ws_dirty;
}

void retl_sbx_ws_clean(struct retl_sbx_ws *ws)
{
        ws->ws_dirty = 0;
}

void retl_sbx_ws_counts(struct retl_sbx_ws *ws, struct retl_sbx_ws_counts *c)
{
        c->people = retl_sbx_map_count(ws->ws_by_cio);
        c->objects = retl_sbx_map_count(ws->ws_objects);
        c->relationships = retl_sbx_map_count(ws->ws_rels);
        c->segments = ws->ws_n_segments;
        c->memberships = 0;
        for (size_t i = 0; i < ws->ws_n_segments; i++)
                c->memberships += retl_sbx_map_count(ws->ws_segments[i].s_members);
        c->suppressed = retl_sbx_map_count(ws->ws_sup_ids) +
                        retl_sbx_map_count(ws->ws_sup_emails);
}

/* ------------------------------------------------------------------ */
/* Preparing outside the lock                                          */

int retl_sbx_ws_creates(struct retl_sbx_ws *ws, const json_t *e)
{
        enum retl_sbx_action a = retl_sbx_action_of(e);
        json_t *idents = json_object_get(e, "identifiers");
        struct retl_sbx_outcome o;

        if (a == RETL_SBX_A_PERSON_IDENTIFY) {
                struct sbx_pident pi;

                /* parsing writes only to pi and o */
                if (retl_sbx_rules_parse_pident(ws, idents, "identifiers", &pi, &o))
                        return 0;
                return retl_sbx_people_find(ws, &pi) == NULL;
        }
        if (a == RETL_SBX_A_OBJECT_IDENTIFY) {
                struct sbx_oident oi;

                if (retl_sbx_rules_parse_oident(ws, idents, "identifiers", &oi, &o))
                        return 0;
                return retl_sbx_objects_find(ws, &oi) == NULL;
        }
        return 0;
}

char *retl_sbx_ws_prepare(const json_t *e)
{
        enum retl_sbx_action a = retl_sbx_action_of(e);

        if (a != RETL_SBX_A_PERSON_IDENTIFY && a != RETL_SBX_A_OBJECT_IDENTIFY)
                return NULL;
        return retl_sbx_attrs_prepare(json_object_get(e, "attributes"),
                                      a == RETL_SBX_A_PERSON_IDENTIFY);
}

/* ------------------------------------------------------------------ */
/* Entities                                                            */

static int apply_entity(struct retl_sbx_ws *ws, json_t *e, char **prepared, int64_t now,
                        struct retl_sbx_outcome *o)
{
        json_t *type, *action;
        const char *t, *a;
        const struct action *ac;

        o->so_action = RETL_SBX_A_INVALID;
        o->so_reason = NULL;
        o->so_noop = 0;
        o->so_field[0] = '\0';
        o->so_message[0] = '\0';
        if (!json_is_object(e))
                return retl_sbx_rules_reject(o, RETL_SBX_R_INVALID, "",
                                             "an entity must be a JSON object");
        type = json_object_get(e, "type");
        action = json_object_get(e, "action");
        if (!type)
                return retl_sbx_rules_reject(o, RETL_SBX_R_REQUIRED, "type",
                                             "type is required");
        if (!json_is_string(type))
                return retl_sbx_rules_reject(o, RETL_SBX_R_INVALID, "type",
                                             "type must be a string");
        if (!action)
                return retl_sbx_rules_reject(o, RETL_SBX_R_REQUIRED, "action",
                                             "action is required");
        if (!json_is_string(action))
                return retl_sbx_rules_reject(o, RETL_SBX_R_INVALID, "action",
                                             "action must be a string");
        t = json_string_value(type);
        a = json_string_value(action);
        ac = find_action(t, a);
        if (ac) {
                o->so_action = ac->ac_action;
                if (ac->ac_apply)
                        return ac->ac_apply(ws, e, prepared, ac->ac_flag, now, o);
                return retl_sbx_rules_reject(o, RETL_SBX_R_UNSUPPORTED, "action",
                                             "%s action '%s' is not supported by the sandbox",
                                             t, a);
        }
        if (!strcmp(t, "person") || !strcmp(t, "object")) {
                o->so_action = RETL_SBX_A_OTHER;
                return retl_sbx_rules_reject(o, RETL_SBX_R_INVALID, "action",
                                             "unknown %s action '%s'", t, a);
        }
        if (!strcmp(t, "delivery")) {
                o->so_action = RETL_SBX_A_OTHER;
                return retl_sbx_rules_reject(o, RETL_SBX_R_UNSUPPORTED, "type",
                                             "delivery operations are not supported by the "
                                             "sandbox");
        }
        return retl_sbx_rules_reject(o, RETL_SBX_R_INVALID, "type",
                                     "type must be person, object or delivery (got '%s')", t);
}

int retl_sbx_ws_apply_prepared(struct retl_sbx_ws *ws, json_t *e, char *prepared,
                               int64_t now, struct retl_sbx_outcome *o)
{
        /* a record created by the entity takes it (and clears it here) */
        int rc = apply_entity(ws, e, &prepared, now, o);

        free(prepared);
        return rc;
}

int retl_sbx_ws_apply(struct retl_sbx_ws *ws, json_t *e, int64_t now,
                      struct retl_sbx_outcome *o)
{
        return retl_sbx_ws_apply_prepared(ws, e, NULL, now, o);
}
