/* Fuzz target: the e-mail rule (lib/email.c) as the uploader and the sandbox call it, which must agree, and the sandbox's comparison key. */
#include "tests/fuzz/fuzz.h"

#include "lib/email.h"
#include "mem.h"
#include "sandbox/track/sbx_email.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *s = (const char *)data, *why_up = NULL, *why_sbx = NULL;
        int up = retl_email_valid(s, size, &why_up);
        int sbx = retl_sbx_email_valid(s, size, &why_sbx);
        char *text, *key;

        if ((!up && !why_up) || (!sbx && !why_sbx)) {
                fprintf(stderr, "fuzz_email: refused without a reason\n");
                abort();
        }
        /* The uploader checks addresses so that the workspace does not
         * refuse them; the sandbox plays the workspace. */
        if (up != sbx) {
                fprintf(stderr, "fuzz_email: '%.*s': uploader says %s (%s), sandbox %s (%s)\n",
                        (int)size, s, up ? "valid" : "invalid", up ? "" : why_up,
                        sbx ? "valid" : "invalid", sbx ? "" : why_sbx);
                abort();
        }
        if (!sbx)
                return 0;
        /* the comparison key of a valid address is a valid address too */
        text = retl_strndup(s, size);
        key = retl_sbx_email_key(text);
        if (strlen(key) != size || !retl_sbx_email_valid(key, size, NULL)) {
                fprintf(stderr, "fuzz_email: key '%s' of '%s' is not an address\n", key, text);
                abort();
        }
        free(key);
        free(text);
        return 0;
}
