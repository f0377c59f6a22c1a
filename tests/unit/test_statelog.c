/* Unit tests: reading a state topic's records into the row state
 * (consumer/statelog.c retl_statelog_apply), in log order: entries,
 * tombstones, a reset's generation record, stale entries. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "consumer/statelog.h"

static char err[512];

/* A RowState value. */
static void value(struct retl_codec *c, struct retl_buf *out, int64_t gen, uint64_t fp)
{
        struct retl_record rec = {.type = RETL_REC_ROW_STATE};

        rec.u.row_state.generation = gen;
        rec.u.row_state.fingerprint = (int64_t)fp;
        assert_int_equal(retl_codec_encode(c, &rec, out, err, sizeof(err)), 0);
}

/* Applies the record (key of @p sync and @p id, a value or a tombstone). */
static enum retl_statelog_applied apply(struct retl_codec *c, struct retl_rowstate *rs,
                                        const char *sync, const char *id, int tombstone,
                                        int64_t gen, uint64_t fp)
{
        struct retl_buf key, v;
        char sid[64];
        int n = snprintf(sid, sizeof(sid), "pid%c%s", 0, id);
        enum retl_statelog_applied a;

        retl_buf_init(&key, 0);
        retl_buf_init(&v, 0);
        if (!strcmp(id, "generation"))
                retl_statelog_key(&key, sync, "generation", strlen("generation"));
        else
                retl_statelog_key(&key, sync, sid, (size_t)n);
        if (!tombstone)
                value(c, &v, gen, fp);
        a = retl_statelog_apply(rs, c, key.b_data, retl_buf_len(&key),
                                tombstone ? NULL : v.b_data, retl_buf_len(&v), NULL);
        retl_buf_free(&key);
        retl_buf_free(&v);
        return a;
}

static int has(struct retl_rowstate *rs, const char *sync, const char *id, uint64_t *fp)
{
        struct retl_buf key;
        char sid[64];
        int n = snprintf(sid, sizeof(sid), "pid%c%s", 0, id), found;

        retl_buf_init(&key, 0);
        retl_statelog_key(&key, sync, sid, (size_t)n);
        found = retl_rowstate_lookup(rs, retl_rowstate_hash(key.b_data, retl_buf_len(&key)), fp);
        retl_buf_free(&key);
        return found;
}

static void test_log_order(void **state)
{
        struct retl_codec *c = retl_codec_new(err, sizeof(err));
        struct retl_rowstate *rs = retl_rowstate_new();
        uint64_t fp = 0;

        assert_non_null(c);
        /* entries of generation 0, one replaced, one deleted */
        assert_int_equal(apply(c, rs, "people", "1", 0, 0, 11), RETL_STATELOG_ENTRY);
        assert_int_equal(apply(c, rs, "people", "2", 0, 0, 22), RETL_STATELOG_ENTRY);
        assert_int_equal(apply(c, rs, "people", "3", 0, 0, 33), RETL_STATELOG_ENTRY);
        assert_int_equal(apply(c, rs, "other", "1", 0, 0, 99), RETL_STATELOG_ENTRY);
        assert_int_equal(apply(c, rs, "people", "1", 0, 0, 111), RETL_STATELOG_ENTRY);
        assert_int_equal(apply(c, rs, "people", "2", 1, 0, 0), RETL_STATELOG_DELETED);
        assert_true(has(rs, "people", "1", &fp) && fp == 111);
        assert_false(has(rs, "people", "2", &fp));
        assert_int_equal(retl_rowstate_count(rs, -1), 3);

        /* a reset of people: its entries so far are gone, other's stay */
        assert_int_equal(apply(c, rs, "people", "generation", 0, 5, 0),
                         RETL_STATELOG_GENERATION);
        assert_false(has(rs, "people", "1", &fp));
        assert_false(has(rs, "people", "3", &fp));
        assert_true(has(rs, "other", "1", &fp) && fp == 99);
        assert_int_equal(retl_rowstate_generation(rs, retl_rowstate_sync_find(rs, "people")), 5);

        /* after it: an entry of the old generation (a worker that had not seen
         * the reset) is stale, one of the new generation counts */
        assert_int_equal(apply(c, rs, "people", "3", 0, 0, 33), RETL_STATELOG_STALE);
        assert_false(has(rs, "people", "3", &fp));
        assert_int_equal(apply(c, rs, "people", "4", 0, 5, 44), RETL_STATELOG_ENTRY);
        assert_true(has(rs, "people", "4", &fp) && fp == 44);
        /* a stale record after a good one of the same key: the key is absent */
        assert_int_equal(apply(c, rs, "people", "4", 0, 0, 44), RETL_STATELOG_STALE);
        assert_false(has(rs, "people", "4", &fp));
        /* the same generation record again changes nothing */
        assert_int_equal(apply(c, rs, "people", "5", 0, 5, 55), RETL_STATELOG_ENTRY);
        assert_int_equal(apply(c, rs, "people", "generation", 0, 5, 0),
                         RETL_STATELOG_GENERATION);
        assert_true(has(rs, "people", "5", &fp) && fp == 55);

        /* not ours */
        assert_int_equal(retl_statelog_apply(rs, c, "nokind", 6, NULL, 0, NULL),
                         RETL_STATELOG_IGNORED);
        assert_int_equal(retl_statelog_apply(rs, c, "people\0pid\0x", 12, "junk", 4, NULL),
                         RETL_STATELOG_UNDECODABLE);
        retl_rowstate_destroy(rs);
        retl_codec_destroy(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_log_order),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
