/* retl sandbox — `retl sandbox`: a local Customer.io workspace speaking the
 * Track API subset retl's uploader uses. Startup, options, signals. */
#include "sandbox/track/sbx_main.h"
#include "sandbox/track/sbx_faults.h"
#include "sandbox/track/sbx_server.h"
#include "sandbox/track/sbx_ws.h"

#include "lib/args.h"
#include "lib/listen.h"
#include "lib/log.h"
#include "lib/mem.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_LISTEN "127.0.0.1:8087"
#define DEFAULT_CRED "sandbox"

static void usage(FILE *out)
{
        fprintf(out,
"usage: retl sandbox [OPTIONS]\n"
"\n"
"Runs a local Customer.io workspace: an HTTP server speaking the part of the\n"
"Track API that retl's uploader uses (POST /api/v2/batch, /api/v2/entity,\n"
"/api/v1/segments/{id}/add_customers and remove_customers) and applying a\n"
"workspace's rules: unique identifiers that cannot change once set, RFC 5322\n"
"emails, suppressed people, object types, manual segments. What landed is\n"
"shown at http://HOST:PORT/ and as JSON under /_sandbox/ (see\n"
"sandbox/track/README.md).\n"
"\n"
"Server:\n"
"  --listen HOST:PORT        IPv4 address and port (default " DEFAULT_LISTEN ");\n"
"                            port 0 picks a free one\n"
"  --port-file FILE          write the bound port (digits and a newline) to\n"
"                            FILE once listening, for scripts to wait on\n"
"  --threads N               serve with a pool of N threads (default 2);\n"
"                            0 = a thread per connection\n"
"  --log-level LEVEL         error, warn, info (default) or debug (one line\n"
"                            per request)\n"
"\n"
"Credentials (HTTP basic auth, site id : API key; wrong ones get 401):\n"
"  --site-id S               the site id (default \"" DEFAULT_CRED "\")\n"
"  --api-key-env VAR         read the API key from environment variable VAR\n"
"  --api-key-file FILE       read the API key from FILE (first line)\n"
"                            Without either, the key is \"" DEFAULT_CRED "\".\n"
"\n"
"App API (GET and POST /v1/segments: segments by name; Bearer key, wrong\n"
"ones get 401; at most 10 requests per second, then 429):\n"
"  --app-api-key-env VAR     read the App API key from environment variable VAR\n"
"  --app-api-key-file FILE   read the App API key from FILE (first line)\n"
"                            Without either, the key is \"" DEFAULT_CRED "\".\n"
"\n"
"Workspace settings:\n"
"  --identifiers id|email|both   which of id and email identify people\n"
"                            (default both)\n"
"  --allow-email-update-by-id    let an identify by id change a set email\n"
"  --object-types LIST       object type ids the workspace has, e.g. 1,2,3\n"
"                            (default 1)\n"
"  --segments LIST           manual segment ids that exist, e.g. 10,11\n"
"  --suppress id:X | email:X suppress a person's id or email; repeatable\n"
"  --state FILE              keep the workspace in SQLite FILE across\n"
"                            restarts (loaded at start, written at exit and\n"
"                            every --flush-interval seconds when changed)\n"
"  --flush-interval SEC      default 5; 0 writes only at exit\n"
"\n"
"Faults, for the Track API endpoints only (also settable at run time with\n"
"POST /_sandbox/faults):\n"
"  --rate-limit N[/s]        at most N requests per second, then 429 with\n"
"                            Retry-After\n"
"  --error-rate R            share (0..1) of requests answered with\n"
"                            --error-status, not applied\n"
"  --error-status N          500..599 (default 503)\n"
"  --latency-ms N            delay every answer by N ms\n"
"  --drop-rate R             share (0..1) of requests whose connection is\n"
"                            closed without an answer\n"
"  --seed N                  seed for the random faults\n"
"\n"
"  -h, --help                this text\n"
"\n"
"SIGINT or SIGTERM stop it (the state file is written first); a second one\n"
"exits at once.\n");
}

struct opts {
        const char *listen;
        const char *port_file;
        const char *site_id;
        const char *key_env;
        const char *key_file;
        const char *app_key_env;
        const char *app_key_file;
        const char *state;
        int flush_interval;
        int threads;
        int identifiers;
        int allow_email_update;
        long *types;
        size_t n_types;
        long *segments;
        size_t n_segments;
        const char **sup_ids;
        size_t n_sup_ids;
        const char **sup_emails;
        size_t n_sup_emails;
        struct retl_sbx_fault_conf faults;
        uint64_t seed;
};

static void opts_free(struct opts *o)
{
        free(o->types);
        free(o->segments);
        free(o->sup_ids);
        free(o->sup_emails);
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < lo || v > hi)
                return -1;
        *out = v;
        return 0;
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
        char *end;
        double v;

        errno = 0;
        v = strtod(s, &end);
        if (errno || end == s || *end || !(v >= lo && v <= hi))
                return -1;
        *out = v;
        return 0;
}

/* "1,2,3" -> array of longs >= 1 */
static int parse_list(const char *s, long **out, size_t *n)
{
        char *copy = retl_strdup(s), *p = copy, *comma;
        int rc = 0;

        free(*out);
        *out = NULL;
        *n = 0;
        for (;;) {
                long v;

                comma = strchr(p, ',');
                if (comma)
                        *comma = '\0';
                if (parse_long(p, 1, 2147483647L, &v)) {
                        rc = -1;
                        break;
                }
                *out = retl_realloc(*out, (*n + 1) * sizeof(long));
                (*out)[(*n)++] = v;
                if (!comma)
                        break;
                p = comma + 1;
        }
        free(copy);
        return rc;
}

static char *read_key_file(const char *path)
{
        FILE *f = fopen(path, "r");
        char line[4096];
        size_t n;

        if (!f)
                return NULL;
        if (!fgets(line, sizeof(line), f))
                line[0] = '\0';
        fclose(f);
        n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                line[--n] = '\0';
        return retl_strdup(line);
}

/* A key given by environment variable @p env or file @p file (neither:
 * *@p key stays NULL, the default applies). @returns 0, or -1 with the
 * reason printed. */
static int read_key(const char *env, const char *file, const char *what, char **key)
{
        if (env) {
                const char *v = getenv(env);

                if (!v || !*v) {
                        fprintf(stderr, "retl sandbox: environment variable %s is not set\n",
                                env);
                        return -1;
                }
                *key = retl_strdup(v);
        } else if (file) {
                *key = read_key_file(file);
                if (!*key || !**key) {
                        fprintf(stderr, "retl sandbox: cannot read %s from %s\n", what, file);
                        return -1;
                }
        }
        return 0;
}

/* Takes the current option's value into *out, a number from @p lo to
 * @p hi. @returns 0 or -1 with the usage error printed. */
static int take_int(struct retl_args *ra, int64_t lo, int64_t hi, int *out)
{
        int64_t v;

        if (retl_args_count(ra, lo, hi, &v))
                return -1;
        *out = (int)v;
        return 0;
}

/* ... a share from 0 to 1. */
static int take_share(struct retl_args *ra, double *out)
{
        const char *a;

        if (retl_args_value(ra, &a))
                return -1;
        if (parse_double(a, 0, 1, out))
                return retl_args_bad_value(ra, "a share from 0 to 1");
        return 0;
}

/* ... a list of ids: "1,2,3". */
static int take_list(struct retl_args *ra, long **out, size_t *n)
{
        const char *a;

        if (retl_args_value(ra, &a))
                return -1;
        if (parse_list(a, out, n))
                return retl_args_bad_value(ra, "ids from 1 separated by commas");
        return 0;
}

/* ... id:X or email:X, added to the suppressed ones. */
static int take_suppress(struct retl_args *ra, struct opts *o)
{
        const char *a;

        if (retl_args_value(ra, &a))
                return -1;
        if (!strncmp(a, "id:", 3) && a[3]) {
                o->sup_ids = retl_realloc(o->sup_ids, (o->n_sup_ids + 1) * sizeof(char *));
                o->sup_ids[o->n_sup_ids++] = a + 3;
        } else if (!strncmp(a, "email:", 6) && a[6]) {
                o->sup_emails = retl_realloc(o->sup_emails,
                                             (o->n_sup_emails + 1) * sizeof(char *));
                o->sup_emails[o->n_sup_emails++] = a + 6;
        } else {
                return retl_args_bad_value(ra, "id:X or email:X");
        }
        return 0;
}

/* ... N or N/s requests per second. */
static int take_rate(struct retl_args *ra, double *out)
{
        const char *a;
        char *copy;
        size_t n;
        int bad;

        if (retl_args_value(ra, &a))
                return -1;
        copy = retl_strdup(a);
        n = strlen(copy);
        if (n > 2 && !strcmp(copy + n - 2, "/s"))
                copy[n - 2] = '\0';
        bad = parse_double(copy, 0, 1e9, out);
        free(copy);
        return bad ? retl_args_bad_value(ra, "requests per second (N or N/s)") : 0;
}

static int take_identifiers(struct retl_args *ra, int *out)
{
        const char *a;

        if (retl_args_value(ra, &a))
                return -1;
        if (!strcmp(a, "id"))
                *out = RETL_SBX_IDS_ID;
        else if (!strcmp(a, "email"))
                *out = RETL_SBX_IDS_EMAIL;
        else if (!strcmp(a, "both"))
                *out = RETL_SBX_IDS_BOTH;
        else
                return retl_args_bad_value(ra, "id, email or both");
        return 0;
}

static int take_log_level(struct retl_args *ra)
{
        const char *a;
        int l;

        if (retl_args_value(ra, &a))
                return -1;
        l = retl_log_parse_level(a);
        if (l < 0)
                return retl_args_bad_value(ra, "error, warn, info or debug");
        retl_log_set_level((enum retl_log_level)l);
        return 0;
}

/* @returns 0 to run, 1 after --help, 2 on a usage error (message printed). */
static int parse_opts(int argc, char **argv, struct opts *o)
{
        struct retl_args ra = {"sandbox", argc, argv, 1};

        for (; ra.ra_i < argc; ra.ra_i++) {
                int bad = 0, seed;

                if (retl_args_is(&ra, "-h", "--help")) {
                        usage(stdout);
                        return 1;
                } else if (retl_args_is(&ra, NULL, "--listen")) {
                        bad = retl_args_value(&ra, &o->listen);
                } else if (retl_args_is(&ra, NULL, "--port-file")) {
                        bad = retl_args_value(&ra, &o->port_file);
                } else if (retl_args_is(&ra, NULL, "--site-id")) {
                        bad = retl_args_value(&ra, &o->site_id);
                } else if (retl_args_is(&ra, NULL, "--api-key-env")) {
                        bad = retl_args_value(&ra, &o->key_env);
                } else if (retl_args_is(&ra, NULL, "--api-key-file")) {
                        bad = retl_args_value(&ra, &o->key_file);
                } else if (retl_args_is(&ra, NULL, "--app-api-key-env")) {
                        bad = retl_args_value(&ra, &o->app_key_env);
                } else if (retl_args_is(&ra, NULL, "--app-api-key-file")) {
                        bad = retl_args_value(&ra, &o->app_key_file);
                } else if (retl_args_is(&ra, NULL, "--state")) {
                        bad = retl_args_value(&ra, &o->state);
                } else if (retl_args_is(&ra, NULL, "--allow-email-update-by-id")) {
                        o->allow_email_update = 1;
                } else if (retl_args_is(&ra, NULL, "--identifiers")) {
                        bad = take_identifiers(&ra, &o->identifiers);
                } else if (retl_args_is(&ra, NULL, "--object-types")) {
                        bad = take_list(&ra, &o->types, &o->n_types);
                } else if (retl_args_is(&ra, NULL, "--segments")) {
                        bad = take_list(&ra, &o->segments, &o->n_segments);
                } else if (retl_args_is(&ra, NULL, "--suppress")) {
                        bad = take_suppress(&ra, o);
                } else if (retl_args_is(&ra, NULL, "--flush-interval")) {
                        bad = take_int(&ra, 0, 86400, &o->flush_interval);
                } else if (retl_args_is(&ra, NULL, "--threads")) {
                        bad = take_int(&ra, 0, 256, &o->threads);
                } else if (retl_args_is(&ra, NULL, "--rate-limit")) {
                        bad = take_rate(&ra, &o->faults.fc_rate_limit);
                } else if (retl_args_is(&ra, NULL, "--error-rate")) {
                        bad = take_share(&ra, &o->faults.fc_error_rate);
                } else if (retl_args_is(&ra, NULL, "--drop-rate")) {
                        bad = take_share(&ra, &o->faults.fc_drop_rate);
                } else if (retl_args_is(&ra, NULL, "--error-status")) {
                        bad = take_int(&ra, 500, 599, &o->faults.fc_error_status);
                } else if (retl_args_is(&ra, NULL, "--latency-ms")) {
                        bad = take_int(&ra, 0, 600000, &o->faults.fc_latency_ms);
                } else if (retl_args_is(&ra, NULL, "--seed")) {
                        bad = take_int(&ra, 0, 2147483647, &seed);
                        if (!bad)
                                o->seed = (uint64_t)seed;
                } else if (retl_args_is(&ra, NULL, "--log-level")) {
                        bad = take_log_level(&ra);
                } else {
                        return retl_args_unknown(&ra);
                }
                if (bad)
                        return 2;
        }
        if (o->key_env && o->key_file) {
                fprintf(stderr, "retl sandbox: give --api-key-env or --api-key-file, not "
                                "both\n");
                return 2;
        }
        return 0;
}

/* "HOST:PORT" -> host (new string) and port */
static int split_listen(const char *s, char **host, int *port)
{
        const char *colon = strrchr(s, ':');
        long p;

        if (!colon || colon == s || parse_long(colon + 1, 0, 65535, &p))
                return -1;
        *host = retl_strndup(s, (size_t)(colon - s));
        if (!strcmp(*host, "localhost")) {
                free(*host);
                *host = retl_strdup("127.0.0.1");
        }
        *port = (int)p;
        return 0;
}

static int64_t mono_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec;
}

int retl_sandbox_main(int argc, char **argv)
{
        struct opts o = {0};
        struct retl_sbx_ws_conf wc = {0};
        struct retl_sbx_ws *ws = NULL;
        struct retl_sbx_faults *faults = NULL;
        struct retl_sbx_server *srv = NULL;
        struct retl_sbx_server_conf sc = {0};
        char *host = NULL, *key = NULL, *app_key = NULL;
        char err[512];
        sigset_t sigs;
        int rc, port, status = 1;
        int64_t last_flush;

        o.listen = DEFAULT_LISTEN;
        o.identifiers = RETL_SBX_IDS_BOTH;
        o.flush_interval = 5;
        o.threads = 2;
        /* The workspace grows by small allocations from the pool's threads:
         * in glibc's per-thread arenas each growth is an mprotect() (5% of
         * the CPU of a million creates). One arena, grown 64 MiB at a time,
         * makes that a rare brk(); the threads apply under one lock anyway. */
        mallopt(M_ARENA_MAX, 1);
        mallopt(M_TOP_PAD, 64 << 20);
        rc = parse_opts(argc, argv, &o);
        if (rc) {
                opts_free(&o);
                return rc == 1 ? 0 : 2;
        }
        if (split_listen(o.listen, &host, &port)) {
                fprintf(stderr, "retl sandbox: --listen wants HOST:PORT, got '%s'\n", o.listen);
                opts_free(&o);
                return 2;
        }
        if (read_key(o.key_env, o.key_file, "an API key", &key) ||
            read_key(o.app_key_env, o.app_key_file, "an App API key", &app_key))
                goto out;
        if (!o.site_id || !key)
                retl_log_info("sandbox", "using default credentials: site id '%s', API key %s",
                              o.site_id ? o.site_id : DEFAULT_CRED,
                              key ? "from the option given" : "'" DEFAULT_CRED "'");

        wc.wc_identifiers = o.identifiers;
        wc.wc_allow_email_update_by_id = o.allow_email_update;
        wc.wc_object_types = o.types;
        wc.wc_n_object_types = o.n_types;
        wc.wc_segments = o.segments;
        wc.wc_n_segments = o.n_segments;
        wc.wc_suppress_ids = o.sup_ids;
        wc.wc_n_suppress_ids = o.n_sup_ids;
        wc.wc_suppress_emails = o.sup_emails;
        wc.wc_n_suppress_emails = o.n_sup_emails;
        ws = retl_sbx_ws_new(&wc, err, sizeof(err));
        if (!ws) {
                fprintf(stderr, "retl sandbox: %s\n", err);
                status = 2;
                goto out;
        }
        if (o.state) {
                if (retl_sbx_ws_load(ws, o.state, err, sizeof(err))) {
                        retl_log_error("sandbox", "cannot load state %s: %s", o.state, err);
                        goto out;
                }
        }
        faults = retl_sbx_faults_new(&o.faults, o.seed ? o.seed : (uint64_t)time(NULL) ^
                                                                   (uint64_t)getpid() << 32);

        /* Signals are taken by sigtimedwait() below: block them before the
         * server's threads start, so that those inherit the mask. */
        sigemptyset(&sigs);
        sigaddset(&sigs, SIGINT);
        sigaddset(&sigs, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &sigs, NULL);
        signal(SIGPIPE, SIG_IGN);

        sc.sc_host = host;
        sc.sc_port = port;
        sc.sc_site_id = o.site_id ? o.site_id : DEFAULT_CRED;
        sc.sc_api_key = key ? key : DEFAULT_CRED;
        sc.sc_app_key = app_key ? app_key : DEFAULT_CRED;
        sc.sc_state_path = o.state;
        sc.sc_threads = o.threads;
        sc.sc_ws = ws;
        sc.sc_faults = faults;
        srv = retl_sbx_server_start(&sc, err, sizeof(err));
        if (!srv) {
                retl_log_error("sandbox", "%s", err);
                goto out;
        }
        port = retl_sbx_server_port(srv);
        printf("listening on http://%s:%d\n", host, port);
        fflush(stdout);
        if (o.port_file && retl_listen_write_port(o.port_file, port)) {
                retl_log_error("sandbox", "cannot write port file %s: %s", o.port_file,
                               strerror(errno));
                goto out;
        }
        {
                struct retl_sbx_ws_counts c;

                retl_sbx_ws_counts(ws, &c);
                retl_log_info("sandbox",
                              "workspace ready: %zu people, %zu objects, %zu relationships, "
                              "%zu segments%s%s",
                              c.people, c.objects, c.relationships, c.segments,
                              o.state ? ", state in " : " (in memory)", o.state ? o.state : "");
        }

        last_flush = mono_s();
        for (;;) {
                struct timespec tick = {1, 0};
                int sig = sigtimedwait(&sigs, NULL, &tick);

                if (sig == SIGINT || sig == SIGTERM) {
                        retl_log_info("sandbox", "%s: stopping",
                                      sig == SIGINT ? "SIGINT" : "SIGTERM");
                        break;
                }
                if (o.state && o.flush_interval && mono_s() - last_flush >= o.flush_interval) {
                        last_flush = mono_s();
                        if (retl_sbx_server_flush(srv, err, sizeof(err)))
                                retl_log_warn("sandbox", "writing state %s: %s", o.state, err);
                }
        }
        /* A second signal now ends the process at once (default action). */
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        pthread_sigmask(SIG_UNBLOCK, &sigs, NULL);
        status = 0;
        /* Stop serving first (waits for requests in progress), then write. */
        retl_sbx_server_stop(srv);
        srv = NULL;
        if (o.state && retl_sbx_ws_dirty(ws) && retl_sbx_ws_save(ws, o.state, err, sizeof(err))) {
                retl_log_error("sandbox", "writing state %s: %s", o.state, err);
                status = 1;
        }
out:
        retl_sbx_server_stop(srv);
        if (o.state && status == 0)
                retl_log_info("sandbox", "state written to %s", o.state);
        retl_sbx_faults_destroy(faults);
        retl_sbx_ws_destroy(ws);
        free(host);
        free(key);
        free(app_key);
        opts_free(&o);
        return status;
}
