/* Fuzz target: the Track API answer readers (retl_track_errors on 200/207/400 bodies, Retry-After values). */
#include "tests/fuzz/fuzz.h"

#include "consumer/track.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW_S 1700000000 /* 2023-11-14: a fixed "now" keeps runs reproducible */
#define RETRY_AFTER_MAX_MS (3600 * 1000)

static void count_error(void *arg, long index, const char *reason, const char *field,
                        const char *message)
{
        int *n = arg;

        /* the uploader formats these into failure reasons: they must be strings */
        (void)index;
        if (!reason || !field || !message) {
                fprintf(stderr, "fuzz_track: NULL text in an error\n");
                abort();
        }
        (void)(strlen(reason) + strlen(field) + strlen(message));
        (*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        int seen = 0, n;
        char *value;
        int64_t ms;

        n = retl_track_errors((const char *)data, size, count_error, &seen);
        if (n >= 0 ? n != seen : n != -1 || seen) {
                fprintf(stderr, "fuzz_track: returned %d after %d errors\n", n, seen);
                abort();
        }
        /* the same bytes as a Retry-After header value */
        value = retl_strndup((const char *)data, size);
        ms = retl_track_parse_retry_after(value, NOW_S);
        if (ms < -1 || ms > RETRY_AFTER_MAX_MS) {
                fprintf(stderr, "fuzz_track: Retry-After '%s' gives %lld ms (over an hour)\n",
                        value, (long long)ms);
                abort();
        }
        free(value);
        return 0;
}
