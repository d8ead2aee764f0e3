/* SIGINT/SIGTERM: a flag long-running loops poll so they can stop cleanly (flush, checkpoint, exit). */
#ifndef LOGTAP_SIGNALS_H
#define LOGTAP_SIGNALS_H

#include <signal.h>
#include <stdbool.h>

void lt_signals_install(void);
bool lt_stop_requested(void);

#endif
