/* retl — e-mail address check, see email.h for the rule. */
#include "email.h"

#include <string.h>

#define LOCAL_MAX 64
#define ADDR_MAX 254
#define LABEL_MAX 63

/* atext = ALPHA / DIGIT / "!" "#" "$" "%" "&" "'" "*" "+" "-" "/" "=" "?"
 *         "^" "_" "`" "{" "|" "}" "~" */
static int is_atext(unsigned char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* qtext = %d33 / %d35-91 / %d93-126 (printable ASCII but '"' and '\') */
static int is_qtext(unsigned char c)
{
        return c == 33 || (c >= 35 && c <= 91) || (c >= 93 && c <= 126);
}

static int is_wsp(unsigned char c)
{
        return c == ' ' || c == '\t';
}

static int is_let_dig(unsigned char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Why a byte that the part's grammar does not take is refused. */
static const char *stray(unsigned char c, const char *otherwise)
{
        return c >= 0x80 ? "non-ASCII character" : c == '@' ? "more than one '@'" : otherwise;
}

/* The dot-separated pieces of [s, s + len) all non-empty: the shared part of
 * the local part's and the domain's grammars. */
static int dots_ok(const unsigned char *s, size_t len, const char **why)
{
        if (s[0] == '.') {
                *why = "starts with a dot";
                return 0;
        }
        if (s[len - 1] == '.') {
                *why = "ends with a dot";
                return 0;
        }
        for (size_t i = 1; i < len; i++)
                if (s[i] == '.' && s[i - 1] == '.') {
                        *why = "two dots in a row";
                        return 0;
                }
        return 1;
}

/* local-part as dot-atom-text, [s, s + len), len > 0 */
static int dot_atom_ok(const unsigned char *s, size_t len, const char **why)
{
        for (size_t i = 0; i < len; i++)
                if (s[i] != '.' && !is_atext(s[i])) {
                        *why = stray(s[i], "character not allowed outside quotes");
                        return 0;
                }
        return dots_ok(s, len, why);
}

/* local-part as quoted-string starting at s[0] == '"'; *end gets the index
 * just past the closing quote. */
static int quoted_ok(const unsigned char *s, size_t len, size_t *end, const char **why)
{
        size_t i;

        for (i = 1; i < len && s[i] != '"'; i++) {
                if (s[i] == '\\') {
                        /* quoted-pair = "\" (VCHAR / WSP) */
                        if (++i >= len || !((s[i] >= 33 && s[i] <= 126) || is_wsp(s[i]))) {
                                *why = "bad escape in quoted local part";
                                return 0;
                        }
                } else if (!is_qtext(s[i]) && !is_wsp(s[i])) {
                        *why = s[i] >= 0x80 ? "non-ASCII character"
                                            : "character not allowed in quotes";
                        return 0;
                }
        }
        if (i >= len) {
                *why = "unterminated quoted local part";
                return 0;
        }
        *end = i + 1;
        return 1;
}

/* domain = label 1*("." label), [s, s + len), len > 0 */
static int domain_ok(const unsigned char *s, size_t len, const char **why)
{
        size_t start = 0, dots = 0;

        if (s[0] == '[') {
                *why = "address literal as domain (Customer.io takes domain names only)";
                return 0;
        }
        for (size_t i = 0; i < len; i++)
                if (s[i] != '.' && s[i] != '-' && !is_let_dig(s[i])) {
                        *why = stray(s[i], "character not allowed in a domain name");
                        return 0;
                }
        if (!dots_ok(s, len, why))
                return 0;
        for (size_t i = 0; i <= len; i++) {
                if (i < len && s[i] != '.')
                        continue;
                if (i - start > LABEL_MAX) {
                        *why = "domain label longer than 63 characters";
                        return 0;
                }
                if (s[start] == '-' || s[i - 1] == '-') {
                        *why = "domain label starts or ends with a hyphen";
                        return 0;
                }
                dots += i < len;
                start = i + 1;
        }
        if (!dots) {
                *why = "domain has no dot";
                return 0;
        }
        return 1;
}

int retl_email_valid(const char *str, size_t len, const char **why)
{
        const unsigned char *s = (const unsigned char *)str;
        const char *ignored;
        size_t at;

        if (!why)
                why = &ignored;
        if (!len) {
                *why = "empty";
                return 0;
        }
        if (len > ADDR_MAX) {
                *why = "longer than 254 characters";
                return 0;
        }
        /* the local part ends at the first '@' unless quoted (a quoted local
         * part may hold '@') */
        if (s[0] == '"') {
                if (!quoted_ok(s, len, &at, why))
                        return 0;
                if (at >= len || s[at] != '@') {
                        *why = "quoted local part not followed by '@'";
                        return 0;
                }
        } else {
                const unsigned char *p = memchr(s, '@', len);

                if (!p) {
                        *why = "no '@'";
                        return 0;
                }
                at = (size_t)(p - s);
                if (!at) {
                        *why = "empty local part";
                        return 0;
                }
                if (!dot_atom_ok(s, at, why))
                        return 0;
        }
        if (at > LOCAL_MAX) {
                *why = "local part longer than 64 characters";
                return 0;
        }
        if (at + 1 >= len) {
                *why = "empty domain";
                return 0;
        }
        return domain_ok(s + at + 1, len - at - 1, why);
}
