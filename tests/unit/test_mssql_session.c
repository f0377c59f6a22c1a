/* Unit tests: the extractor's SQL Server session (producer/mssql_session.c) —
 * the freetds.conf lines for each TLS choice and the SET batch after login. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "producer/mssql_session.h"

/* The freetds.conf text for @p db; freed by the caller. */
static char *conf_text(const struct retl_cfg_database *db, enum retl_encryption enc,
                       enum retl_mssql_tls tls)
{
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        assert_non_null(f);
        assert_int_equal(retl_mssql_session_conf(f, db, enc, tls), 0);
        fclose(f);
        return text;
}

struct conf_case {
        const char *what;
        const char *ca_file;
        int trust;
        enum retl_encryption enc;
        enum retl_mssql_tls tls;        /* as a diagnosis asks; -1 = from the settings */
        const char *has[3];
        const char *lacks[2];
};

static const struct conf_case conf_cases[] = {
        {"default: system CAs and host name", NULL, 0, RETL_ENCRYPT_REQUIRE, -1,
         {"\tencryption = require\n", "\tca file = system\n", "\tcheck certificate hostname = yes\n"},
         {"text size", NULL}},
        {"ca_file names a bundle", "/etc/retl/ca.pem", 0, RETL_ENCRYPT_REQUEST, -1,
         {"\tencryption = request\n", "\tca file = /etc/retl/ca.pem\n",
          "\tcheck certificate hostname = yes\n"},
         {NULL, NULL}},
        {"trust_server_certificate: nothing verified", NULL, 1, RETL_ENCRYPT_REQUIRE, -1,
         {"\tencryption = require\n", NULL, NULL}, {"ca file", "check certificate"}},
        {"encryption off: no TLS lines", "/etc/retl/ca.pem", 0, RETL_ENCRYPT_OFF, -1,
         {"\tencryption = off\n", NULL, NULL}, {"ca file", "check certificate"}},
        {"diagnosis: CA without the host name", NULL, 0, RETL_ENCRYPT_REQUIRE,
         RETL_MSSQL_TLS_VERIFY_CA,
         {"\tca file = system\n", "\tcheck certificate hostname = no\n", NULL}, {NULL, NULL}},
};

static void test_conf(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(conf_cases) / sizeof(conf_cases[0]); i++) {
                const struct conf_case *c = &conf_cases[i];
                struct retl_cfg_database db = {.host = "db.internal", .port = 1433,
                                               .ca_file = (char *)c->ca_file,
                                               .trust_server_certificate = c->trust,
                                               .encryption = c->enc, .login_timeout_s = 15};
                enum retl_mssql_tls tls = (int)c->tls < 0 ? retl_mssql_session_tls(&db) : c->tls;
                char *text = conf_text(&db, c->enc, tls);

                if (!strstr(text, "[retl]\n\thost = db.internal\n\tport = 1433\n\ttds version = 7.4\n"))
                        fail_msg("%s: no host/port/version in\n%s", c->what, text);
                for (size_t k = 0; k < 3; k++)
                        if (c->has[k] && !strstr(text, c->has[k]))
                                fail_msg("%s: lacks '%s' in\n%s", c->what, c->has[k], text);
                for (size_t k = 0; k < 2; k++)
                        if (c->lacks[k] && strstr(text, c->lacks[k]))
                                fail_msg("%s: has '%s' in\n%s", c->what, c->lacks[k], text);
                free(text);
        }
}

static void test_sql(void **state)
{
        struct retl_cfg_database db = {.lock_timeout_s = 45};
        char sql[512], small[40];

        (void)state;
        assert_true(retl_mssql_session_sql(&db, sql, sizeof(sql)) > 0);
        assert_string_equal(sql,
                            "SET ANSI_NULLS ON; SET ANSI_PADDING ON; SET ANSI_WARNINGS ON; "
                            "SET CONCAT_NULL_YIELDS_NULL ON; SET QUOTED_IDENTIFIER ON; "
                            "SET ANSI_NULL_DFLT_ON ON; SET ARITHABORT ON; "
                            "SET TRANSACTION ISOLATION LEVEL READ COMMITTED; "
                            "SET LOCK_TIMEOUT 45000; SET TEXTSIZE 2147483647");
        assert_int_equal(retl_mssql_session_sql(&db, small, sizeof(small)), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_conf),
                cmocka_unit_test(test_sql),
        };
        return cmocka_run_group_tests_name("mssql_session", tests, NULL, NULL);
}
