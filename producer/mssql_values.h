/* retl — SQL Server values as retl's, for the FreeTDS driver
 * (source_mssql.c): the db-lib types carried, their Avro branches, and the
 * conversion of one column's value. */
#ifndef RETL_MSSQL_VALUES_H
#define RETL_MSSQL_VALUES_H

#include "producer/source.h"

#include <sybfront.h>
#include <sybdb.h>

#define SYB_UNIQUE 36           /* uniqueidentifier; sybdb.h has no macro */
#define SYB_XML 241
#define SYB_VARIANT 98          /* sql_variant (TDS SSVARIANTTYPE) */
#define SYB_UDT 240             /* CLR types: geography, geometry, hierarchyid */
#define RETL_MSSQL_SCRATCH 80   /* formatted decimal / date / uuid text */

/** @brief SQL Server's name of db-lib type @p t, or NULL for one retl does
 *  not know (types it knows but does not carry are named too). */
const char *retl_mssql_type_name(int t);

/** @brief The Avro branch (enum retl_vtype) of db-lib type @p t; -1 = not
 *  carried. */
int retl_mssql_vtype(int t);

/** @brief Column @p col (1-based) of @p dbproc's current row, of db-lib type
 *  @p t and described by @p c, into @p v: numbers in place, decimal, money,
 *  GUID and date/time text in @p scratch (RETL_MSSQL_SCRATCH bytes), strings
 *  and bytes borrowed from db-lib until the next row.
 *  @returns 0, or -1 with errstr naming the column. */
int retl_mssql_value(DBPROCESS *dbproc, int col, int t, const struct retl_source_column *c,
                     struct retl_value *v, char *scratch, char *errstr, size_t errstr_size);

#endif
