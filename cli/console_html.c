/* retl console — building HTML, see console_html.h. */
#include "cli/console_html.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A page of failed rows or imports stays well under this. */
#define HTML_MAX (32u << 20)

void retl_html_init(struct retl_html *h)
{
        retl_buf_init(&h->b, HTML_MAX);
        h->err = 0;
}

void retl_html_free(struct retl_html *h)
{
        retl_buf_free(&h->b);
}

char *retl_html_take(struct retl_html *h, size_t *len)
{
        if (h->err) {
                retl_buf_free(&h->b);
                return NULL;
        }
        return retl_buf_take(&h->b, len);
}

void retl_html_raw(struct retl_html *h, const char *markup)
{
        h->err |= retl_buf_puts(&h->b, markup);
}

void retl_html_fmt(struct retl_html *h, const char *fmt, ...)
{
        char small[512];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(small, sizeof(small), fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= sizeof(small)) {
                h->err = 1; /* our own markup is short: longer is a bug */
                return;
        }
        h->err |= retl_buf_append(&h->b, small, (size_t)n);
}

void retl_html_text(struct retl_html *h, const char *s)
{
        const char *run = s;

        if (!s)
                return;
        for (; *s; s++) {
                const char *ent;
                switch (*s) {
                case '&': ent = "&amp;"; break;
                case '<': ent = "&lt;"; break;
                case '>': ent = "&gt;"; break;
                case '"': ent = "&quot;"; break;
                case '\'': ent = "&#39;"; break;
                default: continue;
                }
                h->err |= retl_buf_append(&h->b, run, (size_t)(s - run));
                h->err |= retl_buf_puts(&h->b, ent);
                run = s + 1;
        }
        h->err |= retl_buf_append(&h->b, run, (size_t)(s - run));
}

void retl_html_url_value(struct retl_html *h, const char *s)
{
        static const char hex[] = "0123456789ABCDEF";
        for (; s && *s; s++) {
                unsigned char c = (unsigned char)*s;
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == '~') {
                        h->err |= retl_buf_putc(&h->b, (char)c);
                } else {
                        char e[3] = {'%', hex[c >> 4], hex[c & 15]};
                        h->err |= retl_buf_append(&h->b, e, 3);
                }
        }
}

void retl_html_count(struct retl_html *h, int64_t n)
{
        char digits[32], out[48];
        size_t len, o = 0;
        uint64_t u = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;

        snprintf(digits, sizeof(digits), "%llu", (unsigned long long)u);
        len = strlen(digits);
        if (n < 0)
                out[o++] = '-';
        for (size_t i = 0; i < len; i++) {
                if (i && (len - i) % 3 == 0)
                        out[o++] = ',';
                out[o++] = digits[i];
        }
        out[o] = '\0';
        retl_html_raw(h, out);
}

void retl_html_begin(struct retl_html *h, const char *title)
{
        retl_html_raw(h, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                         "<meta name=\"viewport\" content=\"width=device-width\">"
                         "<title>");
        retl_html_text(h, title);
        retl_html_raw(h, " · retl console</title>"
                         "<link rel=\"stylesheet\" href=\"/console.css\"></head>\n<body>"
                         "<header><a class=\"brand\" href=\"/\">retl console</a>"
                         "<nav><a href=\"/\">Syncs</a></nav></header>\n<main>\n");
}

void retl_html_end(struct retl_html *h, int live)
{
        retl_html_raw(h, "</main>\n");
        if (live)
                retl_html_raw(h, "<script src=\"/console.js\"></script>\n");
        retl_html_raw(h, "</body></html>\n");
}
