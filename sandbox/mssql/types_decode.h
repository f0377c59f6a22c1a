/* retl-mssql-standin — TDS wire values read back into the stored form. */
#ifndef RETL_MSSQL_TYPES_DECODE_H
#define RETL_MSSQL_TYPES_DECODE_H

#include "sandbox/mssql/types.h"

/* A buffer being read; bad is set when a read runs past its end. */
struct retl_mssql_rd {
        const uint8_t *p;
        size_t n, i;
        int bad;
};

unsigned retl_mssql_rd_u8(struct retl_mssql_rd *r);
uint64_t retl_mssql_rd_le(struct retl_mssql_rd *r, size_t n);          /* little-endian */
const uint8_t *retl_mssql_rd_bytes(struct retl_mssql_rd *r, size_t n); /* NULL past the end */

/** @brief UTF-16LE text of @p units into a new NUL-terminated UTF-8 string
 *  (free it), its byte count in @p len when not NULL. */
char *retl_mssql_utf16_to_utf8(const uint8_t *p, size_t units, size_t *len);

/** @brief Reads TYPE_INFO and a value, as an RPC parameter carries them,
 *  into @p p: rp_type, and rp_value as the stand-in stores it (integers,
 *  reals, decimal and money as exact text, dates as ISO 8601 text, GUIDs
 *  as text, binary as a blob); owned memory in rp_buf.
 *  @returns 0, or -1 for a type it does not read. */
int retl_mssql_read_param(struct retl_mssql_rd *r, struct retl_mssql_param *p);

#endif
