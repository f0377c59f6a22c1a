/* retl sandbox — the inspection and administration API under /_sandbox/:
 * what landed, the traffic, faults, suppressions, segments, reset, flush. */
#ifndef RETL_SBX_INSPECT_H
#define RETL_SBX_INSPECT_H

#include "sandbox/track/sbx_server_int.h"

/** @brief Answers GET /_sandbox/<what>. */
enum MHD_Result retl_sbx_inspect_get(struct retl_sbx_server *srv, struct MHD_Connection *conn,
                                     const char *what);
/** @brief Answers POST /_sandbox/<what> whose body was read. */
enum MHD_Result retl_sbx_inspect_post(struct retl_sbx_server *srv, struct MHD_Connection *conn,
                                      struct sbx_req *rq, const char *what);

#endif
