/* Helpers for the SQL Server stand-in integration tests (0101-0199):
 * start the stand-in on port 0 and wait for its "listening on" line, stop
 * it with SIGTERM, connect with FreeTDS db-lib (TDS 7.4, UTF-8) and record
 * the server messages a test asserts on. Header-only: each test is one
 * program. */
#ifndef RETL_MSSQL_IT_H
#define RETL_MSSQL_IT_H

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sybdb.h>
#include <sybfront.h>

struct it_standin {
        pid_t pid;
        int port;
};

/* The last server message (ERROR/INFO) and db-lib error seen. */
static int it_msgno;
static int it_msg_severity;
static char it_msgtext[1024];
static int it_msg_count;
static int it_dberr;

static __attribute__((unused)) int it_msg_handler(DBPROCESS *dbproc, DBINT msgno, int msgstate, int severity,
                          char *msgtext, char *srvname, char *procname, int line)
{
        (void)dbproc; (void)msgstate; (void)srvname; (void)procname; (void)line;
        if (msgno == 5701 || msgno == 5703)
                return 0; /* changed database / language: informational */
        it_msgno = msgno;
        it_msg_severity = severity;
        it_msg_count++;
        snprintf(it_msgtext, sizeof(it_msgtext), "%s", msgtext ? msgtext : "");
        return 0;
}

static __attribute__((unused)) int it_err_handler(DBPROCESS *dbproc, int severity, int dberr, int oserr,
                          char *dberrstr, char *oserrstr)
{
        (void)dbproc; (void)severity; (void)oserr; (void)oserrstr;
        it_dberr = dberr;
        if (getenv("RETL_IT_VERBOSE"))
                fprintf(stderr, "db-lib error %d: %s\n", dberr, dberrstr ? dberrstr : "");
        return INT_CANCEL;
}

static __attribute__((unused)) void it_reset_msgs(void)
{
        it_msgno = 0;
        it_msg_severity = 0;
        it_msgtext[0] = '\0';
        it_msg_count = 0;
        it_dberr = 0;
}

static __attribute__((unused)) const char *it_tmp(void)
{
        const char *t = getenv("RETL_TEST_TMP");
        return t && *t ? t : "/tmp";
}

/* Runs a shell command; aborts the test program if it fails. */
static __attribute__((unused)) void it_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static __attribute__((unused)) void it_sh(const char *fmt, ...)
{
        char cmd[8192];
        va_list ap;
        int rc;

        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        rc = system(cmd);
        if (rc != 0) {
                fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
                exit(1);
        }
}

/* Creates RETL_TEST_TMP/NAME.sqlite afresh from the SQL script @p sql (run
 * by the sqlite3 shell) and writes its path to @p path. @returns 0 or -1. */
static __attribute__((unused)) int it_sqlite_create(const char *name, const char *sql,
                                                    char *path, size_t path_size)
{
        char sql_path[1100];
        FILE *f;

        snprintf(path, path_size, "%s/%s.sqlite", it_tmp(), name);
        snprintf(sql_path, sizeof(sql_path), "%s/%s.sql", it_tmp(), name);
        unlink(path);
        f = fopen(sql_path, "w");
        if (!f)
                return -1;
        fputs(sql, f);
        if (fclose(f))
                return -1;
        it_sh("sqlite3 '%s' < '%s'", path, sql_path);
        return 0;
}

/* Starts the stand-in (extra arguments NULL-terminated) and reads its
 * "listening on 127.0.0.1:PORT" line: no sleeping, no guessing. */
static __attribute__((unused)) int it_standin_start(struct it_standin *st, const char *db, ...)
{
        const char *bin = getenv("RETL_MSSQL_STANDIN");
        const char *argv[32];
        int n = 0, fds[2];
        char line[256];
        FILE *f;
        va_list ap;

        if (!bin) {
                fprintf(stderr, "RETL_MSSQL_STANDIN is not set\n");
                return -1;
        }
        argv[n++] = bin;
        argv[n++] = "--listen";
        argv[n++] = "127.0.0.1:0";
        argv[n++] = "--db";
        argv[n++] = db;
        va_start(ap, db);
        for (const char *a; n < 31 && (a = va_arg(ap, const char *));)
                argv[n++] = a;
        va_end(ap);
        argv[n] = NULL;
        if (pipe(fds))
                return -1;
        st->pid = fork();
        if (st->pid < 0)
                return -1;
        if (st->pid == 0) {
                dup2(fds[1], 1);
                close(fds[0]);
                close(fds[1]);
                execv(bin, (char *const *)argv);
                _exit(127);
        }
        close(fds[1]);
        f = fdopen(fds[0], "r");
        if (!f || !fgets(line, sizeof(line), f) ||
            sscanf(line, "listening on 127.0.0.1:%d", &st->port) != 1) {
                fprintf(stderr, "stand-in did not start\n");
                if (f)
                        fclose(f);
                return -1;
        }
        fclose(f);
        return 0;
}

/* SIGTERM, then wait: @returns the exit status (0 = clean stop). */
static __attribute__((unused)) int it_standin_stop(struct it_standin *st)
{
        int status = 0;

        if (st->pid <= 0)
                return -1;
        kill(st->pid, SIGTERM);
        while (waitpid(st->pid, &status, 0) < 0 && errno == EINTR)
                ;
        st->pid = 0;
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        return 128 + WTERMSIG(status);
}

/* Connects as @p user to @p server ("127.0.0.1:PORT" or a freetds.conf
 * section); NULL on failure (messages recorded). */
static __attribute__((unused)) DBPROCESS *it_connect(const char *server, const char *user, const char *password,
                             const char *database)
{
        LOGINREC *login = dblogin();
        DBPROCESS *dbproc;

        DBSETLUSER(login, user);
        DBSETLPWD(login, password);
        DBSETLAPP(login, "retl-it");
        DBSETLCHARSET(login, "UTF-8");
        DBSETLVERSION(login, DBVERSION_74);
        if (database)
                DBSETLDBNAME(login, database);
        dbproc = dbopen(login, server);
        dbloginfree(login);
        return dbproc;
}

static __attribute__((unused)) DBPROCESS *it_connect_port(int port, const char *user, const char *password,
                                  const char *database)
{
        char server[64];

        snprintf(server, sizeof(server), "127.0.0.1:%d", port);
        return it_connect(server, user, password, database);
}

#ifdef cmocka_unit_test
/* Sends @p sql; the test fails unless db-lib accepts it. */
static __attribute__((unused)) void it_exec_sql(DBPROCESS *dbproc, const char *sql)
{
        assert_int_equal(dbcmd(dbproc, sql), SUCCEED);
        assert_int_equal(dbsqlexec(dbproc), SUCCEED);
}
#endif

/* Reads the rows left in the current result; @returns how many. */
static __attribute__((unused)) int it_read_all(DBPROCESS *dbproc)
{
        int rows = 0;

        while (dbnextrow(dbproc) == REG_ROW)
                rows++;
        return rows;
}

/* A column converted to text (NUL-terminated) in @p out; "NULL" for NULL. */
static __attribute__((unused)) const char *it_col_text(DBPROCESS *dbproc, int col, char *out, int out_size)
{
        BYTE *data = dbdata(dbproc, col);
        DBINT len = dbdatlen(dbproc, col), n;

        if (!data && len == 0) {
                snprintf(out, (size_t)out_size, "NULL");
                return out;
        }
        n = dbconvert(dbproc, dbcoltype(dbproc, col), data, len, SYBCHAR, (BYTE *)out,
                      out_size - 1);
        if (n < 0)
                n = 0;
        out[n] = '\0';
        while (n > 0 && out[n - 1] == ' ' && dbcoltype(dbproc, col) != SYBCHAR)
                out[--n] = '\0';
        return out;
}

#endif
