/* retl — configuration: loading a file whole, finding its parts; see cfg.h.
 *
 * The parts: cfg_table.c (every setting described once), cfg_load.c
 * (libconfig into the structures), cfg_secret.c (X_env / X_file),
 * cfg_check.c (checks across settings), cfg_value.c (names, durations,
 * times), cfg_dump.c (--dump, --reference). */
#include "cfg.h"
#include "cfg_check.h"
#include "cfg_load.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int retl_cfg_load(const char *path, struct retl_cfg **cfgp, char *errstr, size_t errstr_size)
{
        return retl_cfg_load_secrets(path, RETL_CFG_SECRETS_ALL, cfgp, errstr, errstr_size);
}

int retl_cfg_load_secrets(const char *path, unsigned need, struct retl_cfg **cfgp, char *errstr,
                          size_t errstr_size)
{
        struct retl_cfg_loader ld = {.path = path, .nerrs = 0, .need = need};
        struct retl_cfg *cfg;
        config_t lc;
        config_setting_t *grp;

        *cfgp = NULL;
        config_init(&lc);
        if (retl_cfg_load_file(&ld, &lc, errstr, errstr_size)) {
                retl_cfg_text_free(&ld.text);
                config_destroy(&lc);
                return -1;
        }
        retl_buf_init(&ld.errs, 64 * 1024);
        cfg = retl_calloc(1, sizeof(*cfg));
        cfg->path = retl_strdup(path);
        ld.cfg = cfg;

        retl_cfg_load_group(&ld, config_root_setting(&lc), "", RETL_CFG_SECTION(TOP), cfg, 0);
        for (int i = 0; i < config_setting_length(config_root_setting(&lc)); i++) {
                config_setting_t *st = config_setting_get_elem(config_root_setting(&lc),
                                                               (unsigned)i);
                const char *n = config_setting_name(st);
                int known = !strcmp(n, "log_level");
                for (size_t s = 1; s < RETL_CFG_NSECTIONS; s++)
                        known |= !strcmp(n, retl_cfg_sections[s].name);
                if (!known)
                        retl_cfg_problem(&ld, config_setting_source_line(st), n, "unknown setting");
        }

        grp = config_lookup(&lc, "kafka");
        if (!grp)
                retl_cfg_problem(&ld, 1, "kafka",
                                 "missing required group kafka = { brokers = \"...\"; }");
        else if (!config_setting_is_group(grp))
                retl_cfg_problem(&ld, config_setting_source_line(grp), "kafka",
                                 "must be a group { }");
        else {
                ld.section = RETL_CFG_SECRETS_KAFKA;
                retl_cfg_load_group(&ld, grp, "kafka", RETL_CFG_SECTION(KAFKA), &cfg->kafka, 1);
                retl_cfg_load_kafka_properties(&ld, config_setting_get_member(grp, "properties"),
                                               &cfg->kafka);
        }
        grp = config_lookup(&lc, "metrics");
        if (grp && !config_setting_is_group(grp))
                retl_cfg_problem(&ld, config_setting_source_line(grp), "metrics",
                                 "must be a group { }");
        else
                retl_cfg_load_group(&ld, grp, "metrics", RETL_CFG_SECTION(METRICS), &cfg->metrics,
                                    1);
        if (!cfg->kafka.props)
                cfg->kafka.props = retl_calloc(1, sizeof(char *));

        ld.section = RETL_CFG_SECRETS_WORKSPACES;
        cfg->workspaces = retl_cfg_load_list(&ld, &lc, RETL_CFG_SECTION(WORKSPACES),
                                             &cfg->nworkspaces);
        ld.section = RETL_CFG_SECRETS_DATABASES;
        cfg->databases = retl_cfg_load_list(&ld, &lc, RETL_CFG_SECTION(DATABASES),
                                            &cfg->ndatabases);
        ld.section = 0;
        cfg->syncs = retl_cfg_load_list(&ld, &lc, RETL_CFG_SECTION(SYNCS), &cfg->nsyncs);
        retl_cfg_check_all(&ld, cfg);
        config_destroy(&lc);
        retl_cfg_text_free(&ld.text);

        if (ld.nerrs) {
                if (ld.nerrs > 50)
                        if (retl_buf_printf(&ld.errs, "\n(%d more problems)", ld.nerrs - 50))
                                ld.nerrs = 0; /* the list is already cut; say nothing more */
                snprintf(errstr, errstr_size, "%s", retl_buf_str(&ld.errs));
                retl_buf_free(&ld.errs);
                retl_cfg_destroy(cfg);
                return -1;
        }
        retl_buf_free(&ld.errs);
        *cfgp = cfg;
        return 0;
}

static void free_group(const struct retl_cfg_section *sec, void *obj)
{
        for (size_t f = 0; f < sec->nfields; f++) {
                const struct retl_cfg_field *fd = &sec->fields[f];
                if (fd->type == F_SECRET) {
                        char **r = RETL_CFG_SECRET_REF((char *)obj + fd->off);
                        free(*r);
                        *r = NULL;
                }
                if (fd->type == F_STR || fd->type == F_NAME || fd->type == F_SECRET) {
                        char **p = (char **)((char *)obj + fd->off);
                        if (fd->type == F_SECRET && *p)
                                memset(*p, 0, strlen(*p)); /* don't leave keys in freed memory */
                        free(*p);
                        *p = NULL;
                }
        }
}

void retl_cfg_destroy(struct retl_cfg *cfg)
{
        if (!cfg)
                return;
        free_group(RETL_CFG_SECTION(TOP), cfg);
        free_group(RETL_CFG_SECTION(KAFKA), &cfg->kafka);
        free_group(RETL_CFG_SECTION(METRICS), &cfg->metrics);
        for (size_t i = 0; cfg->kafka.props && cfg->kafka.props[i * 2]; i++) {
                free(cfg->kafka.props[i * 2]);
                if (cfg->kafka.props[i * 2 + 1])
                        memset(cfg->kafka.props[i * 2 + 1], 0, strlen(cfg->kafka.props[i * 2 + 1]));
                free(cfg->kafka.props[i * 2 + 1]);
        }
        free(cfg->kafka.props);
        for (size_t i = 0; cfg->kafka.secret_names && cfg->kafka.secret_names[i]; i++)
                free(cfg->kafka.secret_names[i]);
        free(cfg->kafka.secret_names);
        for (size_t i = 0; i < cfg->kafka.nsecret_refs; i++)
                free(cfg->kafka.secret_refs[i]);
        free(cfg->kafka.secret_refs);
        for (size_t i = 0; i < cfg->nsecret_files; i++)
                free(cfg->secret_files[i]);
        free(cfg->secret_files);
        for (size_t i = 0; i < cfg->nworkspaces; i++)
                free_group(RETL_CFG_SECTION(WORKSPACES), &cfg->workspaces[i]);
        for (size_t i = 0; i < cfg->ndatabases; i++)
                free_group(RETL_CFG_SECTION(DATABASES), &cfg->databases[i]);
        for (size_t i = 0; i < cfg->nsyncs; i++)
                free_group(RETL_CFG_SECTION(SYNCS), &cfg->syncs[i]);
        free(cfg->workspaces);
        free(cfg->databases);
        free(cfg->syncs);
        free(cfg->path);
        free(cfg);
}

const struct retl_cfg_sync *retl_cfg_sync_find(const struct retl_cfg *cfg, const char *name)
{
        for (size_t i = 0; i < cfg->nsyncs; i++)
                if (cfg->syncs[i].name && !strcmp(cfg->syncs[i].name, name))
                        return &cfg->syncs[i];
        return NULL;
}

const struct retl_cfg_workspace *retl_cfg_workspace_find(const struct retl_cfg *cfg,
                                                         const char *name)
{
        for (size_t i = 0; i < cfg->nworkspaces; i++)
                if (cfg->workspaces[i].name && !strcmp(cfg->workspaces[i].name, name))
                        return &cfg->workspaces[i];
        return NULL;
}

const struct retl_cfg_database *retl_cfg_database_find(const struct retl_cfg *cfg,
                                                       const char *name)
{
        for (size_t i = 0; i < cfg->ndatabases; i++)
                if (cfg->databases[i].name && !strcmp(cfg->databases[i].name, name))
                        return &cfg->databases[i];
        return NULL;
}

int retl_cfg_kafka_same(const struct retl_cfg_kafka *a, const struct retl_cfg_kafka *b)
{
        int same = !strcmp(a->brokers, b->brokers) && !strcmp(a->group, b->group) &&
                   !strcmp(a->topic_prefix, b->topic_prefix) &&
                   !strcmp(a->imports_topic, b->imports_topic) &&
                   !strcmp(a->failures_topic, b->failures_topic) &&
                   !strcmp(a->state_topic_prefix, b->state_topic_prefix) &&
                   a->nprops == b->nprops;
        for (size_t i = 0; same && i < 2 * a->nprops; i++)
                same = !strcmp(a->props[i], b->props[i]);
        return same;
}

char *retl_cfg_workspace_topic(const struct retl_cfg *cfg, const char *workspace)
{
        return retl_asprintf("%s%s", cfg->kafka.topic_prefix, workspace);
}

char *retl_cfg_state_topic(const struct retl_cfg *cfg, const char *workspace)
{
        return retl_asprintf("%s%s", cfg->kafka.state_topic_prefix, workspace);
}
