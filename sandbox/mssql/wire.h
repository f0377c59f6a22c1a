/* retl-mssql-standin — byte buffers, TDS constants and text conversions.
 *
 * struct retl_wbuf is a small value type that callers embed; use the
 * functions. Appends never fail one by one: a buffer that would pass its
 * ceiling sets wb_over and drops the bytes, and the caller tests wb_over
 * once per row or token (a row that big is an error, not a crash). */
#ifndef RETL_MSSQL_WIRE_H
#define RETL_MSSQL_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Packet types (MS-TDS 2.2.3.1.1). */
#define TDS_PKT_SQL_BATCH 0x01
#define TDS_PKT_RPC       0x03
#define TDS_PKT_REPLY     0x04
#define TDS_PKT_ATTENTION 0x06
#define TDS_PKT_BULK      0x07
#define TDS_PKT_TRANS_MGR 0x0E
#define TDS_PKT_LOGIN7    0x10
#define TDS_PKT_SSPI      0x11
#define TDS_PKT_PRELOGIN  0x12

/* Packet status bits. */
#define TDS_STATUS_EOM 0x01

/* Tokens (MS-TDS 2.2.7). */
#define TDS_TOK_COLMETADATA 0x81
#define TDS_TOK_ERROR       0xAA
#define TDS_TOK_INFO        0xAB
#define TDS_TOK_LOGINACK    0xAD
#define TDS_TOK_ROW         0xD1
#define TDS_TOK_NBCROW      0xD2
#define TDS_TOK_ENVCHANGE   0xE3
#define TDS_TOK_DONE        0xFD

/* DONE status bits. */
#define TDS_DONE_FINAL 0x0000
#define TDS_DONE_MORE  0x0001
#define TDS_DONE_ERROR 0x0002
#define TDS_DONE_COUNT 0x0010
#define TDS_DONE_ATTN  0x0020

/* Data types (MS-TDS 2.2.5.4). Fixed-length ones first: SQL Server uses them
 * for NOT NULL columns, with no length byte in front of each value. */
#define TDS_T_INT1       0x30
#define TDS_T_BIT        0x32
#define TDS_T_INT2       0x34
#define TDS_T_INT4       0x38
#define TDS_T_DATETIM4   0x3A
#define TDS_T_FLT4       0x3B
#define TDS_T_MONEY      0x3C
#define TDS_T_DATETIME   0x3D
#define TDS_T_FLT8       0x3E
#define TDS_T_MONEY4     0x7A
#define TDS_T_INT8       0x7F
#define TDS_T_GUID       0x24
#define TDS_T_INTN       0x26
#define TDS_T_DATEN      0x28
#define TDS_T_TIMEN      0x29
#define TDS_T_DATETIME2N 0x2A
#define TDS_T_DTOFFSETN  0x2B
#define TDS_T_BITN       0x68
#define TDS_T_DECIMALN   0x6A
#define TDS_T_NUMERICN   0x6C
#define TDS_T_FLTN       0x6D
#define TDS_T_MONEYN     0x6E
#define TDS_T_DATETIMN   0x6F
#define TDS_T_BIGVARBIN  0xA5
#define TDS_T_BIGVARCHR  0xA7
#define TDS_T_BIGBINARY  0xAD
#define TDS_T_BIGCHAR    0xAF
#define TDS_T_NVARCHAR   0xE7
#define TDS_T_NCHAR      0xEF
#define TDS_T_IMAGE      0x22
#define TDS_T_TEXT       0x23
#define TDS_T_VARIANT    0x62
#define TDS_T_NTEXT      0x63
#define TDS_T_XML        0xF1

/* Latin1_General_CI_AS: LCID 0x0409, flags CI+AS+KI+WI... as SQL Server
 * sends it, sort id 52 (code page 1252). */
extern const uint8_t retl_tds_collation[5];

struct retl_wbuf {
        uint8_t *wb_data;
        size_t wb_len;
        size_t wb_cap;
        size_t wb_max;
        int wb_over;
};

void retl_wbuf_init(struct retl_wbuf *wb, size_t max);
void retl_wbuf_free(struct retl_wbuf *wb);
/** @brief Makes room for @p n more bytes; false (and wb_over set) past max. */
int retl_wbuf_reserve(struct retl_wbuf *wb, size_t n);

static inline void retl_wbuf_reset(struct retl_wbuf *wb)
{
        wb->wb_len = 0;
        wb->wb_over = 0;
}

static inline void retl_wbuf_put(struct retl_wbuf *wb, const void *p, size_t n)
{
        if (wb->wb_cap - wb->wb_len < n && !retl_wbuf_reserve(wb, n))
                return;
        if (n)
                memcpy(wb->wb_data + wb->wb_len, p, n);
        wb->wb_len += n;
}

static inline void retl_wbuf_u8(struct retl_wbuf *wb, unsigned v)
{
        uint8_t b = (uint8_t)v;
        retl_wbuf_put(wb, &b, 1);
}

static inline void retl_wbuf_u16le(struct retl_wbuf *wb, unsigned v)
{
        uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
        retl_wbuf_put(wb, b, 2);
}

static inline void retl_wbuf_u32le(struct retl_wbuf *wb, uint32_t v)
{
        uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                        (uint8_t)(v >> 24)};
        retl_wbuf_put(wb, b, 4);
}

static inline void retl_wbuf_u64le(struct retl_wbuf *wb, uint64_t v)
{
        retl_wbuf_u32le(wb, (uint32_t)v);
        retl_wbuf_u32le(wb, (uint32_t)(v >> 32));
}

/** @brief Writes @p v little-endian in @p n bytes (n <= 8). */
static inline void retl_wbuf_uintle(struct retl_wbuf *wb, uint64_t v, size_t n)
{
        uint8_t b[8];
        for (size_t i = 0; i < n; i++)
                b[i] = (uint8_t)(v >> (8 * i));
        retl_wbuf_put(wb, b, n);
}

/** @brief Patches a little-endian u16 at @p at (already written). */
static inline void retl_wbuf_set_u16le(struct retl_wbuf *wb, size_t at, unsigned v)
{
        if (at + 2 <= wb->wb_len) {
                wb->wb_data[at] = (uint8_t)v;
                wb->wb_data[at + 1] = (uint8_t)(v >> 8);
        }
}

/* ---------------------------------------------------------------- text */

/** @brief Appends UTF-8 @p s (@p n bytes) as UTF-16LE; invalid sequences
 *  become U+FFFD. @returns the number of UTF-16 code units written. */
size_t retl_utf8_to_utf16le(struct retl_wbuf *wb, const uint8_t *s, size_t n);

/** @brief Number of UTF-16 code units @p s (UTF-8) needs. */
size_t retl_utf8_utf16_units(const uint8_t *s, size_t n);

/** @brief Appends UTF-16LE @p p (@p units code units) as UTF-8 (unpaired
 *  surrogates become U+FFFD). Does not NUL-terminate. */
void retl_utf16le_to_utf8(struct retl_wbuf *wb, const uint8_t *p, size_t units);

/** @brief Appends UTF-8 @p s as Windows-1252; characters it lacks become '?',
 *  as SQL Server does when it stores them in a varchar. @returns bytes added. */
size_t retl_utf8_to_cp1252(struct retl_wbuf *wb, const uint8_t *s, size_t n);

/* Token helpers over a wbuf: B_VARCHAR (u8 length in characters) and
 * US_VARCHAR (u16 length) of UTF-8 text. */
void retl_tds_bvarchar(struct retl_wbuf *wb, const char *s);
void retl_tds_usvarchar(struct retl_wbuf *wb, const char *s);

#endif
