/* retl — the records written to Kafka, as C values.
 *
 * The Avro schemas in schemas/ are the contract; these structs mirror them
 * field for field. Strings are borrowed pointers: when encoding, the caller
 * owns them; after decoding, they point into the codec and stay valid until
 * the codec's next decode. */
#ifndef RETL_RECORDS_H
#define RETL_RECORDS_H

#include <stddef.h>
#include <stdint.h>

enum retl_record_type {
        RETL_REC_RUN_STARTED = 0,
        RETL_REC_ROW,
        RETL_REC_RUN_FINISHED,
        RETL_REC_IMPORT_REPORT,
        RETL_REC_ROW_FAILURE,
        RETL_REC_CONTROL,
        RETL_REC_ROW_STATE,
        RETL_REC__COUNT
};

/* A column value: the union branches of Row.columns[].value, in order. */
enum retl_vtype {
        RETL_V_NULL = 0,
        RETL_V_BOOL,
        RETL_V_LONG,
        RETL_V_DOUBLE,
        RETL_V_STRING,
        RETL_V_BYTES,
        RETL_V_DECIMAL,         /* text: "-123.4500" */
        RETL_V_DATE,            /* text: "2024-05-01" */
        RETL_V_TIME,            /* text: "12:34:56.1234567" */
        RETL_V_DATETIME,        /* text: "2024-05-01T12:34:56.1234567" */
        RETL_V_DATETIMEOFFSET,  /* text: "2024-05-01T12:34:56.1234567+02:00" */
        RETL_V_UUID,            /* text: "6F9619FF-8B86-D011-B42D-00C04FC964FF" */
        RETL_V_OVERSIZE,        /* u.l: the size of a value too large to import */
        RETL_V__COUNT
};

struct retl_value {
        enum retl_vtype type;
        union {
                int b;
                int64_t l;
                double d;
                struct {
                        const char *ptr; /* string/bytes/texts; not NUL-terminated for bytes */
                        size_t len;
                } s;
        } u;
};

struct retl_column {
        const char *name;
        struct retl_value value;
};

enum retl_part { RETL_PART_MAIN = 0, RETL_PART_RELATIONSHIPS = 1 };

struct retl_sync_settings {
        int import;             /* enum retl_import */
        int identify_by;        /* enum retl_ident */
        int update_only;
        const char *object_type_id;
        int empty_values;       /* enum retl_empty */
        int suppressed;         /* enum retl_suppressed */
        int64_t segment;
        int relationship_identify_by;
        const char *query;
        const char *relationship_query; /* NULL = none */
        int64_t interval_s;
        int send_unchanged;     /* diff = false: no row is skipped as unchanged */
        const char *segment_name;       /* NULL = none (segment, or no segment) */
        const char *segment_description;        /* NULL = none */
};

struct retl_run_started {
        const char *run_id;
        const char *sync;
        const char *workspace;
        int64_t started_at_ms;
        int64_t last_sync_time;
        const char *replay_of;  /* NULL = not a replay */
        struct retl_sync_settings settings;
        int64_t db_clock_ms;    /* the database's clock at the run's start, Unix ms;
                                   -1 (0 in a struct left zeroed) = not read */
};

struct retl_row {
        const char *run_id;
        const char *sync;
        enum retl_part part;
        int64_t row_number;
        size_t ncolumns;
        const struct retl_column *columns;
};

enum retl_extract_status { RETL_EXTRACT_OK = 0, RETL_EXTRACT_FAILED, RETL_EXTRACT_CANCELLED };

struct retl_run_finished {
        const char *run_id;
        const char *sync;
        enum retl_extract_status status;
        int64_t rows;
        int64_t relationship_rows;
        int64_t finished_at_ms;
        const char *error;      /* NULL = none */
};

enum retl_import_status {
        RETL_IMPORT_RUNNING = 0,
        RETL_IMPORT_COMPLETED,
        RETL_IMPORT_SOME_ROWS_FAILED,
        RETL_IMPORT_FAILED,
        RETL_IMPORT_SKIPPED,
        RETL_IMPORT_HELD,               /* over its sync's guardrails: waits for approve/reject */
        RETL_IMPORT_REJECTED            /* dropped by retl reject: nothing sent, last_sync_time kept */
};

struct retl_import_report {
        const char *run_id;
        const char *sync;
        const char *workspace;
        enum retl_import_status status;
        int64_t started_at_ms;
        int64_t finished_at_ms;
        int64_t rows;
        int64_t imported;
        int64_t failed;
        int64_t last_sync_time;
        const char *replay_of;
        const char *error;
        int64_t unchanged;      /* rows not sent: unchanged per the row state */
        int64_t deleted;        /* mirror: identifiers deleted (the result no longer held them) */
};

struct retl_row_failure {
        const char *run_id;
        const char *sync;
        enum retl_part part;
        int64_t row_number;
        const char *identifier; /* NULL = none */
        const char *reason;
};

enum retl_control_kind {
        RETL_CONTROL_REPLAY_BEGIN = 0,
        RETL_CONTROL_REPLAY_END,
        RETL_CONTROL_STATE_RESET,       /* sync, generation; replay fields empty */
        RETL_CONTROL_RUN_APPROVE,       /* runs[0] = the held run, sync = its sync */
        RETL_CONTROL_RUN_REJECT         /* likewise */
};

struct retl_control {
        enum retl_control_kind kind;
        const char *replay_id;
        const char *workspace;
        int64_t requested_at_ms;
        int64_t from_offset;
        int64_t to_offset;
        size_t nruns;
        const char *const *runs;
        const char *sync;       /* STATE_RESET: the sync (NULL otherwise) */
        int64_t generation;     /* STATE_RESET: its new row-state generation */
};

/* One row-state entry (value of a state topic record; see RowState.avsc). */
struct retl_row_state {
        int64_t generation;
        int64_t fingerprint;    /* the uint64_t fingerprint's bits */
};

/* Any record, tagged. */
struct retl_record {
        enum retl_record_type type;
        union {
                struct retl_run_started run_started;
                struct retl_row row;
                struct retl_run_finished run_finished;
                struct retl_import_report import_report;
                struct retl_row_failure row_failure;
                struct retl_control control;
                struct retl_row_state row_state;
        } u;
};

const char *retl_record_type_name(enum retl_record_type t);
const char *retl_vtype_name(enum retl_vtype t);
const char *retl_import_status_name(enum retl_import_status s); /* "completed", ... */
const char *retl_extract_status_name(enum retl_extract_status s);

#endif
