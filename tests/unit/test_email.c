/* Unit tests: RFC 5322 addr-spec check (consumer/email.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "consumer/email.h"

static void test_table(void **state)
{
        static const struct {
                const char *s;
                int ok;
        } cases[] = {
                {"ada@example.com", 1},
                {"Ada.Lovelace+tag@sub.example.co.uk", 1},
                {"!#$%&'*+-/=?^_`{|}~@example.org", 1},
                {"\"john doe\"@example.com", 1},
                {"\"a\\\"b\"@example.com", 1},
                {"\"a@b\"@example.com", 1},
                {"user@[192.168.0.1]", 1},
                {"user@[IPv6:2001:db8::1]", 1},
                {"user@[ 192.168.0.1\t]", 1}, /* WSP, as the workspace takes it */
                {"", 0},
                {"plain", 0},
                {"@example.com", 0},
                {"user@", 0},
                {"user@localhost", 0},
                {".user@example.com", 0},
                {"user.@example.com", 0},
                {"us..er@example.com", 0},
                {"user@example..com", 0},
                {"user@.example.com", 0},
                {"user@example.com.", 0},
                {"a@b@example.com", 0},
                {"us er@example.com", 0},
                {"user@exa mple.com", 0},
                {"user(comment)@example.com", 0},
                {"\"unterminated@example.com", 0},
                {"\"q\"x@example.com", 0},
                {"j\xc3\xb6rg@example.com", 0},
                {"user@[1.2.3.4]x", 0},
                {"user@[]", 0},
                {"user@example.com\n", 0},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const char *why = NULL;
                int got = retl_email_valid(cases[i].s, strlen(cases[i].s), &why);
                if (got != cases[i].ok)
                        fail_msg("%s:%d case %zu '%s': got %d want %d (%s)", __FILE__, __LINE__,
                                 i, cases[i].s, got, cases[i].ok, why ? why : "");
                if (!got)
                        assert_non_null(why);
        }
}

static void test_lengths(void **state)
{
        char buf[300];

        memset(buf, 'a', 64);
        memcpy(buf + 64, "@example.com", 13);
        assert_true(retl_email_valid(buf, strlen(buf), NULL));
        memset(buf, 'a', 65);
        memcpy(buf + 65, "@example.com", 13);
        assert_false(retl_email_valid(buf, strlen(buf), NULL));
        /* 255 bytes in all */
        memcpy(buf, "a@", 2);
        memset(buf + 2, 'b', 249);
        memcpy(buf + 251, ".com", 5);
        assert_false(retl_email_valid(buf, strlen(buf), NULL));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table),
                cmocka_unit_test(test_lengths),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
