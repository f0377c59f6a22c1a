/* Helpers of the row-state integration tests (tests/it/041N-*.c), on top of
 * upload_it.h: people runs of one sync, the sandbox's request counter, a
 * configuration that lists the sync, and `retl` commands. Header-only. */
#ifndef RETL_ROWSTATE_IT_H
#define RETL_ROWSTATE_IT_H

#include "tests/it/upload_it.h"

/* One test's names: prefix, the workspace "acme", its topics and group. */
struct rs_it {
        char prefix[64], topic[128], imports[128], failures[128], group[128], config[512];
        struct it_sandbox sb;
        struct retl_sync_settings s;
        int64_t t;                      /* runs start an hour ago, a second apart */
};

/* Starts the sandbox and writes a configuration listing sync "people" of
 * workspace acme (its database is never reached: the runs are produced
 * here). */
static __attribute__((unused)) void rs_setup(struct rs_it *x, const char *test)
{
        struct it_ws ws[1];
        FILE *f;

        it_init(test);
        snprintf(x->prefix, sizeof(x->prefix), "it%s-%ld", test, (long)time(NULL));
        snprintf(x->topic, sizeof(x->topic), "%s.acme", x->prefix);
        snprintf(x->imports, sizeof(x->imports), "%s-imports", x->prefix);
        snprintf(x->failures, sizeof(x->failures), "%s-failures", x->prefix);
        snprintf(x->group, sizeof(x->group), "%s.g", x->prefix);
        snprintf(x->config, sizeof(x->config), "%s/retl.conf", it_tmp);
        it_sandbox_start(&x->sb, "acme", NULL);
        ws[0].name = "acme";
        ws[0].sb = &x->sb;
        it_write_config(x->config, x->prefix, ws, 1);
        f = fopen(x->config, "a");
        CHECK(f);
        fprintf(f, "databases = ( { name = \"src\"; host = \"127.0.0.1\"; database = \"crm\";"
                " user = \"ro\"; password_env = \"IT_API_KEY\"; } );\n"
                "syncs = ( { name = \"people\"; workspace = \"acme\"; database = \"src\";"
                " import = \"people\"; interval = \"1h\"; query = \"SELECT id, name FROM p\"; } );\n");
        fclose(f);
        it_ensure_topic(x->topic);
        x->s = it_settings(RETL_IMPORT_PEOPLE, RETL_IDENT_ID);
        x->t = it_wall_ms() - 3600 * 1000;
}

/* Row i of a people run: id "u<i>", name from @p name_of (NULL = "n<i>"),
 * and an email when @p email_of gives one. */
typedef void (rs_value_fn)(int i, char *buf, size_t size);

/* Produces run @p run_id of sync "people": rows 1..n, then RunFinished. */
static __attribute__((unused)) void rs_run(struct rs_it *x, const char *run_id, int n,
                                           rs_value_fn *name_of, rs_value_fn *email_of)
{
        x->t += 1000;
        it_run_started(x->topic, run_id, "people", x->t, &x->s);
        for (int i = 1; i <= n; i++) {
                char id[32], name[128], email[128];
                struct retl_column c[3];
                size_t nc = 0;
                snprintf(id, sizeof(id), "u%d", i);
                if (name_of)
                        name_of(i, name, sizeof(name));
                else
                        snprintf(name, sizeof(name), "n%d", i);
                c[nc].name = "id";
                c[nc].value.type = RETL_V_STRING;
                c[nc].value.u.s.ptr = id;
                c[nc++].value.u.s.len = strlen(id);
                c[nc].name = "name";
                c[nc].value.type = RETL_V_STRING;
                c[nc].value.u.s.ptr = name;
                c[nc++].value.u.s.len = strlen(name);
                if (email_of) {
                        email_of(i, email, sizeof(email));
                        c[nc].name = "email";
                        c[nc].value.type = RETL_V_STRING;
                        c[nc].value.u.s.ptr = email;
                        c[nc++].value.u.s.len = strlen(email);
                }
                it_row(x->topic, run_id, "people", RETL_PART_MAIN, i, c, nc);
        }
        it_run_finished(x->topic, run_id, "people", RETL_EXTRACT_OK, n, 0);
        it_flush();
}

/* API requests the sandbox answered so far. */
static __attribute__((unused)) int64_t rs_requests(const struct rs_it *x)
{
        json_t *j = it_http(&x->sb, "/_sandbox/counters", NULL);
        int64_t n = json_integer_value(json_object_get(json_object_get(j, "requests"), "total"));
        json_decref(j);
        return n;
}

/* Entities the sandbox received so far (accepted, rejected or no-op). */
static __attribute__((unused)) int64_t rs_entities(const struct rs_it *x)
{
        json_t *j = it_http(&x->sb, "/_sandbox/counters", NULL), *e;
        int64_t n;

        e = json_object_get(j, "entities");
        n = json_integer_value(json_object_get(e, "accepted")) +
            json_integer_value(json_object_get(e, "rejected")) +
            json_integer_value(json_object_get(e, "noop"));
        json_decref(j);
        return n;
}

/* Waits until everything produced so far is committed. */
static __attribute__((unused)) void rs_wait_done(struct rs_it *x, int timeout_ms)
{
        it_wait_committed(x->group, x->topic, it_end_offset(x->topic), timeout_ms, NULL);
}

/* The last final report of run @p run_id, which has @p nfinal of them. */
static __attribute__((unused)) struct retl_import_report rs_report_n(struct rs_it *x,
                                                                     const char *run_id,
                                                                     int nfinal)
{
        struct it_reports rep;

        it_reports(x->imports, run_id, &rep);
        CHECKF(rep.nfinal == nfinal, "run %s: %d final reports, want %d", run_id, rep.nfinal,
               nfinal);
        fprintf(stderr, "run %s: status %d, rows %" PRId64 ", imported %" PRId64
                ", unchanged %" PRId64 ", failed %" PRId64 "\n", run_id, rep.last.status,
                rep.last.rows, rep.last.imported, rep.last.unchanged, rep.last.failed);
        return rep.last;
}

#define rs_report(x, run_id) rs_report_n(x, run_id, 1)

/* Runs `retl ARGS...` (NULL-terminated), its output into TMP/<log>.
 * @returns its exit status. */
static __attribute__((unused)) int rs_retl(const char *log, const char *const *args)
{
        char *argv[16];
        int n = 0, st = 0;
        pid_t pid;

        argv[n++] = (char *)it_retl;
        for (int i = 0; args[i] && n < 15; i++)
                argv[n++] = (char *)args[i];
        argv[n] = NULL;
        pid = it_spawn(log, argv);
        CHECK(waitpid(pid, &st, 0) == pid);
        it_forget(pid);
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Waits for child @p pid to exit by itself. @returns its exit status. */
static __attribute__((unused)) int rs_wait_exit(pid_t pid, int timeout_ms)
{
        int64_t end = it_now_ms() + timeout_ms;
        int st = 0;

        while (it_now_ms() < end) {
                if (waitpid(pid, &st, WNOHANG) == pid) {
                        it_forget(pid);
                        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
                }
                it_sleep_ms(100);
        }
        CHECKF(0, "process %d did not exit within %d ms", (int)pid, timeout_ms);
        return -1;
}

/* Every person u1..u<n> has the name @p name_of gives (NULL = "n<i>"), and
 * there are no others: the workspace equals the source. */
static __attribute__((unused)) void rs_check_people(struct rs_it *x, int n, rs_value_fn *name_of)
{
        char path[64];
        json_t *all, *p;
        size_t i;
        int ok = 0;

        snprintf(path, sizeof(path), "/_sandbox/people?limit=%d", n + 10);
        all = it_http(&x->sb, path, NULL);
        CHECKF(json_integer_value(json_object_get(all, "count")) == n, "%lld people, want %d",
               (long long)json_integer_value(json_object_get(all, "count")), n);
        json_array_foreach(json_object_get(all, "people"), i, p) {
                const char *id = json_string_value(json_object_get(p, "id"));
                const char *name = json_string_value(
                        json_object_get(json_object_get(p, "attributes"), "name"));
                char want[128];
                int k;
                CHECK(id && name && sscanf(id, "u%d", &k) == 1 && k >= 1 && k <= n);
                if (name_of)
                        name_of(k, want, sizeof(want));
                else
                        snprintf(want, sizeof(want), "n%d", k);
                CHECKF(!strcmp(name, want), "person %s is named '%s', want '%s'", id, name, want);
                ok++;
        }
        CHECK(ok == n);
        json_decref(all);
}

#endif
