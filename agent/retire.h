/* `logtap drop --confirm`: retires a task by removing what it holds on the source (PostgreSQL: its replication
 * slot, which keeps WAL from being recycled for as long as it exists, and its publications). Files and the state
 * store stay; the task cannot resume afterwards (a new full load starts it over). */
#ifndef LOGTAP_RETIRE_H
#define LOGTAP_RETIRE_H

#include <stdbool.h>

#include "agent/config.h"
#include "agent/error.h"

/* Without confirm, lists what would be removed and returns LT_ERR_CONFIG asking for --confirm. */
int lt_run_drop(const struct lt_task_config *cfg, bool confirm, struct lt_error *err);

#endif
