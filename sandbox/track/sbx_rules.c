/* retl sandbox — the workspace rules its parts share: refusing an entity,
 * reading identifiers, merging attributes; see sbx_rules.h. */
#include "sandbox/track/sbx_rules.h"
#include "sandbox/track/sbx_email.h"

#include "lib/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Outcomes                                                            */

int retl_sbx_rules_reject_in(struct retl_sbx_outcome *o, const char *reason,
                             const char *field, const char *key, const char *fmt, ...)
{
        va_list ap;

        o->so_reason = reason;
        if (key)
                snprintf(o->so_field, sizeof(o->so_field), "%s.%s", field, key);
        else
                snprintf(o->so_field, sizeof(o->so_field), "%s", field);
        va_start(ap, fmt);
        vsnprintf(o->so_message, sizeof(o->so_message), fmt, ap);
        va_end(ap);
        return -1;
}

/* ------------------------------------------------------------------ */
/* Identifiers                                                         */

static const char *ids_setting(const struct retl_sbx_ws *ws)
{
        return ws->ws_ids == RETL_SBX_IDS_BOTH ? "id and email"
               : ws->ws_ids == RETL_SBX_IDS_ID ? "id only"
                                                : "email only";
}

int retl_sbx_rules_ident_text(const json_t *v, char *buf, size_t size, size_t max)
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

void retl_sbx_rules_pident_key(struct sbx_pident *pi)
{
        if (pi->kind == RETL_SBX_BY_EMAIL)
                retl_sbx_rules_lower(pi->key, pi->val);
        else
                memcpy(pi->key, pi->val, strlen(pi->val) + 1);
}

/* One member of a person's identifiers object into pi. */
static int parse_pident_member(struct retl_sbx_ws *ws, const char *field, const char *k,
                               json_t *v, struct sbx_pident *pi, struct retl_sbx_outcome *o)
{
        const char *why = NULL;

        if (!strcmp(k, "id"))
                pi->kind = RETL_SBX_BY_ID;
        else if (!strcmp(k, "email"))
                pi->kind = RETL_SBX_BY_EMAIL;
        else if (!strcmp(k, "cio_id"))
                pi->kind = RETL_SBX_BY_CIO_ID;
        else if (!strcmp(k, "phone"))
                return retl_sbx_rules_reject_in(o, RETL_SBX_R_UNSUPPORTED, field, k,
                                                "phone is not an identifier in this workspace");
        else
                return retl_sbx_rules_reject_in(o, RETL_SBX_R_INVALID, field, k,
                                                "unknown identifier '%s' (use id, email or "
                                                "cio_id)", k);
        if (!retl_sbx_rules_is_ident(ws, pi->kind))
                return retl_sbx_rules_reject_in(o, RETL_SBX_R_INVALID, field, k,
                                                "%s is not an identifier in this workspace "
                                                "(identifiers: %s)", k, ids_setting(ws));
        switch (pi->kind) {
        case RETL_SBX_BY_ID:
                if (retl_sbx_rules_ident_text(v, pi->val, sizeof(pi->val), RETL_SBX_ID_MAX))
                        return retl_sbx_rules_reject_in(o, RETL_SBX_R_INVALID, field, k,
                                                        "id must be a non-empty string or "
                                                        "integer of at most %d bytes",
                                                        RETL_SBX_ID_MAX);
                break;
        case RETL_SBX_BY_EMAIL:
                if (!json_is_string(v) ||
                    !retl_sbx_email_valid(json_string_value(v), json_string_length(v), &why))
                        return retl_sbx_rules_reject_in(o, RETL_SBX_R_INVALID, field, k,
                                                        "email is not a valid RFC 5322 "
                                                        "address (%s)",
                                                        why ? why : "not a string");
                memcpy(pi->val, json_string_value(v), json_string_length(v) + 1);
                break;
        case RETL_SBX_BY_CIO_ID:
                if (!json_is_string(v) ||
                    retl_sbx_rules_ident_text(v, pi->val, sizeof(pi->val), RETL_SBX_ID_MAX))
                        return retl_sbx_rules_reject_in(o, RETL_SBX_R_INVALID, field, k,
                                                        "cio_id must be a non-empty string");
                break;
        }
        retl_sbx_rules_pident_key(pi);
        return 0;
}

/* An identifiers object must be there and be an object. */
static int idents_object(const json_t *idents, const char *field, struct retl_sbx_outcome *o)
{
        if (!idents)
                return retl_sbx_rules_reject(o, RETL_SBX_R_REQUIRED, field,
                                             "identifiers are required");
        if (!json_is_object(idents))
                return retl_sbx_rules_reject(o, RETL_SBX_R_INVALID, field,
                                             "identifiers must be an object");
        return 0;
}

int retl_sbx_rules_parse_pident(struct retl_sbx_ws *ws, const json_t *idents,
                                const char *field, struct sbx_pident *pi,
                                struct retl_sbx_outcome *o)
{
        void *it;

        if (idents_object(idents, field, o))
                return -1;
        if (json_object_size(idents) != 1)
                return retl_sbx_rules_reject(o, RETL_SBX_R_INVALID, field,
                                             "identifiers must hold exactly one of id, email "
                                             "or cio_id (got %zu keys)",
                                             json_object_size(idents));
        it = json_object_iter((json_t *)idents);
        return parse_pident_member(ws, field, json_object_iter_key(it),
                                   json_object_iter_value(it), pi, o);
}

static int type_known(const struct retl_sbx_ws *ws, long t)
{
        for (size_t i = 0; i < ws->ws_n_types; i++)
                if (ws->ws_types[i] == t)
                        return 1;
        return 0;
}

/* object_type_id: an integer, or a string of decimal digits. */
static int parse_type(const json_t *t, long *tv)
{
        const char *s = json_string_value(t);
        char *end;

        if (json_is_integer(t)) {
                *tv = (long)json_integer_value(t);
                return 0;
        }
        if (!s || *s < '0' || *s > '9')
                return -1;
        *tv = strtol(s, &end, 10);
        return *end ? -1 : 0;
}

int retl_sbx_rules_parse_oident(struct retl_sbx_ws *ws, const json_t *idents,
                                const char *field, struct sbx_oident *oi,
                                struct retl_sbx_outcome *o)
{
        json_t *t, *id, *cio;
        long tv;

        oi->found = NULL;
        if (idents_object(idents, field, o))
                return -1;
        cio = json_object_get(idents, "cio_object_id");
        if (cio) {
                if (!json_is_string(cio))
                        return retl_sbx_rules_reject_in(o, RETL_SBX_R_INVALID, field,
                                                        "cio_object_id",
                                                        "cio_object_id must be a string");
                oi->found = retl_sbx_map_get(ws->ws_obj_by_cio, json_string_value(cio));
                if (!oi->found)
                        return retl_sbx_rules_reject_in(o, RETL_SBX_R_NOT_FOUND, field,
                                                        "cio_object_id",
                                                        "no object has cio_object_id '%s' "
                                                        "(cio_object_id only updates "
                                                        "existing objects)",
                                                        json_string_value(cio));
                snprintf(oi->type, sizeof(oi->type), "%s", oi->found->o_type);
                snprintf(oi->id, sizeof(oi->id), "%s", oi->found->o_id);
                snprintf(oi->key, sizeof(oi->key), "%s", oi->found->o_key);
                return 0;
        }
        t = json_object_get(idents, "object_type_id");
        id = json_object_get(idents, "object_id");
        if (!t)
                return retl_sbx_rules_reject_in(o, RETL_SBX_R_REQUIRED, field, "object_type_id",
                                                "object_type_id and object_id (or "
                                                "cio_object_id) are required");
        if (parse_type(t, &tv))
                return retl_sbx_rules_reject_in(o, RETL_SBX_R_INVALID, field, "object_type_id",
                                                "object_type_id must be a string-formatted "
                                                "integer");
        if (!type_known(ws, tv))
                return retl_sbx_rules_reject_in(o, RETL_SBX_R_INVALID, field, "object_type_id",
                                                "object type %ld does not exist in this "
                                                "workspace", tv);
        snprintf(oi->type, sizeof(oi->type), "%ld", tv);
        if (!id)
                return retl_sbx_rules_reject_in(o, RETL_SBX_R_REQUIRED, field, "object_id",
                                                "object_id is required");
        if (retl_sbx_rules_ident_text(id, oi->id, sizeof(oi->id), RETL_SBX_OBJECT_ID_MAX))
                return retl_sbx_rules_reject_in(o, RETL_SBX_R_INVALID, field, "object_id",
                                                "object_id must be a non-empty string or "
                                                "integer of at most %d bytes",
                                                RETL_SBX_OBJECT_ID_MAX);
        snprintf(oi->key, sizeof(oi->key), "%s\x1f%s", oi->type, oi->id);
        return 0;
}

/* ------------------------------------------------------------------ */
/* Attributes                                                          */

int retl_sbx_rules_attrs(json_t *e, json_t **attrs, struct retl_sbx_outcome *o)
{
        json_t *a = json_object_get(e, "attributes");

        *attrs = NULL;
        if (a && !json_is_null(a) && !json_is_object(a))
                return retl_sbx_rules_reject(o, RETL_SBX_R_INVALID, "attributes",
                                             "attributes must be an object");
        if (!json_is_null(a))
                *attrs = a;
        return 0;
}

int retl_sbx_rules_merge_attrs(json_t *dst, json_t *src, int person)
{
        const char *k;
        json_t *v;
        int changed = 0;

        if (!src)
                return 0;
        json_object_foreach(src, k, v) {
                if (person && retl_sbx_rules_person_key(k))
                        continue;
                if (retl_sbx_rules_is_removal(v)) {
                        changed += json_object_del(dst, k) == 0;
                } else {
                        json_t *old = json_object_get(dst, k);

                        /* keep nothing of the request: its tree may live in
                         * an arena (sbx_arena.h); unchanged values cost
                         * nothing */
                        if (!old || !json_equal(old, v)) {
                                json_object_set_new(dst, k, json_deep_copy(v));
                                changed++;
                        }
                }
        }
        return changed;
}

void retl_sbx_rules_take_attrs(json_t **dst, json_t *attrs)
{
        if (!attrs)
                return;
        json_decref(*dst);
        *dst = attrs;
}

/* Customer.io's cio_ids look like "a3000001"; ours count up. (printf
 * costs more than the rest of a create.) */
char *retl_sbx_rules_seq_id(const char *prefix, int min_digits, uint64_t seq)
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
