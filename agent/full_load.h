/* The full-load task: every selected table read from one consistent snapshot, in parallel up to
 * MaxFullLoadSubTasks, written as LOAD files and recorded in the state store. */
#ifndef LOGTAP_FULL_LOAD_H
#define LOGTAP_FULL_LOAD_H

#include <stdbool.h>

#include "agent/config.h"
#include "agent/error.h"

struct lt_full_load_options {
    bool progress_tty;    /* redraw progress in place (stderr is a terminal) */
    int log_interval_s;   /* seconds between progress log lines otherwise */
};

/* Runs the load. Returns LT_OK when every table loaded; LT_ERR_RUNTIME when any failed (the others still load,
 * and the failed ones stay marked so the next run reloads them). */
int lt_run_full_load(const struct lt_task_config *cfg, const struct lt_full_load_options *opt, struct lt_error *err);

#endif
