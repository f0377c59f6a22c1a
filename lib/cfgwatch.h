/* retl — noticing that the configuration file changed.
 *
 * A Kubernetes ConfigMap volume swaps a symlink (..data) when the map
 * changes, so the file's inode changes while its path stays; an editor may
 * rewrite in place (size, mtime). stat() through the path catches both. The
 * daemons check every few seconds and on SIGHUP reload: parse into a new
 * configuration, swap it in only when it is valid. */
#ifndef RETL_CFGWATCH_H
#define RETL_CFGWATCH_H

#include <sys/stat.h>
#include <time.h>

struct retl_cfgwatch {
        char *path;
        dev_t dev;
        ino_t ino;
        off_t size;
        struct timespec mtime;
        int exists;
};

void retl_cfgwatch_init(struct retl_cfgwatch *w, const char *path);
void retl_cfgwatch_free(struct retl_cfgwatch *w);
/** @brief 1 when the file differs from the last look (and remembers it), else 0. */
int retl_cfgwatch_changed(struct retl_cfgwatch *w);

#endif
