/* retl sandbox — what every HTTP handler of the sandbox needs: sending an
 * answer through libmicrohttpd, and the clocks. */
#ifndef RETL_SBX_HTTP_H
#define RETL_SBX_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

/** @returns the monotonic clock, in ms. */
int64_t retl_sbx_http_mono_ms(void);
/** @returns the wall clock, Unix ms. */
int64_t retl_sbx_http_wall_ms(void);
/** @brief Sleeps @p ms, signals notwithstanding. */
void retl_sbx_http_sleep_ms(int ms);

/** @brief Queues @p body (taken; free()d by libmicrohttpd) with @p status;
 *  a Retry-After header when @p retry_after >= 0, a WWW-Authenticate
 *  challenge when @p auth. */
enum MHD_Result retl_sbx_http_send_body(struct MHD_Connection *conn, int status,
                                        const char *ctype, char *body, size_t len,
                                        int retry_after, int auth);
/** @brief Sends @p j (reference taken) as compact JSON, numbers kept as
 *  sent written as such (sbx_numbers.h). */
enum MHD_Result retl_sbx_http_send_json(struct MHD_Connection *conn, int status, json_t *j,
                                        int retry_after, int auth);
/** @brief Sends {"error":"<message>"}, the inspection API's error body. */
enum MHD_Result retl_sbx_http_send_error(struct MHD_Connection *conn, int status,
                                         const char *message);

#endif
