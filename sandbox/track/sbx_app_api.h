/* retl sandbox — the part of Customer.io's App API the uploader uses:
 * manual segments by name (GET and POST /v1/segments, GET and DELETE
 * /v1/segments/{id}), with its own Bearer key and its own rate limit. */
#ifndef RETL_SBX_APP_API_H
#define RETL_SBX_APP_API_H

#include "sandbox/track/sbx_server_int.h"

/* The App API's limit: requests per second (Customer.io: 10). */
#define RETL_SBX_APP_RATE 10

/** @brief Answers an App API request whose body was read: the Bearer key
 *  (401), the rate limit (429), then the endpoint. Logged in the traffic
 *  ring like Track API requests; never subject to injected faults. */
enum MHD_Result retl_sbx_app_api_request(struct retl_sbx_server *srv,
                                         struct MHD_Connection *conn, struct sbx_req *rq,
                                         const char *method, const char *url);

#endif
