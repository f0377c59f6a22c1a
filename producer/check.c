/* retl — `retl check -c FILE DATABASE`: tries a database connection and says
 * precisely what failed (name resolution, refused, timeout, TLS, login,
 * database). Never prints the password. */
#include "lib/args.h"
#include "lib/cfg.h"
#include "lib/log.h"
#include "producer/commands.h"
#include "producer/source.h"

#include <stdio.h>
#include <string.h>

int retl_check_main(int argc, char **argv)
{
        const char *path = NULL, *name = NULL;
        const struct retl_cfg_database *db;
        struct retl_cfg *cfg = NULL;
        struct retl_source *src = NULL;
        enum retl_source_fail fail = RETL_SRC_OK;
        char err[16384], where[600], tls[600];
        int rc = 1;
        struct retl_args ra = {"check", argc, argv, 1};

        for (; ra.ra_i < argc; ra.ra_i++) {
                const char *arg = argv[ra.ra_i];

                if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
                        printf("usage: retl check -c FILE DATABASE\n\n"
                               "Connects to DATABASE (a databases[] entry of FILE) as the "
                               "extractor would and\nreports the outcome: ok, or which step "
                               "failed (name resolution, connection\nrefused, timeout, TLS, "
                               "login, database) with the server's words.\n"
                               "Exit status 0 when the connection works, 1 when it does not.\n");
                        return 0;
                } else if (retl_args_is(&ra, "-c", "--config")) {
                        if (retl_args_value(&ra, &path))
                                return 2;
                } else if (arg[0] != '-' && !name) {
                        name = arg;
                } else {
                        return retl_args_unknown(&ra);
                }
        }
        if (!path || !name) {
                fprintf(stderr, "retl check: usage: retl check -c FILE DATABASE\n");
                return 2;
        }
        if (retl_cfg_load_secrets(path, RETL_CFG_SECRETS_DATABASES, &cfg, err, sizeof(err))) {
                fprintf(stderr, "%s\n", err);
                return 1;
        }
        if (cfg->log_level && retl_log_parse_level(cfg->log_level) >= 0)
                retl_log_set_level((enum retl_log_level)retl_log_parse_level(cfg->log_level));
        db = retl_cfg_database_find(cfg, name);
        if (!db) {
                fprintf(stderr, "retl check: no database named '%s' in %s\n", name, path);
                rc = 2;
                goto out;
        }
        src = retl_source_open(db, "check", NULL, &fail, err, sizeof(err));
        if (!src) {
                printf("FAILED (%s): %s\n", retl_source_fail_name(fail), err);
                goto out;
        }
        if (db->instance && *db->instance)
                snprintf(where, sizeof(where), "%s\\%s", db->host, db->instance);
        else
                snprintf(where, sizeof(where), "%s:%d", db->host, db->port);
        if (db->encryption == RETL_ENCRYPT_OFF)
                tls[0] = '\0';
        else if (db->trust_server_certificate)
                snprintf(tls, sizeof(tls), ", certificate NOT verified "
                         "(trust_server_certificate = true)");
        else
                snprintf(tls, sizeof(tls), ", certificate and host name verified against "
                         "ca_file %s%s", db->ca_file ? db->ca_file : "system",
                         db->encryption == RETL_ENCRYPT_REQUEST ? " (if the server offers TLS)"
                                                                 : "");
        printf("ok: connected to database '%s' (%s, database %s, user %s, encryption %s%s)\n",
               db->name, where, db->database, db->user, retl_encryption_name(db->encryption),
               tls);
        rc = 0;
out:
        retl_source_close(src);
        retl_cfg_destroy(cfg);
        return rc;
}
