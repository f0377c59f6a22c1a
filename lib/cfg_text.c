/* retl — configuration text, see cfg_text.h: a scan of libconfig's syntax as written. */
#include "cfg_text.h"
#include "mem.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 256

/* What one pass over the text finds. */
struct scan {
        const char *sc_src;
        size_t sc_len;
        /* rewriting (sc_out non-NULL): the text for libconfig */
        char *sc_out;
        size_t sc_outlen;
        struct retl_cfg_text *sc_text;
        /* structure */
        int sc_last_line;               /* last line with a token */
        int sc_comment_open;            /* line of an unclosed comment, 0 = none */
        int sc_string_open;             /* line of the string open at the end, 0 = none */
        int sc_first_multiline;         /* first string running past its line, 0 = none */
        char sc_stack[MAX_DEPTH];       /* open braces, brackets, parentheses */
        int sc_stack_line[MAX_DEPTH];
        int sc_depth;
        char sc_bad_open, sc_bad_close; /* first mismatched pair */
        int sc_bad_open_line, sc_bad_close_line;
};

static void out(struct scan *sc, const char *p, size_t n)
{
        if (!sc->sc_out)
                return;
        memcpy(sc->sc_out + sc->sc_outlen, p, n);
        sc->sc_outlen += n;
}

/* An integer literal beyond 32 bits gets its L; one beyond 64 bits becomes
 * a string. Anything else (floats, 32-bit integers) is copied. */
static void number(struct scan *sc, const char *tok, size_t n, int line)
{
        size_t nd = n, skip;
        int hex, big, wide;
        char *digits;

        while (nd > 0 && tok[nd - 1] == 'L')
                nd--;
        digits = retl_calloc(nd + 1, 1);
        memcpy(digits, tok, nd);
        /* libconfig: [-+]?[0-9]+ and 0[Xx][0-9A-Fa-f]+, each with L or LL */
        hex = nd > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X');
        skip = hex ? 2 : digits[0] == '-' || digits[0] == '+';
        if (nd <= skip ||
            strspn(digits + skip, hex ? "0123456789abcdefABCDEF" : "0123456789") != nd - skip) {
                out(sc, tok, n); /* not an integer: libconfig judges */
                free(digits);
                return;
        }
        errno = 0;
        if (hex) {
                unsigned long long u = strtoull(digits, NULL, 16);
                big = errno == ERANGE || u > (unsigned long long)INT64_MAX;
                wide = u > (unsigned long long)INT32_MAX;
        } else {
                long long v = strtoll(digits, NULL, 10);
                big = errno == ERANGE;
                wide = v > INT32_MAX || v < INT32_MIN;
        }
        if (big) {
                struct retl_cfg_text *t = sc->sc_text;
                if (t) {
                        t->t_big = retl_realloc(t->t_big, (t->t_nbig + 1) * sizeof(*t->t_big));
                        t->t_big[t->t_nbig].ti_line = line;
                        t->t_big[t->t_nbig].ti_text = digits;
                        t->t_nbig++;
                        digits = NULL;
                }
                out(sc, "\"", 1);
                out(sc, tok, nd);
                out(sc, "\"", 1);
        } else {
                out(sc, tok, n);
                if (wide && nd == n)
                        out(sc, "L", 1);
        }
        free(digits);
}

static void opener(struct scan *sc, char c, int line)
{
        if (sc->sc_depth < MAX_DEPTH) {
                sc->sc_stack[sc->sc_depth] = c;
                sc->sc_stack_line[sc->sc_depth] = line;
        }
        sc->sc_depth++;
}

static void closer(struct scan *sc, char c, int line)
{
        static const char pairs[] = "{}()[]";
        char want = 0;

        if (sc->sc_depth > 0 && sc->sc_depth <= MAX_DEPTH)
                want = pairs[strchr(pairs, sc->sc_stack[sc->sc_depth - 1]) - pairs + 1];
        if (want != c && !sc->sc_bad_close) {
                sc->sc_bad_close = c;
                sc->sc_bad_close_line = line;
                if (sc->sc_depth > 0 && sc->sc_depth <= MAX_DEPTH) {
                        sc->sc_bad_open = sc->sc_stack[sc->sc_depth - 1];
                        sc->sc_bad_open_line = sc->sc_stack_line[sc->sc_depth - 1];
                }
        }
        if (sc->sc_depth > 0)
                sc->sc_depth--;
}

/* One pass over the text, the tokens as libconfig's scanner splits them. */
static void scan(struct scan *sc)
{
        const char *s = sc->sc_src;
        size_t i = 0, n = sc->sc_len;
        int line = 1;

        while (i < n) {
                char c = s[i];
                size_t start = i;

                if (c == '\n') {
                        line++;
                        i++;
                } else if (isspace((unsigned char)c)) {
                        i++;
                } else if (c == '#' || (c == '/' && i + 1 < n && s[i + 1] == '/')) {
                        while (i < n && s[i] != '\n')
                                i++;
                } else if (c == '/' && i + 1 < n && s[i + 1] == '*') {
                        int open = line;
                        i += 2;
                        while (i < n && !(s[i] == '*' && i + 1 < n && s[i + 1] == '/'))
                                line += s[i++] == '\n';
                        if (i >= n)
                                sc->sc_comment_open = open;
                        else
                                i += 2;
                } else if (c == '"') {
                        int open = line;
                        sc->sc_last_line = line;
                        for (i++; i < n && s[i] != '"'; i++) {
                                if (s[i] == '\\' && i + 1 < n)
                                        i++;
                                if (s[i] == '\n') {
                                        line++;
                                        if (!sc->sc_first_multiline)
                                                sc->sc_first_multiline = open;
                                }
                        }
                        if (i >= n)
                                sc->sc_string_open = open;
                        else
                                i++;
                } else if (isalpha((unsigned char)c) || c == '*' || c == '@') {
                        /* names, true/false, @include */
                        sc->sc_last_line = line;
                        for (i++; i < n && (isalnum((unsigned char)s[i]) || s[i] == '_' ||
                                            s[i] == '-' || s[i] == '*');
                             i++)
                                ;
                } else if (isdigit((unsigned char)c) ||
                           ((c == '-' || c == '+' || c == '.') && i + 1 < n &&
                            (isdigit((unsigned char)s[i + 1]) || s[i + 1] == '.'))) {
                        int hex;
                        sc->sc_last_line = line;
                        if (c == '-' || c == '+')
                                i++;
                        hex = s[i] == '0' && i + 1 < n && (s[i + 1] == 'x' || s[i + 1] == 'X');
                        for (; i < n && (isalnum((unsigned char)s[i]) || s[i] == '.'); i++)
                                if (!hex && (s[i] == 'e' || s[i] == 'E') && i + 1 < n &&
                                    (s[i + 1] == '-' || s[i + 1] == '+'))
                                        i++;
                        number(sc, s + start, i - start, line);
                        continue;
                } else {
                        sc->sc_last_line = line;
                        if (c == '{' || c == '(' || c == '[')
                                opener(sc, c, line);
                        else if (c == '}' || c == ')' || c == ']')
                                closer(sc, c, line);
                        i++;
                }
                out(sc, s + start, i - start);
        }
}

void retl_cfg_text_init(struct retl_cfg_text *t, const char *src, size_t len)
{
        struct scan *sc = retl_calloc(1, sizeof(*sc));

        memset(t, 0, sizeof(*t));
        /* each literal grows by 2 bytes at most (quotes), and is 1 long at least */
        t->t_text = retl_calloc(len * 3 + 1, 1);
        sc->sc_src = src;
        sc->sc_len = len;
        sc->sc_out = t->t_text;
        sc->sc_text = t;
        scan(sc);
        t->t_text[sc->sc_outlen] = '\0';
        free(sc);
}

void retl_cfg_text_free(struct retl_cfg_text *t)
{
        for (size_t i = 0; i < t->t_nbig; i++)
                free(t->t_big[i].ti_text);
        free(t->t_big);
        free(t->t_text);
        memset(t, 0, sizeof(*t));
}

const char *retl_cfg_text_big(const struct retl_cfg_text *t, int line, const char *value)
{
        for (size_t i = 0; i < t->t_nbig; i++)
                if (t->t_big[i].ti_line == line && !strcmp(t->t_big[i].ti_text, value))
                        return t->t_big[i].ti_text;
        return NULL;
}

int retl_cfg_text_unclosed(const char *src, size_t len, int *last_line, int *open_line,
                           char *why, size_t why_size)
{
        struct scan *sc = retl_calloc(1, sizeof(*sc));
        int found = 0;

        sc->sc_src = src;
        sc->sc_len = len;
        scan(sc);
        *last_line = sc->sc_last_line;
        if (sc->sc_string_open) {
                /* An odd number of quotes: the one missing is likely where a
                 * string first runs past its line. */
                *open_line = sc->sc_first_multiline ? sc->sc_first_multiline : sc->sc_string_open;
                snprintf(why, why_size,
                         "an unclosed quote: the string opened on line %d runs past its line",
                         *open_line);
                found = 1;
        } else if (sc->sc_comment_open) {
                *open_line = sc->sc_comment_open;
                snprintf(why, why_size, "an unclosed comment: '/*' on line %d has no '*/'",
                         sc->sc_comment_open);
        } else if (sc->sc_bad_close && sc->sc_bad_open) {
                *open_line = sc->sc_bad_open_line;
                snprintf(why, why_size, "an unclosed '%c': opened on line %d, then '%c' on line %d",
                         sc->sc_bad_open, sc->sc_bad_open_line, sc->sc_bad_close,
                         sc->sc_bad_close_line);
        } else if (sc->sc_depth > 0 && sc->sc_depth <= MAX_DEPTH) {
                *open_line = sc->sc_stack_line[sc->sc_depth - 1];
                snprintf(why, why_size, "an unclosed '%c': opened on line %d",
                         sc->sc_stack[sc->sc_depth - 1], sc->sc_stack_line[sc->sc_depth - 1]);
        } else {
                found = -1;
        }
        free(sc);
        return found;
}
