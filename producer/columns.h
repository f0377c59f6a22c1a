/* retl — the column rules a query's result must pass before a single row is
 * published: identifier columns per kind of query, at most 300 columns,
 * named and unique columns (names compare without case), a boolean
 * `deleted`, no `cio_id` in a people query (Customer.io's own). Every
 * message names the column and says how to fix it. */
#ifndef RETL_COLUMNS_H
#define RETL_COLUMNS_H

#include "lib/buf.h"
#include "lib/cfg.h"
#include "producer/source.h"

#include <stddef.h>

#define RETL_COLUMNS_MAX 300

enum retl_query_kind {
        RETL_QK_PEOPLE = 0,
        RETL_QK_OBJECTS,
        RETL_QK_RELATIONSHIPS,
};

/** @brief Checks @p cols against the rules of @p kind (@p ident: the people
 *  identifier for PEOPLE and RELATIONSHIPS; @p has_star: the query used
 *  SELECT *, which changes the advice). Appends one line per problem to
 *  @p problems. @returns the number of problems (0 = the columns pass). */
int retl_columns_check(enum retl_query_kind kind, enum retl_ident ident, int has_star,
                       const struct retl_source_column *cols, size_t ncols,
                       struct retl_buf *problems);

const char *retl_query_kind_name(enum retl_query_kind kind);

#endif
