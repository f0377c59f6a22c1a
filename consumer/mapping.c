/* retl uploader — rows to Track API entities, see mapping.h. */
#include "mapping.h"
#include "lib/email.h"
#include "jsonw.h"
#include "lib/cfg.h"
#include "lib/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void retl_mapped_free(struct retl_mapped *m)
{
        free(m->ident);
        free(m->state_id);
        memset(m, 0, sizeof(*m));
}

/* m->state_id = kind NUL a [NUL b]; emails (kinds ending in "email")
 * lower-cased, as the workspace compares them. */
static void set_state_id(struct retl_mapped *m, const char *kind, const char *a, const char *b)
{
        size_t kl = strlen(kind), al = strlen(a), bl = b ? strlen(b) : 0;
        size_t len = kl + 1 + al + (b ? 1 + bl : 0);
        char *p = retl_malloc(len + 1);
        int low = kl >= 5 && !strcmp(kind + kl - 5, "email");

        memcpy(p, kind, kl + 1);
        for (size_t i = 0; i < al; i++)
                p[kl + 1 + i] = low && a[i] >= 'A' && a[i] <= 'Z' ? (char)(a[i] + 32) : a[i];
        if (b) {
                p[kl + 1 + al] = '\0';
                memcpy(p + kl + 2 + al, b, bl);
        }
        p[len] = '\0';
        free(m->state_id);
        m->state_id = p;
        m->state_id_len = len;
}

uint64_t retl_mapping_key(const char *kind, const char *s, size_t len)
{
        uint64_t h = 0xcbf29ce484222325ULL;

        for (; *kind; kind++)
                h = (h ^ (unsigned char)*kind) * 0x100000001b3ULL;
        h = (h ^ 0xff) * 0x100000001b3ULL;
        for (size_t i = 0; i < len; i++)
                h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
        return h;
}

static const struct retl_column *find(const struct retl_row *row, const char *name)
{
        for (size_t i = 0; i < row->ncolumns; i++)
                if (!strcasecmp(row->columns[i].name, name))
                        return &row->columns[i];
        return NULL;
}

/* The text of an identifier value, or NULL when the type cannot be one. */
static const char *id_text(const struct retl_value *v, char tmp[RETL_JSONW_LONG_MAX],
                           size_t *len)
{
        switch (v->type) {
        case RETL_V_LONG:
                *len = retl_jsonw_long_text(tmp, v->u.l);
                return tmp;
        case RETL_V_STRING:
        case RETL_V_DECIMAL:
        case RETL_V_UUID:
                *len = v->u.s.len;
                return v->u.s.ptr;
        default:
                return NULL;
        }
}

/* NULL, '' and an empty binary (whose base64 would be "", which the Track
 * API takes as "remove the attribute") are empty values. */
static int is_empty(const struct retl_value *v)
{
        return v->type == RETL_V_NULL ||
               ((v->type == RETL_V_STRING || v->type == RETL_V_BYTES) && v->u.s.len == 0);
}

/* Reads an identifier column into a malloc'd string.
 * @returns 0, or -1 with the reason. */
static int get_ident(const struct retl_row *row, const char *col, char **out, char *errstr,
                     size_t errstr_size)
{
        const struct retl_column *c = find(row, col);
        char tmp[32];
        const char *t;
        size_t len = 0;

        *out = NULL;
        if (!c) {
                snprintf(errstr, errstr_size, "no %s column", col);
                return -1;
        }
        if (is_empty(&c->value)) {
                snprintf(errstr, errstr_size, "%s is empty", col);
                return -1;
        }
        t = id_text(&c->value, tmp, &len);
        if (!t) {
                snprintf(errstr, errstr_size, "%s has type %s, which cannot be an identifier",
                         col, retl_vtype_name(c->value.type));
                return -1;
        }
        if (!retl_jsonw_utf8_valid(t, len) || memchr(t, '\0', len)) {
                snprintf(errstr, errstr_size, "%s is not valid UTF-8 text", col);
                return -1;
        }
        *out = retl_strndup(t, len);
        return 0;
}

static int check_email(const char *what, const char *s, size_t len, char *errstr,
                       size_t errstr_size)
{
        const char *why;

        if (retl_email_valid(s, len, &why))
                return 0;
        snprintf(errstr, errstr_size, "invalid email in %s (%s): '%.*s'", what, why,
                 (int)(len > 80 ? 80 : len), s);
        return -1;
}

static uint64_t person_key(int ident_by, const char *v)
{
        if (ident_by == RETL_IDENT_EMAIL) {
                /* emails compare case-insensitively in a workspace */
                char low[256];
                size_t n = strlen(v);
                if (n >= sizeof(low))
                        n = sizeof(low) - 1;
                for (size_t i = 0; i < n; i++)
                        low[i] = (v[i] >= 'A' && v[i] <= 'Z') ? (char)(v[i] + 32) : v[i];
                return retl_mapping_key("pe", low, n);
        }
        return retl_mapping_key("pi", v, strlen(v));
}

static int put_value(struct retl_buf *b, const struct retl_column *c, char *errstr,
                     size_t errstr_size)
{
        const struct retl_value *v = &c->value;
        int rc;

        switch (v->type) {
        case RETL_V_NULL:
                rc = retl_jsonw_raw(b, "null");
                break;
        case RETL_V_BOOL:
                rc = retl_jsonw_raw(b, v->u.b ? "true" : "false");
                break;
        case RETL_V_LONG:
                rc = retl_jsonw_long(b, v->u.l);
                break;
        case RETL_V_DOUBLE:
                rc = retl_jsonw_double(b, v->u.d);
                break;
        case RETL_V_BYTES:
                rc = retl_jsonw_base64(b, v->u.s.ptr, v->u.s.len);
                break;
        case RETL_V_DECIMAL:
                rc = retl_jsonw_decimal(b, v->u.s.ptr, v->u.s.len);
                break;
        case RETL_V_OVERSIZE:
                /* the extractor kept the value out of Kafka: no entity holds it */
                snprintf(errstr, errstr_size,
                         "entity is over %d bytes, the Track API's limit (column '%s' alone is "
                         "%lld bytes)", RETL_MAPPING_ENTITY_MAX, c->name, (long long)v->u.l);
                return -1;
        default: /* string, dates, times, uuid: their text */
                rc = retl_jsonw_string(b, v->u.s.ptr, v->u.s.len);
                break;
        }
        switch (rc) {
        case RETL_JSONW_OK:
                return 0;
        case RETL_JSONW_UTF8:
                snprintf(errstr, errstr_size, "column '%s' is not valid UTF-8", c->name);
                break;
        case RETL_JSONW_NONFINITE:
                snprintf(errstr, errstr_size,
                         "column '%s' is %g, which JSON cannot carry", c->name, v->u.d);
                break;
        case RETL_JSONW_NUMBER:
                snprintf(errstr, errstr_size, "column '%s' is not a decimal number", c->name);
                break;
        default:
                snprintf(errstr, errstr_size, "entity is over %d bytes, the Track API's limit",
                         RETL_MAPPING_ENTITY_MAX);
        }
        return -1;
}

/* A person's identifier attributes: the Track API refuses to remove them
 * ("email cannot be removed once set"), and that refusal fails the whole
 * entity, so an empty one is left alone even under empty_values = delete. */
static const char *const person_idents[] = {"id", "email", "cio_id", NULL};

/* Writes {"name":value,...} of every column but the reserved ones; empty
 * values omitted (ignore) or null (delete), except those named in @p keep
 * (NULL = none), always omitted. @p update adds "_update":true. */
static int put_attrs(struct retl_buf *b, const struct retl_row *row, const char *const *skip,
                     const char *const *keep, int empty_delete, int update, char *errstr,
                     size_t errstr_size)
{
        int first = 1;

        if (retl_jsonw_raw(b, "{"))
                goto toobig;
        for (size_t i = 0; i < row->ncolumns; i++) {
                const struct retl_column *c = &row->columns[i];
                int reserved = 0, rc;

                for (size_t k = 0; skip[k]; k++)
                        reserved |= !strcasecmp(c->name, skip[k]);
                if (reserved)
                        continue;
                if (is_empty(&c->value)) {
                        int kept = !empty_delete;
                        for (size_t k = 0; keep && keep[k]; k++)
                                kept |= !strcasecmp(c->name, keep[k]);
                        if (kept)
                                continue;
                }
                if (!first && retl_jsonw_raw(b, ","))
                        goto toobig;
                first = 0;
                rc = retl_jsonw_string(b, c->name, strlen(c->name));
                if (rc == RETL_JSONW_UTF8) {
                        snprintf(errstr, errstr_size, "a column name is not valid UTF-8");
                        return -1;
                }
                if (rc || retl_jsonw_raw(b, ":"))
                        goto toobig;
                if (is_empty(&c->value)) {
                        if (retl_jsonw_raw(b, "null"))
                                goto toobig;
                } else if (put_value(b, c, errstr, errstr_size)) {
                        return -1;
                }
        }
        if (update && retl_jsonw_raw(b, first ? "\"_update\":true" : ",\"_update\":true"))
                goto toobig;
        if (retl_jsonw_raw(b, "}"))
                goto toobig;
        return 0;
toobig:
        snprintf(errstr, errstr_size, "entity is over %d bytes, the Track API's limit",
                 RETL_MAPPING_ENTITY_MAX);
        return -1;
}

/* "object_type_id": the row's column, else the sync's, else "1". */
static int object_type(const struct retl_sync_settings *s, const struct retl_row *row,
                       char **out, char *errstr, size_t errstr_size)
{
        const struct retl_column *c = find(row, "object_type_id");
        const char *dflt = s->object_type_id && *s->object_type_id ? s->object_type_id : "1";

        if (c && !is_empty(&c->value)) {
                if (get_ident(row, "object_type_id", out, errstr, errstr_size))
                        return -1;
        } else {
                *out = retl_strdup(dflt);
        }
        for (const char *p = *out; *p; p++)
                if (*p < '0' || *p > '9') {
                        snprintf(errstr, errstr_size,
                                 "object_type_id '%.40s' is not a number (e.g. \"1\")", *out);
                        return -1;
                }
        return 0;
}

static int put_ident_pair(struct retl_buf *b, const char *name, const char *v)
{
        return retl_jsonw_raw(b, "\"") || retl_jsonw_raw(b, name) || retl_jsonw_raw(b, "\":") ||
               retl_jsonw_string(b, v, strlen(v));
}

static int map_person(const struct retl_sync_settings *s, const struct retl_row *row,
                      struct retl_buf *out, struct retl_mapped *m, char *errstr,
                      size_t errstr_size)
{
        const char *idcol = s->identify_by == RETL_IDENT_EMAIL ? "email" : "id";
        const char *skip[] = {idcol, NULL};
        const struct retl_column *em;

        if (get_ident(row, idcol, &m->ident, errstr, errstr_size))
                return -1;
        if (s->identify_by == RETL_IDENT_EMAIL &&
            check_email("email", m->ident, strlen(m->ident), errstr, errstr_size))
                return -1;
        /* an email attribute must be valid too: the workspace would refuse it */
        em = s->identify_by == RETL_IDENT_ID ? find(row, "email") : NULL;
        if (em && em->value.type == RETL_V_STRING && em->value.u.s.len &&
            check_email("email", em->value.u.s.ptr, em->value.u.s.len, errstr, errstr_size))
                return -1;
        m->keys[0] = person_key(s->identify_by, m->ident);
        m->nkeys = 1;
        set_state_id(m, s->identify_by == RETL_IDENT_EMAIL ? "pemail" : "pid", m->ident, NULL);
        if (retl_jsonw_raw(out, "{\"type\":\"person\",\"identifiers\":{") ||
            put_ident_pair(out, idcol, m->ident) ||
            retl_jsonw_raw(out, "},\"action\":\"identify\",\"attributes\":"))
                goto toobig;
        if (put_attrs(out, row, skip, person_idents, s->empty_values == RETL_EMPTY_DELETE,
                      s->update_only, errstr, errstr_size))
                return -1;
        if (retl_jsonw_raw(out, "}"))
                goto toobig;
        return 0;
toobig:
        snprintf(errstr, errstr_size, "entity is over %d bytes, the Track API's limit",
                 RETL_MAPPING_ENTITY_MAX);
        return -1;
}

static int map_object(const struct retl_sync_settings *s, const struct retl_row *row,
                      struct retl_buf *out, struct retl_mapped *m, char *errstr,
                      size_t errstr_size)
{
        const char *skip[] = {"object_id", "object_type_id", NULL};
        char *type = NULL;
        struct retl_buf key;
        int rc = -1;

        retl_buf_init(&key, 0);
        if (get_ident(row, "object_id", &m->ident, errstr, errstr_size) ||
            object_type(s, row, &type, errstr, errstr_size))
                goto out;
        if (retl_buf_printf(&key, "%s:%s", type, m->ident))
                goto out;
        m->keys[0] = retl_mapping_key("o", retl_buf_str(&key), retl_buf_len(&key));
        m->nkeys = 1;
        set_state_id(m, "obj", retl_buf_str(&key), NULL);
        if (retl_jsonw_raw(out, "{\"type\":\"object\",\"identifiers\":{") ||
            put_ident_pair(out, "object_type_id", type) || retl_jsonw_raw(out, ",") ||
            put_ident_pair(out, "object_id", m->ident) ||
            retl_jsonw_raw(out, "},\"action\":\"identify\",\"attributes\":")) {
                snprintf(errstr, errstr_size, "entity is over %d bytes, the Track API's limit",
                         RETL_MAPPING_ENTITY_MAX);
                goto out;
        }
        if (put_attrs(out, row, skip, NULL, s->empty_values == RETL_EMPTY_DELETE, 0, errstr,
                      errstr_size))
                goto out;
        if (retl_jsonw_raw(out, "}")) {
                snprintf(errstr, errstr_size, "entity is over %d bytes, the Track API's limit",
                         RETL_MAPPING_ENTITY_MAX);
                goto out;
        }
        rc = 0;
out:
        free(type);
        retl_buf_free(&key);
        return rc;
}

/* deleted: boolean true (or a non-zero number, or "true"/"1") removes. */
static int is_deleted(const struct retl_row *row, int *deleted, char *errstr,
                      size_t errstr_size)
{
        const struct retl_column *c = find(row, "deleted");
        const struct retl_value *v = c ? &c->value : NULL;

        *deleted = 0;
        if (!v || v->type == RETL_V_NULL)
                return 0;
        if (v->type == RETL_V_BOOL)
                *deleted = v->u.b != 0;
        else if (v->type == RETL_V_LONG)
                *deleted = v->u.l != 0;
        else if (v->type == RETL_V_STRING &&
                 ((v->u.s.len == 4 && !strncasecmp(v->u.s.ptr, "true", 4)) ||
                  (v->u.s.len == 1 && v->u.s.ptr[0] == '1')))
                *deleted = 1;
        else if (v->type == RETL_V_STRING &&
                 (v->u.s.len == 0 || (v->u.s.len == 5 && !strncasecmp(v->u.s.ptr, "false", 5)) ||
                  (v->u.s.len == 1 && v->u.s.ptr[0] == '0')))
                *deleted = 0;
        else {
                snprintf(errstr, errstr_size, "deleted must be a boolean, not %s",
                         retl_vtype_name(v->type));
                return -1;
        }
        return 0;
}

static int map_relationship(const struct retl_sync_settings *s, const struct retl_row *row,
                            struct retl_buf *out, struct retl_mapped *m, char *errstr,
                            size_t errstr_size)
{
        int by = s->relationship_identify_by;
        const char *idcol = by == RETL_IDENT_EMAIL ? "email" : "id";
        const char *skip[] = {idcol, "object_id", "object_type_id", "deleted", NULL};
        char *type = NULL, *oid = NULL;
        struct retl_buf key;
        int deleted = 0, rc = -1;
        size_t mark;

        retl_buf_init(&key, 0);
        if (get_ident(row, idcol, &m->ident, errstr, errstr_size))
                goto out;
        if (by == RETL_IDENT_EMAIL &&
            check_email("email", m->ident, strlen(m->ident), errstr, errstr_size))
                goto out;
        if (get_ident(row, "object_id", &oid, errstr, errstr_size) ||
            object_type(s, row, &type, errstr, errstr_size) ||
            is_deleted(row, &deleted, errstr, errstr_size))
                goto out;
        if (retl_buf_printf(&key, "%s:%s", type, oid))
                goto out;
        /* the person and the object: never overtake an identify of either */
        m->keys[0] = person_key(by, m->ident);
        m->keys[1] = retl_mapping_key("o", retl_buf_str(&key), retl_buf_len(&key));
        m->nkeys = 2;
        set_state_id(m, by == RETL_IDENT_EMAIL ? "remail" : "rid", m->ident, retl_buf_str(&key));
        if (retl_jsonw_raw(out, "{\"type\":\"person\",\"identifiers\":{") ||
            put_ident_pair(out, idcol, m->ident) || retl_jsonw_raw(out, "},\"action\":\"") ||
            retl_jsonw_raw(out, deleted ? "delete_relationships" : "add_relationships") ||
            retl_jsonw_raw(out, "\",\"cio_relationships\":[{\"identifiers\":{") ||
            put_ident_pair(out, "object_type_id", type) || retl_jsonw_raw(out, ",") ||
            put_ident_pair(out, "object_id", oid) || retl_jsonw_raw(out, "}"))
                goto toobig;
        mark = retl_buf_len(out);
        if (retl_jsonw_raw(out, ",\"relationship_attributes\":"))
                goto toobig;
        if (put_attrs(out, row, skip, NULL, s->empty_values == RETL_EMPTY_DELETE, 0, errstr,
                      errstr_size))
                goto out;
        if (!strcmp(retl_buf_str(out) + retl_buf_len(out) - 2, "{}"))
                retl_buf_truncate(out, mark);   /* no attributes: leave the key out */
        if (retl_jsonw_raw(out, "}]}"))
                goto toobig;
        rc = 0;
        goto out;
toobig:
        snprintf(errstr, errstr_size, "entity is over %d bytes, the Track API's limit",
                 RETL_MAPPING_ENTITY_MAX);
out:
        free(type);
        free(oid);
        retl_buf_free(&key);
        return rc;
}

int retl_mapping_row(const struct retl_sync_settings *s, const struct retl_row *row,
                     struct retl_buf *out, struct retl_mapped *m, char *errstr,
                     size_t errstr_size)
{
        size_t max;
        int rc;

        memset(m, 0, sizeof(*m));
        /* built in place (a buffer the caller reuses) under the entity
         * ceiling, or @p out's own if lower */
        retl_buf_reset(out);
        max = retl_buf_set_max(out, RETL_MAPPING_ENTITY_MAX);
        if (max < RETL_MAPPING_ENTITY_MAX)
                retl_buf_set_max(out, max);
        if (row->part == RETL_PART_RELATIONSHIPS)
                rc = map_relationship(s, row, out, m, errstr, errstr_size);
        else if (s->import == RETL_IMPORT_OBJECTS)
                rc = map_object(s, row, out, m, errstr, errstr_size);
        else
                rc = map_person(s, row, out, m, errstr, errstr_size);
        retl_buf_set_max(out, max);
        if (rc) {
                retl_buf_reset(out);
                /* a failed row is never in the row state */
                free(m->state_id);
                m->state_id = NULL;
                m->state_id_len = 0;
        }
        return rc;
}

/* "type:id" of an object key: the type, before the first ':'. */
static int split_object(const char *key, size_t len, char **type, char **id)
{
        const char *colon = memchr(key, ':', len);

        if (!colon)
                return -1;
        *type = retl_strndup(key, (size_t)(colon - key));
        *id = retl_strndup(colon + 1, len - (size_t)(colon - key) - 1);
        return 0;
}

int retl_mapping_delete(const char *state_id, size_t len, struct retl_buf *out,
                        struct retl_mapped *m, char *errstr, size_t errstr_size)
{
        size_t kl = strnlen(state_id, len), al, bl = 0;
        const char *a, *b = NULL;
        char *type = NULL, *oid = NULL;
        int person_by = -1, rc = -1;

        memset(m, 0, sizeof(*m));
        retl_buf_reset(out);
        if (kl + 1 >= len)
                goto bad;
        a = state_id + kl + 1;
        al = strnlen(a, len - kl - 1);
        if (kl + 1 + al < len) {
                b = a + al + 1;
                bl = len - kl - 2 - al;
        }
        if (!strcmp(state_id, "pid") || !strcmp(state_id, "rid"))
                person_by = RETL_IDENT_ID;
        else if (!strcmp(state_id, "pemail") || !strcmp(state_id, "remail"))
                person_by = RETL_IDENT_EMAIL;
        else if (strcmp(state_id, "obj"))
                goto bad;
        if ((state_id[0] == 'r') != (b != NULL))
                goto bad;
        if (person_by < 0) {
                /* an object: deleted, with its relationships */
                if (split_object(a, al, &type, &oid))
                        goto bad;
                m->ident = retl_strdup(oid);
                m->keys[0] = retl_mapping_key("o", a, al);
                m->nkeys = 1;
                if (retl_jsonw_raw(out, "{\"type\":\"object\",\"identifiers\":{") ||
                    put_ident_pair(out, "object_type_id", type) || retl_jsonw_raw(out, ",") ||
                    put_ident_pair(out, "object_id", oid) ||
                    retl_jsonw_raw(out, "},\"action\":\"delete\"}"))
                        goto bad;
        } else {
                m->ident = retl_strndup(a, al);
                m->keys[0] = person_key(person_by, m->ident);
                m->nkeys = 1;
                if (retl_jsonw_raw(out, "{\"type\":\"person\",\"identifiers\":{") ||
                    put_ident_pair(out, person_by == RETL_IDENT_EMAIL ? "email" : "id",
                                   m->ident))
                        goto bad;
                if (!b) {
                        /* a person: deleted, with relationships and memberships */
                        if (retl_jsonw_raw(out, "},\"action\":\"delete\"}"))
                                goto bad;
                } else {
                        /* a relationship: removed, the person and object stay */
                        if (split_object(b, bl, &type, &oid))
                                goto bad;
                        m->keys[1] = retl_mapping_key("o", b, bl);
                        m->nkeys = 2;
                        if (retl_jsonw_raw(out, "},\"action\":\"delete_relationships\","
                                                "\"cio_relationships\":[{\"identifiers\":{") ||
                            put_ident_pair(out, "object_type_id", type) ||
                            retl_jsonw_raw(out, ",") || put_ident_pair(out, "object_id", oid) ||
                            retl_jsonw_raw(out, "}}]}"))
                                goto bad;
                }
        }
        m->state_id = retl_malloc(len + 1);
        memcpy(m->state_id, state_id, len);
        m->state_id[len] = '\0';
        m->state_id_len = len;
        rc = 0;
        goto out;
bad:
        snprintf(errstr, errstr_size, "row-state key '%.*s' names no entity retl can delete",
                 (int)(kl < 40 ? kl : 40), state_id);
        free(m->ident);
        m->ident = NULL;
out:
        free(type);
        free(oid);
        return rc;
}
