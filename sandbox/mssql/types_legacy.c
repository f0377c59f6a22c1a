/* retl-mssql-standin — text, ntext, image, xml and sql_variant values and
 * TYPE_INFO, see types_legacy.h. */
#include "sandbox/mssql/types_legacy.h"
#include "sandbox/mssql/types_convert.h"
#include "sandbox/mssql/types_string.h"

#include <sqlite3.h>
#include <string.h>

/* The largest values SQL Server announces for each. */
#define TEXT_MAX 0x7FFFFFFFu
#define NTEXT_MAX 0x7FFFFFFEu
#define VARIANT_MAX 8016u
#define VARIANT_DATA_MAX 8000u  /* a variant's value, without its header */

/* US_VARCHAR: a count of UTF-16 units, then the units. */
static void put_us_varchar(struct retl_wbuf *wb, const char *s)
{
        size_t at = wb->wb_len, units;

        retl_wbuf_u16le(wb, 0);
        units = retl_utf8_to_utf16le(wb, (const uint8_t *)s, strlen(s));
        if (!wb->wb_over)
                retl_wbuf_set_u16le(wb, at, (unsigned)units);
}

/* TableName of TDS 7.2+: NumParts, then each part (schema, table). An
 * expression's value has no table: no parts. */
static void put_table_name(const struct retl_mssql_type *t, struct retl_wbuf *wb)
{
        if (!t->mt_table) {
                retl_wbuf_u8(wb, 0);
                return;
        }
        retl_wbuf_u8(wb, 2);
        put_us_varchar(wb, "dbo");
        put_us_varchar(wb, t->mt_table);
}

void retl_mssql_legacy_type_info(const struct retl_mssql_type *t, struct retl_wbuf *wb)
{
        switch (t->mt_kind) {
        case RETL_MT_TEXT:
        case RETL_MT_NTEXT:
                retl_wbuf_u8(wb, t->mt_kind == RETL_MT_TEXT ? TDS_T_TEXT : TDS_T_NTEXT);
                retl_wbuf_u32le(wb, t->mt_kind == RETL_MT_TEXT ? TEXT_MAX : NTEXT_MAX);
                retl_wbuf_put(wb, retl_tds_collation, 5);
                put_table_name(t, wb);
                break;
        case RETL_MT_IMAGE:
                retl_wbuf_u8(wb, TDS_T_IMAGE);
                retl_wbuf_u32le(wb, TEXT_MAX);
                put_table_name(t, wb);
                break;
        case RETL_MT_XML:
                retl_wbuf_u8(wb, TDS_T_XML);
                retl_wbuf_u8(wb, 0);    /* SCHEMA_PRESENT: no schema collection */
                break;
        case RETL_MT_SQL_VARIANT:
                retl_wbuf_u8(wb, TDS_T_VARIANT);
                retl_wbuf_u32le(wb, VARIANT_MAX);
                break;
        default:
                break;
        }
}

static void set_u32le(struct retl_wbuf *wb, size_t at, uint32_t v)
{
        for (int i = 0; i < 4; i++)
                wb->wb_data[at + (size_t)i] = (uint8_t)(v >> (8 * i));
}

/* text, ntext, image: TEXTPTR (its length, 16 bytes), a timestamp, then
 * the value with its LONGLEN length. */
static int encode_blob(const struct retl_mssql_type *t, const struct retl_mssql_value *v,
                       struct retl_wbuf *wb, struct retl_mssql_error *err)
{
        static const uint8_t textptr[16], timestamp[8];
        char tmp[64];
        size_t n, at;
        const uint8_t *p;

        if (t->mt_kind == RETL_MT_IMAGE && v->v_type != SQLITE_BLOB &&
            v->v_type != SQLITE_TEXT) {
                retl_mssql_error_conversion(err, v, t);
                return -1;
        }
        p = t->mt_kind == RETL_MT_IMAGE ? v->v_ptr : retl_mssql_value_text(v, tmp, sizeof(tmp), &n);
        if (t->mt_kind == RETL_MT_IMAGE)
                n = v->v_len;
        retl_wbuf_u8(wb, sizeof(textptr));
        retl_wbuf_put(wb, textptr, sizeof(textptr));
        retl_wbuf_put(wb, timestamp, sizeof(timestamp));
        at = wb->wb_len;
        retl_wbuf_u32le(wb, 0);
        if (t->mt_kind == RETL_MT_TEXT)
                retl_utf8_to_cp1252(wb, p, n);
        else if (t->mt_kind == RETL_MT_NTEXT)
                retl_utf8_to_utf16le(wb, p, n);
        else if (n)
                retl_wbuf_put(wb, p, n);
        if (!wb->wb_over)
                set_u32le(wb, at, (uint32_t)(wb->wb_len - at - 4));
        return 0;
}

/* sql_variant: LONGLEN, the base type, its property bytes, the value. The
 * base type follows the stored value, as SQL Server keeps the type of what
 * was inserted: an integer is int (or bigint past int's range), a real is
 * float, text is nvarchar, a blob varbinary. */
static int encode_variant(const struct retl_mssql_type *t, const struct retl_mssql_value *v,
                          struct retl_wbuf *wb, struct retl_mssql_error *err)
{
        size_t at = wb->wb_len, data;

        retl_wbuf_u32le(wb, 0);
        switch (v->v_type) {
        case SQLITE_INTEGER:
                if (v->v_int >= INT32_MIN && v->v_int <= INT32_MAX) {
                        retl_wbuf_u8(wb, TDS_T_INT4);
                        retl_wbuf_u8(wb, 0);
                        retl_wbuf_u32le(wb, (uint32_t)(int32_t)v->v_int);
                } else {
                        retl_wbuf_u8(wb, TDS_T_INT8);
                        retl_wbuf_u8(wb, 0);
                        retl_wbuf_u64le(wb, (uint64_t)v->v_int);
                }
                break;
        case SQLITE_FLOAT: {
                uint64_t bits;
                memcpy(&bits, &v->v_real, sizeof(bits));
                retl_wbuf_u8(wb, TDS_T_FLT8);
                retl_wbuf_u8(wb, 0);
                retl_wbuf_u64le(wb, bits);
                break;
        }
        case SQLITE_TEXT: {
                size_t lenat;
                retl_wbuf_u8(wb, TDS_T_NVARCHAR);
                retl_wbuf_u8(wb, 7);    /* collation, maximum length */
                retl_wbuf_put(wb, retl_tds_collation, 5);
                lenat = wb->wb_len;
                retl_wbuf_u16le(wb, 0);
                retl_utf8_to_utf16le(wb, v->v_ptr, v->v_len);
                data = wb->wb_len - lenat - 2;
                if (!wb->wb_over && data > VARIANT_DATA_MAX)
                        goto too_long;
                if (!wb->wb_over)
                        retl_wbuf_set_u16le(wb, lenat, (unsigned)data);
                break;
        }
        case SQLITE_BLOB:
                if (v->v_len > VARIANT_DATA_MAX)
                        goto too_long;
                retl_wbuf_u8(wb, TDS_T_BIGVARBIN);
                retl_wbuf_u8(wb, 2);    /* maximum length */
                retl_wbuf_u16le(wb, (unsigned)v->v_len);
                retl_wbuf_put(wb, v->v_ptr, v->v_len);
                break;
        default:
                retl_mssql_error_conversion(err, v, t);
                return -1;
        }
        if (!wb->wb_over)
                set_u32le(wb, at, (uint32_t)(wb->wb_len - at - 4));
        return 0;
too_long:
        retl_mssql_error_set(err, 8152, 16, "String or binary data would be truncated: a "
                             "sql_variant holds at most 8000 bytes.");
        return -1;
}

int retl_mssql_encode_legacy(const struct retl_mssql_type *t, const struct retl_mssql_value *v,
                             struct retl_wbuf *wb, struct retl_mssql_error *err)
{
        struct retl_mssql_type nv = *t;

        switch (t->mt_kind) {
        case RETL_MT_TEXT:
        case RETL_MT_NTEXT:
        case RETL_MT_IMAGE:
                return encode_blob(t, v, wb, err);
        case RETL_MT_XML:
                /* UTF-16LE in PLP chunks, without a byte order mark, as an
                 * nvarchar(max) travels */
                nv.mt_kind = RETL_MT_NVARCHAR;
                nv.mt_length = RETL_MT_MAX;
                return retl_mssql_encode_string(&nv, v, wb, err);
        case RETL_MT_SQL_VARIANT:
                return encode_variant(t, v, wb, err);
        default:
                retl_mssql_error_conversion(err, v, t);
                return -1;
        }
}
