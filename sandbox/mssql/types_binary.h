/* retl-mssql-standin — binary, varbinary and uniqueidentifier values. */
#ifndef RETL_MSSQL_TYPES_BINARY_H
#define RETL_MSSQL_TYPES_BINARY_H

#include "sandbox/mssql/types.h"

/** @brief BINARY (zero-padded), VARBINARY, VARBINARY(MAX) as PLP: blobs,
 *  text as its UTF-8 bytes, integers as 8 bytes big-endian; 206 or 8152.
 *  Same contract as retl_mssql_encode. */
int retl_mssql_encode_binary(const struct retl_mssql_type *t, const struct retl_mssql_value *v,
                             struct retl_wbuf *wb, struct retl_mssql_error *err);

/** @brief UNIQUEIDENTIFIER from GUID text (braces allowed) or a 16-byte blob
 *  already in SQL Server's byte order; 8169. */
int retl_mssql_encode_guid(const struct retl_mssql_type *t, const struct retl_mssql_value *v,
                           struct retl_wbuf *wb, struct retl_mssql_error *err);

#endif
