/* retl uploader — the `retl upload` command. */
#ifndef RETL_UPLOAD_H
#define RETL_UPLOAD_H

/** @brief `retl upload -c FILE [--status] [...]`: see consumer/README.md.
 *  @returns the exit status: 0 (stopped by SIGTERM/SIGINT), 1 failure, 2 usage. */
int retl_upload_main(int argc, char **argv);

#endif
