/* retl-mssql-standin — what every type encoder shares: a value read as
 * text, and SQL Server's conversion errors. */
#ifndef RETL_MSSQL_TYPES_CONVERT_H
#define RETL_MSSQL_TYPES_CONVERT_H

#include "sandbox/mssql/types.h"

/** @brief Fills @p err: state 1, message formatted from @p fmt. */
void retl_mssql_error_set(struct retl_mssql_error *err, int number, int severity,
                          const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/** @brief The value as text, for error messages and string conversions:
 *  numbers are printed into @p tmp (SQLite's shortest form for reals), text
 *  and blobs are returned as they are. @returns the bytes, their count in
 *  @p len. */
const uint8_t *retl_mssql_value_text(const struct retl_mssql_value *v, char *tmp,
                                     size_t tmp_size, size_t *len);

/** @brief Copies text into @p out, blanks trimmed, NUL-terminated.
 *  @returns 1, or 0 when it does not fit. */
int retl_mssql_value_trimmed(const uint8_t *p, size_t n, char *out, size_t out_size);

/** @brief @p v does not convert to @p t: 245, 8114, 235, 241, 8169 or 206,
 *  as SQL Server reports it for that type. */
void retl_mssql_error_conversion(struct retl_mssql_error *err,
                                 const struct retl_mssql_value *v,
                                 const struct retl_mssql_type *t);

/** @brief 8115: out of range for @p t. */
void retl_mssql_error_overflow(struct retl_mssql_error *err, const struct retl_mssql_type *t);

/** @brief 8152: string or binary data would be truncated. */
void retl_mssql_error_truncation(struct retl_mssql_error *err);

#endif
