/* Unit tests: the configuration — a valid file with its defaults, and each
 * kind of error naming its line and setting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cfg.h"

static char path[64];

/* Writes @p text to a temporary file; its path is in `path`. */
static void write_cfg(const char *text)
{
        int fd;
        FILE *f;
        snprintf(path, sizeof(path), "/tmp/retl-test-cfg-XXXXXX");
        fd = mkstemp(path);
        assert_true(fd >= 0);
        f = fdopen(fd, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

#define KAFKA "kafka = { brokers = \"127.0.0.1:9092\"; };\n"
#define WS "workspaces = ( { name = \"acme\"; site_id = \"s1\"; api_key_env = \"RETL_T_KEY\"; } );\n"
#define WSAPP "workspaces = ( { name = \"acme\"; site_id = \"s1\"; api_key_env = \"RETL_T_KEY\";\n" \
              "  app_api_key_env = \"RETL_T_KEY\"; } );\n"
#define DB "databases = ( { name = \"crm\"; host = \"db\"; database = \"crm\"; user = \"ro\";\n" \
           "  password_env = \"RETL_T_PW\"; } );\n"

static void test_valid(void **state)
{
        struct retl_cfg *cfg;
        const struct retl_cfg_sync *s;
        char err[4096];
        FILE *f = fopen("/tmp/retl-test-secret", "w");
        assert_non_null(f);
        fputs("s3cret\n", f);
        fclose(f);
        setenv("RETL_T_KEY", "key", 1);
        setenv("RETL_T_PW", "pw", 1);
        write_cfg(KAFKA
                  "workspaces = ( { name = \"acme\"; region = \"eu\"; site_id = \"s1\";\n"
                  "  api_key_file = \"/tmp/retl-test-secret\"; } );\n" DB
                  "syncs = ( { name = \"people\"; workspace = \"acme\"; database = \"crm\";\n"
                  "  import = \"people\"; interval = \"15m\"; start = \"2024-05-01T12:30:00Z\";\n"
                  "  query = \"SELECT id FROM t WHERE u > {{last_sync_time}}\"; },\n"
                  " { name = \"companies\"; workspace = \"acme\"; database = \"crm\";\n"
                  "  import = \"objects\"; interval = \"1h\"; object_type_id = \"2\";\n"
                  "  empty_values = \"delete\"; suppressed = \"fail\"; paused = true;\n"
                  "  query = \"SELECT object_id FROM c\"; relationship_query = \"\"; } );\n");
        assert_int_equal(retl_cfg_load(path, &cfg, err, sizeof(err)), 0);
        assert_string_equal(cfg->kafka.topic_prefix, "retl.ws.");
        assert_string_equal(cfg->kafka.state_topic_prefix, "retl.state.");
        assert_string_equal(cfg->kafka.group, "retl-uploaders");
        assert_int_equal(cfg->kafka.replication_factor, 3);
        assert_int_equal(cfg->nworkspaces, 1);
        assert_string_equal(cfg->workspaces[0].api_url, "https://track-eu.customer.io");
        assert_string_equal(cfg->workspaces[0].api_key, "s3cret"); /* newline trimmed */
        assert_int_equal(cfg->workspaces[0].rate_limit, 100);
        assert_string_equal(cfg->databases[0].password, "pw");
        assert_int_equal(cfg->databases[0].port, 1433);
        assert_int_equal(cfg->databases[0].encryption, RETL_ENCRYPT_REQUIRE);
        /* verified by default: the system's CAs, no trust without checks */
        assert_string_equal(cfg->databases[0].ca_file, "system");
        assert_int_equal(cfg->databases[0].trust_server_certificate, 0);
        assert_true(cfg->databases[0].lock_timeout_s == 30);
        s = retl_cfg_sync_find(cfg, "people");
        assert_non_null(s);
        assert_true(s->interval_s == 900);
        assert_true(s->start == 1714566600);
        assert_int_equal(s->import, RETL_IMPORT_PEOPLE);
        assert_int_equal(s->identify_by, RETL_IDENT_ID);
        assert_int_equal(s->empty_values, RETL_EMPTY_IGNORE);
        assert_int_equal(s->diff, 1);
        assert_ptr_equal(s->ws, &cfg->workspaces[0]);
        s = retl_cfg_sync_find(cfg, "companies");
        assert_non_null(s);
        assert_true(s->interval_s == 3600);
        assert_string_equal(s->object_type_id, "2");
        assert_int_equal(s->empty_values, RETL_EMPTY_DELETE);
        assert_int_equal(s->suppressed, RETL_SUPPRESSED_FAIL);
        assert_int_equal(s->paused, 1);
        assert_null(s->relationship_query);
        assert_null(retl_cfg_sync_find(cfg, "nope"));
        {
                char *t = retl_cfg_workspace_topic(cfg, "acme");
                assert_string_equal(t, "retl.ws.acme");
                free(t);
        }
        retl_cfg_destroy(cfg);
        unlink(path);
        unlink("/tmp/retl-test-secret");
}

struct bad {
        const char *what;
        const char *text;
        const char *expect; /* substring of the error, after "path:" */
};

static const struct bad bad_cases[] = {
        {"syntax", KAFKA "workspaces = ( { name = \"acme\" site_id = ; } );\n", ":2: syntax error"},
        {"unclosed quote", KAFKA WS DB
         "syncs = ( { name = \"p\"; workspace = \"acme\"; database = \"crm\";\n"
         "  import = \"people\"; interval = \"1h\";\n"
         "  query = \"SELECT id FROM t; } );\n"
         "# the end\n",
         ":9: syntax error at the end of the file, likely an unclosed quote: the string opened "
         "on line 7 runs past its line"},
        {"unclosed quote, then more quotes", KAFKA WS DB
         "syncs = ( { name = \"p\"; workspace = \"acme; database = \"crm\";\n"
         "  import = \"people\"; interval = \"1h\";\n"
         "  query = \"SELECT id FROM t\"; } );\n",
         ":6: syntax error, likely an unclosed quote: the string opened on line 5 runs past "
         "its line"},
        {"unclosed parenthesis", KAFKA WS DB
         "syncs = ( { name = \"p\"; workspace = \"acme\"; database = \"crm\";\n"
         "  import = \"people\"; interval = \"1h\"; query = \"SELECT id FROM t\"; }\n\n",
         ":8: syntax error at the end of the file, likely an unclosed '(': opened on line 5"},
        {"unclosed comment", KAFKA WS "/* databases, later\n" DB,
         ":3: an unclosed comment: '/*' on line 3 has no '*/': the rest of the file would be "
         "ignored"},
        {"missing setting", KAFKA WS DB
         "syncs = ( { name = \"p\"; workspace = \"acme\"; database = \"crm\";\n"
         "  import = \"people\"; interval = \"1h\"; } );\n",
         ":5: syncs[0] 'p'.query: missing required setting"},
        {"bad duration", KAFKA WS DB
         "syncs = ( { name = \"p\"; workspace = \"acme\"; database = \"crm\"; import = \"people\";\n"
         "  query = \"SELECT id FROM t\";\n"
         "  interval = \"5x\"; } );\n",
         ":7: syncs[0] 'p'.interval: bad duration '5x'"},
        {"duration without a unit", KAFKA WS DB
         "syncs = ( { name = \"p\"; workspace = \"acme\"; database = \"crm\";\n"
         "  import = \"people\"; query = \"SELECT id FROM t\";\n"
         "  interval = 5; } );\n",
         ":7: syncs[0] 'p'.interval: 5 has no unit: write \"5s\", \"5m\", \"5h\" or \"5d\""},
        {"duration without a unit, quoted", KAFKA WS DB
         "syncs = ( { name = \"p\"; workspace = \"acme\"; database = \"crm\";\n"
         "  import = \"people\"; query = \"SELECT id FROM t\";\n"
         "  interval = \"5\"; } );\n",
         ":7: syncs[0] 'p'.interval: \"5\" has no unit: write \"5s\""},
        {"bad enum", KAFKA WS DB
         "syncs = ( { name = \"p\"; workspace = \"acme\"; database = \"crm\"; interval = \"1h\";\n"
         "  query = \"SELECT id FROM t\";\n"
         "  import = \"persons\"; } );\n",
         ":7: syncs[0] 'p'.import: bad value 'persons' (expected one of: people, objects)"},
        {"unknown secret variable", KAFKA
         "workspaces = ( { name = \"acme\"; site_id = \"s1\";\n"
         "  api_key_env = \"RETL_T_UNSET_VARIABLE\"; } );\n",
         ":3: workspaces[0] 'acme'.api_key_env: environment variable 'RETL_T_UNSET_VARIABLE' is "
         "not set"},
        {"secret in the file", KAFKA
         "workspaces = ( { name = \"acme\"; site_id = \"s1\";\n  api_key = \"abc\"; } );\n",
         ":3: workspaces[0] 'acme'.api_key: secrets are never written in the file"},
        {"unknown setting", KAFKA WS "\nretries = 3;\n", ":4: retries: unknown setting"},
        {"out of range", KAFKA
         "workspaces = ( { name = \"acme\"; site_id = \"s1\"; api_key_env = \"RETL_T_KEY\";\n"
         "  rate_limit = 0; } );\n",
         ":3: workspaces[0] 'acme'.rate_limit: 0 is out of range (1 to 100000)"},
        {"wrong type", "kafka = { brokers = 9092; };\n", ":1: kafka.brokers: must be a string"},
        {"unknown workspace", KAFKA WS DB
         "syncs = ( { name = \"p\"; workspace = \"other\"; database = \"crm\";\n"
         "  import = \"people\"; interval = \"1h\"; query = \"SELECT id FROM t\"; } );\n",
         ":5: syncs[0] 'p': workspace 'other' is not in workspaces"},
        {"duplicate name", KAFKA
         "workspaces = ( { name = \"acme\"; site_id = \"s1\"; api_key_env = \"RETL_T_KEY\"; },\n"
         " { name = \"acme\"; site_id = \"s2\"; api_key_env = \"RETL_T_KEY\"; } );\n",
         ":3: workspaces[1] 'acme': name used twice (also line 2)"},
        {"kafka password in file", "kafka = { brokers = \"b:1\";\n"
         "  properties = { sasl_password = \"x\"; }; };\n",
         ":2: kafka.properties.sasl_password: secrets are never written in the file"},
        {"missing kafka", WS, ":1: kafka: missing required group"},
        {"state topics look like workspace topics",
         "kafka = { brokers = \"b:1\"; state_topic_prefix = \"retl.ws.state.\"; };\n",
         ":0: kafka.state_topic_prefix: 'retl.ws.state.' overlaps topic_prefix 'retl.ws.'"},
        {"workspace topics look like state topics",
         "kafka = { brokers = \"b:1\"; topic_prefix = \"retl.state.ws.\"; };\n",
         ":0: kafka.state_topic_prefix: 'retl.state.' overlaps topic_prefix 'retl.state.ws.'"},
        {"ca_file with trust_server_certificate", KAFKA WS
         "databases = ( { name = \"crm\"; host = \"db\"; database = \"crm\"; user = \"ro\";\n"
         "  password_env = \"RETL_T_PW\"; ca_file = \"/etc/ca.pem\";\n"
         "  trust_server_certificate = true; } );\n",
         ":3: databases[0] 'crm': ca_file and trust_server_certificate = true contradict each "
         "other"},
        {"bad name", KAFKA
         "workspaces = ( { name = \"ac me\"; site_id = \"s1\"; api_key_env = \"RETL_T_KEY\"; } );\n",
         ":2: workspaces[0] 'ac me'.name: bad name 'ac me'"},
        {"segment_name without an App API key", KAFKA WS DB
         "syncs = ( { name = \"p\"; workspace = \"acme\"; database = \"crm\";\n"
         "  import = \"people\"; interval = \"1h\"; query = \"SELECT id FROM t\";\n"
         "  segment_name = \"CRM\"; } );\n",
         ":5: syncs[0] 'p': segment_name needs workspace 'acme' to have an App API key "
         "(app_api_key_env or app_api_key_file)"},
        {"segment and segment_name", KAFKA WSAPP DB
         "syncs = ( { name = \"p\"; workspace = \"acme\"; database = \"crm\";\n"
         "  import = \"people\"; interval = \"1h\"; query = \"SELECT id FROM t\";\n"
         "  segment = 4; segment_name = \"CRM\"; } );\n",
         ":6: syncs[0] 'p': give segment (an id) or segment_name, not both"},
        {"segment_name of objects", KAFKA WSAPP DB
         "syncs = ( { name = \"p\"; workspace = \"acme\"; database = \"crm\";\n"
         "  import = \"objects\"; interval = \"1h\"; query = \"SELECT id FROM t\";\n"
         "  segment_name = \"CRM\"; } );\n",
         ":6: syncs[0] 'p': segment_name is for people syncs only"},
        {"empty segment_name", KAFKA WSAPP DB
         "syncs = ( { name = \"p\"; workspace = \"acme\"; database = \"crm\";\n"
         "  import = \"people\"; interval = \"1h\"; query = \"SELECT id FROM t\";\n"
         "  segment_name = \"\"; } );\n",
         ":6: syncs[0] 'p': segment_name is empty"},
        {"segment_description alone", KAFKA WSAPP DB
         "syncs = ( { name = \"p\"; workspace = \"acme\"; database = \"crm\";\n"
         "  import = \"people\"; interval = \"1h\"; query = \"SELECT id FROM t\";\n"
         "  segment_description = \"x\"; } );\n",
         ":6: syncs[0] 'p': segment_description goes with segment_name"},
        {"bad app_api_url", KAFKA
         "workspaces = ( { name = \"acme\"; site_id = \"s1\"; api_key_env = \"RETL_T_KEY\";\n"
         "  app_api_url = \"api.customer.io\"; } );\n",
         ":2: workspaces[0] 'acme': app_api_url 'api.customer.io' must start with http:// or "
         "https://"},
        {"App API key in the file", KAFKA
         "workspaces = ( { name = \"acme\"; site_id = \"s1\"; api_key_env = \"RETL_T_KEY\";\n"
         "  app_api_key = \"abc\"; } );\n",
         ":3: workspaces[0] 'acme'.app_api_key: secrets are never written in the file"},
};

/* segment_name: the App API's address by region, or api_url, or as given;
 * only the uploader reads its key. */
static void test_segment_name(void **state)
{
        char err[4096];
        struct retl_cfg *cfg;
        const struct retl_cfg_sync *s;
        FILE *f;

        setenv("RETL_T_KEY", "key", 1);
        setenv("RETL_T_PW", "pw", 1);
        setenv("RETL_T_APP_KEY", "app-key", 1);
        write_cfg(KAFKA
                  "workspaces = ( { name = \"acme\"; site_id = \"s1\"; api_key_env = \"RETL_T_KEY\";\n"
                  "  app_api_key_env = \"RETL_T_APP_KEY\"; region = \"eu\"; },\n"
                  " { name = \"sbx\"; site_id = \"s1\"; api_key_env = \"RETL_T_KEY\";\n"
                  "  api_url = \"http://127.0.0.1:8087/\"; },\n"
                  " { name = \"us\"; site_id = \"s1\"; api_key_env = \"RETL_T_KEY\";\n"
                  "  app_api_url = \"https://app.example.com/\"; } );\n" DB
                  "syncs = ( { name = \"p\"; workspace = \"acme\"; database = \"crm\";\n"
                  "  import = \"people\"; interval = \"1h\"; query = \"SELECT id FROM t\";\n"
                  "  segment_name = \"Imported from CRM\"; segment_description = \"d\"; } );\n");
        assert_int_equal(retl_cfg_load(path, &cfg, err, sizeof(err)), 0);
        assert_string_equal(cfg->workspaces[0].app_api_url, "https://api-eu.customer.io");
        assert_string_equal(cfg->workspaces[0].app_api_key, "app-key");
        assert_string_equal(cfg->workspaces[1].app_api_url, "http://127.0.0.1:8087");
        assert_null(cfg->workspaces[1].app_api_key);
        assert_string_equal(cfg->workspaces[2].app_api_url, "https://app.example.com");
        s = retl_cfg_sync_find(cfg, "p");
        assert_string_equal(s->segment_name, "Imported from CRM");
        assert_string_equal(s->segment_description, "d");
        assert_true(s->segment == 0);
        /* the dump writes the address given, not those derived */
        f = tmpfile();
        assert_non_null(f);
        retl_cfg_dump(cfg, f);
        rewind(f);
        {
                int given = 0;
                while (fgets(err, sizeof(err), f)) {
                        assert_null(strstr(err, "api-eu.customer.io"));
                        given += strstr(err, "app_api_url = \"https://app.example.com\"") != NULL;
                }
                assert_int_equal(given, 1);
        }
        fclose(f);
        retl_cfg_destroy(cfg);
        /* the extractor needs no App API key */
        unsetenv("RETL_T_APP_KEY");
        assert_int_equal(retl_cfg_load(path, &cfg, err, sizeof(err)), -1);
        assert_int_equal(retl_cfg_load_secrets(path, RETL_CFG_SECRETS_KAFKA |
                                                             RETL_CFG_SECRETS_DATABASES,
                                               &cfg, err, sizeof(err)), 0);
        assert_null(cfg->workspaces[0].app_api_key);
        assert_string_equal(retl_cfg_sync_find(cfg, "p")->segment_name, "Imported from CRM");
        retl_cfg_destroy(cfg);
        unlink(path);
}

static void test_errors(void **state)
{
        char err[4096];
        struct retl_cfg *cfg;

        setenv("RETL_T_KEY", "key", 1);
        setenv("RETL_T_PW", "pw", 1);
        for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
                const struct bad *b = &bad_cases[i];
                char want[512];
                write_cfg(b->text);
                err[0] = '\0';
                if (retl_cfg_load(path, &cfg, err, sizeof(err)) == 0)
                        fail_msg("%s: loaded, expected an error", b->what);
                assert_null(cfg);
                snprintf(want, sizeof(want), "%s%s", path, b->expect);
                if (!strstr(err, want))
                        fail_msg("%s: error\n  %s\nlacks\n  %s", b->what, err, want);
                /* secrets never appear in messages */
                assert_null(strstr(err, "abc\""));
                unlink(path);
        }
}

/* A daemon reads only its own secrets: the extractor needs no API key. */
static void test_secrets_per_daemon(void **state)
{
        char err[4096];
        struct retl_cfg *cfg;
        unsetenv("RETL_T_KEY");
        setenv("RETL_T_PW", "pw", 1);
        write_cfg(KAFKA WS DB);
        assert_int_equal(retl_cfg_load(path, &cfg, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "'RETL_T_KEY' is not set"));
        assert_int_equal(retl_cfg_load_secrets(path, RETL_CFG_SECRETS_KAFKA |
                                                             RETL_CFG_SECRETS_DATABASES,
                                               &cfg, err, sizeof(err)), 0);
        assert_null(cfg->workspaces[0].api_key);
        assert_string_equal(cfg->databases[0].password, "pw");
        retl_cfg_destroy(cfg);
        unlink(path);
        setenv("RETL_T_KEY", "key", 1);
}

/* A secret pasted where its variable's name or file's path belongs is never
 * printed back: messages name the setting instead. */
static void test_secret_values_not_shown(void **state)
{
        char err[4096];
        struct retl_cfg *cfg;
        FILE *f;

        unsetenv("Sekr3tApiKey");
        write_cfg("kafka = { brokers = \"b:1\";\n"
                  "  properties = { sasl_password_env = \"kafka pass-w0rd\"; }; };\n"
                  "workspaces = ( { name = \"acme\"; site_id = \"s1\";\n"
                  "  api_key_file = \"Sekr3tApiKey\"; } );\n"
                  "databases = ( { name = \"crm\"; host = \"db\"; database = \"crm\";\n"
                  "  user = \"ro\"; password_env = \"Sekr3tDbPw!\"; } );\n");
        assert_int_equal(retl_cfg_load(path, &cfg, err, sizeof(err)), -1);
        assert_null(strstr(err, "Sekr3t"));
        assert_null(strstr(err, "pass-w0rd"));
        assert_non_null(strstr(err, ":2: kafka.properties.sasl_password_env: the environment "
                                    "variable it names is not set (its name is not shown"));
        assert_non_null(strstr(err, ":4: workspaces[0] 'acme'.api_key_file: cannot read the "
                                    "secret file it names: No such file or directory (its path is "
                                    "not shown"));
        assert_non_null(strstr(err, ":6: databases[0] 'crm'.password_env: the environment "
                                    "variable it names is not set"));
        unlink(path);

        /* plausible names and paths are still shown, and an unread secret's
         * implausible reference is hidden in the dump too */
        write_cfg("kafka = { brokers = \"b:1\"; };\n"
                  "workspaces = ( { name = \"acme\"; site_id = \"s1\";\n"
                  "  api_key_file = \"/nonexistent/retl-key\"; } );\n"
                  "databases = ( { name = \"crm\"; host = \"db\"; database = \"crm\";\n"
                  "  user = \"ro\"; password_env = \"RETL_T_UNSET_PW\"; } );\n");
        assert_int_equal(retl_cfg_load(path, &cfg, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "cannot read secret file '/nonexistent/retl-key'"));
        assert_non_null(strstr(err, "environment variable 'RETL_T_UNSET_PW' is not set"));
        unlink(path);
        setenv("RETL_T_PW", "pw", 1);
        write_cfg("kafka = { brokers = \"b:1\"; };\n"
                  "workspaces = ( { name = \"acme\"; site_id = \"s1\";\n"
                  "  api_key_env = \"Sekr3tApiKey!\"; } );\n" DB);
        assert_int_equal(retl_cfg_load_secrets(path, RETL_CFG_SECRETS_DATABASES, &cfg, err,
                                               sizeof(err)), 0);
        f = tmpfile();
        assert_non_null(f);
        retl_cfg_dump(cfg, f);
        rewind(f);
        while (fgets(err, sizeof(err), f))
                assert_null(strstr(err, "Sekr3t"));
        fclose(f);
        retl_cfg_destroy(cfg);
        unlink(path);
}

/* libconfig 1.5 reads an integer without the L suffix as 32 bits, wrapping
 * larger ones: every integer is read as written, or refused quoting it. */
static void test_integers_exact(void **state)
{
        static const struct {
                const char *kafka;      /* settings in the kafka group */
                long long retention;    /* expected, when loaded */
                const char *error;      /* else a substring of the error */
        } cases[] = {
                {"retention_ms = 2147483647;", 2147483647LL, NULL},
                {"retention_ms = 2147483648;", 2147483648LL, NULL},
                {"retention_ms = 2147483648L;", 2147483648LL, NULL},
                {"retention_ms = 4294967296;", 4294967296LL, NULL},
                {"retention_ms = 4294967296L;", 4294967296LL, NULL},
                {"retention_ms = 4295067296;", 4295067296LL, NULL}, /* was 100000 */
                {"retention_ms = 8589934591;", 8589934591LL, NULL}, /* was -1 */
                {"retention_ms = 604800000000;", 604800000000LL, NULL},
                {"retention_ms = 0x100000000;", 4294967296LL, NULL},
                {"retention_ms = -1;", -1, NULL},
                {"retention_ms = -2147483649;",
                 0, ":1: kafka.retention_ms: -2147483649 is out of range (-1 to"},
                {"retention_ms = 99999999999999999999;",
                 0, ":1: kafka.retention_ms: 99999999999999999999 is out of range"},
                {"retention_ms = 99999999999999999999L;",
                 0, ":1: kafka.retention_ms: 99999999999999999999 is out of range"},
                {"replication_factor = 4294967297;",
                 0, ":1: kafka.replication_factor: 4294967297 is out of range (1 to 32)"},
                {"replication_factor = 2147483648;",
                 0, ":1: kafka.replication_factor: 2147483648 is out of range (1 to 32)"},
                {"group = 99999999999999999999;", 0, ":1: kafka.group: must be a string"},
        };
        char err[4096], text[512];
        struct retl_cfg *cfg;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                snprintf(text, sizeof(text), "kafka = { brokers = \"b:1\"; %s };\n",
                         cases[i].kafka);
                write_cfg(text);
                err[0] = '\0';
                if (retl_cfg_load(path, &cfg, err, sizeof(err))) {
                        if (!cases[i].error || !strstr(err, cases[i].error))
                                fail_msg("%s: %s", cases[i].kafka, err);
                } else {
                        if (cases[i].error)
                                fail_msg("%s: loaded, expected %s", cases[i].kafka,
                                         cases[i].error);
                        if (cfg->kafka.retention_ms != cases[i].retention)
                                fail_msg("%s: read as %lld", cases[i].kafka,
                                         (long long)cfg->kafka.retention_ms);
                        retl_cfg_destroy(cfg);
                }
                unlink(path);
        }

        /* each kind of integer setting: int (workspace, database) and int64
         * (sync) alike; kafka.properties get the literal as written */
        setenv("RETL_T_KEY", "key", 1);
        setenv("RETL_T_PW", "pw", 1);
        write_cfg("kafka = { brokers = \"b:1\";\n"
                  "  properties = { message_max_bytes = 4294967296; x_y = 99999999999999999999; }; };\n"
                  "workspaces = ( { name = \"acme\"; site_id = \"s1\"; api_key_env = \"RETL_T_KEY\";\n"
                  "  rate_limit = 4294967396; } );\n"
                  "databases = ( { name = \"crm\"; host = \"db\"; database = \"crm\"; user = \"ro\";\n"
                  "  password_env = \"RETL_T_PW\"; port = 4295011977; } );\n"
                  "syncs = ( { name = \"p\"; workspace = \"acme\"; database = \"crm\";\n"
                  "  import = \"people\"; interval = \"1h\"; query = \"SELECT id FROM t\";\n"
                  "  segment = 4294967296; } );\n");
        assert_int_equal(retl_cfg_load(path, &cfg, err, sizeof(err)), -1);
        assert_non_null(strstr(err, ":4: workspaces[0] 'acme'.rate_limit: 4294967396 is out of "
                                    "range (1 to 100000)"));
        assert_non_null(strstr(err, ":6: databases[0] 'crm'.port: 4295011977 is out of range"));
        assert_null(strstr(err, "segment"));
        assert_null(strstr(err, "properties"));
        unlink(path);
        write_cfg("kafka = { brokers = \"b:1\";\n"
                  "  properties = { message_max_bytes = 4294967296; x_y = 99999999999999999999; }; };\n"
                  "workspaces = ( { name = \"acme\"; site_id = \"s1\"; api_key_env = \"RETL_T_KEY\"; } );\n"
                  "databases = ( { name = \"crm\"; host = \"db\"; database = \"crm\"; user = \"ro\";\n"
                  "  password_env = \"RETL_T_PW\"; } );\n"
                  "syncs = ( { name = \"p\"; workspace = \"acme\"; database = \"crm\";\n"
                  "  import = \"people\"; interval = \"1h\"; query = \"SELECT id FROM t\";\n"
                  "  segment = 4294967296; } );\n");
        if (retl_cfg_load(path, &cfg, err, sizeof(err)))
                fail_msg("%s", err);
        assert_true(cfg->syncs[0].segment == 4294967296LL); /* was 0 */
        assert_int_equal(cfg->kafka.nprops, 2);
        assert_string_equal(cfg->kafka.props[1], "4294967296");
        assert_string_equal(cfg->kafka.props[3], "99999999999999999999");
        retl_cfg_destroy(cfg);
        unlink(path);
}

/* A directory given as the configuration file says so. */
static void test_directory(void **state)
{
        char err[4096];
        struct retl_cfg *cfg;

        assert_int_equal(retl_cfg_load("/tmp", &cfg, err, sizeof(err)), -1);
        assert_null(cfg);
        assert_string_equal(err, "/tmp: is a directory, not a configuration file: give the "
                                 "file's path");
        assert_int_equal(retl_cfg_load("/nonexistent/retl.cfg", &cfg, err, sizeof(err)), -1);
        assert_string_equal(err, "/nonexistent/retl.cfg: cannot read: No such file or directory");
}

static void test_all_errors_listed(void **state)
{
        char err[4096];
        struct retl_cfg *cfg;
        write_cfg("kafka = { brokers = \"b:1\"; group = 1; bogus = 2; };\n");
        assert_int_equal(retl_cfg_load(path, &cfg, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "kafka.bogus: unknown setting"));
        assert_non_null(strstr(err, "kafka.group: must be a string"));
        unlink(path);
}

static void test_durations_and_times(void **state)
{
        int64_t v;
        assert_int_equal(retl_cfg_parse_duration("90s", &v), 0);
        assert_true(v == 90);
        assert_int_equal(retl_cfg_parse_duration("2d", &v), 0);
        assert_true(v == 172800);
        assert_int_equal(retl_cfg_parse_duration("45", &v), -1); /* the unit is required */
        assert_int_equal(retl_cfg_parse_duration("", &v), -1);
        assert_int_equal(retl_cfg_parse_duration("1w", &v), -1);
        assert_int_equal(retl_cfg_parse_duration("-1h", &v), -1);
        assert_int_equal(retl_cfg_parse_duration("h", &v), -1);
        assert_int_equal(retl_cfg_parse_duration("1hh", &v), -1);
        assert_int_equal(retl_cfg_parse_time("1970-01-01T00:00:00Z", &v), 0);
        assert_true(v == 0);
        assert_int_equal(retl_cfg_parse_time("2024-05-01 14:30+02:00", &v), 0);
        assert_true(v == 1714566600);
        assert_int_equal(retl_cfg_parse_time("2024-05-01", &v), 0);
        assert_true(v == 1714521600);
        assert_int_equal(retl_cfg_parse_time("2024-13-01", &v), -1);
        assert_int_equal(retl_cfg_parse_time("yesterday", &v), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_valid),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_segment_name),
                cmocka_unit_test(test_secrets_per_daemon),
                cmocka_unit_test(test_secret_values_not_shown),
                cmocka_unit_test(test_integers_exact),
                cmocka_unit_test(test_directory),
                cmocka_unit_test(test_all_errors_listed),
                cmocka_unit_test(test_durations_and_times),
        };
        return cmocka_run_group_tests_name("cfg", tests, NULL, NULL);
}
