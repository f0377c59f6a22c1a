/* retl sandbox — email addresses as the workspace takes them, see sbx_email.h. */
#include "sandbox/track/sbx_email.h"

#include "lib/email.h"
#include "lib/mem.h"

int retl_sbx_email_valid(const char *s, size_t len, const char **why)
{
        return retl_email_valid(s, len, why);
}

char *retl_sbx_email_key(const char *s)
{
        char *k = retl_strdup(s);

        for (char *p = k; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        *p = (char)(*p - 'A' + 'a');
        return k;
}
