/* retl — growable byte buffer with a ceiling.
 *
 * A small value type that callers embed; use the functions, not the fields.
 * Every buffer has a maximum size: an append that would pass it fails with
 * RETL_BUF_TOOBIG and leaves the buffer as it was. The contents are always
 * NUL-terminated (the NUL is not counted in len). */
#ifndef RETL_BUF_H
#define RETL_BUF_H

#include <stddef.h>
#include <stdarg.h>

#define RETL_BUF_TOOBIG 1

struct retl_buf {
        char *b_data;
        size_t b_len;
        size_t b_cap;
        size_t b_max;
};

/** @brief Empty buffer that may grow to @p max bytes (0 = 1 GiB). */
void retl_buf_init(struct retl_buf *buf, size_t max);
void retl_buf_free(struct retl_buf *buf);
/** @brief Empties the buffer, keeping its memory. */
void retl_buf_reset(struct retl_buf *buf);
int retl_buf_append(struct retl_buf *buf, const void *data, size_t len)
        __attribute__((warn_unused_result));
int retl_buf_puts(struct retl_buf *buf, const char *s)
        __attribute__((warn_unused_result));
int retl_buf_putc(struct retl_buf *buf, char c) __attribute__((warn_unused_result));
int retl_buf_printf(struct retl_buf *buf, const char *fmt, ...)
        __attribute__((format(printf, 2, 3), warn_unused_result));
/** @brief Lengthens the contents by @p len bytes left for the caller to fill.
 *  @returns where they start, or NULL when that would pass the ceiling. */
void *retl_buf_extend(struct retl_buf *buf, size_t len) __attribute__((warn_unused_result));
/** @brief Shortens the contents to @p len bytes (len <= current length). */
void retl_buf_truncate(struct retl_buf *buf, size_t len);
/** @brief Makes room for @p len more bytes without growing again.
 *  @returns 0, or RETL_BUF_TOOBIG past the ceiling (nothing changed). */
int retl_buf_reserve(struct retl_buf *buf, size_t len) __attribute__((warn_unused_result));
/** @brief Sets the buffer's ceiling to @p max (0 = 1 GiB); contents already
 *  past it stay, appends fail. @returns the ceiling it had, to set back. */
size_t retl_buf_set_max(struct retl_buf *buf, size_t max);
/** @brief Takes the contents (free() them); the buffer is left empty. */
char *retl_buf_take(struct retl_buf *buf, size_t *len);

static inline const char *retl_buf_str(const struct retl_buf *buf)
{
        return buf->b_data ? buf->b_data : "";
}
static inline size_t retl_buf_len(const struct retl_buf *buf)
{
        return buf->b_len;
}

#endif
