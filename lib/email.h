/* retl — e-mail address check, one rule for the uploader (consumer/mapping.c)
 * and the sandbox (sandbox/track/sbx_email.c).
 *
 * An address is an RFC 5322 addr-spec (§3.4.1) without comments, folding
 * white space or the obsolete forms (§3.4.1: they must not be generated),
 * whose domain is an RFC 5321 Domain (§4.1.2) — the part of RFC 5322's
 * dot-atom that mail can be delivered to:
 *   addr-spec     = local-part "@" domain
 *   local-part    = dot-atom-text / quoted-string
 *   dot-atom-text = 1*atext *("." 1*atext)
 *   quoted-string = DQUOTE *(qtext / quoted-pair / WSP) DQUOTE
 *   domain        = label 1*("." label)          (at least one dot)
 *   label         = 1 to 63 letters, digits and "-", not starting or
 *                   ending with "-" (RFC 1035 §2.3.1, RFC 5321 Ldh-str)
 * so no trailing dot ("a@example.com."), no empty label. Refused although
 * RFC 5321 allows them: address literals ("a@[192.0.2.1]"), which
 * Customer.io's email check does not take. Only ASCII (no RFC 6531): an
 * internationalised domain is given in its punycode form
 * ("a@xn--bcher-kva.example"), a raw UTF-8 one is refused. Lengths per RFC
 * 5321 §4.5.3.1: at most 64 bytes before the '@', 254 in all. */
#ifndef RETL_EMAIL_H
#define RETL_EMAIL_H

#include <stddef.h>

/** @brief Checks the @p len bytes at @p s (not NUL-terminated; a NUL byte is
 *  refused). @returns 1 when valid, else 0 with a static reason in *why (why
 *  may be NULL). */
int retl_email_valid(const char *s, size_t len, const char **why);

#endif
