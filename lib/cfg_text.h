/* retl — configuration text: the file as written, for what libconfig hides (integers, unclosed). */
#ifndef RETL_CFG_TEXT_H
#define RETL_CFG_TEXT_H

#include <stddef.h>

/* An integer literal of the file too large for 64 bits. */
struct retl_cfg_text_int {
        int ti_line;
        char *ti_text;          /* as written, without an L suffix */
};

/* The file's text prepared for libconfig; fields are read-only. */
struct retl_cfg_text {
        char *t_text;           /* to parse: the same lines as the file */
        struct retl_cfg_text_int *t_big;        /* given to libconfig as strings */
        size_t t_nbig;
};

/** @brief Prepares @p src (@p len bytes, a whole file) for libconfig, line
 *  numbers unchanged: libconfig 1.5 reads an integer literal without the L
 *  suffix as 32 bits, wrapping larger ones silently, so such a literal
 *  beyond 32 bits gets its L (read whole, as libconfig 1.7 does); one beyond
 *  64 bits becomes a string, noted in t_big, for the loader to refuse it
 *  quoting the file. Free with retl_cfg_text_free. */
void retl_cfg_text_init(struct retl_cfg_text *t, const char *src, size_t len);
void retl_cfg_text_free(struct retl_cfg_text *t);

/** @brief The literal of t_big on @p line that reads @p value, or NULL. */
const char *retl_cfg_text_big(const struct retl_cfg_text *t, int line, const char *value);

/** @brief Why a syntax error may come at the end of @p src: an unclosed
 *  quote, comment, brace, bracket or parenthesis, with the line it opened
 *  on (also in *open_line). *last_line is the last line holding anything
 *  but blanks and comments.
 *  @returns 1 for an odd number of quotes, a likely cause wherever libconfig
 *  stopped; 0 for another cause, of an error at the end; each with a phrase
 *  in @p why ("an unclosed ..."); -1 when nothing is unclosed. */
int retl_cfg_text_unclosed(const char *src, size_t len, int *last_line, int *open_line,
                           char *why, size_t why_size);

#endif
