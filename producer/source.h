/* retl — source databases: the small interface every driver implements.
 *
 * A driver is a struct of function pointers (struct retl_source_driver), one
 * .c file each (source_mssql.c is the first). The rest of the extractor sees
 * only struct retl_source: connect, run one query that streams rows with
 * their column metadata, cancel, close. Values arrive already in their Avro
 * form (struct retl_value, see lib/records.h), so adding a database touches
 * nothing else. One source per thread. */
#ifndef RETL_SOURCE_H
#define RETL_SOURCE_H

#include "lib/cfg.h"
#include "lib/records.h"

#include <signal.h>
#include <stddef.h>

/* What went wrong, for `retl check` and the logs. */
enum retl_source_fail {
        RETL_SRC_OK = 0,
        RETL_SRC_RESOLVE,       /* host name does not resolve */
        RETL_SRC_REFUSED,       /* nobody listens there, or unreachable */
        RETL_SRC_TIMEOUT,       /* no answer in login_timeout / query_timeout */
        RETL_SRC_TLS,           /* encryption could not be set up */
        RETL_SRC_TLS_NONE,      /* encryption required, the server does not offer it */
        RETL_SRC_TLS_CERT,      /* the server's certificate is not trusted */
        RETL_SRC_TLS_HOSTNAME,  /* ... trusted, but not issued for the host name */
        RETL_SRC_LOGIN,         /* user or password refused */
        RETL_SRC_DATABASE,      /* the database cannot be opened */
        RETL_SRC_QUERY,         /* the server refused or failed the query */
        RETL_SRC_TYPE,          /* a column of a type we cannot carry */
        RETL_SRC_CANCELLED,     /* stopped on request */
        RETL_SRC_OTHER,
};

/* One column of a result. */
struct retl_source_column {
        char *name;             /* as the query spells it; "" for an unnamed expression */
        char *type_name;        /* SQL type for people, e.g. "nvarchar(100)", "decimal(18,4)" */
        enum retl_vtype vtype;  /* the Avro branch its non-NULL values take */
        int scale;              /* fraction digits (decimal, time, datetime2...) */
};

struct retl_source;

/* The driver's side. Every function gets the driver's own state. */
struct retl_source_driver {
        const char *name;       /* databases[].driver */
        /** Connects; NULL with *fail and errstr on failure. */
        void *(*connect)(const struct retl_cfg_database *db, const char *log_ctx,
                         const volatile sig_atomic_t *stop, enum retl_source_fail *fail,
                         char *errstr, size_t errstr_size);
        /** Sends @p sql and reads its column metadata. 0 or -1. */
        int (*query)(void *state, const char *sql, enum retl_source_fail *fail, char *errstr,
                     size_t errstr_size);
        size_t (*ncolumns)(void *state);
        const struct retl_source_column *(*columns)(void *state);
        /** The next row: 1 and values[ncolumns] (valid until the next call),
         *  0 at the end, -1 on error. */
        int (*next_row)(void *state, const struct retl_value **values,
                        enum retl_source_fail *fail, char *errstr, size_t errstr_size);
        /** Stops the current query; the connection stays usable. */
        void (*cancel)(void *state);
        void (*close)(void *state);
        /** Queries that answer the server's UTC clock as one integer column
         *  of Unix milliseconds, tried in order until one runs (the first
         *  may need a newer server); NULL-terminated. */
        const char *const *clock_sql;
};

extern const struct retl_source_driver retl_source_mssql_driver;

/** @brief Connects to @p db with the driver its configuration names.
 *  @p stop (may be NULL) is polled while waiting on the server: when it
 *  becomes non-zero the wait ends with RETL_SRC_CANCELLED.
 *  @p log_ctx is copied. @returns NULL with *fail (may be NULL) and errstr. */
struct retl_source *retl_source_open(const struct retl_cfg_database *db, const char *log_ctx,
                                     const volatile sig_atomic_t *stop,
                                     enum retl_source_fail *fail, char *errstr,
                                     size_t errstr_size);
/** @brief Runs a query; its columns are known on return. @returns 0 or -1. */
int retl_source_query(struct retl_source *src, const char *sql, enum retl_source_fail *fail,
                      char *errstr, size_t errstr_size) __attribute__((warn_unused_result));
size_t retl_source_ncolumns(const struct retl_source *src);
const struct retl_source_column *retl_source_columns(const struct retl_source *src);
/** @brief 1 = a row in *values (borrowed until the next call), 0 = end, -1 = error. */
int retl_source_next(struct retl_source *src, const struct retl_value **values,
                     enum retl_source_fail *fail, char *errstr, size_t errstr_size);
void retl_source_cancel(struct retl_source *src);
/** @brief The database server's UTC clock, Unix milliseconds: what a run's
 *  watermark is taken from, so that the extractor's own clock never decides
 *  which rows are new. @returns 0 and *ms, or -1 with *fail and errstr. */
int retl_source_clock_ms(struct retl_source *src, int64_t *ms, enum retl_source_fail *fail,
                         char *errstr, size_t errstr_size) __attribute__((warn_unused_result));
void retl_source_close(struct retl_source *src); /* NULL is fine */

/** @brief A short name of the failure kind: "name resolution", "login" ... */
const char *retl_source_fail_name(enum retl_source_fail f);

#endif
