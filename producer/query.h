/* retl — a sync's query before it reaches the database: the
 * {{last_sync_time}} template and the read-only rule.
 *
 * The read-only rule runs a small T-SQL lexer that skips string literals
 * ('...', N'...'), [bracketed] and "quoted" identifiers and comments (-- and
 * nested block comments), and refuses anything but one SELECT (or WITH ...
 * SELECT): a second statement after ';', data changes, DDL, EXEC, SELECT ...
 * INTO, and the like. It is a guard against mistakes, not a sandbox: the
 * database user should be read-only too. */
#ifndef RETL_QUERY_H
#define RETL_QUERY_H

#include <stddef.h>
#include <stdint.h>

/** @brief Replaces every {{last_sync_time}} (spaces allowed inside the
 *  braces) with @p last_sync_time in decimal. Any other {{...}} is an error.
 *  @returns 0 and *out (malloc'd; free it), or -1 with errstr. */
int retl_query_render(const char *tmpl, int64_t last_sync_time, char **out, char *errstr,
                      size_t errstr_size) __attribute__((warn_unused_result));

/** @brief The value a run substitutes for {{last_sync_time}}: the sync's
 *  @p last_sync_time less its overlap window, so that rows committed late,
 *  or later within the second the last run started, are read again; 0 (the
 *  whole table) while the sync has never completed a run. */
int64_t retl_query_watermark(int64_t last_sync_time, int64_t overlap_s);

/** @brief Whether a sync's query template can ever run: rendered (with 0
 *  for the template) and checked by the read-only rule, as every run does.
 *  @returns 0, or -1 with the reason (its "line N: " is the query's line). */
int retl_query_check_template(const char *tmpl, char *errstr, size_t errstr_size)
        __attribute__((warn_unused_result));

struct retl_query_info {
        int has_star;           /* SELECT * or alias.* in a select list */
};

/** @brief Checks that @p sql is a single read-only SELECT.
 *  @returns 0 (and *info when not NULL), or -1 with the reason (keyword and
 *  line) in errstr. */
int retl_query_check(const char *sql, struct retl_query_info *info, char *errstr,
                     size_t errstr_size) __attribute__((warn_unused_result));

#endif
