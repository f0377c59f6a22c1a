/* Unit tests: rows to Track API entities (consumer/mapping.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer/mapping.h"
#include "lib/cfg.h"

#define STR(n, v) {n, {.type = RETL_V_STRING, .u.s = {v, sizeof(v) - 1}}}
#define TXT(n, t, v) {n, {.type = t, .u.s = {v, sizeof(v) - 1}}}
#define LNG(n, v) {n, {.type = RETL_V_LONG, .u.l = v}}
#define DBL(n, v) {n, {.type = RETL_V_DOUBLE, .u.d = v}}
#define BOOL(n, v) {n, {.type = RETL_V_BOOL, .u.b = v}}
#define NUL(n) {n, {.type = RETL_V_NULL}}

static struct retl_sync_settings people(void)
{
        struct retl_sync_settings s;
        memset(&s, 0, sizeof(s));
        s.import = RETL_IMPORT_PEOPLE;
        s.identify_by = RETL_IDENT_ID;
        s.object_type_id = "1";
        return s;
}

/* Maps and compares; want NULL = the row must fail with @p reason_part. */
static void check(const struct retl_sync_settings *s, enum retl_part part,
                  const struct retl_column *cols, size_t n, const char *want,
                  const char *reason_part, int line)
{
        struct retl_row row = {"r1", "s", part, 7, n, cols};
        struct retl_buf out;
        struct retl_mapped m;
        char why[512] = "";
        int rc;

        retl_buf_init(&out, 0);
        rc = retl_mapping_row(s, &row, &out, &m, why, sizeof(why));
        if (want && rc)
                fail_msg("line %d: failed: %s", line, why);
        if (want && strcmp(retl_buf_str(&out), want))
                fail_msg("line %d:\n got  %s\n want %s", line, retl_buf_str(&out), want);
        if (!want && !rc)
                fail_msg("line %d: mapped to %s, expected failure", line, retl_buf_str(&out));
        if (!want && !strstr(why, reason_part))
                fail_msg("line %d: reason '%s' lacks '%s'", line, why, reason_part);
        retl_mapped_free(&m);
        retl_buf_free(&out);
}

#define OK(s, part, cols, want) check(s, part, cols, sizeof(cols) / sizeof(cols[0]), want, NULL, __LINE__)
#define FAILS(s, part, cols, why) check(s, part, cols, sizeof(cols) / sizeof(cols[0]), NULL, why, __LINE__)

static void test_people(void **state)
{
        struct retl_sync_settings s = people();
        const struct retl_column c1[] = {LNG("id", 42), STR("email", "ada@example.com"),
                                         STR("name", "Ada \"L\""), NUL("phone"), STR("nick", ""),
                                         BOOL("vip", 1), DBL("score", 0.5),
                                         TXT("balance", RETL_V_DECIMAL, "0012.340"),
                                         TXT("born", RETL_V_DATE, "1815-12-10"),
                                         TXT("u", RETL_V_UUID, "6F9619FF-8B86-D011-B42D-00C04FC964FF"),
                                         {"raw", {.type = RETL_V_BYTES, .u.s = {"\x00\xff", 2}}}};
        OK(&s, RETL_PART_MAIN, c1,
           "{\"type\":\"person\",\"identifiers\":{\"id\":\"42\"},\"action\":\"identify\","
           "\"attributes\":{\"email\":\"ada@example.com\",\"name\":\"Ada \\\"L\\\"\","
           "\"vip\":true,\"score\":0.5,\"balance\":12.340,\"born\":\"1815-12-10\","
           "\"u\":\"6F9619FF-8B86-D011-B42D-00C04FC964FF\",\"raw\":\"AP8=\"}}");
        s.empty_values = RETL_EMPTY_DELETE;
        s.update_only = 1;
        {
                const struct retl_column c[] = {STR("ID", "u1"), NUL("phone"), STR("nick", "")};
                OK(&s, RETL_PART_MAIN, c,
                   "{\"type\":\"person\",\"identifiers\":{\"id\":\"u1\"},\"action\":\"identify\","
                   "\"attributes\":{\"phone\":null,\"nick\":null,\"_update\":true}}");
        }
        /* delete: a person's identifier attributes are never sent as null
         * (the workspace refuses to remove them and fails the row) */
        s = people();
        s.empty_values = RETL_EMPTY_DELETE;
        {
                const struct retl_column c[] = {LNG("id", 7), NUL("email"), STR("CIO_ID", ""),
                                                NUL("phone"), STR("name", "Ada")};
                OK(&s, RETL_PART_MAIN, c,
                   "{\"type\":\"person\",\"identifiers\":{\"id\":\"7\"},\"action\":\"identify\","
                   "\"attributes\":{\"phone\":null,\"name\":\"Ada\"}}");
        }
        s.identify_by = RETL_IDENT_EMAIL;
        {
                const struct retl_column c[] = {STR("email", "a@example.com"), NUL("Id"),
                                                STR("Email2", ""), NUL("cio_id")};
                OK(&s, RETL_PART_MAIN, c,
                   "{\"type\":\"person\",\"identifiers\":{\"email\":\"a@example.com\"},"
                   "\"action\":\"identify\",\"attributes\":{\"Email2\":null}}");
        }
        s.identify_by = RETL_IDENT_ID;
        s.empty_values = RETL_EMPTY_IGNORE;
        {
                const struct retl_column c[] = {LNG("id", 7), NUL("email"), NUL("phone")};
                OK(&s, RETL_PART_MAIN, c,
                   "{\"type\":\"person\",\"identifiers\":{\"id\":\"7\"},\"action\":\"identify\","
                   "\"attributes\":{}}");
        }
        s = people();
        {
                /* an empty binary is an empty value: left alone under ignore */
                const struct retl_column c[] = {STR("id", "u2"),
                                                {"raw", {.type = RETL_V_BYTES, .u.s = {"", 0}}},
                                                STR("plan", "team")};
                OK(&s, RETL_PART_MAIN, c,
                   "{\"type\":\"person\",\"identifiers\":{\"id\":\"u2\"},\"action\":\"identify\","
                   "\"attributes\":{\"plan\":\"team\"}}");
        }
        s.identify_by = RETL_IDENT_EMAIL;
        {
                const struct retl_column c[] = {STR("email", "Ada@Example.com"), LNG("id", 5)};
                OK(&s, RETL_PART_MAIN, c,
                   "{\"type\":\"person\",\"identifiers\":{\"email\":\"Ada@Example.com\"},"
                   "\"action\":\"identify\",\"attributes\":{\"id\":5}}");
        }
}

static void test_people_failures(void **state)
{
        struct retl_sync_settings s = people();
        const struct retl_column noid[] = {STR("name", "x")};
        const struct retl_column nullid[] = {NUL("id"), STR("name", "x")};
        const struct retl_column emptyid[] = {STR("id", ""), STR("name", "x")};
        const struct retl_column badtype[] = {DBL("id", 1.5)};
        const struct retl_column badattr[] = {STR("id", "1"), STR("email", "not-an-email")};
        const struct retl_column nan[] = {STR("id", "1"), DBL("x", NAN)};
        const struct retl_column inf[] = {STR("id", "1"), DBL("x", INFINITY)};
        const struct retl_column utf[] = {STR("id", "1"), STR("x", "\xc3\x28")};
        const struct retl_column baddec[] = {STR("id", "1"), TXT("x", RETL_V_DECIMAL, "1e9")};
        const struct retl_column bademail[] = {STR("email", "a@b")};
        static char big[40000];
        struct retl_column huge[] = {STR("id", "1"), {"blob", {.type = RETL_V_STRING}}};

        FAILS(&s, RETL_PART_MAIN, noid, "no id column");
        FAILS(&s, RETL_PART_MAIN, nullid, "id is empty");
        FAILS(&s, RETL_PART_MAIN, emptyid, "id is empty");
        FAILS(&s, RETL_PART_MAIN, badtype, "cannot be an identifier");
        FAILS(&s, RETL_PART_MAIN, badattr, "invalid email");
        FAILS(&s, RETL_PART_MAIN, nan, "JSON cannot carry");
        FAILS(&s, RETL_PART_MAIN, inf, "JSON cannot carry");
        FAILS(&s, RETL_PART_MAIN, utf, "not valid UTF-8");
        FAILS(&s, RETL_PART_MAIN, baddec, "not a decimal");
        memset(big, 'x', sizeof(big));
        huge[1].value.u.s.ptr = big;
        huge[1].value.u.s.len = sizeof(big);
        FAILS(&s, RETL_PART_MAIN, huge, "over 32768 bytes");
        {
                /* a value the extractor kept out of Kafka for its size */
                const struct retl_column over[] = {STR("id", "1"),
                                                   {"bio", {.type = RETL_V_OVERSIZE, .u.l = 1048576}}};
                FAILS(&s, RETL_PART_MAIN, over, "column 'bio' alone is 1048576 bytes");
        }
        s.identify_by = RETL_IDENT_EMAIL;
        FAILS(&s, RETL_PART_MAIN, bademail, "invalid email");
}

static void test_objects(void **state)
{
        struct retl_sync_settings s = people();
        const struct retl_column c1[] = {STR("object_id", "acme"), STR("name", "Acme")};
        const struct retl_column c2[] = {LNG("object_id", 9), STR("object_type_id", "3"),
                                         LNG("employees", 12)};
        const struct retl_column bad[] = {STR("object_id", "x"), STR("object_type_id", "co")};
        const struct retl_column none[] = {STR("name", "x")};

        s.import = RETL_IMPORT_OBJECTS;
        OK(&s, RETL_PART_MAIN, c1,
           "{\"type\":\"object\",\"identifiers\":{\"object_type_id\":\"1\",\"object_id\":\"acme\"},"
           "\"action\":\"identify\",\"attributes\":{\"name\":\"Acme\"}}");
        s.object_type_id = "2";
        OK(&s, RETL_PART_MAIN, c1,
           "{\"type\":\"object\",\"identifiers\":{\"object_type_id\":\"2\",\"object_id\":\"acme\"},"
           "\"action\":\"identify\",\"attributes\":{\"name\":\"Acme\"}}");
        OK(&s, RETL_PART_MAIN, c2,
           "{\"type\":\"object\",\"identifiers\":{\"object_type_id\":\"3\",\"object_id\":\"9\"},"
           "\"action\":\"identify\",\"attributes\":{\"employees\":12}}");
        FAILS(&s, RETL_PART_MAIN, bad, "not a number");
        FAILS(&s, RETL_PART_MAIN, none, "no object_id");
        /* an object's email is an ordinary attribute: delete removes it */
        s.empty_values = RETL_EMPTY_DELETE;
        {
                const struct retl_column c[] = {STR("object_id", "acme"), NUL("email")};
                OK(&s, RETL_PART_MAIN, c,
                   "{\"type\":\"object\",\"identifiers\":{\"object_type_id\":\"2\","
                   "\"object_id\":\"acme\"},\"action\":\"identify\",\"attributes\":{\"email\":null}}");
        }
}

static void test_relationships(void **state)
{
        struct retl_sync_settings s = people();
        const struct retl_column add[] = {STR("id", "p1"), STR("object_id", "acme"),
                                          BOOL("deleted", 0), STR("role", "admin")};
        const struct retl_column del[] = {STR("id", "p1"), STR("object_id", "acme"),
                                          STR("object_type_id", "2"), BOOL("deleted", 1)};
        const struct retl_column byemail[] = {STR("email", "x@example.com"), LNG("object_id", 4)};
        const struct retl_column noobj[] = {STR("id", "p1")};

        OK(&s, RETL_PART_RELATIONSHIPS, add,
           "{\"type\":\"person\",\"identifiers\":{\"id\":\"p1\"},\"action\":\"add_relationships\","
           "\"cio_relationships\":[{\"identifiers\":{\"object_type_id\":\"1\",\"object_id\":\"acme\"},"
           "\"relationship_attributes\":{\"role\":\"admin\"}}]}");
        OK(&s, RETL_PART_RELATIONSHIPS, del,
           "{\"type\":\"person\",\"identifiers\":{\"id\":\"p1\"},\"action\":\"delete_relationships\","
           "\"cio_relationships\":[{\"identifiers\":{\"object_type_id\":\"2\",\"object_id\":\"acme\"}}]}");
        s.relationship_identify_by = RETL_IDENT_EMAIL;
        OK(&s, RETL_PART_RELATIONSHIPS, byemail,
           "{\"type\":\"person\",\"identifiers\":{\"email\":\"x@example.com\"},\"action\":"
           "\"add_relationships\",\"cio_relationships\":[{\"identifiers\":{\"object_type_id\":\"1\","
           "\"object_id\":\"4\"}}]}");
        s.relationship_identify_by = RETL_IDENT_ID;
        FAILS(&s, RETL_PART_RELATIONSHIPS, noobj, "no object_id");
}

static void test_keys(void **state)
{
        struct retl_sync_settings s = people();
        const struct retl_column a[] = {STR("email", "Ada@Example.com")};
        const struct retl_column b[] = {STR("email", "ada@example.com")};
        struct retl_row ra = {"r", "s", RETL_PART_MAIN, 1, 1, a}, rb = ra;
        struct retl_buf out;
        struct retl_mapped ma, mb;
        char why[256];

        rb.columns = b;
        s.identify_by = RETL_IDENT_EMAIL;
        retl_buf_init(&out, 0);
        assert_int_equal(retl_mapping_row(&s, &ra, &out, &ma, why, sizeof(why)), 0);
        assert_int_equal(retl_mapping_row(&s, &rb, &out, &mb, why, sizeof(why)), 0);
        /* emails compare case-insensitively: one person, one key */
        assert_true(ma.keys[0] == mb.keys[0]);
        assert_string_equal(ma.ident, "Ada@Example.com");
        /* and one row-state identity: kind NUL lower-cased email */
        assert_int_equal(ma.state_id_len, 6 + 1 + 15);
        assert_memory_equal(ma.state_id, "pemail\0ada@example.com", ma.state_id_len);
        assert_memory_equal(ma.state_id, mb.state_id, ma.state_id_len);
        retl_mapped_free(&ma);
        retl_mapped_free(&mb);
        retl_buf_free(&out);
}

/* A mapped row's state id gives the entity that deletes it, with the same
 * entity keys (so the delete waits behind any row of the same entity). */
static void check_delete(const struct retl_sync_settings *s, enum retl_part part,
                         const struct retl_column *cols, size_t n, const char *want, int line)
{
        struct retl_row row = {"r1", "s", part, 7, n, cols};
        struct retl_buf out;
        struct retl_mapped m, d;
        char why[512] = "";

        retl_buf_init(&out, 0);
        if (retl_mapping_row(s, &row, &out, &m, why, sizeof(why)))
                fail_msg("line %d: row failed: %s", line, why);
        if (retl_mapping_delete(m.state_id, m.state_id_len, &out, &d, why, sizeof(why)))
                fail_msg("line %d: delete failed: %s", line, why);
        if (strcmp(retl_buf_str(&out), want))
                fail_msg("line %d:\n got  %s\n want %s", line, retl_buf_str(&out), want);
        assert_int_equal(d.nkeys, m.nkeys);
        for (int k = 0; k < m.nkeys; k++)
                assert_true(d.keys[k] == m.keys[k]);
        assert_int_equal(d.state_id_len, m.state_id_len);
        assert_memory_equal(d.state_id, m.state_id, m.state_id_len);
        retl_mapped_free(&m);
        retl_mapped_free(&d);
        retl_buf_free(&out);
}

#define DEL(s, part, cols, want) check_delete(s, part, cols, sizeof(cols) / sizeof(cols[0]), want, __LINE__)

static void test_deletes(void **state)
{
        struct retl_sync_settings s = people();
        const struct retl_column person[] = {STR("id", "p1"), STR("plan", "pro")};
        const struct retl_column byemail[] = {STR("email", "Ada@Example.com")};
        const struct retl_column object[] = {STR("object_id", "acme:eu"), LNG("object_type_id", 2)};
        const struct retl_column rel[] = {STR("id", "p1"), STR("object_id", "acme")};
        struct retl_buf out;
        struct retl_mapped d;
        char why[256];

        (void)state;
        DEL(&s, RETL_PART_MAIN, person,
            "{\"type\":\"person\",\"identifiers\":{\"id\":\"p1\"},\"action\":\"delete\"}");
        DEL(&s, RETL_PART_RELATIONSHIPS, rel,
            "{\"type\":\"person\",\"identifiers\":{\"id\":\"p1\"},\"action\":"
            "\"delete_relationships\",\"cio_relationships\":[{\"identifiers\":{\"object_type_id\":"
            "\"1\",\"object_id\":\"acme\"}}]}");
        s.identify_by = RETL_IDENT_EMAIL;
        /* the state keeps the email lower-cased: the workspace compares so */
        DEL(&s, RETL_PART_MAIN, byemail,
            "{\"type\":\"person\",\"identifiers\":{\"email\":\"ada@example.com\"},\"action\":"
            "\"delete\"}");
        s.import = RETL_IMPORT_OBJECTS;
        /* an object id may hold ':' itself: the type is what comes before the first */
        DEL(&s, RETL_PART_MAIN, object,
            "{\"type\":\"object\",\"identifiers\":{\"object_type_id\":\"2\",\"object_id\":"
            "\"acme:eu\"},\"action\":\"delete\"}");
        retl_buf_init(&out, 0);
        assert_int_equal(retl_mapping_delete("what\0x", 6, &out, &d, why, sizeof(why)), -1);
        assert_non_null(strstr(why, "names no entity"));
        assert_int_equal(retl_mapping_delete("rid\0p1", 6, &out, &d, why, sizeof(why)), -1);
        assert_int_equal(retl_mapping_delete("obj\0nocolon", 11, &out, &d, why, sizeof(why)), -1);
        retl_buf_free(&out);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_people),
                cmocka_unit_test(test_people_failures),
                cmocka_unit_test(test_objects),
                cmocka_unit_test(test_relationships),
                cmocka_unit_test(test_keys),
                cmocka_unit_test(test_deletes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
