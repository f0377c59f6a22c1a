/* retl — noticing that the configuration file changed, see cfgwatch.h. */
#include "cfgwatch.h"
#include "mem.h"

#include <stdlib.h>
#include <string.h>

static void look(struct retl_cfgwatch *w, struct stat *st, int *exists)
{
        *exists = stat(w->path, st) == 0;
        if (!*exists)
                memset(st, 0, sizeof(*st));
}

static void remember(struct retl_cfgwatch *w, const struct stat *st, int exists)
{
        w->dev = st->st_dev;
        w->ino = st->st_ino;
        w->size = st->st_size;
        w->mtime = st->st_mtim;
        w->exists = exists;
}

void retl_cfgwatch_init(struct retl_cfgwatch *w, const char *path)
{
        struct stat st;
        int exists;
        w->path = retl_strdup(path);
        look(w, &st, &exists);
        remember(w, &st, exists);
}

void retl_cfgwatch_free(struct retl_cfgwatch *w)
{
        free(w->path);
        w->path = NULL;
}

int retl_cfgwatch_changed(struct retl_cfgwatch *w)
{
        struct stat st;
        int exists, changed;

        look(w, &st, &exists);
        changed = exists != w->exists || st.st_dev != w->dev || st.st_ino != w->ino ||
                  st.st_size != w->size || st.st_mtim.tv_sec != w->mtime.tv_sec ||
                  st.st_mtim.tv_nsec != w->mtime.tv_nsec;
        /* a file that vanished (mid-swap) is not a change worth reloading yet */
        if (changed && exists)
                remember(w, &st, exists);
        return changed && exists;
}
