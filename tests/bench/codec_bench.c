/* Benchmark: Avro codec throughput, encode and decode of Row records with
 * 10 columns of mixed types (about 200 bytes each). Prints records/s. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/codec.h"

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
        long n = argc > 1 ? strtol(argv[1], NULL, 10) : 500000;
        char err[512], email[64], name[32];
        struct retl_codec *enc = retl_codec_new(err, sizeof(err));
        struct retl_codec *dec = retl_codec_new(err, sizeof(err));
        struct retl_buf buf;
        struct retl_record rec, out;
        size_t bytes = 0;
        double t0, t_enc = 0, t_dec = 0;

        if (!enc || !dec) {
                fprintf(stderr, "%s\n", err);
                return 1;
        }
        retl_buf_init(&buf, 0);
        for (long i = 1; i <= n; i++) {
                struct retl_column cols[10] = {
                        {"id", {.type = RETL_V_LONG, .u.l = i}},
                        {"email", {.type = RETL_V_STRING}},
                        {"first_name", {.type = RETL_V_STRING}},
                        {"last_name", {.type = RETL_V_STRING, .u.s = {"Lovelace", 8}}},
                        {"plan", {.type = RETL_V_STRING, .u.s = {"enterprise", 10}}},
                        {"lifetime_value", {.type = RETL_V_DECIMAL, .u.s = {"12345.67", 8}}},
                        {"is_vip", {.type = RETL_V_BOOL, .u.b = (int)(i & 1)}},
                        {"score", {.type = RETL_V_DOUBLE, .u.d = (double)i / 7.0}},
                        {"signed_up", {.type = RETL_V_DATETIME, .u.s = {"2024-05-01T12:34:56", 19}}},
                        {"notes", {.type = RETL_V_NULL}},
                };
                int ne = snprintf(email, sizeof(email), "person%ld@example.com", i);
                int nn = snprintf(name, sizeof(name), "Ada%ld", i);
                cols[1].value.u.s.ptr = email;
                cols[1].value.u.s.len = (size_t)ne;
                cols[2].value.u.s.ptr = name;
                cols[2].value.u.s.len = (size_t)nn;
                rec.type = RETL_REC_ROW;
                rec.u.row = (struct retl_row){"people-1-abcd", "people", RETL_PART_MAIN, i, 10, cols};
                t0 = now();
                if (retl_codec_encode(enc, &rec, &buf, err, sizeof(err))) {
                        fprintf(stderr, "%s\n", err);
                        return 1;
                }
                t_enc += now() - t0;
                bytes += retl_buf_len(&buf);
                t0 = now();
                if (retl_codec_decode(dec, buf.b_data, buf.b_len, &out, err, sizeof(err))) {
                        fprintf(stderr, "%s\n", err);
                        return 1;
                }
                t_dec += now() - t0;
        }
        printf("codec: %ld Row records of 10 columns, %.0f bytes each\n", n, (double)bytes / (double)n);
        printf("codec: encode %.0f records/s, decode %.0f records/s\n", (double)n / t_enc,
               (double)n / t_dec);
        retl_buf_free(&buf);
        retl_codec_destroy(enc);
        retl_codec_destroy(dec);
        return 0;
}
