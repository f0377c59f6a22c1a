/* retl-mssql-standin — SQL Server types: parse SQLite declared types, write
 * TYPE_INFO for COLMETADATA and encode values into their TDS wire form (the
 * encoders of each family live in types_<family>.c). */
#ifndef RETL_MSSQL_TYPES_H
#define RETL_MSSQL_TYPES_H

#include "sandbox/mssql/wire.h"

#include <stdint.h>
#include <stddef.h>

enum retl_mssql_kind {
        RETL_MT_TINYINT,
        RETL_MT_SMALLINT,
        RETL_MT_INT,
        RETL_MT_BIGINT,
        RETL_MT_BIT,
        RETL_MT_DECIMAL,
        RETL_MT_NUMERIC,
        RETL_MT_MONEY,
        RETL_MT_SMALLMONEY,
        RETL_MT_REAL,
        RETL_MT_FLOAT,
        RETL_MT_CHAR,
        RETL_MT_VARCHAR,
        RETL_MT_NCHAR,
        RETL_MT_NVARCHAR,
        RETL_MT_DATE,
        RETL_MT_TIME,
        RETL_MT_DATETIME,
        RETL_MT_DATETIME2,
        RETL_MT_SMALLDATETIME,
        RETL_MT_DATETIMEOFFSET,
        RETL_MT_UNIQUEIDENTIFIER,
        RETL_MT_BINARY,
        RETL_MT_VARBINARY,
        /* the legacy and special types (types_legacy.c) */
        RETL_MT_TEXT,
        RETL_MT_NTEXT,
        RETL_MT_IMAGE,
        RETL_MT_XML,
        RETL_MT_SQL_VARIANT,
};

#define RETL_MT_MAX (-1) /* mt_length of VARCHAR(MAX) and friends */

struct retl_mssql_type {
        enum retl_mssql_kind mt_kind;
        int mt_length;    /* characters (CHAR, NCHAR...), bytes (BINARY), or RETL_MT_MAX */
        int mt_precision; /* DECIMAL/NUMERIC */
        int mt_scale;     /* DECIMAL/NUMERIC, TIME, DATETIME2, DATETIMEOFFSET */
        int mt_not_null;  /* a NOT NULL table column: see retl_mssql_type_is_fixed */
        const char *mt_table; /* text, ntext, image: the column's table (borrowed), or NULL */
};

/* A value as SQLite hands it over: vtype is SQLITE_INTEGER, SQLITE_FLOAT,
 * SQLITE_TEXT (p/n: UTF-8), SQLITE_BLOB (p/n) or SQLITE_NULL. */
struct retl_mssql_value {
        int v_type;
        int64_t v_int;
        double v_real;
        const uint8_t *v_ptr;
        size_t v_len;
};

/* One RPC parameter value, named as in the statement ("@P0"). */
struct retl_mssql_param {
        char rp_name[130];
        struct retl_mssql_value rp_value; /* v_ptr points into rp_buf or the request */
        struct retl_mssql_type rp_type;
        int rp_output;                    /* BYREF (an OUTPUT parameter) */
        int rp_has_type;                  /* rp_type was decoded from TYPE_INFO */
        char *rp_buf;                     /* owned: text or digits made for the value */
};

/* A SQL Server error: number, severity (class), state and text. */
struct retl_mssql_error {
        int me_number;
        int me_severity;
        int me_state;
        char me_msg[512];
};

/** @brief Parses a declared type such as "DECIMAL(12,4)", "nvarchar(max)" or
 *  "DECIMAL TEXT(38,10)" (a TEXT word after the name keeps SQLite from
 *  turning long decimals into REAL and is otherwise ignored).
 *  @returns 0, or -1 for a name we do not map (callers then infer). */
int retl_mssql_type_parse(const char *decl, struct retl_mssql_type *t);

/** @brief The lowercase SQL Server name of @p k, e.g. "datetime2". */
const char *retl_mssql_type_kind_name(enum retl_mssql_kind k);

/** @brief Writes "NAME(args)" into @p out, e.g. "DECIMAL(12,4)". */
void retl_mssql_type_name(const struct retl_mssql_type *t, char *out, size_t out_size);

/** @brief Appends TYPE_INFO (type byte and its length/precision/collation). */
void retl_mssql_type_info(const struct retl_mssql_type *t, struct retl_wbuf *wb);

/** @brief True when @p t travels as a fixed-length type, as SQL Server sends
 *  a NOT NULL tinyint, smallint, int, bigint, bit, real, float, money,
 *  smallmoney, datetime or smalldatetime column: INT1, INT2, INT4, INT8,
 *  BIT, FLT4, FLT8, MONEY, MONEY4, DATETIME, DATETIM4 instead of INTN,
 *  BITN, FLTN, MONEYN, DATETIMN, and each value without its length byte.
 *  Such a column cannot carry a NULL. */
int retl_mssql_type_is_fixed(const struct retl_mssql_type *t);

/** @brief True for the MAX types, which travel as PLP. */
int retl_mssql_type_is_plp(const struct retl_mssql_type *t);

/** @brief Appends a NULL as a ROW token carries it (1, 2 or 8 bytes). */
void retl_mssql_put_null(const struct retl_mssql_type *t, struct retl_wbuf *wb);

/** @brief Size of retl_mssql_put_null's output. */
size_t retl_mssql_null_size(const struct retl_mssql_type *t);

/** @brief Appends a non-NULL value in the wire form of @p t (length prefix
 *  included). @returns 0, or -1 when it does not convert, with a SQL Server
 *  style error in @p err (245, 8114, 241, 8169, 8115, 8152...); on error the
 *  buffer may hold a partial value, callers truncate. */
int retl_mssql_encode(const struct retl_mssql_type *t, const struct retl_mssql_value *v,
                      struct retl_wbuf *wb, struct retl_mssql_error *err);

#endif
