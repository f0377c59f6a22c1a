/* retl — unit tests: the sandbox keeps attribute numbers as sent
 * (sbx_numbers.c), through the workspace and its state file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sandbox/track/sbx_numbers.h"
#include "sandbox/track/sbx_ws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Parses @p in, keeps its numbers, and checks the dump and the count. */
struct numbers_case {
        const char *in;
        size_t kept;
        const char *out;   /* compact dump */
};

static const struct numbers_case cases[] = {
        /* attributes: non-integers keep their text; integers and numbers
         * outside attributes are jansson's */
        {"{\"attributes\":{\"d\":12345678901234567890123456.7890123456,\"r\":2.50,"
         "\"e\":1e5,\"i\":42,\"n\":{\"a\":[0.1,1.0E-7,-0.0]}},\"z\":3.25}",
         6,
         "{\"attributes\":{\"d\":12345678901234567890123456.7890123456,\"r\":2.50,"
         "\"e\":1e5,\"i\":42,\"n\":{\"a\":[0.1,1.0E-7,-0.0]}},\"z\":3.25}"},
        /* relationship attributes too, in a batch */
        {"{\"batch\":[{\"cio_relationships\":[{\"identifiers\":{\"object_type_id\":1},"
         "\"relationship_attributes\":{\"w\":0.30}}]}]}",
         1,
         "{\"batch\":[{\"cio_relationships\":[{\"identifiers\":{\"object_type_id\":1},"
         "\"relationship_attributes\":{\"w\":0.30}}]}]}"},
        /* digits, quotes and backslashes inside strings are not numbers */
        {"{\"attributes\":{\"s\":\"a\\\"1.5\\\\\",\"k 2.5\":\"\\\\\\\"3\",\"x\":1.50}}",
         1,
         "{\"attributes\":{\"s\":\"a\\\"1.5\\\\\",\"k 2.5\":\"\\\\\\\"3\",\"x\":1.50}}"},
        /* identifier members of attributes are the workspace's to read */
        {"{\"attributes\":{\"id\":1.5,\"_update\":2.5,\"v\":1.50}}",
         1,
         "{\"attributes\":{\"id\":1.5,\"_update\":2.5,\"v\":1.50}}"},
        /* a duplicate key: the tree and the text part ways, nothing is kept */
        {"{\"attributes\":{\"a\":1.50,\"a\":2.50,\"b\":3.50}}",
         0,
         "{\"attributes\":{\"a\":2.5,\"b\":3.5}}"},
        /* no attributes, nothing kept */
        {"[1.50,{\"x\":2.50}]", 0, "[1.5,{\"x\":2.5}]"},
};

static void test_keep_and_dump(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const struct numbers_case *c = &cases[i];
                json_error_t jerr;
                json_t *j = json_loads(c->in, 0, &jerr);
                char *out;
                size_t kept;

                if (!j)
                        fail_msg("case %zu: bad JSON: %s", i, jerr.text);
                kept = retl_sbx_numbers_keep(j, c->in, strlen(c->in));
                out = retl_sbx_numbers_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17));
                if (kept != c->kept || strcmp(out, c->out))
                        fail_msg("case %zu: kept %zu (want %zu), dumped %s, want %s", i, kept,
                                 c->kept, out, c->out);
                free(out);
                json_decref(j);
        }
}

/* Applies @p json with its numbers kept, as the server does. */
static void apply_kept(struct retl_sbx_ws *ws, const char *json)
{
        json_t *e = json_loads(json, 0, NULL);
        struct retl_sbx_outcome o;

        assert_non_null(e);
        retl_sbx_numbers_keep(e, json, strlen(json));
        if (retl_sbx_ws_apply(ws, e, 1700000000000LL, &o))
                fail_msg("rejected: %s %s", o.so_reason, o.so_message);
        json_decref(e);
}

/* The attributes of person @p id as the inspection API writes them. */
static char *attrs_dumped(struct retl_sbx_ws *ws, const char *id)
{
        json_t *p = retl_sbx_ws_person_json(ws, RETL_SBX_BY_ID, id);
        char *s;

        assert_non_null(p);
        s = retl_sbx_numbers_dumps(json_object_get(p, "attributes"), JSON_COMPACT);
        json_decref(p);
        return s;
}

static void test_workspace_and_state(void **state)
{
        struct retl_sbx_ws_conf wc = {.wc_identifiers = RETL_SBX_IDS_BOTH};
        char err[256], path[] = "/tmp/retl-sbx-numbers-XXXXXX";
        struct retl_sbx_ws *ws = retl_sbx_ws_new(&wc, err, sizeof(err));
        int fd = mkstemp(path);
        char *s;

        (void)state;
        assert_non_null(ws);
        assert_true(fd >= 0);
        close(fd);
        unlink(path);
        apply_kept(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"1\"},"
                       "\"action\":\"identify\",\"attributes\":"
                       "{\"d\":12345678901234567890123456.7890123456,\"z\":2.50}}");
        s = attrs_dumped(ws, "1");
        assert_string_equal(s, "{\"d\":12345678901234567890123456.7890123456,\"z\":2.50}");
        free(s);
        /* another spelling of the same value is what is shown from now on */
        apply_kept(ws, "{\"type\":\"person\",\"identifiers\":{\"id\":\"1\"},"
                       "\"action\":\"identify\",\"attributes\":{\"z\":2.5}}");
        s = attrs_dumped(ws, "1");
        assert_string_equal(s, "{\"d\":12345678901234567890123456.7890123456,\"z\":2.5}");
        free(s);
        /* the state file keeps the text across a restart */
        assert_int_equal(retl_sbx_ws_save(ws, path, err, sizeof(err)), 0);
        retl_sbx_ws_destroy(ws);
        ws = retl_sbx_ws_new(&wc, err, sizeof(err));
        assert_int_equal(retl_sbx_ws_load(ws, path, err, sizeof(err)), 0);
        s = attrs_dumped(ws, "1");
        assert_string_equal(s, "{\"d\":12345678901234567890123456.7890123456,\"z\":2.5}");
        free(s);
        retl_sbx_ws_destroy(ws);
        unlink(path);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_keep_and_dump),
                cmocka_unit_test(test_workspace_and_state),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
