/* retl-mssql-standin — SQL batches: the text rewritten for SQLite, run
 * statement by statement, results streamed as COLMETADATA, ROW/NBCROW, DONE. */
#include "sandbox/mssql/session_batch.h"
#include "sandbox/mssql/session_cancel.h"
#include "sandbox/mssql/session_io.h"
#include "sandbox/mssql/session_log.h"
#include "sandbox/mssql/session_token.h"
#include "sandbox/mssql/tsql_errors.h"
#include "sandbox/mssql/tsql_rewrite.h"
#include "sandbox/mssql/tsql_typer.h"
#include "sandbox/mssql/types.h"
#include "sandbox/mssql/types_convert.h"

#include "log.h"
#include "mem.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* DONE CurCmd values SQL Server uses. */
#define CMD_SELECT 0xC1
#define CMD_INSERT 0xC3
#define CMD_DELETE 0xC4
#define CMD_UPDATE 0xC5

struct done_pending {
        int set;
        unsigned status, curcmd;
        uint64_t count;
};

static void done_flush(struct retl_mssql_sess *s, struct done_pending *d, int more)
{
        if (!d->set)
                return;
        retl_mssql_token_done(s, d->status | (more ? TDS_DONE_MORE : 0), d->curcmd, d->count);
        d->set = 0;
}

static void done_later(struct retl_mssql_sess *s, struct done_pending *d, unsigned status,
                       unsigned curcmd, uint64_t count)
{
        done_flush(s, d, 1);
        d->set = 1;
        d->status = status;
        d->curcmd = curcmd;
        d->count = count;
}

static const char *skip_blank(const char *p)
{
        for (;;) {
                while (isspace((unsigned char)*p))
                        p++;
                if (p[0] == '-' && p[1] == '-') {
                        while (*p && *p != '\n')
                                p++;
                } else if (p[0] == '/' && p[1] == '*') {
                        const char *e = strstr(p + 2, "*/");
                        p = e ? e + 2 : p + strlen(p);
                } else if (*p == ';') {
                        p++;
                } else {
                        return p;
                }
        }
}

static int word_is(const char *p, const char *w)
{
        size_t n = strlen(w);
        return strncasecmp(p, w, n) == 0 && !isalnum((unsigned char)p[n]) && p[n] != '_';
}

/* The end of a SET or USE statement: ';' or end of line. */
static const char *line_end(const char *p)
{
        while (*p && *p != ';' && *p != '\n')
                p++;
        return p;
}

/* Statements that may start a new one after the previous one without a ';'
 * (T-SQL allows "SELECT 1 <newline> SELECT 2"). */
static int starts_statement(const char *p)
{
        static const char *const kw[] = {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH",
                                         "SET", "USE", "CREATE", "DROP", "ALTER", "BEGIN",
                                         "COMMIT", "ROLLBACK", "SAVE", "DECLARE", "EXEC",
                                         "EXECUTE", "PRINT", "IF", "MERGE", "TRUNCATE", NULL};
        for (int i = 0; kw[i]; i++)
                if (word_is(p, kw[i]))
                        return 1;
        return 0;
}

/* A SET or USE statement ends at ';', the line's end, or a word that starts
 * the next statement ("set implicit_transactions off IF @@TRANCOUNT > 0
 * COMMIT TRAN", as the JDBC driver sends it). */
static const char *set_end(const char *p, const char *end)
{
        for (p += 3; p < end; p++)
                if (isalpha((unsigned char)*p) && !isalnum((unsigned char)p[-1]) &&
                    p[-1] != '_' && p[-1] != '@' && starts_statement(p))
                        return p;
        return end;
}

/* sqlite3_prepare_v2 of the next statement. SQLite needs ';' between
 * statements and T-SQL does not: when SQLite stops at a word that starts a
 * statement, the statement ends before it. */
static int prepare_next(sqlite3 *db, const char *cur, sqlite3_stmt **st, const char **tail)
{
        int rc = sqlite3_prepare_v2(db, cur, -1, st, tail), off;

        if (rc != SQLITE_ERROR || (off = sqlite3_error_offset(db)) <= 0 ||
            !starts_statement(cur + off) || !strstr(sqlite3_errmsg(db), "syntax error"))
                return rc;
        if (sqlite3_prepare_v2(db, cur, off, st, tail) != SQLITE_OK)
                return sqlite3_prepare_v2(db, cur, -1, st, tail); /* the first error */
        *tail = cur + off;
        return SQLITE_OK;
}

static void value_of(sqlite3_stmt *st, int i, struct retl_mssql_value *v)
{
        v->v_type = sqlite3_column_type(st, i);
        switch (v->v_type) {
        case SQLITE_INTEGER:
                v->v_int = sqlite3_column_int64(st, i);
                break;
        case SQLITE_FLOAT:
                v->v_real = sqlite3_column_double(st, i);
                break;
        case SQLITE_TEXT:
                v->v_ptr = sqlite3_column_text(st, i);
                v->v_len = (size_t)sqlite3_column_bytes(st, i);
                break;
        case SQLITE_BLOB:
                v->v_ptr = sqlite3_column_blob(st, i);
                v->v_len = (size_t)sqlite3_column_bytes(st, i);
                break;
        default:
                break;
        }
}

static unsigned stmt_curcmd(const char *sql)
{
        sql = skip_blank(sql);
        if (word_is(sql, "INSERT") || word_is(sql, "REPLACE"))
                return CMD_INSERT;
        if (word_is(sql, "UPDATE"))
                return CMD_UPDATE;
        if (word_is(sql, "DELETE"))
                return CMD_DELETE;
        if (word_is(sql, "SELECT") || word_is(sql, "WITH") || word_is(sql, "VALUES"))
                return CMD_SELECT;
        return 0;
}

/* Is result column @p i a table column declared NOT NULL? Expressions and
 * columns SQLite cannot trace to a table are nullable. */
static int column_not_null(sqlite3 *db, sqlite3_stmt *st, int i)
{
        const char *schema = sqlite3_column_database_name(st, i);
        const char *table = sqlite3_column_table_name(st, i);
        const char *column = sqlite3_column_origin_name(st, i);
        int not_null = 0;

        if (!schema || !table || !column ||
            sqlite3_table_column_metadata(db, schema, table, column, NULL, NULL, &not_null,
                                          NULL, NULL) != SQLITE_OK)
                return 0;
        return not_null;
}

/* Encodes one row; @returns 0, or -1 with err set (conversion). */
static int send_row(struct retl_mssql_sess *s, sqlite3_stmt *st, int ncols,
                    const struct retl_mssql_type *types, size_t *offs,
                    struct retl_mssql_error *err)
{
        size_t null_bytes = 0, bitmap = ((size_t)ncols + 7) / 8;
        int nulls = 0;
        uint8_t bits[(1024 + 7) / 8];

        retl_wbuf_reset(&s->row);
        memset(bits, 0, bitmap);
        for (int i = 0; i < ncols; i++) {
                struct retl_mssql_value v = {0};
                value_of(st, i, &v);
                offs[i] = s->row.wb_len;
                if (v.v_type == SQLITE_NULL && retl_mssql_type_is_fixed(&types[i])) {
                        /* an outer join can bring NULL into a NOT NULL
                         * column, and SQLite does not tell us beforehand */
                        const char *name = sqlite3_column_name(st, i);
                        retl_mssql_error_set(err, 50000, 16,
                                             "Column '%s' is NOT NULL in its table, so the "
                                             "stand-in sends it as a fixed-length type, but "
                                             "the query returned NULL for it.",
                                             name ? name : "");
                        return -1;
                }
                if (v.v_type == SQLITE_NULL) {
                        bits[i / 8] |= (uint8_t)(1u << (i % 8));
                        null_bytes += retl_mssql_null_size(&types[i]);
                        nulls++;
                        continue;
                }
                if (retl_mssql_encode(&types[i], &v, &s->row, err))
                        return -1;
                if (s->row.wb_over) {
                        err->me_number = 1101;
                        err->me_severity = 17;
                        err->me_state = 1;
                        snprintf(err->me_msg, sizeof(err->me_msg),
                                 "Row larger than the stand-in's %u MiB limit.",
                                 MAX_ROW >> 20);
                        return -1;
                }
        }
        offs[ncols] = s->row.wb_len;
        if (nulls && bitmap < null_bytes) {
                uint8_t tokb = TDS_TOK_NBCROW;
                retl_mssql_io_put(s, &tokb, 1);
                retl_mssql_io_put(s, bits, bitmap);
                retl_mssql_io_put(s, s->row.wb_data, s->row.wb_len);
        } else {
                uint8_t tokb = TDS_TOK_ROW;
                retl_mssql_io_put(s, &tokb, 1);
                for (int i = 0; i < ncols; i++) {
                        if (bits[i / 8] & (1u << (i % 8))) {
                                retl_wbuf_reset(&s->tok);
                                retl_mssql_put_null(&types[i], &s->tok);
                                retl_mssql_io_put_token(s);
                        } else {
                                retl_mssql_io_put(s, s->row.wb_data + offs[i],
                                                  offs[i + 1] - offs[i]);
                        }
                }
        }
        return 0;
}

/* Runs one prepared statement and streams its result.
 * @returns 0, -1 after an error (reported), 1 after ATTENTION. */
static int run_stmt(struct retl_mssql_sess *s, sqlite3_stmt *st, struct done_pending *dp,
                    const struct retl_mssql_typed *ty)
{
        int ncols = sqlite3_column_count(st), rc;
        unsigned curcmd = stmt_curcmd(sqlite3_sql(st));
        struct retl_mssql_error err;
        struct retl_mssql_type *types = NULL;
        size_t *offs = NULL;
        uint64_t rows = 0;
        int result = 0;

        if (ncols > 1024) {
                err = (struct retl_mssql_error){1702, 16, 1, "More than 1024 columns."};
                goto fail;
        }
        rc = sqlite3_step(st);
        if (ncols == 0) {
                while (rc == SQLITE_ROW)
                        rc = sqlite3_step(st);
                if (rc == SQLITE_INTERRUPT && s->attn)
                        return 1;
                if (rc != SQLITE_DONE)
                        goto sqlite_fail;
                if (curcmd == CMD_INSERT || curcmd == CMD_UPDATE || curcmd == CMD_DELETE)
                        done_later(s, dp, s->nocount ? 0 : TDS_DONE_COUNT, curcmd,
                                   (uint64_t)sqlite3_changes64(s->db));
                else
                        done_later(s, dp, 0, curcmd, 0);
                return 0;
        }
        if (rc == SQLITE_INTERRUPT && s->attn)
                return 1;
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                goto sqlite_fail;

        /* COLMETADATA: table columns by their declared type, expressions
         * by the typer, and what it cannot type is refused by name. */
        types = retl_calloc((size_t)ncols, sizeof(*types));
        offs = retl_calloc((size_t)ncols + 1, sizeof(*offs));
        for (int i = 0; i < ncols; i++) {
                if (ty->ty_compound && ty->ty_known[i]) {
                        types[i] = ty->ty_types[i];
                        types[i].mt_not_null = 0;
                } else if (retl_mssql_type_parse(sqlite3_column_decltype(st, i), &types[i]) == 0) {
                        types[i].mt_not_null = !ty->ty_outer_join &&
                                               column_not_null(s->db, st, i);
                        /* text, ntext and image name their table */
                        types[i].mt_table = sqlite3_column_table_name(st, i);
                } else if (ty->ty_known[i]) {
                        types[i] = ty->ty_types[i];
                        types[i].mt_not_null = 0;
                } else if (sqlite3_column_decltype(st, i)) {
                        const char *name = sqlite3_column_name(st, i);
                        retl_mssql_error_set(&err, 50000, 16,
                                             "retl-mssql-standin does not support the declared "
                                             "type '%s' of result column %d ('%s'): it is not a "
                                             "SQL Server type the stand-in maps.",
                                             sqlite3_column_decltype(st, i), i + 1,
                                             name ? name : "");
                        free(types);
                        free(offs);
                        goto fail;
                } else {
                        const char *name = sqlite3_column_name(st, i);
                        retl_mssql_error_set(&err, 50000, 16,
                                             "retl-mssql-standin does not support typing result "
                                             "column %d ('%s'): it cannot tell the SQL Server type "
                                             "of %s. CAST it to a type.",
                                             i + 1, name ? name : "", ty->ty_why[i] ? ty->ty_why[i]
                                                                                  : "this expression");
                        free(types);
                        free(offs);
                        goto fail;
                }
        }
        done_flush(s, dp, 1);
        retl_wbuf_u8(&s->tok, TDS_TOK_COLMETADATA);
        retl_wbuf_u16le(&s->tok, (unsigned)ncols);
        for (int i = 0; i < ncols; i++) {
                const char *name = sqlite3_column_name(st, i);
                retl_wbuf_u32le(&s->tok, 0); /* user type */
                retl_wbuf_u16le(&s->tok, types[i].mt_not_null ? 0x0000 : 0x0001); /* nullable */
                retl_mssql_type_info(&types[i], &s->tok);
                retl_tds_bvarchar(&s->tok, name ? name : "");
        }
        retl_mssql_io_put_token(s);

        while (rc == SQLITE_ROW && !s->dead) {
                if (send_row(s, st, ncols, types, offs, &err)) {
                        retl_mssql_token_error(s, &err);
                        retl_mssql_token_done(s, TDS_DONE_ERROR | TDS_DONE_COUNT, curcmd, rows);
                        result = -1;
                        goto out;
                }
                rows++;
                if (s->attn) {
                        result = 1;
                        goto out;
                }
                rc = sqlite3_step(st);
        }
        if (rc == SQLITE_INTERRUPT && s->attn) {
                result = 1;
                goto out;
        }
        if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
                retl_mssql_map_error(rc, sqlite3_errmsg(s->db), &err);
                retl_mssql_token_error(s, &err);
                retl_mssql_token_done(s, TDS_DONE_ERROR | TDS_DONE_COUNT, curcmd, rows);
                result = -1;
                goto out;
        }
        done_later(s, dp, s->nocount ? 0 : TDS_DONE_COUNT, curcmd, rows);
        retl_log_debug(s->ctx, "statement: %llu rows", (unsigned long long)rows);
out:
        free(types);
        free(offs);
        return result;
sqlite_fail:
        retl_mssql_map_error(rc, sqlite3_errmsg(s->db), &err);
fail:
        done_flush(s, dp, 1);
        retl_mssql_token_error(s, &err);
        retl_mssql_token_done(s, TDS_DONE_ERROR, curcmd, 0);
        return -1;
}

/* SET …: kept in the connection's options (session_set.c); NOCOUNT is the
 * one applied. Like SQL Server, no DONE of its own, so "SET NOCOUNT ON;
 * SELECT …" gives the SELECT as the first result (the batch still ends with
 * a DONE). An unknown option or a bad value ends the batch with its error.
 * @returns 0 or -1. */
static int run_set(struct retl_mssql_sess *s, const char *p, const char *end,
                   struct done_pending *dp)
{
        struct retl_mssql_error err;

        if (retl_mssql_set_apply(&s->set, p, end, &err)) {
                done_flush(s, dp, 1);
                retl_mssql_token_error(s, &err);
                retl_mssql_token_done(s, TDS_DONE_ERROR, 0, 0);
                return -1;
        }
        s->nocount = (s->set.ss_on & (1u << RETL_SET_NOCOUNT)) != 0;
        s->implicit_tx = (s->set.ss_on & (1u << RETL_SET_IMPLICIT_TRANSACTIONS)) != 0;
        return 0;
}

/* The statement an "IF condition statement" guards: the first word at
 * depth 0 after IF that starts a statement, or NULL. */
static const char *if_body(const char *p)
{
        int depth = 0;

        for (p += 2; *p; p++) {
                if (*p == '\'' || *p == '"') {
                        char q = *p;
                        while (*++p && *p != q)
                                ;
                        if (!*p)
                                return NULL;
                } else if (*p == '(') {
                        depth++;
                } else if (*p == ')') {
                        depth--;
                } else if (depth == 0 && isalpha((unsigned char)*p) &&
                           !isalnum((unsigned char)p[-1]) && p[-1] != '_' && starts_statement(p)) {
                        return p;
                }
        }
        return NULL;
}

/* IF condition statement: @returns where to go on (the statement, or after
 * it), or NULL with err set. IF ... ELSE and BEGIN ... END blocks are
 * refused by name. */
static const char *run_if(struct retl_mssql_sess *s, const char *cur, struct retl_mssql_error *err)
{
        const char *body = if_body(cur), *tail = NULL;
        char *q;
        sqlite3_stmt *st = NULL;
        int truth = 0;

        if (!body) {
                retl_mssql_error_set(err, 50000, 16, "retl-mssql-standin does not support this IF "
                                                     "statement (it runs IF condition statement).");
                return NULL;
        }
        if (word_is(body, "BEGIN") && !word_is(skip_blank(body + 5), "TRAN") &&
            !word_is(skip_blank(body + 5), "TRANSACTION")) {
                retl_mssql_error_set(err, 50000, 16, "retl-mssql-standin does not support IF with a "
                                                     "BEGIN ... END block.");
                return NULL;
        }
        q = sqlite3_mprintf("SELECT CASE WHEN %.*s THEN 1 ELSE 0 END", (int)(body - cur - 2), cur + 2);
        if (!q || sqlite3_prepare_v2(s->db, q, -1, &st, NULL) != SQLITE_OK ||
            sqlite3_step(st) != SQLITE_ROW) {
                retl_mssql_map_error(sqlite3_errcode(s->db), sqlite3_errmsg(s->db), err);
                sqlite3_finalize(st);
                sqlite3_free(q);
                return NULL;
        }
        truth = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        sqlite3_free(q);
        st = NULL;
        if (prepare_next(s->db, body, &st, &tail) != SQLITE_OK) {
                int off = sqlite3_error_offset(s->db);
                if (off >= 0 && word_is(body + off, "ELSE"))
                        retl_mssql_error_set(err, 50000, 16,
                                             "retl-mssql-standin does not support IF ... ELSE.");
                else
                        retl_mssql_map_error(sqlite3_errcode(s->db), sqlite3_errmsg(s->db), err);
                return NULL;
        }
        sqlite3_finalize(st);
        if (word_is(skip_blank(tail), "ELSE")) {
                retl_mssql_error_set(err, 50000, 16, "retl-mssql-standin does not support IF ... ELSE.");
                return NULL;
        }
        return truth ? body : tail;
}

static void run_use(struct retl_mssql_sess *s, const char *p, const char *end,
                    struct done_pending *dp)
{
        char name[130], msg[300];
        size_t n = 0;

        p += 3;
        while (p < end && isspace((unsigned char)*p))
                p++;
        for (; p < end && n + 1 < sizeof(name); p++) {
                if (*p == '"' || *p == '[' || *p == ']')
                        continue;
                if (isspace((unsigned char)*p))
                        break;
                name[n++] = *p;
        }
        name[n] = '\0';
        if (strcasecmp(name, s->conf->mc_database) != 0) {
                struct retl_mssql_error err = {911, 16, 1, ""};
                snprintf(err.me_msg, sizeof(err.me_msg),
                         "Database '%s' does not exist. Make sure that the name is entered "
                         "correctly.",
                         name);
                done_flush(s, dp, 1);
                retl_mssql_token_error(s, &err);
                done_later(s, dp, TDS_DONE_ERROR, 0, 0);
                return;
        }
        done_flush(s, dp, 1);
        retl_mssql_token_envchange(s, 1, s->conf->mc_database, s->database);
        snprintf(msg, sizeof(msg), "Changed database context to '%s'.", s->conf->mc_database);
        retl_mssql_token_message(s, TDS_TOK_INFO, 5701, 1, 0, msg);
        done_later(s, dp, 0, 0, 0);
}

/* Binds a statement's @name parameters from an RPC's values.
 * @returns 0, or -1 with err set (137: a name with no value). */
static int bind_params(sqlite3_stmt *st, const struct retl_mssql_param *params, int nparams,
                       struct retl_mssql_error *err)
{
        for (int i = 1; i <= sqlite3_bind_parameter_count(st); i++) {
                const char *name = sqlite3_bind_parameter_name(st, i);
                const struct retl_mssql_param *p = NULL;
                for (int k = 0; name && k < nparams; k++)
                        if (strcasecmp(params[k].rp_name, name) == 0)
                                p = &params[k];
                if (!p) {
                        retl_mssql_error_set(err, 137, 15, "Must declare the scalar variable \"%s\".",
                                             name ? name : "?");
                        return -1;
                }
                switch (p->rp_value.v_type) {
                case SQLITE_INTEGER:
                        sqlite3_bind_int64(st, i, p->rp_value.v_int);
                        break;
                case SQLITE_FLOAT:
                        sqlite3_bind_double(st, i, p->rp_value.v_real);
                        break;
                case SQLITE_TEXT:
                        sqlite3_bind_text(st, i, (const char *)p->rp_value.v_ptr,
                                          (int)p->rp_value.v_len, SQLITE_STATIC);
                        break;
                case SQLITE_BLOB:
                        sqlite3_bind_blob(st, i, p->rp_value.v_ptr, (int)p->rp_value.v_len,
                                          SQLITE_STATIC);
                        break;
                default:
                        sqlite3_bind_null(st, i);
                }
        }
        return 0;
}

int retl_mssql_batch_exec(struct retl_mssql_sess *s, const char *text, size_t len,
                          const struct retl_mssql_param *params, int nparams, int last_more)
{
        char *sql;
        const char *cur;
        struct done_pending dp = {0};
        int rc = 0;

        sql = retl_mssql_rewrite_opts(text, len, s->spid,
                                      (s->set.ss_on >> RETL_SET_QUOTED_IDENTIFIER) & 1);
        retl_log_debug(s->ctx, "as SQLite: %.400s", sql);
        cur = sql;
        while (!s->dead) {
                sqlite3_stmt *st = NULL;
                const char *tail = NULL;
                struct retl_mssql_error err;
                struct retl_mssql_typed ty;

                cur = skip_blank(cur);
                if (!*cur)
                        break;
                if (word_is(cur, "SET") || word_is(cur, "USE")) {
                        const char *end = set_end(cur, line_end(cur));
                        if (word_is(cur, "SET"))
                                rc = run_set(s, cur, end, &dp);
                        else
                                run_use(s, cur, end, &dp);
                        cur = end;
                        if (rc)
                                break;
                        continue;
                }
                if (word_is(cur, "IF")) {
                        if (!(cur = run_if(s, cur, &err)))
                                goto fail;
                        continue;
                }
                if (s->implicit_tx && sqlite3_get_autocommit(s->db) && !word_is(cur, "BEGIN") &&
                    !word_is(cur, "COMMIT") && !word_is(cur, "ROLLBACK") && !word_is(cur, "SAVE") &&
                    sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
                        retl_mssql_map_error(sqlite3_errcode(s->db), sqlite3_errmsg(s->db), &err);
                        goto fail;
                }
                if (prepare_next(s->db, cur, &st, &tail) != SQLITE_OK) {
                        retl_mssql_map_error(sqlite3_errcode(s->db), sqlite3_errmsg(s->db), &err);
                        retl_mssql_name_object(&err, text, len);
                        goto fail;
                }
                cur = tail;
                if (!st)
                        continue;
                if (bind_params(st, params, nparams, &err)) {
                        sqlite3_finalize(st);
                        goto fail;
                }
                retl_mssql_typer_run(s->db, sqlite3_sql(st), sqlite3_column_count(st), params,
                                     nparams, &ty);
                if (ty.ty_sql) { /* the typer's SQLite text, e.g. '||' for string '+' */
                        sqlite3_finalize(st);
                        st = NULL;
                        if (sqlite3_prepare_v2(s->db, ty.ty_sql, -1, &st, NULL) != SQLITE_OK ||
                            !st || bind_params(st, params, nparams, &err)) {
                                if (!st || sqlite3_errcode(s->db) != SQLITE_OK)
                                        retl_mssql_map_error(sqlite3_errcode(s->db),
                                                             sqlite3_errmsg(s->db), &err);
                                sqlite3_finalize(st);
                                retl_mssql_typer_free(&ty);
                                goto fail;
                        }
                }
                rc = run_stmt(s, st, &dp, &ty);
                retl_mssql_typer_free(&ty);
                sqlite3_finalize(st);
                if (rc)
                        break;
                continue;
fail:
                done_flush(s, &dp, 1);
                retl_mssql_token_error(s, &err);
                retl_mssql_token_done(s, TDS_DONE_ERROR, 0, 0);
                rc = -1;
                break;
        }
        free(sql);
        if (rc == 1) {
                done_flush(s, &dp, 1);
                return 1;
        }
        if (rc == 0) {
                if (!dp.set && !last_more)
                        done_later(s, &dp, 0, 0, 0); /* every reply ends with a DONE */
                done_flush(s, &dp, last_more);
        }
        /* after an error, the DONE_ERROR written with it is the last token */
        return rc;
}

void retl_mssql_batch_run(struct retl_mssql_sess *s)
{
        const uint8_t *p = s->msg.wb_data;
        size_t n = s->msg.wb_len, hdr = retl_mssql_all_headers(p, n);
        struct retl_wbuf text;
        int rc;

        retl_wbuf_init(&text, 0);
        retl_utf16le_to_utf8(&text, p + hdr, (n - hdr) / 2);
        retl_wbuf_u8(&text, 0);
        if (text.wb_over) {
                retl_wbuf_free(&text);
                s->dead = 1;
                return;
        }
        retl_log_info(s->ctx, "batch: %zu characters", (n - hdr) / 2);
        retl_log_debug(s->ctx, "batch text: %.400s", (const char *)text.wb_data);
        retl_mssql_session_log_batch(s->conf->mc_session_log, s->spid,
                                     (const char *)text.wb_data, text.wb_len - 1, &s->set);
        s->attn = 0;
        retl_mssql_io_begin(s, TDS_PKT_REPLY);
        rc = retl_mssql_batch_exec(s, (const char *)text.wb_data, text.wb_len - 1, NULL, 0, 0);
        retl_wbuf_free(&text);
        if (rc == 1)
                retl_mssql_cancel_finish(s);
        else
                retl_mssql_io_end(s);
        s->attn = 0;
}

size_t retl_mssql_all_headers(const uint8_t *p, size_t n)
{
        size_t hdr;

        /* ALL_HEADERS (TDS 7.2+): total length first, itself included. */
        if (n < 4)
                return 0;
        hdr = p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 | (size_t)p[3] << 24;
        return hdr < 4 || hdr > n ? 0 : hdr;
}
