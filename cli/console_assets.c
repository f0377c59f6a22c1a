/* retl console — the stylesheet and the one small script (live progress),
 * served by the console itself: nothing is loaded from elsewhere. */
#include "cli/console_int.h"
#include "lib/mem.h"

#include <string.h>

static const char css[] =
        "body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}\n"
        "header{background:#263238;color:#fff;padding:10px 20px;display:flex;gap:24px}\n"
        "header a{color:#fff;text-decoration:none}.brand{font-weight:bold}\n"
        "main{padding:16px 20px;max-width:1200px}\n"
        "h1 .name{font-family:monospace}\n"
        "table{border-collapse:collapse;background:#fff;margin-bottom:16px}\n"
        "th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}\n"
        "th{background:#eceff1}.num{text-align:right}.time{white-space:nowrap}\n"
        ".badge{border-radius:3px;padding:1px 6px;font-size:12px;color:#fff;background:#757575}\n"
        ".st-completed{background:#2e7d32}.st-running{background:#1565c0}\n"
        ".st-some-rows-failed{background:#ef6c00}.st-failed{background:#c62828}\n"
        ".st-skipped,.st-paused,.st-rejected{background:#757575}.st-held{background:#6a1b9a}\n"
        ".why{color:#c62828}.ok{color:#2e7d32}.note{color:#666;font-size:12px}\n"
        ".reason{font-family:monospace;white-space:pre-wrap}\n"
        "dl.facts{display:grid;grid-template-columns:max-content auto;gap:2px 16px}\n"
        "dl.facts dt{color:#666}dl.facts dd{margin:0}\n"
        "#progress{background:#e3f2fd;padding:4px 12px;border-radius:4px}\n"
        "pre{background:#fff;border:1px solid #ddd;padding:8px;overflow:auto}\n"
        ".button,button{display:inline-block;background:#1565c0;color:#fff;border:0;"
        "padding:6px 12px;border-radius:3px;text-decoration:none;font-size:14px}\n"
        "figure{margin:0}svg.chart{background:#fff;border:1px solid #ddd}\n"
        ".key{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px}\n"
        ".key.imp{background:#66bb6a}.key.fail{background:#e53935}.key.dur{background:#1565c0}\n";

/* Polls the sync's progress and writes the figures with textContent, so
 * nothing from the server is ever parsed as markup. */
static const char js[] =
        "'use strict';\n"
        "(function () {\n"
        "  var box = document.getElementById('progress');\n"
        "  if (!box || !window.fetch) return;\n"
        "  var url = '/progress?sync=' + encodeURIComponent(box.dataset.sync);\n"
        "  var fmt = function (n) { return Number(n).toLocaleString('en-US'); };\n"
        "  var set = function (id, v) { document.getElementById(id).textContent = v; };\n"
        "  var tick = function () {\n"
        "    fetch(url, {credentials: 'same-origin', cache: 'no-store'})\n"
        "      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })\n"
        "      .then(function (p) {\n"
        "        set('p-state', p.running ? 'running' : 'none running');\n"
        "        set('p-rows', fmt(p.running ? p.rows : 0));\n"
        "        set('p-imported', fmt(p.running ? p.imported : 0));\n"
        "        set('p-failed', fmt(p.running ? p.failed : 0));\n"
        "        set('p-pending', fmt(p.pending));\n"
        "        set('p-note', 'Live: updated ' + new Date().toLocaleTimeString());\n"
        "        box.dataset.updated = String(Date.now());\n"
        "      })\n"
        "      .catch(function (e) { set('p-note', 'Live updates paused: ' + e.message); })\n"
        "      .then(function () { setTimeout(tick, 2000); });\n"
        "  };\n"
        "  tick();\n"
        "})();\n";

void retl_console_asset(const char *path, struct retl_console_resp *rs)
{
        int is_css = !strcmp(path, "/console.css");
        rs->status = 200;
        rs->type = is_css ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8";
        rs->body = retl_strdup(is_css ? css : js);
        rs->len = strlen(rs->body);
}
