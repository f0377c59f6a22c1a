/* retl sandbox — injected latency with a thread pool: connections are
 * suspended and a thread of its own resumes each when due. */
#ifndef RETL_SBX_LATENCY_H
#define RETL_SBX_LATENCY_H

#include <stddef.h>

struct MHD_Connection;
struct retl_sbx_latency;

/** @brief Starts the resuming thread.
 *  @returns NULL with the reason in errstr; free with retl_sbx_latency_destroy(). */
struct retl_sbx_latency *retl_sbx_latency_new(char *errstr, size_t errstr_size);
/** @brief Suspends @p conn for @p ms; libmicrohttpd calls the request
 *  handler again when it is resumed. Any thread.
 *  @returns 0, or -1 once draining began (answer now instead). */
int retl_sbx_latency_delay(struct retl_sbx_latency *lt, struct MHD_Connection *conn, int ms);
/** @brief Resumes every suspended connection now, suspends no more, and
 *  waits until none is left: libmicrohttpd aborts if stopped with a
 *  suspended connection. Call before MHD_stop_daemon(). */
void retl_sbx_latency_drain(struct retl_sbx_latency *lt);
/** @brief Stops the thread and frees. NULL is fine. */
void retl_sbx_latency_destroy(struct retl_sbx_latency *lt);

#endif
