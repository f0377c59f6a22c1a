/* retl-mssql-standin — char, varchar, nchar and nvarchar values: CP1252 or
 * UTF-16LE, blank padding, length checks, and PLP for the MAX types. */
#include "sandbox/mssql/types_string.h"
#include "sandbox/mssql/types_convert.h"

#include <string.h>

int retl_mssql_encode_string(const struct retl_mssql_type *t, const struct retl_mssql_value *v,
                             struct retl_wbuf *wb, struct retl_mssql_error *err)
{
        char tmp[64];
        size_t n, at = wb->wb_len, units, bytes;
        const uint8_t *s = retl_mssql_value_text(v, tmp, sizeof(tmp), &n);
        int wide = t->mt_kind == RETL_MT_NCHAR || t->mt_kind == RETL_MT_NVARCHAR;
        int plp = retl_mssql_type_is_plp(t);
        size_t hdr = plp ? 8 : 2;

        /* Placeholder for the length, then the text, then fix it up. */
        for (size_t i = 0; i < hdr; i++)
                retl_wbuf_u8(wb, 0);
        if (wide)
                units = retl_utf8_to_utf16le(wb, s, n);
        else
                units = retl_utf8_to_cp1252(wb, s, n);
        if (wb->wb_over)
                return 0;
        if (t->mt_length != RETL_MT_MAX && units > (size_t)t->mt_length) {
                retl_mssql_error_truncation(err);
                return -1;
        }
        if (t->mt_kind == RETL_MT_CHAR || t->mt_kind == RETL_MT_NCHAR) {
                for (; units < (size_t)t->mt_length; units++) {
                        retl_wbuf_u8(wb, ' ');
                        if (wide)
                                retl_wbuf_u8(wb, 0);
                }
        }
        bytes = wb->wb_len - at - hdr;
        if (!plp) {
                retl_wbuf_set_u16le(wb, at, (unsigned)bytes);
                return 0;
        }
        /* Rewrite as PLP: move the text behind the chunk headers. */
        {
                size_t chunks = bytes ? (bytes + 65535) / 65536 : 0;
                size_t extra = chunks * 4 + 4;
                size_t i;
                if (!retl_wbuf_reserve(wb, extra))
                        return 0;
                memmove(wb->wb_data + at + hdr + extra, wb->wb_data + at + hdr, bytes);
                wb->wb_len = at;
                retl_wbuf_u64le(wb, bytes);
                for (i = 0; i < chunks; i++) {
                        size_t off = i * 65536;
                        size_t c = bytes - off > 65536 ? 65536 : bytes - off;
                        retl_wbuf_u32le(wb, (uint32_t)c);
                        memmove(wb->wb_data + wb->wb_len,
                                wb->wb_data + at + hdr + extra + off, c);
                        wb->wb_len += c;
                }
                retl_wbuf_u32le(wb, 0);
        }
        return 0;
}
