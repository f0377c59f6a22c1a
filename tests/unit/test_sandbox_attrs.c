/* retl — unit tests: the sandbox keeps a record's attributes frozen
 * (sbx_attrs.c): the text reads back as the tree it was made from, a
 * create's attributes leave out what is not stored, a merge changes the
 * text only when a value changed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sandbox/track/sbx_arena.h"
#include "sandbox/track/sbx_attrs.h"
#include "sandbox/track/sbx_numbers.h"

#include <stdlib.h>
#include <string.h>

/* @p text parsed as a request is: numbers kept as sent. */
static json_t *request(const char *text)
{
        json_error_t jerr;
        json_t *j = json_loads(text, 0, &jerr);

        assert_non_null(j);
        retl_sbx_numbers_keep(j, text, strlen(text));
        return j;
}

/* The compact dump of @p j with kept numbers written as sent. */
static char *shown(const json_t *j)
{
        char *s = retl_sbx_numbers_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17));

        assert_non_null(s);
        return s;
}

static void test_freeze_thaw_round_trip(void **state)
{
        const char *in = "{\"attributes\":{\"plan\":\"pro\",\"n\":7,\"d\":12345678901234567890.125,"
                         "\"t\":true,\"o\":{\"a\":[1,2.50,\"x\"]},\"k\\\"\\\\\\n\\u0001é\":\"v\","
                         "\"big\":-9223372036854775808}}";
        json_t *req = request(in);
        json_t *attrs = json_object_get(req, "attributes");
        char *frozen = retl_sbx_attrs_freeze(attrs);
        json_t *back = retl_sbx_attrs_thaw(frozen);
        char *a = shown(attrs), *b = shown(back);

        /* the same tree, kept numbers and escaped keys included */
        assert_true(json_equal(attrs, back));
        assert_string_equal(a, b);
        /* the text is jansson's own compact dump, as the state file kept it */
        {
                char *dumped = json_dumps(attrs, JSON_COMPACT | JSON_REAL_PRECISION(17));

                assert_string_equal(frozen, dumped);
                free(dumped);
        }
        free(a);
        free(b);
        free(frozen);
        json_decref(back);
        json_decref(req);
}

static void test_freeze_edges(void **state)
{
        char *s = retl_sbx_attrs_freeze(NULL);
        json_t *j;

        assert_string_equal(s, "{}");
        free(s);
        j = json_string("x");
        s = retl_sbx_attrs_freeze(j);
        assert_string_equal(s, "{}");
        free(s);
        json_decref(j);
        j = retl_sbx_attrs_thaw(NULL);
        assert_true(json_is_object(j) && json_object_size(j) == 0);
        json_decref(j);
        j = retl_sbx_attrs_thaw("[1]");
        assert_true(json_is_object(j) && json_object_size(j) == 0);
        json_decref(j);
}

static void test_prepare_leaves_out_what_is_not_stored(void **state)
{
        json_t *req = request("{\"attributes\":{\"id\":\"42\",\"email\":\"a@b.c\",\"cio_id\":\"x\","
                              "\"_update\":true,\"gone\":null,\"empty\":\"\",\"kept\":\"v\","
                              "\"score\":1.50,\"zero\":0,\"no\":false,\"list\":[]}}");
        json_t *attrs = json_object_get(req, "attributes");
        char *person = retl_sbx_attrs_prepare(attrs, 1);
        char *object = retl_sbx_attrs_prepare(attrs, 0);
        json_t *p = retl_sbx_attrs_thaw(person);
        char *ps = shown(p);

        /* removals never stored; a person's identifiers are not attributes;
         * 0, false and [] are values */
        assert_string_equal(ps, "{\"kept\":\"v\",\"score\":1.50,\"zero\":0,\"no\":false,\"list\":[]}");
        assert_non_null(strstr(object, "\"id\":\"42\""));
        assert_non_null(strstr(object, "\"_update\":true"));
        assert_null(strstr(object, "gone"));
        assert_null(strstr(object, "empty"));
        free(ps);
        json_decref(p);
        free(person);
        free(object);
        /* no attributes at all: an empty record; not an object: nothing */
        person = retl_sbx_attrs_prepare(NULL, 1);
        assert_string_equal(person, "{}");
        free(person);
        {
                json_t *s = json_string("no");

                assert_null(retl_sbx_attrs_prepare(s, 1));
                json_decref(s);
        }
        json_decref(req);
}

/* Attributes larger than the stack buffer: the dump grows on the heap. */
static void test_prepare_large(void **state)
{
        json_t *attrs = json_object();
        char key[32], *frozen, *prepared;
        json_t *back;

        for (int i = 0; i < 400; i++) {
                snprintf(key, sizeof(key), "attribute_%03d", i);
                json_object_set_new(attrs, key, json_string("a value of some thirty bytes.."));
        }
        prepared = retl_sbx_attrs_prepare(attrs, 0);
        frozen = retl_sbx_attrs_freeze(attrs);
        assert_true(strlen(prepared) > 16000);
        assert_string_equal(prepared, frozen);
        back = retl_sbx_attrs_thaw(prepared);
        assert_true(json_equal(back, attrs));
        json_decref(back);
        free(prepared);
        free(frozen);
        json_decref(attrs);
}

/* prepare() writes scalars itself: byte for byte what jansson's dump writes
 * (the frozen text of the same members), for every escape. */
static void test_prepare_writes_as_jansson(void **state)
{
        json_t *attrs = json_object();
        char key[8], val[40];
        char *prepared, *frozen;

        for (int c = 1; c < 0x80; c++) {
                snprintf(key, sizeof(key), "k%c", c);
                snprintf(val, sizeof(val), "v%c\"\\/%c\xc3\xa9\xf0\x9f\x8e\x89", c, c);
                json_object_set_new(attrs, key, json_string(val));
        }
        json_object_set_new(attrs, "kept", json_stringn("\0num:1.50", 9));
        json_object_set_new(attrs, "max", json_integer(INT64_MAX));
        json_object_set_new(attrs, "min", json_integer(INT64_MIN));
        json_object_set_new(attrs, "zero", json_integer(0));
        json_object_set_new(attrs, "neg", json_integer(-7));
        json_object_set_new(attrs, "t", json_true());
        json_object_set_new(attrs, "f", json_false());
        json_object_set_new(attrs, "real", json_real(0.1));
        json_object_set_new(attrs, "obj", json_pack("{s:[i,s,n]}", "a", 1, "x\ty"));
        prepared = retl_sbx_attrs_prepare(attrs, 0);
        frozen = retl_sbx_attrs_freeze(attrs);
        assert_string_equal(prepared, frozen);
        free(prepared);
        free(frozen);
        json_decref(attrs);
}

static void test_merge(void **state)
{
        json_t *first = request("{\"attributes\":{\"a\":\"1\",\"b\":2.50,\"c\":true}}");
        char *frozen = retl_sbx_attrs_prepare(json_object_get(first, "attributes"), 1);
        const char *before = frozen;
        json_t *same = request("{\"attributes\":{\"a\":\"1\",\"b\":2.50,\"id\":\"9\"}}");
        json_t *change = request("{\"attributes\":{\"a\":\"2\",\"c\":null,\"d\":[1]}}");
        struct retl_sbx_arena *scratch = retl_sbx_arena_new();
        json_t *back;
        char *s;

        /* the arena as the sandbox uses it: jansson allocates from it */
        retl_sbx_arena_install();
        /* nothing changed: the same text, not even rewritten */
        retl_sbx_attrs_merge(&frozen, json_object_get(same, "attributes"), 1, NULL);
        assert_ptr_equal(frozen, before);
        /* a change, a removal and a new member */
        retl_sbx_attrs_merge(&frozen, json_object_get(change, "attributes"), 1, scratch);
        back = retl_sbx_attrs_thaw(frozen);
        s = shown(back);
        assert_string_equal(s, "{\"a\":\"2\",\"b\":2.50,\"d\":[1]}");
        free(s);
        json_decref(back);
        /* take: replaced by a tree (a state file's) */
        retl_sbx_attrs_take(&frozen, json_pack("{s:i}", "z", 1));
        assert_string_equal(frozen, "{\"z\":1}");
        retl_sbx_attrs_take(&frozen, NULL);
        assert_string_equal(frozen, "{\"z\":1}");
        free(frozen);
        retl_sbx_arena_destroy(scratch);
        json_decref(first);
        json_decref(same);
        json_decref(change);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_freeze_thaw_round_trip),
                cmocka_unit_test(test_freeze_edges),
                cmocka_unit_test(test_prepare_leaves_out_what_is_not_stored),
                cmocka_unit_test(test_prepare_large),
                cmocka_unit_test(test_prepare_writes_as_jansson),
                cmocka_unit_test(test_merge),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
