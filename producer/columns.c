/* retl — column rules, see columns.h. */
#include "producer/columns.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *retl_query_kind_name(enum retl_query_kind kind)
{
        static const char *const n[] = {"people query", "objects query", "relationship query"};
        return (unsigned)kind <= RETL_QK_RELATIONSHIPS ? n[kind] : "query";
}

static void add(struct retl_buf *problems, int *count, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void add(struct retl_buf *problems, int *count, const char *fmt, ...)
{
        char line[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        (*count)++;
        /* the problem list is bounded (300 columns); a full buffer only
         * loses text, never the count */
        if (retl_buf_puts(problems, line) || retl_buf_putc(problems, '\n'))
                return;
}

static const struct retl_source_column *find(const struct retl_source_column *cols, size_t n,
                                             const char *name, int nocase)
{
        for (size_t i = 0; i < n; i++)
                if (nocase ? !strcasecmp(cols[i].name, name) : !strcmp(cols[i].name, name))
                        return &cols[i];
        return NULL;
}

/* A required column: exactly @p name. */
static void require(const struct retl_source_column *cols, size_t n, const char *name,
                    const char *why, int has_star, struct retl_buf *problems, int *count)
{
        const struct retl_source_column *c;

        if (find(cols, n, name, 0))
                return;
        c = find(cols, n, name, 1);
        if (c) {
                add(problems, count,
                    "column '%s' must be spelled '%s' (%s): rename it with %s AS %s", c->name,
                    name, why, c->name, name);
                return;
        }
        if (has_star)
                add(problems, count,
                    "no column named '%s' (%s): SELECT * is allowed only when the result "
                    "holds a column named %s; select the columns one by one and name the "
                    "identifier with AS, e.g. SELECT customer_key AS %s, ...",
                    name, why, name, name);
        else
                add(problems, count,
                    "no column named '%s' (%s): select it, or rename the column that holds it "
                    "with AS, e.g. SELECT customer_key AS %s, ...", name, why, name);
}

int retl_columns_check(enum retl_query_kind kind, enum retl_ident ident, int has_star,
                       const struct retl_source_column *cols, size_t ncols,
                       struct retl_buf *problems)
{
        const char *idname = ident == RETL_IDENT_EMAIL ? "email" : "id";
        const struct retl_source_column *del, *cio;
        int count = 0;

        if (ncols > RETL_COLUMNS_MAX)
                add(problems, &count,
                    "the %s returns %zu columns; at most %d are allowed (each column is an "
                    "attribute): select fewer columns", retl_query_kind_name(kind), ncols,
                    RETL_COLUMNS_MAX);
        for (size_t i = 0; i < ncols; i++) {
                if (!cols[i].name[0]) {
                        add(problems, &count,
                            "column %zu has no name (an expression without AS): name it, "
                            "e.g. ... AS my_attribute", i + 1);
                        continue;
                }
                for (size_t j = 0; j < i; j++)
                        if (!strcasecmp(cols[i].name, cols[j].name)) {
                                add(problems, &count,
                                    "columns %zu '%s' and %zu '%s' have the same name (names "
                                    "compare without case, like Customer.io attributes): "
                                    "rename one with AS", j + 1, cols[j].name, i + 1,
                                    cols[i].name);
                                break;
                        }
        }
        switch (kind) {
        case RETL_QK_PEOPLE:
                require(cols, ncols, idname,
                        ident == RETL_IDENT_EMAIL ? "the sync identifies people by email"
                                                  : "the sync identifies people by id",
                        has_star, problems, &count);
                /* Customer.io gives every person a cio_id; its reverse-ETL
                 * imports refuse the column rather than set it. */
                cio = find(cols, ncols, "cio_id", 1);
                if (cio)
                        add(problems, &count,
                            "column '%s' cannot be imported: Customer.io generates cio_id and "
                            "a reverse-ETL import cannot set it; leave it out of the query (or "
                            "rename it with AS to keep it as another attribute)", cio->name);
                break;
        case RETL_QK_OBJECTS:
                require(cols, ncols, "object_id", "objects are identified by object_id",
                        has_star, problems, &count);
                break;
        case RETL_QK_RELATIONSHIPS:
                require(cols, ncols, "object_id", "a relationship names its object by object_id",
                        has_star, problems, &count);
                require(cols, ncols, idname,
                        ident == RETL_IDENT_EMAIL
                                ? "the relationship query identifies people by email "
                                  "(relationship_identify_by)"
                                : "the relationship query identifies people by id "
                                  "(relationship_identify_by)",
                        has_star, problems, &count);
                del = find(cols, ncols, "deleted", 0);
                if (del && del->vtype != RETL_V_BOOL)
                        add(problems, &count,
                            "column 'deleted' must be a bit (boolean: 1 removes the "
                            "relationship) but it is %s: use CAST(... AS bit) AS deleted",
                            del->type_name ? del->type_name : "another type");
                break;
        }
        return count;
}
