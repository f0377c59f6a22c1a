/* retl-mssql-standin — SQLite errors mapped to SQL Server error numbers,
 * severities and messages (102, 207, 208, 2627, 515...). */
#include "sandbox/mssql/tsql_errors.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* T-SQL reserved keywords SQLite may stop at: SQL Server reports a syntax
 * error there as 156 "near the keyword", not 102. */
static int is_keyword(const char *w, int n)
{
        static const char *const kw[] = {
                "ADD", "ALL", "ALTER", "AND", "ANY", "AS", "ASC", "BEGIN", "BETWEEN", "BY",
                "CASE", "CHECK", "COLUMN", "COMMIT", "CONSTRAINT", "CREATE", "CROSS",
                "DEFAULT", "DELETE", "DESC", "DISTINCT", "DROP", "ELSE", "END", "EXCEPT",
                "EXEC", "EXECUTE", "EXISTS", "FROM", "FULL", "GROUP", "HAVING", "IN",
                "INNER", "INSERT", "INTERSECT", "INTO", "IS", "JOIN", "KEY", "LEFT", "LIKE",
                "NOT", "NULL", "ON", "OR", "ORDER", "OUTER", "PRIMARY", "RIGHT", "ROLLBACK",
                "SELECT", "SET", "TABLE", "THEN", "TOP", "UNION", "UPDATE", "VALUES", "VIEW",
                "WHEN", "WHERE", "WITH", NULL,
        };
        for (int i = 0; kw[i]; i++)
                if ((int)strlen(kw[i]) == n && strncasecmp(kw[i], w, (size_t)n) == 0)
                        return 1;
        return 0;
}

static void err_set(struct retl_mssql_error *err, int number, int severity,
                    const char *fmt, const char *arg, int arg_len)
{
        err->me_number = number;
        err->me_severity = severity;
        err->me_state = 1;
        snprintf(err->me_msg, sizeof(err->me_msg), fmt, arg_len, arg);
}

void retl_mssql_map_error(int rc, const char *msg, struct retl_mssql_error *err)
{
        const char *p;

        if (!msg)
                msg = "unknown error";
        if (strncmp(msg, "retl:", 5) == 0) {
                int number = 0, severity = 16, used = 0;
                if (sscanf(msg + 5, "%d:%d:%n", &number, &severity, &used) >= 2 && used) {
                        err_set(err, number, severity, "%.*s", msg + 5 + used,
                                (int)strlen(msg + 5 + used));
                        return;
                }
        }
        if ((p = strstr(msg, "near \"")) && strstr(msg, "syntax error")) {
                const char *q = p + 6, *e = strstr(q, "\": syntax error");
                int n = e ? (int)(e - q) : (int)strlen(q);
                if (is_keyword(q, n))
                        err_set(err, 156, 15, "Incorrect syntax near the keyword '%.*s'.", q, n);
                else
                        err_set(err, 102, 15, "Incorrect syntax near '%.*s'.", q, n);
        } else if (strstr(msg, "incomplete input")) {
                err_set(err, 102, 15, "Incorrect syntax near the end of the batch.%.*s", "", 0);
        } else if (strncmp(msg, "no such table: ", 15) == 0) {
                err_set(err, 208, 16, "Invalid object name '%.*s'.", msg + 15,
                        (int)strlen(msg + 15));
        } else if (strncmp(msg, "no such column: ", 16) == 0) {
                err_set(err, 207, 16, "Invalid column name '%.*s'.", msg + 16,
                        (int)strlen(msg + 16));
        } else if (strncmp(msg, "no such function: ", 18) == 0) {
                err_set(err, 195, 15, "'%.*s' is not a recognized built-in function name.",
                        msg + 18, (int)strlen(msg + 18));
        } else if (strncmp(msg, "UNIQUE constraint failed: ", 26) == 0) {
                err_set(err, 2627, 14,
                        "Violation of UNIQUE KEY constraint. Cannot insert duplicate key (%.*s).",
                        msg + 26, (int)strlen(msg + 26));
        } else if (strncmp(msg, "NOT NULL constraint failed: ", 28) == 0) {
                err_set(err, 515, 16,
                        "Cannot insert the value NULL into column '%.*s'; column does not allow nulls.",
                        msg + 28, (int)strlen(msg + 28));
        } else if (strncmp(msg, "table ", 6) == 0 && strstr(msg, "already exists")) {
                err_set(err, 2714, 16, "There is already an object named '%.*s' in the database.",
                        msg + 6, (int)(strstr(msg, " already exists") - (msg + 6)));
        } else {
                err_set(err, 50000, 16, "%.*s", msg, (int)strlen(msg));
        }
        (void)rc;
}

void retl_mssql_name_object(struct retl_mssql_error *err, const char *text, size_t len)
{
        char name[256];
        const char *p, *q;
        size_t n;

        if (err->me_number != 208 || strncmp(err->me_msg, "Invalid object name '", 21) != 0)
                return;
        p = err->me_msg + 21;
        q = strchr(p, '\'');
        n = q ? (size_t)(q - p) : 0;
        if (!n || n >= sizeof(name) - 4)
                return;
        /* the rewriter dropped "dbo." (or "[dbo]."): SQL Server names the
         * object as written */
        for (size_t i = 0; i + 4 + n <= len; i++) {
                size_t pre = 0;
                if (strncasecmp(text + i, "dbo.", 4) == 0)
                        pre = 4;
                else if (i + 6 + n <= len && strncasecmp(text + i, "[dbo].", 6) == 0)
                        pre = 6;
                if (!pre || (i && (isalnum((unsigned char)text[i - 1]) || text[i - 1] == '_')))
                        continue;
                q = text + i + pre;
                if (*q == '[' && i + pre + n + 2 <= len && strncasecmp(q + 1, p, n) == 0 &&
                    q[n + 1] == ']') {
                        snprintf(name, sizeof(name), "dbo.%.*s", (int)n, p);
                } else if (strncasecmp(q, p, n) == 0 &&
                           (i + pre + n == len ||
                            !(isalnum((unsigned char)q[n]) || q[n] == '_'))) {
                        snprintf(name, sizeof(name), "dbo.%.*s", (int)n, q);
                } else {
                        continue;
                }
                snprintf(err->me_msg, sizeof(err->me_msg), "Invalid object name '%s'.", name);
                return;
        }
}
