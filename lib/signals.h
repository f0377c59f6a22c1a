/* retl — the daemons' signals: SIGTERM and SIGINT stop, SIGHUP reloads,
 * SIGPIPE is ignored (a peer that closes a socket is an error to handle,
 * not a reason to die). The handlers only set a flag; the loop acts. */
#ifndef RETL_SIGNALS_H
#define RETL_SIGNALS_H

/** @brief Installs @p on_stop for SIGTERM and SIGINT and @p on_hup (may be
 *  NULL: left as is) for SIGHUP; ignores SIGPIPE. Main thread, at start. */
void retl_signals_install(void (*on_stop)(int), void (*on_hup)(int));

#endif
