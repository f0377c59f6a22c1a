/* retl — version string. */
#ifndef RETL_VERSION_H
#define RETL_VERSION_H

#define RETL_VERSION "0.1.0"

/** @brief `retl version`: prints ours and the libraries' versions; returns the exit status. */
int retl_version_main(int argc, char **argv);

#endif
