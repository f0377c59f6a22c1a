/* retl — Prometheus metrics and health endpoints for the daemons.
 *
 * One HTTP listener (libmicrohttpd, its own thread) serves
 *   /metrics  the Prometheus text format (version 0.0.4)
 *   /healthz  200 while the daemon's main loop beats (retl_metrics_beat),
 *             503 when it has not beaten for the stall limit
 *   /readyz   200 once the daemon says it is ready, 503 with the reason before
 * Every function takes a NULL registry and then does nothing, so daemons call
 * them whether metrics are configured or not. Thread-safe. */
#ifndef RETL_METRICS_H
#define RETL_METRICS_H

#include <stddef.h>

enum retl_metric_type { RETL_COUNTER, RETL_GAUGE, RETL_HISTOGRAM };

struct retl_metrics;

/** @brief A registry; when @p listen ("host:port", port 0 = any free one)
 *  is not NULL, also the HTTP listener. @p stall_s: /healthz fails after
 *  that many seconds without a beat.
 *  @returns NULL with the reason in errstr. */
struct retl_metrics *retl_metrics_new(const char *listen, int stall_s, char *errstr,
                                      size_t errstr_size);
void retl_metrics_destroy(struct retl_metrics *m);

/** @brief The port the listener is bound to (0 without a listener). */
int retl_metrics_port(const struct retl_metrics *m);

/** @brief Declares a family once: name, type, help text. Histograms get the
 *  latency buckets 5 ms .. 60 s. */
void retl_metrics_declare(struct retl_metrics *m, const char *name, enum retl_metric_type type,
                          const char *help);

/** @brief Adds to a counter. @p labels is the Prometheus label set without
 *  braces, e.g. "sync=\"people\"" (NULL or "" = none); label values must be
 *  escaped by the caller with retl_metrics_label(). */
void retl_metrics_add(struct retl_metrics *m, const char *name, const char *labels, double v);
void retl_metrics_set(struct retl_metrics *m, const char *name, const char *labels, double v);
void retl_metrics_observe(struct retl_metrics *m, const char *name, const char *labels,
                          double v);

/** @brief Writes `key="escaped value"` into @p out. */
void retl_metrics_label(char *out, size_t outsize, const char *key, const char *value);

/** @brief The main loop is alive. */
void retl_metrics_beat(struct retl_metrics *m);
/** @brief Ready (1) or not (0, with a reason shown by /readyz). */
void retl_metrics_ready(struct retl_metrics *m, int ready, const char *why);

/** @brief The exposition text (what /metrics serves); free() it. */
char *retl_metrics_render(struct retl_metrics *m);

#endif
