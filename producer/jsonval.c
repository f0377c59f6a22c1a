/* retl — column values as JSON and text, see jsonval.h. */
#include "producer/jsonval.h"
#include "lib/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at p (max n bytes), 0 when invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
        size_t len;
        unsigned cp;

        if (p[0] < 0x80)
                return 1;
        if (p[0] >= 0xC2 && p[0] <= 0xDF)
                len = 2, cp = p[0] & 0x1F;
        else if (p[0] >= 0xE0 && p[0] <= 0xEF)
                len = 3, cp = p[0] & 0x0F;
        else if (p[0] >= 0xF0 && p[0] <= 0xF4)
                len = 4, cp = p[0] & 0x07;
        else
                return 0;
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xC0) != 0x80)
                        return 0;
                cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
                return 0;
        return len;
}

static json_t *string_of(const char *s, size_t len)
{
        json_t *j = json_stringn(s, len);
        struct retl_buf b;

        if (j)
                return j;
        retl_buf_init(&b, 0);
        for (size_t i = 0; i < len;) {
                size_t l = utf8_len((const unsigned char *)s + i, len - i);
                if (l == 0) {
                        if (retl_buf_puts(&b, "\xEF\xBF\xBD"))
                                break;
                        i++;
                } else {
                        if (retl_buf_append(&b, s + i, l))
                                break;
                        i += l;
                }
        }
        j = json_stringn(retl_buf_str(&b), retl_buf_len(&b));
        retl_buf_free(&b);
        return j ? j : json_string("");
}

static void hex(const unsigned char *p, size_t len, struct retl_buf *out, size_t max)
{
        static const char digits[] = "0123456789ABCDEF";
        if (retl_buf_puts(out, "0x"))
                return;
        for (size_t i = 0; i < len && i < max; i++)
                if (retl_buf_putc(out, digits[p[i] >> 4]) || retl_buf_putc(out, digits[p[i] & 15]))
                        return;
}

json_t *retl_jsonval_new(const struct retl_value *v)
{
        struct retl_buf b;
        json_t *j;

        switch (v->type) {
        case RETL_V_NULL: return json_null();
        case RETL_V_BOOL: return json_boolean(v->u.b);
        case RETL_V_LONG: return json_integer(v->u.l);
        case RETL_V_DOUBLE: return json_real(v->u.d);
        case RETL_V_OVERSIZE: return json_pack("{s:I}", "oversize_bytes", (json_int_t)v->u.l);
        case RETL_V_BYTES:
                retl_buf_init(&b, 0);
                hex((const unsigned char *)v->u.s.ptr, v->u.s.len, &b, (size_t)-1);
                j = json_stringn(retl_buf_str(&b), retl_buf_len(&b));
                retl_buf_free(&b);
                return j;
        default:
                return string_of(v->u.s.ptr, v->u.s.len);
        }
}

void retl_jsonval_text(const struct retl_value *v, size_t max, struct retl_buf *out)
{
        char tmp[64];
        size_t start = retl_buf_len(out), n = 0;
        int r = 0;

        switch (v->type) {
        case RETL_V_NULL: r = retl_buf_puts(out, "NULL"); break;
        case RETL_V_BOOL: r = retl_buf_puts(out, v->u.b ? "true" : "false"); break;
        case RETL_V_LONG:
                snprintf(tmp, sizeof(tmp), "%lld", (long long)v->u.l);
                r = retl_buf_puts(out, tmp);
                break;
        case RETL_V_DOUBLE:
                snprintf(tmp, sizeof(tmp), "%.17g", v->u.d);
                r = retl_buf_puts(out, tmp);
                break;
        case RETL_V_OVERSIZE:
                snprintf(tmp, sizeof(tmp), "(%lld bytes: too large)", (long long)v->u.l);
                r = retl_buf_puts(out, tmp);
                break;
        case RETL_V_BYTES:
                hex((const unsigned char *)v->u.s.ptr, v->u.s.len, out, max / 2);
                break;
        default:
                /* count characters, not bytes: UTF-8 continuation bytes are free */
                for (size_t i = 0; i < v->u.s.len && !r; i++) {
                        unsigned char c = (unsigned char)v->u.s.ptr[i];
                        if ((c & 0xC0) != 0x80 && ++n > max) {
                                r = retl_buf_puts(out, "...");
                                break;
                        }
                        r = retl_buf_putc(out, c < 0x20 || c == 0x7F ? '?' : (char)c);
                }
                break;
        }
        (void)start;
        (void)r;
}
