/* retl — noticing that the configuration changed, see cfgwatch.h. */
#include "cfgwatch.h"
#include "mem.h"

#include <stdlib.h>
#include <string.h>

static void look(const struct retl_cfgwatch_file *f, struct stat *st, int *exists)
{
        *exists = stat(f->path, st) == 0;
        if (!*exists)
                memset(st, 0, sizeof(*st));
}

static void remember(struct retl_cfgwatch_file *f, const struct stat *st, int exists)
{
        f->dev = st->st_dev;
        f->ino = st->st_ino;
        f->size = st->st_size;
        f->mtime = st->st_mtim;
        f->exists = exists;
}

void retl_cfgwatch_init(struct retl_cfgwatch *w, const char *path)
{
        w->files = NULL;
        w->nfiles = 0;
        retl_cfgwatch_add(w, path);
}

void retl_cfgwatch_free(struct retl_cfgwatch *w)
{
        for (size_t i = 0; i < w->nfiles; i++)
                free(w->files[i].path);
        free(w->files);
        w->files = NULL;
        w->nfiles = 0;
}

void retl_cfgwatch_add(struct retl_cfgwatch *w, const char *path)
{
        struct retl_cfgwatch_file *f;
        struct stat st;
        int exists;

        for (size_t i = 0; i < w->nfiles; i++)
                if (!strcmp(w->files[i].path, path))
                        return;
        w->files = retl_realloc(w->files, (w->nfiles + 1) * sizeof(*w->files));
        f = &w->files[w->nfiles++];
        f->path = retl_strdup(path);
        look(f, &st, &exists);
        remember(f, &st, exists);
}

void retl_cfgwatch_rearm(struct retl_cfgwatch *w, const struct retl_cfg *cfg)
{
        size_t keep = w->nfiles ? 1 : 0;

        /* drop the secret files the configuration no longer names */
        for (size_t i = keep; i < w->nfiles; i++) {
                int named = 0;
                for (size_t j = 0; j < cfg->nsecret_files && !named; j++)
                        named = !strcmp(w->files[i].path, cfg->secret_files[j]);
                if (named)
                        w->files[keep++] = w->files[i];
                else
                        free(w->files[i].path);
        }
        w->nfiles = keep;
        if (!w->nfiles)
                retl_cfgwatch_add(w, cfg->path);
        for (size_t j = 0; j < cfg->nsecret_files; j++)
                retl_cfgwatch_add(w, cfg->secret_files[j]);
}

int retl_cfgwatch_changed(struct retl_cfgwatch *w)
{
        int any = 0;

        for (size_t i = 0; i < w->nfiles; i++) {
                struct retl_cfgwatch_file *f = &w->files[i];
                struct stat st;
                int exists, changed;

                look(f, &st, &exists);
                changed = exists != f->exists || st.st_dev != f->dev || st.st_ino != f->ino ||
                          st.st_size != f->size || st.st_mtim.tv_sec != f->mtime.tv_sec ||
                          st.st_mtim.tv_nsec != f->mtime.tv_nsec;
                /* a file that vanished (mid-swap) is not a change worth
                 * reloading yet */
                if (changed && exists) {
                        remember(f, &st, exists);
                        any = 1;
                }
        }
        return any;
}
