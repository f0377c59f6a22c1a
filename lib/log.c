/* retl — logging, see log.h. */
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/time.h>

volatile int retl_log_threshold = RETL_LOG_INFO;

static const char *const level_names[] = {"ERROR", "WARN ", "INFO ", "DEBUG"};

void retl_log_set_level(enum retl_log_level lvl)
{
        retl_log_threshold = (int)lvl;
}

int retl_log_parse_level(const char *name)
{
        static const char *const names[] = {"error", "warn", "info", "debug"};
        for (int i = 0; i < 4; i++)
                if (name && strcmp(name, names[i]) == 0)
                        return i;
        return -1;
}

void retl_log_vwrite(enum retl_log_level lvl, const char *ctx, const char *fmt,
                     va_list ap)
{
        char line[4096];
        struct timeval tv;
        struct tm tm;
        size_t n;
        int r;

        gettimeofday(&tv, NULL);
        gmtime_r(&tv.tv_sec, &tm);
        n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
        r = snprintf(line + n, sizeof(line) - n, ".%03dZ %s %s%s", (int)(tv.tv_usec / 1000),
                     level_names[lvl < 0 || lvl > 3 ? 0 : lvl], ctx ? ctx : "",
                     ctx && *ctx ? ": " : "");
        if (r > 0 && (size_t)r < sizeof(line) - n)
                n += (size_t)r;
        r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
        if (r < 0)
                r = 0;
        n += (size_t)r;
        if (n >= sizeof(line) - 1)
                n = sizeof(line) - 2; /* truncated: keep one line */
        /* One event, one line: fold embedded newlines from library messages. */
        for (size_t i = 0; i < n; i++)
                if (line[i] == '\n' || line[i] == '\r')
                        line[i] = ' ';
        line[n++] = '\n';
        /* A single write keeps lines from threads whole. */
        fwrite(line, 1, n, stderr);
        fflush(stderr);
}

void retl_log_write(enum retl_log_level lvl, const char *ctx, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        retl_log_vwrite(lvl, ctx, fmt, ap);
        va_end(ap);
}
