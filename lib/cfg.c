/* retl — configuration, see cfg.h.
 *
 * The tables below are the one description of every setting: loading,
 * defaults, bounds, `retl config --dump` and `retl config --reference` all
 * walk them. */
#include "cfg.h"
#include "log.h"
#include "mem.h"
#include "buf.h"

#include <ctype.h>
#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------ */
/* Setting descriptions                                                */
/* ------------------------------------------------------------------ */

enum ftype {
        F_STR,          /* string */
        F_NAME,         /* string of [A-Za-z0-9._-], 1..100 chars */
        F_INT,          /* int, bounded */
        F_INT64,        /* 64-bit int, bounded */
        F_BOOL,
        F_ENUM,         /* string, one of syms, stored as int */
        F_SECRET,       /* given as NAME_env or NAME_file */
        F_DURATION,     /* "15m" -> seconds, int64 */
        F_TIME,         /* "2024-05-01T12:00:00Z" -> Unix seconds, int64 */
};

struct field {
        const char *name;
        enum ftype type;
        size_t off;
        int required;
        const char *def;        /* default, as it would be written */
        int64_t min, max;
        const char *const *syms;
        const char *doc;
};

/* An F_SECRET field's value is followed in its struct by a char * that holds
 * the reference as the file writes it (api_key, then api_key_ref). */
#define SECRET_REF(p) ((char **)(p) + 1)

static const char *const import_syms[] = {"people", "objects", NULL};
static const char *const ident_syms[] = {"id", "email", NULL};
static const char *const people_syms[] = {"add_update", "update", NULL};
static const char *const empty_syms[] = {"ignore", "delete", NULL};
static const char *const suppressed_syms[] = {"succeed", "fail", NULL};
static const char *const encryption_syms[] = {"off", "request", "require", NULL};
static const char *const driver_syms[] = {"mssql", NULL};
static const char *const region_syms[] = {"us", "eu", NULL};
static const char *const level_syms[] = {"error", "warn", "info", "debug", NULL};

#define OFF(type, field) offsetof(struct type, field)

static const struct field top_fields[] = {
        {"log_level", F_STR, OFF(retl_cfg, log_level), 0, "info", 0, 0, level_syms,
         "error, warn, info or debug"},
};

static const struct field kafka_fields[] = {
        {"brokers", F_STR, OFF(retl_cfg_kafka, brokers), 1, NULL, 0, 0, NULL,
         "bootstrap servers, host:port[,host:port...]"},
        {"topic_prefix", F_STR, OFF(retl_cfg_kafka, topic_prefix), 0, "retl.ws.", 0, 0, NULL,
         "a workspace's topic is this prefix + the workspace's name"},
        {"group", F_STR, OFF(retl_cfg_kafka, group), 0, "retl-uploaders", 0, 0, NULL,
         "the uploaders' consumer group; it also holds every sync's last_sync_time"},
        {"imports_topic", F_STR, OFF(retl_cfg_kafka, imports_topic), 0, "retl.imports", 0, 0,
         NULL, "topic of import reports (status of every run)"},
        {"failures_topic", F_STR, OFF(retl_cfg_kafka, failures_topic), 0, "retl.failures", 0,
         0, NULL, "topic of failed rows (row number, identifier, reason)"},
        {"replication_factor", F_INT, OFF(retl_cfg_kafka, replication_factor), 0, "3", 1, 32,
         NULL, "replication factor of topics retl creates"},
        {"retention_ms", F_INT64, OFF(retl_cfg_kafka, retention_ms), 0, "604800000", -1,
         INT64_MAX, NULL,
         "retention of topics retl creates (-1 = forever): the window for `retl replay`"},
};

static const struct field metrics_fields[] = {
        {"listen", F_STR, OFF(retl_cfg_metrics, listen), 0, NULL, 0, 0, NULL,
         "host:port for /metrics, /healthz and /readyz; unset = off"},
};

static const struct field workspace_fields[] = {
        {"name", F_NAME, OFF(retl_cfg_workspace, name), 1, NULL, 0, 0, NULL,
         "the workspace's name in retl (part of its topic's name)"},
        {"region", F_STR, OFF(retl_cfg_workspace, region), 0, NULL, 0, 0, region_syms,
         "us or eu: the Track API host (track.customer.io or track-eu.customer.io)"},
        {"api_url", F_STR, OFF(retl_cfg_workspace, api_url), 0, NULL, 0, 0, NULL,
         "Track API base URL instead of region, e.g. a `retl sandbox` at http://127.0.0.1:8080"},
        {"site_id", F_STR, OFF(retl_cfg_workspace, site_id), 1, NULL, 0, 0, NULL,
         "the workspace's Track API site id"},
        {"api_key", F_SECRET, OFF(retl_cfg_workspace, api_key), 1, NULL, 0, 0, NULL,
         "the Track API key: api_key_env (variable) or api_key_file (path)"},
        {"rate_limit", F_INT, OFF(retl_cfg_workspace, rate_limit), 0, "100", 1, 100000, NULL,
         "requests per second to this workspace (the API's fair-use limit is 100)"},
        {"max_in_flight", F_INT, OFF(retl_cfg_workspace, max_in_flight), 0, "4", 1, 64, NULL,
         "concurrent requests to this workspace"},
        {"timeout", F_INT, OFF(retl_cfg_workspace, timeout_s), 0, "30", 1, 600, NULL,
         "seconds before a request is abandoned and retried"},
};

static const struct field database_fields[] = {
        {"name", F_NAME, OFF(retl_cfg_database, name), 1, NULL, 0, 0, NULL,
         "the database's name in retl"},
        {"driver", F_STR, OFF(retl_cfg_database, driver), 0, "mssql", 0, 0, driver_syms,
         "mssql (SQL Server 2014 or later, through FreeTDS)"},
        {"host", F_STR, OFF(retl_cfg_database, host), 1, NULL, 0, 0, NULL, "server host name"},
        {"port", F_INT, OFF(retl_cfg_database, port), 0, "1433", 0, 65535, NULL,
         "TCP port (ignored when instance is set)"},
        {"instance", F_STR, OFF(retl_cfg_database, instance), 0, NULL, 0, 0, NULL,
         "named instance, found through the SQL Browser service"},
        {"database", F_STR, OFF(retl_cfg_database, database), 1, NULL, 0, 0, NULL,
         "database to use"},
        {"user", F_STR, OFF(retl_cfg_database, user), 1, NULL, 0, 0, NULL,
         "login (a read-only user)"},
        {"password", F_SECRET, OFF(retl_cfg_database, password), 1, NULL, 0, 0, NULL,
         "password_env (variable) or password_file (path)"},
        {"encryption", F_ENUM, OFF(retl_cfg_database, encryption), 0, "require", 0, 0,
         encryption_syms, "TLS: off, request (if the server offers it) or require"},
        {"ca_file", F_STR, OFF(retl_cfg_database, ca_file), 0, "system", 0, 0, NULL,
         "CA bundle (PEM) the server's certificate must chain to; \"system\" = the system's "
         "(GnuTLS system trust, /etc/ssl/certs/ca-certificates.crt on Debian)"},
        {"trust_server_certificate", F_BOOL, OFF(retl_cfg_database, trust_server_certificate),
         0, "false", 0, 0, NULL,
         "true = encrypt without verifying the certificate or its host name (a warning at "
         "every connect): a man in the middle can read the password and every row"},
        {"login_timeout", F_INT, OFF(retl_cfg_database, login_timeout_s), 0, "15", 1, 600,
         NULL, "seconds to connect and log in"},
        {"query_timeout", F_INT, OFF(retl_cfg_database, query_timeout_s), 0, "3600", 1,
         86400, NULL, "seconds a query may wait for the server"},
        {"lock_timeout", F_DURATION, OFF(retl_cfg_database, lock_timeout_s), 0, "30s", 1, 86400,
         NULL, "how long a query waits for a lock (SET LOCK_TIMEOUT) before it fails with "
         "error 1222, e.g. \"30s\""},
};

static const struct field sync_fields[] = {
        {"name", F_NAME, OFF(retl_cfg_sync, name), 1, NULL, 0, 0, NULL, "the sync's name"},
        {"workspace", F_STR, OFF(retl_cfg_sync, workspace), 1, NULL, 0, 0, NULL,
         "name of the workspace it imports into"},
        {"database", F_STR, OFF(retl_cfg_sync, database), 1, NULL, 0, 0, NULL,
         "name of the database it reads"},
        {"import", F_ENUM, OFF(retl_cfg_sync, import), 1, NULL, 0, 0, import_syms,
         "people or objects"},
        {"identify_by", F_ENUM, OFF(retl_cfg_sync, identify_by), 0, "id", 0, 0, ident_syms,
         "people: the identifier column, id or email"},
        {"people", F_ENUM, OFF(retl_cfg_sync, people_mode), 0, "add_update", 0, 0, people_syms,
         "people: add_update (add and update) or update (only people who exist)"},
        {"object_type_id", F_STR, OFF(retl_cfg_sync, object_type_id), 0, "1", 0, 0, NULL,
         "objects: object type when the query has no object_type_id column"},
        {"interval", F_DURATION, OFF(retl_cfg_sync, interval_s), 1, NULL, 1, 366 * 86400,
         NULL, "time between runs: a number with s, m, h or d, e.g. \"1h\""},
        {"overlap", F_DURATION, OFF(retl_cfg_sync, overlap_s), 0, "5m", 1, 7 * 86400, NULL,
         "rows changed this long before the last run started are read again: the query sees "
         "{{last_sync_time}} minus this (at least 1s, which closes the run's own second)"},
        {"start", F_TIME, OFF(retl_cfg_sync, start), 0, NULL, 0, 0, NULL,
         "first run not before this time, e.g. \"2024-05-01T12:30:00Z\" (unset: at once); "
         "later runs follow every interval after the last start"},
        {"empty_values", F_ENUM, OFF(retl_cfg_sync, empty_values), 0, "ignore", 0, 0,
         empty_syms, "NULL or empty column: ignore (leave the attribute) or delete (remove it)"},
        {"suppressed", F_ENUM, OFF(retl_cfg_sync, suppressed), 0, "succeed", 0, 0,
         suppressed_syms,
         "suppressed people: succeed (ignore them, the run can complete) or fail (failed rows, "
         "last_sync_time does not move)"},
        {"segment", F_INT64, OFF(retl_cfg_sync, segment), 0, "0", 0, INT64_MAX, NULL,
         "people: manual segment id every imported person is added to (0 = none)"},
        {"query", F_STR, OFF(retl_cfg_sync, query), 1, NULL, 0, 0, NULL,
         "SELECT of the people or objects; {{last_sync_time}} = Unix time of the last completed "
         "run's start"},
        {"relationship_query", F_STR, OFF(retl_cfg_sync, relationship_query), 0, NULL, 0, 0,
         NULL, "optional SELECT of relationships: object_id [, object_type_id], id or email "
         "[, deleted] [, attributes]"},
        {"relationship_identify_by", F_ENUM, OFF(retl_cfg_sync, relationship_identify_by), 0,
         "id", 0, 0, ident_syms, "how the relationship query identifies people: id or email"},
        {"paused", F_BOOL, OFF(retl_cfg_sync, paused), 0, "false", 0, 0, NULL,
         "true = skip runs, keep everything (last_sync_time included)"},
};

#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))

struct section {
        const char *name;
        const struct field *fields;
        size_t nfields;
        size_t size;
        int is_list;
        const char *doc;
};

static const struct section sections[] = {
        {"", top_fields, NFIELDS(top_fields), 0, 0, "top level"},
        {"kafka", kafka_fields, NFIELDS(kafka_fields), 0, 0,
         "the Kafka cluster; kafka.properties = { name_with_underscores = \"value\"; } passes "
         "librdkafka properties verbatim ('_' becomes '.'), NAME_env / NAME_file for secrets"},
        {"metrics", metrics_fields, NFIELDS(metrics_fields), 0, 0, "metrics and health"},
        {"workspaces", workspace_fields, NFIELDS(workspace_fields),
         sizeof(struct retl_cfg_workspace), 1, "Customer.io workspaces, a list of groups"},
        {"databases", database_fields, NFIELDS(database_fields), sizeof(struct retl_cfg_database),
         1, "source databases, a list of groups"},
        {"syncs", sync_fields, NFIELDS(sync_fields), sizeof(struct retl_cfg_sync), 1,
         "syncs, a list of groups"},
};

/* ------------------------------------------------------------------ */
/* Enum names                                                          */
/* ------------------------------------------------------------------ */

const char *retl_import_name(enum retl_import v) { return import_syms[v & 1]; }
const char *retl_ident_name(enum retl_ident v) { return ident_syms[v & 1]; }
const char *retl_people_mode_name(enum retl_people_mode v) { return people_syms[v & 1]; }
const char *retl_empty_name(enum retl_empty v) { return empty_syms[v & 1]; }
const char *retl_suppressed_name(enum retl_suppressed v) { return suppressed_syms[v & 1]; }
const char *retl_encryption_name(enum retl_encryption v)
{
        return (unsigned)v < 3 ? encryption_syms[v] : "?";
}

/* ------------------------------------------------------------------ */
/* Durations and times                                                 */
/* ------------------------------------------------------------------ */

int retl_cfg_parse_duration(const char *s, int64_t *seconds)
{
        char *end;
        long long n;
        int64_t mul = 1;

        if (!s || !isdigit((unsigned char)*s))
                return -1;
        errno = 0;
        n = strtoll(s, &end, 10);
        if (errno || n < 0)
                return -1;
        if (*end) {
                switch (*end) {
                case 's': mul = 1; break;
                case 'm': mul = 60; break;
                case 'h': mul = 3600; break;
                case 'd': mul = 86400; break;
                default: return -1;
                }
                if (end[1])
                        return -1;
        }
        if (n > INT64_MAX / mul)
                return -1;
        *seconds = (int64_t)n * mul;
        return 0;
}

static int parse_digits(const char **p, int n, int *out)
{
        int v = 0;
        for (int i = 0; i < n; i++) {
                if (!isdigit((unsigned char)(*p)[i]))
                        return -1;
                v = v * 10 + ((*p)[i] - '0');
        }
        *p += n;
        *out = v;
        return 0;
}

int retl_cfg_parse_time(const char *s, int64_t *unix_seconds)
{
        struct tm tm;
        int y, mo, d, h = 0, mi = 0, sec = 0, off = 0;
        const char *p = s;

        if (!s)
                return -1;
        if (!strcmp(s, "now")) {
                *unix_seconds = (int64_t)time(NULL);
                return 0;
        }
        if (parse_digits(&p, 4, &y) || *p++ != '-' || parse_digits(&p, 2, &mo) || *p++ != '-' ||
            parse_digits(&p, 2, &d))
                return -1;
        if (*p == 'T' || *p == ' ') {
                p++;
                if (parse_digits(&p, 2, &h) || *p++ != ':' || parse_digits(&p, 2, &mi))
                        return -1;
                if (*p == ':') {
                        p++;
                        if (parse_digits(&p, 2, &sec))
                                return -1;
                }
        }
        if (*p == 'Z') {
                p++;
        } else if (*p == '+' || *p == '-') {
                int sign = *p == '-' ? -1 : 1, oh, om;
                p++;
                if (parse_digits(&p, 2, &oh))
                        return -1;
                if (*p == ':')
                        p++;
                if (parse_digits(&p, 2, &om))
                        return -1;
                off = sign * (oh * 3600 + om * 60);
        }
        if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
                return -1;
        memset(&tm, 0, sizeof(tm));
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = sec;
        *unix_seconds = (int64_t)timegm(&tm) - off;
        return 0;
}

/* ------------------------------------------------------------------ */
/* Loading                                                             */
/* ------------------------------------------------------------------ */

struct loader {
        const char *path;
        struct retl_buf errs;
        int nerrs;
        unsigned need;          /* RETL_CFG_SECRETS_* to read */
        unsigned section;       /* the secret class of the group being loaded */
        struct retl_cfg *cfg;   /* being loaded: records the secret files read */
};

static void __attribute__((format(printf, 4, 5)))
problem(struct loader *ld, int line, const char *where, const char *fmt, ...)
{
        char msg[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        ld->nerrs++;
        if (ld->nerrs > 50)
                return;
        if (retl_buf_len(&ld->errs) &&
            retl_buf_putc(&ld->errs, '\n'))
                return;
        if (retl_buf_printf(&ld->errs, "%s:%d: %s%s%s", ld->path, line, where,
                            *where ? ": " : "", msg))
                return;
}

static int valid_name(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > 100)
                return 0;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
                        return 0;
        return 1;
}

/* Notes @p path among the secret files read (each once), for the reload
 * check: a secret rotated in its file is a changed configuration. */
static void note_secret_file(struct retl_cfg *cfg, const char *path)
{
        for (size_t i = 0; i < cfg->nsecret_files; i++)
                if (!strcmp(cfg->secret_files[i], path))
                        return;
        cfg->secret_files = retl_realloc(cfg->secret_files,
                                         (cfg->nsecret_files + 1) * sizeof(char *));
        cfg->secret_files[cfg->nsecret_files++] = retl_strdup(path);
}

/* Reads a secret from the environment or a file; NULL with a problem noted. */
static char *read_secret(struct loader *ld, config_setting_t *st, const char *where,
                         int is_file)
{
        const char *ref = config_setting_get_string(st);
        int line = config_setting_source_line(st);

        if (!ref || !*ref) {
                problem(ld, line, where, "must be a non-empty string (%s)",
                        is_file ? "a file's path" : "an environment variable's name");
                return NULL;
        }
        if (!is_file) {
                const char *v = getenv(ref);
                if (!v) {
                        problem(ld, line, where, "environment variable '%s' is not set", ref);
                        return NULL;
                }
                if (!*v) {
                        problem(ld, line, where, "environment variable '%s' is empty", ref);
                        return NULL;
                }
                return retl_strdup(v);
        } else {
                FILE *f = fopen(ref, "rb");
                struct retl_buf b;
                char chunk[4096];
                size_t n;

                note_secret_file(ld->cfg, ref);
                if (!f) {
                        problem(ld, line, where, "cannot read secret file '%s': %s", ref,
                                strerror(errno));
                        return NULL;
                }
                retl_buf_init(&b, 1 << 20);
                while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
                        if (retl_buf_append(&b, chunk, n)) {
                                problem(ld, line, where, "secret file '%s' is over 1 MiB", ref);
                                fclose(f);
                                retl_buf_free(&b);
                                return NULL;
                        }
                }
                fclose(f);
                /* Files written by `echo` or editors end with a newline; a
                 * Kubernetes Secret mounted as a file may too. */
                while (retl_buf_len(&b) && (b.b_data[b.b_len - 1] == '\n' ||
                                            b.b_data[b.b_len - 1] == '\r'))
                        retl_buf_truncate(&b, b.b_len - 1);
                if (!retl_buf_len(&b)) {
                        problem(ld, line, where, "secret file '%s' is empty", ref);
                        retl_buf_free(&b);
                        return NULL;
                }
                return retl_buf_take(&b, NULL);
        }
}

static const char *type_word(enum ftype t)
{
        switch (t) {
        case F_INT: case F_INT64: return "an integer";
        case F_BOOL: return "true or false";
        default: return "a string";
        }
}

/* The line a group starts on: libconfig gives a group the line where it
 * ends, so take its first member's. */
static int group_line(config_setting_t *grp)
{
        config_setting_t *first;
        if (!grp)
                return 0;
        first = config_setting_length(grp) > 0 ? config_setting_get_elem(grp, 0) : NULL;
        return (int)config_setting_source_line(first ? first : grp);
}

/* Loads the fields of one group into @p obj. */
static void load_group(struct loader *ld, config_setting_t *grp, const char *gname,
                       const struct field *fields, size_t nfields, void *obj,
                       int check_unknown)
{
        char where[256];
        int gline = group_line(grp);

        /* Unknown settings are errors: a typo must not silently become a default. */
        for (int i = 0; check_unknown && grp && i < config_setting_length(grp); i++) {
                config_setting_t *st = config_setting_get_elem(grp, (unsigned)i);
                const char *n = config_setting_name(st);
                int known = 0;
                if (!n)
                        continue;
                for (size_t f = 0; f < nfields && !known; f++) {
                        size_t fl = strlen(fields[f].name);
                        if (!strcmp(n, fields[f].name))
                                known = 1;
                        else if (fields[f].type == F_SECRET && !strncmp(n, fields[f].name, fl) &&
                                 (!strcmp(n + fl, "_env") || !strcmp(n + fl, "_file")))
                                known = 1;
                }
                if (!strcmp(gname, "kafka") && !strcmp(n, "properties"))
                        known = 1;
                if (!known) {
                        snprintf(where, sizeof(where), "%s%s%s", gname, *gname ? "." : "", n);
                        problem(ld, config_setting_source_line(st), where, "unknown setting");
                }
        }

        for (size_t f = 0; f < nfields; f++) {
                const struct field *fd = &fields[f];
                void *dst = (char *)obj + fd->off;
                config_setting_t *st = grp ? config_setting_get_member(grp, fd->name) : NULL;
                int line = st ? (int)config_setting_source_line(st) : gline;
                char val[64];
                const char *sval = NULL;
                long long ival = 0;

                snprintf(where, sizeof(where), "%s%s%s", gname, *gname ? "." : "", fd->name);

                if (fd->type == F_SECRET) {
                        char n_env[128], n_file[128];
                        config_setting_t *se, *sf;
                        snprintf(n_env, sizeof(n_env), "%s_env", fd->name);
                        snprintf(n_file, sizeof(n_file), "%s_file", fd->name);
                        se = grp ? config_setting_get_member(grp, n_env) : NULL;
                        sf = grp ? config_setting_get_member(grp, n_file) : NULL;
                        if (st) {
                                problem(ld, line, where,
                                        "secrets are never written in the file: use %s = "
                                        "\"VARIABLE\" or %s = \"/path\"",
                                        n_env, n_file);
                        } else if (se && sf) {
                                problem(ld, config_setting_source_line(se), where,
                                        "give %s or %s, not both", n_env, n_file);
                        } else if (se || sf) {
                                snprintf(where, sizeof(where), "%s%s%s", gname,
                                         *gname ? "." : "", se ? n_env : n_file);
                                if (config_setting_type(se ? se : sf) != CONFIG_TYPE_STRING)
                                        problem(ld, config_setting_source_line(se ? se : sf),
                                                where, "must be a string");
                                else {
                                        *SECRET_REF(dst) = retl_asprintf(
                                                "%s = \"%s\"", se ? n_env : n_file,
                                                config_setting_get_string(se ? se : sf));
                                        if (ld->need & ld->section)
                                                *(char **)dst = read_secret(
                                                        ld, se ? se : sf, where, sf != NULL);
                                }
                        } else if (fd->required) {
                                problem(ld, gline, where, "missing (set %s or %s)", n_env,
                                        n_file);
                        }
                        continue;
                }

                if (!st) {
                        if (!fd->def) {
                                if (fd->required)
                                        problem(ld, gline, where, "missing required setting");
                                continue;
                        }
                        sval = fd->def;
                } else {
                        int t = config_setting_type(st);
                        switch (fd->type) {
                        case F_INT: case F_INT64:
                                if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
                                        problem(ld, line, where, "must be %s",
                                                type_word(fd->type));
                                        continue;
                                }
                                ival = config_setting_get_int64(st);
                                snprintf(val, sizeof(val), "%lld", ival);
                                sval = val;
                                break;
                        case F_BOOL:
                                if (t != CONFIG_TYPE_BOOL) {
                                        problem(ld, line, where, "must be true or false");
                                        continue;
                                }
                                sval = config_setting_get_bool(st) ? "true" : "false";
                                break;
                        case F_DURATION:
                                if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) {
                                        snprintf(val, sizeof(val), "%lld",
                                                 config_setting_get_int64(st));
                                        sval = val;
                                        break;
                                }
                                /* fallthrough */
                        default:
                                if (t != CONFIG_TYPE_STRING) {
                                        problem(ld, line, where, "must be a string");
                                        continue;
                                }
                                sval = config_setting_get_string(st);
                        }
                }

                switch (fd->type) {
                case F_STR:
                case F_NAME:
                        if (fd->type == F_NAME && !valid_name(sval)) {
                                problem(ld, line, where,
                                        "bad name '%s' (1 to 100 of A-Z a-z 0-9 . _ -)", sval);
                                continue;
                        }
                        if (fd->syms) {
                                int ok = 0;
                                for (int k = 0; fd->syms[k]; k++)
                                        ok |= !strcmp(fd->syms[k], sval);
                                if (!ok) {
                                        problem(ld, line, where, "bad value '%s'", sval);
                                        continue;
                                }
                        }
                        if (st && !*sval && fd->required) {
                                problem(ld, line, where, "must not be empty");
                                continue;
                        }
                        *(char **)dst = retl_strdup(sval);
                        break;
                case F_ENUM: {
                        int k, found = -1;
                        for (k = 0; fd->syms[k]; k++)
                                if (!strcmp(fd->syms[k], sval))
                                        found = k;
                        if (found < 0) {
                                struct retl_buf alts;
                                retl_buf_init(&alts, 512);
                                for (k = 0; fd->syms[k]; k++)
                                        if (retl_buf_printf(&alts, "%s%s", k ? ", " : "",
                                                            fd->syms[k]))
                                                break;
                                problem(ld, line, where, "bad value '%s' (expected one of: %s)",
                                        sval, retl_buf_str(&alts));
                                retl_buf_free(&alts);
                                continue;
                        }
                        *(int *)dst = found;
                        break;
                }
                case F_BOOL:
                        *(int *)dst = !strcmp(sval, "true");
                        break;
                case F_INT:
                case F_INT64: {
                        char *end;
                        long long v = strtoll(sval, &end, 10);
                        if (v < fd->min || v > fd->max) {
                                problem(ld, line, where, "%lld is out of range (%lld to %lld)", v,
                                        (long long)fd->min, (long long)fd->max);
                                continue;
                        }
                        if (fd->type == F_INT)
                                *(int *)dst = (int)v;
                        else
                                *(int64_t *)dst = v;
                        break;
                }
                case F_DURATION: {
                        int64_t s;
                        if (retl_cfg_parse_duration(sval, &s) || s < fd->min || s > fd->max) {
                                problem(ld, line, where,
                                        "bad duration '%s' (a number with s, m, h or d, e.g. "
                                        "\"15m\"; at least 1s, at most 366d)",
                                        sval);
                                continue;
                        }
                        *(int64_t *)dst = s;
                        break;
                }
                case F_TIME: {
                        int64_t t;
                        if (retl_cfg_parse_time(sval, &t)) {
                                problem(ld, line, where,
                                        "bad time '%s' (e.g. \"2024-05-01T12:30:00Z\", "
                                        "\"2024-05-01 12:30\" or \"now\")",
                                        sval);
                                continue;
                        }
                        *(int64_t *)dst = t;
                        break;
                }
                case F_SECRET:
                        break;
                }
        }
}

static void free_group(const struct field *fields, size_t nfields, void *obj)
{
        for (size_t f = 0; f < nfields; f++) {
                const struct field *fd = &fields[f];
                if (fd->type == F_SECRET) {
                        char **r = SECRET_REF((char *)obj + fd->off);
                        free(*r);
                        *r = NULL;
                }
                if (fd->type == F_STR || fd->type == F_NAME || fd->type == F_SECRET) {
                        char **p = (char **)((char *)obj + fd->off);
                        if (fd->type == F_SECRET && *p)
                                memset(*p, 0, strlen(*p)); /* don't leave keys in freed memory */
                        free(*p);
                        *p = NULL;
                }
        }
}

static void load_kafka_properties(struct loader *ld, config_setting_t *props,
                                  struct retl_cfg_kafka *k)
{
        int n = props ? config_setting_length(props) : 0;

        if (props && !config_setting_is_group(props)) {
                problem(ld, config_setting_source_line(props), "kafka.properties",
                        "must be a group: properties = { security_protocol = \"SSL\"; }");
                return;
        }
        k->props = retl_calloc((size_t)n * 2 + 1, sizeof(char *));
        k->secret_names = retl_calloc((size_t)n + 1, sizeof(char *));
        k->secret_refs = retl_calloc((size_t)n + 1, sizeof(char *));
        for (int i = 0; i < n; i++) {
                config_setting_t *st = config_setting_get_elem(props, (unsigned)i);
                const char *raw = config_setting_name(st);
                char where[256], name[200];
                size_t len = strlen(raw);
                int is_env = len > 4 && !strcmp(raw + len - 4, "_env");
                int is_file = len > 5 && !strcmp(raw + len - 5, "_file");
                char *value = NULL;

                snprintf(where, sizeof(where), "kafka.properties.%s", raw);
                if (is_env)
                        len -= 4;
                else if (is_file)
                        len -= 5;
                if (len >= sizeof(name))
                        len = sizeof(name) - 1;
                for (size_t j = 0; j < len; j++)
                        name[j] = raw[j] == '_' ? '.' : raw[j];
                name[len] = '\0';

                if (is_env || is_file) {
                        if (config_setting_type(st) != CONFIG_TYPE_STRING) {
                                problem(ld, config_setting_source_line(st), where,
                                        "must be a string");
                                continue;
                        }
                        k->secret_refs[k->nsecret_refs++] =
                                retl_asprintf("%s = \"%s\"", raw, config_setting_get_string(st));
                        if (!(ld->need & RETL_CFG_SECRETS_KAFKA))
                                continue;
                        value = read_secret(ld, st, where, is_file);
                        if (!value)
                                continue;
                        k->secret_names[k->nsecret_props++] = retl_strdup(name);
                } else {
                        char buf[64];
                        switch (config_setting_type(st)) {
                        case CONFIG_TYPE_STRING:
                                value = retl_strdup(config_setting_get_string(st));
                                break;
                        case CONFIG_TYPE_INT:
                        case CONFIG_TYPE_INT64:
                                snprintf(buf, sizeof(buf), "%lld", config_setting_get_int64(st));
                                value = retl_strdup(buf);
                                break;
                        case CONFIG_TYPE_BOOL:
                                value = retl_strdup(config_setting_get_bool(st) ? "true" : "false");
                                break;
                        default:
                                problem(ld, config_setting_source_line(st), where,
                                        "must be a string, an integer or a boolean");
                                continue;
                        }
                        /* A password written in the file is a secret in the wrong place. */
                        if (strstr(name, "password") || strstr(name, "secret") ||
                            strstr(name, "key.pem") || strstr(name, "keystore")) {
                                problem(ld, config_setting_source_line(st), where,
                                        "secrets are never written in the file: use %s_env or "
                                        "%s_file", raw, raw);
                                free(value);
                                continue;
                        }
                }
                k->props[k->nprops * 2] = retl_strdup(name);
                k->props[k->nprops * 2 + 1] = value;
                k->nprops++;
        }
}

static void *load_list(struct loader *ld, config_t *lc, const struct section *sec, size_t *np)
{
        config_setting_t *list = config_lookup(lc, sec->name);
        char *arr;
        int n;

        *np = 0;
        if (!list)
                return NULL;
        if (!config_setting_is_list(list) && !config_setting_is_array(list)) {
                problem(ld, config_setting_source_line(list), sec->name,
                        "must be a list of groups: %s = ( { ... }, { ... } );", sec->name);
                return NULL;
        }
        n = config_setting_length(list);
        arr = retl_calloc((size_t)n + 1, sec->size);
        for (int i = 0; i < n; i++) {
                config_setting_t *grp = config_setting_get_elem(list, (unsigned)i);
                char gname[160];
                config_setting_t *nm;
                void *obj = arr + (size_t)i * sec->size;

                nm = config_setting_is_group(grp) ? config_setting_get_member(grp, "name") : NULL;
                if (nm && config_setting_type(nm) == CONFIG_TYPE_STRING)
                        snprintf(gname, sizeof(gname), "%s[%d] '%s'", sec->name, i,
                                 config_setting_get_string(nm));
                else
                        snprintf(gname, sizeof(gname), "%s[%d]", sec->name, i);
                if (!config_setting_is_group(grp)) {
                        problem(ld, config_setting_source_line(grp), gname, "must be a group { }");
                        continue;
                }
                load_group(ld, grp, gname, sec->fields, sec->nfields, obj, 1);
                /* every list element records its line for later messages */
                if (sec->fields == workspace_fields)
                        ((struct retl_cfg_workspace *)obj)->line = group_line(grp);
                else if (sec->fields == database_fields)
                        ((struct retl_cfg_database *)obj)->line = group_line(grp);
                else
                        ((struct retl_cfg_sync *)obj)->line = group_line(grp);
        }
        *np = (size_t)n;
        return arr;
}

/* Cross-setting checks, once everything is loaded. */
static void finalize(struct loader *ld, struct retl_cfg *cfg)
{
        char where[160];

        for (size_t i = 0; i < cfg->nworkspaces; i++) {
                struct retl_cfg_workspace *w = &cfg->workspaces[i];
                snprintf(where, sizeof(where), "workspaces[%zu] '%s'", i, w->name ? w->name : "");
                for (size_t j = 0; j < i; j++)
                        if (w->name && cfg->workspaces[j].name &&
                            !strcmp(w->name, cfg->workspaces[j].name))
                                problem(ld, w->line, where, "name used twice (also line %d)",
                                        cfg->workspaces[j].line);
                if (w->api_url && w->region) {
                        problem(ld, w->line, where, "give region or api_url, not both");
                } else if (w->api_url) {
                        size_t n = strlen(w->api_url);
                        if (strncmp(w->api_url, "http://", 7) && strncmp(w->api_url, "https://", 8))
                                problem(ld, w->line, where,
                                        "api_url '%s' must start with http:// or https://",
                                        w->api_url);
                        while (n > 0 && w->api_url[n - 1] == '/')
                                w->api_url[--n] = '\0';
                } else {
                        if (!w->region)
                                w->region = retl_strdup("us");
                        w->api_url = retl_strdup(!strcmp(w->region, "eu")
                                                         ? "https://track-eu.customer.io"
                                                         : "https://track.customer.io");
                }
        }
        for (size_t i = 0; i < cfg->ndatabases; i++) {
                struct retl_cfg_database *d = &cfg->databases[i];
                snprintf(where, sizeof(where), "databases[%zu] '%s'", i, d->name ? d->name : "");
                for (size_t j = 0; j < i; j++)
                        if (d->name && cfg->databases[j].name &&
                            !strcmp(d->name, cfg->databases[j].name))
                                problem(ld, d->line, where, "name used twice (also line %d)",
                                        cfg->databases[j].line);
                if (d->trust_server_certificate && d->ca_file && strcmp(d->ca_file, "system"))
                        problem(ld, d->line, where,
                                "ca_file and trust_server_certificate = true contradict each "
                                "other: drop one");
                if (d->instance)
                        d->port = 0;
                else if (d->port == 0)
                        problem(ld, d->line, where, "port must be 1 to 65535 (or set instance)");
        }
        for (size_t i = 0; i < cfg->nsyncs; i++) {
                struct retl_cfg_sync *s = &cfg->syncs[i];
                snprintf(where, sizeof(where), "syncs[%zu] '%s'", i, s->name ? s->name : "");
                for (size_t j = 0; j < i; j++)
                        if (s->name && cfg->syncs[j].name && !strcmp(s->name, cfg->syncs[j].name))
                                problem(ld, s->line, where, "name used twice (also line %d)",
                                        cfg->syncs[j].line);
                if (s->workspace && !(s->ws = retl_cfg_workspace_find(cfg, s->workspace)))
                        problem(ld, s->line, where, "workspace '%s' is not in workspaces",
                                s->workspace);
                if (s->database && !(s->db = retl_cfg_database_find(cfg, s->database)))
                        problem(ld, s->line, where, "database '%s' is not in databases",
                                s->database);
                if (s->import == RETL_IMPORT_OBJECTS && s->segment)
                        problem(ld, s->line, where, "segment is for people syncs only");
                if (s->object_type_id) {
                        const char *p = s->object_type_id;
                        int ok = *p != '\0';
                        for (; *p; p++)
                                ok &= isdigit((unsigned char)*p) != 0;
                        if (!ok)
                                problem(ld, s->line, where,
                                        "object_type_id '%s' must be a number, e.g. \"1\"",
                                        s->object_type_id);
                }
                if (s->relationship_query && !*s->relationship_query) {
                        free(s->relationship_query);
                        s->relationship_query = NULL;
                }
        }
        if (cfg->kafka.topic_prefix && !valid_name(cfg->kafka.topic_prefix))
                problem(ld, 0, "kafka.topic_prefix", "'%s' has characters Kafka topics can't hold",
                        cfg->kafka.topic_prefix);
}

int retl_cfg_load(const char *path, struct retl_cfg **cfgp, char *errstr, size_t errstr_size)
{
        return retl_cfg_load_secrets(path, RETL_CFG_SECRETS_ALL, cfgp, errstr, errstr_size);
}

int retl_cfg_load_secrets(const char *path, unsigned need, struct retl_cfg **cfgp, char *errstr,
                          size_t errstr_size)
{
        struct loader ld = {.path = path, .nerrs = 0, .need = need};
        struct retl_cfg *cfg;
        config_t lc;
        config_setting_t *grp;

        *cfgp = NULL;
        config_init(&lc);
        if (!config_read_file(&lc, path)) {
                if (config_error_type(&lc) == CONFIG_ERR_FILE_IO)
                        snprintf(errstr, errstr_size, "%s: cannot read: %s", path,
                                 strerror(errno));
                else
                        snprintf(errstr, errstr_size, "%s:%d: syntax error: %s",
                                 config_error_file(&lc) ? config_error_file(&lc) : path,
                                 config_error_line(&lc), config_error_text(&lc));
                config_destroy(&lc);
                return -1;
        }
        retl_buf_init(&ld.errs, 64 * 1024);
        cfg = retl_calloc(1, sizeof(*cfg));
        cfg->path = retl_strdup(path);
        ld.cfg = cfg;

        load_group(&ld, config_root_setting(&lc), "", top_fields, NFIELDS(top_fields), cfg, 0);
        for (int i = 0; i < config_setting_length(config_root_setting(&lc)); i++) {
                config_setting_t *st = config_setting_get_elem(config_root_setting(&lc),
                                                               (unsigned)i);
                const char *n = config_setting_name(st);
                int known = !strcmp(n, "log_level");
                for (size_t s = 1; s < NFIELDS(sections); s++)
                        known |= !strcmp(n, sections[s].name);
                if (!known)
                        problem(&ld, config_setting_source_line(st), n, "unknown setting");
        }

        grp = config_lookup(&lc, "kafka");
        if (!grp)
                problem(&ld, 1, "kafka", "missing required group kafka = { brokers = \"...\"; }");
        else if (!config_setting_is_group(grp))
                problem(&ld, config_setting_source_line(grp), "kafka", "must be a group { }");
        else {
                ld.section = RETL_CFG_SECRETS_KAFKA;
                load_group(&ld, grp, "kafka", kafka_fields, NFIELDS(kafka_fields), &cfg->kafka, 1);
                load_kafka_properties(&ld, config_setting_get_member(grp, "properties"),
                                      &cfg->kafka);
        }
        grp = config_lookup(&lc, "metrics");
        if (grp && !config_setting_is_group(grp))
                problem(&ld, config_setting_source_line(grp), "metrics", "must be a group { }");
        else
                load_group(&ld, grp, "metrics", metrics_fields, NFIELDS(metrics_fields),
                           &cfg->metrics, 1);
        if (!cfg->kafka.props)
                cfg->kafka.props = retl_calloc(1, sizeof(char *));

        ld.section = RETL_CFG_SECRETS_WORKSPACES;
        cfg->workspaces = load_list(&ld, &lc, &sections[3], &cfg->nworkspaces);
        ld.section = RETL_CFG_SECRETS_DATABASES;
        cfg->databases = load_list(&ld, &lc, &sections[4], &cfg->ndatabases);
        ld.section = 0;
        cfg->syncs = load_list(&ld, &lc, &sections[5], &cfg->nsyncs);
        finalize(&ld, cfg);
        config_destroy(&lc);

        if (ld.nerrs) {
                if (ld.nerrs > 50)
                        if (retl_buf_printf(&ld.errs, "\n(%d more problems)", ld.nerrs - 50))
                                ld.nerrs = 0; /* the list is already cut; say nothing more */
                snprintf(errstr, errstr_size, "%s", retl_buf_str(&ld.errs));
                retl_buf_free(&ld.errs);
                retl_cfg_destroy(cfg);
                return -1;
        }
        retl_buf_free(&ld.errs);
        *cfgp = cfg;
        return 0;
}

void retl_cfg_destroy(struct retl_cfg *cfg)
{
        if (!cfg)
                return;
        free_group(top_fields, NFIELDS(top_fields), cfg);
        free_group(kafka_fields, NFIELDS(kafka_fields), &cfg->kafka);
        free_group(metrics_fields, NFIELDS(metrics_fields), &cfg->metrics);
        for (size_t i = 0; cfg->kafka.props && cfg->kafka.props[i * 2]; i++) {
                free(cfg->kafka.props[i * 2]);
                if (cfg->kafka.props[i * 2 + 1])
                        memset(cfg->kafka.props[i * 2 + 1], 0, strlen(cfg->kafka.props[i * 2 + 1]));
                free(cfg->kafka.props[i * 2 + 1]);
        }
        free(cfg->kafka.props);
        for (size_t i = 0; cfg->kafka.secret_names && cfg->kafka.secret_names[i]; i++)
                free(cfg->kafka.secret_names[i]);
        free(cfg->kafka.secret_names);
        for (size_t i = 0; i < cfg->kafka.nsecret_refs; i++)
                free(cfg->kafka.secret_refs[i]);
        free(cfg->kafka.secret_refs);
        for (size_t i = 0; i < cfg->nsecret_files; i++)
                free(cfg->secret_files[i]);
        free(cfg->secret_files);
        for (size_t i = 0; i < cfg->nworkspaces; i++)
                free_group(workspace_fields, NFIELDS(workspace_fields), &cfg->workspaces[i]);
        for (size_t i = 0; i < cfg->ndatabases; i++)
                free_group(database_fields, NFIELDS(database_fields), &cfg->databases[i]);
        for (size_t i = 0; i < cfg->nsyncs; i++)
                free_group(sync_fields, NFIELDS(sync_fields), &cfg->syncs[i]);
        free(cfg->workspaces);
        free(cfg->databases);
        free(cfg->syncs);
        free(cfg->path);
        free(cfg);
}

const struct retl_cfg_sync *retl_cfg_sync_find(const struct retl_cfg *cfg, const char *name)
{
        for (size_t i = 0; i < cfg->nsyncs; i++)
                if (cfg->syncs[i].name && !strcmp(cfg->syncs[i].name, name))
                        return &cfg->syncs[i];
        return NULL;
}

const struct retl_cfg_workspace *retl_cfg_workspace_find(const struct retl_cfg *cfg,
                                                         const char *name)
{
        for (size_t i = 0; i < cfg->nworkspaces; i++)
                if (cfg->workspaces[i].name && !strcmp(cfg->workspaces[i].name, name))
                        return &cfg->workspaces[i];
        return NULL;
}

const struct retl_cfg_database *retl_cfg_database_find(const struct retl_cfg *cfg,
                                                       const char *name)
{
        for (size_t i = 0; i < cfg->ndatabases; i++)
                if (cfg->databases[i].name && !strcmp(cfg->databases[i].name, name))
                        return &cfg->databases[i];
        return NULL;
}

int retl_cfg_kafka_same(const struct retl_cfg_kafka *a, const struct retl_cfg_kafka *b)
{
        int same = !strcmp(a->brokers, b->brokers) && !strcmp(a->group, b->group) &&
                   !strcmp(a->topic_prefix, b->topic_prefix) &&
                   !strcmp(a->imports_topic, b->imports_topic) &&
                   !strcmp(a->failures_topic, b->failures_topic) && a->nprops == b->nprops;
        for (size_t i = 0; same && i < 2 * a->nprops; i++)
                same = !strcmp(a->props[i], b->props[i]);
        return same;
}

char *retl_cfg_workspace_topic(const struct retl_cfg *cfg, const char *workspace)
{
        return retl_asprintf("%s%s", cfg->kafka.topic_prefix, workspace);
}

/* ------------------------------------------------------------------ */
/* Dump and reference                                                  */
/* ------------------------------------------------------------------ */

static void dump_string(FILE *out, const char *s)
{
        fputc('"', out);
        for (; *s; s++) {
                if (*s == '"' || *s == '\\')
                        fprintf(out, "\\%c", *s);
                else if (*s == '\n')
                        fputs("\\n", out);
                else
                        fputc(*s, out);
        }
        fputc('"', out);
}

static void dump_group(FILE *out, const struct field *fields, size_t nfields, const void *obj,
                       const char *indent)
{
        for (size_t f = 0; f < nfields; f++) {
                const struct field *fd = &fields[f];
                const void *src = (const char *)obj + fd->off;
                switch (fd->type) {
                case F_STR:
                case F_NAME:
                        if (!*(char *const *)src)
                                continue;
                        /* api_url derived from region is not written back */
                        if (fields == workspace_fields &&
                            fd->off == OFF(retl_cfg_workspace, api_url) &&
                            ((const struct retl_cfg_workspace *)obj)->region)
                                continue;
                        fprintf(out, "%s%s = ", indent, fd->name);
                        dump_string(out, *(char *const *)src);
                        fputs(";\n", out);
                        break;
                case F_SECRET: {
                        const char *ref = *SECRET_REF(src);
                        if (ref)
                                fprintf(out, "%s%s;   # secret, %s\n", indent, ref,
                                        *(char *const *)src ? "read" : "not read");
                        break;
                }
                case F_ENUM:
                        fprintf(out, "%s%s = \"%s\";\n", indent, fd->name,
                                fd->syms[*(const int *)src]);
                        break;
                case F_BOOL:
                        fprintf(out, "%s%s = %s;\n", indent, fd->name,
                                *(const int *)src ? "true" : "false");
                        break;
                case F_INT:
                        fprintf(out, "%s%s = %d;\n", indent, fd->name, *(const int *)src);
                        break;
                case F_INT64:
                        fprintf(out, "%s%s = %lldL;\n", indent, fd->name,
                                (long long)*(const int64_t *)src);
                        break;
                case F_DURATION:
                        fprintf(out, "%s%s = \"%llds\";\n", indent, fd->name,
                                (long long)*(const int64_t *)src);
                        break;
                case F_TIME: {
                        char tbuf[32];
                        time_t t = (time_t)*(const int64_t *)src;
                        struct tm tm;
                        if (!t)
                                continue;
                        gmtime_r(&t, &tm);
                        strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%SZ", &tm);
                        fprintf(out, "%s%s = \"%s\";\n", indent, fd->name, tbuf);
                        break;
                }
                }
        }
}

void retl_cfg_dump(const struct retl_cfg *cfg, FILE *out)
{
        fprintf(out, "# %s, as retl reads it, defaults filled in (secrets by reference)\n", cfg->path);
        dump_group(out, top_fields, NFIELDS(top_fields), cfg, "");
        fputs("kafka = {\n", out);
        dump_group(out, kafka_fields, NFIELDS(kafka_fields), &cfg->kafka, "  ");
        fputs("  properties = {\n", out);
        for (size_t i = 0; i < cfg->kafka.nprops; i++) {
                int secret = 0;
                for (size_t j = 0; j < cfg->kafka.nsecret_props; j++)
                        secret |= !strcmp(cfg->kafka.secret_names[j], cfg->kafka.props[i * 2]);
                if (secret)
                        continue; /* shown by reference below */
                fputs("    ", out);
                for (const char *c = cfg->kafka.props[i * 2]; *c; c++)
                        fputc(*c == '.' ? '_' : *c, out);
                fputs(" = ", out);
                dump_string(out, cfg->kafka.props[i * 2 + 1]);
                fputs(";\n", out);
        }
        for (size_t i = 0; i < cfg->kafka.nsecret_refs; i++)
                fprintf(out, "    %s;   # secret\n", cfg->kafka.secret_refs[i]);
        fputs("  };\n};\n", out);
        if (cfg->metrics.listen) {
                fputs("metrics = {\n", out);
                dump_group(out, metrics_fields, NFIELDS(metrics_fields), &cfg->metrics, "  ");
                fputs("};\n", out);
        }
        for (size_t s = 3; s < NFIELDS(sections); s++) {
                const struct section *sec = &sections[s];
                size_t n = s == 3 ? cfg->nworkspaces : s == 4 ? cfg->ndatabases : cfg->nsyncs;
                const char *base = s == 3   ? (const char *)cfg->workspaces
                                   : s == 4 ? (const char *)cfg->databases
                                            : (const char *)cfg->syncs;
                fprintf(out, "%s = (\n", sec->name);
                for (size_t i = 0; i < n; i++) {
                        fputs("  {\n", out);
                        dump_group(out, sec->fields, sec->nfields, base + i * sec->size, "    ");
                        fprintf(out, "  }%s\n", i + 1 < n ? "," : "");
                }
                fputs(");\n", out);
        }
}

static const char *type_name(enum ftype t)
{
        switch (t) {
        case F_STR: return "string";
        case F_NAME: return "name";
        case F_INT: return "integer";
        case F_INT64: return "integer (64-bit: write 123L)";
        case F_BOOL: return "boolean";
        case F_ENUM: return "string (one of)";
        case F_SECRET: return "secret (X_env or X_file)";
        case F_DURATION: return "duration";
        case F_TIME: return "time";
        }
        return "?";
}

void retl_cfg_reference(FILE *out)
{
        for (size_t s = 0; s < NFIELDS(sections); s++) {
                const struct section *sec = &sections[s];
                fprintf(out, "\n[%s] %s\n", *sec->name ? sec->name : "(top)", sec->doc);
                for (size_t f = 0; f < sec->nfields; f++) {
                        const struct field *fd = &sec->fields[f];
                        fprintf(out, "  %-25s %s%s", fd->name, type_name(fd->type),
                                fd->required ? ", required" : "");
                        if (fd->def)
                                fprintf(out, ", default %s", fd->def);
                        if (fd->syms) {
                                fputs(": ", out);
                                for (int k = 0; fd->syms[k]; k++)
                                        fprintf(out, "%s%s", k ? " | " : "", fd->syms[k]);
                        }
                        fprintf(out, "\n  %-25s %s\n", "", fd->doc);
                }
        }
}
