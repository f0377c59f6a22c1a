/* retl-mssql-standin — dates and times: ISO 8601 parsing, the civil
 * calendar, and DATEN, TIMEN, DATETIME2N, DATETIMEOFFSETN, DATETIMN. */
#include "sandbox/mssql/types_datetime.h"
#include "sandbox/mssql/types_convert.h"

#include <ctype.h>
#include <string.h>
#include <sqlite3.h>

unsigned retl_mssql_time_size(int scale)
{
        return scale <= 2 ? 3 : scale <= 4 ? 4 : 5;
}

int64_t retl_mssql_days_from_civil(int64_t y, unsigned m, unsigned d)
{
        /* Howard Hinnant's days_from_civil, shifted to 0001-01-01 = 0. */
        int64_t era, yoe, doy, doe;

        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = y - era * 400;
        doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468 + 719162;
}

void retl_mssql_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
        int64_t z = days - 719162 + 719468;
        int64_t era = (z >= 0 ? z : z - 146096) / 146097;
        int64_t doe = z - era * 146097;
        int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        int64_t mp = (5 * doy + 2) / 153;

        *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
        *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
        *y = yoe + era * 400 + (*m <= 2);
}

static int month_days(int64_t y, unsigned m)
{
        static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        return m == 2 && leap ? 29 : dm[m - 1];
}

/* Reads exactly @p w digits. */
static int digits_n(const char **p, const char *end, int w, int *out)
{
        int v = 0;
        for (int i = 0; i < w; i++) {
                if (*p >= end || !isdigit((unsigned char)**p))
                        return -1;
                v = v * 10 + (*(*p)++ - '0');
        }
        *out = v;
        return 0;
}

static int parse_time(const char **pp, const char *end, int64_t *ns)
{
        const char *p = *pp;
        int h, mi, s = 0;
        int64_t frac = 0, unit = 100000000;

        if (digits_n(&p, end, 2, &h) || p >= end || *p != ':')
                return -1;
        p++;
        if (digits_n(&p, end, 2, &mi))
                return -1;
        if (p < end && *p == ':') {
                p++;
                if (digits_n(&p, end, 2, &s))
                        return -1;
                if (p < end && *p == '.') {
                        p++;
                        if (p >= end || !isdigit((unsigned char)*p))
                                return -1;
                        while (p < end && isdigit((unsigned char)*p)) {
                                frac += (*p - '0') * unit;
                                unit /= 10;
                                p++;
                        }
                }
        }
        if (h > 23 || mi > 59 || s > 59)
                return -1;
        *ns = ((int64_t)h * 3600 + mi * 60 + s) * 1000000000LL + frac;
        *pp = p;
        return 0;
}

int retl_mssql_dt_parse(const char *s, size_t n, struct retl_mssql_dt *dt)
{
        const char *p = s, *end = s + n;
        int y, m, d;

        memset(dt, 0, sizeof(*dt));
        while (p < end && isspace((unsigned char)*p))
                p++;
        while (end > p && isspace((unsigned char)end[-1]))
                end--;
        if (end - p >= 10 && p[4] == '-') {
                if (digits_n(&p, end, 4, &y) || *p++ != '-' || digits_n(&p, end, 2, &m) ||
                    p >= end || *p++ != '-' || digits_n(&p, end, 2, &d))
                        return -1;
                if (y < 1 || m < 1 || m > 12 || d < 1 || d > month_days(y, (unsigned)m))
                        return -1;
                dt->dt_days = retl_mssql_days_from_civil(y, (unsigned)m, (unsigned)d);
                dt->dt_has_date = 1;
                if (p < end && (*p == 'T' || *p == ' ')) {
                        p++;
                        while (p < end && *p == ' ')
                                p++;
                        if (parse_time(&p, end, &dt->dt_ns))
                                return -1;
                        dt->dt_has_time = 1;
                }
        } else {
                if (parse_time(&p, end, &dt->dt_ns))
                        return -1;
                dt->dt_has_time = 1;
                dt->dt_days = retl_mssql_days_from_civil(1900, 1, 1);
        }
        while (p < end && *p == ' ')
                p++;
        if (p < end && (*p == 'Z' || *p == 'z')) {
                p++;
                dt->dt_has_offset = 1;
        } else if (p < end && (*p == '+' || *p == '-')) {
                int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
                if (digits_n(&p, end, 2, &oh))
                        return -1;
                if (p < end && *p == ':')
                        p++;
                if (p < end && digits_n(&p, end, 2, &om))
                        return -1;
                if (oh > 14 || om > 59 || oh * 60 + om > 14 * 60)
                        return -1;
                dt->dt_has_offset = 1;
                dt->dt_offset_min = sign * (oh * 60 + om);
        }
        return p == end ? 0 : -1;
}

static const int64_t NS_DAY = 86400LL * 1000000000LL;

/* Rounds the time of day to 10^-scale s, carrying into the date. */
static void round_scale(struct retl_mssql_dt *dt, int scale, int64_t *units)
{
        int64_t div = 1;
        for (int i = scale; i < 9; i++)
                div *= 10;
        *units = (dt->dt_ns + div / 2) / div;
        if (*units * div >= NS_DAY) {
                *units = 0;
                dt->dt_days++;
        }
        dt->dt_ns = *units * div;
}

static int value_dt(const struct retl_mssql_value *v, struct retl_mssql_dt *dt)
{
        if (v->v_type != SQLITE_TEXT)
                return -1;
        return retl_mssql_dt_parse((const char *)v->v_ptr, v->v_len, dt);
}

static int encode_datetime(const struct retl_mssql_type *t, struct retl_mssql_dt *dt,
                           struct retl_wbuf *wb)
{
        int64_t units, base = retl_mssql_days_from_civil(1900, 1, 1);

        switch (t->mt_kind) {
        case RETL_MT_DATE:
                if (dt->dt_has_time && !dt->dt_has_date)
                        return -1;
                retl_wbuf_u8(wb, 3);
                retl_wbuf_uintle(wb, (uint64_t)dt->dt_days, 3);
                return 0;
        case RETL_MT_TIME:
                if (!dt->dt_has_time && dt->dt_has_date)
                        dt->dt_ns = 0;
                round_scale(dt, t->mt_scale, &units);
                retl_wbuf_u8(wb, retl_mssql_time_size(t->mt_scale));
                retl_wbuf_uintle(wb, (uint64_t)units, retl_mssql_time_size(t->mt_scale));
                return 0;
        case RETL_MT_DATETIME2:
                round_scale(dt, t->mt_scale, &units);
                if (dt->dt_days > retl_mssql_days_from_civil(9999, 12, 31))
                        return -2;
                retl_wbuf_u8(wb, retl_mssql_time_size(t->mt_scale) + 3);
                retl_wbuf_uintle(wb, (uint64_t)units, retl_mssql_time_size(t->mt_scale));
                retl_wbuf_uintle(wb, (uint64_t)dt->dt_days, 3);
                return 0;
        case RETL_MT_DATETIMEOFFSET: {
                /* Date and time travel in UTC, then the offset. */
                int64_t div = 1;
                round_scale(dt, t->mt_scale, &units);
                dt->dt_ns -= (int64_t)dt->dt_offset_min * 60 * 1000000000LL;
                if (dt->dt_ns < 0) {
                        dt->dt_ns += NS_DAY;
                        dt->dt_days--;
                } else if (dt->dt_ns >= NS_DAY) {
                        dt->dt_ns -= NS_DAY;
                        dt->dt_days++;
                }
                if (dt->dt_days < 0 ||
                    dt->dt_days > retl_mssql_days_from_civil(9999, 12, 31))
                        return -2;
                for (int i = t->mt_scale; i < 9; i++)
                        div *= 10;
                retl_wbuf_u8(wb, retl_mssql_time_size(t->mt_scale) + 5);
                retl_wbuf_uintle(wb, (uint64_t)(dt->dt_ns / div),
                                 retl_mssql_time_size(t->mt_scale));
                retl_wbuf_uintle(wb, (uint64_t)dt->dt_days, 3);
                retl_wbuf_u16le(wb, (unsigned)(uint16_t)(int16_t)dt->dt_offset_min);
                return 0;
        }
        case RETL_MT_DATETIME: {
                /* 1/300 s ticks since midnight, days since 1900-01-01. */
                int64_t ticks = (dt->dt_ns * 3 + 5000000) / 10000000;
                int64_t days = dt->dt_days - base;
                if (ticks >= 300LL * 86400) {
                        ticks = 0;
                        days++;
                }
                if (days < retl_mssql_days_from_civil(1753, 1, 1) - base ||
                    days > retl_mssql_days_from_civil(9999, 12, 31) - base)
                        return -2;
                retl_wbuf_u8(wb, 8);
                retl_wbuf_u32le(wb, (uint32_t)(int32_t)days);
                retl_wbuf_u32le(wb, (uint32_t)ticks);
                return 0;
        }
        case RETL_MT_SMALLDATETIME: {
                /* 29.998 s rounds down, 29.999 s up, as in SQL Server */
                int64_t mins = (dt->dt_ns + 30001000000LL) / 60000000000LL;
                int64_t days = dt->dt_days - base;
                if (mins >= 1440) {
                        mins = 0;
                        days++;
                }
                if (days < 0 || days > 65535)
                        return -2;
                retl_wbuf_u8(wb, 4);
                retl_wbuf_u16le(wb, (unsigned)days);
                retl_wbuf_u16le(wb, (unsigned)mins);
                return 0;
        }
        default:
                return -1;
        }
}

int retl_mssql_encode_datetime(const struct retl_mssql_type *t,
                               const struct retl_mssql_value *v, struct retl_wbuf *wb,
                               struct retl_mssql_error *err)
{
        struct retl_mssql_dt dt;
        int rc;

        if (value_dt(v, &dt)) {
                retl_mssql_error_conversion(err, v, t);
                return -1;
        }
        rc = encode_datetime(t, &dt, wb);
        if (rc == -1) {
                retl_mssql_error_conversion(err, v, t);
                return -1;
        }
        if (rc == -2) {
                retl_mssql_error_set(err, 242, 16,
                        "The conversion of a varchar data type to a %s data type resulted in an out-of-range value.",
                        retl_mssql_type_kind_name(t->mt_kind));
                return -1;
        }
        return 0;
}
