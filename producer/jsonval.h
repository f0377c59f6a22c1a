/* retl — column values as JSON and as text, for `retl preview` and `retl dump`.
 *
 * JSON: null, true/false, integers, doubles (17 significant digits, exact),
 * strings; Decimal, Date, Time, DateTime, DateTimeOffset and Uuid as their
 * text; bytes as "0x" + upper-case hex. */
#ifndef RETL_JSONVAL_H
#define RETL_JSONVAL_H

#include "lib/buf.h"
#include "lib/records.h"

#include <jansson.h>

/** @brief A new JSON value (decref it). Invalid UTF-8 in a string comes out
 *  with each bad byte as U+FFFD. */
json_t *retl_jsonval_new(const struct retl_value *v);

/** @brief Appends a short text form (at most @p max characters, "..." when
 *  cut; control characters shown as '?') for tables. */
void retl_jsonval_text(const struct retl_value *v, size_t max, struct retl_buf *out);

#endif
