/* retl — configuration secrets, see cfg_secret.h. */
#include "cfg_secret.h"
#include "mem.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Notes @p path among the secret files read (each once), for the reload
 * check: a secret rotated in its file is a changed configuration. */
static void note_secret_file(struct retl_cfg *cfg, const char *path)
{
        for (size_t i = 0; i < cfg->nsecret_files; i++)
                if (!strcmp(cfg->secret_files[i], path))
                        return;
        cfg->secret_files = retl_realloc(cfg->secret_files,
                                         (cfg->nsecret_files + 1) * sizeof(char *));
        cfg->secret_files[cfg->nsecret_files++] = retl_strdup(path);
}

/* Whether the reference @p ref may be shown: a variable's name
 * ([A-Za-z_][A-Za-z0-9_]*) or a path (with a '/'). Anything else may be the
 * secret itself, pasted where its name belongs. */
static int ref_shown(const char *ref, int is_file)
{
        if (is_file)
                return strchr(ref, '/') != NULL;
        if (!isalpha((unsigned char)*ref) && *ref != '_')
                return 0;
        for (const char *p = ref; *p; p++)
                if (!isalnum((unsigned char)*p) && *p != '_')
                        return 0;
        return 1;
}

char *retl_cfg_secret_ref(const char *setting, const char *ref, int is_file)
{
        if (!ref_shown(ref, is_file))
                return retl_asprintf("%s = \"(not shown)\"", setting);
        return retl_asprintf("%s = \"%s\"", setting, ref);
}

char *retl_cfg_secret_read(struct retl_cfg_loader *ld, config_setting_t *st, const char *where,
                           int is_file)
{
        const char *ref = config_setting_get_string(st);
        int line = config_setting_source_line(st);
        char what[300];
        const char *hidden = "";

        if (!ref || !*ref) {
                retl_cfg_problem(ld, line, where, "must be a non-empty string (%s)",
                                 is_file ? "a file's path" : "an environment variable's name");
                return NULL;
        }
        /* Messages name the setting (in where); the reference only when it
         * cannot be the secret itself. */
        if (ref_shown(ref, is_file)) {
                snprintf(what, sizeof(what), "%s '%s'",
                         is_file ? "secret file" : "environment variable", ref);
        } else {
                snprintf(what, sizeof(what), "the %s it names",
                         is_file ? "secret file" : "environment variable");
                hidden = is_file ? " (its path is not shown: without a '/' it may be the secret "
                                   "itself; write ./NAME for a file in the working directory)"
                                 : " (its name is not shown: not a variable's name, "
                                   "[A-Za-z_][A-Za-z0-9_]*, it may be the secret itself)";
        }
        if (!is_file) {
                const char *v = getenv(ref);
                if (!v) {
                        retl_cfg_problem(ld, line, where, "%s is not set%s", what, hidden);
                        return NULL;
                }
                if (!*v) {
                        retl_cfg_problem(ld, line, where, "%s is empty%s", what, hidden);
                        return NULL;
                }
                return retl_strdup(v);
        } else {
                FILE *f = fopen(ref, "rb");
                struct retl_buf b;
                char chunk[4096];
                size_t n;

                note_secret_file(ld->cfg, ref);
                if (!f) {
                        retl_cfg_problem(ld, line, where, "cannot read %s: %s%s", what,
                                         strerror(errno), hidden);
                        return NULL;
                }
                retl_buf_init(&b, 1 << 20);
                while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
                        if (retl_buf_append(&b, chunk, n)) {
                                retl_cfg_problem(ld, line, where, "%s is over 1 MiB%s", what,
                                                 hidden);
                                fclose(f);
                                retl_buf_free(&b);
                                return NULL;
                        }
                }
                fclose(f);
                /* Files written by `echo` or editors end with a newline; a
                 * Kubernetes Secret mounted as a file may too. */
                while (retl_buf_len(&b) && (b.b_data[b.b_len - 1] == '\n' ||
                                            b.b_data[b.b_len - 1] == '\r'))
                        retl_buf_truncate(&b, b.b_len - 1);
                if (!retl_buf_len(&b)) {
                        retl_cfg_problem(ld, line, where, "%s is empty%s", what, hidden);
                        retl_buf_free(&b);
                        return NULL;
                }
                return retl_buf_take(&b, NULL);
        }
}
