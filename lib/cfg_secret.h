/* retl — configuration secrets: the values X_env and X_file settings name, read at load time. */
#ifndef RETL_CFG_SECRET_H
#define RETL_CFG_SECRET_H

#include "cfg_load.h"

/** @brief How the file names a secret, for `retl config --dump`:
 *  `setting = "ref"`, or `setting = "(not shown)"` when @p ref is neither a
 *  variable's name nor a path (with a '/') and may be the secret itself.
 *  @returns a new string (free it). */
char *retl_cfg_secret_ref(const char *setting, const char *ref, int is_file);

/** @brief Reads the secret @p st names: an environment variable's value, or
 *  (@p is_file) a file's content without its trailing newlines; the file is
 *  noted in ld->cfg->secret_files. @p where names the setting in messages,
 *  which show the variable's name or the path only as retl_cfg_secret_ref.
 *  @returns the value (free it), or NULL with a problem noted. */
char *retl_cfg_secret_read(struct retl_cfg_loader *ld, config_setting_t *st, const char *where,
                           int is_file);

#endif
