/* retl — the settings table: every configuration setting described once, see cfg_table.h. */
#include "cfg_table.h"

#include <stddef.h>

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

static const struct retl_cfg_field top_fields[] = {
        {"log_level", F_STR, OFF(retl_cfg, log_level), 0, "info", 0, 0, level_syms,
         "error, warn, info or debug"},
};

static const struct retl_cfg_field kafka_fields[] = {
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
        {"state_topic_prefix", F_STR, OFF(retl_cfg_kafka, state_topic_prefix), 0, "retl.state.",
         0, 0, NULL, "a workspace's row-state topic (compacted) is this prefix + the "
         "workspace's name; must not overlap topic_prefix"},
        {"replication_factor", F_INT, OFF(retl_cfg_kafka, replication_factor), 0, "3", 1, 32,
         NULL, "replication factor of topics retl creates"},
        {"retention_ms", F_INT64, OFF(retl_cfg_kafka, retention_ms), 0, "604800000", -1,
         INT64_MAX, NULL,
         "retention of topics retl creates (-1 = forever): the window for `retl replay`"},
        {"timeout", F_DURATION, OFF(retl_cfg_kafka, timeout_s), 0, "10s", 1, 366 * 86400,
         NULL, "how long a command waits for Kafka to answer (brokers, metadata, offsets) "
         "before it fails"},
};

static const struct retl_cfg_field metrics_fields[] = {
        {"listen", F_STR, OFF(retl_cfg_metrics, listen), 0, NULL, 0, 0, NULL,
         "host:port for /metrics, /healthz and /readyz; unset = off"},
};

static const struct retl_cfg_field workspace_fields[] = {
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
        {"app_api_url", F_STR, OFF(retl_cfg_workspace, app_api_url), 0, NULL, 0, 0, NULL,
         "App API base URL; default by region (api.customer.io or api-eu.customer.io), or "
         "api_url when that is given instead of region (a `retl sandbox` serves both)"},
        {"app_api_key", F_SECRET, OFF(retl_cfg_workspace, app_api_key), 0, NULL, 0, 0, NULL,
         "the App API key (Bearer), needed by syncs with segment_name: app_api_key_env "
         "(variable) or app_api_key_file (path); read by the uploader only"},
        {"rate_limit", F_INT, OFF(retl_cfg_workspace, rate_limit), 0, "100", 1, 100000, NULL,
         "requests per second to this workspace (the API's fair-use limit is 100)"},
        {"max_in_flight", F_INT, OFF(retl_cfg_workspace, max_in_flight), 0, "4", 1, 64, NULL,
         "concurrent requests to this workspace"},
        {"timeout", F_INT, OFF(retl_cfg_workspace, timeout_s), 0, "30", 1, 600, NULL,
         "seconds before a request is abandoned and retried"},
};

static const struct retl_cfg_field database_fields[] = {
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

static const struct retl_cfg_field sync_fields[] = {
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
        {"segment_name", F_STR, OFF(retl_cfg_sync, segment_name), 0, NULL, 0, 0, NULL,
         "people: instead of segment, the name of a manual segment the uploader finds or "
         "creates (App API, the workspace's app_api_key) on the sync's first run"},
        {"segment_description", F_STR, OFF(retl_cfg_sync, segment_description), 0, NULL, 0,
         0, NULL, "with segment_name: the description of the segment when retl creates it"},
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
        {"diff", F_BOOL, OFF(retl_cfg_sync, diff), 0, "true", 0, 0, NULL,
         "true = rows the workspace already holds as they are (row state) are not sent again; "
         "false = every row is sent"},
        {"max_changes", F_INT64, OFF(retl_cfg_sync, max_changes), 0, "0", 0, INT64_MAX, NULL,
         "guardrail: a run that would add or change more identifiers than this is held until "
         "`retl approve` or `retl reject` (0 = no bound)"},
        {"max_changes_percent", F_INT, OFF(retl_cfg_sync, max_changes_percent), 0, "0", 0, 100,
         NULL, "guardrail: a run that would add or change more than this percentage of the "
         "identifiers the sync holds is held (0 = no bound; not applied while it holds none)"},
        {"mirror", F_BOOL, OFF(retl_cfg_sync, mirror), 0, "false", 0, 0, NULL,
         "true = each run reads the whole result (no {{last_sync_time}}) and deletes from the "
         "workspace what this sync delivered before and the result no longer holds"},
        {"max_deletes", F_INT64, OFF(retl_cfg_sync, max_deletes), 0, "0", 0, INT64_MAX, NULL,
         "mirror guardrail: a run that would delete more identifiers than this is held "
         "(0 = no absolute bound)"},
        {"max_deletes_percent", F_INT, OFF(retl_cfg_sync, max_deletes_percent), 0, "10", 1, 100,
         NULL, "mirror guardrail: a run that would delete more than this percentage of the "
         "identifiers the sync holds is held (100 = no bound)"},
};

#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))

const struct retl_cfg_section retl_cfg_sections[RETL_CFG_NSECTIONS] = {
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
