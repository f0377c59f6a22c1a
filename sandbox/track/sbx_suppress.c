/* retl sandbox — suppressed people: the ids and emails the workspace
 * refuses; see sbx_suppress.h. */
#include "sandbox/track/sbx_suppress.h"
#include "sandbox/track/sbx_email.h"
#include "sandbox/track/sbx_rules.h"

#include "lib/mem.h"

#include <stdlib.h>
#include <string.h>

static void sup_put(struct retl_sbx_map *m, const char *v)
{
        /* the value is only a non-NULL marker */
        retl_sbx_map_put(m, v, (void *)m);
}

void retl_sbx_suppress_conf(struct retl_sbx_ws *ws)
{
        for (size_t i = 0; i < ws->ws_n_conf_sup_ids; i++)
                sup_put(ws->ws_sup_ids, ws->ws_conf_sup_ids[i]);
        for (size_t i = 0; i < ws->ws_n_conf_sup_emails; i++) {
                char *k = retl_sbx_email_key(ws->ws_conf_sup_emails[i]);

                sup_put(ws->ws_sup_emails, k);
                free(k);
        }
}

int retl_sbx_suppress_has_id(const struct retl_sbx_ws *ws, const char *id)
{
        return id && retl_sbx_map_count(ws->ws_sup_ids) &&
               retl_sbx_map_get(ws->ws_sup_ids, id) != NULL;
}

int retl_sbx_suppress_has_email(const struct retl_sbx_ws *ws, const char *email)
{
        char key[RETL_SBX_IDENT_BUF];

        if (!email || !retl_sbx_map_count(ws->ws_sup_emails) || strlen(email) >= sizeof(key))
                return 0;
        retl_sbx_rules_lower(key, email);
        return retl_sbx_map_get(ws->ws_sup_emails, key) != NULL;
}

int retl_sbx_ws_suppress(struct retl_sbx_ws *ws, const char *kind, const char *value, int on)
{
        struct retl_sbx_map *m;
        char *key;

        if (!value || !*value)
                return RETL_SBX_EINVAL;
        if (!strcmp(kind, "id")) {
                m = ws->ws_sup_ids;
                key = retl_strdup(value);
        } else if (!strcmp(kind, "email")) {
                if (!retl_sbx_email_valid(value, strlen(value), NULL))
                        return RETL_SBX_EINVAL;
                m = ws->ws_sup_emails;
                key = retl_sbx_email_key(value);
        } else {
                return RETL_SBX_EINVAL;
        }
        if (on)
                sup_put(m, key);
        else
                retl_sbx_map_del(m, key);
        free(key);
        ws->ws_dirty = 1;
        return 0;
}

static json_t *set_json(const struct retl_sbx_map *m)
{
        json_t *arr = json_array();
        size_t it = 0;
        const char *k;

        while (retl_sbx_map_next(m, &it, &k, NULL))
                json_array_append_new(arr, json_string(k));
        return arr;
}

json_t *retl_sbx_ws_suppressions_json(struct retl_sbx_ws *ws)
{
        return json_pack("{s:o, s:o}", "ids", set_json(ws->ws_sup_ids), "emails",
                         set_json(ws->ws_sup_emails));
}
