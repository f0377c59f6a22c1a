/* retl console — the imports chart, see console_svg.h. */
#include "cli/console_svg.h"
#include "cli/history.h"

#define W 760
#define H 240
#define LEFT 64
#define RIGHT 64
#define TOP 16
#define BOTTOM 36

static void label(struct retl_html *h, int x, int y, const char *anchor, const char *text)
{
        retl_html_fmt(h, "<text x=\"%d\" y=\"%d\" text-anchor=\"%s\" font-size=\"11\" "
                      "fill=\"#555\">", x, y, anchor);
        retl_html_text(h, text);
        retl_html_raw(h, "</text>");
}

void retl_console_svg_chart(struct retl_html *h, const struct retl_chart_point *pts, size_t n)
{
        int64_t max_rows = 1, max_ms = 1;
        double slot, plot_h = H - TOP - BOTTOM;
        char t[32], d[32];

        if (n > RETL_CHART_MAX) {
                pts += n - RETL_CHART_MAX;
                n = RETL_CHART_MAX;
        }
        for (size_t i = 0; i < n; i++) {
                if (pts[i].imported + pts[i].failed > max_rows)
                        max_rows = pts[i].imported + pts[i].failed;
                if (pts[i].duration_ms > max_ms)
                        max_ms = pts[i].duration_ms;
        }
        slot = n ? (double)(W - LEFT - RIGHT) / (double)n : 1;
        retl_html_fmt(h, "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 %d %d\" width=\"%d\" "
                      "height=\"%d\" xmlns=\"http://www.w3.org/2000/svg\">", W, H, W, H);
        retl_html_raw(h, "<title>Rows (bars: imported, failed in red) and duration (line) per "
                         "import</title>");
        retl_html_fmt(h, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>", LEFT,
                      H - BOTTOM, W - RIGHT, H - BOTTOM);
        retl_html_fmt(h, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"11\" "
                      "fill=\"#2e7d32\">%lld rows</text>", LEFT - 6, TOP + 8, (long long)max_rows);
        label(h, LEFT - 6, H - BOTTOM, "end", "0");
        retl_history_fmt_duration(d, sizeof(d), max_ms);
        retl_html_fmt(h, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#1565c0\">",
                      W - RIGHT + 6, TOP + 8);
        retl_html_text(h, d);
        retl_html_raw(h, "</text>");
        if (!n)
                label(h, W / 2, H / 2, "middle", "no imports yet");
        for (size_t i = 0; i < n; i++) {
                const struct retl_chart_point *p = &pts[i];
                double bw = slot * 0.7 > 48 ? 48 : slot * 0.7;
                double x = LEFT + slot * ((double)i + 0.5) - bw / 2;
                double hi = plot_h * (double)p->imported / (double)max_rows;
                double hf = plot_h * (double)p->failed / (double)max_rows;
                double base = H - BOTTOM;

                retl_history_fmt_time(t, sizeof(t), p->start_ms / 1000);
                retl_history_fmt_duration(d, sizeof(d), p->duration_ms);
                retl_html_raw(h, "<g><title>");
                retl_html_text(h, t);
                retl_html_fmt(h, ": %lld imported, %lld failed, ", (long long)p->imported,
                              (long long)p->failed);
                retl_html_text(h, d);
                retl_html_raw(h, "</title>");
                retl_html_fmt(h, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                              "fill=\"#66bb6a\"/>", x, base - hi, bw, hi);
                if (p->failed)
                        retl_html_fmt(h, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                                      "height=\"%.1f\" fill=\"#e53935\"/>", x, base - hi - hf,
                                      bw, hf);
                retl_html_raw(h, "</g>");
        }
        if (n) {
                retl_html_raw(h, "<polyline fill=\"none\" stroke=\"#1565c0\" stroke-width=\"2\" "
                                 "points=\"");
                for (size_t i = 0; i < n; i++)
                        retl_html_fmt(h, "%s%.1f,%.1f", i ? " " : "",
                                      LEFT + slot * ((double)i + 0.5),
                                      H - BOTTOM - plot_h * (double)pts[i].duration_ms /
                                                           (double)max_ms);
                retl_html_raw(h, "\"/>");
                retl_history_fmt_time(t, sizeof(t), pts[0].start_ms / 1000);
                label(h, LEFT, H - BOTTOM + 16, "start", t);
                retl_history_fmt_time(t, sizeof(t), pts[n - 1].start_ms / 1000);
                label(h, W - RIGHT, H - BOTTOM + 16, "end", t);
        }
        retl_html_raw(h, "</svg>\n");
}
