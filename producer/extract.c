/* retl — `retl extract`: the extractor daemon.
 *
 * One thread runs every sync, one run at a time, in the order they fall due
 * (the earliest slot first). That keeps two runs of one workspace from ever
 * overlapping and costs one database connection at a time; a run that
 * overruns delays the others, which then run late (never twice). Between
 * runs the loop sleeps in short slices, serving Kafka delivery reports.
 *
 * SIGTERM / SIGINT: the running query is cancelled (dbcancel), the run ends
 * with a CANCELLED RunFinished, everything is flushed, exit 0. A second
 * signal exits at once.
 *
 * SIGHUP, or a change of the configuration file (checked every 2 s, as a
 * Kubernetes ConfigMap changes): the file is loaded again and, when valid,
 * replaces the running configuration between runs. Syncs keep their slot
 * unless their schedule changed; a resumed sync runs at its next interval; a
 * deleted sync stops. A file that does not load is refused and logged, and
 * the running configuration stays. */
#include "lib/args.h"
#include "lib/cfg.h"
#include "lib/cfgwatch.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "lib/signals.h"
#include "lib/mem.h"
#include "producer/commands.h"
#include "producer/query.h"
#include "producer/recover.h"
#include "producer/run.h"
#include "producer/schedule.h"
#include "producer/sink.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;

#define EXTRACT_SECRETS (RETL_CFG_SECRETS_KAFKA | RETL_CFG_SECRETS_DATABASES)

static void on_hup(int sig)
{
        (void)sig;
        reload_requested = 1;
}

static void on_signal(int sig)
{
        if (stop_requested)
                _exit(128 + sig);
        stop_requested = 1;
}

static void usage(FILE *out)
{
        fprintf(out,
                "usage: retl extract -c FILE [--once SYNC]\n"
                "\n"
                "Runs every sync of the configuration on its schedule until stopped (SIGTERM\n"
                "or SIGINT end the running query cleanly): each run publishes the rows of\n"
                "its query to the workspace's Kafka topic for the uploaders.\n"
                "\n"
                "At start the daemon closes any run a previous extractor left open (killed\n"
                "while publishing) so the uploaders can finish it: run one daemon only.\n"
                "\n"
                "  -c, --config FILE  the configuration file\n"
                "  --once SYNC        run SYNC once, now (even when paused), and exit:\n"
                "                     0 ok, 1 failed, 3 skipped (the previous import is\n"
                "                     still in progress); 0 when stopped by a signal\n"
                "  --log-level LEVEL  error, warn, info or debug (default: the file's)\n");
}

static int run_once(const struct retl_cfg *cfg, struct retl_sink *sink, const char *name)
{
        const struct retl_cfg_sync *sync = retl_cfg_sync_find(cfg, name);
        struct retl_run_opts opts = {.stop = &stop_requested};
        char err[4096];
        enum retl_run_result res;

        if (!sync) {
                fprintf(stderr, "retl extract: no sync named '%s' in %s\n", name, cfg->path);
                return 2;
        }
        res = retl_run_sync(cfg, sink, sync, &opts, err, sizeof(err));
        switch (res) {
        case RETL_RUN_OK: return 0;
        case RETL_RUN_SKIPPED: return 3;
        case RETL_RUN_CANCELLED: return 0;
        default: return 1;
        }
}

/* Each sync's plan: its current slot (Unix seconds), kept while it is
 * paused so that a resumed sync goes on at its next interval; and, while its
 * workspace is busy with another import, when to look again. */
struct plan {
        int64_t slot;
        int64_t retry_at;       /* 0 = not waiting */
        int refused;            /* its query breaks the rules: it never runs */
};

/* A sync whose query the rules refuse (`retl config` says so too) would
 * fail every run: it is said once, when the file is loaded, and left out;
 * the other syncs run. @returns 1 when refused. */
static int refused(const struct retl_cfg_sync *s)
{
        const char *q[2] = {s->query, s->relationship_query};
        char err[1024];

        for (int k = 0; k < 2; k++)
                if (q[k] && retl_query_check_template(q[k], err, sizeof(err))) {
                        retl_log_error("extract", "sync %s will never run: its %s is refused "
                                       "(%s); fix it in the file, the other syncs run", s->name,
                                       k ? "relationship_query" : "query", err);
                        return 1;
                }
        return 0;
}

static void log_plan(const struct retl_cfg_sync *s, const struct plan *p, int64_t now)
{
        if (s->paused)
                retl_log_info("extract", "sync %s is paused", s->name);
        else
                retl_log_info("extract", "sync %s: every %llds, next run at %lld (in %llds)",
                              s->name, (long long)s->interval_s, (long long)p->slot,
                              (long long)(p->slot > now ? p->slot - now : 0));
}

/* Loads the file again; on success swaps it in and re-plans the syncs. */
static void reload(struct retl_cfg **cfgp, struct plan **planp, struct retl_sink *sink)
{
        struct retl_cfg *old = *cfgp, *cfg;
        struct plan *plan;
        int64_t now = time(NULL);
        char err[16384];

        if (retl_cfg_load_secrets(old->path, EXTRACT_SECRETS, &cfg, err, sizeof(err))) {
                retl_log_error("extract", "configuration not reloaded, the running one stays: %s",
                               err);
                return;
        }
        if (!retl_cfg_kafka_same(&old->kafka, &cfg->kafka))
                retl_log_warn("extract", "the kafka settings changed: they apply after a "
                              "restart; the syncs' changes apply now");
        plan = retl_calloc(cfg->nsyncs ? cfg->nsyncs : 1, sizeof(*plan));
        for (size_t i = 0; i < cfg->nsyncs; i++) {
                const struct retl_cfg_sync *s = &cfg->syncs[i];
                const struct retl_cfg_sync *o = retl_cfg_sync_find(old, s->name);
                if (o && o->interval_s == s->interval_s && o->start == s->start) {
                        /* schedule unchanged: keep the slot */
                        plan[i] = (*planp)[o - old->syncs];
                        if (o->paused == s->paused)
                                continue;
                        if (!s->paused && plan[i].slot < now)
                                /* resumed: at its next interval, not at once */
                                plan[i].slot = retl_schedule_next(plan[i].slot, s->interval_s,
                                                                  now);
                        plan[i].retry_at = 0;
                        retl_log_info("extract", "sync %s %s", s->name,
                                      s->paused ? "paused" : "resumed");
                } else {
                        plan[i].slot = retl_schedule_first(s->start, s->interval_s, now);
                        retl_log_info("extract", "sync %s %s", s->name,
                                      o ? "rescheduled" : "added");
                }
                log_plan(s, &plan[i], now);
        }
        for (size_t i = 0; i < cfg->nsyncs; i++)
                plan[i].refused = refused(&cfg->syncs[i]);
        for (size_t i = 0; i < old->nsyncs; i++)
                if (!retl_cfg_sync_find(cfg, old->syncs[i].name))
                        retl_log_info("extract", "sync %s deleted: it stops; what it imported "
                                      "stays", old->syncs[i].name);
        retl_sink_set_cfg(sink, cfg);
        free(*planp);
        *planp = plan;
        *cfgp = cfg;
        retl_cfg_destroy(old);
        retl_log_info("extract", "configuration reloaded from %s (%zu syncs)", cfg->path,
                      cfg->nsyncs);
}

/* When a sync falls due while its workspace is still busy with another
 * import (another sync's run, often just published), it does not give up
 * its slot at once: it looks again every second, and runs as soon as the
 * workspace is free. Only when its next slot comes first is the slot
 * reported as skipped — one import per workspace at a time, and no sync
 * starved by another that falls due at the same moment. */
static int run_schedule(struct retl_cfg **cfgp, struct retl_sink *sink,
                        struct retl_metrics *metrics)
{
        struct retl_run_opts opts = {.stop = &stop_requested, .metrics = metrics};
        struct retl_cfg *cfg = *cfgp;
        struct plan *plan = retl_calloc(cfg->nsyncs ? cfg->nsyncs : 1, sizeof(*plan));
        int64_t now = time(NULL), last_look = now;
        size_t active = 0;
        struct retl_cfgwatch watch;
        char err[4096];

        retl_cfgwatch_init(&watch, cfg->path);
        retl_cfgwatch_rearm(&watch, cfg); /* the secret files it read, too */
        for (size_t i = 0; i < cfg->nsyncs; i++) {
                plan[i].slot = retl_schedule_first(cfg->syncs[i].start, cfg->syncs[i].interval_s,
                                                   now);
                log_plan(&cfg->syncs[i], &plan[i], now);
                plan[i].refused = refused(&cfg->syncs[i]);
                active += !cfg->syncs[i].paused && !plan[i].refused;
        }
        if (!active)
                retl_log_warn("extract", "every sync is paused or refused: nothing to do "
                              "until the configuration changes");
        while (!stop_requested) {
                size_t due = (size_t)-1;
                const struct retl_cfg_sync *s;
                struct plan *p;
                enum retl_run_result res;

                retl_metrics_beat(metrics);
                now = time(NULL);
                if (reload_requested || now - last_look >= 2) {
                        last_look = now;
                        if (retl_cfgwatch_changed(&watch) || reload_requested) {
                                reload_requested = 0;
                                reload(cfgp, &plan, sink);
                                cfg = *cfgp;
                                retl_cfgwatch_rearm(&watch, cfg);
                        }
                }
                for (size_t i = 0; i < cfg->nsyncs; i++)
                        if (!cfg->syncs[i].paused && !plan[i].refused && plan[i].slot <= now &&
                            plan[i].retry_at <= now &&
                            (due == (size_t)-1 || plan[i].slot < plan[due].slot))
                                due = i;
                if (due == (size_t)-1) {
                        /* nothing due: sleep a slice, serving delivery reports */
                        retl_sink_poll(sink, 250);
                        continue;
                }
                s = &cfg->syncs[due];
                p = &plan[due];
                /* waiting is allowed while the slot lasts */
                opts.defer_skip = now + 1 < p->slot + s->interval_s;
                res = retl_run_sync(cfg, sink, s, &opts, err, sizeof(err));
                if (res == RETL_RUN_BUSY) {
                        if (!p->retry_at)
                                retl_log_info("extract", "sync %s waits: the previous import of "
                                              "workspace %s is still going", s->name,
                                              s->workspace);
                        p->retry_at = now + 1;
                        continue;
                }
                p->retry_at = 0;
                p->slot = retl_schedule_next(p->slot, s->interval_s, time(NULL));
                if (!stop_requested)
                        retl_log_info("extract", "sync %s: next run at %lld", s->name,
                                      (long long)p->slot);
        }
        retl_log_info("extract", "stopping");
        retl_cfgwatch_free(&watch);
        free(plan);
        return 0;
}

int retl_extract_main(int argc, char **argv)
{
        const char *path = NULL, *once = NULL, *level = NULL;
        struct retl_cfg *cfg = NULL;
        struct retl_sink *sink = NULL;
        struct retl_metrics *metrics = NULL;
        char err[16384];
        int rc = 1;
        struct retl_args ra = {"extract", argc, argv, 1};

        for (; ra.ra_i < argc; ra.ra_i++) {
                int bad;

                if (!strcmp(argv[ra.ra_i], "-h") || !strcmp(argv[ra.ra_i], "--help")) {
                        usage(stdout);
                        return 0;
                } else if (retl_args_is(&ra, "-c", "--config")) {
                        bad = retl_args_value(&ra, &path);
                } else if (retl_args_is(&ra, NULL, "--once")) {
                        bad = retl_args_value(&ra, &once);
                } else if (retl_args_is(&ra, NULL, "--log-level")) {
                        bad = retl_args_value(&ra, &level);
                } else {
                        return retl_args_unknown(&ra);
                }
                if (bad)
                        return 2;
        }
        if (!path) {
                fprintf(stderr, "retl extract: -c FILE is required (see --help)\n");
                return 2;
        }
        if (retl_cfg_load_secrets(path, EXTRACT_SECRETS, &cfg, err, sizeof(err))) {
                fprintf(stderr, "%s\n", err);
                return 1;
        }
        if (level || cfg->log_level) {
                int l = retl_log_parse_level(level ? level : cfg->log_level);
                if (l < 0) {
                        fprintf(stderr, "retl extract: unknown log level '%s'\n", level);
                        goto out;
                }
                retl_log_set_level((enum retl_log_level)l);
        }
        retl_signals_install(on_signal, on_hup);
        if (!once) {
                /* a long query beats through its rows; 15 min of silence is a hang */
                metrics = retl_metrics_new(cfg->metrics.listen, 900, err, sizeof(err));
                if (!metrics) {
                        retl_log_error("extract", "%s", err);
                        goto out;
                }
                retl_run_declare_metrics(metrics);
                retl_metrics_ready(metrics, 0, "connecting to Kafka");
        }
        sink = retl_sink_new(cfg, "retl-extract", err, sizeof(err));
        if (!sink) {
                retl_log_error("extract", "%s", err);
                goto out;
        }
        if (!once && retl_recover_open_runs(cfg, sink, err, sizeof(err)) < 0) {
                retl_log_error("extract", "Kafka: %s", err);
                goto out;
        }
        retl_metrics_ready(metrics, 1, NULL);
        if (once)
                rc = run_once(cfg, sink, once);
        else
                rc = run_schedule(&cfg, sink, metrics);
out:
        retl_sink_destroy(sink);
        retl_metrics_destroy(metrics);
        retl_cfg_destroy(cfg);
        return rc;
}
