/* retl uploader — import reports and failed rows on Kafka, see partition_report.h. */
#include "consumer/partition_report.h"
#include "lib/log.h"
#include "lib/scan.h"

#include <inttypes.h>
#include <string.h>

static void produce(struct retl_partition *p, const char *topic, const char *key,
                    const struct retl_record *rec)
{
        struct retl_buf out;
        char errstr[256];
        rd_kafka_resp_err_t err;

        retl_buf_init(&out, 0);
        if (retl_codec_encode(p->env.codec, rec, &out, errstr, sizeof(errstr))) {
                retl_log_error(p->ctx, "encoding a %s: %s", retl_record_type_name(rec->type),
                               errstr);
                goto out;
        }
        for (int tries = 0; tries < 100; tries++) {
                err = rd_kafka_producev(p->env.producer, RD_KAFKA_V_TOPIC(topic),
                                        RD_KAFKA_V_KEY(key, strlen(key)),
                                        RD_KAFKA_V_VALUE(out.b_data, retl_buf_len(&out)),
                                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                        RD_KAFKA_V_END);
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        break;
                rd_kafka_poll(p->env.producer, 100);
        }
        if (err)
                retl_log_error(p->ctx, "producing to %s: %s", topic, rd_kafka_err2str(err));
out:
        retl_buf_free(&out);
}

void retl_partition_report_import(struct retl_partition *p, struct run *r,
                                  enum retl_import_status st, int64_t lst, const char *error)
{
        struct retl_record rec;

        memset(&rec, 0, sizeof(rec));
        rec.type = RETL_REC_IMPORT_REPORT;
        rec.u.import_report.run_id = r->run_id;
        rec.u.import_report.sync = r->sync;
        rec.u.import_report.workspace = p->ws->name;
        rec.u.import_report.status = st;
        rec.u.import_report.started_at_ms = r->started_at_ms;
        rec.u.import_report.finished_at_ms = st == RETL_IMPORT_RUNNING ? 0 : retl_pace_wall_ms();
        rec.u.import_report.rows = r->rows;
        rec.u.import_report.imported = r->imported;
        rec.u.import_report.failed = r->failed;
        rec.u.import_report.last_sync_time = lst;
        rec.u.import_report.replay_of = r->replay_of;
        rec.u.import_report.error = error;
        rec.u.import_report.unchanged = r->unchanged;
        rec.u.import_report.deleted = r->deleted;
        produce(p, p->env.imports_topic, r->sync, &rec);
}

void retl_partition_report_failure(struct retl_partition *p, struct entry *e,
                                   const char *reason)
{
        struct retl_record rec;

        memset(&rec, 0, sizeof(rec));
        rec.type = RETL_REC_ROW_FAILURE;
        rec.u.row_failure.run_id = e->run->run_id;
        rec.u.row_failure.sync = e->run->sync;
        rec.u.row_failure.part = e->part;
        rec.u.row_failure.row_number = e->row_number;
        rec.u.row_failure.identifier = e->ident;
        rec.u.row_failure.reason = reason;
        retl_log_debug(p->ctx, "run=%s %s row %" PRId64 " failed: %s", e->run->run_id,
                       e->part ? "relationship" : "main", e->row_number, reason);
        produce(p, p->env.failures_topic, e->run->run_id, &rec);
}

/* Clocks of the extractor (the run's start) and of the uploader that wrote
 * the report (its timestamp) may differ: read from this long before. */
#define REPORT_CLOCK_SKEW_MS (10 * 60 * 1000)

struct final_find {
        const char *run_id;
        int found;
};

static int final_report(void *opaque, int64_t offset, int64_t timestamp_ms,
                        const struct retl_record *rec, const char *why)
{
        struct final_find *f = opaque;

        (void)offset;
        (void)timestamp_ms;
        (void)why;
        /* RUNNING and HELD say the run goes on */
        if (rec && rec->type == RETL_REC_IMPORT_REPORT &&
            rec->u.import_report.status != RETL_IMPORT_RUNNING &&
            rec->u.import_report.status != RETL_IMPORT_HELD &&
            !strcmp(rec->u.import_report.run_id, f->run_id))
                f->found = 1;
        return f->found;
}

int retl_partition_report_final_exists(struct retl_partition *p, const struct run *r)
{
        struct final_find f = {r->run_id, 0};
        char errstr[512];
        int64_t from = r->started_at_ms - REPORT_CLOCK_SKEW_MS;

        if (retl_scan_topic(p->env.kafka, p->env.imports_topic, 0, from > 0 ? from : 1,
                            final_report, &f, errstr, sizeof(errstr))) {
                retl_log_warn(p->ctx, "run=%s: the imports topic could not be read to see "
                              "whether an earlier owner reported the run (%s); reporting it",
                              r->run_id, errstr);
                return 0;
        }
        return f.found;
}
