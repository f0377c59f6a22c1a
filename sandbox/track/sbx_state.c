/* retl sandbox — the workspace in a SQLite file (--state), see sbx_ws.h.
 *
 * The workspace lives in memory; the file is a snapshot written whole, in
 * one transaction, at shutdown and on the periodic flush. A crash loses
 * what came after the last snapshot; the file itself stays consistent. */
#include "sandbox/track/sbx_objects.h"
#include "sandbox/track/sbx_people.h"
#include "sandbox/track/sbx_rels.h"
#include "sandbox/track/sbx_segments.h"

#include "lib/mem.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STATE_VERSION 1

static const char schema_sql[] =
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS people (cio_id TEXT PRIMARY KEY, id TEXT, email TEXT,"
        " attributes TEXT NOT NULL, created_ms INTEGER, updated_ms INTEGER, updates INTEGER,"
        " seq INTEGER);"
        "CREATE TABLE IF NOT EXISTS objects (object_type_id TEXT, object_id TEXT,"
        " cio_object_id TEXT, attributes TEXT NOT NULL, created_ms INTEGER,"
        " updated_ms INTEGER, updates INTEGER, seq INTEGER,"
        " PRIMARY KEY (object_type_id, object_id));"
        "CREATE TABLE IF NOT EXISTS relationships (cio_id TEXT, object_type_id TEXT,"
        " object_id TEXT, attributes TEXT NOT NULL, created_ms INTEGER, updated_ms INTEGER,"
        " seq INTEGER);"
        "CREATE TABLE IF NOT EXISTS segments (id INTEGER PRIMARY KEY);"
        "CREATE TABLE IF NOT EXISTS segment_members (segment_id INTEGER, cio_id TEXT);"
        /* apart from segments: files written before names still load */
        "CREATE TABLE IF NOT EXISTS segment_names (id INTEGER PRIMARY KEY, name TEXT,"
        " description TEXT);"
        "CREATE TABLE IF NOT EXISTS suppressions (kind TEXT, value TEXT);";

static int db_fail(sqlite3 *db, const char *what, char *errstr, size_t errstr_size)
{
        snprintf(errstr, errstr_size, "%s: %s", what, db ? sqlite3_errmsg(db) : "no database");
        return -1;
}

static int exec(sqlite3 *db, const char *sql, char *errstr, size_t errstr_size)
{
        char *msg = NULL;

        if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
                snprintf(errstr, errstr_size, "%s", msg ? msg : "sqlite error");
                sqlite3_free(msg);
                return -1;
        }
        return 0;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
        return (const char *)sqlite3_column_text(st, i);
}

static json_t *col_json(sqlite3_stmt *st, int i)
{
        const char *t = col_text(st, i);
        /* JSON_ALLOW_NUL: numbers kept as sent are strings with a NUL
         * (sbx_numbers.h); the file keeps them so */
        json_t *j = t ? json_loads(t, JSON_ALLOW_NUL, NULL) : NULL;

        if (j && !json_is_object(j)) {
                json_decref(j);
                j = NULL;
        }
        return j ? j : json_object();
}

/* ------------------------------------------------------------------ */
/* Load                                                                */

static int load_meta(struct retl_sbx_ws *ws, sqlite3 *db, char *errstr, size_t errstr_size)
{
        sqlite3_stmt *st = NULL;

        if (sqlite3_prepare_v2(db, "SELECT key, value FROM meta", -1, &st, NULL) != SQLITE_OK)
                return db_fail(db, "reading meta", errstr, errstr_size);
        while (sqlite3_step(st) == SQLITE_ROW) {
                const char *k = col_text(st, 0), *v = col_text(st, 1);

                if (!k || !v)
                        continue;
                if (!strcmp(k, "next_person"))
                        ws->ws_next_person = strtoull(v, NULL, 10);
                else if (!strcmp(k, "next_object"))
                        ws->ws_next_object = strtoull(v, NULL, 10);
                else if (!strcmp(k, "next_segment"))
                        ws->ws_next_segment = strtol(v, NULL, 10);
                else if (!strcmp(k, "version") && strtol(v, NULL, 10) != STATE_VERSION) {
                        snprintf(errstr, errstr_size, "state file version %s, expected %d",
                                 v, STATE_VERSION);
                        sqlite3_finalize(st);
                        return -1;
                }
        }
        sqlite3_finalize(st);
        return 0;
}

static int load_rows(struct retl_sbx_ws *ws, sqlite3 *db, char *errstr, size_t errstr_size)
{
        sqlite3_stmt *st = NULL;
        int rc = -1;

        if (sqlite3_prepare_v2(db,
                               "SELECT cio_id, id, email, attributes, created_ms, updated_ms,"
                               " updates FROM people ORDER BY seq",
                               -1, &st, NULL) != SQLITE_OK)
                return db_fail(db, "reading people", errstr, errstr_size);
        while (sqlite3_step(st) == SQLITE_ROW) {
                if (!col_text(st, 0))
                        continue;
                retl_sbx_people_restore(ws, col_text(st, 0), col_text(st, 1), col_text(st, 2),
                                        col_json(st, 3), sqlite3_column_int64(st, 4),
                                        sqlite3_column_int64(st, 5),
                                        (uint64_t)sqlite3_column_int64(st, 6));
        }
        sqlite3_finalize(st);
        st = NULL;
        if (sqlite3_prepare_v2(db,
                               "SELECT object_type_id, object_id, cio_object_id, attributes,"
                               " created_ms, updated_ms, updates FROM objects ORDER BY seq",
                               -1, &st, NULL) != SQLITE_OK)
                return db_fail(db, "reading objects", errstr, errstr_size);
        while (sqlite3_step(st) == SQLITE_ROW) {
                if (!col_text(st, 0) || !col_text(st, 1) || !col_text(st, 2))
                        continue;
                retl_sbx_objects_restore(ws, col_text(st, 0), col_text(st, 1), col_text(st, 2),
                                         col_json(st, 3), sqlite3_column_int64(st, 4),
                                         sqlite3_column_int64(st, 5),
                                         (uint64_t)sqlite3_column_int64(st, 6));
        }
        sqlite3_finalize(st);
        st = NULL;
        if (sqlite3_prepare_v2(db,
                               "SELECT cio_id, object_type_id, object_id, attributes,"
                               " created_ms, updated_ms FROM relationships ORDER BY seq",
                               -1, &st, NULL) != SQLITE_OK)
                return db_fail(db, "reading relationships", errstr, errstr_size);
        while (sqlite3_step(st) == SQLITE_ROW) {
                if (!col_text(st, 0) || !col_text(st, 1) || !col_text(st, 2))
                        continue;
                retl_sbx_rels_restore(ws, col_text(st, 0), col_text(st, 1), col_text(st, 2),
                                      col_json(st, 3), sqlite3_column_int64(st, 4),
                                      sqlite3_column_int64(st, 5));
        }
        sqlite3_finalize(st);
        st = NULL;
        if (sqlite3_prepare_v2(db, "SELECT id FROM segments", -1, &st, NULL) != SQLITE_OK)
                return db_fail(db, "reading segments", errstr, errstr_size);
        while (sqlite3_step(st) == SQLITE_ROW)
                retl_sbx_ws_segment_create(ws, (long)sqlite3_column_int64(st, 0));
        sqlite3_finalize(st);
        st = NULL;
        if (sqlite3_prepare_v2(db, "SELECT id, name, description FROM segment_names", -1, &st,
                               NULL) != SQLITE_OK)
                return db_fail(db, "reading segment names", errstr, errstr_size);
        while (sqlite3_step(st) == SQLITE_ROW)
                retl_sbx_ws_segment_name(ws, (long)sqlite3_column_int64(st, 0), col_text(st, 1),
                                         col_text(st, 2));
        sqlite3_finalize(st);
        st = NULL;
        if (sqlite3_prepare_v2(db, "SELECT segment_id, cio_id FROM segment_members", -1, &st,
                               NULL) != SQLITE_OK)
                return db_fail(db, "reading segment members", errstr, errstr_size);
        while (sqlite3_step(st) == SQLITE_ROW)
                if (col_text(st, 1))
                        retl_sbx_segments_restore_member(ws, (long)sqlite3_column_int64(st, 0),
                                                         col_text(st, 1));
        sqlite3_finalize(st);
        st = NULL;
        if (sqlite3_prepare_v2(db, "SELECT kind, value FROM suppressions", -1, &st, NULL) !=
            SQLITE_OK)
                return db_fail(db, "reading suppressions", errstr, errstr_size);
        while (sqlite3_step(st) == SQLITE_ROW)
                if (col_text(st, 0) && col_text(st, 1))
                        retl_sbx_ws_suppress(ws, col_text(st, 0), col_text(st, 1), 1);
        rc = 0;
        sqlite3_finalize(st);
        return rc;
}

int retl_sbx_ws_load(struct retl_sbx_ws *ws, const char *path, char *errstr,
                     size_t errstr_size)
{
        sqlite3 *db = NULL;
        int rc = -1;

        if (access(path, F_OK) != 0)
                return 0; /* first run: nothing to load */
        if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
                db_fail(db, path, errstr, errstr_size);
                goto out;
        }
        if (exec(db, "SELECT 1 FROM meta LIMIT 1", errstr, errstr_size))
                goto out;
        if (load_meta(ws, db, errstr, errstr_size))
                goto out;
        if (load_rows(ws, db, errstr, errstr_size))
                goto out;
        rc = 0;
        ws->ws_dirty = 0;
out:
        sqlite3_close(db);
        return rc;
}

/* ------------------------------------------------------------------ */
/* Save                                                                */

static int bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
        return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

/* Binds frozen attributes (sbx_attrs.h): the file keeps the same text. */
static int bind_frozen(sqlite3_stmt *st, int i, const char *frozen)
{
        return sqlite3_bind_text(st, i, frozen ? frozen : "{}", -1, SQLITE_STATIC);
}

/* Binds attributes as compact JSON text; *buf takes the string to free. */
static int bind_json(sqlite3_stmt *st, int i, const json_t *j, char **buf)
{
        free(*buf);
        *buf = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17));
        return sqlite3_bind_text(st, i, *buf ? *buf : "{}", -1, SQLITE_STATIC);
}

static int step_reset(sqlite3_stmt *st)
{
        int rc = sqlite3_step(st);

        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return rc == SQLITE_DONE ? 0 : -1;
}

static int save_rows(struct retl_sbx_ws *ws, sqlite3 *db, char *errstr, size_t errstr_size)
{
        sqlite3_stmt *st = NULL;
        const struct sbx_person *p;
        const struct sbx_object *ob;
        const struct sbx_rel *r;
        char *js = NULL;
        int64_t seq = 0;
        int rc = -1;
        char num[32];

        if (sqlite3_prepare_v2(db, "INSERT INTO meta VALUES (?, ?)", -1, &st, NULL) != SQLITE_OK)
                goto fail;
        snprintf(num, sizeof(num), "%d", STATE_VERSION);
        sqlite3_bind_text(st, 1, "version", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, num, -1, SQLITE_TRANSIENT);
        if (step_reset(st))
                goto fail;
        snprintf(num, sizeof(num), "%llu", (unsigned long long)ws->ws_next_person);
        sqlite3_bind_text(st, 1, "next_person", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, num, -1, SQLITE_TRANSIENT);
        if (step_reset(st))
                goto fail;
        snprintf(num, sizeof(num), "%llu", (unsigned long long)ws->ws_next_object);
        sqlite3_bind_text(st, 1, "next_object", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, num, -1, SQLITE_TRANSIENT);
        if (step_reset(st))
                goto fail;
        snprintf(num, sizeof(num), "%ld", ws->ws_next_segment);
        sqlite3_bind_text(st, 1, "next_segment", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, num, -1, SQLITE_TRANSIENT);
        if (step_reset(st))
                goto fail;
        sqlite3_finalize(st);
        st = NULL;

        if (sqlite3_prepare_v2(db, "INSERT INTO people VALUES (?, ?, ?, ?, ?, ?, ?, ?)", -1,
                               &st, NULL) != SQLITE_OK)
                goto fail;
        TAILQ_FOREACH(p, &ws->ws_people, p_link) {
                sqlite3_bind_text(st, 1, p->p_cio_id, -1, SQLITE_STATIC);
                bind_text_or_null(st, 2, p->p_id);
                bind_text_or_null(st, 3, p->p_email);
                bind_frozen(st, 4, p->p_attrs);
                sqlite3_bind_int64(st, 5, p->p_created_ms);
                sqlite3_bind_int64(st, 6, p->p_updated_ms);
                sqlite3_bind_int64(st, 7, (sqlite3_int64)p->p_updates);
                sqlite3_bind_int64(st, 8, seq++);
                if (step_reset(st))
                        goto fail;
        }
        sqlite3_finalize(st);
        st = NULL;

        if (sqlite3_prepare_v2(db, "INSERT INTO objects VALUES (?, ?, ?, ?, ?, ?, ?, ?)", -1,
                               &st, NULL) != SQLITE_OK)
                goto fail;
        TAILQ_FOREACH(ob, &ws->ws_objs, o_link) {
                sqlite3_bind_text(st, 1, ob->o_type, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 2, ob->o_id, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 3, ob->o_cio_id, -1, SQLITE_STATIC);
                bind_frozen(st, 4, ob->o_attrs);
                sqlite3_bind_int64(st, 5, ob->o_created_ms);
                sqlite3_bind_int64(st, 6, ob->o_updated_ms);
                sqlite3_bind_int64(st, 7, (sqlite3_int64)ob->o_updates);
                sqlite3_bind_int64(st, 8, seq++);
                if (step_reset(st))
                        goto fail;
        }
        sqlite3_finalize(st);
        st = NULL;

        if (sqlite3_prepare_v2(db, "INSERT INTO relationships VALUES (?, ?, ?, ?, ?, ?, ?)", -1,
                               &st, NULL) != SQLITE_OK)
                goto fail;
        TAILQ_FOREACH(r, &ws->ws_rel_list, r_link) {
                sqlite3_bind_text(st, 1, r->r_person->p_cio_id, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 2, r->r_object->o_type, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 3, r->r_object->o_id, -1, SQLITE_STATIC);
                bind_json(st, 4, r->r_attrs, &js);
                sqlite3_bind_int64(st, 5, r->r_created_ms);
                sqlite3_bind_int64(st, 6, r->r_updated_ms);
                sqlite3_bind_int64(st, 7, seq++);
                if (step_reset(st))
                        goto fail;
        }
        sqlite3_finalize(st);
        st = NULL;

        if (sqlite3_prepare_v2(db, "INSERT INTO segments VALUES (?)", -1, &st, NULL) != SQLITE_OK)
                goto fail;
        for (size_t i = 0; i < ws->ws_n_segments; i++) {
                sqlite3_bind_int64(st, 1, ws->ws_segments[i].s_id);
                if (step_reset(st))
                        goto fail;
        }
        sqlite3_finalize(st);
        st = NULL;

        if (sqlite3_prepare_v2(db, "INSERT INTO segment_names VALUES (?, ?, ?)", -1, &st,
                               NULL) != SQLITE_OK)
                goto fail;
        for (size_t i = 0; i < ws->ws_n_segments; i++) {
                const struct sbx_segment *sg = &ws->ws_segments[i];

                if (!sg->s_name && !sg->s_description)
                        continue;
                sqlite3_bind_int64(st, 1, sg->s_id);
                sqlite3_bind_text(st, 2, sg->s_name, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 3, sg->s_description, -1, SQLITE_STATIC);
                if (step_reset(st))
                        goto fail;
        }
        sqlite3_finalize(st);
        st = NULL;

        if (sqlite3_prepare_v2(db, "INSERT INTO segment_members VALUES (?, ?)", -1, &st, NULL) !=
            SQLITE_OK)
                goto fail;
        for (size_t i = 0; i < ws->ws_n_segments; i++) {
                size_t it = 0;
                const char *k;

                while (retl_sbx_map_next(ws->ws_segments[i].s_members, &it, &k, NULL)) {
                        sqlite3_bind_int64(st, 1, ws->ws_segments[i].s_id);
                        sqlite3_bind_text(st, 2, k, -1, SQLITE_STATIC);
                        if (step_reset(st))
                                goto fail;
                }
        }
        sqlite3_finalize(st);
        st = NULL;

        if (sqlite3_prepare_v2(db, "INSERT INTO suppressions VALUES (?, ?)", -1, &st, NULL) !=
            SQLITE_OK)
                goto fail;
        for (int kind = 0; kind < 2; kind++) {
                struct retl_sbx_map *m = kind ? ws->ws_sup_emails : ws->ws_sup_ids;
                size_t it = 0;
                const char *k;

                while (retl_sbx_map_next(m, &it, &k, NULL)) {
                        sqlite3_bind_text(st, 1, kind ? "email" : "id", -1, SQLITE_STATIC);
                        sqlite3_bind_text(st, 2, k, -1, SQLITE_STATIC);
                        if (step_reset(st))
                                goto fail;
                }
        }
        rc = 0;
        goto out;
fail:
        db_fail(db, "writing state", errstr, errstr_size);
out:
        sqlite3_finalize(st);
        free(js);
        return rc;
}

int retl_sbx_ws_save(struct retl_sbx_ws *ws, const char *path, char *errstr,
                     size_t errstr_size)
{
        sqlite3 *db = NULL;
        int rc = -1;

        if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
            SQLITE_OK) {
                db_fail(db, path, errstr, errstr_size);
                goto out;
        }
        sqlite3_busy_timeout(db, 5000);
        if (exec(db, "PRAGMA journal_mode=DELETE; PRAGMA synchronous=NORMAL;", errstr,
                 errstr_size))
                goto out;
        if (exec(db, schema_sql, errstr, errstr_size))
                goto out;
        if (exec(db, "BEGIN IMMEDIATE", errstr, errstr_size))
                goto out;
        if (exec(db,
                 "DELETE FROM meta; DELETE FROM people; DELETE FROM objects;"
                 " DELETE FROM relationships; DELETE FROM segments;"
                 " DELETE FROM segment_members; DELETE FROM segment_names;"
                 " DELETE FROM suppressions;",
                 errstr, errstr_size) ||
            save_rows(ws, db, errstr, errstr_size)) {
                char ignored[64];

                exec(db, "ROLLBACK", ignored, sizeof(ignored));
                goto out;
        }
        if (exec(db, "COMMIT", errstr, errstr_size))
                goto out;
        ws->ws_dirty = 0;
        rc = 0;
out:
        sqlite3_close(db);
        return rc;
}
