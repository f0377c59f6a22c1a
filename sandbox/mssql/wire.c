/* retl-mssql-standin — byte buffers and text conversions, see wire.h. */
#include "sandbox/mssql/wire.h"

#include "mem.h"

#include <stdlib.h>

/* Latin1_General_CI_AS: LCID 0x0409, ignore case, kana type and width, sort
 * id 0 (a Windows collation; 0x34 would be SQL_Latin1_General_CP1_CI_AS) */
const uint8_t retl_tds_collation[5] = {0x09, 0x04, 0xD0, 0x00, 0x00};

void retl_wbuf_init(struct retl_wbuf *wb, size_t max)
{
        wb->wb_data = NULL;
        wb->wb_len = 0;
        wb->wb_cap = 0;
        wb->wb_max = max ? max : (size_t)1 << 30;
        wb->wb_over = 0;
}

void retl_wbuf_free(struct retl_wbuf *wb)
{
        free(wb->wb_data);
        retl_wbuf_init(wb, wb->wb_max);
}

int retl_wbuf_reserve(struct retl_wbuf *wb, size_t n)
{
        size_t cap;

        if (wb->wb_over || n > wb->wb_max || wb->wb_len + n > wb->wb_max) {
                wb->wb_over = 1;
                return 0;
        }
        if (wb->wb_len + n <= wb->wb_cap)
                return 1;
        cap = wb->wb_cap ? wb->wb_cap : 256;
        while (cap < wb->wb_len + n)
                cap *= 2;
        if (cap > wb->wb_max)
                cap = wb->wb_max;
        wb->wb_data = retl_realloc(wb->wb_data, cap);
        wb->wb_cap = cap;
        return 1;
}

/* Decodes one UTF-8 sequence at s[*i]; advances *i. Invalid or overlong
 * input yields U+FFFD and skips one byte. */
static uint32_t utf8_next(const uint8_t *s, size_t n, size_t *i)
{
        uint8_t c = s[*i];
        uint32_t cp, min;
        size_t len, k;

        if (c < 0x80) {
                (*i)++;
                return c;
        }
        if ((c & 0xE0) == 0xC0) {
                len = 2; cp = c & 0x1F; min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
                len = 3; cp = c & 0x0F; min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
                len = 4; cp = c & 0x07; min = 0x10000;
        } else {
                (*i)++;
                return 0xFFFD;
        }
        if (*i + len > n) {
                (*i)++;
                return 0xFFFD;
        }
        for (k = 1; k < len; k++) {
                if ((s[*i + k] & 0xC0) != 0x80) {
                        (*i)++;
                        return 0xFFFD;
                }
                cp = (cp << 6) | (s[*i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                (*i)++;
                return 0xFFFD;
        }
        *i += len;
        return cp;
}

size_t retl_utf8_utf16_units(const uint8_t *s, size_t n)
{
        size_t i = 0, units = 0;

        while (i < n)
                units += utf8_next(s, n, &i) >= 0x10000 ? 2 : 1;
        return units;
}

size_t retl_utf8_to_utf16le(struct retl_wbuf *wb, const uint8_t *s, size_t n)
{
        size_t i = 0, units = 0;

        if (!retl_wbuf_reserve(wb, 2 * n))
                return 0;
        while (i < n) {
                uint32_t cp = utf8_next(s, n, &i);
                uint8_t *o = wb->wb_data + wb->wb_len;
                if (cp >= 0x10000) {
                        uint32_t v = cp - 0x10000;
                        unsigned hi = 0xD800 + (v >> 10), lo = 0xDC00 + (v & 0x3FF);
                        o[0] = (uint8_t)hi; o[1] = (uint8_t)(hi >> 8);
                        o[2] = (uint8_t)lo; o[3] = (uint8_t)(lo >> 8);
                        wb->wb_len += 4;
                        units += 2;
                } else {
                        o[0] = (uint8_t)cp; o[1] = (uint8_t)(cp >> 8);
                        wb->wb_len += 2;
                        units++;
                }
        }
        return units;
}

static void put_utf8(struct retl_wbuf *wb, uint32_t cp)
{
        uint8_t b[4];
        size_t n;

        if (cp < 0x80) {
                b[0] = (uint8_t)cp; n = 1;
        } else if (cp < 0x800) {
                b[0] = (uint8_t)(0xC0 | (cp >> 6));
                b[1] = (uint8_t)(0x80 | (cp & 0x3F)); n = 2;
        } else if (cp < 0x10000) {
                b[0] = (uint8_t)(0xE0 | (cp >> 12));
                b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
                b[2] = (uint8_t)(0x80 | (cp & 0x3F)); n = 3;
        } else {
                b[0] = (uint8_t)(0xF0 | (cp >> 18));
                b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
                b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
                b[3] = (uint8_t)(0x80 | (cp & 0x3F)); n = 4;
        }
        retl_wbuf_put(wb, b, n);
}

void retl_utf16le_to_utf8(struct retl_wbuf *wb, const uint8_t *p, size_t units)
{
        for (size_t i = 0; i < units; i++) {
                uint32_t u = p[2 * i] | (uint32_t)p[2 * i + 1] << 8;
                if (u >= 0xD800 && u <= 0xDBFF && i + 1 < units) {
                        uint32_t l = p[2 * i + 2] | (uint32_t)p[2 * i + 3] << 8;
                        if (l >= 0xDC00 && l <= 0xDFFF) {
                                put_utf8(wb, 0x10000 + ((u - 0xD800) << 10) +
                                                     (l - 0xDC00));
                                i++;
                                continue;
                        }
                }
                if (u >= 0xD800 && u <= 0xDFFF)
                        u = 0xFFFD;
                put_utf8(wb, u);
        }
}

/* Windows-1252 0x80..0x9F; 0 marks the five unassigned positions. */
static const uint16_t cp1252_high[32] = {
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

size_t retl_utf8_to_cp1252(struct retl_wbuf *wb, const uint8_t *s, size_t n)
{
        size_t i = 0, out = 0;

        while (i < n) {
                uint32_t cp = utf8_next(s, n, &i);
                uint8_t b = '?';
                if (cp < 0x80 || (cp >= 0xA0 && cp <= 0xFF)) {
                        b = (uint8_t)cp;
                } else {
                        for (int k = 0; k < 32; k++)
                                if (cp1252_high[k] && cp1252_high[k] == cp)
                                        b = (uint8_t)(0x80 + k);
                }
                retl_wbuf_u8(wb, b);
                out++;
        }
        return out;
}

void retl_tds_bvarchar(struct retl_wbuf *wb, const char *s)
{
        size_t n = strlen(s), at = wb->wb_len, units;

        retl_wbuf_u8(wb, 0);
        units = retl_utf8_to_utf16le(wb, (const uint8_t *)s, n);
        if (units > 255) {
                units = 255;
                wb->wb_len = at + 1 + 2 * units;
        }
        if (at < wb->wb_len)
                wb->wb_data[at] = (uint8_t)units;
}

void retl_tds_usvarchar(struct retl_wbuf *wb, const char *s)
{
        size_t n = strlen(s), at = wb->wb_len, units;

        retl_wbuf_u16le(wb, 0);
        units = retl_utf8_to_utf16le(wb, (const uint8_t *)s, n);
        if (units > 65535) {
                units = 65535;
                wb->wb_len = at + 2 + 2 * units;
        }
        retl_wbuf_set_u16le(wb, at, (unsigned)units);
}
