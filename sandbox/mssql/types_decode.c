/* retl-mssql-standin — values in their TDS wire form read back into what
 * the stand-in stores (RPC parameters, and CAST results re-read from the
 * encoders' output). */
#include "sandbox/mssql/types_decode.h"
#include "sandbox/mssql/types_datetime.h"

#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

__extension__ typedef unsigned __int128 u128;

unsigned retl_mssql_rd_u8(struct retl_mssql_rd *r)
{
        if (r->i + 1 > r->n) {
                r->bad = 1;
                return 0;
        }
        return r->p[r->i++];
}

uint64_t retl_mssql_rd_le(struct retl_mssql_rd *r, size_t n)
{
        uint64_t v = 0;

        if (r->i + n > r->n) {
                r->bad = 1;
                return 0;
        }
        for (size_t k = 0; k < n; k++)
                v |= (uint64_t)r->p[r->i + k] << (8 * k);
        r->i += n;
        return v;
}

const uint8_t *retl_mssql_rd_bytes(struct retl_mssql_rd *r, size_t n)
{
        const uint8_t *p = r->p + r->i;

        if (r->i + n > r->n) {
                r->bad = 1;
                return NULL;
        }
        r->i += n;
        return p;
}

/* UTF-16 text of @p units into a new NUL-terminated UTF-8 string. */
char *retl_mssql_utf16_to_utf8(const uint8_t *p, size_t units, size_t *len)
{
        struct retl_wbuf wb;

        retl_wbuf_init(&wb, 0);
        retl_utf16le_to_utf8(&wb, p, units);
        if (len)
                *len = wb.wb_len;
        retl_wbuf_u8(&wb, 0);
        return (char *)wb.wb_data;
}

/* A PLP value (MAX types) joined into one buffer; NULL for the PLP NULL. */
static uint8_t *rd_plp(struct retl_mssql_rd *r, size_t *len, int *is_null)
{
        uint64_t total = retl_mssql_rd_le(r, 8);
        struct retl_wbuf wb;

        *is_null = total == UINT64_MAX;
        *len = 0;
        if (*is_null || r->bad)
                return NULL;
        retl_wbuf_init(&wb, 64u * 1024 * 1024); /* a request's ceiling */
        for (;;) {
                uint32_t chunk = (uint32_t)retl_mssql_rd_le(r, 4);
                const uint8_t *b;
                if (r->bad || chunk == 0)
                        break;
                if (!(b = retl_mssql_rd_bytes(r, chunk)))
                        break;
                retl_wbuf_put(&wb, b, chunk);
        }
        *len = wb.wb_len;
        return wb.wb_data;
}

static void set_text(struct retl_mssql_param *p, char *owned, size_t len)
{
        p->rp_buf = owned;
        p->rp_value.v_type = SQLITE_TEXT;
        p->rp_value.v_ptr = (const uint8_t *)owned;
        p->rp_value.v_len = len;
}

/* A date/time value (days since 0001-01-01 and 100 ns units of the day) as
 * the ISO 8601 text the stand-in stores. */
static void set_datetime(struct retl_mssql_param *p, int64_t days, uint64_t ticks, int scale,
                         int has_date, int has_time, int offset_min)
{
        char buf[64];
        size_t n = 0;
        int64_t y;
        unsigned m, d;

        if (offset_min != INT32_MIN) { /* datetimeoffset travels as UTC */
                int64_t t = (int64_t)ticks + (int64_t)offset_min * 600000000LL;
                while (t < 0) {
                        t += 864000000000LL;
                        days--;
                }
                while (t >= 864000000000LL) {
                        t -= 864000000000LL;
                        days++;
                }
                ticks = (uint64_t)t;
        }
        if (has_date) {
                retl_mssql_civil_from_days(days, &y, &m, &d);
                n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%04lld-%02u-%02u%s", (long long)y, m,
                                      d, has_time ? " " : "");
        }
        if (has_time) {
                uint64_t secs = ticks / 10000000;
                n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%02u:%02u:%02u",
                                      (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60),
                                      (unsigned)(secs % 60));
                if (scale > 0)
                        n += (size_t)snprintf(buf + n, sizeof(buf) - n, ".%07llu",
                                              (unsigned long long)(ticks % 10000000));
        }
        if (offset_min != INT32_MIN) {
                int off = offset_min < 0 ? -offset_min : offset_min;
                snprintf(buf + n, sizeof(buf) - n, "%c%02d:%02d", offset_min < 0 ? '-' : '+', off / 60,
                         off % 60);
        }
        set_text(p, retl_strdup(buf), strlen(buf));
}

/* The unsigned magnitude of a DECIMAL as digits with @p scale decimals. */
static void set_decimal(struct retl_mssql_param *p, int positive, const uint8_t *mag, size_t n,
                        int scale)
{
        u128 v = 0;
        char digits[64], buf[72];
        size_t nd = 0, k = 0;

        for (size_t i = n; i-- > 0;)
                v = v << 8 | mag[i];
        do {
                digits[nd++] = (char)('0' + (int)(v % 10));
                v /= 10;
        } while (v);
        while ((int)nd <= scale)
                digits[nd++] = '0';
        if (!positive)
                buf[k++] = '-';
        while (nd) {
                if ((int)nd == scale)
                        buf[k++] = '.';
                buf[k++] = digits[--nd];
        }
        buf[k] = '\0';
        set_text(p, retl_strdup(buf), k);
}

int retl_mssql_read_param(struct retl_mssql_rd *r, struct retl_mssql_param *p)
{
        unsigned type = retl_mssql_rd_u8(r), len, maxlen = 0, scale = 0;
        const uint8_t *b;
        int is_null = 0;

        p->rp_value.v_type = SQLITE_NULL;
        p->rp_has_type = 1;
        switch (type) {
        case TDS_T_INT1: case TDS_T_INT2: case TDS_T_INT4: case TDS_T_INT8: case TDS_T_BIT:
                len = type == TDS_T_INT1 || type == TDS_T_BIT ? 1 : type == TDS_T_INT2 ? 2
                      : type == TDS_T_INT4 ? 4 : 8;
                goto integer;
        case TDS_T_INTN:
        case TDS_T_BITN:
                retl_mssql_rd_u8(r);
                len = retl_mssql_rd_u8(r);
        integer:
                p->rp_type.mt_kind = type == TDS_T_BIT || type == TDS_T_BITN ? RETL_MT_BIT
                                     : len == 1 ? RETL_MT_TINYINT : len == 2 ? RETL_MT_SMALLINT
                                     : len == 4 ? RETL_MT_INT : RETL_MT_BIGINT;
                if (len == 0)
                        return 0;
                {
                        uint64_t v = retl_mssql_rd_le(r, len);
                        int64_t sv = len == 1 ? (int64_t)(uint8_t)v : len == 2 ? (int16_t)v
                                     : len == 4 ? (int32_t)v : (int64_t)v;
                        p->rp_value.v_type = SQLITE_INTEGER;
                        p->rp_value.v_int = sv;
                }
                return 0;
        case TDS_T_FLTN:
        case TDS_T_FLT4:
        case TDS_T_FLT8:
                len = type == TDS_T_FLT4 ? 4 : type == TDS_T_FLT8 ? 8 : (retl_mssql_rd_u8(r), retl_mssql_rd_u8(r));
                p->rp_type.mt_kind = len == 4 ? RETL_MT_REAL : RETL_MT_FLOAT;
                if (len == 4) {
                        uint32_t u = (uint32_t)retl_mssql_rd_le(r, 4);
                        float f;
                        memcpy(&f, &u, 4);
                        p->rp_value.v_real = f;
                } else if (len == 8) {
                        uint64_t u = retl_mssql_rd_le(r, 8);
                        memcpy(&p->rp_value.v_real, &u, 8);
                } else {
                        return 0;
                }
                p->rp_value.v_type = SQLITE_FLOAT;
                return 0;
        case TDS_T_MONEYN:
        case TDS_T_MONEY:
        case TDS_T_MONEY4: {
                int64_t m;
                char buf[40];
                uint64_t a;
                len = type == TDS_T_MONEY ? 8 : type == TDS_T_MONEY4 ? 4 : (retl_mssql_rd_u8(r), retl_mssql_rd_u8(r));
                p->rp_type.mt_kind = len == 4 ? RETL_MT_SMALLMONEY : RETL_MT_MONEY;
                if (len == 0)
                        return 0;
                if (len == 4) {
                        m = (int32_t)retl_mssql_rd_le(r, 4);
                } else {
                        uint64_t hi = retl_mssql_rd_le(r, 4);
                        m = (int64_t)(hi << 32 | retl_mssql_rd_le(r, 4));
                }
                a = m < 0 ? 0 - (uint64_t)m : (uint64_t)m;
                snprintf(buf, sizeof(buf), "%s%llu.%04llu", m < 0 ? "-" : "",
                         (unsigned long long)(a / 10000), (unsigned long long)(a % 10000));
                set_text(p, retl_strdup(buf), strlen(buf));
                return 0;
        }
        case TDS_T_DECIMALN:
        case TDS_T_NUMERICN:
                retl_mssql_rd_u8(r);
                p->rp_type.mt_kind = type == TDS_T_DECIMALN ? RETL_MT_DECIMAL : RETL_MT_NUMERIC;
                p->rp_type.mt_precision = (int)retl_mssql_rd_u8(r);
                p->rp_type.mt_scale = (int)(scale = retl_mssql_rd_u8(r));
                len = retl_mssql_rd_u8(r);
                if (len == 0)
                        return 0;
                {
                        unsigned sign = retl_mssql_rd_u8(r);
                        if (len < 2 || len > 17 || !(b = retl_mssql_rd_bytes(r, len - 1)))
                                return -1;
                        set_decimal(p, sign == 1, b, len - 1, (int)scale);
                }
                return 0;
        case TDS_T_NVARCHAR: case TDS_T_NCHAR: case TDS_T_BIGVARCHR: case TDS_T_BIGCHAR:
        case TDS_T_BIGVARBIN: case TDS_T_BIGBINARY: {
                int wide = type == TDS_T_NVARCHAR || type == TDS_T_NCHAR;
                int binary = type == TDS_T_BIGVARBIN || type == TDS_T_BIGBINARY;
                uint8_t *data;
                size_t dlen;

                maxlen = (unsigned)retl_mssql_rd_le(r, 2);
                if (!binary)
                        retl_mssql_rd_bytes(r, 5); /* collation */
                p->rp_type.mt_kind = binary ? (type == TDS_T_BIGBINARY ? RETL_MT_BINARY
                                                                       : RETL_MT_VARBINARY)
                                     : wide ? (type == TDS_T_NCHAR ? RETL_MT_NCHAR : RETL_MT_NVARCHAR)
                                            : (type == TDS_T_BIGCHAR ? RETL_MT_CHAR : RETL_MT_VARCHAR);
                p->rp_type.mt_length = maxlen == 0xFFFF ? RETL_MT_MAX
                                       : (int)(wide ? maxlen / 2 : maxlen);
                if (maxlen == 0xFFFF) {
                        data = rd_plp(r, &dlen, &is_null);
                } else {
                        len = (unsigned)retl_mssql_rd_le(r, 2);
                        if (len == 0xFFFF)
                                return 0;
                        if (!(b = retl_mssql_rd_bytes(r, len)))
                                return -1;
                        data = retl_malloc(len + 1);
                        memcpy(data, b, len);
                        dlen = len;
                }
                if (is_null || r->bad) {
                        free(data);
                        return r->bad ? -1 : 0;
                }
                if (binary) {
                        p->rp_buf = (char *)data;
                        p->rp_value.v_type = SQLITE_BLOB;
                        p->rp_value.v_ptr = data;
                        p->rp_value.v_len = dlen;
                } else if (wide) {
                        size_t n8;
                        char *t = retl_mssql_utf16_to_utf8(data, dlen / 2, &n8);
                        free(data);
                        set_text(p, t, n8);
                } else { /* CP1252 bytes: Latin-1 is what the stand-in reads */
                        struct retl_wbuf wb;
                        retl_wbuf_init(&wb, 0);
                        for (size_t i = 0; i < dlen; i++) {
                                if (data[i] < 0x80) {
                                        retl_wbuf_u8(&wb, data[i]);
                                } else {
                                        retl_wbuf_u8(&wb, 0xC0 | data[i] >> 6);
                                        retl_wbuf_u8(&wb, 0x80 | (data[i] & 0x3F));
                                }
                        }
                        free(data);
                        {
                                size_t n8 = wb.wb_len;
                                retl_wbuf_u8(&wb, 0);
                                set_text(p, (char *)wb.wb_data, n8);
                        }
                }
                return 0;
        }
        case TDS_T_DATEN:
                p->rp_type.mt_kind = RETL_MT_DATE;
                len = retl_mssql_rd_u8(r);
                if (len == 0)
                        return 0;
                set_datetime(p, (int64_t)retl_mssql_rd_le(r, 3), 0, 0, 1, 0, INT32_MIN);
                return 0;
        case TDS_T_TIMEN:
        case TDS_T_DATETIME2N:
        case TDS_T_DTOFFSETN: {
                uint64_t ticks;
                int64_t days = 0;
                int off = INT32_MIN;
                unsigned tlen;

                scale = retl_mssql_rd_u8(r);
                p->rp_type.mt_kind = type == TDS_T_TIMEN ? RETL_MT_TIME
                                     : type == TDS_T_DATETIME2N ? RETL_MT_DATETIME2
                                                                : RETL_MT_DATETIMEOFFSET;
                p->rp_type.mt_scale = (int)scale;
                len = retl_mssql_rd_u8(r);
                if (len == 0)
                        return 0;
                tlen = retl_mssql_time_size((int)scale);
                ticks = retl_mssql_rd_le(r, tlen);
                for (unsigned k = scale; k < 7; k++)
                        ticks *= 10;
                if (type != TDS_T_TIMEN)
                        days = (int64_t)retl_mssql_rd_le(r, 3);
                if (type == TDS_T_DTOFFSETN)
                        off = (int16_t)retl_mssql_rd_le(r, 2);
                set_datetime(p, days, ticks, 7, type != TDS_T_TIMEN, 1, off);
                return 0;
        }
        case TDS_T_DATETIMN:
        case TDS_T_DATETIME: {
                int64_t days;
                uint64_t t;
                len = type == TDS_T_DATETIME ? 8 : (retl_mssql_rd_u8(r), retl_mssql_rd_u8(r));
                p->rp_type.mt_kind = len == 4 ? RETL_MT_SMALLDATETIME : RETL_MT_DATETIME;
                if (len == 0)
                        return 0;
                if (len == 4) {
                        days = (int64_t)retl_mssql_rd_le(r, 2);
                        t = retl_mssql_rd_le(r, 2) * 600000000ULL;
                } else {
                        days = (int32_t)retl_mssql_rd_le(r, 4);
                        t = (retl_mssql_rd_le(r, 4) * 100000ULL + 1) / 3; /* 1/300 s in 100 ns units */
                }
                set_datetime(p, days + retl_mssql_days_from_civil(1900, 1, 1), t, 3, 1, 1,
                             INT32_MIN);
                return 0;
        }
        case TDS_T_GUID: {
                char buf[40];
                retl_mssql_rd_u8(r);
                p->rp_type.mt_kind = RETL_MT_UNIQUEIDENTIFIER;
                len = retl_mssql_rd_u8(r);
                if (len == 0)
                        return 0;
                if (len != 16 || !(b = retl_mssql_rd_bytes(r, 16)))
                        return -1;
                snprintf(buf, sizeof(buf),
                         "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X",
                         b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11],
                         b[12], b[13], b[14], b[15]);
                set_text(p, retl_strdup(buf), 36);
                return 0;
        }
        default:
                p->rp_has_type = 0;
                return -1;
        }
}

