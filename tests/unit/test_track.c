/* Unit tests: reading Track API answers (consumer/track.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "consumer/track.h"

static void test_classify(void **state)
{
        static const struct {
                int curl;
                long status;
                enum retl_track_class want;
        } cases[] = {
                {0, 200, RETL_TRACK_OK},       {0, 204, RETL_TRACK_OK},
                {0, 207, RETL_TRACK_PARTIAL},  {0, 429, RETL_TRACK_RATE},
                {0, 401, RETL_TRACK_AUTH},     {0, 403, RETL_TRACK_AUTH},
                {0, 400, RETL_TRACK_REJECT},   {0, 404, RETL_TRACK_REJECT},
                {0, 413, RETL_TRACK_REJECT},   {0, 408, RETL_TRACK_RETRY},
                {0, 500, RETL_TRACK_RETRY},    {0, 503, RETL_TRACK_RETRY},
                {28, 0, RETL_TRACK_RETRY},     {7, 0, RETL_TRACK_RETRY},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct retl_track_result r = {.curl_code = cases[i].curl, .status = cases[i].status};
                if (retl_track_classify(&r) != cases[i].want)
                        fail_msg("%s:%d case %zu", __FILE__, __LINE__, i);
        }
}

struct seen {
        long idx[8];
        char reason[8][64];
        int n;
};

static void cb(void *arg, long index, const char *reason, const char *field, const char *message)
{
        struct seen *s = arg;
        s->idx[s->n] = index;
        snprintf(s->reason[s->n], sizeof(s->reason[0]), "%s|%s|%s", reason, field, message);
        s->n++;
}

static void test_errors(void **state)
{
        const char *body = "{\"errors\":[{\"batch_index\":2,\"reason\":\"invalid\",\"field\":"
                           "\"email\",\"message\":\"bad\"},{\"batch_index\":0,\"reason\":"
                           "\"suppressed\"},{\"reason\":\"x\"}]}";
        struct seen s = {0};

        assert_int_equal(retl_track_errors(body, strlen(body), cb, &s), 3);
        assert_int_equal(s.idx[0], 2);
        assert_string_equal(s.reason[0], "invalid|email|bad");
        assert_int_equal(s.idx[1], 0);
        assert_string_equal(s.reason[1], "suppressed||");
        assert_int_equal(s.idx[2], -1);
        /* indexes no row can have: passed on as they are (negative) or as -1
         * (not an integer), for the caller to check against its batch */
        body = "{\"errors\":[{\"batch_index\":-3,\"reason\":\"a\"},{\"batch_index\":\"1\","
               "\"reason\":\"b\"},{\"batch_index\":1.5,\"reason\":\"c\"},{\"batch_index\":"
               "null,\"reason\":\"d\"},{\"batch_index\":99999,\"reason\":\"e\"}]}";
        memset(&s, 0, sizeof(s));
        assert_int_equal(retl_track_errors(body, strlen(body), cb, &s), 5);
        assert_int_equal(s.idx[0], -3);
        assert_int_equal(s.idx[1], -1);
        assert_int_equal(s.idx[2], -1);
        assert_int_equal(s.idx[3], -1);
        assert_int_equal(s.idx[4], 99999);
        assert_string_equal(s.reason[4], "e||");
        assert_int_equal(retl_track_errors("nope", 4, cb, &s), -1);
        assert_int_equal(retl_track_errors("{}", 2, cb, &s), -1);
}

static void test_retry_after(void **state)
{
        assert_true(retl_track_parse_retry_after("2", 0) == 2000);
        assert_true(retl_track_parse_retry_after(" 0\r\n", 0) == 0);
        assert_true(retl_track_parse_retry_after("soon", 0) == -1);
        assert_true(retl_track_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470) ==
                    10000);
        assert_true(retl_track_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490) == 0);
        /* both forms wait at most an hour */
        assert_true(retl_track_parse_retry_after("86400", 0) == 3600 * 1000);
        assert_true(retl_track_parse_retry_after("Wed, 21 Oct 4309 07:28:00 GMT", 1445412490) ==
                    3600 * 1000);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_classify),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_retry_after),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
