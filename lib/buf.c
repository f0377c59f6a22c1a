/* retl — growable byte buffer with a ceiling, see buf.h. */
#include "buf.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX ((size_t)1 << 30)

void retl_buf_init(struct retl_buf *buf, size_t max)
{
        buf->b_data = NULL;
        buf->b_len = 0;
        buf->b_cap = 0;
        buf->b_max = max ? max : DEFAULT_MAX;
}

void retl_buf_free(struct retl_buf *buf)
{
        free(buf->b_data);
        buf->b_data = NULL;
        buf->b_len = buf->b_cap = 0;
}

void retl_buf_reset(struct retl_buf *buf)
{
        buf->b_len = 0;
        if (buf->b_data)
                buf->b_data[0] = '\0';
}

static int reserve(struct retl_buf *buf, size_t extra)
{
        size_t need = buf->b_len + extra + 1;
        size_t cap;

        if (extra > buf->b_max || buf->b_len + extra > buf->b_max)
                return RETL_BUF_TOOBIG;
        if (need <= buf->b_cap)
                return 0;
        cap = buf->b_cap ? buf->b_cap : 256;
        while (cap < need)
                cap *= 2;
        if (cap > buf->b_max + 1)
                cap = buf->b_max + 1;
        buf->b_data = retl_realloc(buf->b_data, cap);
        buf->b_cap = cap;
        return 0;
}

int retl_buf_append(struct retl_buf *buf, const void *data, size_t len)
{
        if (reserve(buf, len))
                return RETL_BUF_TOOBIG;
        if (len)
                memcpy(buf->b_data + buf->b_len, data, len);
        buf->b_len += len;
        buf->b_data[buf->b_len] = '\0';
        return 0;
}

void *retl_buf_extend(struct retl_buf *buf, size_t len)
{
        char *p;
        if (reserve(buf, len))
                return NULL;
        p = buf->b_data + buf->b_len;
        buf->b_len += len;
        buf->b_data[buf->b_len] = '\0';
        return p;
}

int retl_buf_puts(struct retl_buf *buf, const char *s)
{
        return retl_buf_append(buf, s, strlen(s));
}

int retl_buf_putc(struct retl_buf *buf, char c)
{
        return retl_buf_append(buf, &c, 1);
}

int retl_buf_printf(struct retl_buf *buf, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0)
                return RETL_BUF_TOOBIG;
        if (reserve(buf, (size_t)n))
                return RETL_BUF_TOOBIG;
        va_start(ap, fmt);
        vsnprintf(buf->b_data + buf->b_len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        buf->b_len += (size_t)n;
        return 0;
}

void retl_buf_truncate(struct retl_buf *buf, size_t len)
{
        if (len < buf->b_len) {
                buf->b_len = len;
                buf->b_data[len] = '\0';
        }
}

int retl_buf_reserve(struct retl_buf *buf, size_t len)
{
        return reserve(buf, len);
}

size_t retl_buf_set_max(struct retl_buf *buf, size_t max)
{
        size_t was = buf->b_max;

        buf->b_max = max ? max : DEFAULT_MAX;
        return was;
}

char *retl_buf_take(struct retl_buf *buf, size_t *len)
{
        char *p = buf->b_data ? buf->b_data : retl_strdup("");
        if (len)
                *len = buf->b_len;
        buf->b_data = NULL;
        buf->b_len = buf->b_cap = 0;
        return p;
}
