/* The full-load task: every selected table read from one consistent snapshot, in parallel up to
 * MaxFullLoadSubTasks, written as LOAD files and recorded in the state store. */
#ifndef LOGTAP_FULL_LOAD_H
#define LOGTAP_FULL_LOAD_H

#include <stdatomic.h>
#include <stdbool.h>

#include "agent/config.h"
#include "agent/error.h"
#include "agent/source.h"

struct lt_full_load_options {
    bool progress_tty;    /* redraw progress in place (stderr is a terminal) */
    int log_interval_s;   /* seconds between progress log lines otherwise */
    const _Atomic bool *cancel; /* when not NULL and set, the load stops like on SIGTERM */
};

/* Runs the load. Returns LT_OK when every table loaded; LT_ERR_RUNTIME when any failed (the others still load,
 * and the failed ones stay marked so the next run reloads them). */
int lt_run_full_load(const struct lt_task_config *cfg, const struct lt_full_load_options *opt, struct lt_error *err);

struct lt_source;
struct logtap_source_ops;
struct lt_state;
struct lt_snapshot_info;
struct lt_table_schema;

/* A load in two steps, so a table can join a running change stream: lt_load_prepare takes the snapshot, lists
 * the selected tables in it and records each table as loading from the snapshot's position (from then on the
 * stream writes only that table's changes after the position); lt_load_run reads them (in parallel workers,
 * possibly on another thread than the one that prepared); lt_load_free ends the snapshot. */
struct lt_load;
int lt_load_prepare(struct lt_load **out, const struct lt_task_config *cfg, const struct lt_full_load_options *opt,
                    const struct logtap_source_ops *source, struct lt_source *src, struct lt_state *state,
                    enum lt_snapshot_kind kind, struct lt_error *err);
const struct lt_snapshot_info *lt_load_snapshot(const struct lt_load *load);
int lt_load_table_count(const struct lt_load *load);
const struct lt_table_schema *lt_load_table(const struct lt_load *load, int i);
/* Reads every table; LT_OK when all loaded, else the first table's error (the others still load; the failed ones
 * are marked so the next run loads them again). */
int lt_load_run(struct lt_load *load, struct lt_error *err);
void lt_load_free(struct lt_load *load);

/* The whole load on an open source and state store (prepare, run, free); fills snap_out (when not NULL) on
 * success. */
int lt_full_load_from_source(const struct lt_task_config *cfg, const struct lt_full_load_options *opt,
                             const struct logtap_source_ops *source, struct lt_source *src, struct lt_state *state,
                             enum lt_snapshot_kind kind, struct lt_snapshot_info *snap_out, struct lt_error *err);

/* Loads the tables named by `names` (explicit include rules) on a connection of their own, from a snapshot of
 * `kind`: a reload (PLAIN for a task without change stream, JOIN for one with). */
int lt_load_named_tables(const struct lt_task_config *cfg, const struct lt_full_load_options *opt,
                         const struct logtap_source_ops *source, struct lt_state *state,
                         const struct lt_selection_rule *names, int nnames, enum lt_snapshot_kind kind,
                         struct lt_error *err);

#endif
