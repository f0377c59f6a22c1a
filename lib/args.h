/* retl — the pieces the commands' option loops share: an option's value, a
 * count, and usage errors that name the option. */
#ifndef RETL_ARGS_H
#define RETL_ARGS_H

#include <stdint.h>

/* A command's arguments and the one being looked at; messages start with
 * "retl <ra_cmd>:". Set the fields and walk ra_i from 1 to ra_argc. */
struct retl_args {
        const char *ra_cmd;
        int ra_argc;
        char **ra_argv;
        int ra_i;
};

/** @brief Whether the current argument is the option @p shortname (may be
 *  NULL) or @p longname. */
int retl_args_is(const struct retl_args *ra, const char *shortname, const char *longname);

/** @brief Takes the current option's value (the next argument) into *value
 *  (borrowed from argv) and moves past it.
 *  @returns 0, or -1 when it is missing: the usage error is printed, the
 *  command exits 2. */
int retl_args_value(struct retl_args *ra, const char **value);

/** @brief Like retl_args_value, for a whole decimal number from @p min to
 *  @p max (no sign unless @p min < 0, no other characters).
 *  @returns 0, or -1 with the usage error printed (naming the option). */
int retl_args_count(struct retl_args *ra, int64_t min, int64_t max, int64_t *value);

/** @brief Prints the usage error for a value just taken by retl_args_value
 *  that is not what its option takes: "option 'O' takes WHAT, not 'V'",
 *  WHAT from @p fmt. @returns -1. */
int retl_args_bad_value(const struct retl_args *ra, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/** @brief Prints the usage error for the current argument: an unknown option,
 *  or an argument too many. @returns 2, the exit status of a usage error. */
int retl_args_unknown(const struct retl_args *ra);

#endif
