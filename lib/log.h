/* retl — logging: one line per event on stderr.
 *
 * Lines look like
 *   2026-11-28T17:55:00.123Z INFO  extract sync=people run=people-1732816500: 1200 rows
 * The level test sits in the macro, so a muted level costs one comparison.
 * Never pass passwords, API keys, auth headers or row values above DEBUG. */
#ifndef RETL_LOG_H
#define RETL_LOG_H

#include <stdarg.h>

enum retl_log_level {
        RETL_LOG_ERROR = 0,
        RETL_LOG_WARN  = 1,
        RETL_LOG_INFO  = 2,
        RETL_LOG_DEBUG = 3,
};

/* The process-wide threshold; read by the macros, written only through
 * retl_log_set_level(). */
extern volatile int retl_log_threshold;

/** @brief Sets the threshold; messages above it are dropped. */
void retl_log_set_level(enum retl_log_level lvl);

/** @brief Parses "error", "warn", "info" or "debug".
 *  @returns the level, or -1 for anything else. */
int retl_log_parse_level(const char *name);

/** @brief Writes one line. @p ctx (may be NULL) names what the line is about,
 *  e.g. "extract sync=people run=r1"; callers keep it in a buffer per job. */
void retl_log_write(enum retl_log_level lvl, const char *ctx, const char *fmt,
                    ...) __attribute__((format(printf, 3, 4)));
void retl_log_vwrite(enum retl_log_level lvl, const char *ctx, const char *fmt,
                     va_list ap);

#define retl_log(lvl, ctx, ...)                                               \
        do {                                                                  \
                if ((int)(lvl) <= retl_log_threshold)                         \
                        retl_log_write((lvl), (ctx), __VA_ARGS__);            \
        } while (0)

#define retl_log_error(ctx, ...) retl_log(RETL_LOG_ERROR, ctx, __VA_ARGS__)
#define retl_log_warn(ctx, ...)  retl_log(RETL_LOG_WARN, ctx, __VA_ARGS__)
#define retl_log_info(ctx, ...)  retl_log(RETL_LOG_INFO, ctx, __VA_ARGS__)
#define retl_log_debug(ctx, ...) retl_log(RETL_LOG_DEBUG, ctx, __VA_ARGS__)

#endif
