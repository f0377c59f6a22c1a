/* Integration test 0408: the uploader's requests conform to Customer.io's
 * own OpenAPI document. Entities for every kind of row the mapping produces
 * (people by id and by email, update-only with deletions, objects with the
 * default and an explicit type, relationships added with attributes and
 * deleted, by id and by email) are put in a /api/v2/batch body and
 * validated by python3-jsonschema against the document's schema.
 * Env: RETL_ROOT, RETL_TEST_TMP; the document is read from
 * RETL_OPENAPI, else ../shared/reference/customerio-track-openapi.json. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "consumer/mapping.h"
#include "lib/cfg.h"

#define STR(n, v) {n, {.type = RETL_V_STRING, .u.s = {v, sizeof(v) - 1}}}
#define TXT(n, t, v) {n, {.type = t, .u.s = {v, sizeof(v) - 1}}}
#define LNG(n, v) {n, {.type = RETL_V_LONG, .u.l = v}}
#define BOOL(n, v) {n, {.type = RETL_V_BOOL, .u.b = v}}
#define NUL(n) {n, {.type = RETL_V_NULL}}

static struct retl_buf batch;
static int nentities;

static void add(const struct retl_sync_settings *s, enum retl_part part,
                const struct retl_column *cols, size_t n)
{
        struct retl_row row = {"r1", "s", part, 1, n, cols};
        struct retl_buf out;
        struct retl_mapped m;
        char why[512];

        retl_buf_init(&out, 0);
        if (retl_mapping_row(s, &row, &out, &m, why, sizeof(why)))
                fail_msg("mapping failed: %s", why);
        assert_int_equal(retl_buf_printf(&batch, "%s%s", nentities++ ? "," : "",
                                         retl_buf_str(&out)), 0);
        retl_mapped_free(&m);
        retl_buf_free(&out);
}

#define ADD(s, part, cols) add(s, part, cols, sizeof(cols) / sizeof(cols[0]))

static void test_batch_conforms(void **state)
{
        struct retl_sync_settings s;
        char openapi[1024], path[600], cmd[4096];
        FILE *f;
        int rc;
        const struct retl_column person[] = {
                LNG("id", 42), STR("email", "ada@example.com"), STR("first_name", "Ada"),
                BOOL("vip", 1), TXT("ltv", RETL_V_DECIMAL, "411.03"),
                TXT("signed_up", RETL_V_DATETIME, "2024-05-01T09:30:00"), NUL("phone")};
        const struct retl_column by_email[] = {STR("email", "grace@example.com"),
                                               STR("plan", "team")};
        const struct retl_column update_delete[] = {STR("id", "7"), NUL("phone"), STR("nick", "")};
        const struct retl_column object[] = {STR("object_id", "acme"), STR("name", "Acme"),
                                             LNG("employees", 250)};
        const struct retl_column object_typed[] = {LNG("object_id", 9), STR("object_type_id", "2"),
                                                   STR("name", "Course 9")};
        const struct retl_column rel_add[] = {LNG("id", 42), STR("object_id", "acme"),
                                              STR("role", "admin"), BOOL("deleted", 0)};
        const struct retl_column rel_del[] = {LNG("id", 42), STR("object_id", "acme"),
                                              BOOL("deleted", 1)};
        const struct retl_column rel_email[] = {STR("email", "grace@example.com"),
                                                STR("object_id", "9"),
                                                STR("object_type_id", "2")};

        snprintf(openapi, sizeof(openapi), "%s",
                 getenv("RETL_OPENAPI") ? getenv("RETL_OPENAPI") : "");
        if (!openapi[0])
                snprintf(openapi, sizeof(openapi),
                         "%s/../shared/reference/customerio-track-openapi.json",
                         getenv("RETL_ROOT"));
        if (access(openapi, R_OK))
                fail_msg("Customer.io's OpenAPI document is not at %s (set RETL_OPENAPI)", openapi);

        retl_buf_init(&batch, 0);
        assert_int_equal(retl_buf_puts(&batch, "{\"batch\":["), 0);
        memset(&s, 0, sizeof(s));
        s.import = RETL_IMPORT_PEOPLE;
        s.identify_by = RETL_IDENT_ID;
        s.object_type_id = "1";
        ADD(&s, RETL_PART_MAIN, person);
        ADD(&s, RETL_PART_RELATIONSHIPS, rel_add);
        ADD(&s, RETL_PART_RELATIONSHIPS, rel_del);
        s.update_only = 1;
        s.empty_values = RETL_EMPTY_DELETE;
        ADD(&s, RETL_PART_MAIN, update_delete);
        s.update_only = 0;
        s.empty_values = RETL_EMPTY_IGNORE;
        s.identify_by = RETL_IDENT_EMAIL;
        s.relationship_identify_by = RETL_IDENT_EMAIL;
        ADD(&s, RETL_PART_MAIN, by_email);
        ADD(&s, RETL_PART_RELATIONSHIPS, rel_email);
        s.import = RETL_IMPORT_OBJECTS;
        ADD(&s, RETL_PART_MAIN, object);
        ADD(&s, RETL_PART_MAIN, object_typed);
        assert_int_equal(retl_buf_puts(&batch, "]}"), 0);

        snprintf(path, sizeof(path), "%s/batch.json", getenv("RETL_TEST_TMP"));
        f = fopen(path, "w");
        assert_non_null(f);
        fputs(retl_buf_str(&batch), f);
        fclose(f);
        fprintf(stderr, "%s\n", retl_buf_str(&batch));
        snprintf(cmd, sizeof(cmd),
                 "/usr/bin/python3 %s/tests/tools/openapi_validate.py %s /api/v2/batch post %s",
                 getenv("RETL_ROOT"), openapi, path);
        rc = system(cmd);
        assert_true(WIFEXITED(rc));
        assert_int_equal(WEXITSTATUS(rc), 0);
        assert_int_equal(nentities, 8);
        retl_buf_free(&batch);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_batch_conforms),
        };
        return cmocka_run_group_tests_name("0408-openapi-conformance", tests, NULL, NULL);
}
