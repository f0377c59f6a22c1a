/* retl sandbox — email addresses as a Customer.io workspace accepts them.
 *
 * An address is an RFC 5322 addr-spec (section 3.4.1) without comments,
 * folding white space around atoms, or the obsolete forms:
 *   addr-spec     = local-part "@" domain
 *   local-part    = dot-atom-text / quoted-string
 *   domain        = dot-atom-text / domain-literal
 *   dot-atom-text = 1*atext *("." 1*atext)
 *   quoted-string = DQUOTE *(qtext / quoted-pair / WSP) DQUOTE
 *   domain-literal= "[" *(dtext / WSP) "]"
 * plus two practical rules: a dot-atom domain holds at least one dot
 * ("user@localhost" is refused), and the RFC 5321 length limits apply
 * (local part at most 64 octets, whole address at most 254). Only ASCII:
 * internationalised addresses (RFC 6531) are refused. */
#ifndef RETL_SBX_EMAIL_H
#define RETL_SBX_EMAIL_H

#include <stddef.h>

/** @returns 1 if the @p len bytes at @p s are a valid address, else 0;
 *  when 0 and @p why is not NULL, *why names the rule broken (static text). */
int retl_sbx_email_valid(const char *s, size_t len, const char **why);

/** @brief Writes the comparison key of a valid address: ASCII lower case.
 *  @returns a new string; free() it. */
char *retl_sbx_email_key(const char *s);

#endif
