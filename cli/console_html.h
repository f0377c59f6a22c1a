/* retl console — building HTML: text from data always escaped, the page frame. */
#ifndef RETL_CONSOLE_HTML_H
#define RETL_CONSOLE_HTML_H

#include "lib/buf.h"

#include <stddef.h>
#include <stdint.h>

/* A page being written; an append that fails (past the ceiling) sets err. */
struct retl_html {
        struct retl_buf b;
        int err;
};

void retl_html_init(struct retl_html *h);
void retl_html_free(struct retl_html *h);
/** @brief Takes the page (free() it), or NULL when it grew past the ceiling. */
char *retl_html_take(struct retl_html *h, size_t *len);

/** @brief Appends markup written by us: never pass text from data here. */
void retl_html_raw(struct retl_html *h, const char *markup);
/** @brief Appends markup made of constants and numbers: no %s from data. */
void retl_html_fmt(struct retl_html *h, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/** @brief Appends @p s as text: & < > " ' escaped, so it is safe between tags
 *  and inside quoted attributes (HTML and SVG alike); NULL appends nothing. */
void retl_html_text(struct retl_html *h, const char *s);
/** @brief Appends @p s percent-encoded, for a value in a URL's query. */
void retl_html_url_value(struct retl_html *h, const char *s);
/** @brief Appends a number with thousands separators: 1234567 -> 1,234,567. */
void retl_html_count(struct retl_html *h, int64_t n);

/** @brief The page's start: doctype, title (escaped), stylesheet, navigation. */
void retl_html_begin(struct retl_html *h, const char *title);
/** @brief The page's end (with the script when @p live). */
void retl_html_end(struct retl_html *h, int live);

#endif
