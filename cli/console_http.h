/* retl console — the HTTP server: listening, authentication, CSRF, request
 * and response plumbing (libmicrohttpd); the pages are elsewhere. */
#ifndef RETL_CONSOLE_HTTP_H
#define RETL_CONSOLE_HTTP_H

#include <stddef.h>

struct MHD_Connection;

#define RETL_CONSOLE_MAX_FIELDS 16

/* A request that passed authentication (and, a POST, the CSRF check). */
struct retl_console_req {
        struct MHD_Connection *conn;
        const char *method;             /* "GET", "HEAD" or "POST" */
        const char *path;
        size_t nfields;                 /* a POST's form fields, decoded */
        char *names[RETL_CONSOLE_MAX_FIELDS], *values[RETL_CONSOLE_MAX_FIELDS];
};

/* What a page answers; body is malloc'd and taken by the server. */
struct retl_console_resp {
        unsigned status;
        const char *type;               /* Content-Type */
        char *body;
        size_t len;
        const char *attachment;         /* a download's file name, or NULL */
};

typedef void (retl_console_route)(void *ctx, const struct retl_console_req *rq,
                                  struct retl_console_resp *rs);

struct retl_console_http;

/** @brief Listens on @p listen ("host:port"); @p token (NULL = none) is then
 *  required as "Authorization: Bearer TOKEN" or as the password of basic
 *  auth. Without a token only a loopback address is accepted.
 *  @p route answers every accepted request, on the server's one thread.
 *  @returns the server, or NULL with errstr. */
struct retl_console_http *retl_console_http_new(const char *listen, const char *token,
                                                retl_console_route *route, void *ctx,
                                                char *errstr, size_t errstr_size);
int retl_console_http_port(const struct retl_console_http *s);
/** @brief The value forms must carry in their "csrf" field (random per process). */
const char *retl_console_http_csrf(const struct retl_console_http *s);
void retl_console_http_destroy(struct retl_console_http *s);   /* NULL is fine */

/** @brief A query-string argument, or for a POST a form field; NULL if absent. */
const char *retl_console_arg(const struct retl_console_req *rq, const char *name);

/** @brief Decodes an x-www-form-urlencoded @p body in place into @p rq's
 *  fields. @returns 0, or -1 when malformed or with too many fields. */
int retl_console_form_parse(struct retl_console_req *rq, char *body);

/** @brief Whether @p a equals @p b, in a time that does not depend on where
 *  they differ. */
int retl_console_same_secret(const char *a, const char *b);

#endif
