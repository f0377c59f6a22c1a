/* retl — `retl console`: a web console of the syncs, their imports and failed
 * rows, served by retl itself from what status and errors read (the Kafka
 * topics and the configuration). */
#include "cli/commands.h"
#include "cli/console_int.h"
#include "lib/args.h"
#include "lib/listen.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/signals.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
        stop = 1;
}

void retl_console_send_page(struct retl_console_resp *rs, struct retl_html *h)
{
        rs->body = retl_html_take(h, &rs->len);
        rs->status = 200;
        rs->type = "text/html; charset=utf-8";
}

void retl_console_send_error(struct retl_console_resp *rs, unsigned status, const char *title,
                             const char *message)
{
        struct retl_html p;
        retl_html_init(&p);
        retl_html_begin(&p, title);
        retl_html_raw(&p, "<h1>");
        retl_html_text(&p, title);
        retl_html_raw(&p, "</h1>\n<p class=\"why\">");
        retl_html_text(&p, message);
        retl_html_raw(&p, "</p>\n");
        retl_html_end(&p, 0);
        retl_console_send_page(rs, &p);
        rs->status = status;
}

static void route(void *ctx, const struct retl_console_req *rq, struct retl_console_resp *rs)
{
        struct retl_console *c = ctx;
        const char *path = rq->path;
        int post = !strcmp(rq->method, "POST");

        if (post && strcmp(path, "/replay") && strcmp(path, "/approve") && strcmp(path, "/reject"))
                retl_console_send_error(rs, 405, "Not allowed",
                                        "only the replay, approve and reject take a POST");
        else if (!strcmp(path, "/"))
                retl_console_page_syncs(c, rq, rs);
        else if (!strcmp(path, "/sync"))
                retl_console_page_sync(c, rq, rs);
        else if (!strcmp(path, "/progress"))
                retl_console_progress_json(c, rq, rs);
        else if (!strcmp(path, "/run"))
                retl_console_page_run(c, rq, rs);
        else if (!strcmp(path, "/run/errors.csv"))
                retl_console_run_csv(c, rq, rs);
        else if (!strcmp(path, "/replay"))
                retl_console_page_replay(c, rq, rs);
        else if (!strcmp(path, "/approve") || !strcmp(path, "/reject"))
                retl_console_page_decide(c, rq, rs);
        else if (!strcmp(path, "/console.css") || !strcmp(path, "/console.js"))
                retl_console_asset(path, rs);
        else
                retl_console_send_error(rs, 404, "Not found", "no such page");
}

/* The token: a file's content without its trailing newlines, like the
 * configuration's *_file secrets. @returns it (free it) or NULL. */
static char *read_token(const char *path, char *errstr, size_t errstr_size)
{
        FILE *f = fopen(path, "rb");
        char buf[4097];
        size_t n;

        if (!f) {
                snprintf(errstr, errstr_size, "--token-file %s: cannot read it", path);
                return NULL;
        }
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
                buf[--n] = '\0';
        if (n < 16 || strlen(buf) != n) {
                snprintf(errstr, errstr_size, "--token-file %s: the token must be at least 16 "
                         "characters of text", path);
                return NULL;
        }
        return retl_strdup(buf);
}

static int usage(FILE *out)
{
        fprintf(out,
                "usage: retl console -c FILE [--listen HOST:PORT] [--token-file FILE]\n"
                "                    [--port-file FILE]\n\n"
                "Serves a web console: every sync with its schedule, state, last import and\n"
                "lag; a sync's import history, chart, query and live progress; a run's failed\n"
                "rows with their CSV (as `retl errors` writes it); replaying a run; approving\n"
                "or rejecting a run its sync's guardrails hold. It reads\n"
                "the Kafka topics and the configuration, like `retl status`: no database\n"
                "credentials. Stops on SIGTERM or Ctrl-C.\n\n"
                "  -c, --config FILE   the configuration file\n"
                "  --listen HOST:PORT  where to listen (default 127.0.0.1:8480; port 0 = any\n"
                "                      free port, printed at start)\n"
                "  --token-file FILE   a file holding the token every request must carry, as\n"
                "                      \"Authorization: Bearer TOKEN\" or as basic auth's\n"
                "                      password; required unless HOST is a loopback address\n"
                "  --port-file FILE    write the bound port there once listening\n");
        return out == stdout ? 0 : 2;
}

int retl_console_main(int argc, char **argv)
{
        const char *path = NULL, *listen = "127.0.0.1:8480", *token_file = NULL;
        const char *port_file = NULL;
        struct retl_args ra = {"console", argc, argv, 1};
        struct retl_cfg *cfg = NULL;
        struct retl_console c;
        struct retl_console_http *http = NULL;
        char err[16384], *token = NULL;
        ssize_t n;
        int rc = 1;

        for (; ra.ra_i < argc; ra.ra_i++) {
                const char *arg = argv[ra.ra_i];
                int bad = 0;

                if (!strcmp(arg, "-h") || !strcmp(arg, "--help"))
                        return usage(stdout);
                else if (retl_args_is(&ra, "-c", "--config"))
                        bad = retl_args_value(&ra, &path);
                else if (retl_args_is(&ra, NULL, "--listen"))
                        bad = retl_args_value(&ra, &listen);
                else if (retl_args_is(&ra, NULL, "--token-file"))
                        bad = retl_args_value(&ra, &token_file);
                else if (retl_args_is(&ra, NULL, "--port-file"))
                        bad = retl_args_value(&ra, &port_file);
                else
                        return retl_args_unknown(&ra);
                if (bad)
                        return 2;
        }
        if (!path) {
                fprintf(stderr, "retl console: -c FILE is required (see --help)\n");
                return 2;
        }
        memset(&c, 0, sizeof(c));
        if (token_file && !(token = read_token(token_file, err, sizeof(err)))) {
                fprintf(stderr, "retl console: %s\n", err);
                return 1;
        }
        if (retl_cfg_load_secrets(path, RETL_CFG_SECRETS_KAFKA, &cfg, err, sizeof(err))) {
                fprintf(stderr, "%s\n", err);
                goto out;
        }
        n = readlink("/proc/self/exe", c.self_exe, sizeof(c.self_exe) - 1);
        if (n <= 0) {
                fprintf(stderr, "retl console: cannot tell where this program is\n");
                goto out;
        }
        c.self_exe[n] = '\0';
        c.cfg = cfg;
        c.cfg_path = path;
        c.reader = retl_kafka_consumer_new(&cfg->kafka, cfg->kafka.group, "retl-console", NULL,
                                           err, sizeof(err));
        if (!c.reader) {
                fprintf(stderr, "retl console: %s\n", err);
                goto out;
        }
        retl_signals_install(on_stop, NULL);
        http = retl_console_http_new(listen, token, route, &c, err, sizeof(err));
        if (!http) {
                fprintf(stderr, "retl console: %s\n", err);
                goto out;
        }
        c.csrf = retl_console_http_csrf(http);
        if (port_file && retl_listen_write_port(port_file, retl_console_http_port(http))) {
                fprintf(stderr, "retl console: cannot write %s\n", port_file);
                goto out;
        }
        {
                int hl = (int)(strrchr(listen, ':') - listen);
                int any = hl == 0 || (hl == 1 && *listen == '*');
                printf("retl console: serving http://%.*s:%d/%s\n", any ? 7 : hl,
                       any ? "0.0.0.0" : listen, retl_console_http_port(http),
                       token ? " (a token is required)" : "");
                fflush(stdout);
        }
        /* the server runs on its own thread; a signal may land on it, so look
         * at the flag every second rather than wait for a wake-up here */
        while (!stop)
                sleep(1);
        retl_log_info("console", "stopping");
        rc = 0;
out:
        retl_console_http_destroy(http);
        if (c.reader)
                rd_kafka_destroy(c.reader);
        retl_cfg_destroy(cfg);
        if (token) {
                memset(token, 0, strlen(token));
                free(token);
        }
        return rc;
}
