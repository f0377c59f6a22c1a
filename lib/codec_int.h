/* retl — the Avro codec's insides, shared by lib/codec.c (the codec's life,
 * dispatch and fingerprints), lib/codec_fields.c (records through avro-c's
 * generic values) and lib/codec_row.c (Row in Avro's binary encoding);
 * nothing else includes it (callers use codec.h). */
#ifndef RETL_CODEC_INT_H
#define RETL_CODEC_INT_H

#include "codec.h"
#include "avro_check.h"

#include <avro.h>
#include <stddef.h>
#include <stdint.h>

#define HEADER_LEN 10

struct codec_type {
        int type;               /* enum retl_record_type */
        avro_schema_t schema;
        struct retl_avro_check *check;
        avro_value_iface_t *iface;
        avro_value_t value;
        uint64_t fp;
        unsigned char header[HEADER_LEN];
};

struct retl_codec {
        struct codec_type t[RETL_REC__COUNT];
        struct codec_type *old; /* earlier versions, decoded only */
        size_t nold;
        avro_reader_t reader;
        /* decode scratch: columns of the last row, runs of the last control */
        struct retl_column *cols;
        size_t cols_cap;
        const char **runs;
        size_t runs_cap;
        /* the Row reader's strings, NUL-terminated */
        char *text;
        size_t text_cap;
};

/* Field positions, as in the .avsc files (tests/unit/test_codec.c checks). */
enum { RS_RUN_ID, RS_SYNC, RS_WORKSPACE, RS_STARTED, RS_LST, RS_REPLAY_OF, RS_SETTINGS,
       RS_DB_CLOCK };
enum { SS_IMPORT, SS_IDENT, SS_UPDATE_ONLY, SS_OTYPE, SS_EMPTY, SS_SUPPRESSED, SS_SEGMENT,
       SS_REL_IDENT, SS_QUERY, SS_REL_QUERY, SS_INTERVAL, SS_SEND_UNCHANGED, SS_SEGMENT_NAME,
       SS_SEGMENT_DESC };
enum { ROW_RUN_ID, ROW_SYNC, ROW_PART, ROW_NUMBER, ROW_COLUMNS };
enum { COL_NAME, COL_VALUE };
enum { RF_RUN_ID, RF_SYNC, RF_STATUS, RF_ROWS, RF_REL_ROWS, RF_FINISHED, RF_ERROR };
enum { IR_RUN_ID, IR_SYNC, IR_WORKSPACE, IR_STATUS, IR_STARTED, IR_FINISHED, IR_ROWS,
       IR_IMPORTED, IR_FAILED, IR_LST, IR_REPLAY_OF, IR_ERROR, IR_UNCHANGED, IR_DELETED };
enum { FL_RUN_ID, FL_SYNC, FL_PART, FL_ROW_NUMBER, FL_IDENTIFIER, FL_REASON };
enum { CT_KIND, CT_REPLAY_ID, CT_WORKSPACE, CT_REQUESTED, CT_FROM, CT_TO, CT_RUNS, CT_SYNC,
       CT_GENERATION };
enum { ST_GENERATION, ST_FINGERPRINT };

/* An encoding or decoding in progress: the record's name, where a failure
 * goes (the first one counts). */
struct enc {
        const char *rec;
        char *err;
        size_t errsize;
        int failed;
};

struct dec {
        const char *rec;
        char *err;
        size_t errsize;
        int failed;
};

/* codec_fields.c: every record type through avro-c's generic values. */
void retl_codec_encode_fields(struct enc *e, avro_value_t *v, const struct retl_record *r);
void retl_codec_decode_fields(struct retl_codec *c, struct dec *d, avro_value_t *v,
                              struct retl_record *r);

/* codec_row.c: Row (and RowState) in Avro's binary encoding, without avro-c. */
int retl_codec_encode_row(const struct retl_row *x, const unsigned char *header,
                          struct retl_buf *out, char *errstr, size_t errstr_size);
int retl_codec_encode_row_state(const struct retl_row_state *x, const unsigned char *header,
                                struct retl_buf *out, char *errstr, size_t errstr_size);
int retl_codec_decode_row(struct retl_codec *c, const unsigned char *body, size_t len,
                          struct retl_row *x, char *errstr, size_t errstr_size);

#endif
