/* retl — unit tests: the sandbox's email check (lib/email.c's rule). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sandbox/track/sbx_email.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct email_case {
        const char *addr;
        int valid;
        const char *note;
};

static const struct email_case cases[] = {
        /* valid: dot-atom local parts */
        {"simple@example.com", 1, "plain"},
        {"very.common@example.com", 1, "dots between atoms"},
        {"x@example.com", 1, "one-letter local part"},
        {"UPPER.Case@Example.COM", 1, "case is kept"},
        {"user+tag@example.org", 1, "plus"},
        {"!#$%&'*+-/=?^_`{|}~@example.org", 1, "every atext symbol"},
        {"o'reilly@example.ie", 1, "apostrophe"},
        {"a@b.c", 1, "shortest with a dotted domain"},
        {"user@sub-domain.example-site.co.uk", 1, "hyphens and many labels"},
        {"user@123.123.123.123", 1, "numeric dot-atom domain"},
        {"user@xn--bcher-kva.example", 1, "IDN domain in punycode"},
        /* valid: quoted local parts */
        {"\"john..doe\"@example.org", 1, "double dot inside quotes"},
        {"\"very.unusual.@.unusual.com\"@example.com", 1, "@ inside quotes"},
        {"\" \"@example.org", 1, "a space inside quotes"},
        {"\"\"@example.org", 1, "empty quoted string"},
        {"\"a\\\"b\"@example.com", 1, "escaped quote"},
        {"\"a\\\\b\"@example.com", 1, "escaped backslash"},
        {"\"(comment)\"@example.com", 1, "parentheses inside quotes"},
        {"\"tab\there\"@example.com", 1, "tab inside quotes"},

        /* invalid */
        {"", 0, "empty"},
        {"Abc.example.com", 0, "no @"},
        {"A@b@c@example.com", 0, "several @"},
        {"a\"b(c)d,e:f;g<h>i[j\\k]l@example.com", 0, "specials outside quotes"},
        {"just\"not\"right@example.com", 0, "quotes inside an atom"},
        {"this is\"not\\allowed@example.com", 0, "spaces outside quotes"},
        {"john..doe@example.com", 0, "two dots in a row"},
        {".john@example.com", 0, "leading dot"},
        {"john.@example.com", 0, "trailing dot in local part"},
        {"@example.com", 0, "empty local part"},
        {"john@", 0, "empty domain"},
        {"john@localhost", 0, "domain without a dot (sandbox rule)"},
        {"john@example..com", 0, "empty domain label"},
        {"john@.example.com", 0, "domain starts with a dot"},
        {"john@example.com.", 0, "domain ends with a dot"},
        {"john@exam ple.com", 0, "space in domain"},
        {"j\xc3\xb6hn@example.com", 0, "non-ASCII local part (RFC 6531 is not 5322)"},
        {"john@ex\xc3\xa4mple.com", 0, "non-ASCII domain"},
        {"\"unterminated@example.com", 0, "unterminated quotes"},
        {"\"a\"b@example.com", 0, "text after the closing quote"},
        {"\"a\nb\"@example.com", 0, "newline inside quotes"},
        {"\"a\\\x01\"@example.com", 0, "escaped control character"},
        {"user@a!b.example", 0, "atext that is not a domain name character"},
        {"a@-x.com", 0, "domain label starting with a hyphen"},
        {"a@x-.com", 0, "domain label ending with a hyphen"},
        {"user@b\xc3\xbc" "cher.example", 0, "raw UTF-8 domain (punycode it)"},
        {"user@[192.168.2.1]", 0, "IPv4 literal (Customer.io takes domain names only)"},
        {"user@[IPv6:2001:db8::1]", 0, "IPv6 literal"},
        {"user@[192.168.2.1", 0, "unterminated domain literal"},
        {"user@[1.2.3.4]x", 0, "text after a domain literal"},
        {"user@[]", 0, "empty domain literal"},
        {"user@[a[b]", 0, "[ inside a domain literal"},
        {"john(comment)@example.com", 0, "comments (CFWS) are refused"},
        {" john@example.com", 0, "leading space"},
        {"john@example.com ", 0, "trailing space"},
        {"john@example.com\n", 0, "trailing newline"},
};

static void test_table(void **state)
{
        int bad = 0;

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const char *why = NULL;
                int got = retl_sbx_email_valid(cases[i].addr, strlen(cases[i].addr), &why);

                if (got != cases[i].valid) {
                        fprintf(stderr, "%s:%d: case %zu '%s' (%s): expected %s, got %s (%s)\n",
                                __FILE__, __LINE__, i, cases[i].addr, cases[i].note,
                                cases[i].valid ? "valid" : "invalid",
                                got ? "valid" : "invalid", why ? why : "-");
                        bad++;
                }
                if (!got)
                        assert_non_null(why);
        }
        assert_int_equal(bad, 0);
}

static void test_lengths(void **state)
{
        char addr[400];

        (void)state;
        /* local part: 64 octets fine, 65 not */
        memset(addr, 'a', 64);
        memcpy(addr + 64, "@example.com", 13);
        assert_true(retl_sbx_email_valid(addr, strlen(addr), NULL));
        memset(addr, 'a', 65);
        memcpy(addr + 65, "@example.com", 13);
        assert_false(retl_sbx_email_valid(addr, strlen(addr), NULL));
        /* whole address: 254 fine, 255 not (labels of at most 53) */
        memset(addr, 'b', sizeof(addr));
        memcpy(addr, "x@", 2);
        for (int i = 50; i < 254; i += 50)
                addr[i] = '.';
        addr[254] = '\0';
        assert_true(retl_sbx_email_valid(addr, 254, NULL));
        addr[254] = 'b';
        addr[255] = '\0';
        assert_false(retl_sbx_email_valid(addr, 255, NULL));
        /* a domain label: 63 octets fine, 64 not, first or last */
        for (int n = 62; n <= 65; n++) {
                char label[70];

                memset(label, 'b', (size_t)n);
                label[n] = '\0';
                snprintf(addr, sizeof(addr), "x@%s.example", label);
                if (retl_sbx_email_valid(addr, strlen(addr), NULL) != (n <= 63))
                        fail_msg("%s:%d: first label of %d", __FILE__, __LINE__, n);
                snprintf(addr, sizeof(addr), "x@example.%s", label);
                if (retl_sbx_email_valid(addr, strlen(addr), NULL) != (n <= 63))
                        fail_msg("%s:%d: last label of %d", __FILE__, __LINE__, n);
        }
}

static void test_embedded_nul(void **state)
{
        static const char a[] = "ab\0c@example.com";

        (void)state;
        assert_false(retl_sbx_email_valid(a, sizeof(a) - 1, NULL));
}

static void test_key(void **state)
{
        char *k = retl_sbx_email_key("John.Doe@Example.COM");

        (void)state;
        assert_string_equal(k, "john.doe@example.com");
        free(k);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table),
                cmocka_unit_test(test_lengths),
                cmocka_unit_test(test_embedded_nul),
                cmocka_unit_test(test_key),
        };
        return cmocka_run_group_tests_name("sandbox_email", tests, NULL, NULL);
}
