/* retl — the commands' shared option handling: values, counts, usage errors. */
#include "args.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int retl_args_is(const struct retl_args *ra, const char *shortname, const char *longname)
{
        const char *arg = ra->ra_argv[ra->ra_i];

        return (shortname && !strcmp(arg, shortname)) || !strcmp(arg, longname);
}

int retl_args_value(struct retl_args *ra, const char **value)
{
        if (ra->ra_i + 1 >= ra->ra_argc) {
                fprintf(stderr, "retl %s: option '%s' needs a value (see --help)\n", ra->ra_cmd,
                        ra->ra_argv[ra->ra_i]);
                return -1;
        }
        ra->ra_i++;
        *value = ra->ra_argv[ra->ra_i];
        return 0;
}

int retl_args_bad_value(const struct retl_args *ra, const char *fmt, ...)
{
        char what[256];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        /* one write: the line is not torn by another thread's */
        fprintf(stderr, "retl %s: option '%s' takes %s, not '%s' (see --help)\n", ra->ra_cmd,
                ra->ra_argv[ra->ra_i - 1], what, ra->ra_argv[ra->ra_i]);
        return -1;
}

int retl_args_count(struct retl_args *ra, int64_t min, int64_t max, int64_t *value)
{
        const char *s;
        char *end = NULL;
        long long v = 0;
        int ok;

        if (retl_args_value(ra, &s))
                return -1;
        /* Digits only, a '-' first when negatives are allowed: strtoll alone
         * takes " 5" and "+5". */
        ok = (s[0] >= '0' && s[0] <= '9') || (min < 0 && s[0] == '-' && s[1] >= '0' && s[1] <= '9');
        if (ok) {
                errno = 0;
                v = strtoll(s, &end, 10);
                ok = !errno && !*end && v >= min && v <= max;
        }
        if (!ok)
                return retl_args_bad_value(ra, "a whole number from %" PRId64 " to %" PRId64,
                                           min, max);
        *value = v;
        return 0;
}

int retl_args_unknown(const struct retl_args *ra)
{
        const char *arg = ra->ra_argv[ra->ra_i];

        if (arg[0] == '-' && arg[1])
                fprintf(stderr, "retl %s: unknown option '%s' (see --help)\n", ra->ra_cmd, arg);
        else
                fprintf(stderr, "retl %s: unexpected argument '%s' (see --help)\n", ra->ra_cmd,
                        arg);
        return 2;
}
