/* retl sandbox — people in the workspace: records, identifiers, the person
 * actions, inspection; see sbx_people.h. */
#include "sandbox/track/sbx_people.h"
#include "sandbox/track/sbx_attrs.h"
#include "sandbox/track/sbx_email.h"
#include "sandbox/track/sbx_rels.h"
#include "sandbox/track/sbx_segments.h"
#include "sandbox/track/sbx_suppress.h"

#include "lib/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Records                                                             */

static struct retl_sbx_map *index_of(struct retl_sbx_ws *ws, enum retl_sbx_id_type kind)
{
        switch (kind) {
        case RETL_SBX_BY_ID:
                return ws->ws_by_id;
        case RETL_SBX_BY_EMAIL:
                return ws->ws_by_email;
        case RETL_SBX_BY_CIO_ID:
                break;
        }
        return ws->ws_by_cio;
}

struct sbx_person *retl_sbx_people_find(struct retl_sbx_ws *ws, const struct sbx_pident *pi)
{
        return retl_sbx_map_get(index_of(ws, pi->kind), pi->key);
}

int retl_sbx_people_parse(struct retl_sbx_ws *ws, json_t *e, struct sbx_pident *pi,
                          struct sbx_person **p, struct retl_sbx_outcome *o)
{
        if (retl_sbx_rules_parse_pident(ws, json_object_get(e, "identifiers"), "identifiers",
                                        pi, o))
                return -1;
        *p = retl_sbx_people_find(ws, pi);
        return 0;
}

/* A new person; @p attrs (frozen, taken) or none. */
static struct sbx_person *person_new(struct retl_sbx_ws *ws, const char *cio_id, int64_t now,
                                     char *attrs)
{
        struct sbx_person *p = retl_calloc(1, sizeof(*p));

        if (cio_id)
                p->p_cio_id = retl_strdup(cio_id);
        else
                p->p_cio_id = retl_sbx_rules_seq_id("a", 7, ws->ws_next_person++);
        p->p_attrs = attrs ? attrs : retl_strdup("{}");
        p->p_created_ms = p->p_updated_ms = now;
        TAILQ_INSERT_TAIL(&ws->ws_people, p, p_link);
        retl_sbx_map_put(ws->ws_by_cio, p->p_cio_id, p);
        ws->ws_dirty = 1;
        return p;
}

/* Sets the person's id or email (@p kind; NULL clears it), keeping its
 * index in step. An id is its own key; an email's is in lower case. */
static void person_set_ident(struct retl_sbx_ws *ws, struct sbx_person *p,
                             enum retl_sbx_id_type kind, const char *v)
{
        int email = kind == RETL_SBX_BY_EMAIL;
        char **val = email ? &p->p_email : &p->p_id;
        char **key = email ? &p->p_email_key : &p->p_id;
        struct retl_sbx_map *index = retl_sbx_rules_is_ident(ws, kind) ? index_of(ws, kind)
                                                                        : NULL;

        if ((!v && !*val) || (v && *val && !strcmp(v, *val)))
                return;
        if (*val) {
                if (index && retl_sbx_map_get(index, *key) == p)
                        retl_sbx_map_del(index, *key);
                if (email)
                        free(*key);
                free(*val);
                *val = *key = NULL;
        }
        if (v) {
                *val = retl_strdup(v);
                if (email)
                        *key = retl_sbx_email_key(v);
                if (index)
                        retl_sbx_map_put(index, *key, p);
        }
}

static void person_free(struct sbx_person *p)
{
        free(p->p_cio_id);
        free(p->p_id);
        free(p->p_email);
        free(p->p_email_key);
        free(p->p_attrs);
        free(p);
}

/* Deletes a person with its relationships and segment memberships. */
static void person_delete(struct retl_sbx_ws *ws, struct sbx_person *p)
{
        retl_sbx_rels_drop(ws, p, NULL);
        retl_sbx_segments_forget(ws, p);
        person_set_ident(ws, p, RETL_SBX_BY_ID, NULL);
        person_set_ident(ws, p, RETL_SBX_BY_EMAIL, NULL);
        retl_sbx_map_del(ws->ws_by_cio, p->p_cio_id);
        TAILQ_REMOVE(&ws->ws_people, p, p_link);
        person_free(p);
        ws->ws_dirty = 1;
}

void retl_sbx_people_clear(struct retl_sbx_ws *ws)
{
        struct sbx_person *p;

        while ((p = TAILQ_FIRST(&ws->ws_people))) {
                TAILQ_REMOVE(&ws->ws_people, p, p_link);
                person_free(p);
        }
}

struct sbx_person *retl_sbx_people_get(struct retl_sbx_ws *ws, const struct sbx_pident *pi,
                                       int64_t now)
{
        struct sbx_person *p = retl_sbx_people_find(ws, pi);

        if (p)
                return p;
        p = person_new(ws, NULL, now, NULL);
        person_set_ident(ws, p, pi->kind, pi->val);
        return p;
}

int retl_sbx_people_suppressed(const struct retl_sbx_ws *ws, const struct sbx_person *p,
                               const struct sbx_pident *pi)
{
        if (p)
                return retl_sbx_suppress_has_id(ws, p->p_id) ||
                       retl_sbx_suppress_has_email(ws, p->p_email);
        if (pi->kind == RETL_SBX_BY_ID)
                return retl_sbx_suppress_has_id(ws, pi->val);
        if (pi->kind == RETL_SBX_BY_EMAIL)
                return retl_sbx_suppress_has_email(ws, pi->val);
        return 0;
}

/* ------------------------------------------------------------------ */
/* Actions                                                             */

static int same_ident(int email, const char *a, const char *b)
{
        return email ? !strcasecmp(a, b) : !strcmp(a, b);
}

/* Plans the identifier attribute attributes.id (email = 0) or
 * attributes.email (email = 1) of an identify: *out is the value the
 * person will have (cur, or buf, or NULL). */
static int plan_ident_attr(struct retl_sbx_ws *ws, int email, json_t *v, const char *cur,
                           enum retl_sbx_id_type by, char *buf, size_t buf_size,
                           const char **out, struct retl_sbx_outcome *o)
{
        const char *name = email ? "email" : "id";
        const char *field = email ? "attributes.email" : "attributes.id";
        int enabled = retl_sbx_rules_is_ident(ws, email ? RETL_SBX_BY_EMAIL : RETL_SBX_BY_ID);
        int may_change;

        *out = cur;
        if (!v)
                return 0;
        if (retl_sbx_rules_is_removal(v)) {
                if (cur && enabled)
                        return retl_sbx_rules_reject(o, RETL_SBX_R_ATTR, field,
                                                     "%s cannot be removed once set (it is "
                                                     "'%s')", name, cur);
                *out = NULL;
                return 0;
        }
        if (email) {
                const char *why = NULL;

                if (!json_is_string(v) || json_string_length(v) >= buf_size ||
                    !retl_sbx_email_valid(json_string_value(v), json_string_length(v), &why))
                        return retl_sbx_rules_reject(o, RETL_SBX_R_ATTR, field,
                                                     "email is not a valid RFC 5322 address "
                                                     "(%s)", why ? why : "not a string");
                memcpy(buf, json_string_value(v), json_string_length(v) + 1);
        } else if (retl_sbx_rules_ident_text(v, buf, buf_size, RETL_SBX_ID_MAX)) {
                return retl_sbx_rules_reject(o, RETL_SBX_R_ATTR, field,
                                             "id must be a non-empty string or integer of at "
                                             "most %d bytes", RETL_SBX_ID_MAX);
        }
        if (cur && !same_ident(email, cur, buf)) {
                /* Identifiers are set once. They change only when the person
                 * is addressed by cio_id, or (workspace setting) email when
                 * addressed by id. */
                may_change = !enabled || by == RETL_SBX_BY_CIO_ID ||
                             (email && ws->ws_allow_email_update && by == RETL_SBX_BY_ID);
                if (!may_change)
                        return retl_sbx_rules_reject(
                                o, RETL_SBX_R_ATTR, field,
                                "%s cannot be changed once set (it is '%s', got '%s')%s", name,
                                cur, buf,
                                email && by == RETL_SBX_BY_ID
                                        ? "; the workspace does not allow updates to email "
                                          "using id"
                                        : "");
        }
        *out = buf;
        return 0;
}

/* Refuses @p v as the id or email (@p kind) of @p p when another person
 * has it. @p pi_field: the identifier came from the identifiers object. */
static int check_unique(struct retl_sbx_ws *ws, enum retl_sbx_id_type kind, const char *v,
                        const struct sbx_person *p, int pi_field, struct retl_sbx_outcome *o)
{
        const char *name = kind == RETL_SBX_BY_EMAIL ? "email" : "id";
        char key[RETL_SBX_IDENT_BUF];
        const struct sbx_person *q;

        if (kind == RETL_SBX_BY_EMAIL)
                retl_sbx_rules_lower(key, v);
        q = retl_sbx_map_get(index_of(ws, kind), kind == RETL_SBX_BY_EMAIL ? key : v);
        if (q && q != p)
                return retl_sbx_rules_reject_in(o, RETL_SBX_R_ATTR,
                                                pi_field ? "identifiers" : "attributes", name,
                                                "%s '%s' already belongs to another person",
                                                name, v);
        return 0;
}

int retl_sbx_people_identify(struct retl_sbx_ws *ws, json_t *e, char **prepared, int flag,
                             int64_t now, struct retl_sbx_outcome *o)
{
        struct sbx_pident pi;
        json_t *attrs;
        json_t *rels = json_object_get(e, "cio_relationships");
        struct sbx_person *p;
        const char *new_id, *new_email;
        char id_buf[RETL_SBX_IDENT_BUF], email_buf[RETL_SBX_IDENT_BUF];
        int update_only, created;

        if (retl_sbx_people_parse(ws, e, &pi, &p, o) || retl_sbx_rules_attrs(e, &attrs, o))
                return -1;
        /* _update belongs in attributes (OpenAPI identify_person); the
         * sandbox also takes it beside them. */
        update_only = json_is_true(json_object_get(attrs, "_update")) ||
                      json_is_true(json_object_get(e, "_update"));
        if (rels && retl_sbx_rels_list(ws, rels, 0, 1, 0, NULL, NULL, now, o))
                return -1;
        if (!p) {
                if (pi.kind == RETL_SBX_BY_CIO_ID)
                        return retl_sbx_rules_reject(o, RETL_SBX_R_NOT_FOUND,
                                                     "identifiers.cio_id",
                                                     "person does not exist (cio_id '%s'); a "
                                                     "cio_id cannot create people", pi.val);
                if (update_only) {
                        /* OpenAPI: "If no person matches the identifiers, the
                         * request does nothing." Accepted, counted as a no-op. */
                        o->so_noop = 1;
                        snprintf(o->so_message, sizeof(o->so_message),
                                 "person does not exist; _update does not create people");
                        return 0;
                }
        }
        if (retl_sbx_people_suppressed(ws, p, &pi))
                return retl_sbx_rules_reject(o, RETL_SBX_R_SUPPRESSED, "identifiers",
                                             "person is suppressed");
        new_id = p ? p->p_id : (pi.kind == RETL_SBX_BY_ID ? pi.val : NULL);
        /* Emails match case-insensitively and the spelling last sent is
         * kept, as Customer.io does: identifiers.email re-spells it too. */
        new_email = pi.kind == RETL_SBX_BY_EMAIL ? pi.val : p ? p->p_email : NULL;
        if (plan_ident_attr(ws, 0, json_object_get(attrs, "id"), new_id, pi.kind, id_buf,
                            sizeof(id_buf), &new_id, o) ||
            plan_ident_attr(ws, 1, json_object_get(attrs, "email"), new_email, pi.kind,
                            email_buf, sizeof(email_buf), &new_email, o))
                return -1;
        if (retl_sbx_suppress_has_id(ws, new_id) || retl_sbx_suppress_has_email(ws, new_email))
                return retl_sbx_rules_reject(o, RETL_SBX_R_SUPPRESSED, "attributes",
                                             "person is suppressed");
        /* (a new person identified by id: that id was just looked up) */
        if (retl_sbx_rules_is_ident(ws, RETL_SBX_BY_ID) && new_id &&
            (p || pi.kind != RETL_SBX_BY_ID || new_id != pi.val) &&
            check_unique(ws, RETL_SBX_BY_ID, new_id, p, pi.kind == RETL_SBX_BY_ID, o))
                return -1;
        if (retl_sbx_rules_is_ident(ws, RETL_SBX_BY_EMAIL) && new_email &&
            (p || pi.kind != RETL_SBX_BY_EMAIL || new_email != pi.val) &&
            check_unique(ws, RETL_SBX_BY_EMAIL, new_email, p, pi.kind == RETL_SBX_BY_EMAIL, o))
                return -1;
        /* Checks passed: apply. A new person takes the prepared copy. */
        created = !p;
        if (created && prepared && *prepared) {
                p = person_new(ws, NULL, now, *prepared);
                *prepared = NULL;
        } else {
                if (created)
                        p = person_new(ws, NULL, now, NULL);
                retl_sbx_attrs_merge(&p->p_attrs, attrs, 1, ws->ws_scratch);
        }
        person_set_ident(ws, p, RETL_SBX_BY_ID, new_id);
        person_set_ident(ws, p, RETL_SBX_BY_EMAIL, new_email);
        p->p_updated_ms = now;
        p->p_updates++;
        ws->ws_dirty = 1;
        if (rels)
                retl_sbx_rels_list(ws, rels, 0, 1, 1, p, NULL, now, o);
        return 0;
}

int retl_sbx_people_delete(struct retl_sbx_ws *ws, json_t *e, char **prepared, int flag,
                           int64_t now, struct retl_sbx_outcome *o)
{
        struct sbx_pident pi;
        struct sbx_person *p;

        if (retl_sbx_people_parse(ws, e, &pi, &p, o))
                return -1;
        if (p)
                person_delete(ws, p);
        else
                o->so_noop = 1;
        return 0;
}

/* suppress: the identifier (and the person's others) go in the
 * suppression list and the person is deleted, as Customer.io does. */
int retl_sbx_people_suppress(struct retl_sbx_ws *ws, json_t *e, char **prepared, int on,
                             int64_t now, struct retl_sbx_outcome *o)
{
        struct sbx_pident pi;
        struct sbx_person *p;

        if (retl_sbx_people_parse(ws, e, &pi, &p, o))
                return -1;
        if (pi.kind == RETL_SBX_BY_CIO_ID && !p)
                return retl_sbx_rules_reject(o, RETL_SBX_R_NOT_FOUND, "identifiers.cio_id",
                                             "person does not exist (cio_id '%s')", pi.val);
        if (pi.kind != RETL_SBX_BY_CIO_ID)
                retl_sbx_ws_suppress(ws, pi.kind == RETL_SBX_BY_ID ? "id" : "email", pi.val,
                                     on);
        if (p && on) {
                if (p->p_id)
                        retl_sbx_ws_suppress(ws, "id", p->p_id, 1);
                if (p->p_email)
                        retl_sbx_ws_suppress(ws, "email", p->p_email, 1);
                person_delete(ws, p);
        }
        return 0;
}

/* ------------------------------------------------------------------ */
/* Inspection                                                          */

static json_t *str_or_null(const char *s)
{
        return s ? json_string(s) : json_null();
}

json_t *retl_sbx_people_ref_json(const struct sbx_person *p)
{
        return json_pack("{s:s, s:o, s:o}", "cio_id", p->p_cio_id, "id", str_or_null(p->p_id),
                         "email", str_or_null(p->p_email));
}

static json_t *person_json(struct retl_sbx_ws *ws, const struct sbx_person *p)
{
        json_t *j = retl_sbx_people_ref_json(p);

        json_object_set_new(j, "attributes", retl_sbx_attrs_thaw(p->p_attrs));
        json_object_set_new(j, "segments", retl_sbx_segments_of(ws, p));
        json_object_set_new(j, "suppressed",
                            json_boolean(retl_sbx_suppress_has_id(ws, p->p_id) ||
                                         retl_sbx_suppress_has_email(ws, p->p_email)));
        json_object_set_new(j, "created_at_ms", json_integer(p->p_created_ms));
        json_object_set_new(j, "updated_at_ms", json_integer(p->p_updated_ms));
        json_object_set_new(j, "updates", json_integer((json_int_t)p->p_updates));
        return j;
}

json_t *retl_sbx_ws_people_json(struct retl_sbx_ws *ws, size_t offset, size_t limit)
{
        json_t *arr = json_array();
        struct sbx_person *p;
        size_t n = 0;

        TAILQ_FOREACH(p, &ws->ws_people, p_link) {
                if (n++ < offset)
                        continue;
                if (limit && json_array_size(arr) >= limit)
                        break;
                json_array_append_new(arr, person_json(ws, p));
        }
        return json_pack("{s:I, s:o}", "count", (json_int_t)retl_sbx_map_count(ws->ws_by_cio),
                         "people", arr);
}

json_t *retl_sbx_ws_person_json(struct retl_sbx_ws *ws, enum retl_sbx_id_type by,
                                const char *value)
{
        struct sbx_pident pi;
        struct sbx_person *p;

        if (!value || strlen(value) >= RETL_SBX_IDENT_BUF)
                return NULL;
        pi.kind = by;
        memcpy(pi.val, value, strlen(value) + 1);
        retl_sbx_rules_pident_key(&pi);
        if (retl_sbx_rules_is_ident(ws, by)) {
                p = retl_sbx_people_find(ws, &pi);
        } else {
                /* not an identifier here: not indexed, so a walk */
                TAILQ_FOREACH(p, &ws->ws_people, p_link) {
                        const char *key = by == RETL_SBX_BY_EMAIL ? p->p_email_key : p->p_id;

                        if (key && !strcmp(key, pi.key))
                                break;
                }
        }
        return p ? person_json(ws, p) : NULL;
}

/* ------------------------------------------------------------------ */
/* Restore (state file)                                                */

struct sbx_person *retl_sbx_people_restore(struct retl_sbx_ws *ws, const char *cio_id,
                                           const char *id, const char *email, json_t *attrs,
                                           int64_t created_ms, int64_t updated_ms,
                                           uint64_t updates)
{
        struct sbx_person *p;

        if (retl_sbx_map_get(ws->ws_by_cio, cio_id)) {
                json_decref(attrs);
                return NULL;
        }
        p = person_new(ws, cio_id, created_ms, NULL);
        person_set_ident(ws, p, RETL_SBX_BY_ID, id);
        person_set_ident(ws, p, RETL_SBX_BY_EMAIL, email);
        retl_sbx_attrs_take(&p->p_attrs, attrs);
        p->p_updated_ms = updated_ms;
        p->p_updates = updates;
        return p;
}
