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
                "ok", "name resolution", "connection refused", "timeout", "TLS", "login",
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

void retl_source_close(struct retl_source *src)
{
        if (!src)
                return;
        src->drv->close(src->state);
        free(src);
}
