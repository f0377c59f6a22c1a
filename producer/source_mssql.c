/* retl — the SQL Server source driver, through FreeTDS db-lib.
 *
 * Connection settings go to FreeTDS through a private freetds.conf (written
 * for each connection into a fresh temporary folder that FREETDSCONF points
 * at, removed right after dbopen): db-lib 1.3.17 has no working API for
 * encryption (DBSETLENCRYPT returns FAIL) nor for the certificate checks
 * (mssql_session.c writes the file). After login one batch of SET statements
 * makes the session behave as ODBC and SSMS sessions do (mssql_session.c
 * says why each). TDS 7.4 is
 * fixed (both in the file and with DBSETLVERSION) so that a failed login is
 * not retried with a TDS 5.0 packet and the date and time types of SQL Server
 * 2008+ arrive natively. The client charset is UTF-8: every string arrives
 * as UTF-8.
 *
 * db-lib's error and message handlers are process-wide; they find the
 * connection they are about through a thread-local pointer set around every
 * db-lib call, classify the failure (FreeTDS and server message numbers) and
 * route the text into our log. Query waits are cut in one-second slices
 * (dbsettime(1)): at each slice the error handler sees SYBETIME and decides
 * to keep waiting, or to cancel because the stop flag is set or the query
 * timeout passed. */
#include "producer/source.h"
#include "producer/mssql_session.h"
#include "producer/mssql_values.h"
#include "lib/log.h"
#include "lib/mem.h"

#include <sybfront.h>
#include <sybdb.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


enum phase { PH_LOGIN = 0, PH_QUERY, PH_IDLE };

struct mssql {
        DBPROCESS *dbproc;
        char ctx[256];
        const volatile sig_atomic_t *stop;
        enum retl_encryption encryption;
        enum phase phase;
        int query_timeout_s;
        time_t deadline;
        enum retl_source_fail fail;     /* first classified failure */
        char diag[1024];                /* its text */
        int had_error;                  /* a server error (severity > 10) in this query */
        struct retl_source_column *cols;
        int *ftype;                     /* db-lib type of each column */
        struct retl_value *vals;
        char (*scratch)[RETL_MSSQL_SCRATCH];
        size_t ncols;
};

static _Thread_local struct mssql *tls_conn;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_ok;
static pthread_mutex_t conf_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---------------------------------------------------------------- handlers */

static void set_fail(struct mssql *m, enum retl_source_fail f, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void set_fail(struct mssql *m, enum retl_source_fail f, const char *fmt, ...)
{
        va_list ap;

        /* The first specific reason wins; a later generic one ("connection
         * failed") only fills in when there is none. */
        if (m->fail != RETL_SRC_OK && !(m->fail == RETL_SRC_OTHER && f != RETL_SRC_OTHER))
                return;
        m->fail = f;
        va_start(ap, fmt);
        vsnprintf(m->diag, sizeof(m->diag), fmt, ap);
        va_end(ap);
}

static int err_handler(DBPROCESS *dbproc, int severity, int dberr, int oserr, char *dberrstr,
                       char *oserrstr)
{
        struct mssql *m = tls_conn;
        const char *ctx = m ? m->ctx : "mssql";
        char os[256] = "";

        if (oserr > 0 && oserrstr)
                snprintf(os, sizeof(os), " (%s)", oserrstr);
        if (dberr == SYBETIME) {
                if (!m)
                        return INT_CANCEL;
                if (m->phase == PH_QUERY) {
                        if (m->stop && *m->stop) {
                                set_fail(m, RETL_SRC_CANCELLED, "stopped on request");
                                return INT_CANCEL;
                        }
                        if (time(NULL) < m->deadline)
                                return INT_CONTINUE;
                        set_fail(m, RETL_SRC_TIMEOUT, "no answer within query_timeout (%d s)",
                                 m->query_timeout_s);
                        retl_log_error(ctx, "query timed out after %d s", m->query_timeout_s);
                        return INT_CANCEL;
                }
                set_fail(m, RETL_SRC_TIMEOUT, "no answer within login_timeout");
                return INT_CANCEL;
        }
        retl_log(m && m->phase == PH_LOGIN ? RETL_LOG_DEBUG : RETL_LOG_WARN, ctx,
                 "FreeTDS error %d, severity %d: %s%s", dberr, severity,
                 dberrstr ? dberrstr : "", os);
        if (!m)
                return INT_CANCEL;
        switch (dberr) {
        case SYBEUHST:  /* 20013 unknown host */
        case SYBEINTF:  /* 20012 server name not found */
                set_fail(m, RETL_SRC_RESOLVE, "the host name does not resolve (FreeTDS %d: %s)",
                         dberr, dberrstr ? dberrstr : "");
                break;
        case SYBECONN:  /* 20009 cannot connect */
                if (oserr == ETIMEDOUT)
                        set_fail(m, RETL_SRC_TIMEOUT, "connecting timed out (FreeTDS %d%s)",
                                 dberr, os);
                else
                        set_fail(m, RETL_SRC_REFUSED,
                                 "nothing accepts connections there: refused or unreachable "
                                 "(FreeTDS %d%s)", dberr, os);
                break;
        case SYBEPWD:   /* 20014 login incorrect */
                set_fail(m, RETL_SRC_LOGIN, "login refused: wrong user or password (FreeTDS %d)",
                         dberr);
                break;
        case SYBEFCON:  /* 20002 connection failed, after the socket opened */
        case SYBESEOF:  /* 20017 unexpected EOF */
        case SYBEREAD:  /* 20004 */
                if (m->phase == PH_LOGIN && m->encryption != RETL_ENCRYPT_OFF)
                        set_fail(m, RETL_SRC_TLS,
                                 "the connection failed while encryption was being set up "
                                 "(encryption = %s): the server may not support TLS, or "
                                 "its certificate was refused (FreeTDS %d: %s)",
                                 retl_encryption_name(m->encryption), dberr,
                                 dberrstr ? dberrstr : "");
                else
                        set_fail(m, RETL_SRC_OTHER, "FreeTDS %d: %s%s", dberr,
                                 dberrstr ? dberrstr : "", os);
                break;
        case SYBESMSG:  /* 20018 "check messages from the server": already classified */
                break;
        default:
                set_fail(m, m->phase == PH_LOGIN ? RETL_SRC_OTHER : RETL_SRC_QUERY,
                         "FreeTDS %d: %s%s", dberr, dberrstr ? dberrstr : "", os);
                break;
        }
        return INT_CANCEL;
}

static int msg_handler(DBPROCESS *dbproc, DBINT msgno, int msgstate, int severity, char *msgtext,
                       char *srvname, char *procname, int line)
{
        struct mssql *m = tls_conn;
        const char *ctx = m ? m->ctx : "mssql";

        /* 5701/5703/5704: "changed database context / language / charset" */
        if (msgno == 5701 || msgno == 5703 || msgno == 5704)
                return 0;
        if (severity <= 10) {
                retl_log_debug(ctx, "server message %d: %s", (int)msgno, msgtext ? msgtext : "");
                return 0;
        }
        retl_log(m && m->phase == PH_LOGIN ? RETL_LOG_DEBUG : RETL_LOG_WARN, ctx,
                 "server error %d, severity %d, state %d%s%s, line %d: %s", (int)msgno,
                 severity, msgstate, procname && *procname ? ", procedure " : "",
                 procname ? procname : "", line, msgtext ? msgtext : "");
        if (!m)
                return 0;
        switch (msgno) {
        case 18456: case 18452: case 18470: case 18486: case 18487: case 18488:
                set_fail(m, RETL_SRC_LOGIN, "login refused (server error %d: %s)", (int)msgno,
                         msgtext ? msgtext : "");
                break;
        case 4060: case 911: case 916: case 4064:
                set_fail(m, RETL_SRC_DATABASE, "the database cannot be opened (server error %d: %s)",
                         (int)msgno, msgtext ? msgtext : "");
                break;
        default:
                m->had_error = 1;
                set_fail(m, m->phase == PH_LOGIN ? RETL_SRC_OTHER : RETL_SRC_QUERY,
                         "server error %d: %s", (int)msgno, msgtext ? msgtext : "");
                break;
        }
        return 0;
}

static void init_dblib(void)
{
        if (dbinit() == FAIL)
                return;
        dberrhandle(err_handler);
        dbmsghandle(msg_handler);
        /* Waits are cut in 1 s slices so that a stop request or our own
         * query_timeout is seen while the server is busy (see err_handler). */
        dbsettime(1);
        init_ok = 1;
}

/* ---------------------------------------------------------------- connect */

/* Writes freetds.conf with one section for @p db into a new folder. */
static int write_conf(const struct retl_cfg_database *db, enum retl_encryption encryption,
                      enum retl_mssql_tls tls, char *dir, size_t dir_size, char *path,
                      size_t path_size, char *errstr, size_t errstr_size)
{
        const char *tmp = getenv("TMPDIR");
        FILE *f;

        snprintf(dir, dir_size, "%s/retl-freetds-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(dir)) {
                snprintf(errstr, errstr_size, "cannot create a folder for freetds.conf in %s: %s",
                         tmp && *tmp ? tmp : "/tmp", strerror(errno));
                return -1;
        }
        snprintf(path, path_size, "%s/freetds.conf", dir);
        f = fopen(path, "w");
        if (!f) {
                snprintf(errstr, errstr_size, "cannot write %s: %s", path, strerror(errno));
                rmdir(dir);
                return -1;
        }
        if (retl_mssql_session_conf(f, db, encryption, tls) | fclose(f)) {
                snprintf(errstr, errstr_size, "cannot write %s: %s", path, strerror(errno));
                unlink(path);
                rmdir(dir);
                return -1;
        }
        return 0;
}

static void free_columns(struct mssql *m)
{
        for (size_t i = 0; i < m->ncols; i++) {
                free(m->cols[i].name);
                free(m->cols[i].type_name);
        }
        free(m->cols);
        free(m->ftype);
        free(m->vals);
        free(m->scratch);
        m->cols = NULL;
        m->ftype = NULL;
        m->vals = NULL;
        m->scratch = NULL;
        m->ncols = 0;
}

static void mssql_close(void *state)
{
        struct mssql *m = state;

        if (!m)
                return;
        tls_conn = m;
        if (m->dbproc)
                dbclose(m->dbproc);
        tls_conn = NULL;
        free_columns(m);
        free(m);
}

/* Logs in to @p db as @p user with the given encryption and TLS checks;
 * m->dbproc, or NULL with m->fail and m->diag (errstr for local failures). */
static void open_dbproc(struct mssql *m, const struct retl_cfg_database *db,
                        enum retl_encryption encryption, enum retl_mssql_tls tls,
                        const char *user, const char *password, char *errstr,
                        size_t errstr_size)
{
        LOGINREC *login = dblogin();
        char dir[512], path[600];

        if (!login) {
                set_fail(m, RETL_SRC_OTHER, "FreeTDS: dblogin failed");
                return;
        }
        DBSETLUSER(login, user);
        DBSETLPWD(login, password);
        /* the application name SQL Server shows (sys.dm_exec_sessions,
         * APP_NAME(), traces) */
        DBSETLAPP(login, "retl");
        DBSETLCHARSET(login, "UTF-8");
        DBSETLDBNAME(login, db->database);
        DBSETLVERSION(login, DBVERSION_74);

        /* FREETDSCONF is process-wide: one connection at a time sets it. */
        pthread_mutex_lock(&conf_lock);
        if (write_conf(db, encryption, tls, dir, sizeof(dir), path, sizeof(path), errstr,
                       errstr_size)) {
                pthread_mutex_unlock(&conf_lock);
                set_fail(m, RETL_SRC_OTHER, "%s", errstr);
                dbloginfree(login);
                return;
        }
        setenv("FREETDSCONF", path, 1);
        dbsetlogintime(db->login_timeout_s);
        tls_conn = m;
        m->dbproc = dbopen(login, "retl");
        tls_conn = NULL;
        unlink(path);
        rmdir(dir);
        pthread_mutex_unlock(&conf_lock);
        dbloginfree(login);
        if (!m->dbproc && m->fail == RETL_SRC_OK)
                set_fail(m, RETL_SRC_OTHER, "the connection failed (no detail from FreeTDS)");
}

/* A diagnostic login: the same server, a user name no server has and no
 * password, so that nothing secret travels over a channel that is not
 * verified. @returns 1 when it got as far as the server's login answer
 * (TLS was set up), 0 when it failed before. */
static int probe_tls(const struct retl_cfg_database *db, enum retl_encryption encryption,
                     enum retl_mssql_tls tls, const char *ctx)
{
        struct mssql probe = {.phase = PH_LOGIN, .encryption = encryption};
        char errstr[256];
        int reached;

        snprintf(probe.ctx, sizeof(probe.ctx), "%s tls-probe", ctx);
        open_dbproc(&probe, db, encryption, tls, "retl-tls-probe", "", errstr, sizeof(errstr));
        reached = probe.dbproc || probe.fail == RETL_SRC_LOGIN || probe.fail == RETL_SRC_DATABASE;
        if (probe.dbproc)
                dbclose(probe.dbproc);
        retl_log_debug(ctx, "TLS probe (encryption %s, %s): %s", retl_encryption_name(encryption),
                       tls == RETL_MSSQL_TLS_TRUST ? "not verified"
                       : tls == RETL_MSSQL_TLS_VERIFY_CA ? "CA only" : "CA and host name",
                       reached ? "reached the login" : probe.diag);
        return reached;
}

/* FreeTDS reports every TLS failure as 20002 "connection failed" (the
 * reason goes to TDSDUMP only). When the login failed that way, diagnostic
 * logins find out why: TLS without any check, then with the CA but not the
 * host name. */
static void diagnose_tls(struct mssql *m, const struct retl_cfg_database *db)
{
        const char *ca = db->ca_file && *db->ca_file ? db->ca_file : "system";

        if (m->fail != RETL_SRC_TLS)
                return;
        if (retl_mssql_session_tls(db) != RETL_MSSQL_TLS_TRUST &&
            probe_tls(db, RETL_ENCRYPT_REQUIRE, RETL_MSSQL_TLS_TRUST, m->ctx)) {
                m->fail = RETL_SRC_OK;
                if (probe_tls(db, RETL_ENCRYPT_REQUIRE, RETL_MSSQL_TLS_VERIFY_CA, m->ctx))
                        set_fail(m, RETL_SRC_TLS_HOSTNAME,
                                 "the server's certificate is trusted but not issued for '%s' "
                                 "(host): connect by a name the certificate holds, or have "
                                 "one issued for this name",
                                 db->host);
                else
                        set_fail(m, RETL_SRC_TLS_CERT,
                                 "the server's certificate is not trusted: it does not chain "
                                 "to a CA in ca_file (%s), or it has expired", ca);
                return;
        }
        if (db->encryption == RETL_ENCRYPT_REQUIRE &&
            probe_tls(db, RETL_ENCRYPT_REQUEST, RETL_MSSQL_TLS_TRUST, m->ctx)) {
                m->fail = RETL_SRC_OK;
                set_fail(m, RETL_SRC_TLS_NONE,
                         "the server does not offer TLS (encryption = require): give it a "
                         "certificate, or set encryption = \"off\" only on a trusted network");
        }
}

/* Sends retl's SET batch (mssql_session.c) and reads its answer. */
static int setup_session(struct mssql *m, const struct retl_cfg_database *db)
{
        char sql[512];
        RETCODE rc;

        if (retl_mssql_session_sql(db, sql, sizeof(sql)) < 0) {
                set_fail(m, RETL_SRC_OTHER, "the session's SET batch does not fit");
                return -1;
        }
        m->phase = PH_QUERY;
        m->deadline = time(NULL) + db->login_timeout_s;
        tls_conn = m;
        if (dbcmd(m->dbproc, sql) == FAIL || dbsqlexec(m->dbproc) == FAIL)
                m->had_error = 1;
        while (!m->had_error && (rc = dbresults(m->dbproc)) != NO_MORE_RESULTS) {
                if (rc == FAIL)
                        m->had_error = 1;
                else
                        while (dbnextrow(m->dbproc) != NO_MORE_ROWS)
                                ;
        }
        tls_conn = NULL;
        m->phase = PH_LOGIN;
        if (m->had_error || m->fail != RETL_SRC_OK) {
                char diag[sizeof(m->diag)];
                snprintf(diag, sizeof(diag), "%s", m->fail != RETL_SRC_OK ? m->diag : "failed");
                m->fail = RETL_SRC_OK;
                set_fail(m, RETL_SRC_OTHER, "the session settings (SET ANSI_NULLS ON …) were "
                         "refused: %s", diag);
                return -1;
        }
        return 0;
}

static void *mssql_connect(const struct retl_cfg_database *db, const char *log_ctx,
                           const volatile sig_atomic_t *stop, enum retl_source_fail *fail,
                           char *errstr, size_t errstr_size)
{
        struct mssql *m = retl_calloc(1, sizeof(*m));
        enum retl_mssql_tls tls = retl_mssql_session_tls(db);

        snprintf(m->ctx, sizeof(m->ctx), "%s", log_ctx ? log_ctx : "mssql");
        m->stop = stop;
        m->encryption = db->encryption;
        m->query_timeout_s = db->query_timeout_s;
        m->phase = PH_LOGIN;
        pthread_once(&init_once, init_dblib);
        if (!init_ok) {
                *fail = RETL_SRC_OTHER;
                snprintf(errstr, errstr_size, "FreeTDS db-lib failed to initialize");
                goto fail;
        }
        if (db->encryption != RETL_ENCRYPT_OFF && tls == RETL_MSSQL_TLS_TRUST)
                retl_log_warn(m->ctx, "database '%s': trust_server_certificate = true: the "
                              "server's certificate is not verified, so a man in the middle "
                              "can read the password and every row", db->name);
        open_dbproc(m, db, db->encryption, tls, db->user, db->password ? db->password : "",
                    errstr, errstr_size);
        if (!m->dbproc)
                diagnose_tls(m, db);
        if (!m->dbproc || setup_session(m, db)) {
                *fail = m->fail;
                snprintf(errstr, errstr_size, "database '%s' (%s%s%s%s%d, database %s, user %s): "
                         "%s: %s", db->name, db->host,
                         db->instance && *db->instance ? "\\" : "",
                         db->instance && *db->instance ? db->instance : "",
                         db->instance && *db->instance ? "" : ":",
                         db->instance && *db->instance ? 0 : db->port, db->database, db->user,
                         retl_source_fail_name(m->fail), m->diag);
                goto fail;
        }
        m->phase = PH_IDLE;
        m->fail = RETL_SRC_OK;
        m->diag[0] = '\0';
        retl_log_debug(m->ctx, "connected to %s (%s), TDS 7.4, encryption %s%s", db->name,
                       db->host, retl_encryption_name(db->encryption),
                       db->encryption == RETL_ENCRYPT_OFF ? ""
                       : tls == RETL_MSSQL_TLS_TRUST ? ", certificate not verified"
                                                     : ", certificate and host name verified");
        return m;
fail:
        mssql_close(m);
        return NULL;
}

/* ---------------------------------------------------------------- query */

static int read_columns(struct mssql *m, char *errstr, size_t errstr_size)
{
        int n = dbnumcols(m->dbproc);

        free_columns(m);
        m->ncols = n > 0 ? (size_t)n : 0;
        m->cols = retl_calloc(m->ncols ? m->ncols : 1, sizeof(*m->cols));
        m->ftype = retl_calloc(m->ncols ? m->ncols : 1, sizeof(*m->ftype));
        m->vals = retl_calloc(m->ncols ? m->ncols : 1, sizeof(*m->vals));
        m->scratch = retl_calloc(m->ncols ? m->ncols : 1, sizeof(*m->scratch));
        for (int i = 1; i <= n; i++) {
                struct retl_source_column *c = &m->cols[i - 1];
                DBCOL2 info;
                DBTYPEINFO *ti;
                const char *name = dbcolname(m->dbproc, i);
                const char *bn;
                int t = dbcoltype(m->dbproc, i), vt, prec = 0;

                c->name = retl_strdup(name ? name : "");
                memset(&info, 0, sizeof(info));
                info.SizeOfStruct = sizeof(info);
                if (dbcolinfo(m->dbproc, CI_REGULAR, i, 0, (DBCOL *)&info) == SUCCEED) {
                        c->scale = info.Scale;
                        prec = info.Precision;
                        if (info.ServerType == SYB_UNIQUE)
                                t = SYB_UNIQUE;
                }
                ti = dbcoltypeinfo(m->dbproc, i);
                if (ti && (t == SYBDECIMAL || t == SYBNUMERIC || t == SYBMSTIME ||
                           t == SYBMSDATETIME2 || t == SYBMSDATETIMEOFFSET)) {
                        c->scale = ti->scale;
                        prec = ti->precision;
                }
                m->ftype[i - 1] = t;
                if (t == SYBMONEY || t == SYBMONEY4)
                        c->scale = 4;
                else if (t == SYBDATETIME)
                        c->scale = 3;
                else if (t == SYBDATETIME4)
                        c->scale = 0;
                if (info.ServerTypeDeclaration[0])
                        c->type_name = retl_strdup(info.ServerTypeDeclaration);
                else if (t == SYBCHAR || t == SYBBINARY || t == SYBTEXT || t == SYBIMAGE)
                        /* db-lib folds every string type into char and every
                         * binary type into binary; the length (in client
                         * bytes) is all that is left of the declaration */
                        c->type_name = info.MaxLength >= 0x3FFFFFFF
                                ? retl_asprintf("%s(max)", t == SYBCHAR || t == SYBTEXT
                                                                   ? "varchar/nvarchar/text"
                                                                   : "varbinary/image")
                                : retl_asprintf("%s(%d bytes)", t == SYBCHAR ? "char/varchar"
                                                                             : "binary/varbinary",
                                                (int)info.MaxLength);
                else if ((bn = retl_mssql_type_name(t)) && (t == SYBDECIMAL || t == SYBNUMERIC))
                        c->type_name = retl_asprintf("%s(%d,%d)", bn, prec, c->scale);
                else if (bn && (t == SYBMSTIME || t == SYBMSDATETIME2 ||
                                t == SYBMSDATETIMEOFFSET))
                        c->type_name = retl_asprintf("%s(%d)", bn, c->scale);
                else
                        c->type_name = retl_strdup(bn ? bn : "unknown");
                vt = retl_mssql_vtype(t);
                if (vt < 0) {
                        snprintf(errstr, errstr_size,
                                 "column %d '%s' has a type retl cannot carry (%s, TDS type %d); "
                                 "CONVERT it in the query, e.g. CONVERT(nvarchar(max), %s) AS %s",
                                 i, c->name, c->type_name, t, *c->name ? c->name : "expr",
                                 *c->name ? c->name : "name");
                        return -1;
                }
                c->vtype = (enum retl_vtype)vt;
        }
        return 0;
}

static int mssql_query(void *state, const char *sql, enum retl_source_fail *fail, char *errstr,
                       size_t errstr_size)
{
        struct mssql *m = state;
        RETCODE rc;
        int ret = -1;

        tls_conn = m;
        m->phase = PH_QUERY;
        m->fail = RETL_SRC_OK;
        m->diag[0] = '\0';
        m->had_error = 0;
        m->deadline = time(NULL) + m->query_timeout_s;
        free_columns(m);
        dbfreebuf(m->dbproc);
        if (dbcmd(m->dbproc, sql) == FAIL) {
                set_fail(m, RETL_SRC_OTHER, "FreeTDS: dbcmd failed");
                goto out;
        }
        if (dbsqlexec(m->dbproc) == FAIL) {
                set_fail(m, RETL_SRC_QUERY, "the query failed");
                goto out;
        }
        /* The first result set with columns is the query's; a read-only
         * SELECT has exactly one. */
        for (;;) {
                rc = dbresults(m->dbproc);
                if (rc == FAIL) {
                        set_fail(m, RETL_SRC_QUERY, "the query failed");
                        goto out;
                }
                if (rc == NO_MORE_RESULTS) {
                        set_fail(m, RETL_SRC_QUERY, "the query returned no result set");
                        goto out;
                }
                if (dbnumcols(m->dbproc) > 0)
                        break;
        }
        if (read_columns(m, errstr, errstr_size)) {
                *fail = RETL_SRC_TYPE;
                dbcancel(m->dbproc);
                m->phase = PH_IDLE;
                tls_conn = NULL;
                return -1;
        }
        ret = 0;
out:
        if (ret) {
                *fail = m->fail;
                snprintf(errstr, errstr_size, "%s", m->diag);
                if (!dbdead(m->dbproc))
                        dbcancel(m->dbproc);
                m->phase = PH_IDLE;
        }
        tls_conn = NULL;
        return ret;
}

static size_t mssql_ncolumns(void *state)
{
        return ((struct mssql *)state)->ncols;
}

static const struct retl_source_column *mssql_columns(void *state)
{
        return ((struct mssql *)state)->cols;
}


static int mssql_next_row(void *state, const struct retl_value **values,
                          enum retl_source_fail *fail, char *errstr, size_t errstr_size)
{
        struct mssql *m = state;
        STATUS st;
        int ret = -1;

        if (m->phase != PH_QUERY) {
                snprintf(errstr, errstr_size, "no query is running");
                *fail = RETL_SRC_OTHER;
                return -1;
        }
        tls_conn = m;
        for (;;) {
                st = dbnextrow(m->dbproc);
                if (st == REG_ROW)
                        break;
                if (st == NO_MORE_ROWS) {
                        /* Drain what follows; an error after the last row
                         * (a query failing part-way) shows up here. */
                        RETCODE rc;
                        while ((rc = dbresults(m->dbproc)) == SUCCEED)
                                while (dbnextrow(m->dbproc) != NO_MORE_ROWS)
                                        ;
                        if (rc == FAIL || m->had_error || m->fail != RETL_SRC_OK) {
                                if (m->fail == RETL_SRC_OK)
                                        set_fail(m, RETL_SRC_QUERY, "the query failed");
                                goto fail;
                        }
                        m->phase = PH_IDLE;
                        tls_conn = NULL;
                        return 0;
                }
                if (st == FAIL || st == BUF_FULL) {
                        if (m->fail == RETL_SRC_OK)
                                set_fail(m, RETL_SRC_QUERY,
                                         dbdead(m->dbproc) ? "the connection was lost"
                                                           : "reading a row failed");
                        goto fail;
                }
                /* compute rows: not ours */
        }
        if (m->had_error) {
                goto fail;
        }
        for (size_t i = 0; i < m->ncols; i++)
                if (retl_mssql_value(m->dbproc, (int)i + 1, m->ftype[i], &m->cols[i],
                                     &m->vals[i], m->scratch[i], errstr, errstr_size)) {
                        *fail = RETL_SRC_TYPE;
                        dbcancel(m->dbproc);
                        m->phase = PH_IDLE;
                        tls_conn = NULL;
                        return -1;
                }
        *values = m->vals;
        tls_conn = NULL;
        return 1;
fail:
        *fail = m->fail;
        snprintf(errstr, errstr_size, "%s", m->diag);
        if (!dbdead(m->dbproc))
                dbcancel(m->dbproc);
        m->phase = PH_IDLE;
        tls_conn = NULL;
        return ret;
}

static void mssql_cancel(void *state)
{
        struct mssql *m = state;

        tls_conn = m;
        if (m->dbproc && !dbdead(m->dbproc))
                dbcancel(m->dbproc);
        m->phase = PH_IDLE;
        tls_conn = NULL;
}

/* SYSUTCDATETIME() is UTC whatever the server's time zone. DATEDIFF_BIG
 * needs SQL Server 2016; 2014 gets seconds through DATEDIFF (an int, enough
 * until 2038), which is all last_sync_time keeps. */
static const char *const mssql_clock_sql[] = {
        "SELECT DATEDIFF_BIG(millisecond, '1970-01-01', SYSUTCDATETIME())",
        "SELECT CAST(DATEDIFF(second, '1970-01-01', SYSUTCDATETIME()) AS bigint) * 1000",
        NULL,
};

const struct retl_source_driver retl_source_mssql_driver = {
        .name = "mssql",
        .connect = mssql_connect,
        .query = mssql_query,
        .ncolumns = mssql_ncolumns,
        .columns = mssql_columns,
        .next_row = mssql_next_row,
        .cancel = mssql_cancel,
        .close = mssql_close,
        .clock_sql = mssql_clock_sql,
};
