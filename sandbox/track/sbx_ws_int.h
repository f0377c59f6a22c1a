/* retl sandbox — the workspace's insides, shared by the files that make it
 * (sbx_ws.c, sbx_rules.c, sbx_people.c, sbx_objects.c, sbx_rels.c,
 * sbx_segments.c, sbx_suppress.c) and sbx_state.c only. Everyone else uses
 * sbx_ws.h. */
#ifndef RETL_SBX_WS_INT_H
#define RETL_SBX_WS_INT_H

#include "sandbox/track/sbx_map.h"
#include "sandbox/track/sbx_ws.h"

#include <sys/queue.h>

/* Longest identifier value we keep in a stack buffer: emails are at most
 * 254 bytes, ids RETL_SBX_ID_MAX, object ids RETL_SBX_OBJECT_ID_MAX. */
#define RETL_SBX_IDENT_BUF (RETL_SBX_OBJECT_ID_MAX + 1)

/* People, objects and relationships are kept in creation order (the
 * inspection API and the state file list them so) in <sys/queue.h> tail
 * queues, and indexed by hash maps. */
struct sbx_person {
        char *p_cio_id;
        char *p_id;            /* NULL when unset */
        char *p_email;         /* as last sent; NULL when unset */
        char *p_email_key;     /* lower case, for lookups */
        char *p_attrs;         /* frozen (sbx_attrs.h); never id, email, cio_id, _update */
        int64_t p_created_ms;
        int64_t p_updated_ms;
        uint64_t p_updates;    /* identify operations applied, creation included */
        TAILQ_ENTRY(sbx_person) p_link;
};

struct sbx_object {
        char *o_key;           /* type "\x1f" object_id */
        char *o_type;          /* canonical decimal, e.g. "1" */
        char *o_id;
        char *o_cio_id;
        char *o_attrs;         /* frozen (sbx_attrs.h) */
        int64_t o_created_ms;
        int64_t o_updated_ms;
        uint64_t o_updates;
        TAILQ_ENTRY(sbx_object) o_link;
};

struct sbx_rel {
        char *r_key;           /* person cio_id "\x1f" object key */
        struct sbx_person *r_person;
        struct sbx_object *r_object;
        json_t *r_attrs;
        int64_t r_created_ms;
        int64_t r_updated_ms;
        TAILQ_ENTRY(sbx_rel) r_link;
};

struct sbx_segment {
        long s_id;
        char *s_name;          /* NULL = none (created by id: --segments, POST /_sandbox/segments) */
        char *s_description;   /* NULL = none */
        struct retl_sbx_map *s_members;   /* cio_id -> struct sbx_person */
};

struct retl_sbx_ws {
        /* configuration, copied */
        int ws_ids;
        int ws_allow_email_update;
        long *ws_types;
        size_t ws_n_types;
        long *ws_conf_segments;
        size_t ws_n_conf_segments;
        char **ws_conf_sup_ids;
        size_t ws_n_conf_sup_ids;
        char **ws_conf_sup_emails;
        size_t ws_n_conf_sup_emails;

        /* people */
        struct retl_sbx_map *ws_by_id;      /* id -> person (id an identifier) */
        struct retl_sbx_map *ws_by_email;   /* email key -> person (email an identifier) */
        struct retl_sbx_map *ws_by_cio;     /* cio_id -> person */
        TAILQ_HEAD(, sbx_person) ws_people;
        /* objects */
        struct retl_sbx_map *ws_objects;    /* o_key -> object */
        struct retl_sbx_map *ws_obj_by_cio; /* cio_object_id -> object */
        TAILQ_HEAD(, sbx_object) ws_objs;
        /* relationships */
        struct retl_sbx_map *ws_rels;       /* r_key -> rel */
        TAILQ_HEAD(, sbx_rel) ws_rel_list;
        /* segments, sorted by id */
        struct sbx_segment *ws_segments;
        size_t ws_n_segments;
        /* suppressions: values map to themselves (non-NULL markers) */
        struct retl_sbx_map *ws_sup_ids;
        struct retl_sbx_map *ws_sup_emails; /* lower case */

        uint64_t ws_next_person;            /* cio_id sequence */
        uint64_t ws_next_object;            /* cio_object_id sequence */
        long ws_next_segment;               /* lowest id a new named segment may take: ids
                                               of deleted segments are never reused */
        int ws_dirty;
        /* scratch memory of the update being applied (under the lock) */
        struct retl_sbx_arena *ws_scratch;
};

#endif
