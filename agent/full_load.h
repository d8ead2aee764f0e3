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

struct lt_source;
struct logtap_source_ops;
struct lt_state;
struct lt_snapshot_info;

/* The load itself, on an open source and state store: takes the snapshot (for_cdc: the one the change stream
 * continues from), loads, ends the snapshot, and fills snap_out (when not NULL) on success. */
int lt_full_load_from_source(const struct lt_task_config *cfg, const struct lt_full_load_options *opt,
                             const struct logtap_source_ops *source, struct lt_source *src, struct lt_state *state,
                             bool for_cdc, struct lt_snapshot_info *snap_out, struct lt_error *err);

#endif
