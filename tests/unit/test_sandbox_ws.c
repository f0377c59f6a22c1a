/* retl — unit tests: the sandbox workspace's rules, its hash map, its fault
 * injector and its SQLite state (no network). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sandbox/track/sbx_faults.h"
#include "sandbox/track/sbx_map.h"
#include "sandbox/track/sbx_ws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOW 1700000000000LL

static struct retl_sbx_ws *ws_with(int ids, int allow_email_update)
{
        static const long types[] = {1, 2};
        static const long segs[] = {10, 11};
        static const char *const sup_ids[] = {"99"};
        static const char *const sup_emails[] = {"Blocked@Example.com"};
        struct retl_sbx_ws_conf wc = {
                .wc_identifiers = ids,
                .wc_allow_email_update_by_id = allow_email_update,
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

        assert_non_null(ws);
        return ws;
}

/* Applies one entity written as JSON; returns 0 or -1 like the call. */
static int apply(struct retl_sbx_ws *ws, const char *json, struct retl_sbx_outcome *o)
{
        json_error_t jerr;
        json_t *e = json_loads(json, 0, &jerr);
        struct retl_sbx_outcome tmp;
        int rc;

        if (!e)
                fail_msg("bad test JSON: %s: %s", json, jerr.text);
        rc = retl_sbx_ws_apply(ws, e, NOW, o ? o : &tmp);
        json_decref(e);
        return rc;
}

#define ACCEPT(ws, json)                                                                     \
        do {                                                                                 \
                struct retl_sbx_outcome o_;                                                  \
                if (apply((ws), (json), &o_))                                                \
                        fail_msg("rejected (%s: %s, %s): %s", o_.so_reason, o_.so_field,    \
                                 o_.so_message, (json));                                     \
        } while (0)

#define REJECT(ws, json, reason)                                                             \
        do {                                                                                 \
                struct retl_sbx_outcome o_;                                                  \
                if (!apply((ws), (json), &o_))                                               \
                        fail_msg("accepted, expected %s: %s", (reason), (json));             \
                if (strcmp(o_.so_reason, (reason)))                                          \
                        fail_msg("reason '%s' (%s), expected '%s': %s", o_.so_reason,        \
                                 o_.so_message, (reason), (json));                           \
        } while (0)

/* The person found by id/email as JSON (new reference), or NULL. */
static json_t *person(struct retl_sbx_ws *ws, enum retl_sbx_id_type by, const char *v)
{
        return retl_sbx_ws_person_json(ws, by, v);
}

static size_t people(struct retl_sbx_ws *ws)
{
        struct retl_sbx_ws_counts c;

        retl_sbx_ws_counts(ws, &c);
        return c.people;
}

/* ------------------------------------------------------------------ */

static void test_identify_create_update(void **state)
{
        struct retl_sbx_ws *ws = ws_with(RETL_SBX_IDS_BOTH, 0);
        json_t *p, *a;

        (void)state;
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"42\"},\"action\":\"identify\","
                   "\"attributes\":{\"email\":\"Jane@Example.com\",\"n\":3,\"r\":2.5,\"b\":false,"
                   "\"s\":\"x\",\"o\":{\"k\":[1,\"2\",null]},\"arr\":[true]}}");
        p = person(ws, RETL_SBX_BY_ID, "42");
        assert_non_null(p);
        assert_string_equal(json_string_value(json_object_get(p, "cio_id")), "a0000001");
        assert_string_equal(json_string_value(json_object_get(p, "email")), "Jane@Example.com");
        assert_int_equal(json_integer_value(json_object_get(p, "updates")), 1);
        assert_int_equal(json_integer_value(json_object_get(p, "created_at_ms")), NOW);
        a = json_object_get(p, "attributes");
        /* JSON types are kept; identifiers are not attributes */
        assert_true(json_is_integer(json_object_get(a, "n")));
        assert_true(json_is_real(json_object_get(a, "r")));
        assert_true(json_is_false(json_object_get(a, "b")));
        assert_true(json_is_string(json_object_get(a, "s")));
        assert_true(json_is_object(json_object_get(a, "o")));
        assert_true(json_is_array(json_object_get(a, "arr")));
        assert_null(json_object_get(a, "email"));
        assert_null(json_object_get(a, "id"));
        json_decref(p);
        /* found by email, case-insensitively; update removes with null and "" */
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"email\":\"jane@example.COM\"},"
                   "\"action\":\"identify\",\"attributes\":{\"n\":null,\"s\":\"\",\"new\":1}}");
        assert_int_equal(people(ws), 1);
        p = person(ws, RETL_SBX_BY_EMAIL, "JANE@example.com");
        assert_non_null(p);
        a = json_object_get(p, "attributes");
        assert_null(json_object_get(a, "n"));
        assert_null(json_object_get(a, "s"));
        assert_int_equal(json_integer_value(json_object_get(a, "new")), 1);
        assert_true(json_is_real(json_object_get(a, "r")));
        assert_int_equal(json_integer_value(json_object_get(p, "updates")), 2);
        json_decref(p);
        /* numeric ids are taken as their decimal text */
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":7},\"action\":\"identify\"}");
        p = person(ws, RETL_SBX_BY_ID, "7");
        assert_non_null(p);
        json_decref(p);
        retl_sbx_ws_destroy(ws);
}

static void test_identifier_shapes(void **state)
{
        struct retl_sbx_ws *ws = ws_with(RETL_SBX_IDS_BOTH, 0);

        (void)state;
        REJECT(ws, "{\"type\":\"person\",\"action\":\"identify\"}", RETL_SBX_R_REQUIRED);
        REJECT(ws, "{\"type\":\"person\",\"identifiers\":{},\"action\":\"identify\"}",
               RETL_SBX_R_INVALID);
        REJECT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"1\",\"email\":\"a@b.co\"},"
                   "\"action\":\"identify\"}", RETL_SBX_R_INVALID);
        REJECT(ws, "{\"type\":\"person\",\"identifiers\":{\"phone\":\"+1555\"},"
                   "\"action\":\"identify\"}", RETL_SBX_R_UNSUPPORTED);
        REJECT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"\"},\"action\":\"identify\"}",
               RETL_SBX_R_INVALID);
        REJECT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":true},\"action\":\"identify\"}",
               RETL_SBX_R_INVALID);
        REJECT(ws, "{\"type\":\"person\",\"identifiers\":{\"email\":\"not-an-email\"},"
                   "\"action\":\"identify\"}", RETL_SBX_R_INVALID);
        REJECT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"1\"},\"action\":\"identify\","
                   "\"attributes\":[1]}", RETL_SBX_R_INVALID);
        REJECT(ws, "{\"identifiers\":{\"id\":\"1\"},\"action\":\"identify\"}", RETL_SBX_R_REQUIRED);
        REJECT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"1\"}}", RETL_SBX_R_REQUIRED);
        REJECT(ws, "{\"type\":\"robot\",\"identifiers\":{\"id\":\"1\"},\"action\":\"identify\"}",
               RETL_SBX_R_INVALID);
        REJECT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"1\"},\"action\":\"fly\"}",
               RETL_SBX_R_INVALID);
        REJECT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"1\"},\"action\":\"event\","
                   "\"name\":\"x\"}", RETL_SBX_R_UNSUPPORTED);
        /* a cio_id cannot create people */
        REJECT(ws, "{\"type\":\"person\",\"identifiers\":{\"cio_id\":\"a0000099\"},"
                   "\"action\":\"identify\"}", RETL_SBX_R_NOT_FOUND);
        assert_int_equal(people(ws), 0);
        retl_sbx_ws_destroy(ws);
}

static void test_unique_identifiers(void **state)
{
        struct retl_sbx_ws *ws = ws_with(RETL_SBX_IDS_BOTH, 0);
        struct retl_sbx_outcome o;
        json_t *p;

        (void)state;
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"1\"},\"action\":\"identify\","
                   "\"attributes\":{\"email\":\"one@example.com\"}}");
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"2\"},\"action\":\"identify\"}");
        /* an email that belongs to another person, in another case */
        assert_int_equal(apply(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"2\"},"
                                   "\"action\":\"identify\",\"attributes\":"
                                   "{\"email\":\"ONE@example.com\",\"x\":1}}", &o), -1);
        assert_string_equal(o.so_reason, RETL_SBX_R_ATTR);
        assert_string_equal(o.so_field, "attributes.email");
        assert_non_null(strstr(o.so_message, "already belongs to another person"));
        /* all or nothing: x was not set either */
        p = person(ws, RETL_SBX_BY_ID, "2");
        assert_null(json_object_get(json_object_get(p, "attributes"), "x"));
        assert_true(json_is_null(json_object_get(p, "email")));
        json_decref(p);
        /* a new person identified by email, claiming another person's id */
        REJECT(ws, "{\"type\":\"person\",\"identifiers\":{\"email\":\"new@example.com\"},"
                   "\"action\":\"identify\",\"attributes\":{\"id\":\"1\"}}", RETL_SBX_R_ATTR);
        assert_int_equal(people(ws), 2);
        retl_sbx_ws_destroy(ws);
}

/* Emails match case-insensitively; the stored spelling is the last one sent,
 * whether in identifiers or in attributes (issue #16). */
static void test_email_spelling(void **state)
{
        struct retl_sbx_ws *ws = ws_with(RETL_SBX_IDS_BOTH, 0);
        json_t *p;

        (void)state;
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"email\":\"Case@Example.com\"},"
                   "\"action\":\"identify\"}");
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"email\":\"case@example.com\"},"
                   "\"action\":\"identify\",\"attributes\":{\"n\":1}}");
        assert_int_equal(people(ws), 1);
        p = person(ws, RETL_SBX_BY_EMAIL, "CASE@EXAMPLE.COM");
        assert_non_null(p);
        assert_string_equal(json_string_value(json_object_get(p, "email")), "case@example.com");
        assert_int_equal(json_integer_value(json_object_get(p, "updates")), 2);
        json_decref(p);
        /* and back, in attributes of the same person addressed by email */
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"email\":\"case@example.com\"},"
                   "\"action\":\"identify\",\"attributes\":{\"email\":\"CASE@example.com\"}}");
        p = person(ws, RETL_SBX_BY_EMAIL, "case@example.com");
        assert_non_null(p);
        assert_string_equal(json_string_value(json_object_get(p, "email")), "CASE@example.com");
        json_decref(p);
        /* addressed by id, a re-spelled email is not a change of email */
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"5\"},\"action\":\"identify\","
                   "\"attributes\":{\"email\":\"Mixed@Example.com\"}}");
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"5\"},\"action\":\"identify\","
                   "\"attributes\":{\"email\":\"mixed@example.COM\"}}");
        p = person(ws, RETL_SBX_BY_ID, "5");
        assert_string_equal(json_string_value(json_object_get(p, "email")), "mixed@example.COM");
        json_decref(p);
        assert_int_equal(people(ws), 2);
        retl_sbx_ws_destroy(ws);
}

static void test_immutable_identifiers(void **state)
{
        struct retl_sbx_ws *ws = ws_with(RETL_SBX_IDS_BOTH, 0);
        json_t *p;

        (void)state;
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"1\"},\"action\":\"identify\","
                   "\"attributes\":{\"email\":\"a@example.com\"}}");
        /* same email, other case: not a change */
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"1\"},\"action\":\"identify\","
                   "\"attributes\":{\"email\":\"A@EXAMPLE.com\"}}");
        /* email change through id: refused without the setting */
        REJECT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"1\"},\"action\":\"identify\","
                   "\"attributes\":{\"email\":\"b@example.com\"}}", RETL_SBX_R_ATTR);
        /* id change through email */
        REJECT(ws, "{\"type\":\"person\",\"identifiers\":{\"email\":\"a@example.com\"},"
                   "\"action\":\"identify\",\"attributes\":{\"id\":\"2\"}}", RETL_SBX_R_ATTR);
        /* identifiers vs attributes disagreeing on a new person */
        REJECT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"5\"},\"action\":\"identify\","
                   "\"attributes\":{\"id\":\"6\"}}", RETL_SBX_R_ATTR);
        /* removing a set identifier */
        REJECT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"1\"},\"action\":\"identify\","
                   "\"attributes\":{\"email\":null}}", RETL_SBX_R_ATTR);
        REJECT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"1\"},\"action\":\"identify\","
                   "\"attributes\":{\"email\":\"\"}}", RETL_SBX_R_ATTR);
        /* an invalid email attribute is a failed attribute change */
        REJECT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"3\"},\"action\":\"identify\","
                   "\"attributes\":{\"email\":\"john..doe@example.com\"}}", RETL_SBX_R_ATTR);
        /* a cio_id may change both */
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"cio_id\":\"a0000001\"},"
                   "\"action\":\"identify\",\"attributes\":{\"id\":\"10\","
                   "\"email\":\"c@example.com\"}}");
        p = person(ws, RETL_SBX_BY_ID, "10");
        assert_non_null(p);
        assert_string_equal(json_string_value(json_object_get(p, "email")), "c@example.com");
        json_decref(p);
        assert_null(person(ws, RETL_SBX_BY_ID, "1"));
        assert_null(person(ws, RETL_SBX_BY_EMAIL, "a@example.com"));
        retl_sbx_ws_destroy(ws);
}

static void test_email_update_by_id(void **state)
{
        struct retl_sbx_ws *ws = ws_with(RETL_SBX_IDS_BOTH, 1);
        json_t *p;

        (void)state;
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"1\"},\"action\":\"identify\","
                   "\"attributes\":{\"email\":\"a@example.com\"}}");
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"1\"},\"action\":\"identify\","
                   "\"attributes\":{\"email\":\"b@example.com\"}}");
        p = person(ws, RETL_SBX_BY_EMAIL, "b@example.com");
        assert_non_null(p);
        assert_string_equal(json_string_value(json_object_get(p, "id")), "1");
        json_decref(p);
        assert_null(person(ws, RETL_SBX_BY_EMAIL, "a@example.com"));
        /* the old email is free again */
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"email\":\"a@example.com\"},"
                   "\"action\":\"identify\"}");
        /* still unique, still not through email, still not the id */
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"2\"},\"action\":\"identify\","
                   "\"attributes\":{\"email\":\"c@example.com\"}}");
        REJECT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"2\"},\"action\":\"identify\","
                   "\"attributes\":{\"email\":\"b@example.com\"}}", RETL_SBX_R_ATTR);
        REJECT(ws, "{\"type\":\"person\",\"identifiers\":{\"email\":\"c@example.com\"},"
                   "\"action\":\"identify\",\"attributes\":{\"email\":\"d@example.com\"}}",
               RETL_SBX_R_ATTR);
        REJECT(ws, "{\"type\":\"person\",\"identifiers\":{\"email\":\"c@example.com\"},"
                   "\"action\":\"identify\",\"attributes\":{\"id\":\"3\"}}", RETL_SBX_R_ATTR);
        retl_sbx_ws_destroy(ws);
}

static void test_identifier_settings(void **state)
{
        struct retl_sbx_ws *ws = ws_with(RETL_SBX_IDS_ID, 0);
        json_t *p;
        size_t changed, ignored;
        json_t *ids = json_pack("[s]", "x@example.com");

        (void)state;
        /* id only: email is no identifier, not unique, may change */
        REJECT(ws, "{\"type\":\"person\",\"identifiers\":{\"email\":\"x@example.com\"},"
                   "\"action\":\"identify\"}", RETL_SBX_R_INVALID);
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"1\"},\"action\":\"identify\","
                   "\"attributes\":{\"email\":\"x@example.com\"}}");
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"2\"},\"action\":\"identify\","
                   "\"attributes\":{\"email\":\"x@example.com\"}}");
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"2\"},\"action\":\"identify\","
                   "\"attributes\":{\"email\":\"y@example.com\"}}");
        /* but still a valid address */
        REJECT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"2\"},\"action\":\"identify\","
                   "\"attributes\":{\"email\":\"nope\"}}", RETL_SBX_R_ATTR);
        p = person(ws, RETL_SBX_BY_EMAIL, "y@example.com");
        assert_non_null(p);
        json_decref(p);
        assert_int_equal(retl_sbx_ws_segment_change(ws, 10, 1, RETL_SBX_BY_EMAIL, ids, &changed,
                                                    &ignored), RETL_SBX_EIDTYPE);
        retl_sbx_ws_destroy(ws);

        ws = ws_with(RETL_SBX_IDS_EMAIL, 0);
        REJECT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"1\"},\"action\":\"identify\"}",
               RETL_SBX_R_INVALID);
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"email\":\"a@example.com\"},"
                   "\"action\":\"identify\",\"attributes\":{\"id\":\"1\"}}");
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"email\":\"b@example.com\"},"
                   "\"action\":\"identify\",\"attributes\":{\"id\":\"1\"}}");
        assert_int_equal(people(ws), 2);
        retl_sbx_ws_destroy(ws);
        json_decref(ids);
}

static void test_update_only(void **state)
{
        struct retl_sbx_ws *ws = ws_with(RETL_SBX_IDS_BOTH, 0);
        struct retl_sbx_outcome o;
        json_t *p;

        (void)state;
        assert_int_equal(apply(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"1\"},"
                                   "\"action\":\"identify\",\"attributes\":{\"_update\":true,"
                                   "\"a\":1}}", &o), 0);
        assert_true(o.so_noop);
        assert_int_equal(people(ws), 0);
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"1\"},\"action\":\"identify\"}");
        assert_int_equal(apply(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"1\"},"
                                   "\"action\":\"identify\",\"attributes\":{\"_update\":true,"
                                   "\"a\":1}}", &o), 0);
        assert_false(o.so_noop);
        p = person(ws, RETL_SBX_BY_ID, "1");
        assert_int_equal(json_integer_value(json_object_get(json_object_get(p, "attributes"),
                                                            "a")), 1);
        /* _update itself is no attribute */
        assert_null(json_object_get(json_object_get(p, "attributes"), "_update"));
        json_decref(p);
        retl_sbx_ws_destroy(ws);
}

static void test_suppressed(void **state)
{
        struct retl_sbx_ws *ws = ws_with(RETL_SBX_IDS_BOTH, 0);
        struct retl_sbx_outcome o;

        (void)state;
        assert_int_equal(apply(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"99\"},"
                                   "\"action\":\"identify\"}", &o), -1);
        assert_string_equal(o.so_reason, RETL_SBX_R_SUPPRESSED);
        assert_string_equal(o.so_message, "person is suppressed");
        REJECT(ws, "{\"type\":\"person\",\"identifiers\":{\"email\":\"blocked@example.COM\"},"
                   "\"action\":\"identify\"}", RETL_SBX_R_SUPPRESSED);
        /* a suppressed email set through an id */
        REJECT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"5\"},\"action\":\"identify\","
                   "\"attributes\":{\"email\":\"blocked@example.com\"}}", RETL_SBX_R_SUPPRESSED);
        /* suppressed later: an existing person */
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"6\"},\"action\":\"identify\","
                   "\"attributes\":{\"email\":\"six@example.com\"}}");
        assert_int_equal(retl_sbx_ws_suppress(ws, "email", "SIX@example.com", 1), 0);
        REJECT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"6\"},\"action\":\"identify\"}",
               RETL_SBX_R_SUPPRESSED);
        assert_int_equal(retl_sbx_ws_suppress(ws, "email", "six@example.com", 0), 0);
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"6\"},\"action\":\"identify\"}");
        assert_int_equal(retl_sbx_ws_suppress(ws, "email", "bad", 1), RETL_SBX_EINVAL);
        assert_int_equal(retl_sbx_ws_suppress(ws, "phone", "1", 1), RETL_SBX_EINVAL);
        /* the Track API's suppress action deletes and suppresses */
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"6\"},\"action\":\"suppress\"}");
        assert_null(person(ws, RETL_SBX_BY_ID, "6"));
        REJECT(ws, "{\"type\":\"person\",\"identifiers\":{\"email\":\"six@example.com\"},"
                   "\"action\":\"identify\"}", RETL_SBX_R_SUPPRESSED);
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"6\"},\"action\":\"unsuppress\"}");
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"6\"},\"action\":\"identify\"}");
        retl_sbx_ws_destroy(ws);
}

static void test_objects_relationships(void **state)
{
        struct retl_sbx_ws *ws = ws_with(RETL_SBX_IDS_BOTH, 0);
        json_t *j, *r;

        (void)state;
        REJECT(ws, "{\"type\":\"object\",\"identifiers\":{\"object_type_id\":\"3\","
                   "\"object_id\":\"acme\"},\"action\":\"identify\"}", RETL_SBX_R_INVALID);
        REJECT(ws, "{\"type\":\"object\",\"identifiers\":{\"object_type_id\":\"x\","
                   "\"object_id\":\"acme\"},\"action\":\"identify\"}", RETL_SBX_R_INVALID);
        REJECT(ws, "{\"type\":\"object\",\"identifiers\":{\"object_type_id\":\"1\"},"
                   "\"action\":\"identify\"}", RETL_SBX_R_REQUIRED);
        ACCEPT(ws, "{\"type\":\"object\",\"identifiers\":{\"object_type_id\":\"2\","
                   "\"object_id\":\"acme\"},\"action\":\"identify\",\"attributes\":"
                   "{\"name\":\"Acme\",\"seats\":50}}");
        ACCEPT(ws, "{\"type\":\"object\",\"identifiers\":{\"object_type_id\":2,"
                   "\"object_id\":\"acme\"},\"action\":\"identify\",\"attributes\":"
                   "{\"seats\":\"\"}}");
        j = retl_sbx_ws_objects_json(ws, "2", "acme", 0, 0);
        assert_int_equal(json_integer_value(json_object_get(j, "count")), 1);
        r = json_array_get(json_object_get(j, "objects"), 0);
        assert_string_equal(json_string_value(json_object_get(json_object_get(r, "attributes"),
                                                              "name")), "Acme");
        assert_null(json_object_get(json_object_get(r, "attributes"), "seats"));
        assert_int_equal(json_integer_value(json_object_get(r, "updates")), 2);
        json_decref(j);

        /* person side, with attributes; the person is created */
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"42\"},"
                   "\"action\":\"add_relationships\",\"cio_relationships\":[{\"identifiers\":"
                   "{\"object_type_id\":\"2\",\"object_id\":\"acme\"},"
                   "\"relationship_attributes\":{\"role\":\"admin\",\"since\":2020}}]}");
        /* object side, creating the object (type 1) and a person by email */
        ACCEPT(ws, "{\"type\":\"object\",\"identifiers\":{\"object_type_id\":\"1\","
                   "\"object_id\":\"course\"},\"action\":\"add_relationships\","
                   "\"cio_relationships\":[{\"identifiers\":{\"id\":\"42\"},"
                   "\"relationship_attributes\":{\"grade\":\"A\"}},{\"identifiers\":"
                   "{\"email\":\"kid@example.com\"}}]}");
        j = retl_sbx_ws_relationships_json(ws, "42", NULL, NULL, NULL);
        assert_int_equal(json_integer_value(json_object_get(j, "count")), 2);
        json_decref(j);
        /* attribute update and removal on the relationship */
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"42\"},"
                   "\"action\":\"add_relationships\",\"cio_relationships\":[{\"identifiers\":"
                   "{\"object_type_id\":\"2\",\"object_id\":\"acme\"},"
                   "\"relationship_attributes\":{\"role\":null,\"level\":3}}]}");
        j = retl_sbx_ws_relationships_json(ws, NULL, NULL, "2", "acme");
        r = json_object_get(json_array_get(json_object_get(j, "relationships"), 0), "attributes");
        assert_null(json_object_get(r, "role"));
        assert_int_equal(json_integer_value(json_object_get(r, "since")), 2020);
        assert_int_equal(json_integer_value(json_object_get(r, "level")), 3);
        json_decref(j);
        /* unknown type inside a list: the whole entity is refused */
        REJECT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"43\"},"
                   "\"action\":\"add_relationships\",\"cio_relationships\":[{\"identifiers\":"
                   "{\"object_type_id\":\"1\",\"object_id\":\"ok\"}},{\"identifiers\":"
                   "{\"object_type_id\":\"9\",\"object_id\":\"no\"}}]}", RETL_SBX_R_INVALID);
        assert_null(person(ws, RETL_SBX_BY_ID, "43"));
        /* a suppressed person on the object side */
        REJECT(ws, "{\"type\":\"object\",\"identifiers\":{\"object_type_id\":\"1\","
                   "\"object_id\":\"course\"},\"action\":\"add_relationships\","
                   "\"cio_relationships\":[{\"identifiers\":{\"id\":\"99\"}}]}",
               RETL_SBX_R_SUPPRESSED);
        REJECT(ws, "{\"type\":\"object\",\"identifiers\":{\"object_type_id\":\"1\","
                   "\"object_id\":\"course\"},\"action\":\"add_relationships\"}",
               RETL_SBX_R_REQUIRED);
        /* delete from both sides */
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"42\"},"
                   "\"action\":\"delete_relationships\",\"cio_relationships\":[{\"identifiers\":"
                   "{\"object_type_id\":\"2\",\"object_id\":\"acme\"}}]}");
        ACCEPT(ws, "{\"type\":\"object\",\"identifiers\":{\"object_type_id\":\"1\","
                   "\"object_id\":\"course\"},\"action\":\"delete_relationships\","
                   "\"cio_relationships\":[{\"identifiers\":{\"email\":\"KID@example.com\"}}]}");
        j = retl_sbx_ws_relationships_json(ws, NULL, NULL, NULL, NULL);
        assert_int_equal(json_integer_value(json_object_get(j, "count")), 1);
        json_decref(j);
        /* deleting the person takes its relationships */
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"42\"},\"action\":\"delete\"}");
        j = retl_sbx_ws_relationships_json(ws, NULL, NULL, NULL, NULL);
        assert_int_equal(json_integer_value(json_object_get(j, "count")), 0);
        json_decref(j);
        /* cio_object_id updates only */
        REJECT(ws, "{\"type\":\"object\",\"identifiers\":{\"cio_object_id\":\"nope\"},"
                   "\"action\":\"identify\"}", RETL_SBX_R_NOT_FOUND);
        ACCEPT(ws, "{\"type\":\"object\",\"identifiers\":{\"cio_object_id\":\"ob000001\"},"
                   "\"action\":\"identify\",\"attributes\":{\"x\":1}}");
        ACCEPT(ws, "{\"type\":\"object\",\"identifiers\":{\"object_type_id\":\"2\","
                   "\"object_id\":\"acme\"},\"action\":\"delete\"}");
        j = retl_sbx_ws_objects_json(ws, NULL, NULL, 0, 0);
        assert_int_equal(json_integer_value(json_object_get(j, "count")), 1);
        json_decref(j);
        retl_sbx_ws_destroy(ws);
}

static void test_segments(void **state)
{
        struct retl_sbx_ws *ws = ws_with(RETL_SBX_IDS_BOTH, 0);
        size_t changed, ignored;
        json_t *ids, *j, *p;

        (void)state;
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"1\"},\"action\":\"identify\","
                   "\"attributes\":{\"email\":\"one@example.com\"}}");
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"2\"},\"action\":\"identify\"}");
        ids = json_pack("[s, i, s, b]", "1", 2, "nobody", 1);
        assert_int_equal(retl_sbx_ws_segment_change(ws, 10, 1, RETL_SBX_BY_ID, ids, &changed,
                                                    &ignored), 0);
        assert_int_equal(changed, 2);
        assert_int_equal(ignored, 2);
        json_decref(ids);
        ids = json_pack("[s]", "ONE@example.com");
        assert_int_equal(retl_sbx_ws_segment_change(ws, 11, 1, RETL_SBX_BY_EMAIL, ids, &changed,
                                                    &ignored), 0);
        assert_int_equal(changed, 1);
        assert_int_equal(retl_sbx_ws_segment_change(ws, 12, 1, RETL_SBX_BY_EMAIL, ids, &changed,
                                                    &ignored), RETL_SBX_ENOSEG);
        json_decref(ids);
        ids = json_pack("[s]", "a0000002");
        assert_int_equal(retl_sbx_ws_segment_change(ws, 10, 0, RETL_SBX_BY_CIO_ID, ids, &changed,
                                                    &ignored), 0);
        assert_int_equal(changed, 1);
        json_decref(ids);
        j = retl_sbx_ws_segments_json(ws);
        assert_int_equal(json_integer_value(json_object_get(
                                 json_array_get(json_object_get(j, "segments"), 0), "count")), 1);
        json_decref(j);
        p = person(ws, RETL_SBX_BY_ID, "1");
        assert_int_equal(json_array_size(json_object_get(p, "segments")), 2);
        json_decref(p);
        retl_sbx_ws_segment_create(ws, 12);
        /* reset: no people, configured segments only, empty */
        retl_sbx_ws_reset(ws);
        assert_int_equal(people(ws), 0);
        j = retl_sbx_ws_segments_json(ws);
        assert_int_equal(json_array_size(json_object_get(j, "segments")), 2);
        json_decref(j);
        retl_sbx_ws_destroy(ws);
}

/* Segments by name (the App API): the next id, never a deleted one's;
 * names in both inspection forms; deletion takes the memberships. */
static void test_named_segments(void **state)
{
        struct retl_sbx_ws *ws = ws_with(RETL_SBX_IDS_BOTH, 0);
        size_t changed, ignored;
        json_t *ids, *j, *s, *p;
        long id;

        (void)state;
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"1\"},\"action\":\"identify\"}");
        id = retl_sbx_ws_segment_create_named(ws, "CRM", "from the CRM");
        assert_int_equal(id, 12);         /* configured: 10, 11 */
        ids = json_pack("[s]", "1");
        assert_int_equal(retl_sbx_ws_segment_change(ws, id, 1, RETL_SBX_BY_ID, ids, &changed,
                                                    &ignored), 0);
        assert_int_equal(changed, 1);
        j = retl_sbx_ws_segments_app_json(ws);
        s = json_array_get(json_object_get(j, "segments"), 2);
        assert_int_equal(json_integer_value(json_object_get(s, "id")), 12);
        assert_string_equal(json_string_value(json_object_get(s, "name")), "CRM");
        assert_string_equal(json_string_value(json_object_get(s, "description")), "from the CRM");
        assert_string_equal(json_string_value(json_object_get(s, "type")), "manual");
        assert_true(json_is_null(json_object_get(json_array_get(json_object_get(j, "segments"),
                                                                0), "name")));
        json_decref(j);
        j = retl_sbx_ws_segments_json(ws);
        s = json_array_get(json_object_get(j, "segments"), 2);
        assert_string_equal(json_string_value(json_object_get(s, "name")), "CRM");
        assert_int_equal(json_integer_value(json_object_get(s, "count")), 1);
        json_decref(j);
        assert_null(retl_sbx_ws_segment_app_json(ws, 13));
        /* deleted: no members left, no add, its id never given again */
        assert_int_equal(retl_sbx_ws_segment_delete(ws, 12), 0);
        assert_int_equal(retl_sbx_ws_segment_delete(ws, 12), RETL_SBX_ENOSEG);
        assert_int_equal(retl_sbx_ws_segment_change(ws, 12, 1, RETL_SBX_BY_ID, ids, &changed,
                                                    &ignored), RETL_SBX_ENOSEG);
        p = person(ws, RETL_SBX_BY_ID, "1");
        assert_int_equal(json_array_size(json_object_get(p, "segments")), 0);
        json_decref(p);
        assert_int_equal(retl_sbx_ws_segment_create_named(ws, "CRM", NULL), 13);
        /* a name given to a segment by id, and taken again */
        retl_sbx_ws_segment_name(ws, 10, "ten", NULL);
        retl_sbx_ws_segment_name(ws, 10, "TEN", "renamed");
        j = retl_sbx_ws_segment_app_json(ws, 10);
        assert_string_equal(json_string_value(json_object_get(json_object_get(j, "segment"),
                                                              "name")), "TEN");
        json_decref(j);
        json_decref(ids);
        /* reset: the configured segments, unnamed, and ids from the start */
        retl_sbx_ws_reset(ws);
        j = retl_sbx_ws_segments_app_json(ws);
        assert_int_equal(json_array_size(json_object_get(j, "segments")), 2);
        assert_true(json_is_null(json_object_get(json_array_get(json_object_get(j, "segments"),
                                                                0), "name")));
        json_decref(j);
        assert_int_equal(retl_sbx_ws_segment_create_named(ws, "again", NULL), 12);
        retl_sbx_ws_destroy(ws);
}

static void test_state_roundtrip(void **state)
{
        struct retl_sbx_ws *ws = ws_with(RETL_SBX_IDS_BOTH, 0);
        char path[] = "/tmp/retl-sbx-state-XXXXXX";
        char err[256];
        int fd = mkstemp(path);
        json_t *p, *j;
        size_t changed, ignored;

        (void)state;
        assert_true(fd >= 0);
        close(fd);
        unlink(path);
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"1\"},\"action\":\"identify\","
                   "\"attributes\":{\"email\":\"One@example.com\",\"r\":0.1,\"o\":{\"a\":[1]}}}");
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"1\"},"
                   "\"action\":\"add_relationships\",\"cio_relationships\":[{\"identifiers\":"
                   "{\"object_type_id\":\"1\",\"object_id\":\"acme\"},"
                   "\"relationship_attributes\":{\"role\":\"admin\"}}]}");
        j = json_pack("[s]", "1");
        assert_int_equal(retl_sbx_ws_segment_change(ws, 10, 1, RETL_SBX_BY_ID, j, &changed,
                                                    &ignored), 0);
        json_decref(j);
        retl_sbx_ws_segment_create(ws, 77);
        /* a named segment, and the id of a deleted one not reused after a restart */
        assert_int_equal(retl_sbx_ws_segment_create_named(ws, "CRM", "from the CRM"), 78);
        assert_int_equal(retl_sbx_ws_segment_create_named(ws, "gone", NULL), 79);
        assert_int_equal(retl_sbx_ws_segment_delete(ws, 79), 0);
        assert_int_equal(retl_sbx_ws_suppress(ws, "id", "5", 1), 0);
        assert_int_equal(retl_sbx_ws_save(ws, path, err, sizeof(err)), 0);
        retl_sbx_ws_destroy(ws);

        ws = ws_with(RETL_SBX_IDS_BOTH, 0);
        assert_int_equal(retl_sbx_ws_load(ws, path, err, sizeof(err)), 0);
        p = person(ws, RETL_SBX_BY_EMAIL, "one@example.com");
        assert_non_null(p);
        assert_string_equal(json_string_value(json_object_get(p, "cio_id")), "a0000001");
        assert_true(json_real_value(json_object_get(json_object_get(p, "attributes"), "r")) ==
                    0.1);
        assert_int_equal(json_array_size(json_object_get(p, "segments")), 1);
        json_decref(p);
        j = retl_sbx_ws_relationships_json(ws, "1", NULL, NULL, NULL);
        assert_int_equal(json_integer_value(json_object_get(j, "count")), 1);
        json_decref(j);
        REJECT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"5\"},\"action\":\"identify\"}",
               RETL_SBX_R_SUPPRESSED);
        /* the cio_id sequence goes on */
        ACCEPT(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"2\"},\"action\":\"identify\"}");
        p = person(ws, RETL_SBX_BY_ID, "2");
        assert_string_equal(json_string_value(json_object_get(p, "cio_id")), "a0000002");
        json_decref(p);
        j = retl_sbx_ws_segments_json(ws);
        assert_int_equal(json_array_size(json_object_get(j, "segments")), 4);
        json_decref(j);
        j = retl_sbx_ws_segment_app_json(ws, 78);
        assert_string_equal(json_string_value(json_object_get(json_object_get(j, "segment"),
                                                              "name")), "CRM");
        assert_string_equal(json_string_value(json_object_get(json_object_get(j, "segment"),
                                                              "description")), "from the CRM");
        json_decref(j);
        assert_int_equal(retl_sbx_ws_segment_create_named(ws, "new", NULL), 80);
        retl_sbx_ws_destroy(ws);
        unlink(path);
        /* a missing file is a first run */
        ws = ws_with(RETL_SBX_IDS_BOTH, 0);
        assert_int_equal(retl_sbx_ws_load(ws, path, err, sizeof(err)), 0);
        retl_sbx_ws_destroy(ws);
}

/* 200,000 keys: the slot array grows past 2 MiB, where it is mapped on its
 * own (huge pages asked for), through grow, deletes and clear. */
#define MAP_N 200000

static void test_map(void **state)
{
        struct retl_sbx_map *m = retl_sbx_map_new(0);
        char k[32];
        size_t it = 0, n = 0;
        const char *key;

        (void)state;
        for (long i = 0; i < MAP_N; i++) {
                snprintf(k, sizeof(k), "k%ld", i);
                retl_sbx_map_put(m, k, (void *)(i + 1));
        }
        assert_int_equal(retl_sbx_map_count(m), MAP_N);
        /* delete every third; backward-shift must keep the rest findable */
        for (long i = 0; i < MAP_N; i += 3) {
                snprintf(k, sizeof(k), "k%ld", i);
                assert_ptr_equal(retl_sbx_map_del(m, k), (void *)(i + 1));
        }
        for (long i = 0; i < MAP_N; i++) {
                snprintf(k, sizeof(k), "k%ld", i);
                if (i % 3 == 0)
                        assert_null(retl_sbx_map_get(m, k));
                else
                        assert_ptr_equal(retl_sbx_map_get(m, k), (void *)(i + 1));
        }
        while (retl_sbx_map_next(m, &it, &key, NULL))
                n++;
        assert_int_equal(n, retl_sbx_map_count(m));
        assert_null(retl_sbx_map_del(m, "absent"));
        retl_sbx_map_clear(m);
        assert_int_equal(retl_sbx_map_count(m), 0);
        assert_null(retl_sbx_map_get(m, "k1"));
        retl_sbx_map_put(m, "again", (void *)1);
        assert_ptr_equal(retl_sbx_map_get(m, "again"), (void *)1);
        retl_sbx_map_destroy(m);
}

static void test_faults(void **state)
{
        struct retl_sbx_fault_conf fc = {.fc_rate_limit = 2};
        struct retl_sbx_faults *f = retl_sbx_faults_new(&fc, 1);
        struct retl_sbx_fault_decision d;
        char err[128];
        json_t *j;

        (void)state;
        /* rate limit: 2 per second window */
        retl_sbx_faults_decide(f, 5000, &d);
        assert_int_equal(d.fd_kind, RETL_SBX_F_NONE);
        retl_sbx_faults_decide(f, 5100, &d);
        assert_int_equal(d.fd_kind, RETL_SBX_F_NONE);
        retl_sbx_faults_decide(f, 5200, &d);
        assert_int_equal(d.fd_kind, RETL_SBX_F_STATUS);
        assert_int_equal(d.fd_status, 429);
        assert_int_equal(d.fd_retry_after, 1);
        retl_sbx_faults_decide(f, 6000, &d);
        assert_int_equal(d.fd_kind, RETL_SBX_F_NONE);
        /* script, in order; 200 passes even past the rate limit's window */
        j = json_loads("{\"script\":[503,429,0,\"drop\",200,500],\"latency_ms\":5}", 0, NULL);
        assert_int_equal(retl_sbx_faults_set_json(f, j, err, sizeof(err)), 0);
        json_decref(j);
        retl_sbx_faults_decide(f, 7000, &d);
        assert_int_equal(d.fd_status, 503);
        assert_int_equal(d.fd_latency_ms, 5);
        retl_sbx_faults_decide(f, 7000, &d);
        assert_int_equal(d.fd_status, 429);
        retl_sbx_faults_decide(f, 7000, &d);
        assert_int_equal(d.fd_kind, RETL_SBX_F_DROP);
        retl_sbx_faults_decide(f, 7000, &d);
        assert_int_equal(d.fd_kind, RETL_SBX_F_DROP);
        retl_sbx_faults_decide(f, 7000, &d);
        assert_int_equal(d.fd_kind, RETL_SBX_F_NONE);
        retl_sbx_faults_decide(f, 7000, &d);
        assert_int_equal(d.fd_status, 500);
        /* script done; the set replaced the rate limit: nothing */
        retl_sbx_faults_decide(f, 7000, &d);
        assert_int_equal(d.fd_kind, RETL_SBX_F_NONE);
        /* error_rate 1: always */
        j = json_loads("{\"error_rate\":1,\"error_status\":502}", 0, NULL);
        assert_int_equal(retl_sbx_faults_set_json(f, j, err, sizeof(err)), 0);
        json_decref(j);
        retl_sbx_faults_decide(f, 8000, &d);
        assert_int_equal(d.fd_status, 502);
        /* bad settings change nothing */
        j = json_loads("{\"error_rate\":2}", 0, NULL);
        assert_int_equal(retl_sbx_faults_set_json(f, j, err, sizeof(err)), -1);
        json_decref(j);
        j = json_loads("{\"script\":[700]}", 0, NULL);
        assert_int_equal(retl_sbx_faults_set_json(f, j, err, sizeof(err)), -1);
        json_decref(j);
        j = json_loads("{\"bogus\":1}", 0, NULL);
        assert_int_equal(retl_sbx_faults_set_json(f, j, err, sizeof(err)), -1);
        json_decref(j);
        retl_sbx_faults_decide(f, 8000, &d);
        assert_int_equal(d.fd_status, 502);
        /* reset: back to the start settings (rate limit 2) */
        retl_sbx_faults_reset(f);
        retl_sbx_faults_decide(f, 9000, &d);
        retl_sbx_faults_decide(f, 9000, &d);
        retl_sbx_faults_decide(f, 9000, &d);
        assert_int_equal(d.fd_status, 429);
        retl_sbx_faults_destroy(f);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_identify_create_update),
                cmocka_unit_test(test_identifier_shapes),
                cmocka_unit_test(test_unique_identifiers),
                cmocka_unit_test(test_email_spelling),
                cmocka_unit_test(test_immutable_identifiers),
                cmocka_unit_test(test_email_update_by_id),
                cmocka_unit_test(test_identifier_settings),
                cmocka_unit_test(test_update_only),
                cmocka_unit_test(test_suppressed),
                cmocka_unit_test(test_objects_relationships),
                cmocka_unit_test(test_segments),
                cmocka_unit_test(test_named_segments),
                cmocka_unit_test(test_state_roundtrip),
                cmocka_unit_test(test_map),
                cmocka_unit_test(test_faults),
        };
        return cmocka_run_group_tests_name("sandbox_ws", tests, NULL, NULL);
}
