/* retl sandbox — the HTTP side: Track API endpoints, inspection and admin
 * endpoints, on libmicrohttpd. */
#ifndef RETL_SBX_SERVER_H
#define RETL_SBX_SERVER_H

#include "sandbox/track/sbx_faults.h"
#include "sandbox/track/sbx_ws.h"

#include <stddef.h>

/* Body limits, in bytes (Customer.io: "smaller than 500kb", "32kb"). */
#define RETL_SBX_BATCH_MAX (500 * 1024)
#define RETL_SBX_ENTITY_MAX (32 * 1024)
#define RETL_SBX_SEGMENT_IDS_MAX 1000
#define RETL_SBX_ADMIN_BODY_MAX (1024 * 1024)

struct retl_sbx_server_conf {
        const char *sc_host;          /* IPv4 address to bind */
        int sc_port;                  /* 0 = any free port */
        const char *sc_site_id;
        const char *sc_api_key;
        const char *sc_state_path;    /* NULL = memory only */
        int sc_threads;               /* 0 = a thread per connection */
        struct retl_sbx_ws *sc_ws;            /* borrowed, outlives the server */
        struct retl_sbx_faults *sc_faults;    /* borrowed */
};

struct retl_sbx_server;

/** @brief Binds and starts serving on internal threads.
 *  @returns NULL with the reason in errstr. */
struct retl_sbx_server *retl_sbx_server_start(const struct retl_sbx_server_conf *sc,
                                              char *errstr, size_t errstr_size);
/** @returns the bound port. */
int retl_sbx_server_port(const struct retl_sbx_server *srv);
/** @brief Writes the workspace to the state file if it changed (no-op
 *  without one). Any thread. @returns 0 or -1. */
int retl_sbx_server_flush(struct retl_sbx_server *srv, char *errstr, size_t errstr_size);
/** @brief Stops serving (waits for the threads) and frees the server; the
 *  workspace stays with the caller. NULL is fine. */
void retl_sbx_server_stop(struct retl_sbx_server *srv);

#endif
