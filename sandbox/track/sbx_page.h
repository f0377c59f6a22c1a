/* retl sandbox — the HTML page at /: counts of what landed, with links. */
#ifndef RETL_SBX_PAGE_H
#define RETL_SBX_PAGE_H

#include "sandbox/track/sbx_server_int.h"

/** @brief Answers GET /. */
enum MHD_Result retl_sbx_page_index(struct retl_sbx_server *srv, struct MHD_Connection *conn);

#endif
