/* retl — configuration values: names, durations and times, see cfg_value.h. */
#include "cfg_value.h"
#include "cfg.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int retl_cfg_value_name_ok(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > 100)
                return 0;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
                        return 0;
        return 1;
}

int retl_cfg_parse_duration(const char *s, int64_t *seconds)
{
        char *end;
        long long n;
        int64_t mul = 1;

        if (!s || !isdigit((unsigned char)*s))
                return -1;
        errno = 0;
        n = strtoll(s, &end, 10);
        if (errno || n < 0)
                return -1;
        switch (*end) {
        case 's': mul = 1; break;
        case 'm': mul = 60; break;
        case 'h': mul = 3600; break;
        case 'd': mul = 86400; break;
        default: return -1; /* a unit is required: "5" could be seconds or minutes */
        }
        if (end[1])
                return -1;
        if (n > INT64_MAX / mul)
                return -1;
        *seconds = (int64_t)n * mul;
        return 0;
}

static int parse_digits(const char **p, int n, int *out)
{
        int v = 0;
        for (int i = 0; i < n; i++) {
                if (!isdigit((unsigned char)(*p)[i]))
                        return -1;
                v = v * 10 + ((*p)[i] - '0');
        }
        *p += n;
        *out = v;
        return 0;
}

int retl_cfg_parse_time(const char *s, int64_t *unix_seconds)
{
        struct tm tm;
        int y, mo, d, h = 0, mi = 0, sec = 0, off = 0;
        const char *p = s;

        if (!s)
                return -1;
        if (!strcmp(s, "now")) {
                *unix_seconds = (int64_t)time(NULL);
                return 0;
        }
        if (parse_digits(&p, 4, &y) || *p++ != '-' || parse_digits(&p, 2, &mo) || *p++ != '-' ||
            parse_digits(&p, 2, &d))
                return -1;
        if (*p == 'T' || *p == ' ') {
                p++;
                if (parse_digits(&p, 2, &h) || *p++ != ':' || parse_digits(&p, 2, &mi))
                        return -1;
                if (*p == ':') {
                        p++;
                        if (parse_digits(&p, 2, &sec))
                                return -1;
                }
        }
        if (*p == 'Z') {
                p++;
        } else if (*p == '+' || *p == '-') {
                int sign = *p == '-' ? -1 : 1, oh, om;
                p++;
                if (parse_digits(&p, 2, &oh))
                        return -1;
                if (*p == ':')
                        p++;
                if (parse_digits(&p, 2, &om))
                        return -1;
                off = sign * (oh * 3600 + om * 60);
        }
        if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
                return -1;
        memset(&tm, 0, sizeof(tm));
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = sec;
        *unix_seconds = (int64_t)timegm(&tm) - off;
        return 0;
}
