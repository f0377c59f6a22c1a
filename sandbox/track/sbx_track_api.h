/* retl sandbox — the Track API endpoints: authentication, injected
 * faults, /api/v2/batch and /entity, the segment membership calls. */
#ifndef RETL_SBX_TRACK_API_H
#define RETL_SBX_TRACK_API_H

#include "sandbox/track/sbx_server_int.h"

/** @brief Answers a Track API request whose body was read (or refused as
 *  too large): authentication, faults, then the endpoint. May suspend the
 *  connection for injected latency; libmicrohttpd then calls again. */
enum MHD_Result retl_sbx_track_api_request(struct retl_sbx_server *srv,
                                           struct MHD_Connection *conn, struct sbx_req *rq,
                                           const char *method, const char *url);
/** @brief Answers an API request with @p status and the Track API's
 *  {"meta":{"errors":["..."]}} body, and logs it. */
__attribute__((format(printf, 7, 8)))
enum MHD_Result retl_sbx_track_api_refuse(struct retl_sbx_server *srv,
                                          struct MHD_Connection *conn, struct sbx_req *rq,
                                          const char *method, const char *url, int status,
                                          const char *fmt, ...);

#endif
