/* retl uploader — the command line of `retl upload`. */
#ifndef RETL_UPLOAD_OPTS_H
#define RETL_UPLOAD_OPTS_H

#include <stdint.h>

struct retl_upload_opts {
        const char *config;
        const char *client_id;
        const char *log_level;
        int status;
        int64_t checkpoint_rows;
        int64_t checkpoint_s;
        int64_t auth_retry_s;
        int64_t drain_s;
        int64_t batch_bytes;
};

/** @brief Reads @p argv into @p o (its strings point into argv), defaults
 *  for what is not given.
 *  @returns 0; 1 after --help (usage printed on stdout); 2 on a usage error
 *  (said on stderr). */
int retl_upload_opts_parse(int argc, char **argv, struct retl_upload_opts *o);

#endif
