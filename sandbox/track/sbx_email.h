/* retl sandbox — email addresses as a Customer.io workspace accepts them:
 * the uploader's rule, lib/email.h (RFC 5322 addr-spec with an RFC 5321
 * domain name, no address literals, ASCII only, RFC 5321 lengths), so that
 * what the uploader lets through is what the sandbox takes. */
#ifndef RETL_SBX_EMAIL_H
#define RETL_SBX_EMAIL_H

#include <stddef.h>

/** @brief retl_email_valid (lib/email.h) under the sandbox's name.
 *  @returns 1 if the @p len bytes at @p s are a valid address, else 0;
 *  when 0 and @p why is not NULL, *why names the rule broken (static text). */
int retl_sbx_email_valid(const char *s, size_t len, const char **why);

/** @brief Writes the comparison key of a valid address: ASCII lower case.
 *  @returns a new string; free() it. */
char *retl_sbx_email_key(const char *s);

#endif
