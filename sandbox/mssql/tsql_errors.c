/* retl-mssql-standin — SQLite errors mapped to SQL Server error numbers,
 * severities and messages (102, 207, 208, 2627, 515...). */
#include "sandbox/mssql/tsql_errors.h"

#include <stdio.h>
#include <string.h>

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
