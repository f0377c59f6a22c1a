/* retl — configuration: one libconfig file, loaded and validated whole.
 *
 * Every setting is described once, in the table in cfg_table.c (name,
 * type, default, bounds, doc); loading, the checks and `retl config --dump`
 * walk that table. Secrets never stand in the file: a secret setting X is given
 * as X_env (an environment variable's name) or X_file (a file's path), read
 * at load time. The loaded object is immutable; a reload builds a new one and
 * swaps it in only when it is valid. */
#ifndef RETL_CFG_H
#define RETL_CFG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum retl_import { RETL_IMPORT_PEOPLE = 0, RETL_IMPORT_OBJECTS = 1 };
enum retl_ident { RETL_IDENT_ID = 0, RETL_IDENT_EMAIL = 1 };
enum retl_people_mode { RETL_PEOPLE_ADD_UPDATE = 0, RETL_PEOPLE_UPDATE = 1 };
enum retl_empty { RETL_EMPTY_IGNORE = 0, RETL_EMPTY_DELETE = 1 };
enum retl_suppressed { RETL_SUPPRESSED_SUCCEED = 0, RETL_SUPPRESSED_FAIL = 1 };
enum retl_encryption { RETL_ENCRYPT_OFF = 0, RETL_ENCRYPT_REQUEST = 1, RETL_ENCRYPT_REQUIRE = 2 };

/* Value types shown to callers; fields are filled by retl_cfg_load(). */
struct retl_cfg_kafka {
        char *brokers;
        char *topic_prefix;     /* workspace topic = prefix + workspace name */
        char *group;            /* the uploaders' consumer group */
        char *imports_topic;    /* import reports */
        char *failures_topic;   /* failed rows */
        char *state_topic_prefix;       /* row-state topic = prefix + workspace name */
        int replication_factor;
        int64_t retention_ms;   /* workspace topics: the replay window */
        int64_t timeout_s;      /* the longest wait for an answer: retl_kafka_timeout_ms() */
        /* librdkafka properties, passed verbatim: props[2*i] = name,
         * props[2*i+1] = value (secrets already read). */
        char **props;
        size_t nprops;
        size_t nsecret_props;   /* how many of props are secrets (for redaction) */
        char **secret_names;    /* names of the secret properties */
        char **secret_refs;     /* how the file names each secret property, read or
                                 * not: sasl_password_env = "VAR" */
        size_t nsecret_refs;
};

struct retl_cfg_workspace {
        char *name;
        char *region;           /* "us", "eu" or NULL when api_url is given */
        char *api_url;          /* base URL, e.g. https://track.customer.io */
        char *site_id;
        char *api_key;          /* secret */
        char *api_key_ref;      /* how the file names it: api_key_env = "VAR" */
        char *app_api_url;      /* App API base URL, e.g. https://api.customer.io */
        int app_api_url_derived;        /* from region or api_url, not written */
        char *app_api_key;      /* secret, NULL when not given or not read */
        char *app_api_key_ref;  /* app_api_key_env = "VAR", NULL when not given */
        int rate_limit;         /* requests per second */
        int max_in_flight;      /* concurrent requests */
        int timeout_s;          /* per request */
        int line;
};

struct retl_cfg_database {
        char *name;
        char *driver;           /* "mssql" */
        char *host;
        int port;               /* 0 when instance is given */
        char *instance;
        char *database;
        char *user;
        char *password;         /* secret */
        char *password_ref;     /* how the file names it: password_env = "VAR" */
        enum retl_encryption encryption;
        char *ca_file;          /* "system" unless the file names another bundle */
        int trust_server_certificate; /* encrypt without verifying */
        int login_timeout_s;
        int query_timeout_s;
        int64_t lock_timeout_s; /* SET LOCK_TIMEOUT, in seconds */
        int line;
};

struct retl_cfg_sync {
        char *name;
        char *workspace;
        char *database;
        enum retl_import import;
        enum retl_ident identify_by;
        enum retl_people_mode people_mode;
        char *object_type_id;   /* objects: used when the query has none */
        int64_t interval_s;
        int64_t overlap_s;      /* {{last_sync_time}} = last_sync_time - overlap_s (> 0) */
        int64_t start;          /* Unix seconds; first run not before (0 = at once) */
        enum retl_empty empty_values;
        enum retl_suppressed suppressed;
        int64_t segment;        /* manual segment id, 0 = none */
        char *segment_name;     /* manual segment found or created by name, NULL = none */
        char *segment_description;      /* given when it is created, NULL = none */
        char *query;
        char *relationship_query;       /* NULL = none */
        enum retl_ident relationship_identify_by;
        int paused;
        int diff;               /* skip rows the row state says are unchanged */
        int64_t max_changes;    /* guardrail: a run changing more identifiers is held (0 = none) */
        int max_changes_percent;        /* ... or more than this share of those it holds */
        int mirror;             /* the result is the whole truth: what it lacks is deleted */
        int64_t max_deletes;    /* guardrail on a mirror run's deletes (0 = none) */
        int max_deletes_percent;        /* ... as a share of what the sync holds */
        int line;
        int query_line;                 /* the lines of those settings, for messages */
        int relationship_query_line;
        /* resolved by retl_cfg_load */
        const struct retl_cfg_workspace *ws;
        const struct retl_cfg_database *db;
};

struct retl_cfg_metrics {
        char *listen;           /* "host:port" or NULL = off */
};

struct retl_cfg {
        char *path;
        char *log_level;
        struct retl_cfg_kafka kafka;
        struct retl_cfg_metrics metrics;
        struct retl_cfg_workspace *workspaces;
        size_t nworkspaces;
        struct retl_cfg_database *databases;
        size_t ndatabases;
        struct retl_cfg_sync *syncs;
        size_t nsyncs;
        /* paths of the secret files read (X_file settings of the secrets
         * loaded), each once, as written: retl_cfgwatch watches them */
        char **secret_files;
        size_t nsecret_files;
};

/* Which secrets a command reads: each daemon reads only its own, so a pod
 * needs only the credentials it uses. Unread secrets stay NULL. */
#define RETL_CFG_SECRETS_KAFKA      1u  /* kafka.properties *_env / *_file */
#define RETL_CFG_SECRETS_DATABASES  2u  /* databases[].password */
#define RETL_CFG_SECRETS_WORKSPACES 4u  /* workspaces[].api_key, app_api_key */
#define RETL_CFG_SECRETS_ALL        7u

/** @brief Loads, checks and resolves @p path, reading the secrets in
 *  @p need (RETL_CFG_SECRETS_*); the forms of the others are still checked.
 *  @returns as retl_cfg_load. */
int retl_cfg_load_secrets(const char *path, unsigned need, struct retl_cfg **cfgp, char *errstr,
                          size_t errstr_size) __attribute__((warn_unused_result));

/** @brief Loads, checks and resolves @p path, reading every secret.
 *  @returns 0 and a new object in *cfgp (free with retl_cfg_destroy), or -1
 *  with every problem found, one per line, each naming file, line and
 *  setting, in errstr. */
int retl_cfg_load(const char *path, struct retl_cfg **cfgp, char *errstr,
                  size_t errstr_size) __attribute__((warn_unused_result));
void retl_cfg_destroy(struct retl_cfg *cfg);

const struct retl_cfg_sync *retl_cfg_sync_find(const struct retl_cfg *cfg, const char *name);
const struct retl_cfg_workspace *retl_cfg_workspace_find(const struct retl_cfg *cfg,
                                                         const char *name);
const struct retl_cfg_database *retl_cfg_database_find(const struct retl_cfg *cfg,
                                                       const char *name);

/** @brief Whether two configurations connect to Kafka the same way (brokers,
 *  group, topics, properties): what a reload cannot change without a restart. */
int retl_cfg_kafka_same(const struct retl_cfg_kafka *a, const struct retl_cfg_kafka *b);

/** @brief The workspace's topic name: prefix + name; free() it. */
char *retl_cfg_workspace_topic(const struct retl_cfg *cfg, const char *workspace);

/** @brief The workspace's row-state topic: state prefix + name; free() it. */
char *retl_cfg_state_topic(const struct retl_cfg *cfg, const char *workspace);

/** @brief Writes the loaded configuration as libconfig text, secrets shown
 *  as "(secret)". */
void retl_cfg_dump(const struct retl_cfg *cfg, FILE *out);
/** @brief Writes the reference of every setting (name, type, default, doc). */
void retl_cfg_reference(FILE *out);

/** @brief Parses "90s", "15m", "1h", "2d": a number and its unit, which is
 *  required. @returns 0, or -1 for anything else. */
int retl_cfg_parse_duration(const char *s, int64_t *seconds);
/** @brief Parses "2024-05-01T12:00:00Z", "2024-05-01 12:00", "2024-05-01"
 *  (UTC unless an offset is given) or "now". @returns 0 or -1. */
int retl_cfg_parse_time(const char *s, int64_t *unix_seconds);

/* Names of enum values, for messages and records. */
const char *retl_import_name(enum retl_import v);
const char *retl_ident_name(enum retl_ident v);
const char *retl_people_mode_name(enum retl_people_mode v);
const char *retl_empty_name(enum retl_empty v);
const char *retl_suppressed_name(enum retl_suppressed v);
const char *retl_encryption_name(enum retl_encryption v);

#endif
