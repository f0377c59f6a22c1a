/* retl — noticing that the configuration changed: its file, or a secret
 * file it names (X_file settings).
 *
 * A Kubernetes ConfigMap or Secret volume swaps a symlink (..data) when the
 * map changes, so the file's inode changes while its path stays; an editor
 * may rewrite in place (size, mtime). stat() through the path catches both.
 * The daemons check every few seconds and on SIGHUP reload: parse into a new
 * configuration, swap it in only when it is valid. A changed secret file is
 * a changed configuration: a key rotated in its Secret is read again without
 * a restart (secrets from environment variables need one). */
#ifndef RETL_CFGWATCH_H
#define RETL_CFGWATCH_H

#include "cfg.h"

#include <stddef.h>
#include <sys/stat.h>
#include <time.h>

/* Embedded by callers; use the functions. */
struct retl_cfgwatch_file {
        char *path;
        dev_t dev;
        ino_t ino;
        off_t size;
        struct timespec mtime;
        int exists;
};

struct retl_cfgwatch {
        struct retl_cfgwatch_file *files;       /* [0]: the configuration file */
        size_t nfiles;
};

/** @brief Watches @p path (the configuration file), as it is now. */
void retl_cfgwatch_init(struct retl_cfgwatch *w, const char *path);
void retl_cfgwatch_free(struct retl_cfgwatch *w);
/** @brief Watches @p path too (already watched: nothing changes). */
void retl_cfgwatch_add(struct retl_cfgwatch *w, const char *path);
/** @brief Watches the secret files @p cfg read, and stops watching those it
 *  no longer names (the configuration file stays). Call after init and after
 *  every reload (a refused reload: with the running configuration, a no-op).
 *  Files watched before keep the state seen by the last
 *  retl_cfgwatch_changed, so a change made while the reload read them is
 *  not missed. */
void retl_cfgwatch_rearm(struct retl_cfgwatch *w, const struct retl_cfg *cfg);
/** @brief 1 when any watched file differs from the last look (and
 *  remembers it), else 0. A file that is missing (mid-swap) is no change. */
int retl_cfgwatch_changed(struct retl_cfgwatch *w);

#endif
