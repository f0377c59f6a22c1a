/* retl sandbox — the workspace rules its parts share: refusing an entity,
 * reading identifiers, merging attributes. */
#ifndef RETL_SBX_RULES_H
#define RETL_SBX_RULES_H

#include "sandbox/track/sbx_ws_int.h"

#include <string.h>

/* Small helpers called per attribute are inline: they sit on the
 * sandbox's hot path (tests/bench/sandbox.sh). */

/* A person's identifier as the workspace keeps it: val as sent, key for
 * lookups (lower case for emails). */
struct sbx_pident {
        enum retl_sbx_id_type kind;
        char val[RETL_SBX_IDENT_BUF];
        char key[RETL_SBX_IDENT_BUF];
};

/* An object's identifiers: object_type_id + object_id, or cio_object_id. */
struct sbx_oident {
        char type[24];
        char id[RETL_SBX_IDENT_BUF];
        char key[24 + RETL_SBX_IDENT_BUF];
        struct sbx_object *found;   /* set when given by cio_object_id */
};

/** @brief Refuses an entity: fills @p o with @p reason, the field (@p field,
 *  or "field.key" when @p key is not NULL) and the message.
 *  @returns -1, for `return retl_sbx_rules_reject_in(...)`. */
__attribute__((format(printf, 5, 6)))
int retl_sbx_rules_reject_in(struct retl_sbx_outcome *o, const char *reason,
                             const char *field, const char *key, const char *fmt, ...);
/* The same for a field as it is. */
#define retl_sbx_rules_reject(o, reason, field, ...) \
        retl_sbx_rules_reject_in((o), (reason), (field), NULL, __VA_ARGS__)

/** @returns 1 if @p kind identifies people in this workspace (cio_id
 *  always does; id and email as --identifiers says). */
static inline int retl_sbx_rules_is_ident(const struct retl_sbx_ws *ws,
                                          enum retl_sbx_id_type kind)
{
        switch (kind) {
        case RETL_SBX_BY_ID:
                return (ws->ws_ids & RETL_SBX_IDS_ID) != 0;
        case RETL_SBX_BY_EMAIL:
                return (ws->ws_ids & RETL_SBX_IDS_EMAIL) != 0;
        case RETL_SBX_BY_CIO_ID:
                break;
        }
        return 1;
}

/** @returns 1 for the values that remove an attribute: null and "". */
static inline int retl_sbx_rules_is_removal(const json_t *v)
{
        return json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0);
}

/** @brief Writes a string or integer identifier value into @p buf (at most
 *  @p max bytes). @returns 0, or -1 if @p v is of another type or too long. */
int retl_sbx_rules_ident_text(const json_t *v, char *buf, size_t size, size_t max);
/** @brief Copies @p src into @p dst (as large), ASCII letters in lower case. */
static inline void retl_sbx_rules_lower(char *dst, const char *src)
{
        for (; *src; src++, dst++)
                *dst = (*src >= 'A' && *src <= 'Z') ? (char)(*src - 'A' + 'a') : *src;
        *dst = '\0';
}

/** @brief Sets pi->key from pi->val and pi->kind. */
void retl_sbx_rules_pident_key(struct sbx_pident *pi);

/** @brief Parses a person's identifiers object: exactly one of id, email,
 *  cio_id. @p field names it in errors ("identifiers",
 *  "cio_relationships[2].identifiers"). Writes only to @p pi and @p o.
 *  @returns 0 or -1 (refused, why in @p o). */
int retl_sbx_rules_parse_pident(struct retl_sbx_ws *ws, const json_t *idents,
                                const char *field, struct sbx_pident *pi,
                                struct retl_sbx_outcome *o);
/** @brief Parses an object's identifiers (type and id, or an existing
 *  cio_object_id). @returns 0 or -1, as retl_sbx_rules_parse_pident(). */
int retl_sbx_rules_parse_oident(struct retl_sbx_ws *ws, const json_t *idents,
                                const char *field, struct sbx_oident *oi,
                                struct retl_sbx_outcome *o);

/** @brief The "attributes" of an identify: *attrs is the object, or NULL
 *  when absent or null. @returns 0, or -1 if it is of another type. */
int retl_sbx_rules_attrs(json_t *e, json_t **attrs, struct retl_sbx_outcome *o);
/** @returns 1 for the attributes of a person that are not stored as
 *  attributes: id, email (the identifiers), cio_id and _update. */
static inline int retl_sbx_rules_person_key(const char *k)
{
        return !strcmp(k, "id") || !strcmp(k, "email") || !strcmp(k, "cio_id") ||
               !strcmp(k, "_update");
}
/** @brief Merges sent attributes into stored ones: null or "" removes,
 *  anything else replaces (a copy), keeping its JSON type. With @p person
 *  set, the keys of retl_sbx_rules_person_key() are skipped.
 *  @returns how many members it set or removed. */
int retl_sbx_rules_merge_attrs(json_t *dst, json_t *src, int person);
/** @brief Replaces *dst by @p attrs (reference taken) unless that is NULL. */
void retl_sbx_rules_take_attrs(json_t **dst, json_t *attrs);
/** @returns @p prefix followed by @p seq in at least @p min_digits
 *  lower-case hex digits ("a0000001"), malloc'd. */
char *retl_sbx_rules_seq_id(const char *prefix, int min_digits, uint64_t seq);

#endif
