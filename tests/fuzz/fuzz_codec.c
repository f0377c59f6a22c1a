/* Fuzz target: the Avro record decoder (retl_codec_decode) on corrupt, truncated and foreign messages. */
#include "tests/fuzz/fuzz.h"

#include "buf.h"
#include "codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct retl_codec *codec_new(void)
{
        char err[256];
        struct retl_codec *c = retl_codec_new(err, sizeof(err));

        if (!c) {
                fprintf(stderr, "fuzz_codec: %s\n", err);
                abort();
        }
        return c;
}

/* Encodes @p rec with @p enc into @p out; a record the decoder accepted must
 * encode again, or the decoder lets through what the codec cannot write. */
static void must_encode(struct retl_codec *enc, const struct retl_record *rec,
                        struct retl_buf *out)
{
        char err[512];

        if (retl_codec_encode(enc, rec, out, err, sizeof(err))) {
                fprintf(stderr, "fuzz_codec: a decoded %s does not encode: %s\n",
                        retl_record_type_name(rec->type), err);
                abort();
        }
}

/* dec owns the decoded records' strings; enc is a second codec so that
 * encoding does not overwrite what it reads */
static struct retl_codec *dec, *enc;

/* avro-c hides its pointers from LeakSanitizer: free the codecs before it looks */
static void codecs_destroy(void)
{
        retl_codec_destroy(dec);
        retl_codec_destroy(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct retl_record rec;
        struct retl_buf first, second;
        char err[512];

        if (!dec) {
                dec = codec_new();
                enc = codec_new();
                atexit(codecs_destroy);
        }
        if (retl_codec_decode(dec, data, size, &rec, err, sizeof(err)))
                return 0;
        /* What was accepted round-trips: encoding, decoding and encoding
         * again gives the same bytes. */
        retl_buf_init(&first, 0);
        retl_buf_init(&second, 0);
        must_encode(enc, &rec, &first);
        if (retl_codec_decode(dec, first.b_data, first.b_len, &rec, err, sizeof(err))) {
                fprintf(stderr, "fuzz_codec: a re-encoded record does not decode: %s\n", err);
                abort();
        }
        must_encode(enc, &rec, &second);
        if (first.b_len != second.b_len || memcmp(first.b_data, second.b_data, first.b_len)) {
                fprintf(stderr, "fuzz_codec: %s changes on a second round trip\n",
                        retl_record_type_name(rec.type));
                abort();
        }
        retl_buf_free(&first);
        retl_buf_free(&second);
        return 0;
}
