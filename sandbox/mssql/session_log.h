/* retl-mssql-standin — the session log (--log-session): what clients send,
 * as JSON lines, for tests to assert on. */
#ifndef RETL_MSSQL_SESSION_LOG_H
#define RETL_MSSQL_SESSION_LOG_H

#include "sandbox/mssql/session_set.h"

#include <stddef.h>
#include <stdint.h>

struct retl_mssql_session_log;

/* The LOGIN7 fields worth checking in a client; never the password. */
struct retl_mssql_login_info {
        uint32_t li_tds_version;  /* as sent, e.g. 0x74000004 */
        unsigned li_option_flags1;
        unsigned li_option_flags2;
        unsigned li_type_flags;
        unsigned li_option_flags3;
        const char *li_user;
        const char *li_database;  /* as asked for; "" for the default */
        const char *li_app;
        const char *li_host;
        const char *li_library;   /* client interface library, e.g. "DB-Library" */
};

/** @brief Opens @p path for appending. @returns a log to close with
 *  retl_mssql_session_log_close, or NULL with the reason in errstr. */
struct retl_mssql_session_log *retl_mssql_session_log_open(const char *path, char *errstr,
                                                           size_t errstr_size);
void retl_mssql_session_log_close(struct retl_mssql_session_log *sl); /* NULL is fine */

/* Each writes one line and flushes it; any connection thread may call them.
 * A NULL @p sl (no --log-session) writes nothing. */

/** @brief {"event":"login","spid":51,"tds_version":"0x74000004",
 *  "option_flags1":"0xE0","option_flags2":"0x03","type_flags":"0x00",
 *  "option_flags3":"0x00","user":…,"database":…,"app":…,"host":…,
 *  "library":…} */
void retl_mssql_session_log_login(struct retl_mssql_session_log *sl, int spid,
                                  const struct retl_mssql_login_info *li);

/** @brief {"event":"batch","spid":51,"text":…,"options":{…}}: the batch
 *  as received, before any rewriting; @p text is UTF-8, @p len bytes;
 *  options: the SET options it runs under (retl_mssql_set_json). */
void retl_mssql_session_log_batch(struct retl_mssql_session_log *sl, int spid, const char *text,
                                  size_t len, const struct retl_mssql_set_state *st);

/** @brief {"event":"rpc","spid":51,"proc":"sp_executesql","text":…}: the
 *  statement an RPC runs (parameter values are not logged). */
void retl_mssql_session_log_rpc(struct retl_mssql_session_log *sl, int spid, const char *proc,
                                const char *text, size_t len);

#endif
