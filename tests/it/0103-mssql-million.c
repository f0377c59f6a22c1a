/* 0103: volume. One million rows shaped like an extractor's query (int,
 * nvarchar, decimal, datetime2, a NULL every tenth row) streamed to a
 * db-lib client; every row counted and summed, rows/s printed. Memory of
 * the stand-in must not grow with the result (checked by ASan builds via
 * the row/packet ceilings, and here by finishing at all). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include "tests/it/mssql_it.h"

static struct it_standin standin;

static int group_setup(void **state)
{
        char db[1024];

        (void)state;
        snprintf(db, sizeof(db), "%s/0103.sqlite", it_tmp());
        unlink(db);
        it_sh("sqlite3 '%s' \"CREATE TABLE people(id INT PRIMARY KEY, email NVARCHAR(100),"
              " score DECIMAL(12,2), updated_at DATETIME2(3));"
              " WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000)"
              " INSERT INTO people SELECT x, 'user' || x || '@example.com',"
              " CASE WHEN x %% 10 = 0 THEN NULL ELSE (x %% 1000) || '.25' END,"
              " '2024-05-01 12:00:00.123' FROM c;\"", db);
        if (dbinit() == FAIL)
                return -1;
        dberrhandle(it_err_handler);
        dbmsghandle(it_msg_handler);
        return it_standin_start(&standin, db, "--database", "bench", NULL);
}

static int group_teardown(void **state)
{
        (void)state;
        dbexit();
        return it_standin_stop(&standin) == 0 ? 0 : -1;
}

static void test_million_rows(void **state)
{
        DBPROCESS *dbproc;
        struct timespec t0, t1;
        long long rows = 0, idsum = 0, nulls = 0;
        double secs;

        (void)state;
        dbproc = it_connect_port(standin.port, "u", "p", "bench");
        assert_non_null(dbproc);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        assert_int_equal(dbcmd(dbproc, "SELECT id, email, score, updated_at FROM people ORDER BY id"),
                         SUCCEED);
        assert_int_equal(dbsqlexec(dbproc), SUCCEED);
        assert_int_equal(dbresults(dbproc), SUCCEED);
        while (dbnextrow(dbproc) == REG_ROW) {
                rows++;
                idsum += *(DBINT *)dbdata(dbproc, 1);
                nulls += dbdata(dbproc, 3) == NULL;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        printf("0103: %lld rows in %.2f s = %.0f rows/s\n", rows, secs, (double)rows / secs);
        assert_true(rows == 1000000);
        assert_true(idsum == 1000000LL * 1000001 / 2);
        assert_true(nulls == 100000);
        assert_int_equal(dbresults(dbproc), NO_MORE_RESULTS);
        dbclose(dbproc);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_million_rows),
        };
        return cmocka_run_group_tests_name("0103-mssql-million", tests, group_setup,
                                           group_teardown);
}
