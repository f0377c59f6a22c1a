/* retl — allocation that never returns NULL, see mem.h. */
#include "mem.h"
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t size)
{
        retl_log_error("mem", "out of memory allocating %zu bytes", size);
        abort();
}

void *retl_malloc(size_t size)
{
        void *p = malloc(size ? size : 1);
        if (!p)
                oom(size);
        return p;
}

void *retl_calloc(size_t n, size_t size)
{
        void *p = calloc(n ? n : 1, size ? size : 1);
        if (!p)
                oom(n * size);
        return p;
}

void *retl_realloc(void *old, size_t size)
{
        void *p = realloc(old, size ? size : 1);
        if (!p)
                oom(size);
        return p;
}

char *retl_strdup(const char *s)
{
        return retl_strndup(s, strlen(s));
}

char *retl_strndup(const char *s, size_t n)
{
        char *p = retl_malloc(n + 1);
        memcpy(p, s, n);
        p[n] = '\0';
        return p;
}

char *retl_asprintf(const char *fmt, ...)
{
        va_list ap;
        int n;
        char *p;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0)
                n = 0;
        p = retl_malloc((size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf(p, (size_t)n + 1, fmt, ap);
        va_end(ap);
        return p;
}
