/* retl sandbox — attribute numbers as sent; see sbx_numbers.h. */
#include "sandbox/track/sbx_numbers.h"

#include <stdlib.h>
#include <string.h>

#define MARK "\0num:"
#define MARK_LEN 5
/* The mark as json_dumps() writes it, after the string's opening quote. */
#define DUMPED_MARK "\"\\u0000num:"

/* Where the walk is: outside attributes, in an attributes object itself
 * (its identifier members are not attributes), or below one. */
enum where { OUTSIDE, ATTRS, INSIDE };

struct scan {
        const char *sc_p, *sc_end;   /* the text not yet scanned */
        int sc_lost;                 /* the text and the tree disagree: keep no more */
        size_t sc_kept;
};

/* Moves past the string that starts at sc_p (its opening quote). */
static void skip_string(struct scan *sc)
{
        const char *p = sc->sc_p + 1;

        for (;;) {
                const char *q = memchr(p, '"', (size_t)(sc->sc_end - p));
                const char *b = q;

                if (!q) {
                        sc->sc_p = sc->sc_end;
                        return;
                }
                /* escaped when an odd number of backslashes precede it */
                while (b > p && b[-1] == '\\')
                        b--;
                p = q + 1;
                if ((q - b) % 2 == 0)
                        break;
        }
        sc->sc_p = p;
}

static int number_char(char c)
{
        return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' ||
               c == 'E';
}

/* The next number token of the text, in document order: the walk meets
 * the tree's numbers in the same order. @returns its length, 0 at the end. */
static size_t next_number(struct scan *sc, const char **tok)
{
        while (sc->sc_p < sc->sc_end) {
                char c = *sc->sc_p;

                if (c == '"') {
                        skip_string(sc);
                } else if (c == '-' || (c >= '0' && c <= '9')) {
                        const char *s = sc->sc_p;

                        while (sc->sc_p < sc->sc_end && number_char(*sc->sc_p))
                                sc->sc_p++;
                        *tok = s;
                        return (size_t)(sc->sc_p - s);
                } else {
                        sc->sc_p++;
                }
        }
        return 0;
}

/* @returns 1 if the @p n bytes at @p tok are not an integer's. */
static int not_integer(const char *tok, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (tok[i] == '.' || tok[i] == 'e' || tok[i] == 'E')
                        return 1;
        return 0;
}

/* The kept form of @p j, a number whose text is the next token; NULL when
 * it is not to be kept (or the token does not match it). */
static json_t *number(struct scan *sc, const json_t *j, enum where w)
{
        const char *tok = NULL;
        size_t n;
        char buf[128], *m;
        json_t *kept;

        if (sc->sc_lost)
                return NULL;
        n = next_number(sc, &tok);
        /* The token must be of the node's kind, and a number kept the
         * node's value: else the walk lost its place (duplicate keys). */
        if (!n || json_is_integer(j) != !not_integer(tok, n)) {
                sc->sc_lost = 1;
                return NULL;
        }
        if (w != INSIDE || !json_is_real(j))
                return NULL;
        if (strtod(tok, NULL) != json_real_value(j)) {
                sc->sc_lost = 1;
                return NULL;
        }
        m = n + MARK_LEN <= sizeof(buf) ? buf : malloc(n + MARK_LEN);
        if (!m)
                return NULL;
        memcpy(m, MARK, MARK_LEN);
        memcpy(m + MARK_LEN, tok, n);
        kept = json_stringn_nocheck(m, n + MARK_LEN);
        if (m != buf)
                free(m);
        if (kept)
                sc->sc_kept++;
        return kept;
}

/* Where the member @p key (NULL: an array element) of a value at @p w is.
 * (The first letters spare most comparisons.) */
static enum where below(enum where w, const char *key)
{
        if (w == OUTSIDE)
                return key && (key[0] == 'a' || key[0] == 'r') &&
                                       (!strcmp(key, "attributes") ||
                                        !strcmp(key, "relationship_attributes"))
                               ? ATTRS
                               : OUTSIDE;
        if (w == ATTRS && key && key[0] && strchr("iec_", key[0]) &&
            (!strcmp(key, "id") || !strcmp(key, "email") || !strcmp(key, "cio_id") ||
             !strcmp(key, "_update")))
                return OUTSIDE;
        return INSIDE;
}

static void walk(struct scan *sc, json_t *j, enum where w)
{
        json_t *v, *kept;
        size_t i;

        if (json_is_object(j)) {
                for (void *it = json_object_iter(j); it; it = json_object_iter_next(j, it)) {
                        v = json_object_iter_value(it);
                        if (json_is_number(v)) {
                                kept = number(sc, v, below(w, json_object_iter_key(it)));
                                if (kept)
                                        json_object_iter_set_new(j, it, kept);
                        } else if (json_is_object(v) || json_is_array(v)) {
                                walk(sc, v, below(w, json_object_iter_key(it)));
                        }
                }
        } else if (json_is_array(j)) {
                json_array_foreach(j, i, v) {
                        if (json_is_number(v)) {
                                kept = number(sc, v, below(w, NULL));
                                if (kept)
                                        json_array_set_new(j, i, kept);
                        } else if (json_is_object(v) || json_is_array(v)) {
                                walk(sc, v, below(w, NULL));
                        }
                }
        }
}

size_t retl_sbx_numbers_keep(json_t *root, const char *text, size_t len)
{
        struct scan sc = {text, text + len, 0, 0};

        walk(&sc, root, OUTSIDE);
        return sc.sc_kept;
}

char *retl_sbx_numbers_dumps(const json_t *j, size_t flags)
{
        char *s = json_dumps(j, flags);
        char *w, *r, *m = s ? strstr(s, DUMPED_MARK) : NULL;

        if (!m)
                return s;
        /* in place: a kept number is shorter than its marked string */
        w = r = m;
        do {
                char *e;

                memmove(w, r, (size_t)(m - r));
                w += m - r;
                r = m + sizeof(DUMPED_MARK) - 1;
                e = strchr(r, '"');  /* number text holds no quote */
                memmove(w, r, (size_t)(e - r));
                w += e - r;
                r = e + 1;
        } while ((m = strstr(r, DUMPED_MARK)));
        memmove(w, r, strlen(r) + 1);
        return s;
}
