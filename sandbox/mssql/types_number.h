/* retl-mssql-standin — integers, bit, decimal/numeric, money and floats in
 * their TDS wire form. */
#ifndef RETL_MSSQL_TYPES_NUMBER_H
#define RETL_MSSQL_TYPES_NUMBER_H

#include "sandbox/mssql/types.h"

/** @brief Bytes of a DECIMALN/NUMERICN value of @p precision digits, sign
 *  byte included: 5, 9, 13 or 17. */
unsigned retl_mssql_decimal_size(int precision);

/* The encoders behind retl_mssql_encode, one per family; same contract. */

/** @brief TINYINT, SMALLINT, INT, BIGINT: integers, integer text, reals
 *  (truncated); 245 or 8115. */
int retl_mssql_encode_int(const struct retl_mssql_type *t, const struct retl_mssql_value *v,
                          struct retl_wbuf *wb, struct retl_mssql_error *err);

/** @brief BIT: non-zero is 1, "true"/"false" accepted; 245. */
int retl_mssql_encode_bit(const struct retl_mssql_type *t, const struct retl_mssql_value *v,
                          struct retl_wbuf *wb, struct retl_mssql_error *err);

/** @brief DECIMAL, NUMERIC: exact from text, rounded half away from zero
 *  to the scale; 8114 or 8115. */
int retl_mssql_encode_decimal(const struct retl_mssql_type *t, const struct retl_mssql_value *v,
                              struct retl_wbuf *wb, struct retl_mssql_error *err);

/** @brief MONEY, SMALLMONEY: as decimal with scale 4; 235 or 8115. */
int retl_mssql_encode_money(const struct retl_mssql_type *t, const struct retl_mssql_value *v,
                            struct retl_wbuf *wb, struct retl_mssql_error *err);

/** @brief REAL, FLOAT; 8114, or 8115 when a REAL overflows. */
int retl_mssql_encode_float(const struct retl_mssql_type *t, const struct retl_mssql_value *v,
                            struct retl_wbuf *wb, struct retl_mssql_error *err);

#endif
