/* retl-mssql-standin — text, ntext, image, xml and sql_variant: their
 * TYPE_INFO and their values, as SQL Server 2008+ sends them in TDS 7.4. */
#ifndef RETL_MSSQL_TYPES_LEGACY_H
#define RETL_MSSQL_TYPES_LEGACY_H

#include "sandbox/mssql/types.h"

/** @brief TYPE_INFO of @p t: TEXTTYPE and NTEXTTYPE (LONGLEN maximum,
 *  collation, the table's name in parts), IMAGETYPE (the same without
 *  collation), XMLTYPE (no schema), SSVARIANTTYPE (LONGLEN 8016). */
void retl_mssql_legacy_type_info(const struct retl_mssql_type *t, struct retl_wbuf *wb);

/** @brief A non-NULL value: text (CP1252), ntext (UTF-16LE) and image (its
 *  bytes) behind a 16-byte text pointer and an 8-byte timestamp; xml as
 *  UTF-16LE in PLP chunks; sql_variant as its base type (int, bigint, float,
 *  nvarchar or varbinary, after the SQLite value) with its properties.
 *  Same contract as retl_mssql_encode. */
int retl_mssql_encode_legacy(const struct retl_mssql_type *t, const struct retl_mssql_value *v,
                             struct retl_wbuf *wb, struct retl_mssql_error *err);

#endif
