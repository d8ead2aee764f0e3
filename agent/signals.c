/* Stop-request flag set by SIGINT and SIGTERM (see signals.h). SIGPIPE is ignored: write errors are returned. */
#include "agent/signals.h"

#include <string.h>

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

void lt_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

bool lt_stop_requested(void)
{
    return stop_flag != 0;
}
