/* retl — the daemons' signals, see signals.h. */
#include "signals.h"

#include <signal.h>
#include <string.h>

void retl_signals_install(void (*on_stop)(int), void (*on_hup)(int))
{
        struct sigaction sa;

        memset(&sa, 0, sizeof(sa));
        sigemptyset(&sa.sa_mask);
        sa.sa_handler = on_stop;
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        if (on_hup) {
                sa.sa_handler = on_hup;
                sigaction(SIGHUP, &sa, NULL);
        }
        sa.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &sa, NULL);
}
