/* retl sandbox — RFC 5322 addr-spec validation, see sbx_email.h. */
#include "sandbox/track/sbx_email.h"

#include "lib/mem.h"

#include <string.h>

#define LOCAL_MAX 64
#define ADDR_MAX 254

/* atext = ALPHA / DIGIT / "!" "#" "$" "%" "&" "'" "*" "+" "-" "/" "=" "?"
 *         "^" "_" "`" "{" "|" "}" "~" */
static int is_atext(unsigned char c)
{
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
                return 1;
        return c && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* qtext = %d33 / %d35-91 / %d93-126 (printable ASCII but '"' and '\') */
static int is_qtext(unsigned char c)
{
        return c == 33 || (c >= 35 && c <= 91) || (c >= 93 && c <= 126);
}

/* dtext = %d33-90 / %d94-126 (printable ASCII but '[', ']' and '\') */
static int is_dtext(unsigned char c)
{
        return (c >= 33 && c <= 90) || (c >= 94 && c <= 126);
}

static int is_wsp(unsigned char c)
{
        return c == ' ' || c == '\t';
}

/* Checks a dot-atom-text spanning [s, s + len); counts its dots. */
static int dot_atom_ok(const unsigned char *s, size_t len, size_t *dots, const char **why)
{
        size_t run = 0;

        *dots = 0;
        if (len == 0) {
                *why = "empty part";
                return 0;
        }
        for (size_t i = 0; i < len; i++) {
                if (s[i] == '.') {
                        if (run == 0) {
                                *why = i == 0 ? "starts with a dot"
                                              : "two dots in a row";
                                return 0;
                        }
                        run = 0;
                        (*dots)++;
                } else if (is_atext(s[i])) {
                        run++;
                } else {
                        *why = s[i] >= 0x80 ? "non-ASCII character"
                                            : "character not allowed outside quotes";
                        return 0;
                }
        }
        if (run == 0) {
                *why = "ends with a dot";
                return 0;
        }
        return 1;
}

int retl_sbx_email_valid(const char *str, size_t len, const char **why)
{
        const unsigned char *s = (const unsigned char *)str;
        const char *dummy;
        size_t i = 0, local_len, dots;

        if (!why)
                why = &dummy;
        if (len == 0) {
                *why = "empty";
                return 0;
        }
        if (len > ADDR_MAX) {
                *why = "longer than 254 characters";
                return 0;
        }
        /* local-part: quoted-string or dot-atom-text, up to the '@' that
         * ends it (a quoted local part may itself hold '@'). */
        if (s[0] == '"') {
                for (i = 1; i < len; i++) {
                        if (s[i] == '"')
                                break;
                        if (s[i] == '\\') {
                                /* quoted-pair = "\" (VCHAR / WSP) */
                                i++;
                                if (i >= len || !((s[i] >= 33 && s[i] <= 126) || is_wsp(s[i]))) {
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
                i++; /* past the closing quote */
                if (i >= len || s[i] != '@') {
                        *why = "quoted local part not followed by '@'";
                        return 0;
                }
                local_len = i;
        } else {
                const unsigned char *at = memchr(s, '@', len);

                if (!at) {
                        *why = "no '@'";
                        return 0;
                }
                local_len = (size_t)(at - s);
                if (local_len == 0) {
                        *why = "empty local part";
                        return 0;
                }
                if (!dot_atom_ok(s, local_len, &dots, why))
                        return 0;
                i = local_len;
        }
        if (local_len > LOCAL_MAX) {
                *why = "local part longer than 64 characters";
                return 0;
        }
        /* s[i] == '@' */
        i++;
        if (i >= len) {
                *why = "empty domain";
                return 0;
        }
        if (s[i] == '[') {
                size_t j;

                for (j = i + 1; j < len && s[j] != ']'; j++) {
                        if (!is_dtext(s[j]) && !is_wsp(s[j])) {
                                *why = "character not allowed in domain literal";
                                return 0;
                        }
                }
                if (j >= len) {
                        *why = "unterminated domain literal";
                        return 0;
                }
                if (j != len - 1) {
                        *why = "text after domain literal";
                        return 0;
                }
                if (j == i + 1) {
                        *why = "empty domain literal";
                        return 0;
                }
                return 1;
        }
        if (!dot_atom_ok(s + i, len - i, &dots, why)) {
                if (memchr(s + i, '@', len - i))
                        *why = "more than one '@'";
                return 0;
        }
        if (dots == 0) {
                *why = "domain has no dot";
                return 0;
        }
        return 1;
}

char *retl_sbx_email_key(const char *s)
{
        char *k = retl_strdup(s);

        for (char *p = k; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        *p = (char)(*p - 'A' + 'a');
        return k;
}
