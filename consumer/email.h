/* retl uploader — e-mail address check: RFC 5322 addr-spec.
 *
 * addr-spec = local-part "@" domain, where local-part is a dot-atom or a
 * quoted-string and domain a dot-atom (with at least one dot) or a
 * domain-literal "[...]". No comments, folding white space or obsolete
 * forms (RFC 5322 §3.4.1 says they must not be generated); at most 64
 * bytes before the '@' and 254 in all (RFC 5321 §4.5.3.1). */
#ifndef RETL_EMAIL_H
#define RETL_EMAIL_H

#include <stddef.h>

/** @brief Checks @p len bytes at @p s.
 *  @returns 1 when valid, else 0 with a static reason in *why (why may be NULL). */
int retl_email_valid(const char *s, size_t len, const char **why);

#endif
