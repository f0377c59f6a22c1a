/* retl-mssql-standin — one client connection: PRELOGIN, optional TLS,
 * LOGIN7, then SQL batches run on SQLite and streamed back as TDS 7.4. */
#ifndef RETL_MSSQL_SESSION_H
#define RETL_MSSQL_SESSION_H

#include <signal.h>
#include <stddef.h>

struct retl_mssql_session_log;

struct retl_mssql_conf {
        const char *mc_db_path;  /* SQLite file, opened read-write per connection */
        const char *mc_database; /* the database name clients log in to */
        const char *mc_user;     /* NULL: any user and password are accepted */
        const char *mc_password;
        void *mc_tls;            /* retl_mssql_tls_new, or NULL: ENCRYPT_NOT_SUP */
        struct retl_mssql_session_log *mc_session_log; /* --log-session, or NULL */
};

/** @brief Serves one connection until the client leaves or @p stop is set
 *  (checked between requests; the caller shuts the socket down to wake a
 *  blocked read). Closes nothing: the caller owns @p fd. Runs on the
 *  connection's own thread. */
void retl_mssql_session_run(const struct retl_mssql_conf *conf, int fd, int spid,
                            const char *peer, volatile sig_atomic_t *stop);

#endif
