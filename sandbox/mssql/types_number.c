/* retl-mssql-standin — integers, bit, decimal/numeric, money and floats in
 * their TDS wire form (INTN, BITN, DECIMALN/NUMERICN, MONEYN, FLTN). */
#include "sandbox/mssql/types_number.h"
#include "sandbox/mssql/types_convert.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sqlite3.h>

/* unsigned __int128 holds the 38 digits of DECIMAL(38,s). */
__extension__ typedef unsigned __int128 u128;

unsigned retl_mssql_decimal_size(int precision)
{
        if (precision <= 9)
                return 5;
        if (precision <= 19)
                return 9;
        if (precision <= 28)
                return 13;
        return 17;
}

/* Parses decimal text (optional exponent) into a magnitude scaled by
 * 10^scale, rounding half away from zero. @returns 0, -1 syntax, -2 more
 * than 38 digits. */
static int parse_decimal(const char *s, int scale, u128 *mag, int *neg)
{
        char digits[80];
        int nd = 0, point = -1, exp10 = 0, seen = 0;
        const char *p = s;
        u128 m = 0;
        int keep, i;

        *neg = 0;
        if (*p == '+' || *p == '-')
                *neg = *p++ == '-';
        for (; *p; p++) {
                if (isdigit((unsigned char)*p)) {
                        seen = 1;
                        if (nd == 0 && *p == '0' && point < 0)
                                continue; /* leading zero */
                        if (nd >= (int)sizeof(digits) - 1)
                                return -2;
                        digits[nd++] = *p;
                } else if (*p == '.' && point < 0) {
                        point = nd;
                } else {
                        break;
                }
        }
        if (!seen)
                return -1;
        if (*p == 'e' || *p == 'E') {
                char *end;
                long e = strtol(p + 1, &end, 10);
                if (end == p + 1 || e < -100 || e > 100)
                        return -1;
                exp10 = (int)e;
                p = end;
        }
        if (*p)
                return -1;
        if (point < 0)
                point = nd;
        point += exp10;
        /* digits[0..nd) with the decimal point after digit index point-1 */
        keep = point + scale; /* digits that make the scaled integer */
        if (keep > 38)
                return -2;
        for (i = 0; i < keep; i++)
                m = m * 10 + (u128)(i >= 0 && i < nd ? digits[i] - '0' : 0);
        if (keep >= 0 && keep < nd && digits[keep] >= '5')
                m++;
        else if (keep < 0)
                m = 0;
        *mag = m;
        if (m == 0)
                *neg = 0;
        return 0;
}

static u128 pow10_u128(int n)
{
        u128 v = 1;
        while (n-- > 0)
                v *= 10;
        return v;
}

/* Number of the value into a scaled magnitude; handles every storage class. */
static int value_decimal(const struct retl_mssql_value *v, int scale, u128 *mag,
                         int *neg)
{
        char buf[128];

        switch (v->v_type) {
        case SQLITE_INTEGER: {
                uint64_t a = v->v_int < 0 ? (uint64_t)0 - (uint64_t)v->v_int
                                          : (uint64_t)v->v_int;
                *neg = v->v_int < 0;
                if (scale > 19)
                        return -2;
                *mag = (u128)a * pow10_u128(scale);
                return 0;
        }
        case SQLITE_FLOAT:
                if (!isfinite(v->v_real))
                        return -1;
                if (fabs(v->v_real) >= 1e38)
                        return -2;
                snprintf(buf, sizeof(buf), "%.*f", scale, v->v_real);
                return parse_decimal(buf, scale, mag, neg);
        case SQLITE_TEXT:
                if (!retl_mssql_value_trimmed(v->v_ptr, v->v_len, buf, sizeof(buf)))
                        return -1;
                return parse_decimal(buf, scale, mag, neg);
        default:
                return -1;
        }
}

static int value_int(const struct retl_mssql_value *v, int64_t *out)
{
        char buf[64], *end;

        switch (v->v_type) {
        case SQLITE_INTEGER:
                *out = v->v_int;
                return 0;
        case SQLITE_FLOAT:
                /* float to int truncates, as CONVERT(int, 1.9e0) does */
                if (!(v->v_real > -9223372036854775808.0 &&
                      v->v_real < 9223372036854775808.0))
                        return -2;
                *out = (int64_t)v->v_real;
                return 0;
        case SQLITE_TEXT: {
                long long r;
                if (!retl_mssql_value_trimmed(v->v_ptr, v->v_len, buf, sizeof(buf)) || !buf[0])
                        return -1;
                for (const char *p = buf + (buf[0] == '-' || buf[0] == '+'); *p; p++)
                        if (!isdigit((unsigned char)*p))
                                return -1;
                errno = 0;
                r = strtoll(buf, &end, 10);
                if (errno == ERANGE)
                        return -2;
                if (end == buf || *end)
                        return -1;
                *out = r;
                return 0;
        }
        default:
                return -1;
        }
}

static int value_real(const struct retl_mssql_value *v, double *out)
{
        char buf[128], *end;

        switch (v->v_type) {
        case SQLITE_INTEGER:
                *out = (double)v->v_int;
                return 0;
        case SQLITE_FLOAT:
                *out = v->v_real;
                return isfinite(v->v_real) ? 0 : -1;
        case SQLITE_TEXT:
                if (!retl_mssql_value_trimmed(v->v_ptr, v->v_len, buf, sizeof(buf)) || !buf[0])
                        return -1;
                *out = strtod(buf, &end);
                if (*end || !isfinite(*out) || isalpha((unsigned char)buf[0]) ||
                    strchr(buf, 'x') || strchr(buf, 'X') || strchr(buf, 'n') ||
                    strchr(buf, 'N'))
                        return -1;
                return 0;
        default:
                return -1;
        }
}

int retl_mssql_encode_int(const struct retl_mssql_type *t, const struct retl_mssql_value *v,
                          struct retl_wbuf *wb, struct retl_mssql_error *err)
{
        static const int64_t lo[] = {0, -32768, INT32_MIN, INT64_MIN};
        static const int64_t hi[] = {255, 32767, INT32_MAX, INT64_MAX};
        static const unsigned sz[] = {1, 2, 4, 8};
        int k = t->mt_kind - RETL_MT_TINYINT;
        int64_t i64;
        int rc = value_int(v, &i64);

        if (rc == -1) {
                retl_mssql_error_conversion(err, v, t);
                return -1;
        }
        if (rc == -2 || i64 < lo[k] || i64 > hi[k]) {
                retl_mssql_error_overflow(err, t);
                return -1;
        }
        retl_wbuf_u8(wb, sz[k]);
        retl_wbuf_uintle(wb, (uint64_t)i64, sz[k]);
        return 0;
}

int retl_mssql_encode_bit(const struct retl_mssql_type *t, const struct retl_mssql_value *v,
                          struct retl_wbuf *wb, struct retl_mssql_error *err)
{
        int64_t i64;

        if (v->v_type == SQLITE_TEXT) {
                char buf[16];
                if (retl_mssql_value_trimmed(v->v_ptr, v->v_len, buf, sizeof(buf)) &&
                    (strcasecmp(buf, "true") == 0 || strcasecmp(buf, "false") == 0)) {
                        retl_wbuf_u8(wb, 1);
                        retl_wbuf_u8(wb, strcasecmp(buf, "true") == 0);
                        return 0;
                }
        }
        if (v->v_type == SQLITE_FLOAT) {
                retl_wbuf_u8(wb, 1);
                retl_wbuf_u8(wb, v->v_real != 0);
                return 0;
        }
        if (value_int(v, &i64)) {
                retl_mssql_error_conversion(err, v, t);
                return -1;
        }
        retl_wbuf_u8(wb, 1);
        retl_wbuf_u8(wb, i64 != 0);
        return 0;
}

int retl_mssql_encode_decimal(const struct retl_mssql_type *t, const struct retl_mssql_value *v,
                              struct retl_wbuf *wb, struct retl_mssql_error *err)
{
        unsigned size = retl_mssql_decimal_size(t->mt_precision);
        u128 mag;
        int neg;
        int rc = value_decimal(v, t->mt_scale, &mag, &neg);

        if (rc == -1) {
                retl_mssql_error_conversion(err, v, t);
                return -1;
        }
        if (rc == -2 || mag >= pow10_u128(t->mt_precision)) {
                retl_mssql_error_overflow(err, t);
                return -1;
        }
        retl_wbuf_u8(wb, size);
        retl_wbuf_u8(wb, neg ? 0 : 1);
        retl_wbuf_uintle(wb, (uint64_t)mag, size - 1 > 8 ? 8 : size - 1);
        if (size - 1 > 8)
                retl_wbuf_uintle(wb, (uint64_t)(mag >> 64), size - 9);
        return 0;
}

int retl_mssql_encode_money(const struct retl_mssql_type *t, const struct retl_mssql_value *v,
                            struct retl_wbuf *wb, struct retl_mssql_error *err)
{
        int small = t->mt_kind == RETL_MT_SMALLMONEY;
        u128 mag;
        int neg;
        int64_t i64;
        int rc = value_decimal(v, 4, &mag, &neg);

        if (rc == -1) {
                retl_mssql_error_conversion(err, v, t);
                return -1;
        }
        if (rc == -2 || mag > (small ? (u128)INT32_MAX + neg
                                     : (u128)INT64_MAX + neg)) {
                retl_mssql_error_overflow(err, t);
                return -1;
        }
        i64 = neg ? (int64_t)(0 - (uint64_t)mag) : (int64_t)(uint64_t)mag;
        if (small) {
                retl_wbuf_u8(wb, 4);
                retl_wbuf_u32le(wb, (uint32_t)(int32_t)i64);
        } else {
                /* MONEY: high 32 bits first, then the low 32 */
                retl_wbuf_u8(wb, 8);
                retl_wbuf_u32le(wb, (uint32_t)((uint64_t)i64 >> 32));
                retl_wbuf_u32le(wb, (uint32_t)(uint64_t)i64);
        }
        return 0;
}

int retl_mssql_encode_float(const struct retl_mssql_type *t, const struct retl_mssql_value *v,
                            struct retl_wbuf *wb, struct retl_mssql_error *err)
{
        double d;

        if (value_real(v, &d)) {
                retl_mssql_error_conversion(err, v, t);
                return -1;
        }
        if (t->mt_kind == RETL_MT_REAL) {
                float f = (float)d;
                uint32_t u;
                if (!isfinite(f)) {
                        retl_mssql_error_overflow(err, t);
                        return -1;
                }
                memcpy(&u, &f, 4);
                retl_wbuf_u8(wb, 4);
                retl_wbuf_u32le(wb, u);
        } else {
                uint64_t u;
                memcpy(&u, &d, 8);
                retl_wbuf_u8(wb, 8);
                retl_wbuf_u64le(wb, u);
        }
        return 0;
}
