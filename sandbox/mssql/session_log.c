/* retl-mssql-standin — the session log (--log-session): LOGIN7 fields and SQL
 * batch texts as JSON lines, one per event, for tests to assert on. */
#include "sandbox/mssql/session_log.h"

#include "log.h"
#include "mem.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

struct retl_mssql_session_log {
        FILE *sl_file;
        pthread_mutex_t sl_lock; /* connections log from their own threads */
};

struct retl_mssql_session_log *retl_mssql_session_log_open(const char *path, char *errstr,
                                                           size_t errstr_size)
{
        struct retl_mssql_session_log *sl;
        FILE *f = fopen(path, "a");

        if (!f) {
                snprintf(errstr, errstr_size, "cannot open %s: %s", path, strerror(errno));
                return NULL;
        }
        sl = retl_calloc(1, sizeof(*sl));
        sl->sl_file = f;
        pthread_mutex_init(&sl->sl_lock, NULL);
        return sl;
}

void retl_mssql_session_log_close(struct retl_mssql_session_log *sl)
{
        if (!sl)
                return;
        fclose(sl->sl_file);
        pthread_mutex_destroy(&sl->sl_lock);
        free(sl);
}

/* Writes @p obj (taken) as one line and flushes it: a test reads the line
 * as soon as the stand-in has answered the request. */
static void write_line(struct retl_mssql_session_log *sl, json_t *obj)
{
        char *line = obj ? json_dumps(obj, JSON_COMPACT) : NULL;

        json_decref(obj);
        if (!line) {
                retl_log_warn("mssql", "--log-session: a line could not be encoded; skipped");
                return;
        }
        pthread_mutex_lock(&sl->sl_lock);
        if (fprintf(sl->sl_file, "%s\n", line) < 0 || fflush(sl->sl_file))
                retl_log_warn("mssql", "--log-session: write failed: %s", strerror(errno));
        pthread_mutex_unlock(&sl->sl_lock);
        free(line);
}

void retl_mssql_session_log_login(struct retl_mssql_session_log *sl, int spid,
                                  const struct retl_mssql_login_info *li)
{
        char version[16], flags1[8], flags2[8], type_flags[8], flags3[8];

        if (!sl)
                return;
        snprintf(version, sizeof(version), "0x%08X", (unsigned)li->li_tds_version);
        snprintf(flags1, sizeof(flags1), "0x%02X", li->li_option_flags1 & 0xFF);
        snprintf(flags2, sizeof(flags2), "0x%02X", li->li_option_flags2 & 0xFF);
        snprintf(type_flags, sizeof(type_flags), "0x%02X", li->li_type_flags & 0xFF);
        snprintf(flags3, sizeof(flags3), "0x%02X", li->li_option_flags3 & 0xFF);
        write_line(sl, json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
                                 "event", "login", "spid", spid, "tds_version", version,
                                 "option_flags1", flags1, "option_flags2", flags2,
                                 "type_flags", type_flags, "option_flags3", flags3,
                                 "user", li->li_user, "database", li->li_database,
                                 "app", li->li_app, "host", li->li_host,
                                 "library", li->li_library));
}

void retl_mssql_session_log_batch(struct retl_mssql_session_log *sl, int spid, const char *text,
                                  size_t len, const struct retl_mssql_set_state *st)
{
        if (!sl)
                return;
        write_line(sl, json_pack("{s:s, s:i, s:s%, s:o}", "event", "batch", "spid", spid, "text",
                                 text, len, "options", retl_mssql_set_json(st)));
}

void retl_mssql_session_log_rpc(struct retl_mssql_session_log *sl, int spid, const char *proc,
                                const char *text, size_t len)
{
        if (!sl)
                return;
        write_line(sl, json_pack("{s:s, s:i, s:s, s:s%}", "event", "rpc", "spid", spid, "proc",
                                 proc, "text", text, len));
}
