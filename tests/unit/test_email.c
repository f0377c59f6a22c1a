/* Unit tests: the e-mail address rule (lib/email.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "lib/email.h"

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
                {"a@xn--bcher-kva.example", 1},   /* IDN in punycode */
                {"a@x-y.example", 1},
                {"a@1st.example", 1},
                {"a@-x.com", 0},                  /* a label starts with a hyphen */
                {"a@x-.com", 0},                  /* ... ends with one */
                {"a@x.-com", 0},
                {"a@x.com-", 0},
                {"a@b\xc3\xbc" "cher.example", 0},   /* raw UTF-8 domain: punycode it */
                {"a@a!b.example", 0},             /* atext, but not a domain name */
                {"a@under_score.example", 0},
                {"user@[192.168.0.1]", 0},        /* address literals: see email.h */
                {"user@[IPv6:2001:db8::1]", 0},
                {"a@[192.0.2.1]", 0},
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
        /* 254 bytes in all fine, 255 not (labels of 49) */
        memset(buf, 'b', sizeof(buf));
        memcpy(buf, "a@", 2);
        for (int i = 51; i < 254; i += 50)
                buf[i] = '.';
        assert_true(retl_email_valid(buf, 254, NULL));
        assert_false(retl_email_valid(buf, 255, NULL));
}

static void test_label_lengths(void **state)
{
        char buf[300];

        /* a domain label: 63 characters fine, 64 not, wherever it is */
        memcpy(buf, "a@", 2);
        memset(buf + 2, 'b', 63);
        memcpy(buf + 65, ".com", 5);
        assert_true(retl_email_valid(buf, strlen(buf), NULL));
        memset(buf + 2, 'b', 64);
        memcpy(buf + 66, ".com", 5);
        assert_false(retl_email_valid(buf, strlen(buf), NULL));
        memcpy(buf, "a@x.", 4);
        memset(buf + 4, 'c', 63);
        buf[67] = '\0';
        assert_true(retl_email_valid(buf, strlen(buf), NULL));
        memset(buf + 4, 'c', 64);
        buf[68] = '\0';
        assert_false(retl_email_valid(buf, strlen(buf), NULL));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table),
                cmocka_unit_test(test_lengths),
                cmocka_unit_test(test_label_lengths),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
