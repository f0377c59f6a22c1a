/* retl — source databases, see source.h. */
#include "producer/source.h"
#include "lib/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct retl_source {
        const struct retl_source_driver *drv;
        void *state;
};

static const struct retl_source_driver *const drivers[] = {
        &retl_source_mssql_driver,
};

const char *retl_source_fail_name(enum retl_source_fail f)
{
        static const char *const n[] = {
                "ok", "name resolution", "connection refused", "timeout", "TLS",
                "TLS: server does not offer it", "TLS: certificate not trusted",
                "TLS: host name mismatch", "login",
                "database", "query", "column type", "cancelled", "error",
        };
        return (unsigned)f <= RETL_SRC_OTHER ? n[f] : "error";
}

struct retl_source *retl_source_open(const struct retl_cfg_database *db, const char *log_ctx,
                                     const volatile sig_atomic_t *stop,
                                     enum retl_source_fail *fail, char *errstr,
                                     size_t errstr_size)
{
        const struct retl_source_driver *drv = NULL;
        enum retl_source_fail f = RETL_SRC_OTHER;
        struct retl_source *src;
        void *state;

        for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
                if (!strcmp(drivers[i]->name, db->driver ? db->driver : "mssql"))
                        drv = drivers[i];
        if (!drv) {
                snprintf(errstr, errstr_size, "database '%s': no driver '%s'", db->name,
                         db->driver);
                if (fail)
                        *fail = RETL_SRC_OTHER;
                return NULL;
        }
        state = drv->connect(db, log_ctx, stop, &f, errstr, errstr_size);
        if (!state) {
                if (fail)
                        *fail = f;
                return NULL;
        }
        src = retl_calloc(1, sizeof(*src));
        src->drv = drv;
        src->state = state;
        return src;
}

int retl_source_query(struct retl_source *src, const char *sql, enum retl_source_fail *fail,
                      char *errstr, size_t errstr_size)
{
        enum retl_source_fail f = RETL_SRC_OK;
        int rc = src->drv->query(src->state, sql, &f, errstr, errstr_size);
        if (fail)
                *fail = f;
        return rc;
}

size_t retl_source_ncolumns(const struct retl_source *src)
{
        return src->drv->ncolumns(src->state);
}

const struct retl_source_column *retl_source_columns(const struct retl_source *src)
{
        return src->drv->columns(src->state);
}

int retl_source_next(struct retl_source *src, const struct retl_value **values,
                     enum retl_source_fail *fail, char *errstr, size_t errstr_size)
{
        enum retl_source_fail f = RETL_SRC_OK;
        int rc = src->drv->next_row(src->state, values, &f, errstr, errstr_size);
        if (fail)
                *fail = f;
        return rc;
}

void retl_source_cancel(struct retl_source *src)
{
        src->drv->cancel(src->state);
}

/* One run of a clock query: 0 and *ms, -1 with the failure. */
static int clock_once(struct retl_source *src, const char *sql, int64_t *ms,
                      enum retl_source_fail *fail, char *errstr, size_t errstr_size)
{
        const struct retl_value *v = NULL;
        int rc;

        if (retl_source_query(src, sql, fail, errstr, errstr_size))
                return -1;
        rc = retl_source_next(src, &v, fail, errstr, errstr_size);
        if (rc == 1 && retl_source_ncolumns(src) == 1 && v[0].type == RETL_V_LONG) {
                *ms = v[0].u.l;
                rc = 0;
        } else if (rc >= 0) {
                snprintf(errstr, errstr_size, "reading the server's clock: '%s' answered no "
                         "integer", sql);
                *fail = RETL_SRC_QUERY;
                rc = -1;
        }
        /* the result holds one row; drain it so the connection is free */
        if (rc == 0) {
                char scratch[256];
                enum retl_source_fail f2;
                while (retl_source_next(src, &v, &f2, scratch, sizeof(scratch)) == 1)
                        ;
        }
        return rc;
}

int retl_source_clock_ms(struct retl_source *src, int64_t *ms, enum retl_source_fail *fail,
                         char *errstr, size_t errstr_size)
{
        enum retl_source_fail f = RETL_SRC_OTHER;
        int rc = -1;

        snprintf(errstr, errstr_size, "driver '%s' cannot read the server's clock",
                 src->drv->name);
        for (const char *const *q = src->drv->clock_sql; q && *q; q++) {
                rc = clock_once(src, *q, ms, &f, errstr, errstr_size);
                /* only a refused query (an older server) tries the next form */
                if (!rc || f != RETL_SRC_QUERY)
                        break;
        }
        if (!rc && errstr_size)
                errstr[0] = '\0';
        if (fail)
                *fail = rc ? f : RETL_SRC_OK;
        return rc;
}

void retl_source_close(struct retl_source *src)
{
        if (!src)
                return;
        src->drv->close(src->state);
        free(src);
}
