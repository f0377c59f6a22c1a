/* retl uploader — the row state in Kafka, see statelog.h. */
#include "consumer/statelog.h"
#include "lib/mem.h"
#include "lib/scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GENERATION_KIND "generation"

void retl_statelog_key(struct retl_buf *out, const char *sync, const char *state_id,
                       size_t state_id_len)
{
        retl_buf_reset(out);
        if (retl_buf_append(out, sync, strlen(sync) + 1) ||
            retl_buf_append(out, state_id, state_id_len))
                abort();        /* a key is far below the buffer's 1 GiB ceiling */
}

static int produce(rd_kafka_t *producer, const char *topic, const void *key, size_t keylen,
                   const void *value, size_t len, char *errstr, size_t errstr_size)
{
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;

        for (int tries = 0; tries < 100; tries++) {
                err = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic),
                                        RD_KAFKA_V_KEY(key, keylen),
                                        RD_KAFKA_V_VALUE((void *)value, len),
                                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                        RD_KAFKA_V_END);
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        break;
                rd_kafka_poll(producer, 100);
        }
        if (err) {
                snprintf(errstr, errstr_size, "producing to %s: %s", topic,
                         rd_kafka_err2str(err));
                return -1;
        }
        return 0;
}

static int put_value(rd_kafka_t *producer, struct retl_codec *codec, const char *topic,
                     const void *key, size_t keylen, int64_t generation, uint64_t fingerprint,
                     char *errstr, size_t errstr_size)
{
        struct retl_record rec = {.type = RETL_REC_ROW_STATE};
        struct retl_buf out;
        int rc;

        rec.u.row_state.generation = generation;
        rec.u.row_state.fingerprint = (int64_t)fingerprint;
        retl_buf_init(&out, 0);
        rc = retl_codec_encode(codec, &rec, &out, errstr, errstr_size);
        if (!rc)
                rc = produce(producer, topic, key, keylen, out.b_data, retl_buf_len(&out),
                             errstr, errstr_size);
        retl_buf_free(&out);
        return rc;
}

int retl_statelog_put(rd_kafka_t *producer, struct retl_codec *codec, const char *topic,
                      const void *key, size_t keylen, int64_t generation, uint64_t fingerprint,
                      char *errstr, size_t errstr_size)
{
        return put_value(producer, codec, topic, key, keylen, generation, fingerprint, errstr,
                         errstr_size);
}

int retl_statelog_delete(rd_kafka_t *producer, const char *topic, const void *key,
                         size_t keylen, char *errstr, size_t errstr_size)
{
        return produce(producer, topic, key, keylen, NULL, 0, errstr, errstr_size);
}

int retl_statelog_put_generation(rd_kafka_t *producer, struct retl_codec *codec,
                                 const char *topic, const char *sync, int64_t generation,
                                 char *errstr, size_t errstr_size)
{
        struct retl_buf key;
        int rc;

        retl_buf_init(&key, 0);
        retl_statelog_key(&key, sync, GENERATION_KIND, strlen(GENERATION_KIND));
        rc = put_value(producer, codec, topic, key.b_data, retl_buf_len(&key), generation, 0,
                       errstr, errstr_size);
        retl_buf_free(&key);
        return rc;
}

/* ================================================================ loading */

struct load {
        struct retl_codec *codec;
        struct retl_rowstate *rs;
        struct retl_statelog_stats *st;
        retl_statelog_each_cb *each;
        void *opaque;
        struct retl_buf stale;          /* keys, each as its length then its bytes */
        int64_t nstale;
};

static void note_stale(struct load *ld, const void *key, size_t keylen)
{
        uint32_t len = (uint32_t)keylen;

        ld->st->stale++;
        if (ld->nstale >= RETL_STATELOG_MAX_STALE)
                return;
        if (retl_buf_append(&ld->stale, &len, sizeof(len)) ||
            retl_buf_append(&ld->stale, key, keylen))
                return;
        ld->nstale++;
}

enum retl_statelog_applied retl_statelog_apply(struct retl_rowstate *rs,
                                               struct retl_codec *codec, const void *key,
                                               size_t keylen, const void *value, size_t len,
                                               struct retl_row_state *out)
{
        const char *k = key, *kind;
        size_t synclen = k ? strnlen(k, keylen) : 0;
        struct retl_record rec;
        char why[256];
        int sidx;

        if (!k || synclen + 1 >= keylen)
                return RETL_STATELOG_IGNORED;   /* no sync NUL kind: not ours */
        sidx = retl_rowstate_sync(rs, k);
        if (sidx < 0)
                return RETL_STATELOG_IGNORED;
        kind = k + synclen + 1;
        if (!value) {
                retl_rowstate_remove(rs, retl_rowstate_hash(key, keylen));
                return RETL_STATELOG_DELETED;
        }
        if (retl_codec_decode(codec, value, len, &rec, why, sizeof(why)) ||
            rec.type != RETL_REC_ROW_STATE)
                return RETL_STATELOG_UNDECODABLE;
        if (out)
                *out = rec.u.row_state;
        if (keylen - synclen - 1 == strlen(GENERATION_KIND) &&
            !memcmp(kind, GENERATION_KIND, strlen(GENERATION_KIND))) {
                /* a reset: what came before it of this sync is gone */
                if (rec.u.row_state.generation != retl_rowstate_generation(rs, sidx)) {
                        retl_rowstate_reset_sync(rs, sidx);
                        retl_rowstate_set_generation(rs, sidx, rec.u.row_state.generation);
                }
                return RETL_STATELOG_GENERATION;
        }
        if (rec.u.row_state.generation != retl_rowstate_generation(rs, sidx)) {
                /* written under another generation: absent, whatever came before */
                retl_rowstate_remove(rs, retl_rowstate_hash(key, keylen));
                return RETL_STATELOG_STALE;
        }
        retl_rowstate_put(rs, retl_rowstate_hash(key, keylen), sidx,
                          (uint64_t)rec.u.row_state.fingerprint);
        return RETL_STATELOG_ENTRY;
}

static int load_one(void *arg, const rd_kafka_message_t *m)
{
        struct load *ld = arg;
        struct retl_row_state v;
        enum retl_statelog_applied a;

        ld->st->records++;
        ld->st->bytes += (int64_t)(m->key_len + m->len);
        a = retl_statelog_apply(ld->rs, ld->codec, m->key, m->key_len, m->payload, m->len, &v);
        if (a == RETL_STATELOG_UNDECODABLE)
                ld->st->undecodable++;  /* absent, so its rows are sent: the safe side */
        else if (a == RETL_STATELOG_STALE)
                note_stale(ld, m->key, m->key_len);
        if (ld->each && a != RETL_STATELOG_IGNORED && a != RETL_STATELOG_UNDECODABLE)
                ld->each(ld->opaque, m->key, m->key, m->key_len,
                         a == RETL_STATELOG_DELETED ? NULL : &v, m->key_len + m->len);
        return 0;
}

int retl_statelog_load(const struct retl_cfg_kafka *kc, const char *topic,
                       struct retl_codec *codec, rd_kafka_t *producer, struct retl_rowstate *rs,
                       retl_statelog_each_cb *each, void *opaque,
                       struct retl_statelog_stats *st, char *errstr, size_t errstr_size)
{
        struct load ld = {codec, rs, st, each, opaque, {0}, 0};
        size_t at = 0;
        int rc;

        memset(st, 0, sizeof(*st));
        retl_buf_init(&ld.stale, 0);
        rc = retl_scan_topic_raw(kc, topic, 0, load_one, &ld, errstr, errstr_size);
        /* a stale key whose latest record is stale too: tombstone it, so that
         * compaction drops it */
        while (!rc && producer && at < retl_buf_len(&ld.stale)) {
                uint32_t len;
                const char *key;
                uint64_t fp;

                memcpy(&len, ld.stale.b_data + at, sizeof(len));
                key = ld.stale.b_data + at + sizeof(len);
                at += sizeof(len) + len;
                if (retl_rowstate_lookup(rs, retl_rowstate_hash(key, len), &fp))
                        continue;
                if (retl_statelog_delete(producer, topic, key, len, errstr, errstr_size))
                        rc = -1;
                else
                        st->tombstoned++;
        }
        retl_buf_free(&ld.stale);
        return rc;
}
