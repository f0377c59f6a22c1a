/* retl uploader — mapping one row to one Track API v2 batch entity.
 *
 * People: identify, identified by the sync's identifier column (id or
 * email), the other columns as attributes (`_update: true` for update-only
 * syncs). Objects: identify with object_type_id (the row's column, else the
 * sync's setting, else "1") and object_id. Relationship rows: a person-side
 * add_relationships, or delete_relationships when `deleted` is true, with
 * the other columns as relationship attributes.
 *
 * A row that cannot be sent is reported, not dropped: the functions fail
 * with the reason, which becomes the row's failure. */
#ifndef RETL_MAPPING_H
#define RETL_MAPPING_H

#include "lib/buf.h"
#include "lib/records.h"

#include <stddef.h>
#include <stdint.h>

/* The Track API's limit for one entity (library-notes §9: 32 KB). */
#define RETL_MAPPING_ENTITY_MAX (32 * 1024)

/* What a mapped row carries beside its JSON. */
struct retl_mapped {
        char *ident;            /* the row's identifier (person id/email or
                                 * object id), for failure reports and the
                                 * segment; malloc'd, NULL when none */
        uint64_t keys[2];       /* entity keys: rows sharing one are sent in order */
        int nkeys;
        char *state_id;         /* what the row state is kept under: kind NUL
                                 * identifier (pid, pemail: lower-cased; obj:
                                 * type:id; rid, remail: person NUL type:id);
                                 * malloc'd, NULL when the row failed */
        size_t state_id_len;
};

void retl_mapped_free(struct retl_mapped *m);

/** @brief Writes the entity for @p row into @p out (emptied first).
 *  @returns 0, or -1 with the failed row's reason in errstr (m->ident is
 *  still set when the row had an identifier). */
int retl_mapping_row(const struct retl_sync_settings *s, const struct retl_row *row,
                     struct retl_buf *out, struct retl_mapped *m, char *errstr,
                     size_t errstr_size) __attribute__((warn_unused_result));

/** @brief The entity that removes what row-state id @p state_id (kind NUL a
 *  [NUL b], see struct retl_mapped) stands for: a person's or an object's
 *  delete, or a relationship's delete_relationships (mirror syncs). m gets
 *  the identifier, the entity keys and the state id.
 *  @returns 0, or -1 with errstr (a key retl did not write). */
int retl_mapping_delete(const char *state_id, size_t len, struct retl_buf *out,
                        struct retl_mapped *m, char *errstr, size_t errstr_size)
        __attribute__((warn_unused_result));

/** @brief 64-bit FNV-1a of a kind tag and a text, for entity keys. */
uint64_t retl_mapping_key(const char *kind, const char *s, size_t len);

#endif
