/* retl sandbox — the workspace: people, objects, relationships, manual
 * segments and suppressions, with a Customer.io workspace's rules.
 *
 * Rules applied (see sandbox/track/README.md for the full list):
 *  - people are found by exactly one of id, email or cio_id; which of id and
 *    email are identifiers is a workspace setting (wc_identifiers);
 *  - an identifier is unique across people and cannot change once set
 *    (except through cio_id, or email through id when
 *    wc_allow_email_update_by_id is on); emails are RFC 5322 addr-specs and
 *    compare case-insensitively;
 *  - identify creates or updates; with attributes._update only updates;
 *  - an attribute sent as null or "" is removed;
 *  - suppressed people are refused with reason "suppressed" (the real API
 *    drops them silently; the sandbox reports them);
 *  - objects exist only for the workspace's object types.
 *
 * Not thread-safe: the caller holds one lock around every call.
 *
 * Implemented by sbx_ws.c (lifecycle, entities to actions) and the files
 * of its parts: sbx_people.c, sbx_objects.c, sbx_rels.c, sbx_segments.c,
 * sbx_suppress.c, with sbx_rules.c; persistence by sbx_state.c. */
#ifndef RETL_SBX_WS_H
#define RETL_SBX_WS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define RETL_SBX_IDS_ID 1
#define RETL_SBX_IDS_EMAIL 2
#define RETL_SBX_IDS_BOTH 3

/* Reasons in per-entity errors (the "reason" field of a 207 error). */
#define RETL_SBX_R_REQUIRED "required"
#define RETL_SBX_R_INVALID "invalid"
#define RETL_SBX_R_TOO_LARGE "too_large"
#define RETL_SBX_R_UNSUPPORTED "unsupported"
#define RETL_SBX_R_NOT_FOUND "not_found"
#define RETL_SBX_R_SUPPRESSED "suppressed"
#define RETL_SBX_R_ATTR "failed attribute change"

/* Longest person id the workspace takes, in bytes (Customer.io: 150). */
#define RETL_SBX_ID_MAX 150
/* Longest object_id, in bytes. */
#define RETL_SBX_OBJECT_ID_MAX 1000

/* Return codes of the non-entity calls. */
#define RETL_SBX_ENOSEG 1      /* no such manual segment */
#define RETL_SBX_EIDTYPE 2     /* id_type is not an identifier here */
#define RETL_SBX_EINVAL 3      /* bad argument */

struct retl_sbx_ws_conf {
        int wc_identifiers;                  /* RETL_SBX_IDS_* */
        int wc_allow_email_update_by_id;
        const long *wc_object_types;         /* NULL: type 1 only */
        size_t wc_n_object_types;
        const long *wc_segments;
        size_t wc_n_segments;
        const char *const *wc_suppress_ids;
        size_t wc_n_suppress_ids;
        const char *const *wc_suppress_emails;
        size_t wc_n_suppress_emails;
};

enum retl_sbx_action {
        RETL_SBX_A_INVALID = 0,   /* the entity was too malformed to tell */
        RETL_SBX_A_PERSON_IDENTIFY,
        RETL_SBX_A_PERSON_DELETE,
        RETL_SBX_A_PERSON_ADD_REL,
        RETL_SBX_A_PERSON_DEL_REL,
        RETL_SBX_A_PERSON_SUPPRESS,
        RETL_SBX_A_PERSON_UNSUPPRESS,
        RETL_SBX_A_OBJECT_IDENTIFY,
        RETL_SBX_A_OBJECT_DELETE,
        RETL_SBX_A_OBJECT_ADD_REL,
        RETL_SBX_A_OBJECT_DEL_REL,
        RETL_SBX_A_OTHER,         /* a Track API action the sandbox lacks */
        RETL_SBX_A_COUNT
};

/** @returns "person.identify" and so on: the counters' labels. */
const char *retl_sbx_action_name(enum retl_sbx_action a);
/** @returns the action an entity asks for, whether or not it is valid. */
enum retl_sbx_action retl_sbx_action_of(const json_t *entity);

/* What became of one entity. */
struct retl_sbx_outcome {
        enum retl_sbx_action so_action;
        const char *so_reason;     /* NULL = accepted; else RETL_SBX_R_* */
        int so_noop;               /* accepted but nothing to do */
        char so_field[128];
        char so_message[384];
};

struct retl_sbx_ws;

/** @brief A fresh workspace; the configuration is copied.
 *  @returns NULL with a reason in errstr if the configuration is invalid. */
struct retl_sbx_ws *retl_sbx_ws_new(const struct retl_sbx_ws_conf *wc, char *errstr,
                                    size_t errstr_size);
void retl_sbx_ws_destroy(struct retl_sbx_ws *ws);   /* NULL is fine */

/** @brief Back to the state retl_sbx_ws_new() made: no people, objects or
 *  relationships; segments and suppressions as configured. */
void retl_sbx_ws_reset(struct retl_sbx_ws *ws);

/** @brief Applies one v2 entity (a batch element or the /entity body). All
 *  or nothing: a rejected entity changes nothing.
 *  @p entity is borrowed; values may be kept (by reference).
 *  @returns 0 if accepted, -1 if rejected; @p out says which and why. */
int retl_sbx_ws_apply(struct retl_sbx_ws *ws, json_t *entity, int64_t now_ms,
                      struct retl_sbx_outcome *out);

/** @brief For callers that want the copying done outside their lock:
 *  @returns 1 if @p entity is a person or object identify whose target does
 *  not exist yet (so retl_sbx_ws_prepare() is worth it), else 0. */
int retl_sbx_ws_creates(struct retl_sbx_ws *ws, const json_t *entity);
/** @brief Builds the stored form of an identify's attributes: their frozen
 *  text (sbx_attrs.h; removals, identifiers and _update left out). Touches
 *  no workspace state: call it without the lock.
 *  @returns malloc'd text, or NULL if there is nothing to prepare. */
char *retl_sbx_ws_prepare(const json_t *entity);
/** @brief retl_sbx_ws_apply() with the result of retl_sbx_ws_prepare() for
 *  this entity (taken and freed, NULL is fine); a record created by the
 *  entity takes it as its attributes. */
int retl_sbx_ws_apply_prepared(struct retl_sbx_ws *ws, json_t *entity, char *prepared,
                               int64_t now_ms, struct retl_sbx_outcome *out);

enum retl_sbx_id_type { RETL_SBX_BY_ID, RETL_SBX_BY_EMAIL, RETL_SBX_BY_CIO_ID };

/** @brief Adds (@p add = 1) or removes people to/from a manual segment.
 *  Values that do not name a person (wrong type, no such person) are
 *  ignored and counted in *ignored, as the Track API does.
 *  @returns 0, RETL_SBX_ENOSEG or RETL_SBX_EIDTYPE. */
int retl_sbx_ws_segment_change(struct retl_sbx_ws *ws, long segment_id, int add,
                               enum retl_sbx_id_type id_type, const json_t *ids,
                               size_t *changed, size_t *ignored);
/** @brief Creates a manual segment (no-op if it exists). */
void retl_sbx_ws_segment_create(struct retl_sbx_ws *ws, long segment_id);
/** @brief Names segment @p segment_id, creating it if need be; @p name and
 *  @p description (NULL = none) are copied. */
void retl_sbx_ws_segment_name(struct retl_sbx_ws *ws, long segment_id, const char *name,
                              const char *description);
/** @brief Creates a manual segment named @p name (the App API's POST
 *  /v1/segments) with the next free id. @returns that id. */
long retl_sbx_ws_segment_create_named(struct retl_sbx_ws *ws, const char *name,
                                      const char *description);
/** @brief Deletes a segment with its memberships. @returns 0 or RETL_SBX_ENOSEG. */
int retl_sbx_ws_segment_delete(struct retl_sbx_ws *ws, long segment_id);
/** @brief One segment as the App API shows it ({"id","name","description",
 *  "type":"manual",...}), a new reference; NULL when there is no such one. */
json_t *retl_sbx_ws_segment_app_json(struct retl_sbx_ws *ws, long segment_id);
/** @brief {"segments":[...]}: every segment as the App API lists them. */
json_t *retl_sbx_ws_segments_app_json(struct retl_sbx_ws *ws);

/** @brief Suppresses (@p on = 1) or unsuppresses an id or an email.
 *  @p kind is "id" or "email". @returns 0 or RETL_SBX_EINVAL. */
int retl_sbx_ws_suppress(struct retl_sbx_ws *ws, const char *kind, const char *value,
                         int on);

/* Inspection: each returns a new reference (json_decref() it). */
/** @brief {"count":N,"people":[...]} in creation order, from @p offset,
 *  at most @p limit (0 = all). */
json_t *retl_sbx_ws_people_json(struct retl_sbx_ws *ws, size_t offset, size_t limit);
/** @brief One person found by id, email or cio_id; NULL if none. */
json_t *retl_sbx_ws_person_json(struct retl_sbx_ws *ws, enum retl_sbx_id_type by,
                                const char *value);
/** @brief {"count":N,"objects":[...]}, filtered by type and/or id when not NULL. */
json_t *retl_sbx_ws_objects_json(struct retl_sbx_ws *ws, const char *type,
                                 const char *object_id, size_t offset, size_t limit);
/** @brief {"count":N,"relationships":[...]}, filtered when not NULL. */
json_t *retl_sbx_ws_relationships_json(struct retl_sbx_ws *ws, const char *person_id,
                                       const char *email, const char *type,
                                       const char *object_id);
/** @brief {"segments":[{"id":10,"name":..,"description":..,"count":N,"members":[...]}]} */
json_t *retl_sbx_ws_segments_json(struct retl_sbx_ws *ws);
/** @brief {"ids":[...],"emails":[...]} */
json_t *retl_sbx_ws_suppressions_json(struct retl_sbx_ws *ws);

struct retl_sbx_ws_counts {
        size_t people, objects, relationships, segments, memberships, suppressed;
};
void retl_sbx_ws_counts(struct retl_sbx_ws *ws, struct retl_sbx_ws_counts *c);

/** @returns 1 if anything changed since the last retl_sbx_ws_clean(). */
int retl_sbx_ws_dirty(const struct retl_sbx_ws *ws);
void retl_sbx_ws_clean(struct retl_sbx_ws *ws);

/* Persistence in SQLite (sbx_state.c). Both take the caller's lock. */
/** @brief Loads a state file written by retl_sbx_ws_save() into an empty
 *  workspace; a missing file is not an error. @returns 0 or -1. */
int retl_sbx_ws_load(struct retl_sbx_ws *ws, const char *path, char *errstr,
                     size_t errstr_size);
/** @brief Writes the whole workspace to @p path in one transaction.
 *  @returns 0 or -1. */
int retl_sbx_ws_save(struct retl_sbx_ws *ws, const char *path, char *errstr,
                     size_t errstr_size);

#endif
