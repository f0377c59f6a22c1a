/* retl-mssql-standin — what every type encoder shares: a value read as
 * text, and SQL Server's conversion errors (245, 8114, 8115, 8152...). */
#include "sandbox/mssql/types_convert.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

void retl_mssql_error_set(struct retl_mssql_error *err, int number, int severity,
                          const char *fmt, ...)
{
        va_list ap;

        err->me_number = number;
        err->me_severity = severity;
        err->me_state = 1;
        va_start(ap, fmt);
        vsnprintf(err->me_msg, sizeof(err->me_msg), fmt, ap);
        va_end(ap);
}

const uint8_t *retl_mssql_value_text(const struct retl_mssql_value *v, char *tmp,
                                     size_t tmp_size, size_t *len)
{
        switch (v->v_type) {
        case SQLITE_INTEGER:
                *len = (size_t)snprintf(tmp, tmp_size, "%lld", (long long)v->v_int);
                return (const uint8_t *)tmp;
        case SQLITE_FLOAT:
                *len = (size_t)snprintf(tmp, tmp_size, "%.17g", v->v_real);
                /* Shortest form that reads back, as SQLite prints it. */
                for (int prec = 15; prec <= 17; prec++) {
                        char probe[64];
                        int n = snprintf(probe, sizeof(probe), "%.*g", prec, v->v_real);
                        if (strtod(probe, NULL) == v->v_real) {
                                *len = (size_t)snprintf(tmp, tmp_size, "%.*s", n, probe);
                                break;
                        }
                }
                return (const uint8_t *)tmp;
        default:
                *len = v->v_len;
                return v->v_ptr ? v->v_ptr : (const uint8_t *)"";
        }
}

/* Copies text into a NUL-terminated buffer, trimmed; false if too long. */
int retl_mssql_value_trimmed(const uint8_t *p, size_t n, char *out, size_t out_size)
{
        while (n && isspace(*p)) {
                p++;
                n--;
        }
        while (n && isspace(p[n - 1]))
                n--;
        if (n + 1 > out_size)
                return 0;
        memcpy(out, p, n);
        out[n] = '\0';
        return 1;
}

void retl_mssql_error_conversion(struct retl_mssql_error *err,
                                 const struct retl_mssql_value *v,
                                 const struct retl_mssql_type *t)
{
        char tmp[64], tn[40];
        size_t n;
        const uint8_t *s = retl_mssql_value_text(v, tmp, sizeof(tmp), &n);
        int shown = n > 200 ? 200 : (int)n;

        retl_mssql_type_name(t, tn, sizeof(tn));
        switch (t->mt_kind) {
        case RETL_MT_DECIMAL:
        case RETL_MT_NUMERIC:
                retl_mssql_error_set(err, 8114, 16, "Error converting data type %s to %s.",
                        v->v_type == SQLITE_TEXT ? "varchar" : "float",
                        retl_mssql_type_kind_name(t->mt_kind));
                break;
        case RETL_MT_MONEY:
        case RETL_MT_SMALLMONEY:
                retl_mssql_error_set(err, 235, 16,
                        "Cannot convert a char value to %s. The char value has incorrect syntax.",
                        retl_mssql_type_kind_name(t->mt_kind));
                break;
        case RETL_MT_DATE:
        case RETL_MT_TIME:
        case RETL_MT_DATETIME:
        case RETL_MT_DATETIME2:
        case RETL_MT_SMALLDATETIME:
        case RETL_MT_DATETIMEOFFSET:
                retl_mssql_error_set(err, 241, 16,
                        "Conversion failed when converting date and/or time from character string.");
                break;
        case RETL_MT_UNIQUEIDENTIFIER:
                retl_mssql_error_set(err, 8169, 16,
                        "Conversion failed when converting from a character string to uniqueidentifier.");
                break;
        case RETL_MT_FLOAT:
        case RETL_MT_REAL:
                retl_mssql_error_set(err, 8114, 16, "Error converting data type varchar to %s.",
                        retl_mssql_type_kind_name(t->mt_kind));
                break;
        default:
                if (v->v_type == SQLITE_BLOB)
                        retl_mssql_error_set(err, 206, 16,
                                "Operand type clash: varbinary is incompatible with %s", tn);
                else
                        retl_mssql_error_set(err, 245, 16,
                                "Conversion failed when converting the varchar value '%.*s' to data type %s.",
                                shown, (const char *)s, retl_mssql_type_kind_name(t->mt_kind));
        }
}

void retl_mssql_error_overflow(struct retl_mssql_error *err, const struct retl_mssql_type *t)
{
        retl_mssql_error_set(err, 8115, 16,
                "Arithmetic overflow error converting expression to data type %s.",
                retl_mssql_type_kind_name(t->mt_kind));
}

void retl_mssql_error_truncation(struct retl_mssql_error *err)
{
        retl_mssql_error_set(err, 8152, 16, "String or binary data would be truncated.");
}
