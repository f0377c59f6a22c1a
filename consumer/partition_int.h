/* retl uploader — the state of one workspace partition, shared by the
 * partition_*.c files that make it up; nobody else includes it (callers use
 * partition.h).
 *
 * Who does what: partition.c (the state machine: arrivals, answers, steps),
 * partition_ledger.c (runs and entries in log order, retirement),
 * partition_batcher.c (send and segment queues, requests, in-flight keys),
 * partition_answer.c (outcomes, partial failures, retries),
 * partition_commit.c (checkpoints, commits, a run's end),
 * partition_segname.c (segments found or created by name, App API),
 * partition_report.c (reports and failed rows on Kafka),
 * partition_state.c (row state: load, unchanged rows, what was accepted),
 * partition_guard.c (guardrails: runs counted first, held over a bound),
 * partition_metrics.c (the uploader's series). */
#ifndef RETL_PARTITION_INT_H
#define RETL_PARTITION_INT_H

#include "consumer/fetch_nudge.h"
#include "consumer/keyset.h"
#include "consumer/pace.h"
#include "consumer/partition.h"
#include "lib/buf.h"
#include "lib/checkpoint.h"

#include <stddef.h>
#include <stdint.h>

struct retl_rowstate;

/* =========================================================== runs, entries */

/* One run of the log, RunStarted to RunFinished (partition_ledger.c). */
struct run {
        char *run_id, *sync, *replay_of;
        int64_t started_at_ms;
        int64_t watermark_s;            /* its last_sync_time once completed */
        int64_t start_offset;           /* its RunStarted */
        int64_t import_start_ms;        /* wall clock when we began it */
        struct retl_sync_settings s;    /* strings owned: object_type_id, segment_name,
                                           segment_description */
        int64_t seg_id;                 /* segment_name: its id once known, else 0 */
        char *seg_error;                /* segment_name: why it cannot be used, or NULL */
        int64_t rows, imported, failed, suppressed;     /* retired rows */
        int64_t unchanged;              /* retired rows skipped as unchanged */
        int64_t main_pending;           /* MAIN rows not yet answered */
        int64_t corrupt;                /* records we could not decode */
        int64_t unmatched;              /* 207 errors that named no row (see answer) */
        int64_t rows_at_cp;             /* rows at the last checkpoint */
        int resumed;
        int64_t resume_at;              /* resumed: first offset not yet done */
        int reported;                   /* final report produced */
        int rejected;                   /* held, then rejected: dropped (partition_guard.c) */
        struct retl_buf deletes;        /* mirror: state keys to delete at its end,
                                           each a uint32_t length then the key */
        int64_t ndeletes;
        int64_t deleted;                /* retired deletes the workspace accepted */
        char *note;                     /* said in its final report, or NULL */
        int refs;                       /* entries pointing to it */
        struct run *next;               /* all runs of the partition */
};

/* One record of the log not yet retired: a run's start, a row, a run's
 * end, or anything else (committed past). */
enum ekind { E_START, E_ROW, E_END, E_OTHER };
enum outcome { O_NONE = 0, O_IMPORTED, O_FAILED, O_SUPPRESSED, O_UNCHANGED };

struct entry {
        int64_t offset;
        enum ekind kind;
        struct run *run;
        struct entry *next;             /* log order */
        struct entry *qnext;            /* send or segment queue */
        int done;
        enum outcome outcome;
        int part;
        int64_t row_number;
        char *json;
        size_t json_len;
        char *ident;
        uint64_t keys[2];
        int nkeys;
        int64_t queued_ms;
        int is_delete;                  /* a mirror run's delete, not a row of the log */
        /* row state (partition_state.c): the record key, NULL when the row
         * has none (failed at mapping, skipped as unchanged) */
        char *state_key;
        size_t state_key_len;
        uint64_t state_hash;            /* retl_rowstate_hash() of state_key */
        uint64_t fingerprint;
        int64_t generation;             /* its sync's when the row was read */
        int state_sync;                 /* index in the row state */
        /* E_END */
        int fin_status;
        int64_t fin_rows;
        char *fin_error;
};

/* Whether the people of run @p r join a segment (by id or by name). */
static inline int run_has_segment(const struct run *r)
{
        return r->s.segment || r->s.segment_name;
}

/* One request to the Track API (partition_batcher.c): a batch of rows or
 * a segment add; or to the App API (partition_segname.c): the list of
 * segments, or a segment's creation. */
enum rkind { R_BATCH, R_SEGMENT, R_APP_LIST, R_APP_CREATE };

struct req {
        struct retl_partition *p;
        enum rkind kind;
        struct entry **items;
        size_t n;
        struct retl_buf body;
        char *url;
        int64_t segment;
        struct retl_track_xfer *x;
        int attempt;
        int64_t not_before_ms;
        struct req *next;               /* ready list */
        struct req *fnext, *fprev;      /* in-flight list */
};

/* Syncs of a workspace not in the uploader's configuration whose runs it
 * read since that configuration was set: kept in the checkpoint (an
 * extractor with a newer file, during a rolling update). At most this many;
 * past it, their entries live until the next commit of another sync. */
#define MAX_UNLISTED 64

/* The partition itself (partition.c). */
struct retl_partition {
        struct retl_partition_env env;
        const struct retl_cfg *cfg;     /* NULL when ws is */
        const struct retl_cfg_workspace *ws;
        char *unlisted[MAX_UNLISTED];   /* see MAX_UNLISTED */
        size_t nunlisted;
        char *topic;
        char ctx[160];                  /* log context */
        char lbl[160];                  /* metrics: workspace="..." */
        char *batch_url;
        int ready;                      /* init done */
        int draining;

        struct retl_checkpoint cp;      /* last_sync_time of every sync */
        int64_t committed;              /* last committed offset */
        int64_t resume_run_offset;      /* RunStarted of a run to resume, -1 */
        int64_t resume_offset;          /* committed offset inside that run */
        int64_t expect;                 /* next offset we take; older = dup */
        int64_t next_offset;            /* after the last retired entry */
        int64_t last_cp_ms;

        struct entry *head, *tail;      /* every entry not yet retired */
        size_t nentries;
        struct retl_buf row_json;       /* a row's entity as mapped, reused */
        struct retl_buf state_keybuf;   /* a row's state key as built, reused */
        struct entry *qhead, *qtail;    /* mapped rows waiting to be sent */
        size_t qbytes;
        struct entry *shead, *stail;    /* identified, waiting for the segment */
        size_t nseg;
        int64_t seg_since_ms;

        struct run *runs;
        struct run *reading;            /* run of the latest RunStarted read */
        struct run *retiring;           /* run whose START was retired, not its end */

        struct req *ready_head;         /* built or retried, waiting to go */
        struct req *flight;             /* in flight */
        int nflight;
        struct retl_keyset inflight_keys;       /* of the rows in flight */
        struct retl_keyset skipped_keys;        /* scratch of build_batch */

        struct retl_pace_window pacer;  /* rate_limit */
        struct segname *segname;        /* the segment being found by name, or NULL */
        struct retl_pace_window app_pacer;      /* App API: 10 requests/s */
        int64_t backoff_until_ms;
        int attempts;                   /* consecutive failed attempts */
        uint64_t rnd;
        int auth_blocked;
        int64_t auth_retry_ms;
        rd_kafka_queue_t *rkqu;         /* its own queue of messages (owned) */
        struct retl_fetch_nudge nudge;  /* when to wake librdkafka's fetcher */
        int64_t orphans;
        int64_t last_progress_ms;
        int64_t commit_retry_ms;

        /* row state (partition_state.c) */
        struct retl_rowstate *rowstate; /* NULL until loaded */
        char *state_topic;
        uint16_t *state_pending;        /* rows sent, not retired, by state key's low bits */
        int64_t state_written;          /* records produced since the last commit */
        int state_broken;               /* a record could not be produced: no commit */
        int64_t state_retry_ms;         /* a failed load is not tried again before */

        struct guard *guard;            /* a run counted or held (partition_guard.c), or NULL */
        int64_t inherited_end;          /* the topic's end when this worker got it: runs
                                           starting before it may have been reported by
                                           the previous worker (INT64_MAX: unknown) */
};

#endif
