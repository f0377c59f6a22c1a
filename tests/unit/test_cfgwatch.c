/* Unit tests: noticing a changed configuration — its file, and the secret
 * files it names (lib/cfgwatch.c, lib/cfg.c secret_files). */
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
#include "lib/cfgwatch.h"

static char dir[64];

static void put(const char *name, const char *text)
{
        char p[256], tmp[300];
        FILE *f;
        snprintf(p, sizeof(p), "%s/%s", dir, name);
        snprintf(tmp, sizeof(tmp), "%s.new", p);
        f = fopen(tmp, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        /* a new inode, as a Kubernetes volume's ..data swap gives */
        assert_int_equal(rename(tmp, p), 0);
}

static void cfg_text(char *out, size_t n, int with_beta)
{
        snprintf(out, n,
                 "kafka = { brokers = \"127.0.0.1:9092\";\n"
                 "  properties = { sasl_password_file = \"%s/kpw\"; }; };\n"
                 "workspaces = ( { name = \"acme\"; site_id = \"s1\"; api_key_file = \"%s/key\"; }"
                 "%s%s%s );\n",
                 dir, dir, with_beta ? ", { name = \"beta\"; site_id = \"s2\"; api_key_file = \"" : "",
                 with_beta ? dir : "", with_beta ? "/key2\"; }" : "");
}

static void test_secret_files(void **state)
{
        char cfgpath[128], text[1024], err[4096], p[256];
        struct retl_cfg *cfg;
        struct retl_cfgwatch w;

        snprintf(dir, sizeof(dir), "/tmp/retl-test-cfgwatch-XXXXXX");
        assert_non_null(mkdtemp(dir));
        snprintf(cfgpath, sizeof(cfgpath), "%s/retl.cfg", dir);
        put("key", "k1\n");
        put("key2", "k2\n");
        put("kpw", "pw\n");
        cfg_text(text, sizeof(text), 1);
        put("retl.cfg", text);

        /* the files read, each once, only those of the secrets loaded */
        assert_int_equal(retl_cfg_load_secrets(cfgpath, RETL_CFG_SECRETS_WORKSPACES, &cfg, err,
                                               sizeof(err)), 0);
        assert_int_equal(cfg->nsecret_files, 2);
        snprintf(p, sizeof(p), "%s/key", dir);
        assert_string_equal(cfg->secret_files[0], p);
        retl_cfg_destroy(cfg);
        assert_int_equal(retl_cfg_load(cfgpath, &cfg, err, sizeof(err)), 0);
        assert_int_equal(cfg->nsecret_files, 3);

        retl_cfgwatch_init(&w, cfgpath);
        retl_cfgwatch_rearm(&w, cfg);
        assert_int_equal(w.nfiles, 4);
        assert_int_equal(retl_cfgwatch_changed(&w), 0);
        /* a rotated key is a change, seen once */
        put("key", "k1-rotated\n");
        assert_int_equal(retl_cfgwatch_changed(&w), 1);
        assert_int_equal(retl_cfgwatch_changed(&w), 0);
        /* a key file missing mid-swap is no change; back, it is */
        snprintf(p, sizeof(p), "%s/key2", dir);
        assert_int_equal(unlink(p), 0);
        assert_int_equal(retl_cfgwatch_changed(&w), 0);
        put("key2", "k2-new\n");
        assert_int_equal(retl_cfgwatch_changed(&w), 1);
        assert_int_equal(retl_cfgwatch_changed(&w), 0);

        /* beta gone from the file: key2 no longer watched */
        cfg_text(text, sizeof(text), 0);
        put("retl.cfg", text);
        assert_int_equal(retl_cfgwatch_changed(&w), 1);
        retl_cfg_destroy(cfg);
        assert_int_equal(retl_cfg_load(cfgpath, &cfg, err, sizeof(err)), 0);
        assert_int_equal(cfg->nsecret_files, 2);
        retl_cfgwatch_rearm(&w, cfg);
        assert_int_equal(w.nfiles, 3);
        put("key2", "k2-again\n");
        assert_int_equal(retl_cfgwatch_changed(&w), 0);
        /* the configuration file itself, still */
        put("retl.cfg", text);
        assert_int_equal(retl_cfgwatch_changed(&w), 1);
        /* a second rearm with the same configuration changes nothing */
        retl_cfgwatch_rearm(&w, cfg);
        assert_int_equal(w.nfiles, 3);
        assert_int_equal(retl_cfgwatch_changed(&w), 0);
        put("kpw", "pw2\n");
        assert_int_equal(retl_cfgwatch_changed(&w), 1);

        retl_cfgwatch_free(&w);
        retl_cfg_destroy(cfg);
        for (size_t i = 0; i < 4; i++) {
                static const char *const names[] = {"key", "key2", "kpw", "retl.cfg"};
                snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
                unlink(p);
        }
        rmdir(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_secret_files),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
