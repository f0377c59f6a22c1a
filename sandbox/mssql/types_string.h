/* retl-mssql-standin — char, varchar, nchar and nvarchar values. */
#ifndef RETL_MSSQL_TYPES_STRING_H
#define RETL_MSSQL_TYPES_STRING_H

#include "sandbox/mssql/types.h"

/** @brief CHAR, VARCHAR (CP1252), NCHAR, NVARCHAR (UTF-16LE); CHAR and NCHAR
 *  padded with blanks, MAX as PLP; 8152 when longer than the type. Same
 *  contract as retl_mssql_encode; returns 0 with wb_over set when the
 *  buffer's ceiling is reached. */
int retl_mssql_encode_string(const struct retl_mssql_type *t, const struct retl_mssql_value *v,
                             struct retl_wbuf *wb, struct retl_mssql_error *err);

#endif
