/* retl — the Avro codec of every record written to Kafka.
 *
 * Messages are Avro binary in the single-object encoding: 0xC3 0x01, the
 * schema's CRC-64-AVRO fingerprint (8 bytes, little-endian), then the body.
 * Any Avro library decodes them with the schemas/ files alone. The codec is not
 * thread-safe: one per thread. */
#ifndef RETL_CODEC_H
#define RETL_CODEC_H

#include "buf.h"
#include "records.h"

#include <stdint.h>

struct retl_codec;

/* The schemas' JSON texts, embedded at build time (build/gen/schemas.c). */
extern const char *const retl_schema_json[RETL_REC__COUNT];

/* An earlier version of a record type's schema (schemas/history/NAME.N.avsc):
 * still decoded, never written. A field added since has a default, which the
 * decoder gives a record written with the earlier version. The list ends
 * with type -1. */
struct retl_schema_version {
        int type;               /* enum retl_record_type */
        const char *json;
};
extern const struct retl_schema_version retl_schema_history[];

/** @brief Parses the embedded schemas. @returns NULL with the reason in errstr. */
struct retl_codec *retl_codec_new(char *errstr, size_t errstr_size);
void retl_codec_destroy(struct retl_codec *codec);

/** @brief The fingerprint of a record type's schema. */
uint64_t retl_codec_fingerprint(const struct retl_codec *codec, enum retl_record_type t);

/** @brief Encodes @p rec into @p out (emptied first), single-object encoding.
 *  @returns 0, or -1 with the reason (field at fault) in errstr. */
int retl_codec_encode(struct retl_codec *codec, const struct retl_record *rec,
                      struct retl_buf *out, char *errstr, size_t errstr_size)
        __attribute__((warn_unused_result));

/** @brief Decodes one message. The record's strings and arrays point into
 *  the codec and stay valid until its next decode.
 *  @returns 0, or -1 with the reason in errstr (unknown fingerprint, not
 *  single-object encoded, truncated). */
int retl_codec_decode(struct retl_codec *codec, const void *data, size_t len,
                      struct retl_record *rec, char *errstr, size_t errstr_size)
        __attribute__((warn_unused_result));

/** @brief Which record type a message holds, from its header alone.
 *  @returns the type, or -1. */
int retl_codec_peek_type(const struct retl_codec *codec, const void *data, size_t len);

#endif
