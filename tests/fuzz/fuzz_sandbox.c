/* Fuzz target: the sandbox's request bodies (/api/v2/batch, /api/v2/entity, segment ids, admin faults and suppress) as its server reads them. */
#include "tests/fuzz/fuzz.h"

#include "sandbox/track/sbx_arena.h"
#include "sandbox/track/sbx_faults.h"
#include "sandbox/track/sbx_server.h"
#include "sandbox/track/sbx_ws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW_MS 1700000000000LL

static struct retl_sbx_ws *ws_new(void)
{
        static const long types[] = {1, 2};
        static const long segs[] = {10, 11};
        static const char *const sup_ids[] = {"99"};
        static const char *const sup_emails[] = {"Blocked@Example.com"};
        struct retl_sbx_ws_conf wc = {
                .wc_identifiers = RETL_SBX_IDS_BOTH,
                .wc_object_types = types,
                .wc_n_object_types = 2,
                .wc_segments = segs,
                .wc_n_segments = 2,
                .wc_suppress_ids = sup_ids,
                .wc_n_suppress_ids = 1,
                .wc_suppress_emails = sup_emails,
                .wc_n_suppress_emails = 1,
        };
        char err[256];
        struct retl_sbx_ws *ws = retl_sbx_ws_new(&wc, err, sizeof(err));

        if (!ws) {
                fprintf(stderr, "fuzz_sandbox: %s\n", err);
                abort();
        }
        return ws;
}

/* One entity as api_entities() applies it: a creation's attributes frozen
 * first, then the rules. */
static void apply_entity(struct retl_sbx_ws *ws, json_t *e)
{
        struct retl_sbx_outcome o;
        char *prepared = retl_sbx_ws_creates(ws, e) ? retl_sbx_ws_prepare(e) : NULL;
        int rc = retl_sbx_ws_apply_prepared(ws, e, prepared, NOW_MS, &o);

        (void)retl_sbx_action_name(retl_sbx_action_of(e));
        if ((rc == 0) != (o.so_reason == NULL)) {
                fprintf(stderr, "fuzz_sandbox: apply returned %d with reason %s\n", rc,
                        o.so_reason ? o.so_reason : "(none)");
                abort();
        }
}

/* The body of a Track API request, parsed in an arena as the server does. */
static void api_body(struct retl_sbx_ws *ws, const uint8_t *data, size_t size)
{
        struct retl_sbx_arena *arena = retl_sbx_arena_new();
        json_t *root, *list, *ids;
        size_t changed, ignored;

        retl_sbx_arena_enter(arena);
        root = json_loadb((const char *)data, size, 0, NULL);
        retl_sbx_arena_leave();
        list = json_object_get(root, "batch");
        ids = json_object_get(root, "ids");
        if (json_is_array(list)) {
                for (size_t i = 0; i < json_array_size(list); i++)
                        apply_entity(ws, json_array_get(list, i));
        } else if (json_is_array(ids) && json_array_size(ids) <= RETL_SBX_SEGMENT_IDS_MAX) {
                for (int by = RETL_SBX_BY_ID; by <= RETL_SBX_BY_CIO_ID; by++) {
                        (void)retl_sbx_ws_segment_change(ws, 10, 1, (enum retl_sbx_id_type)by,
                                                         ids, &changed, &ignored);
                        (void)retl_sbx_ws_segment_change(ws, 11, by != RETL_SBX_BY_ID,
                                                         (enum retl_sbx_id_type)by, ids,
                                                         &changed, &ignored);
                }
        } else if (json_is_object(root)) {
                apply_entity(ws, root);
        }
        /* Freed, not kept for reuse: a value the workspace still points to
         * is then a use after free that the dump below trips on. */
        retl_sbx_arena_destroy(arena);
}

/* The same body on the admin endpoints, parsed with plain malloc as there. */
static void admin_body(struct retl_sbx_ws *ws, struct retl_sbx_faults *faults,
                       const uint8_t *data, size_t size)
{
        json_t *root = json_loadb((const char *)data, size, 0, NULL), *v;
        char err[256];

        if (!root)
                return;
        if (!retl_sbx_faults_set_json(faults, root, err, sizeof(err)))
                json_decref(retl_sbx_faults_json(faults));
        v = json_object_get(root, "email");
        if (json_is_string(v) && !retl_sbx_ws_suppress(ws, "email", json_string_value(v), 1))
                (void)retl_sbx_ws_suppress(ws, "email", json_string_value(v), 0);
        v = json_object_get(root, "id");
        if (json_is_string(v))
                (void)retl_sbx_ws_suppress(ws, "id", json_string_value(v), 1);
        json_decref(root);
}

/* Reads everything the workspace holds, as the inspection endpoints do. */
static void dump(struct retl_sbx_ws *ws)
{
        json_t *all[] = {
                retl_sbx_ws_people_json(ws, 0, 0),
                retl_sbx_ws_objects_json(ws, NULL, NULL, 0, 0),
                retl_sbx_ws_relationships_json(ws, NULL, NULL, NULL, NULL),
                retl_sbx_ws_segments_json(ws),
                retl_sbx_ws_suppressions_json(ws),
        };

        for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
                free(json_dumps(all[i], JSON_COMPACT));
                json_decref(all[i]);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct retl_sbx_ws *ws;
        static struct retl_sbx_faults *faults;
        struct retl_sbx_ws_counts c;

        if (!ws) {
                struct retl_sbx_fault_conf fc = {.fc_error_status = 503, .fc_retry_after = 1};

                retl_sbx_arena_install();
                ws = ws_new();
                faults = retl_sbx_faults_new(&fc, 1);
        }
        /* each input starts from the configured workspace: runs reproduce */
        retl_sbx_ws_reset(ws);
        retl_sbx_faults_reset(faults);
        api_body(ws, data, size);
        admin_body(ws, faults, data, size);
        dump(ws);
        retl_sbx_ws_counts(ws, &c);
        return 0;
}
