/* retl — closing runs a previous extractor left open, see recover.h. */
#include "producer/recover.h"
#include "lib/kafka.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/scan.h"
#include "producer/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct open_run {
        char *run_id;   /* NULL = none open */
        char *sync;
        int64_t rows, rel_rows;
};

static void set_open(struct open_run *o, const char *run_id, const char *sync)
{
        free(o->run_id);
        free(o->sync);
        o->run_id = run_id ? retl_strdup(run_id) : NULL;
        o->sync = sync ? retl_strdup(sync) : NULL;
        o->rows = o->rel_rows = 0;
}

/* Follows the log: a run opens with its RunStarted — or, when the uploaders
 * committed part-way through a run, with the first Row after the commit —
 * and closes with its RunFinished. */
static int follow(void *opaque, int64_t offset, int64_t ts, const struct retl_record *rec,
                  const char *why)
{
        struct open_run *o = opaque;
        if (!rec)
                return 0;
        switch (rec->type) {
        case RETL_REC_RUN_STARTED:
                set_open(o, rec->u.run_started.run_id, rec->u.run_started.sync);
                break;
        case RETL_REC_ROW:
                if (!o->run_id || strcmp(o->run_id, rec->u.row.run_id))
                        set_open(o, rec->u.row.run_id, rec->u.row.sync);
                if (rec->u.row.part == RETL_PART_MAIN)
                        o->rows = rec->u.row.row_number;
                else
                        o->rel_rows = rec->u.row.row_number;
                break;
        case RETL_REC_RUN_FINISHED:
                if (o->run_id && !strcmp(o->run_id, rec->u.run_finished.run_id))
                        set_open(o, NULL, NULL);
                break;
        default:
                break;
        }
        return 0;
}

int retl_recover_open_runs(const struct retl_cfg *cfg, struct retl_sink *sink, char *errstr,
                           size_t errstr_size)
{
        int closed = 0;

        for (size_t i = 0; i < cfg->nworkspaces; i++) {
                const char *ws = cfg->workspaces[i].name;
                struct open_run o = {0};
                struct retl_record rec;
                struct retl_checkpoint cp;
                char *topic;
                int64_t committed = 0, low = 0, high = 0, from, used = 0;
                int rc;

                for (size_t s = 0; s < cfg->nsyncs && !used; s++)
                        used = !strcmp(cfg->syncs[s].workspace, ws);
                if (!used)
                        continue;
                topic = retl_cfg_workspace_topic(cfg, ws);
                retl_checkpoint_init(&cp);
                rc = retl_sink_ensure_topic(sink, topic, errstr, errstr_size) ||
                     retl_sink_checkpoint(sink, topic, &cp, &committed, errstr, errstr_size) ||
                     retl_sink_watermarks(sink, topic, &low, &high, errstr, errstr_size);
                /* From the commit on; when the uploaders committed part-way
                 * through a run, from that run's start, which may leave
                 * nothing uncommitted and the run still open. */
                from = committed > low ? committed : low;
                if (!rc && cp.run_offset >= 0 && cp.run_offset < from)
                        from = cp.run_offset > low ? cp.run_offset : low;
                retl_checkpoint_free(&cp);
                if (!rc && high > from)
                        rc = retl_scan_topic(&cfg->kafka, topic, from, 0, follow, &o, errstr,
                                             errstr_size);
                if (rc) {
                        free(topic);
                        set_open(&o, NULL, NULL);
                        return -1;
                }
                if (o.run_id) {
                        memset(&rec, 0, sizeof(rec));
                        rec.type = RETL_REC_RUN_FINISHED;
                        rec.u.run_finished = (struct retl_run_finished){
                                o.run_id, o.sync, RETL_EXTRACT_CANCELLED, o.rows, o.rel_rows,
                                retl_run_now_ms(),
                                "the extractor stopped before the run finished (it was "
                                "restarted); the sync's next run reads these rows again"};
                        retl_sink_begin(sink);
                        if (retl_sink_send(sink, topic, o.sync, &rec, errstr, errstr_size) ||
                            retl_sink_flush(sink, retl_kafka_timeout_ms(&cfg->kafka), errstr,
                                            errstr_size)) {
                                free(topic);
                                set_open(&o, NULL, NULL);
                                return -1;
                        }
                        retl_log_warn("extract", "closed run %s of sync %s in %s: a previous "
                                      "extractor stopped while publishing it (%lld rows, %lld "
                                      "relationship rows); it is imported as failed and the "
                                      "sync's next run reads its rows again",
                                      o.run_id, o.sync, topic, (long long)o.rows,
                                      (long long)o.rel_rows);
                        closed++;
                }
                set_open(&o, NULL, NULL);
                free(topic);
        }
        return closed;
}
