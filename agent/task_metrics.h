/* The metrics of the running command (`--metrics-file PATH` on replicate, full-load and merge), for Prometheus
 * through node_exporter's textfile collector: one instance per process, written by a thread of its own at every
 * flush (at most once a second) and at least every 15 s, atomically (agent/metrics.h). What the task's state store
 * holds (rows per table and operation, files, tables by state, the checkpoint, the FAILING cause, snapshots) is read
 * there on a connection of its own, the same numbers `status` prints; what only the process knows (lag, errors,
 * files written, rows of a load under way) is handed over by the functions below. Before lt_task_metrics_start,
 * and without --metrics-file, every function here does nothing and costs a load of one pointer. README.md lists
 * every metric. */
#ifndef LOGTAP_TASK_METRICS_H
#define LOGTAP_TASK_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/config.h"
#include "agent/error.h"
#include "agent/progress.h"

/* What went wrong, for logtap_errors_total{kind}. */
enum lt_metrics_error_kind {
    LT_MERR_TRANSIENT,   /* a failure the run retries (a lost connection...) */
    LT_MERR_PERSISTENT,  /* one that needs an operator (space, permissions, a password) */
    LT_MERR_FATAL,       /* one that ends the run (a dropped slot, WAL gone...) */
    LT_MERR_CONFIG,      /* a configuration error */
    LT_MERR_TABLE_LOAD,  /* a table's load failed */
    LT_MERR_TABLE_MERGE, /* a table's merge failed */
    LT_MERR_METRICS,     /* the metrics file could not be written */
    LT_MERR_COUNT
};

/* Checks that path can be written (its folder exists and is writable): LT_ERR_CONFIG naming it otherwise. */
int lt_task_metrics_check_path(const char *path, struct lt_error *err);

/* Starts the metrics of this process for command ("replicate", "full-load", "merge") and writes the file once;
 * LT_ERR_CONFIG when it cannot be written. */
int lt_task_metrics_start(const struct lt_task_config *cfg, const char *command, const char *path,
                          struct lt_error *err);
/* Writes the file a last time (state stopped, the exit code) and stops. */
void lt_task_metrics_stop(int exit_code);

/* Something worth showing happened (a flush, a table loaded): the file is written within a second. */
void lt_task_metrics_poke(void);
/* An error of a code (lt_status) or of a kind. */
void lt_task_metrics_error_code(int code);
void lt_task_metrics_error(enum lt_metrics_error_kind kind);
/* A durable file: kind "load", "cdc", "transaction" or "snapshot". */
void lt_task_metrics_file(const char *kind, int64_t bytes);

/* replicate's stream: the checkpoint just recorded (the commit time of its last transaction; caught_up: the source
 * said it has nothing newer for the task), changes received after it, and how many bytes of the source's log the
 * checkpoint is behind as the stream last told (-1 when the source does not say). */
void lt_task_metrics_checkpoint(int64_t commit_ts_us, bool caught_up);
void lt_task_metrics_pending(void);
void lt_task_metrics_source_lag_bytes(int64_t bytes);

/* A load under way: its tables' progress counters (rows so far), read until lt_task_metrics_load_end. */
void lt_task_metrics_load_begin(struct lt_progress_table *tables, int n);
void lt_task_metrics_load_end(struct lt_progress_table *tables);

#endif
