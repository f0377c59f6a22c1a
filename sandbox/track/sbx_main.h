/* retl sandbox — the entry point of `retl sandbox`; cli/ dispatches to it. */
#ifndef RETL_SBX_MAIN_H
#define RETL_SBX_MAIN_H

/** @brief `retl sandbox [OPTIONS]`: see sandbox/track/README.md.
 *  @returns the exit status: 0 (stopped by a signal), 1 failure, 2 usage. */
int retl_sandbox_main(int argc, char **argv);

#endif
