/* retl sandbox — the workspace and its rules, see sbx_ws.h. */
#include "sandbox/track/sbx_ws_int.h"
#include "sandbox/track/sbx_email.h"

#include "lib/mem.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest identifier value we keep in a stack buffer: emails are at most
 * 254 bytes, ids RETL_SBX_ID_MAX, object ids RETL_SBX_OBJECT_ID_MAX. */
#define IDENT_BUF (RETL_SBX_OBJECT_ID_MAX + 1)

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

enum retl_sbx_action retl_sbx_action_of(const json_t *e)
{
        const char *t = json_string_value(json_object_get(e, "type"));
        const char *a = json_string_value(json_object_get(e, "action"));
        static const struct {
                const char *t, *a;
                enum retl_sbx_action act;
        } tab[] = {
                {"person", "identify", RETL_SBX_A_PERSON_IDENTIFY},
                {"person", "delete", RETL_SBX_A_PERSON_DELETE},
                {"person", "add_relationships", RETL_SBX_A_PERSON_ADD_REL},
                {"person", "delete_relationships", RETL_SBX_A_PERSON_DEL_REL},
                {"person", "suppress", RETL_SBX_A_PERSON_SUPPRESS},
                {"person", "unsuppress", RETL_SBX_A_PERSON_UNSUPPRESS},
                {"object", "identify", RETL_SBX_A_OBJECT_IDENTIFY},
                {"object", "delete", RETL_SBX_A_OBJECT_DELETE},
                {"object", "add_relationships", RETL_SBX_A_OBJECT_ADD_REL},
                {"object", "delete_relationships", RETL_SBX_A_OBJECT_DEL_REL},
        };

        if (!t || !a)
                return RETL_SBX_A_INVALID;
        for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
                if (!strcmp(t, tab[i].t) && !strcmp(a, tab[i].a))
                        return tab[i].act;
        return RETL_SBX_A_OTHER;
}

/* ------------------------------------------------------------------ */
/* Outcomes                                                            */

__attribute__((format(printf, 4, 5)))
static int reject(struct retl_sbx_outcome *o, const char *reason, const char *field,
                  const char *fmt, ...)
{
        va_list ap;

        o->so_reason = reason;
        snprintf(o->so_field, sizeof(o->so_field), "%s", field);
        va_start(ap, fmt);
        vsnprintf(o->so_message, sizeof(o->so_message), fmt, ap);
        va_end(ap);
        return -1;
}

/* reject() for the member @p key of @p field: the field is "field.key",
 * composed only when it is needed. */
__attribute__((format(printf, 5, 6)))
static int reject_in(struct retl_sbx_outcome *o, const char *reason, const char *field,
                     const char *key, const char *fmt, ...)
{
        va_list ap;

        o->so_reason = reason;
        snprintf(o->so_field, sizeof(o->so_field), "%s.%s", field, key);
        va_start(ap, fmt);
        vsnprintf(o->so_message, sizeof(o->so_message), fmt, ap);
        va_end(ap);
        return -1;
}

/* ------------------------------------------------------------------ */
/* Lifecycle                                                           */

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

static int cmp_long(const void *a, const void *b)
{
        long x = *(const long *)a, y = *(const long *)b;

        return x < y ? -1 : x > y;
}

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

static void sup_put(struct retl_sbx_map *m, const char *v)
{
        /* the value is only a non-NULL marker */
        retl_sbx_map_put(m, v, (void *)m);
}

static void apply_conf_sets(struct retl_sbx_ws *ws)
{
        for (size_t i = 0; i < ws->ws_n_conf_segments; i++)
                retl_sbx_ws_segment_create(ws, ws->ws_conf_segments[i]);
        for (size_t i = 0; i < ws->ws_n_conf_sup_ids; i++)
                sup_put(ws->ws_sup_ids, ws->ws_conf_sup_ids[i]);
        for (size_t i = 0; i < ws->ws_n_conf_sup_emails; i++) {
                char *k = retl_sbx_email_key(ws->ws_conf_sup_emails[i]);
                sup_put(ws->ws_sup_emails, k);
                free(k);
        }
}

struct retl_sbx_ws *retl_sbx_ws_new(const struct retl_sbx_ws_conf *wc, char *errstr,
                                    size_t errstr_size)
{
        struct retl_sbx_ws *ws;
        static const long default_types[] = {1};

        if (wc->wc_identifiers < RETL_SBX_IDS_ID || wc->wc_identifiers > RETL_SBX_IDS_BOTH) {
                snprintf(errstr, errstr_size, "identifiers must be id, email or both");
                return NULL;
        }
        for (size_t i = 0; i < wc->wc_n_object_types; i++) {
                if (wc->wc_object_types[i] < 1) {
                        snprintf(errstr, errstr_size,
                                 "object type ids are integers from 1 (got %ld)",
                                 wc->wc_object_types[i]);
                        return NULL;
                }
        }
        for (size_t i = 0; i < wc->wc_n_suppress_emails; i++) {
                const char *e = wc->wc_suppress_emails[i];
                const char *why;

                if (!retl_sbx_email_valid(e, strlen(e), &why)) {
                        snprintf(errstr, errstr_size, "suppressed email '%s' is not valid: %s",
                                 e, why);
                        return NULL;
                }
        }
        ws = retl_calloc(1, sizeof(*ws));
        ws->ws_ids = wc->wc_identifiers;
        ws->ws_allow_email_update = wc->wc_allow_email_update_by_id;
        if (wc->wc_n_object_types) {
                ws->ws_n_types = wc->wc_n_object_types;
                ws->ws_types = retl_malloc(ws->ws_n_types * sizeof(long));
                memcpy(ws->ws_types, wc->wc_object_types, ws->ws_n_types * sizeof(long));
        } else {
                ws->ws_n_types = 1;
                ws->ws_types = retl_malloc(sizeof(long));
                ws->ws_types[0] = default_types[0];
        }
        qsort(ws->ws_types, ws->ws_n_types, sizeof(long), cmp_long);
        ws->ws_n_conf_segments = wc->wc_n_segments;
        ws->ws_conf_segments = retl_malloc((wc->wc_n_segments ? wc->wc_n_segments : 1) *
                                           sizeof(long));
        if (wc->wc_n_segments)
                memcpy(ws->ws_conf_segments, wc->wc_segments, wc->wc_n_segments * sizeof(long));
        ws->ws_conf_sup_ids = copy_strv(wc->wc_suppress_ids, wc->wc_n_suppress_ids);
        ws->ws_n_conf_sup_ids = wc->wc_n_suppress_ids;
        ws->ws_conf_sup_emails = copy_strv(wc->wc_suppress_emails, wc->wc_n_suppress_emails);
        ws->ws_n_conf_sup_emails = wc->wc_n_suppress_emails;

        /* the indexes borrow their keys from the records they point at */
        ws->ws_by_id = retl_sbx_map_new(1);
        ws->ws_by_email = retl_sbx_map_new(1);
        ws->ws_by_cio = retl_sbx_map_new(1);
        ws->ws_objects = retl_sbx_map_new(1);
        ws->ws_obj_by_cio = retl_sbx_map_new(1);
        ws->ws_rels = retl_sbx_map_new(1);
        ws->ws_sup_ids = retl_sbx_map_new(0);
        ws->ws_sup_emails = retl_sbx_map_new(0);
        ws->ws_next_person = 1;
        ws->ws_next_object = 1;
        apply_conf_sets(ws);
        ws->ws_dirty = 0;
        return ws;
}

static void person_free(struct sbx_person *p)
{
        free(p->p_cio_id);
        free(p->p_id);
        free(p->p_email);
        free(p->p_email_key);
        json_decref(p->p_attrs);
        free(p);
}

static void object_free(struct sbx_object *o)
{
        free(o->o_key);
        free(o->o_type);
        free(o->o_id);
        free(o->o_cio_id);
        json_decref(o->o_attrs);
        free(o);
}

static void rel_free(struct sbx_rel *r)
{
        free(r->r_key);
        json_decref(r->r_attrs);
        free(r);
}

/* Empties everything but the configuration. */
static void clear_all(struct retl_sbx_ws *ws)
{
        struct sbx_person *p, *pn;
        struct sbx_object *o, *on;
        struct sbx_rel *r, *rn;

        for (r = ws->ws_r_head; r; r = rn) {
                rn = r->r_next;
                rel_free(r);
        }
        for (p = ws->ws_p_head; p; p = pn) {
                pn = p->p_next;
                person_free(p);
        }
        for (o = ws->ws_o_head; o; o = on) {
                on = o->o_next;
                object_free(o);
        }
        ws->ws_r_head = ws->ws_r_tail = NULL;
        ws->ws_p_head = ws->ws_p_tail = NULL;
        ws->ws_o_head = ws->ws_o_tail = NULL;
        retl_sbx_map_clear(ws->ws_by_id);
        retl_sbx_map_clear(ws->ws_by_email);
        retl_sbx_map_clear(ws->ws_by_cio);
        retl_sbx_map_clear(ws->ws_objects);
        retl_sbx_map_clear(ws->ws_obj_by_cio);
        retl_sbx_map_clear(ws->ws_rels);
        retl_sbx_map_clear(ws->ws_sup_ids);
        retl_sbx_map_clear(ws->ws_sup_emails);
        for (size_t i = 0; i < ws->ws_n_segments; i++)
                retl_sbx_map_destroy(ws->ws_segments[i].s_members);
        free(ws->ws_segments);
        ws->ws_segments = NULL;
        ws->ws_n_segments = 0;
}

void retl_sbx_ws_reset(struct retl_sbx_ws *ws)
{
        clear_all(ws);
        ws->ws_next_person = 1;
        ws->ws_next_object = 1;
        apply_conf_sets(ws);
        ws->ws_dirty = 1;
}

void retl_sbx_ws_destroy(struct retl_sbx_ws *ws)
{
        if (!ws)
                return;
        clear_all(ws);
        retl_sbx_map_destroy(ws->ws_by_id);
        retl_sbx_map_destroy(ws->ws_by_email);
        retl_sbx_map_destroy(ws->ws_by_cio);
        retl_sbx_map_destroy(ws->ws_objects);
        retl_sbx_map_destroy(ws->ws_obj_by_cio);
        retl_sbx_map_destroy(ws->ws_rels);
        retl_sbx_map_destroy(ws->ws_sup_ids);
        retl_sbx_map_destroy(ws->ws_sup_emails);
        free(ws->ws_types);
        free(ws->ws_conf_segments);
        free_strv(ws->ws_conf_sup_ids, ws->ws_n_conf_sup_ids);
        free_strv(ws->ws_conf_sup_emails, ws->ws_n_conf_sup_emails);
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

/* ------------------------------------------------------------------ */
/* Identifiers                                                         */

static int id_enabled(const struct retl_sbx_ws *ws)
{
        return (ws->ws_ids & RETL_SBX_IDS_ID) != 0;
}

static int email_enabled(const struct retl_sbx_ws *ws)
{
        return (ws->ws_ids & RETL_SBX_IDS_EMAIL) != 0;
}

static const char *ids_setting(const struct retl_sbx_ws *ws)
{
        return ws->ws_ids == RETL_SBX_IDS_BOTH ? "id and email"
               : ws->ws_ids == RETL_SBX_IDS_ID ? "id only"
                                                : "email only";
}

static int is_removal(const json_t *v)
{
        return json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0);
}

/* A person's identifier as the sandbox keeps it: val as sent, key for
 * lookups (lower case for emails). */
struct pident {
        enum retl_sbx_id_type kind;
        char val[IDENT_BUF];
        char key[IDENT_BUF];
};

/* Writes a string or integer identifier value into buf.
 * @returns 0, or -1 if v is of another type or too long. */
static int ident_text(const json_t *v, char *buf, size_t size, size_t max)
{
        if (json_is_string(v)) {
                size_t n = json_string_length(v);

                if (n == 0 || n > max || n >= size)
                        return -1;
                /* identifiers are text: no NUL bytes inside */
                if (memchr(json_string_value(v), '\0', n))
                        return -1;
                memcpy(buf, json_string_value(v), n + 1);
                return 0;
        }
        if (json_is_integer(v)) {
                snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                return 0;
        }
        return -1;
}

static void lower_into(char *dst, const char *src)
{
        for (; *src; src++, dst++)
                *dst = (*src >= 'A' && *src <= 'Z') ? (char)(*src - 'A' + 'a') : *src;
        *dst = '\0';
}

/* Parses a person's identifiers object: exactly one of id, email, cio_id.
 * @p field names it in errors ("identifiers" or "cio_relationships[2].identifiers"). */
static int parse_pident(struct retl_sbx_ws *ws, const json_t *idents, const char *field,
                        struct pident *pi, struct retl_sbx_outcome *o)
{
        const char *k;
        json_t *v;

        if (!idents)
                return reject(o, RETL_SBX_R_REQUIRED, field, "identifiers are required");
        if (!json_is_object(idents))
                return reject(o, RETL_SBX_R_INVALID, field, "identifiers must be an object");
        if (json_object_size(idents) != 1)
                return reject(o, RETL_SBX_R_INVALID, field,
                              "identifiers must hold exactly one of id, email or cio_id "
                              "(got %zu keys)", json_object_size(idents));
        json_object_foreach((json_t *)idents, k, v) {
                if (!strcmp(k, "id")) {
                        if (!id_enabled(ws))
                                return reject_in(o, RETL_SBX_R_INVALID, field, k,
                                              "id is not an identifier in this workspace "
                                              "(identifiers: %s)", ids_setting(ws));
                        pi->kind = RETL_SBX_BY_ID;
                        if (ident_text(v, pi->val, sizeof(pi->val), RETL_SBX_ID_MAX))
                                return reject_in(o, RETL_SBX_R_INVALID, field, k,
                                              "id must be a non-empty string or integer "
                                              "of at most %d bytes", RETL_SBX_ID_MAX);
                        memcpy(pi->key, pi->val, strlen(pi->val) + 1);
                } else if (!strcmp(k, "email")) {
                        const char *why = NULL;

                        if (!email_enabled(ws))
                                return reject_in(o, RETL_SBX_R_INVALID, field, k,
                                              "email is not an identifier in this workspace "
                                              "(identifiers: %s)", ids_setting(ws));
                        pi->kind = RETL_SBX_BY_EMAIL;
                        if (!json_is_string(v) ||
                            !retl_sbx_email_valid(json_string_value(v), json_string_length(v),
                                                  &why))
                                return reject_in(o, RETL_SBX_R_INVALID, field, k,
                                              "email is not a valid RFC 5322 address (%s)",
                                              why ? why : "not a string");
                        memcpy(pi->val, json_string_value(v), json_string_length(v) + 1);
                        lower_into(pi->key, pi->val);
                } else if (!strcmp(k, "cio_id")) {
                        pi->kind = RETL_SBX_BY_CIO_ID;
                        if (!json_is_string(v) ||
                            ident_text(v, pi->val, sizeof(pi->val), RETL_SBX_ID_MAX))
                                return reject_in(o, RETL_SBX_R_INVALID, field, k,
                                              "cio_id must be a non-empty string");
                        memcpy(pi->key, pi->val, strlen(pi->val) + 1);
                } else if (!strcmp(k, "phone")) {
                        return reject_in(o, RETL_SBX_R_UNSUPPORTED, field, k,
                                      "phone is not an identifier in this workspace");
                } else {
                        return reject_in(o, RETL_SBX_R_INVALID, field, k,
                                      "unknown identifier '%s' (use id, email or cio_id)", k);
                }
        }
        return 0;
}

static struct sbx_person *find_person(struct retl_sbx_ws *ws, const struct pident *pi)
{
        switch (pi->kind) {
        case RETL_SBX_BY_ID:
                return retl_sbx_map_get(ws->ws_by_id, pi->key);
        case RETL_SBX_BY_EMAIL:
                return retl_sbx_map_get(ws->ws_by_email, pi->key);
        case RETL_SBX_BY_CIO_ID:
                return retl_sbx_map_get(ws->ws_by_cio, pi->key);
        }
        return NULL;
}

static int suppressed_id(const struct retl_sbx_ws *ws, const char *id)
{
        return id && retl_sbx_map_count(ws->ws_sup_ids) &&
               retl_sbx_map_get(ws->ws_sup_ids, id) != NULL;
}

static int suppressed_email(const struct retl_sbx_ws *ws, const char *email)
{
        char key[IDENT_BUF];

        if (!email || !retl_sbx_map_count(ws->ws_sup_emails) || strlen(email) >= sizeof(key))
                return 0;
        lower_into(key, email);
        return retl_sbx_map_get(ws->ws_sup_emails, key) != NULL;
}

/* Is the person (existing p, or the one pi would create) suppressed? */
static int suppressed_person(const struct retl_sbx_ws *ws, const struct sbx_person *p,
                             const struct pident *pi)
{
        if (p)
                return suppressed_id(ws, p->p_id) || suppressed_email(ws, p->p_email);
        if (pi->kind == RETL_SBX_BY_ID)
                return suppressed_id(ws, pi->val);
        if (pi->kind == RETL_SBX_BY_EMAIL)
                return suppressed_email(ws, pi->val);
        return 0;
}

/* An object's identifiers: object_type_id + object_id, or cio_object_id. */
struct oident {
        char type[24];
        char id[IDENT_BUF];
        char key[24 + IDENT_BUF];
        struct sbx_object *found;   /* set when given by cio_object_id */
};

static int type_known(const struct retl_sbx_ws *ws, long t)
{
        for (size_t i = 0; i < ws->ws_n_types; i++)
                if (ws->ws_types[i] == t)
                        return 1;
        return 0;
}

static int parse_oident(struct retl_sbx_ws *ws, const json_t *idents, const char *field,
                        struct oident *oi, struct retl_sbx_outcome *o)
{
        json_t *t, *id, *cio;
        char f[160];
        long tv;

        oi->found = NULL;
        if (!idents)
                return reject(o, RETL_SBX_R_REQUIRED, field, "identifiers are required");
        if (!json_is_object(idents))
                return reject(o, RETL_SBX_R_INVALID, field, "identifiers must be an object");
        cio = json_object_get(idents, "cio_object_id");
        if (cio) {
                snprintf(f, sizeof(f), "%s.cio_object_id", field);
                if (!json_is_string(cio))
                        return reject(o, RETL_SBX_R_INVALID, f,
                                      "cio_object_id must be a string");
                oi->found = retl_sbx_map_get(ws->ws_obj_by_cio, json_string_value(cio));
                if (!oi->found)
                        return reject(o, RETL_SBX_R_NOT_FOUND, f,
                                      "no object has cio_object_id '%s' (cio_object_id "
                                      "only updates existing objects)",
                                      json_string_value(cio));
                snprintf(oi->type, sizeof(oi->type), "%s", oi->found->o_type);
                snprintf(oi->id, sizeof(oi->id), "%s", oi->found->o_id);
                snprintf(oi->key, sizeof(oi->key), "%s", oi->found->o_key);
                return 0;
        }
        t = json_object_get(idents, "object_type_id");
        id = json_object_get(idents, "object_id");
        snprintf(f, sizeof(f), "%s.object_type_id", field);
        if (!t)
                return reject(o, RETL_SBX_R_REQUIRED, f,
                              "object_type_id and object_id (or cio_object_id) are required");
        if (json_is_integer(t)) {
                tv = (long)json_integer_value(t);
        } else if (json_is_string(t)) {
                const char *s = json_string_value(t);
                char *end;

                if (!*s || *s < '0' || *s > '9')
                        return reject(o, RETL_SBX_R_INVALID, f,
                                      "object_type_id must be a string-formatted integer");
                tv = strtol(s, &end, 10);
                if (*end)
                        return reject(o, RETL_SBX_R_INVALID, f,
                                      "object_type_id must be a string-formatted integer");
        } else {
                return reject(o, RETL_SBX_R_INVALID, f,
                              "object_type_id must be a string-formatted integer");
        }
        if (!type_known(ws, tv))
                return reject(o, RETL_SBX_R_INVALID, f,
                              "object type %ld does not exist in this workspace", tv);
        snprintf(oi->type, sizeof(oi->type), "%ld", tv);
        snprintf(f, sizeof(f), "%s.object_id", field);
        if (!id)
                return reject(o, RETL_SBX_R_REQUIRED, f, "object_id is required");
        if (ident_text(id, oi->id, sizeof(oi->id), RETL_SBX_OBJECT_ID_MAX))
                return reject(o, RETL_SBX_R_INVALID, f,
                              "object_id must be a non-empty string or integer of at most "
                              "%d bytes", RETL_SBX_OBJECT_ID_MAX);
        snprintf(oi->key, sizeof(oi->key), "%s\x1f%s", oi->type, oi->id);
        return 0;
}

/* ------------------------------------------------------------------ */
/* People, objects, relationships: creation and removal                */

/* "a" + at least 7 lower-case hex digits: Customer.io's cio_ids look like
 * "a3000001"; ours count up. (printf costs more than the rest of a create.) */
static char *seq_id(const char *prefix, int min_digits, uint64_t seq)
{
        char buf[40], *p = buf + sizeof(buf);
        size_t plen = strlen(prefix);
        int n = 0;

        *--p = '\0';
        do {
                *--p = "0123456789abcdef"[seq & 15];
                seq >>= 4;
                n++;
        } while (seq || n < min_digits);
        p -= plen;
        memcpy(p, prefix, plen);
        return retl_strdup(p);
}

/* A new person; @p attrs (reference taken) or a fresh object. */
static struct sbx_person *person_new(struct retl_sbx_ws *ws, const char *cio_id,
                                     int64_t now, json_t *attrs)
{
        struct sbx_person *p = retl_calloc(1, sizeof(*p));

        if (cio_id)
                p->p_cio_id = retl_strdup(cio_id);
        else
                p->p_cio_id = seq_id("a", 7, ws->ws_next_person++);
        p->p_attrs = attrs ? attrs : json_object();
        p->p_created_ms = p->p_updated_ms = now;
        p->p_prev = ws->ws_p_tail;
        if (ws->ws_p_tail)
                ws->ws_p_tail->p_next = p;
        else
                ws->ws_p_head = p;
        ws->ws_p_tail = p;
        retl_sbx_map_put(ws->ws_by_cio, p->p_cio_id, p);
        ws->ws_dirty = 1;
        return p;
}

/* Sets the person's id (NULL clears it), keeping the index in step. */
static void person_set_id(struct retl_sbx_ws *ws, struct sbx_person *p, const char *id)
{
        if ((!id && !p->p_id) || (id && p->p_id && !strcmp(id, p->p_id)))
                return;
        if (p->p_id) {
                if (id_enabled(ws) && retl_sbx_map_get(ws->ws_by_id, p->p_id) == p)
                        retl_sbx_map_del(ws->ws_by_id, p->p_id);
                free(p->p_id);
                p->p_id = NULL;
        }
        if (id) {
                p->p_id = retl_strdup(id);
                if (id_enabled(ws))
                        retl_sbx_map_put(ws->ws_by_id, p->p_id, p);
        }
}

static void person_set_email(struct retl_sbx_ws *ws, struct sbx_person *p, const char *email)
{
        if ((!email && !p->p_email) || (email && p->p_email && !strcmp(email, p->p_email)))
                return;
        if (p->p_email) {
                if (email_enabled(ws) &&
                    retl_sbx_map_get(ws->ws_by_email, p->p_email_key) == p)
                        retl_sbx_map_del(ws->ws_by_email, p->p_email_key);
                free(p->p_email);
                free(p->p_email_key);
                p->p_email = p->p_email_key = NULL;
        }
        if (email) {
                p->p_email = retl_strdup(email);
                p->p_email_key = retl_sbx_email_key(email);
                if (email_enabled(ws))
                        retl_sbx_map_put(ws->ws_by_email, p->p_email_key, p);
        }
}

static void rel_unlink(struct retl_sbx_ws *ws, struct sbx_rel *r)
{
        retl_sbx_map_del(ws->ws_rels, r->r_key);
        if (r->r_prev)
                r->r_prev->r_next = r->r_next;
        else
                ws->ws_r_head = r->r_next;
        if (r->r_next)
                r->r_next->r_prev = r->r_prev;
        else
                ws->ws_r_tail = r->r_prev;
        rel_free(r);
}

static void person_delete(struct retl_sbx_ws *ws, struct sbx_person *p)
{
        struct sbx_rel *r, *rn;

        for (r = ws->ws_r_head; r; r = rn) {
                rn = r->r_next;
                if (r->r_person == p)
                        rel_unlink(ws, r);
        }
        for (size_t i = 0; i < ws->ws_n_segments; i++)
                retl_sbx_map_del(ws->ws_segments[i].s_members, p->p_cio_id);
        person_set_id(ws, p, NULL);
        person_set_email(ws, p, NULL);
        retl_sbx_map_del(ws->ws_by_cio, p->p_cio_id);
        if (p->p_prev)
                p->p_prev->p_next = p->p_next;
        else
                ws->ws_p_head = p->p_next;
        if (p->p_next)
                p->p_next->p_prev = p->p_prev;
        else
                ws->ws_p_tail = p->p_prev;
        person_free(p);
        ws->ws_dirty = 1;
}

static struct sbx_object *object_new(struct retl_sbx_ws *ws, const char *type,
                                     const char *id, const char *cio_id, int64_t now,
                                     json_t *attrs)
{
        struct sbx_object *ob = retl_calloc(1, sizeof(*ob));

        ob->o_type = retl_strdup(type);
        ob->o_id = retl_strdup(id);
        ob->o_key = retl_asprintf("%s\x1f%s", type, id);
        if (cio_id)
                ob->o_cio_id = retl_strdup(cio_id);
        else
                ob->o_cio_id = seq_id("ob", 6, ws->ws_next_object++);
        ob->o_attrs = attrs ? attrs : json_object();
        ob->o_created_ms = ob->o_updated_ms = now;
        ob->o_prev = ws->ws_o_tail;
        if (ws->ws_o_tail)
                ws->ws_o_tail->o_next = ob;
        else
                ws->ws_o_head = ob;
        ws->ws_o_tail = ob;
        retl_sbx_map_put(ws->ws_objects, ob->o_key, ob);
        retl_sbx_map_put(ws->ws_obj_by_cio, ob->o_cio_id, ob);
        ws->ws_dirty = 1;
        return ob;
}

static void object_delete(struct retl_sbx_ws *ws, struct sbx_object *ob)
{
        struct sbx_rel *r, *rn;

        for (r = ws->ws_r_head; r; r = rn) {
                rn = r->r_next;
                if (r->r_object == ob)
                        rel_unlink(ws, r);
        }
        retl_sbx_map_del(ws->ws_objects, ob->o_key);
        retl_sbx_map_del(ws->ws_obj_by_cio, ob->o_cio_id);
        if (ob->o_prev)
                ob->o_prev->o_next = ob->o_next;
        else
                ws->ws_o_head = ob->o_next;
        if (ob->o_next)
                ob->o_next->o_prev = ob->o_prev;
        else
                ws->ws_o_tail = ob->o_prev;
        object_free(ob);
        ws->ws_dirty = 1;
}

/* Merges sent attributes into stored ones: null or "" removes, anything
 * else replaces, keeping its JSON type. With @p person set, the
 * identifiers and _update are skipped (they are handled apart). */
static void merge_attrs(json_t *dst, json_t *src, int person)
{
        const char *k;
        json_t *v;

        if (!src)
                return;
        json_object_foreach(src, k, v) {
                if (person && (!strcmp(k, "id") || !strcmp(k, "email") ||
                               !strcmp(k, "cio_id") || !strcmp(k, "_update")))
                        continue;
                if (is_removal(v)) {
                        json_object_del(dst, k);
                } else {
                        json_t *old = json_object_get(dst, k);

                        /* keep nothing of the request: its tree may live in
                         * an arena (sbx_arena.h); unchanged values cost
                         * nothing */
                        if (!old || !json_equal(old, v))
                                json_object_set_new(dst, k, json_deep_copy(v));
                }
        }
}

static struct sbx_rel *rel_get(struct retl_sbx_ws *ws, struct sbx_person *p,
                               struct sbx_object *ob, char *key, size_t key_size)
{
        snprintf(key, key_size, "%s\x1f%s", p->p_cio_id, ob->o_key);
        return retl_sbx_map_get(ws->ws_rels, key);
}

static void rel_add(struct retl_sbx_ws *ws, struct sbx_person *p, struct sbx_object *ob,
                    json_t *attrs, int64_t now)
{
        char key[2 * IDENT_BUF + 64];
        struct sbx_rel *r = rel_get(ws, p, ob, key, sizeof(key));

        if (!r) {
                r = retl_calloc(1, sizeof(*r));
                r->r_key = retl_strdup(key);
                r->r_person = p;
                r->r_object = ob;
                r->r_attrs = json_object();
                r->r_created_ms = now;
                r->r_prev = ws->ws_r_tail;
                if (ws->ws_r_tail)
                        ws->ws_r_tail->r_next = r;
                else
                        ws->ws_r_head = r;
                ws->ws_r_tail = r;
                retl_sbx_map_put(ws->ws_rels, r->r_key, r);
        }
        merge_attrs(r->r_attrs, attrs, 0);
        r->r_updated_ms = now;
        ws->ws_dirty = 1;
}

static void rel_del(struct retl_sbx_ws *ws, struct sbx_person *p, struct sbx_object *ob)
{
        char key[2 * IDENT_BUF + 64];
        struct sbx_rel *r = rel_get(ws, p, ob, key, sizeof(key));

        if (r) {
                rel_unlink(ws, r);
                ws->ws_dirty = 1;
        }
}

/* ------------------------------------------------------------------ */
/* Relationship lists                                                  */

/* A person met in a relationship list (object side): found, or to be
 * created from an id or email. */
static struct sbx_person *rel_person(struct retl_sbx_ws *ws, const struct pident *pi,
                                     int64_t now)
{
        struct sbx_person *p = find_person(ws, pi);

        if (p)
                return p;
        p = person_new(ws, NULL, now, NULL);
        if (pi->kind == RETL_SBX_BY_ID)
                person_set_id(ws, p, pi->val);
        else
                person_set_email(ws, p, pi->val);
        return p;
}

static struct sbx_object *rel_object(struct retl_sbx_ws *ws, const struct oident *oi,
                                     int64_t now)
{
        struct sbx_object *ob = oi->found;

        if (!ob)
                ob = retl_sbx_map_get(ws->ws_objects, oi->key);
        if (!ob)
                ob = object_new(ws, oi->type, oi->id, NULL, now, NULL);
        return ob;
}

/* Walks a cio_relationships array. With @p apply = 0 only checks it (no
 * change); with 1 applies it (after a check passed).
 * Person side (@p object_side = 0): the items are objects related to
 * @p other_person. Object side: the items are people related to
 * @p other_object. The other end may be NULL while checking. */
static int rel_list(struct retl_sbx_ws *ws, json_t *rels, int object_side, int add,
                    int apply, struct sbx_person *other_person,
                    struct sbx_object *other_object, int64_t now,
                    struct retl_sbx_outcome *o)
{
        size_t i;
        json_t *item;
        char field[64];

        if (!json_is_array(rels))
                return reject(o, RETL_SBX_R_INVALID, "cio_relationships",
                              "cio_relationships must be an array");
        json_array_foreach(rels, i, item) {
                json_t *idents, *attrs;

                snprintf(field, sizeof(field), "cio_relationships[%zu]", i);
                if (!json_is_object(item))
                        return reject(o, RETL_SBX_R_INVALID, field,
                                      "each relationship must be an object");
                idents = json_object_get(item, "identifiers");
                attrs = json_object_get(item, "relationship_attributes");
                if (attrs && !json_is_object(attrs)) {
                        snprintf(field, sizeof(field),
                                 "cio_relationships[%zu].relationship_attributes", i);
                        return reject(o, RETL_SBX_R_INVALID, field,
                                      "relationship_attributes must be an object");
                }
                snprintf(field, sizeof(field), "cio_relationships[%zu].identifiers", i);
                if (object_side) {
                        /* object side: the items are people */
                        struct pident pi;
                        struct sbx_person *p;

                        if (parse_pident(ws, idents, field, &pi, o))
                                return -1;
                        p = find_person(ws, &pi);
                        if (!apply) {
                                if (!p && pi.kind == RETL_SBX_BY_CIO_ID && add)
                                        return reject(o, RETL_SBX_R_NOT_FOUND, field,
                                                      "person does not exist (cio_id '%s')",
                                                      pi.val);
                                if (add && suppressed_person(ws, p, &pi))
                                        return reject(o, RETL_SBX_R_SUPPRESSED, field,
                                                      "person is suppressed");
                                continue;
                        }
                        if (add)
                                rel_add(ws, rel_person(ws, &pi, now), other_object, attrs,
                                        now);
                        else if (p)
                                rel_del(ws, p, other_object);
                } else {
                        /* person side: the items are objects */
                        struct oident oi;
                        struct sbx_object *ob;

                        if (parse_oident(ws, idents, field, &oi, o))
                                return -1;
                        if (!apply)
                                continue;
                        ob = oi.found ? oi.found : retl_sbx_map_get(ws->ws_objects, oi.key);
                        if (add)
                                rel_add(ws, other_person, rel_object(ws, &oi, now), attrs,
                                        now);
                        else if (ob)
                                rel_del(ws, other_person, ob);
                }
        }
        return 0;
}

/* ------------------------------------------------------------------ */
/* Person actions                                                      */

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
        int enabled = email ? email_enabled(ws) : id_enabled(ws);
        int may_change;

        *out = cur;
        if (!v)
                return 0;
        if (is_removal(v)) {
                if (cur && enabled)
                        return reject(o, RETL_SBX_R_ATTR, field,
                                      "%s cannot be removed once set (it is '%s')", name, cur);
                *out = NULL;
                return 0;
        }
        if (email) {
                const char *why = NULL;

                if (!json_is_string(v) || json_string_length(v) >= buf_size ||
                    !retl_sbx_email_valid(json_string_value(v), json_string_length(v), &why))
                        return reject(o, RETL_SBX_R_ATTR, field,
                                      "email is not a valid RFC 5322 address (%s)",
                                      why ? why : "not a string");
                memcpy(buf, json_string_value(v), json_string_length(v) + 1);
        } else if (ident_text(v, buf, buf_size, RETL_SBX_ID_MAX)) {
                return reject(o, RETL_SBX_R_ATTR, field,
                              "id must be a non-empty string or integer of at most %d bytes",
                              RETL_SBX_ID_MAX);
        }
        if (cur && !same_ident(email, cur, buf)) {
                /* Identifiers are set once. They change only when the person
                 * is addressed by cio_id, or (workspace setting) email when
                 * addressed by id. */
                may_change = !enabled || by == RETL_SBX_BY_CIO_ID ||
                             (email && ws->ws_allow_email_update && by == RETL_SBX_BY_ID);
                if (!may_change)
                        return reject(o, RETL_SBX_R_ATTR, field,
                                      "%s cannot be changed once set (it is '%s', got '%s')%s",
                                      name, cur, buf,
                                      email && by == RETL_SBX_BY_ID
                                              ? "; the workspace does not allow updates "
                                                "to email using id"
                                              : "");
        }
        *out = buf;
        return 0;
}

static int person_identify(struct retl_sbx_ws *ws, json_t *e, json_t *prepared, int64_t now,
                           struct retl_sbx_outcome *o)
{
        struct pident pi;
        json_t *attrs = json_object_get(e, "attributes");
        json_t *rels = json_object_get(e, "cio_relationships");
        struct sbx_person *p, *q;
        const char *new_id, *new_email;
        char id_buf[IDENT_BUF], email_buf[IDENT_BUF];
        int update_only;

        if (parse_pident(ws, json_object_get(e, "identifiers"), "identifiers", &pi, o))
                return -1;
        if (attrs && !json_is_null(attrs) && !json_is_object(attrs))
                return reject(o, RETL_SBX_R_INVALID, "attributes",
                              "attributes must be an object");
        if (json_is_null(attrs))
                attrs = NULL;
        /* _update belongs in attributes (OpenAPI identify_person); the
         * sandbox also takes it beside them. */
        update_only = json_is_true(json_object_get(attrs, "_update")) ||
                      json_is_true(json_object_get(e, "_update"));
        if (rels && rel_list(ws, rels, 0, 1, 0, NULL, NULL, now, o))
                return -1;
        p = find_person(ws, &pi);
        if (!p) {
                if (pi.kind == RETL_SBX_BY_CIO_ID)
                        return reject(o, RETL_SBX_R_NOT_FOUND, "identifiers.cio_id",
                                      "person does not exist (cio_id '%s'); a cio_id "
                                      "cannot create people", pi.val);
                if (update_only) {
                        /* OpenAPI: "If no person matches the identifiers, the
                         * request does nothing." Accepted, counted as a no-op. */
                        o->so_noop = 1;
                        snprintf(o->so_message, sizeof(o->so_message),
                                 "person does not exist; _update does not create people");
                        return 0;
                }
        }
        if (suppressed_person(ws, p, &pi))
                return reject(o, RETL_SBX_R_SUPPRESSED, "identifiers", "person is suppressed");
        new_id = p ? p->p_id : (pi.kind == RETL_SBX_BY_ID ? pi.val : NULL);
        new_email = p ? p->p_email : (pi.kind == RETL_SBX_BY_EMAIL ? pi.val : NULL);
        if (plan_ident_attr(ws, 0, json_object_get(attrs, "id"), new_id, pi.kind, id_buf,
                            sizeof(id_buf), &new_id, o))
                return -1;
        if (plan_ident_attr(ws, 1, json_object_get(attrs, "email"), new_email, pi.kind,
                            email_buf, sizeof(email_buf), &new_email, o))
                return -1;
        if (suppressed_id(ws, new_id) || suppressed_email(ws, new_email))
                return reject(o, RETL_SBX_R_SUPPRESSED, "attributes", "person is suppressed");
        /* (a new person identified by id: that id was just looked up) */
        if (id_enabled(ws) && new_id && (p || pi.kind != RETL_SBX_BY_ID || new_id != pi.val)) {
                q = retl_sbx_map_get(ws->ws_by_id, new_id);
                if (q && q != p)
                        return reject(o, RETL_SBX_R_ATTR,
                                      pi.kind == RETL_SBX_BY_ID ? "identifiers.id"
                                                                : "attributes.id",
                                      "id '%s' already belongs to another person", new_id);
        }
        if (email_enabled(ws) && new_email &&
            (p || pi.kind != RETL_SBX_BY_EMAIL || new_email != pi.val)) {
                char key[IDENT_BUF];

                lower_into(key, new_email);
                q = retl_sbx_map_get(ws->ws_by_email, key);
                if (q && q != p)
                        return reject(o, RETL_SBX_R_ATTR,
                                      pi.kind == RETL_SBX_BY_EMAIL ? "identifiers.email"
                                                                   : "attributes.email",
                                      "email '%s' already belongs to another person",
                                      new_email);
        }
        /* Checks passed: apply. A new person takes the prepared copy. */
        if (!p && prepared) {
                p = person_new(ws, NULL, now, json_incref(prepared));
        } else {
                if (!p)
                        p = person_new(ws, NULL, now, NULL);
                merge_attrs(p->p_attrs, attrs, 1);
        }
        person_set_id(ws, p, new_id);
        person_set_email(ws, p, new_email);
        p->p_updated_ms = now;
        p->p_updates++;
        ws->ws_dirty = 1;
        if (rels)
                rel_list(ws, rels, 0, 1, 1, p, NULL, now, o);
        return 0;
}

/* add_relationships / delete_relationships from the person side. */
static int person_rels(struct retl_sbx_ws *ws, json_t *e, int add, int64_t now,
                       struct retl_sbx_outcome *o)
{
        struct pident pi;
        json_t *rels = json_object_get(e, "cio_relationships");
        struct sbx_person *p;

        if (parse_pident(ws, json_object_get(e, "identifiers"), "identifiers", &pi, o))
                return -1;
        if (!rels)
                return reject(o, RETL_SBX_R_REQUIRED, "cio_relationships",
                              "cio_relationships is required");
        if (rel_list(ws, rels, 0, add, 0, NULL, NULL, now, o))
                return -1;
        p = find_person(ws, &pi);
        if (!p) {
                if (!add) {
                        o->so_noop = 1;
                        return 0;
                }
                if (pi.kind == RETL_SBX_BY_CIO_ID)
                        return reject(o, RETL_SBX_R_NOT_FOUND, "identifiers.cio_id",
                                      "person does not exist (cio_id '%s')", pi.val);
        }
        if (add && suppressed_person(ws, p, &pi))
                return reject(o, RETL_SBX_R_SUPPRESSED, "identifiers", "person is suppressed");
        if (!p)
                p = rel_person(ws, &pi, now);
        return rel_list(ws, rels, 0, add, 1, p, NULL, now, o);
}

static int person_delete_action(struct retl_sbx_ws *ws, json_t *e, struct retl_sbx_outcome *o)
{
        struct pident pi;
        struct sbx_person *p;

        if (parse_pident(ws, json_object_get(e, "identifiers"), "identifiers", &pi, o))
                return -1;
        p = find_person(ws, &pi);
        if (!p) {
                o->so_noop = 1;
                return 0;
        }
        person_delete(ws, p);
        return 0;
}

/* suppress: the identifier (and the person's others) go in the
 * suppression list and the person is deleted, as Customer.io does. */
static int person_suppress_action(struct retl_sbx_ws *ws, json_t *e, int on,
                                  struct retl_sbx_outcome *o)
{
        struct pident pi;
        struct sbx_person *p;

        if (parse_pident(ws, json_object_get(e, "identifiers"), "identifiers", &pi, o))
                return -1;
        p = find_person(ws, &pi);
        if (pi.kind == RETL_SBX_BY_CIO_ID && !p)
                return reject(o, RETL_SBX_R_NOT_FOUND, "identifiers.cio_id",
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
/* Object actions                                                      */

static int object_identify(struct retl_sbx_ws *ws, json_t *e, json_t *prepared, int64_t now,
                           struct retl_sbx_outcome *o)
{
        struct oident oi;
        json_t *attrs = json_object_get(e, "attributes");
        json_t *rels = json_object_get(e, "cio_relationships");
        struct sbx_object *ob;

        if (parse_oident(ws, json_object_get(e, "identifiers"), "identifiers", &oi, o))
                return -1;
        if (attrs && !json_is_null(attrs) && !json_is_object(attrs))
                return reject(o, RETL_SBX_R_INVALID, "attributes",
                              "attributes must be an object");
        if (json_is_null(attrs))
                attrs = NULL;
        if (rels && rel_list(ws, rels, 1, 1, 0, NULL, NULL, now, o))
                return -1;
        ob = oi.found ? oi.found : retl_sbx_map_get(ws->ws_objects, oi.key);
        if (!ob && prepared) {
                ob = object_new(ws, oi.type, oi.id, NULL, now, json_incref(prepared));
        } else {
                if (!ob)
                        ob = object_new(ws, oi.type, oi.id, NULL, now, NULL);
                merge_attrs(ob->o_attrs, attrs, 0);
        }
        ob->o_updated_ms = now;
        ob->o_updates++;
        ws->ws_dirty = 1;
        if (rels)
                rel_list(ws, rels, 1, 1, 1, NULL, ob, now, o);
        return 0;
}

static int object_rels(struct retl_sbx_ws *ws, json_t *e, int add, int64_t now,
                       struct retl_sbx_outcome *o)
{
        struct oident oi;
        json_t *rels = json_object_get(e, "cio_relationships");
        struct sbx_object *ob;

        if (parse_oident(ws, json_object_get(e, "identifiers"), "identifiers", &oi, o))
                return -1;
        if (!rels)
                return reject(o, RETL_SBX_R_REQUIRED, "cio_relationships",
                              "cio_relationships is required");
        if (rel_list(ws, rels, 1, add, 0, NULL, NULL, now, o))
                return -1;
        ob = oi.found ? oi.found : retl_sbx_map_get(ws->ws_objects, oi.key);
        if (!ob) {
                if (!add) {
                        o->so_noop = 1;
                        return 0;
                }
                ob = rel_object(ws, &oi, now);
        }
        return rel_list(ws, rels, 1, add, 1, NULL, ob, now, o);
}

static int object_delete_action(struct retl_sbx_ws *ws, json_t *e, struct retl_sbx_outcome *o)
{
        struct oident oi;
        struct sbx_object *ob;

        if (parse_oident(ws, json_object_get(e, "identifiers"), "identifiers", &oi, o))
                return -1;
        ob = oi.found ? oi.found : retl_sbx_map_get(ws->ws_objects, oi.key);
        if (!ob) {
                o->so_noop = 1;
                return 0;
        }
        object_delete(ws, ob);
        return 0;
}

/* ------------------------------------------------------------------ */
/* Preparing outside the lock                                          */

int retl_sbx_ws_creates(struct retl_sbx_ws *ws, const json_t *e)
{
        enum retl_sbx_action a = retl_sbx_action_of(e);
        json_t *idents = json_object_get(e, "identifiers");
        struct retl_sbx_outcome o;

        if (a == RETL_SBX_A_PERSON_IDENTIFY) {
                struct pident pi;

                /* parse_pident writes only to pi and o */
                if (parse_pident(ws, idents, "identifiers", &pi, &o))
                        return 0;
                return find_person(ws, &pi) == NULL;
        }
        if (a == RETL_SBX_A_OBJECT_IDENTIFY) {
                struct oident oi;

                if (parse_oident(ws, idents, "identifiers", &oi, &o))
                        return 0;
                return !oi.found && !retl_sbx_map_get(ws->ws_objects, oi.key);
        }
        return 0;
}

json_t *retl_sbx_ws_prepare(const json_t *e)
{
        enum retl_sbx_action a = retl_sbx_action_of(e);
        json_t *attrs = json_object_get(e, "attributes");
        json_t *out;

        if ((a != RETL_SBX_A_PERSON_IDENTIFY && a != RETL_SBX_A_OBJECT_IDENTIFY) ||
            (attrs && !json_is_object(attrs)))
                return NULL;
        out = json_object();
        /* keys of a parsed tree are valid UTF-8 without NUL: no check again */
        for (void *it = json_object_iter(attrs); it; it = json_object_iter_next(attrs, it)) {
                const char *k = json_object_iter_key(it);
                json_t *v = json_object_iter_value(it);

                if (a == RETL_SBX_A_PERSON_IDENTIFY &&
                    (!strcmp(k, "id") || !strcmp(k, "email") || !strcmp(k, "cio_id") ||
                     !strcmp(k, "_update")))
                        continue;
                if (!is_removal(v))
                        json_object_setn_new_nocheck(out, k, json_object_iter_key_len(it),
                                                     json_deep_copy(v));
        }
        return out;
}

/* ------------------------------------------------------------------ */
/* Entities                                                            */

int retl_sbx_ws_apply(struct retl_sbx_ws *ws, json_t *e, int64_t now,
                      struct retl_sbx_outcome *o)
{
        return retl_sbx_ws_apply_prepared(ws, e, NULL, now, o);
}

static int apply_entity(struct retl_sbx_ws *ws, json_t *e, json_t *prepared, int64_t now,
                        struct retl_sbx_outcome *o);

int retl_sbx_ws_apply_prepared(struct retl_sbx_ws *ws, json_t *e, json_t *prepared,
                               int64_t now, struct retl_sbx_outcome *o)
{
        int rc = apply_entity(ws, e, prepared, now, o);

        json_decref(prepared);
        return rc;
}

static int apply_entity(struct retl_sbx_ws *ws, json_t *e, json_t *prepared, int64_t now,
                        struct retl_sbx_outcome *o)
{
        json_t *type, *action;
        const char *t, *a;

        o->so_action = RETL_SBX_A_INVALID;
        o->so_reason = NULL;
        o->so_noop = 0;
        o->so_field[0] = '\0';
        o->so_message[0] = '\0';
        if (!json_is_object(e))
                return reject(o, RETL_SBX_R_INVALID, "", "an entity must be a JSON object");
        type = json_object_get(e, "type");
        action = json_object_get(e, "action");
        if (!type)
                return reject(o, RETL_SBX_R_REQUIRED, "type", "type is required");
        if (!json_is_string(type))
                return reject(o, RETL_SBX_R_INVALID, "type", "type must be a string");
        if (!action)
                return reject(o, RETL_SBX_R_REQUIRED, "action", "action is required");
        if (!json_is_string(action))
                return reject(o, RETL_SBX_R_INVALID, "action", "action must be a string");
        t = json_string_value(type);
        a = json_string_value(action);
        if (!strcmp(t, "person")) {
                if (!strcmp(a, "identify")) {
                        o->so_action = RETL_SBX_A_PERSON_IDENTIFY;
                        return person_identify(ws, e, prepared, now, o);
                }
                if (!strcmp(a, "add_relationships")) {
                        o->so_action = RETL_SBX_A_PERSON_ADD_REL;
                        return person_rels(ws, e, 1, now, o);
                }
                if (!strcmp(a, "delete_relationships")) {
                        o->so_action = RETL_SBX_A_PERSON_DEL_REL;
                        return person_rels(ws, e, 0, now, o);
                }
                if (!strcmp(a, "delete")) {
                        o->so_action = RETL_SBX_A_PERSON_DELETE;
                        return person_delete_action(ws, e, o);
                }
                if (!strcmp(a, "suppress")) {
                        o->so_action = RETL_SBX_A_PERSON_SUPPRESS;
                        return person_suppress_action(ws, e, 1, o);
                }
                if (!strcmp(a, "unsuppress")) {
                        o->so_action = RETL_SBX_A_PERSON_UNSUPPRESS;
                        return person_suppress_action(ws, e, 0, o);
                }
                o->so_action = RETL_SBX_A_OTHER;
                if (!strcmp(a, "event") || !strcmp(a, "page") || !strcmp(a, "screen") ||
                    !strcmp(a, "add_device") || !strcmp(a, "delete_device") ||
                    !strcmp(a, "merge"))
                        return reject(o, RETL_SBX_R_UNSUPPORTED, "action",
                                      "person action '%s' is not supported by the sandbox", a);
                return reject(o, RETL_SBX_R_INVALID, "action",
                              "unknown person action '%s'", a);
        }
        if (!strcmp(t, "object")) {
                if (!strcmp(a, "identify")) {
                        o->so_action = RETL_SBX_A_OBJECT_IDENTIFY;
                        return object_identify(ws, e, prepared, now, o);
                }
                if (!strcmp(a, "add_relationships")) {
                        o->so_action = RETL_SBX_A_OBJECT_ADD_REL;
                        return object_rels(ws, e, 1, now, o);
                }
                if (!strcmp(a, "delete_relationships")) {
                        o->so_action = RETL_SBX_A_OBJECT_DEL_REL;
                        return object_rels(ws, e, 0, now, o);
                }
                if (!strcmp(a, "delete")) {
                        o->so_action = RETL_SBX_A_OBJECT_DELETE;
                        return object_delete_action(ws, e, o);
                }
                o->so_action = RETL_SBX_A_OTHER;
                if (!strcmp(a, "identify_anonymous"))
                        return reject(o, RETL_SBX_R_UNSUPPORTED, "action",
                                      "object action '%s' is not supported by the sandbox", a);
                return reject(o, RETL_SBX_R_INVALID, "action",
                              "unknown object action '%s'", a);
        }
        if (!strcmp(t, "delivery")) {
                o->so_action = RETL_SBX_A_OTHER;
                return reject(o, RETL_SBX_R_UNSUPPORTED, "type",
                              "delivery operations are not supported by the sandbox");
        }
        return reject(o, RETL_SBX_R_INVALID, "type",
                      "type must be person, object or delivery (got '%s')", t);
}

/* ------------------------------------------------------------------ */
/* Segments and suppressions                                           */

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
        if ((id_type == RETL_SBX_BY_ID && !id_enabled(ws)) ||
            (id_type == RETL_SBX_BY_EMAIL && !email_enabled(ws)))
                return RETL_SBX_EIDTYPE;
        json_array_foreach(ids, i, v) {
                struct pident pi;
                struct sbx_person *p;

                pi.kind = id_type;
                if (ident_text(v, pi.val, sizeof(pi.val), RETL_SBX_OBJECT_ID_MAX) ||
                    (id_type != RETL_SBX_BY_ID && !json_is_string(v))) {
                        (*ignored)++;
                        continue;
                }
                if (id_type == RETL_SBX_BY_EMAIL)
                        lower_into(pi.key, pi.val);
                else
                        memcpy(pi.key, pi.val, strlen(pi.val) + 1);
                p = find_person(ws, &pi);
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

int retl_sbx_ws_suppress(struct retl_sbx_ws *ws, const char *kind, const char *value, int on)
{
        struct retl_sbx_map *m;
        char *key;

        if (!value || !*value)
                return RETL_SBX_EINVAL;
        if (!strcmp(kind, "id")) {
                m = ws->ws_sup_ids;
                key = retl_strdup(value);
        } else if (!strcmp(kind, "email")) {
                if (!retl_sbx_email_valid(value, strlen(value), NULL))
                        return RETL_SBX_EINVAL;
                m = ws->ws_sup_emails;
                key = retl_sbx_email_key(value);
        } else {
                return RETL_SBX_EINVAL;
        }
        if (on)
                sup_put(m, key);
        else
                retl_sbx_map_del(m, key);
        free(key);
        ws->ws_dirty = 1;
        return 0;
}

/* ------------------------------------------------------------------ */
/* Inspection                                                          */

static json_t *str_or_null(const char *s)
{
        return s ? json_string(s) : json_null();
}

static json_t *person_ref_json(const struct sbx_person *p)
{
        return json_pack("{s:s, s:o, s:o}", "cio_id", p->p_cio_id, "id", str_or_null(p->p_id),
                         "email", str_or_null(p->p_email));
}

static json_t *person_json(struct retl_sbx_ws *ws, const struct sbx_person *p)
{
        json_t *segs = json_array();
        json_t *j;

        for (size_t i = 0; i < ws->ws_n_segments; i++)
                if (retl_sbx_map_get(ws->ws_segments[i].s_members, p->p_cio_id))
                        json_array_append_new(segs, json_integer(ws->ws_segments[i].s_id));
        j = person_ref_json(p);
        json_object_set(j, "attributes", p->p_attrs);
        json_object_set_new(j, "segments", segs);
        json_object_set_new(j, "suppressed",
                            json_boolean(suppressed_id(ws, p->p_id) ||
                                         suppressed_email(ws, p->p_email)));
        json_object_set_new(j, "created_at_ms", json_integer(p->p_created_ms));
        json_object_set_new(j, "updated_at_ms", json_integer(p->p_updated_ms));
        json_object_set_new(j, "updates", json_integer((json_int_t)p->p_updates));
        return j;
}

json_t *retl_sbx_ws_people_json(struct retl_sbx_ws *ws, size_t offset, size_t limit)
{
        json_t *arr = json_array();
        size_t n = 0;

        for (struct sbx_person *p = ws->ws_p_head; p; p = p->p_next, n++) {
                if (n < offset)
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
        struct sbx_person *p = NULL;

        if (!value || strlen(value) >= IDENT_BUF)
                return NULL;
        switch (by) {
        case RETL_SBX_BY_ID:
                if (id_enabled(ws)) {
                        p = retl_sbx_map_get(ws->ws_by_id, value);
                } else {
                        for (p = ws->ws_p_head; p; p = p->p_next)
                                if (p->p_id && !strcmp(p->p_id, value))
                                        break;
                }
                break;
        case RETL_SBX_BY_EMAIL: {
                char key[IDENT_BUF];

                lower_into(key, value);
                if (email_enabled(ws)) {
                        p = retl_sbx_map_get(ws->ws_by_email, key);
                } else {
                        for (p = ws->ws_p_head; p; p = p->p_next)
                                if (p->p_email_key && !strcmp(p->p_email_key, key))
                                        break;
                }
                break;
        }
        case RETL_SBX_BY_CIO_ID:
                p = retl_sbx_map_get(ws->ws_by_cio, value);
                break;
        }
        return p ? person_json(ws, p) : NULL;
}

static json_t *object_json(const struct sbx_object *ob)
{
        return json_pack("{s:s, s:s, s:s, s:O, s:I, s:I, s:I}", "object_type_id", ob->o_type,
                         "object_id", ob->o_id, "cio_object_id", ob->o_cio_id, "attributes",
                         ob->o_attrs, "created_at_ms", (json_int_t)ob->o_created_ms,
                         "updated_at_ms", (json_int_t)ob->o_updated_ms, "updates",
                         (json_int_t)ob->o_updates);
}

json_t *retl_sbx_ws_objects_json(struct retl_sbx_ws *ws, const char *type,
                                 const char *object_id, size_t offset, size_t limit)
{
        json_t *arr = json_array();
        size_t n = 0;

        for (struct sbx_object *ob = ws->ws_o_head; ob; ob = ob->o_next) {
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

json_t *retl_sbx_ws_relationships_json(struct retl_sbx_ws *ws, const char *person_id,
                                       const char *email, const char *type,
                                       const char *object_id)
{
        json_t *arr = json_array();

        for (struct sbx_rel *r = ws->ws_r_head; r; r = r->r_next) {
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
                                       person_ref_json(p), "object_type_id", ob->o_type,
                                       "object_id", ob->o_id, "attributes", r->r_attrs,
                                       "created_at_ms", (json_int_t)r->r_created_ms,
                                       "updated_at_ms", (json_int_t)r->r_updated_ms));
        }
        return json_pack("{s:I, s:o}", "count", (json_int_t)json_array_size(arr),
                         "relationships", arr);
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
                        json_array_append_new(members, person_ref_json(v[j]));
                free(v);
                json_array_append_new(arr, json_pack("{s:I, s:I, s:o}", "id",
                                                     (json_int_t)s->s_id, "count",
                                                     (json_int_t)n, "members", members));
        }
        return json_pack("{s:o}", "segments", arr);
}

static json_t *set_json(const struct retl_sbx_map *m)
{
        json_t *arr = json_array();
        size_t it = 0;
        const char *k;

        while (retl_sbx_map_next(m, &it, &k, NULL))
                json_array_append_new(arr, json_string(k));
        return arr;
}

json_t *retl_sbx_ws_suppressions_json(struct retl_sbx_ws *ws)
{
        return json_pack("{s:o, s:o}", "ids", set_json(ws->ws_sup_ids), "emails",
                         set_json(ws->ws_sup_emails));
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
/* Restore (state file)                                                */

struct sbx_person *retl_sbx_ws_restore_person(struct retl_sbx_ws *ws, const char *cio_id,
                                              const char *id, const char *email,
                                              json_t *attrs, int64_t created_ms,
                                              int64_t updated_ms, uint64_t updates)
{
        struct sbx_person *p;

        if (retl_sbx_map_get(ws->ws_by_cio, cio_id)) {
                json_decref(attrs);
                return NULL;
        }
        p = person_new(ws, cio_id, created_ms, NULL);
        person_set_id(ws, p, id);
        person_set_email(ws, p, email);
        if (attrs) {
                json_decref(p->p_attrs);
                p->p_attrs = attrs;
        }
        p->p_updated_ms = updated_ms;
        p->p_updates = updates;
        return p;
}

struct sbx_object *retl_sbx_ws_restore_object(struct retl_sbx_ws *ws, const char *type,
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
        if (attrs) {
                json_decref(ob->o_attrs);
                ob->o_attrs = attrs;
        }
        ob->o_updated_ms = updated_ms;
        ob->o_updates = updates;
        return ob;
}

int retl_sbx_ws_restore_rel(struct retl_sbx_ws *ws, const char *cio_id, const char *type,
                            const char *object_id, json_t *attrs, int64_t created_ms,
                            int64_t updated_ms)
{
        struct sbx_person *p = retl_sbx_map_get(ws->ws_by_cio, cio_id);
        char *key = retl_asprintf("%s\x1f%s", type, object_id);
        struct sbx_object *ob = retl_sbx_map_get(ws->ws_objects, key);
        char rkey[2 * IDENT_BUF + 64];
        struct sbx_rel *r;

        free(key);
        if (!p || !ob) {
                json_decref(attrs);
                return -1;
        }
        rel_add(ws, p, ob, NULL, created_ms);
        r = rel_get(ws, p, ob, rkey, sizeof(rkey));
        if (attrs) {
                json_decref(r->r_attrs);
                r->r_attrs = attrs;
        }
        r->r_created_ms = created_ms;
        r->r_updated_ms = updated_ms;
        return 0;
}

int retl_sbx_ws_restore_member(struct retl_sbx_ws *ws, long segment_id, const char *cio_id)
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
