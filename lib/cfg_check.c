/* retl — configuration checks across settings, see cfg_check.h. */
#include "cfg_check.h"
#include "cfg_value.h"
#include "mem.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* The uploaders subscribe to ^topic_prefix.+: a state topic must never look
 * like a workspace topic, nor the other way round. */
static void check_state_prefix(struct retl_cfg_loader *ld, const struct retl_cfg_kafka *kc)
{
        const char *sp = kc->state_topic_prefix, *tp = kc->topic_prefix;

        if (!sp || !tp)
                return;
        if (!retl_cfg_value_name_ok(sp))
                retl_cfg_problem(ld, 0, "kafka.state_topic_prefix",
                                 "'%s' has characters Kafka topics can't hold", sp);
        else if (!strncmp(sp, tp, strlen(tp)) || !strncmp(tp, sp, strlen(sp)))
                retl_cfg_problem(ld, 0, "kafka.state_topic_prefix",
                                 "'%s' overlaps topic_prefix '%s': state topics would be taken "
                                 "for workspace topics (or workspace topics for state topics); "
                                 "pick prefixes neither of which starts the other, e.g. "
                                 "\"retl.state.\"", sp, tp);
}

/* A URL setting: http:// or https://, trailing slashes dropped. */
static void check_url(struct retl_cfg_loader *ld, int line, const char *where,
                      const char *setting, char *url)
{
        size_t n = strlen(url);

        if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
                retl_cfg_problem(ld, line, where, "%s '%s' must start with http:// or https://",
                                 setting, url);
        while (n > 0 && url[n - 1] == '/')
                url[--n] = '\0';
}

/* The App API's address: given, else by region (api.customer.io,
 * api-eu.customer.io), else api_url: a `retl sandbox` given as api_url
 * serves the App API too. Called once api_url is settled. */
static void check_app_api_url(struct retl_cfg_loader *ld, struct retl_cfg_workspace *w,
                              const char *where)
{
        if (w->app_api_url) {
                check_url(ld, w->line, where, "app_api_url", w->app_api_url);
                return;
        }
        w->app_api_url_derived = 1;
        if (w->region)
                w->app_api_url = retl_strdup(!strcmp(w->region, "eu")
                                                     ? "https://api-eu.customer.io"
                                                     : "https://api.customer.io");
        else if (w->api_url)
                w->app_api_url = retl_strdup(w->api_url);
}

/* segment_name: people syncs, not with segment, and a workspace with an
 * App API key to find or create the segment with. */
static void check_segment_name(struct retl_cfg_loader *ld, const struct retl_cfg_sync *s,
                               const char *where)
{
        if (!s->segment_name) {
                if (s->segment_description)
                        retl_cfg_problem(ld, s->line, where,
                                         "segment_description goes with segment_name");
                return;
        }
        if (!*s->segment_name)
                retl_cfg_problem(ld, s->line, where, "segment_name is empty");
        if (s->segment)
                retl_cfg_problem(ld, s->line, where,
                                 "give segment (an id) or segment_name, not both");
        if (s->import == RETL_IMPORT_OBJECTS)
                retl_cfg_problem(ld, s->line, where, "segment_name is for people syncs only");
        /* the reference, not the key: only the uploader reads the key */
        if (s->ws && !s->ws->app_api_key_ref)
                retl_cfg_problem(ld, s->line, where,
                                 "segment_name needs workspace '%s' to have an App API key "
                                 "(app_api_key_env or app_api_key_file)", s->ws->name);
}

void retl_cfg_check_all(struct retl_cfg_loader *ld, struct retl_cfg *cfg)
{
        char where[160];

        for (size_t i = 0; i < cfg->nworkspaces; i++) {
                struct retl_cfg_workspace *w = &cfg->workspaces[i];
                snprintf(where, sizeof(where), "workspaces[%zu] '%s'", i, w->name ? w->name : "");
                for (size_t j = 0; j < i; j++)
                        if (w->name && cfg->workspaces[j].name &&
                            !strcmp(w->name, cfg->workspaces[j].name))
                                retl_cfg_problem(ld, w->line, where,
                                                 "name used twice (also line %d)",
                                                 cfg->workspaces[j].line);
                if (w->api_url && w->region) {
                        retl_cfg_problem(ld, w->line, where, "give region or api_url, not both");
                } else if (w->api_url) {
                        check_url(ld, w->line, where, "api_url", w->api_url);
                } else {
                        if (!w->region)
                                w->region = retl_strdup("us");
                        w->api_url = retl_strdup(!strcmp(w->region, "eu")
                                                         ? "https://track-eu.customer.io"
                                                         : "https://track.customer.io");
                }
                check_app_api_url(ld, w, where);
        }
        for (size_t i = 0; i < cfg->ndatabases; i++) {
                struct retl_cfg_database *d = &cfg->databases[i];
                snprintf(where, sizeof(where), "databases[%zu] '%s'", i, d->name ? d->name : "");
                for (size_t j = 0; j < i; j++)
                        if (d->name && cfg->databases[j].name &&
                            !strcmp(d->name, cfg->databases[j].name))
                                retl_cfg_problem(ld, d->line, where,
                                                 "name used twice (also line %d)",
                                                 cfg->databases[j].line);
                if (d->trust_server_certificate && d->ca_file && strcmp(d->ca_file, "system"))
                        retl_cfg_problem(ld, d->line, where,
                                         "ca_file and trust_server_certificate = true "
                                         "contradict each other: drop one");
                if (d->instance)
                        d->port = 0;
                else if (d->port == 0)
                        retl_cfg_problem(ld, d->line, where,
                                         "port must be 1 to 65535 (or set instance)");
        }
        for (size_t i = 0; i < cfg->nsyncs; i++) {
                struct retl_cfg_sync *s = &cfg->syncs[i];
                snprintf(where, sizeof(where), "syncs[%zu] '%s'", i, s->name ? s->name : "");
                for (size_t j = 0; j < i; j++)
                        if (s->name && cfg->syncs[j].name && !strcmp(s->name, cfg->syncs[j].name))
                                retl_cfg_problem(ld, s->line, where,
                                                 "name used twice (also line %d)",
                                                 cfg->syncs[j].line);
                if (s->workspace && !(s->ws = retl_cfg_workspace_find(cfg, s->workspace)))
                        retl_cfg_problem(ld, s->line, where, "workspace '%s' is not in workspaces",
                                         s->workspace);
                if (s->database && !(s->db = retl_cfg_database_find(cfg, s->database)))
                        retl_cfg_problem(ld, s->line, where, "database '%s' is not in databases",
                                         s->database);
                if (s->import == RETL_IMPORT_OBJECTS && s->segment)
                        retl_cfg_problem(ld, s->line, where, "segment is for people syncs only");
                check_segment_name(ld, s, where);
                if (s->mirror && ((s->query && strstr(s->query, "last_sync_time")) ||
                                  (s->relationship_query &&
                                   strstr(s->relationship_query, "last_sync_time"))))
                        retl_cfg_problem(ld, s->line, where,
                                         "mirror = true reads the whole result each run: its "
                                         "queries must not use {{last_sync_time}} (a row they "
                                         "leave out would be deleted)");
                if (s->object_type_id) {
                        const char *p = s->object_type_id;
                        int ok = *p != '\0';
                        for (; *p; p++)
                                ok &= isdigit((unsigned char)*p) != 0;
                        if (!ok)
                                retl_cfg_problem(ld, s->line, where,
                                                 "object_type_id '%s' must be a number, e.g. \"1\"",
                                                 s->object_type_id);
                }
                if (s->relationship_query && !*s->relationship_query) {
                        free(s->relationship_query);
                        s->relationship_query = NULL;
                }
        }
        if (cfg->kafka.topic_prefix && !retl_cfg_value_name_ok(cfg->kafka.topic_prefix))
                retl_cfg_problem(ld, 0, "kafka.topic_prefix",
                                 "'%s' has characters Kafka topics can't hold",
                                 cfg->kafka.topic_prefix);
        check_state_prefix(ld, &cfg->kafka);
}
