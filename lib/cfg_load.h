/* retl — configuration loading: libconfig groups and lists into the structures of cfg.h. */
#ifndef RETL_CFG_LOAD_H
#define RETL_CFG_LOAD_H

#include "buf.h"
#include "cfg.h"
#include "cfg_table.h"

#include <libconfig.h>

/* One load in progress: where problems are collected. */
struct retl_cfg_loader {
        const char *path;
        struct retl_buf errs;
        int nerrs;
        unsigned need;          /* RETL_CFG_SECRETS_* to read */
        unsigned section;       /* the secret class of the group being loaded */
        struct retl_cfg *cfg;   /* being loaded: records the secret files read */
};

/** @brief Notes a problem "path:line: where: message"; the first 50 are kept. */
void retl_cfg_problem(struct retl_cfg_loader *ld, int line, const char *where, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));

/** @brief Reads and parses @p path into @p lc (config_init'ed by the caller).
 *  @returns 0, or -1 with the reason, naming file and line, in errstr. */
int retl_cfg_load_file(config_t *lc, const char *path, char *errstr, size_t errstr_size);

/** @brief Loads the fields of one group into @p obj, a struct of @p sec;
 *  @p grp may be NULL (defaults only). @p gname prefixes messages. */
void retl_cfg_load_group(struct retl_cfg_loader *ld, config_setting_t *grp, const char *gname,
                         const struct retl_cfg_section *sec, void *obj, int check_unknown);

/** @brief Loads kafka.properties (@p props may be NULL) into @p k. */
void retl_cfg_load_kafka_properties(struct retl_cfg_loader *ld, config_setting_t *props,
                                    struct retl_cfg_kafka *k);

/** @brief Loads the list @p sec names; @returns a calloc'd array of *np
 *  structs (NULL when the list is absent or not a list). */
void *retl_cfg_load_list(struct retl_cfg_loader *ld, config_t *lc,
                         const struct retl_cfg_section *sec, size_t *np);

#endif
