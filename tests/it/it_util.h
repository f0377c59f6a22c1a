/* Helpers shared by the C integration tests (header only, included once per
 * test program after cmocka.h). */
#ifndef RETL_IT_UTIL_H
#define RETL_IT_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "lib/buf.h"
#include "lib/codec.h"
#include "lib/kafka.h"

/* Runs `$RETL ARGS` through the shell; returns its output (free() it) and
 * sets *status to its exit status. */
static inline char *it_retl(const char *args, int *status)
{
        char cmd[2048], chunk[4096];
        struct retl_buf out;
        FILE *p;
        size_t n;

        snprintf(cmd, sizeof(cmd), "%s %s", getenv("RETL"), args);
        p = popen(cmd, "r");
        assert_non_null(p);
        retl_buf_init(&out, 0);
        while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
                assert_int_equal(retl_buf_append(&out, chunk, n), 0);
        *status = WEXITSTATUS(pclose(p));
        return retl_buf_take(&out, NULL);
}

/* Encodes @p rec and produces it to partition 0 of @p topic (copied), with
 * the message timestamp @p ts_ms (0 = now). */
static inline void it_produce_at(rd_kafka_t *rk, struct retl_codec *codec, const char *topic,
                                 const struct retl_record *rec, int64_t ts_ms)
{
        char err[512];
        struct retl_buf b;

        retl_buf_init(&b, 0);
        assert_int_equal(retl_codec_encode(codec, rec, &b, err, sizeof(err)), 0);
        assert_int_equal(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
                                           RD_KAFKA_V_VALUE(b.b_data, b.b_len),
                                           RD_KAFKA_V_TIMESTAMP(ts_ms),
                                           RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                           RD_KAFKA_V_END), 0);
        retl_buf_free(&b);
}

/* it_produce_at, timestamped now. */
static inline void it_produce(rd_kafka_t *rk, struct retl_codec *codec, const char *topic,
                       const struct retl_record *rec)
{
        it_produce_at(rk, codec, topic, rec, 0);
}

#endif
