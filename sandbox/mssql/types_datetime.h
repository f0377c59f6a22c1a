/* retl-mssql-standin — dates and times: ISO 8601 parsing, the civil
 * calendar (shared with the T-SQL date functions) and their wire form. */
#ifndef RETL_MSSQL_TYPES_DATETIME_H
#define RETL_MSSQL_TYPES_DATETIME_H

#include "sandbox/mssql/types.h"

struct retl_mssql_dt {
        int64_t dt_days;   /* since 0001-01-01 */
        int64_t dt_ns;     /* since midnight */
        int dt_has_date;
        int dt_has_time;
        int dt_has_offset;
        int dt_offset_min; /* minutes east of UTC */
};

/** @brief Parses ISO 8601 text: "YYYY-MM-DD", "YYYY-MM-DD[T ]HH:MM[:SS[.f…]]",
 *  "HH:MM[:SS[.f…]]", each optionally followed by "Z" or "±HH:MM".
 *  @returns 0 or -1. */
int retl_mssql_dt_parse(const char *s, size_t n, struct retl_mssql_dt *dt);

/** @brief Days since 0001-01-01 of a proleptic Gregorian date. */
int64_t retl_mssql_days_from_civil(int64_t y, unsigned m, unsigned d);

/** @brief The reverse of retl_mssql_days_from_civil. */
void retl_mssql_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/** @brief Bytes of the time part at fractional @p scale (0-7): 3, 4 or 5. */
unsigned retl_mssql_time_size(int scale);

/** @brief DATE, TIME, DATETIME, DATETIME2, SMALLDATETIME, DATETIMEOFFSET from
 *  ISO 8601 text; 241, or 242 out of range. Same contract as
 *  retl_mssql_encode. */
int retl_mssql_encode_datetime(const struct retl_mssql_type *t,
                               const struct retl_mssql_value *v, struct retl_wbuf *wb,
                               struct retl_mssql_error *err);

#endif
