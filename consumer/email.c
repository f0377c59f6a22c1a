/* retl uploader — RFC 5322 addr-spec check, see email.h. */
#include "email.h"

#include <string.h>

static int atext(unsigned char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* dot-atom-text = 1*atext *("." 1*atext) */
static int dot_atom(const unsigned char *s, size_t len, size_t *ndots, const char **why)
{
        size_t atom = 0;

        *ndots = 0;
        for (size_t i = 0; i < len; i++) {
                if (s[i] == '.') {
                        if (!atom) {
                                *why = "empty label (leading or double dot)";
                                return 0;
                        }
                        atom = 0;
                        (*ndots)++;
                } else if (atext(s[i])) {
                        atom++;
                } else {
                        *why = s[i] >= 0x80 ? "non-ASCII character"
                               : s[i] == '@' ? "more than one '@'"
                                             : "character not allowed outside quotes";
                        return 0;
                }
        }
        if (!atom) {
                *why = len ? "ends with a dot" : "empty part";
                return 0;
        }
        return 1;
}

int retl_email_valid(const char *str, size_t len, const char **why)
{
        const unsigned char *s = (const unsigned char *)str;
        const char *ignored;
        size_t at, ndots, i;

        if (!why)
                why = &ignored;
        if (!len) {
                *why = "empty";
                return 0;
        }
        if (len > 254) {
                *why = "over 254 characters";
                return 0;
        }
        if (s[0] == '"') {
                /* quoted-string: qtext (33, 35-91, 93-126), WSP, quoted-pair */
                for (i = 1; i < len && s[i] != '"'; i++) {
                        unsigned char c = s[i];
                        if (c == '\\') {
                                if (++i >= len || !((s[i] >= 33 && s[i] <= 126) ||
                                                    s[i] == ' ' || s[i] == '\t')) {
                                        *why = "bad quoted pair";
                                        return 0;
                                }
                        } else if (!(c == 33 || (c >= 35 && c <= 91) || (c >= 93 && c <= 126) ||
                                     c == ' ' || c == '\t')) {
                                *why = "character not allowed in quotes";
                                return 0;
                        }
                }
                if (i >= len) {
                        *why = "unterminated quote";
                        return 0;
                }
                at = i + 1;
                if (at >= len || s[at] != '@') {
                        *why = "no '@' after the quoted local part";
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
                if (!dot_atom(s, at, &ndots, why))
                        return 0;
        }
        if (at > 64) {
                *why = "local part over 64 characters";
                return 0;
        }
        i = at + 1;
        if (i >= len) {
                *why = "empty domain";
                return 0;
        }
        if (s[i] == '[') {
                /* domain-literal: dtext = 33-90 / 94-126, and WSP as in quotes */
                size_t j;
                for (j = i + 1; j < len && s[j] != ']'; j++)
                        if (!((s[j] >= 33 && s[j] <= 90) || (s[j] >= 94 && s[j] <= 126) ||
                              s[j] == ' ' || s[j] == '\t')) {
                                *why = "character not allowed in domain literal";
                                return 0;
                        }
                if (j != len - 1 || j == i + 1) {
                        *why = "malformed domain literal";
                        return 0;
                }
                return 1;
        }
        if (!dot_atom(s + i, len - i, &ndots, why))
                return 0;
        if (!ndots) {
                *why = "domain has no dot";
                return 0;
        }
        return 1;
}
