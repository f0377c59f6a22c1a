/* retl uploader — JSON text writing: strings with strict UTF-8 checks,
 * numbers, base64.
 *
 * Hand-written (library-notes §5: about 8x faster than building jansson
 * trees). Every function appends to a retl_buf and fails, leaving the
 * buffer's contents undefined past the starting length, when a value cannot
 * be carried by JSON or the buffer's ceiling is reached. */
#ifndef RETL_JSONW_H
#define RETL_JSONW_H

#include "lib/buf.h"

#include <stddef.h>
#include <stdint.h>

enum retl_jsonw_err {
        RETL_JSONW_OK = 0,
        RETL_JSONW_UTF8,        /* not valid UTF-8 */
        RETL_JSONW_NONFINITE,   /* NaN or infinity */
        RETL_JSONW_NUMBER,      /* decimal text is not a number */
        RETL_JSONW_TOOBIG,      /* the buffer's ceiling */
};

/** @brief Is @p s (len bytes) valid UTF-8 (no overlongs, surrogates, or
 *  code points past U+10FFFF)? @returns 1 or 0. */
int retl_jsonw_utf8_valid(const char *s, size_t len);

/** @brief Appends "s" with JSON escapes. @returns RETL_JSONW_*. */
int retl_jsonw_string(struct retl_buf *b, const char *s, size_t len)
        __attribute__((warn_unused_result));
/** @brief Appends a double as the shortest text that reads back equal. */
int retl_jsonw_double(struct retl_buf *b, double d) __attribute__((warn_unused_result));
/** @brief Appends @p v in decimal. */
int retl_jsonw_long(struct retl_buf *b, int64_t v) __attribute__((warn_unused_result));
/** @brief Writes @p v in decimal, as "%lld" would, into @p out (at least
 *  RETL_JSONW_LONG_MAX bytes, NUL-terminated). @returns its length. */
#define RETL_JSONW_LONG_MAX 21
size_t retl_jsonw_long_text(char *out, int64_t v);
/** @brief Appends SQL decimal text ("-0012.50") as a JSON number literal
 *  ("-12.50"): digits are kept, not rounded through a double. */
int retl_jsonw_decimal(struct retl_buf *b, const char *s, size_t len)
        __attribute__((warn_unused_result));
/** @brief Appends "<base64 of data>" (RFC 4648, with padding). */
int retl_jsonw_base64(struct retl_buf *b, const void *data, size_t len)
        __attribute__((warn_unused_result));
/** @brief Appends raw text (punctuation, literals). */
int retl_jsonw_raw(struct retl_buf *b, const char *s) __attribute__((warn_unused_result));

#endif
