/* 0102: TLS. The stand-in gets a self-signed certificate; FreeTDS with
 * "encryption = require" (freetds.conf via FREETDSCONF) runs the TLS
 * handshake inside PRELOGIN packets and the whole session encrypted; a
 * client with FreeTDS's default (PRELOGIN ENCRYPT_OFF) gets SQL Server's
 * login-only encryption: LOGIN7 inside TLS, the rest in clear. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/it/mssql_it.h"

static struct it_standin standin;
static char conf_path[1024];

static int group_setup(void **state)
{
        char db[1024], cert[1024], key[1024];
        FILE *f;

        (void)state;
        snprintf(db, sizeof(db), "%s/0102.sqlite", it_tmp());
        snprintf(cert, sizeof(cert), "%s/cert.pem", it_tmp());
        snprintf(key, sizeof(key), "%s/key.pem", it_tmp());
        snprintf(conf_path, sizeof(conf_path), "%s/freetds.conf", it_tmp());
        unlink(db);
        it_sh("sqlite3 '%s' \"CREATE TABLE t(id INT, s NVARCHAR(100));"
              " WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000)"
              " INSERT INTO t SELECT x, 'secret ' || x FROM c;\"", db);
        it_sh("openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1"
              " -keyout '%s' -out '%s' 2>/dev/null", key, cert);
        if (dbinit() == FAIL)
                return -1;
        dberrhandle(it_err_handler);
        dbmsghandle(it_msg_handler);
        if (it_standin_start(&standin, db, "--database", "tlsdb", "--tls-cert", cert,
                             "--tls-key", key, NULL))
                return -1;
        f = fopen(conf_path, "w");
        if (!f)
                return -1;
        fprintf(f, "[global]\n\ttds version = 7.4\n"
                   "[standin_tls]\n\thost = 127.0.0.1\n\tport = %d\n\tencryption = require\n"
                   "[standin_default]\n\thost = 127.0.0.1\n\tport = %d\n",
                standin.port, standin.port);
        fclose(f);
        setenv("FREETDSCONF", conf_path, 1);
        return 0;
}

static int group_teardown(void **state)
{
        (void)state;
        dbexit();
        return it_standin_stop(&standin) == 0 ? 0 : -1;
}

static void query_rows(DBPROCESS *dbproc)
{
        int rows = 0;

        assert_int_equal(dbcmd(dbproc, "SELECT id, s FROM t ORDER BY id"), SUCCEED);
        assert_int_equal(dbsqlexec(dbproc), SUCCEED);
        assert_int_equal(dbresults(dbproc), SUCCEED);
        while (dbnextrow(dbproc) == REG_ROW) {
                rows++;
                assert_int_equal(*(DBINT *)dbdata(dbproc, 1), rows);
        }
        assert_int_equal(rows, 20000);
        assert_int_equal(dbresults(dbproc), NO_MORE_RESULTS);
}

static void test_encryption_require(void **state)
{
        DBPROCESS *dbproc;

        (void)state;
        it_reset_msgs();
        dbproc = it_connect("standin_tls", "any", "any", "tlsdb");
        assert_non_null(dbproc);
        query_rows(dbproc);
        /* a cancel travels encrypted too */
        assert_int_equal(dbcmd(dbproc, "SELECT a.id FROM t a, t b"), SUCCEED);
        assert_int_equal(dbsqlexec(dbproc), SUCCEED);
        assert_int_equal(dbresults(dbproc), SUCCEED);
        for (int i = 0; i < 100; i++)
                assert_int_equal(dbnextrow(dbproc), REG_ROW);
        assert_int_equal(dbcancel(dbproc), SUCCEED);
        query_rows(dbproc);
        dbclose(dbproc);
}

static void test_login_only_encryption(void **state)
{
        DBPROCESS *dbproc;

        (void)state;
        dbproc = it_connect("standin_default", "any", "any", "tlsdb");
        assert_non_null(dbproc);
        query_rows(dbproc);
        dbclose(dbproc);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_encryption_require),
                cmocka_unit_test(test_login_only_encryption),
        };
        return cmocka_run_group_tests_name("0102-mssql-tls", tests, group_setup, group_teardown);
}
