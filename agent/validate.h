/* `logtap validate`: compares the newest snapshot of each table with the live source, by row count and an
 * order-independent checksum computed on both sides (see table_checksum in agent/source.h). */
#ifndef LOGTAP_VALIDATE_H
#define LOGTAP_VALIDATE_H

#include "agent/config.h"
#include "agent/error.h"

/* Prints a per-table report on stdout; LT_ERR_RUNTIME (exit 1) on any mismatch. */
int lt_run_validate(const struct lt_task_config *cfg, struct lt_error *err);

#endif
