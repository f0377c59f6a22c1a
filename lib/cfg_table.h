/* retl — the settings table: every configuration setting (name, type, default, bounds, doc). */
#ifndef RETL_CFG_TABLE_H
#define RETL_CFG_TABLE_H

#include "cfg.h"

#include <stddef.h>
#include <stdint.h>

enum retl_cfg_ftype {
        F_STR,          /* string */
        F_NAME,         /* string of [A-Za-z0-9._-], 1..100 chars */
        F_INT,          /* int, bounded */
        F_INT64,        /* 64-bit int, bounded */
        F_BOOL,
        F_ENUM,         /* string, one of syms, stored as int */
        F_SECRET,       /* given as NAME_env or NAME_file */
        F_DURATION,     /* "15m" -> seconds, int64 */
        F_TIME,         /* "2024-05-01T12:00:00Z" -> Unix seconds, int64 */
};

struct retl_cfg_field {
        const char *name;
        enum retl_cfg_ftype type;
        size_t off;
        int required;
        const char *def;        /* default, as it would be written */
        int64_t min, max;
        const char *const *syms;
        const char *doc;
};

/* An F_SECRET field's value is followed in its struct by a char * that holds
 * the reference as the file writes it (api_key, then api_key_ref). */
#define RETL_CFG_SECRET_REF(p) ((char **)(p) + 1)

struct retl_cfg_section {
        const char *name;
        const struct retl_cfg_field *fields;
        size_t nfields;
        size_t size;
        int is_list;
        const char *doc;
};

/* The sections, in the order the file is loaded and dumped. */
enum retl_cfg_sec {
        RETL_CFG_SEC_TOP,
        RETL_CFG_SEC_KAFKA,
        RETL_CFG_SEC_METRICS,
        RETL_CFG_SEC_WORKSPACES,
        RETL_CFG_SEC_DATABASES,
        RETL_CFG_SEC_SYNCS,
        RETL_CFG_NSECTIONS,
};

/* The one description of every setting: loading, defaults, bounds,
 * `retl config --dump` and `retl config --reference` all walk it. */
extern const struct retl_cfg_section retl_cfg_sections[RETL_CFG_NSECTIONS];
#define RETL_CFG_SECTION(s) (&retl_cfg_sections[RETL_CFG_SEC_##s])

#endif
