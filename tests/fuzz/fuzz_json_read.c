/* Fuzz target: the sandbox's fast reader of request bodies (sbx_json_read.c) against jansson's own parser: where the reader builds a tree, jansson must build the same one (types, values, member order). */
#include "tests/fuzz/fuzz.h"

#include "sandbox/track/sbx_json_read.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        json_t *fast = retl_sbx_json_read((const char *)data, size);
        json_error_t jerr;
        json_t *ref = json_loadb((const char *)data, size, 0, &jerr);
        char *a, *b;

        if (fast && !ref) {
                fprintf(stderr, "fuzz_json_read: read a tree where jansson says: %s\n",
                        jerr.text);
                abort();
        }
        if (fast) {
                a = json_dumps(fast, JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
                b = json_dumps(ref, JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
                if (!a || !b || strcmp(a, b) || !json_equal(fast, ref)) {
                        fprintf(stderr, "fuzz_json_read: trees differ:\n  %s\n  %s\n",
                                a ? a : "?", b ? b : "?");
                        abort();
                }
                free(a);
                free(b);
        }
        json_decref(fast);
        json_decref(ref);
        return 0;
}
