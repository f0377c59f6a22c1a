/* retl console — the chart of a sync's imports (rows and duration), drawn as SVG. */
#ifndef RETL_CONSOLE_SVG_H
#define RETL_CONSOLE_SVG_H

#include "cli/console_html.h"

#include <stddef.h>
#include <stdint.h>

/* One import, as the chart shows it. */
struct retl_chart_point {
        int64_t start_ms;
        int64_t imported, failed;       /* the bar: imported, failed on top */
        int64_t duration_ms;            /* the line */
};

/** @brief Appends an inline <svg> of @p n imports, oldest first (at most the
 *  last RETL_CHART_MAX are drawn); nothing drawn from data is left unescaped. */
void retl_console_svg_chart(struct retl_html *h, const struct retl_chart_point *pts, size_t n);

#define RETL_CHART_MAX 60

#endif
