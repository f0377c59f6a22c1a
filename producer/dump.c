/* retl — `retl dump -c FILE WORKSPACE [--from-beginning] [--json]`: prints the
 * records of a workspace's topic (or of any retl topic with --topic), one per
 * line, then exits at the end of what the topic held when it started.
 * Read-only: the consumer is assigned its partition and never commits. */
#include "lib/args.h"
#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/codec.h"
#include "lib/kafka.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "producer/commands.h"
#include "producer/jsonval.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const ident_names[] = {"ID", "EMAIL"};

static json_t *str_or_null(const char *s)
{
        return s ? json_string(s) : json_null();
}

static json_t *record_json(const struct retl_record *rec)
{
        json_t *j = json_object();

        json_object_set_new(j, "type", json_string(retl_record_type_name(rec->type)));
        switch (rec->type) {
        case RETL_REC_RUN_STARTED: {
                const struct retl_run_started *r = &rec->u.run_started;
                const struct retl_sync_settings *s = &r->settings;
                json_t *st = json_object();
                json_object_set_new(j, "run_id", json_string(r->run_id));
                json_object_set_new(j, "sync", json_string(r->sync));
                json_object_set_new(j, "workspace", json_string(r->workspace));
                json_object_set_new(j, "started_at_ms", json_integer(r->started_at_ms));
                json_object_set_new(j, "last_sync_time", json_integer(r->last_sync_time));
                json_object_set_new(j, "replay_of", str_or_null(r->replay_of));
                json_object_set_new(st, "import",
                                    json_string(s->import ? "OBJECTS" : "PEOPLE"));
                json_object_set_new(st, "identify_by", json_string(ident_names[s->identify_by & 1]));
                json_object_set_new(st, "update_only", json_boolean(s->update_only));
                json_object_set_new(st, "object_type_id", str_or_null(s->object_type_id));
                json_object_set_new(st, "empty_values",
                                    json_string(s->empty_values ? "DELETE" : "IGNORE"));
                json_object_set_new(st, "suppressed",
                                    json_string(s->suppressed ? "FAIL" : "SUCCEED"));
                json_object_set_new(st, "segment", json_integer(s->segment));
                json_object_set_new(st, "relationship_identify_by",
                                    json_string(ident_names[s->relationship_identify_by & 1]));
                json_object_set_new(st, "query", str_or_null(s->query));
                json_object_set_new(st, "relationship_query", str_or_null(s->relationship_query));
                json_object_set_new(st, "interval_s", json_integer(s->interval_s));
                json_object_set_new(st, "send_unchanged", json_boolean(s->send_unchanged));
                json_object_set_new(st, "segment_name", str_or_null(s->segment_name));
                json_object_set_new(st, "segment_description",
                                    str_or_null(s->segment_description));
                json_object_set_new(j, "settings", st);
                break;
        }
        case RETL_REC_ROW: {
                const struct retl_row *r = &rec->u.row;
                json_t *cols = json_array();
                json_object_set_new(j, "run_id", json_string(r->run_id));
                json_object_set_new(j, "sync", json_string(r->sync));
                json_object_set_new(j, "part", json_string(r->part ? "RELATIONSHIPS" : "MAIN"));
                json_object_set_new(j, "row_number", json_integer(r->row_number));
                for (size_t i = 0; i < r->ncolumns; i++) {
                        json_t *c = json_object();
                        json_object_set_new(c, "name", json_string(r->columns[i].name));
                        json_object_set_new(c, "type",
                                            json_string(retl_vtype_name(r->columns[i].value.type)));
                        json_object_set_new(c, "value", retl_jsonval_new(&r->columns[i].value));
                        json_array_append_new(cols, c);
                }
                json_object_set_new(j, "columns", cols);
                break;
        }
        case RETL_REC_RUN_FINISHED: {
                const struct retl_run_finished *r = &rec->u.run_finished;
                static const char *const st[] = {"OK", "FAILED", "CANCELLED"};
                json_object_set_new(j, "run_id", json_string(r->run_id));
                json_object_set_new(j, "sync", json_string(r->sync));
                json_object_set_new(j, "status", json_string(st[r->status % 3]));
                json_object_set_new(j, "rows", json_integer(r->rows));
                json_object_set_new(j, "relationship_rows", json_integer(r->relationship_rows));
                json_object_set_new(j, "finished_at_ms", json_integer(r->finished_at_ms));
                json_object_set_new(j, "error", str_or_null(r->error));
                break;
        }
        case RETL_REC_IMPORT_REPORT: {
                const struct retl_import_report *r = &rec->u.import_report;
                static const char *const st[] = {"RUNNING", "COMPLETED", "SOME_ROWS_FAILED",
                                                 "FAILED", "SKIPPED"};
                json_object_set_new(j, "run_id", json_string(r->run_id));
                json_object_set_new(j, "sync", json_string(r->sync));
                json_object_set_new(j, "workspace", json_string(r->workspace));
                json_object_set_new(j, "status", json_string(st[r->status % 5]));
                json_object_set_new(j, "started_at_ms", json_integer(r->started_at_ms));
                json_object_set_new(j, "finished_at_ms", json_integer(r->finished_at_ms));
                json_object_set_new(j, "rows", json_integer(r->rows));
                json_object_set_new(j, "imported", json_integer(r->imported));
                json_object_set_new(j, "unchanged", json_integer(r->unchanged));
                json_object_set_new(j, "failed", json_integer(r->failed));
                json_object_set_new(j, "last_sync_time", json_integer(r->last_sync_time));
                json_object_set_new(j, "replay_of", str_or_null(r->replay_of));
                json_object_set_new(j, "error", str_or_null(r->error));
                break;
        }
        case RETL_REC_ROW_FAILURE: {
                const struct retl_row_failure *r = &rec->u.row_failure;
                json_object_set_new(j, "run_id", json_string(r->run_id));
                json_object_set_new(j, "sync", json_string(r->sync));
                json_object_set_new(j, "part", json_string(r->part ? "RELATIONSHIPS" : "MAIN"));
                json_object_set_new(j, "row_number", json_integer(r->row_number));
                json_object_set_new(j, "identifier", str_or_null(r->identifier));
                json_object_set_new(j, "reason", json_string(r->reason));
                break;
        }
        case RETL_REC_CONTROL: {
                const struct retl_control *r = &rec->u.control;
                json_t *runs = json_array();
                static const char *const kinds[] = {"REPLAY_BEGIN", "REPLAY_END", "STATE_RESET",
                                                    "RUN_APPROVE", "RUN_REJECT"};
                json_object_set_new(j, "kind", json_string((unsigned)r->kind < 5 ? kinds[r->kind]
                                                                                 : "?"));
                json_object_set_new(j, "replay_id", json_string(r->replay_id));
                json_object_set_new(j, "workspace", json_string(r->workspace));
                json_object_set_new(j, "from_offset", json_integer(r->from_offset));
                json_object_set_new(j, "to_offset", json_integer(r->to_offset));
                for (size_t i = 0; i < r->nruns; i++)
                        json_array_append_new(runs, json_string(r->runs[i]));
                json_object_set_new(j, "runs", runs);
                if (r->kind != RETL_CONTROL_REPLAY_BEGIN && r->kind != RETL_CONTROL_REPLAY_END) {
                        json_object_set_new(j, "sync", str_or_null(r->sync));
                        json_object_set_new(j, "generation", json_integer(r->generation));
                }
                break;
        }
        default:
                break;
        }
        return j;
}

/* One human line per record. */
static void print_line(int64_t offset, const struct retl_record *rec)
{
        struct retl_buf b;

        retl_buf_init(&b, 0);
        switch (rec->type) {
        case RETL_REC_RUN_STARTED:
                printf("%lld RunStarted %s last_sync_time=%lld\n", (long long)offset,
                       rec->u.run_started.run_id, (long long)rec->u.run_started.last_sync_time);
                break;
        case RETL_REC_ROW:
                for (size_t i = 0; i < rec->u.row.ncolumns; i++) {
                        if (retl_buf_printf(&b, " %s=", rec->u.row.columns[i].name))
                                break;
                        retl_jsonval_text(&rec->u.row.columns[i].value, 40, &b);
                }
                printf("%lld Row %s %s #%lld%s\n", (long long)offset,
                       rec->u.row.part ? "RELATIONSHIPS" : "MAIN", rec->u.row.run_id,
                       (long long)rec->u.row.row_number, retl_buf_str(&b));
                break;
        case RETL_REC_RUN_FINISHED:
                printf("%lld RunFinished %s %s rows=%lld relationship_rows=%lld%s%s\n",
                       (long long)offset, rec->u.run_finished.run_id,
                       retl_extract_status_name(rec->u.run_finished.status),
                       (long long)rec->u.run_finished.rows,
                       (long long)rec->u.run_finished.relationship_rows,
                       rec->u.run_finished.error ? " error=" : "",
                       rec->u.run_finished.error ? rec->u.run_finished.error : "");
                break;
        case RETL_REC_IMPORT_REPORT:
                printf("%lld ImportReport %s %s rows=%lld%s%s\n", (long long)offset,
                       rec->u.import_report.run_id,
                       retl_import_status_name(rec->u.import_report.status),
                       (long long)rec->u.import_report.rows,
                       rec->u.import_report.error ? " error=" : "",
                       rec->u.import_report.error ? rec->u.import_report.error : "");
                break;
        default:
                printf("%lld %s\n", (long long)offset, retl_record_type_name(rec->type));
                break;
        }
        retl_buf_free(&b);
}

int retl_dump_main(int argc, char **argv)
{
        const char *path = NULL, *ws = NULL, *topic_arg = NULL;
        struct retl_cfg *cfg = NULL;
        struct retl_codec *codec = NULL;
        rd_kafka_t *rk = NULL;
        rd_kafka_topic_partition_list_t *parts = NULL;
        char err[16384], *topic = NULL, *meta = NULL;
        int json = 0, from_beginning = 0, rc = 1, wait_ms;
        int64_t low, high, start, committed;
        struct retl_args ra = {"dump", argc, argv, 1};

        for (; ra.ra_i < argc; ra.ra_i++) {
                const char *arg = argv[ra.ra_i];
                int bad = 0;

                if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
                        printf("usage: retl dump -c FILE WORKSPACE [--from-beginning] [--json]\n"
                               "       retl dump -c FILE --topic TOPIC [--from-beginning] "
                               "[--json]\n\n"
                               "Prints the records of a workspace's topic, one per line, up to "
                               "its end when\nthe command started. By default it starts at the "
                               "uploaders' committed offset\n(the records not imported yet).\n\n"
                               "  --from-beginning  start at the oldest record kept\n"
                               "  --json            JSON lines: every field, each column as "
                               "{name, type, value}\n"
                               "  --topic TOPIC     another topic (e.g. the imports topic)\n");
                        return 0;
                } else if (retl_args_is(&ra, "-c", "--config")) {
                        bad = retl_args_value(&ra, &path);
                } else if (retl_args_is(&ra, NULL, "--topic")) {
                        bad = retl_args_value(&ra, &topic_arg);
                } else if (!strcmp(arg, "--from-beginning")) {
                        from_beginning = 1;
                } else if (!strcmp(arg, "--json")) {
                        json = 1;
                } else if (arg[0] != '-' && !ws) {
                        ws = arg;
                } else {
                        return retl_args_unknown(&ra);
                }
                if (bad)
                        return 2;
        }
        if (!path || (!ws && !topic_arg)) {
                fprintf(stderr, "retl dump: usage: retl dump -c FILE WORKSPACE\n");
                return 2;
        }
        if (retl_cfg_load_secrets(path, RETL_CFG_SECRETS_KAFKA, &cfg, err, sizeof(err))) {
                fprintf(stderr, "%s\n", err);
                return 1;
        }
        retl_log_set_level(RETL_LOG_WARN);
        wait_ms = retl_kafka_timeout_ms(&cfg->kafka);
        if (!topic_arg && !retl_cfg_workspace_find(cfg, ws)) {
                fprintf(stderr, "retl dump: workspace '%s' is not in %s (or use --topic TOPIC)\n",
                        ws, path);
                retl_cfg_destroy(cfg);
                return 1;
        }
        topic = topic_arg ? retl_strdup(topic_arg) : retl_cfg_workspace_topic(cfg, ws);
        codec = retl_codec_new(err, sizeof(err));
        if (!codec)
                goto fail;
        rk = retl_kafka_consumer_new(&cfg->kafka, cfg->kafka.group, "retl-dump", NULL, err,
                                     sizeof(err));
        if (!rk || retl_kafka_wait_cluster(rk, &cfg->kafka, err, sizeof(err)))
                goto fail;
        if (retl_kafka_watermarks(rk, topic, wait_ms, &low, &high, err, sizeof(err)))
                goto fail;
        start = low;
        if (!from_beginning) {
                if (retl_kafka_committed(rk, topic, wait_ms, &committed, &meta, err, sizeof(err)))
                        goto fail;
                if (committed > start)
                        start = committed;
        }
        if (start >= high) {
                rc = 0;
                goto out;
        }
        parts = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(parts, topic, 0)->offset = start;
        if (rd_kafka_assign(rk, parts)) {
                snprintf(err, sizeof(err), "cannot assign %s", topic);
                goto fail;
        }
        for (int64_t next = start; next < high;) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, wait_ms);
                struct retl_record rec;
                if (!m) {
                        snprintf(err, sizeof(err), "no record at offset %lld within %lld s "
                                 "(kafka.timeout)", (long long)next,
                                 (long long)cfg->kafka.timeout_s);
                        goto fail;
                }
                if (m->err) {
                        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                                snprintf(err, sizeof(err), "%s", rd_kafka_message_errstr(m));
                                rd_kafka_message_destroy(m);
                                goto fail;
                        }
                        rd_kafka_message_destroy(m);
                        continue;
                }
                next = m->offset + 1;
                if (retl_codec_decode(codec, m->payload, m->len, &rec, err, sizeof(err))) {
                        fprintf(stderr, "retl dump: offset %lld: %s\n", (long long)m->offset, err);
                } else if (json) {
                        json_t *j = record_json(&rec);
                        json_object_set_new(j, "offset", json_integer(m->offset));
                        json_object_set_new(j, "key", m->key ? json_stringn(m->key, m->key_len)
                                                             : json_null());
                        json_dumpf(j, stdout, JSON_COMPACT | JSON_REAL_PRECISION(17));
                        fputc('\n', stdout);
                        json_decref(j);
                } else {
                        print_line(m->offset, &rec);
                }
                rd_kafka_message_destroy(m);
        }
        rc = 0;
        goto out;
fail:
        fprintf(stderr, "retl dump: %s\n", err);
out:
        fflush(stdout);
        if (parts)
                rd_kafka_topic_partition_list_destroy(parts);
        if (rk) {
                rd_kafka_consumer_close(rk);
                rd_kafka_destroy(rk);
        }
        retl_codec_destroy(codec);
        free(meta);
        free(topic);
        retl_cfg_destroy(cfg);
        return rc;
}
