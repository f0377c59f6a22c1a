/* retl uploader — JSON text writing, see jsonw.h. */
#include "jsonw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int retl_jsonw_utf8_valid(const char *s, size_t len)
{
        const unsigned char *p = (const unsigned char *)s, *end = p + len;

        while (p < end) {
                unsigned c = *p;
                size_t n;
                unsigned cp, min;

                if (c < 0x80) {
                        p++;
                        continue;
                }
                if (c >= 0xC2 && c <= 0xDF) {
                        n = 1;
                        cp = c & 0x1F;
                        min = 0x80;
                } else if (c >= 0xE0 && c <= 0xEF) {
                        n = 2;
                        cp = c & 0x0F;
                        min = 0x800;
                } else if (c >= 0xF0 && c <= 0xF4) {
                        n = 3;
                        cp = c & 0x07;
                        min = 0x10000;
                } else {
                        return 0;       /* continuation byte, C0/C1, F5..FF */
                }
                if ((size_t)(end - p) <= n)
                        return 0;
                for (size_t i = 1; i <= n; i++) {
                        if ((p[i] & 0xC0) != 0x80)
                                return 0;
                        cp = (cp << 6) | (p[i] & 0x3F);
                }
                if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                        return 0;
                p += n + 1;
        }
        return 1;
}

static int put(struct retl_buf *b, const char *s, size_t len)
{
        return retl_buf_append(b, s, len) ? RETL_JSONW_TOOBIG : RETL_JSONW_OK;
}

int retl_jsonw_raw(struct retl_buf *b, const char *s)
{
        return put(b, s, strlen(s));
}

int retl_jsonw_string(struct retl_buf *b, const char *s, size_t len)
{
        static const char hex[] = "0123456789abcdef";
        size_t start = 0;

        if (!retl_jsonw_utf8_valid(s, len))
                return RETL_JSONW_UTF8;
        if (put(b, "\"", 1))
                return RETL_JSONW_TOOBIG;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)s[i];
                char esc[7];
                size_t elen = 2;

                if (c >= 0x20 && c != '"' && c != '\\')
                        continue;
                esc[0] = '\\';
                switch (c) {
                case '"': esc[1] = '"'; break;
                case '\\': esc[1] = '\\'; break;
                case '\n': esc[1] = 'n'; break;
                case '\r': esc[1] = 'r'; break;
                case '\t': esc[1] = 't'; break;
                case '\b': esc[1] = 'b'; break;
                case '\f': esc[1] = 'f'; break;
                default:
                        memcpy(esc + 1, "u00", 3);
                        esc[4] = hex[c >> 4];
                        esc[5] = hex[c & 15];
                        elen = 6;
                }
                if (put(b, s + start, i - start) || put(b, esc, elen))
                        return RETL_JSONW_TOOBIG;
                start = i + 1;
        }
        if (put(b, s + start, len - start) || put(b, "\"", 1))
                return RETL_JSONW_TOOBIG;
        return RETL_JSONW_OK;
}

int retl_jsonw_double(struct retl_buf *b, double d)
{
        char tmp[40];

        if (!isfinite(d))
                return RETL_JSONW_NONFINITE;
        /* %.15g is exact for most values; fall back to 17 digits, which
         * always read back equal. */
        snprintf(tmp, sizeof(tmp), "%.15g", d);
        if (strtod(tmp, NULL) != d)
                snprintf(tmp, sizeof(tmp), "%.17g", d);
        return put(b, tmp, strlen(tmp));
}

size_t retl_jsonw_long_text(char *out, int64_t v)
{
        /* the magnitude as unsigned: -INT64_MIN does not fit an int64_t */
        uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
        char digits[20];
        size_t n = 0, len = 0;

        do {
                digits[n++] = (char)('0' + u % 10);
                u /= 10;
        } while (u);
        if (v < 0)
                out[len++] = '-';
        while (n)
                out[len++] = digits[--n];
        out[len] = '\0';
        return len;
}

int retl_jsonw_long(struct retl_buf *b, int64_t v)
{
        char tmp[RETL_JSONW_LONG_MAX];
        return put(b, tmp, retl_jsonw_long_text(tmp, v));
}

int retl_jsonw_decimal(struct retl_buf *b, const char *s, size_t len)
{
        size_t i = 0, int_start, int_end, nfrac = 0;

        /* JSON: -?(0|[1-9][0-9]*)(\.[0-9]+)? — SQL Server's text may carry
         * leading zeros or a bare trailing '.', which we normalise. */
        if (i < len && (s[i] == '-' || s[i] == '+'))
                i++;
        int_start = i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
                i++;
        int_end = i;
        if (i < len && s[i] == '.') {
                i++;
                while (i + nfrac < len && s[i + nfrac] >= '0' && s[i + nfrac] <= '9')
                        nfrac++;
        }
        if (i + nfrac != len || (int_end == int_start && !nfrac))
                return RETL_JSONW_NUMBER;
        if (s[0] == '-' && put(b, "-", 1))
                return RETL_JSONW_TOOBIG;
        while (int_start + 1 < int_end && s[int_start] == '0')
                int_start++;
        if (int_end == int_start) {
                if (put(b, "0", 1))
                        return RETL_JSONW_TOOBIG;
        } else if (put(b, s + int_start, int_end - int_start)) {
                return RETL_JSONW_TOOBIG;
        }
        if (nfrac && (put(b, ".", 1) || put(b, s + i, nfrac)))
                return RETL_JSONW_TOOBIG;
        return RETL_JSONW_OK;
}

int retl_jsonw_base64(struct retl_buf *b, const void *data, size_t len)
{
        static const char tbl[] =
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const unsigned char *p = data;
        size_t i;

        if (put(b, "\"", 1))
                return RETL_JSONW_TOOBIG;
        for (i = 0; i + 2 < len; i += 3) {
                char o[4] = {tbl[p[i] >> 2], tbl[((p[i] & 3) << 4) | (p[i + 1] >> 4)],
                             tbl[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)], tbl[p[i + 2] & 63]};
                if (put(b, o, 4))
                        return RETL_JSONW_TOOBIG;
        }
        if (len - i == 1) {
                char o[4] = {tbl[p[i] >> 2], tbl[(p[i] & 3) << 4], '=', '='};
                if (put(b, o, 4))
                        return RETL_JSONW_TOOBIG;
        } else if (len - i == 2) {
                char o[4] = {tbl[p[i] >> 2], tbl[((p[i] & 3) << 4) | (p[i + 1] >> 4)],
                             tbl[(p[i + 1] & 15) << 2], '='};
                if (put(b, o, 4))
                        return RETL_JSONW_TOOBIG;
        }
        return put(b, "\"", 1);
}
