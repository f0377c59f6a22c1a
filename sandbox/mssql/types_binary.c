/* retl-mssql-standin — binary, varbinary (PLP for MAX) and uniqueidentifier
 * values in their TDS wire form. */
#include "sandbox/mssql/types_binary.h"
#include "sandbox/mssql/types_convert.h"

#include <ctype.h>
#include <string.h>
#include <sqlite3.h>

static int hexval(int c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        c = toupper(c);
        return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static int parse_guid(const struct retl_mssql_value *v, uint8_t out[16])
{
        char buf[64];
        const char *p = buf;
        uint8_t raw[16];
        int k = 0;

        if (v->v_type == SQLITE_BLOB) {
                if (v->v_len != 16)
                        return -1;
                memcpy(out, v->v_ptr, 16); /* already SQL Server's byte order */
                return 0;
        }
        if (v->v_type != SQLITE_TEXT ||
            !retl_mssql_value_trimmed(v->v_ptr, v->v_len, buf, sizeof(buf)))
                return -1;
        if (*p == '{') {
                size_t l = strlen(buf);
                if (buf[l - 1] != '}')
                        return -1;
                buf[l - 1] = '\0';
                p++;
        }
        if (strlen(p) != 36)
                return -1;
        for (int i = 0; i < 36; i++) {
                if (i == 8 || i == 13 || i == 18 || i == 23) {
                        if (p[i] != '-')
                                return -1;
                        continue;
                }
                int hi = hexval((unsigned char)p[i]), lo = hexval((unsigned char)p[i + 1]);
                if (hi < 0 || lo < 0)
                        return -1;
                raw[k++] = (uint8_t)(hi << 4 | lo);
                i++;
        }
        /* Data1, Data2 and Data3 little-endian, the last 8 bytes as written. */
        out[0] = raw[3]; out[1] = raw[2]; out[2] = raw[1]; out[3] = raw[0];
        out[4] = raw[5]; out[5] = raw[4];
        out[6] = raw[7]; out[7] = raw[6];
        memcpy(out + 8, raw + 8, 8);
        return 0;
}

/* PLP: total length, chunks of at most 64 KiB, zero terminator. */
static void put_plp(struct retl_wbuf *wb, const uint8_t *p, size_t n)
{
        retl_wbuf_u64le(wb, n);
        while (n) {
                size_t c = n > 65536 ? 65536 : n;
                retl_wbuf_u32le(wb, (uint32_t)c);
                retl_wbuf_put(wb, p, c);
                p += c;
                n -= c;
        }
        retl_wbuf_u32le(wb, 0);
}

int retl_mssql_encode_binary(const struct retl_mssql_type *t, const struct retl_mssql_value *v,
                             struct retl_wbuf *wb, struct retl_mssql_error *err)
{
        uint8_t be[8];
        const uint8_t *p = v->v_ptr;
        size_t n = v->v_len;

        if (v->v_type == SQLITE_INTEGER) {
                /* CONVERT(varbinary, bigint): 8 bytes, big-endian */
                for (int i = 0; i < 8; i++)
                        be[i] = (uint8_t)((uint64_t)v->v_int >> (56 - 8 * i));
                p = be;
                n = 8;
        } else if (v->v_type == SQLITE_FLOAT) {
                retl_mssql_error_conversion(err, v, t);
                return -1;
        }
        if (!p)
                p = (const uint8_t *)"";
        if (retl_mssql_type_is_plp(t)) {
                put_plp(wb, p, n);
                return 0;
        }
        if (n > (size_t)t->mt_length) {
                retl_mssql_error_truncation(err);
                return -1;
        }
        if (t->mt_kind == RETL_MT_BINARY) {
                retl_wbuf_u16le(wb, (unsigned)t->mt_length);
                retl_wbuf_put(wb, p, n);
                for (size_t i = n; i < (size_t)t->mt_length; i++)
                        retl_wbuf_u8(wb, 0);
        } else {
                retl_wbuf_u16le(wb, (unsigned)n);
                retl_wbuf_put(wb, p, n);
        }
        return 0;
}

int retl_mssql_encode_guid(const struct retl_mssql_type *t, const struct retl_mssql_value *v,
                           struct retl_wbuf *wb, struct retl_mssql_error *err)
{
        uint8_t guid[16];

        if (parse_guid(v, guid)) {
                retl_mssql_error_conversion(err, v, t);
                return -1;
        }
        retl_wbuf_u8(wb, 16);
        retl_wbuf_put(wb, guid, 16);
        return 0;
}
