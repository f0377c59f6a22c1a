/* retl uploader — the Track API client (and the App API's, for segments
 * found by name): concurrent HTTP requests over one
 * libcurl multi handle (keep-alive, HTTP/2 multiplexing where the server
 * offers it), and the reading of its answers.
 *
 * Single-threaded: every call from the uploader's loop. A request's body is
 * borrowed until its completion is reported. */
#ifndef RETL_TRACK_H
#define RETL_TRACK_H

#include <stddef.h>
#include <stdint.h>

struct retl_track;
struct retl_track_xfer;

/* What became of one request. */
struct retl_track_result {
        int curl_code;          /* CURLE_*; 0 = an HTTP answer came */
        const char *error;      /* libcurl's reason when curl_code != 0 */
        long status;            /* HTTP status, 0 when none */
        const char *body;       /* answer body (NUL-terminated, capped at 1 MiB) */
        size_t body_len;
        int64_t retry_after_ms; /* from Retry-After, -1 when absent */
        double total_s;
};

/* How the uploader treats an answer. */
enum retl_track_class {
        RETL_TRACK_OK = 0,      /* 2xx but 207 */
        RETL_TRACK_PARTIAL,     /* 207: some entities refused, see the errors */
        RETL_TRACK_RETRY,       /* 5xx, timeout, connection error: send again */
        RETL_TRACK_RATE,        /* 429: wait (Retry-After) and send again */
        RETL_TRACK_AUTH,        /* 401/403: stop the workspace until the key works */
        RETL_TRACK_REJECT,      /* other 4xx: the request itself is refused */
};

struct retl_track *retl_track_new(char *errstr, size_t errstr_size);
/** @brief Aborts what is still running. NULL is fine. */
void retl_track_destroy(struct retl_track *t);

/** @brief Starts POST @p url with a JSON body (borrowed until completion),
 *  HTTP basic auth @p user : @p password. @p opaque comes back with the result.
 *  @returns the transfer (owned by @p t), never NULL. */
struct retl_track_xfer *retl_track_post(struct retl_track *t, const char *url,
                                        const char *user, const char *password,
                                        const char *body, size_t len, long timeout_s,
                                        void *opaque);
/** @brief Starts an App API request (api.customer.io): POST @p body (JSON,
 *  borrowed until completion) or, when @p body is NULL, GET @p url; with
 *  Authorization: Bearer @p token. As retl_track_post otherwise. */
struct retl_track_xfer *retl_track_app(struct retl_track *t, const char *url,
                                       const char *token, const char *body, size_t len,
                                       long timeout_s, void *opaque);
/** @brief Abandons a running transfer; its completion is never reported. */
void retl_track_abort(struct retl_track *t, struct retl_track_xfer *x);

/** @brief Waits up to @p timeout_ms for network activity or for @p extra_fd
 *  (-1 = none) to be readable. */
void retl_track_wait(struct retl_track *t, int extra_fd, int timeout_ms);
/** @brief Moves transfers along; calls @p done for each that finished.
 *  @returns how many are still running. */
int retl_track_perform(struct retl_track *t,
                       void (*done)(void *opaque, const struct retl_track_result *r, void *arg),
                       void *arg);

enum retl_track_class retl_track_classify(const struct retl_track_result *r);

/** @brief Reads the errors[] of a 207 (or 400) answer: calls @p cb for each
 *  with its batch_index as given (-1 when absent or not an integer: the
 *  caller checks it against its request), reason, field and message (""
 *  when absent). @returns how many, or -1 when the body is not such an answer. */
int retl_track_errors(const char *body, size_t len,
                      void (*cb)(void *arg, long index, const char *reason, const char *field,
                                 const char *message),
                      void *arg);

/** @brief Parses a Retry-After value (seconds or an HTTP date).
 *  @returns milliseconds to wait (0 to an hour), or -1. */
int64_t retl_track_parse_retry_after(const char *v, int64_t now_unix_s);

#endif
