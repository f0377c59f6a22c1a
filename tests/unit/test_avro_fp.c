/* Unit tests: Avro Parsing Canonical Form and CRC-64-AVRO against the Avro
 * project's own test vectors (schema -> canonical form -> fingerprint),
 * which were computed independently of this code. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "lib/avro_fp.h"

struct vector {
        const char *schema;
        const char *canonical;
        int64_t fingerprint; /* signed, as the Avro test data writes it; 0 = none given */
};

static const struct vector vectors[] = {
        {"\"null\"", "\"null\"", 7195948357588979594LL},
        {"{\"type\":\"null\"}", "\"null\"", 0},
        {"\"boolean\"", "\"boolean\"", -6970731678124411036LL},
        {"\"int\"", "\"int\"", 8247732601305521295LL},
        {"\"long\"", "\"long\"", -3434872931120570953LL},
        {"\"float\"", "\"float\"", 5583340709985441680LL},
        {"\"double\"", "\"double\"", -8181574048448539266LL},
        {"[ \"int\" , {\"type\":\"boolean\"} ]", "[\"int\",\"boolean\"]", 5392556393470105090LL},
        {"{\"fields\":[], \"type\":\"record\", \"name\":\"foo\"}",
         "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[]}", -4824392279771201922LL},
        {"{\"fields\":[], \"type\":\"record\", \"name\":\"foo\", \"namespace\":\"x.y\"}",
         "{\"name\":\"x.y.foo\",\"type\":\"record\",\"fields\":[]}", 5916914534497305771LL},
        {"{\"fields\":[], \"type\":\"record\", \"name\":\"a.b.foo\", \"namespace\":\"x.y\"}",
         "{\"name\":\"a.b.foo\",\"type\":\"record\",\"fields\":[]}", -4616218487480524110LL},
        {"{\"fields\":[], \"type\":\"record\", \"name\":\"foo\", \"doc\":\"Useful info\"}",
         "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[]}", -4824392279771201922LL},
        {"{\"fields\":[{\"type\":{\"type\":\"boolean\"}, \"name\":\"f1\"}], \"type\":\"record\", "
         "\"name\":\"foo\"}",
         "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[{\"name\":\"f1\",\"type\":\"boolean\"}]}",
         7843277075252814651LL},
        {"{ \"fields\":[{\"type\":\"boolean\", \"aliases\":[], \"name\":\"f1\", \"default\":\"true\"},"
         "{\"order\":\"descending\",\"name\":\"f2\",\"doc\":\"Hello\",\"type\":\"int\"}],"
         "\"type\":\"record\", \"name\":\"foo\"}",
         "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[{\"name\":\"f1\",\"type\":\"boolean\"},"
         "{\"name\":\"f2\",\"type\":\"int\"}]}",
         -4860222112080293046LL},
        {"{\"type\":\"enum\", \"name\":\"foo\", \"symbols\":[\"A1\"]}",
         "{\"name\":\"foo\",\"type\":\"enum\",\"symbols\":[\"A1\"]}", -6342190197741309591LL},
        {"{\"namespace\":\"x.y.z\", \"type\":\"enum\", \"name\":\"foo\", \"doc\":\"foo bar\", "
         "\"symbols\":[\"A1\", \"A2\"]}",
         "{\"name\":\"x.y.z.foo\",\"type\":\"enum\",\"symbols\":[\"A1\",\"A2\"]}",
         -4448647247586288245LL},
        {"{\"name\":\"foo\",\"type\":\"fixed\",\"size\":15}",
         "{\"name\":\"foo\",\"type\":\"fixed\",\"size\":15}", 1756455273707447556LL},
        {"{\"namespace\":\"x.y.z\", \"type\":\"fixed\", \"name\":\"foo\", \"doc\":\"foo bar\", "
         "\"size\":32}",
         "{\"name\":\"x.y.z.foo\",\"type\":\"fixed\",\"size\":32}", -3064184465700546786LL},
        {"{ \"items\":{\"type\":\"null\"}, \"type\":\"array\"}",
         "{\"type\":\"array\",\"items\":\"null\"}", -589620603366471059LL},
        {"{ \"values\":\"string\", \"type\":\"map\"}", "{\"type\":\"map\",\"values\":\"string\"}",
         -8732877298790414990LL},
        {"{\"name\":\"PigValue\",\"type\":\"record\",\"fields\":[{\"name\":\"value\", \"type\":"
         "[\"null\", \"int\", \"long\", \"PigValue\"]}]}",
         "{\"name\":\"PigValue\",\"type\":\"record\",\"fields\":[{\"name\":\"value\",\"type\":"
         "[\"null\",\"int\",\"long\",\"PigValue\"]}]}",
         -1759257747318642341LL},
};

static void test_vectors(void **state)
{
        char err[256];
        for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
                const struct vector *v = &vectors[i];
                char *canon = retl_avro_canonical(v->schema, err, sizeof(err));
                uint64_t fp;
                if (!canon)
                        fail_msg("vector %zu: %s", i, err);
                assert_string_equal(canon, v->canonical);
                assert_int_equal(retl_avro_fingerprint(v->schema, &fp, err, sizeof(err)), 0);
                if (v->fingerprint)
                        assert_true((int64_t)fp == v->fingerprint);
                free(canon);
        }
}

/* Nested names inherit the enclosing namespace; references use full names. */
static void test_nested_namespace(void **state)
{
        char err[256];
        char *c = retl_avro_canonical(
                "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"io.x\",\"fields\":["
                "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]}},"
                "{\"name\":\"f\",\"type\":\"E\"}]}",
                err, sizeof(err));
        assert_non_null(c);
        assert_string_equal(c, "{\"name\":\"io.x.R\",\"type\":\"record\",\"fields\":["
                               "{\"name\":\"e\",\"type\":{\"name\":\"io.x.E\",\"type\":\"enum\","
                               "\"symbols\":[\"A\"]}},{\"name\":\"f\",\"type\":\"io.x.E\"}]}");
        free(c);
}

static void test_bad_schemas(void **state)
{
        char err[256];
        assert_null(retl_avro_canonical("{", err, sizeof(err)));
        assert_non_null(strstr(err, "not JSON"));
        assert_null(retl_avro_canonical("{\"type\":\"record\",\"fields\":[]}", err, sizeof(err)));
        assert_non_null(strstr(err, "without a name"));
        assert_null(retl_avro_canonical("42", err, sizeof(err)));
}

/* CRC-64-AVRO of no bytes is the empty value itself. */
static void test_crc_empty(void **state)
{
        assert_true(retl_avro_crc64("", 0) == 0xc15d213aa4d7a795ULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_vectors),
                cmocka_unit_test(test_nested_namespace),
                cmocka_unit_test(test_bad_schemas),
                cmocka_unit_test(test_crc_empty),
        };
        return cmocka_run_group_tests_name("avro_fp", tests, NULL, NULL);
}
