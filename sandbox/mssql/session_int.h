/* retl-mssql-standin — the state of one connection, shared by the
 * session_*.c files (nothing outside them sees it). */
#ifndef RETL_MSSQL_SESSION_INT_H
#define RETL_MSSQL_SESSION_INT_H

#include "sandbox/mssql/session.h"
#include "sandbox/mssql/session_set.h"
#include "sandbox/mssql/wire.h"

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>
#include <sqlite3.h>

#define DEFAULT_PACKET 4096
#define MAX_PACKET     32767
#define OUT_CAP        (64 * 1024)
#define MAX_MESSAGE    (64u * 1024 * 1024) /* largest request we accept */
#define MAX_ROW        (256u * 1024 * 1024)
#define MAX_PREPARED   4096 /* sp_prepexec handles per connection */

struct retl_mssql_sess {
        const struct retl_mssql_conf *conf;
        volatile sig_atomic_t *stop;
        int fd;
        int spid;
        char ctx[96];
        int dead;    /* the socket failed: stop everything */
        int attn;    /* the client sent ATTENTION */
        int nocount; /* SET NOCOUNT ON */
        struct retl_mssql_set_state set; /* SET options, from the login on */
        int implicit_tx; /* SET IMPLICIT_TRANSACTIONS ON: a statement begins one */
        int in_proc; /* an RPC runs: DONE becomes DONEINPROC */
        uint64_t xact; /* the last transaction descriptor handed out */
        char *prepared[MAX_PREPARED]; /* by handle - 1: "@params declaration\0statement" */

        /* TLS over memory BIOs, so the handshake can ride in PRELOGIN packets */
        SSL *ssl;
        BIO *rbio, *wbio;

        /* input */
        uint8_t in[16384];
        size_t in_pos, in_len;
        struct retl_wbuf msg; /* one request, packets joined */

        /* output: whole packets, the last one being filled */
        uint8_t *out;
        size_t out_len;   /* bytes in out, including the open packet */
        size_t pkt_start; /* where the open packet's header is */
        uint8_t out_type;
        uint8_t pkt_id;
        size_t packet_size;

        struct retl_wbuf tok; /* one token being built */
        struct retl_wbuf row; /* encoded values of one row */

        char user[130];
        char database[130];
        sqlite3 *db;
};

#endif
