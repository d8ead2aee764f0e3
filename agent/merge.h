/* The `merge` job: writes a point-in-time snapshot of every table from the newest earlier snapshot (or the full
 * load) and the CDC files the manifest lists after it, as
 * <merge.path>/<schema>/<table>/snapshot=<YYYYMMDDTHHMMSSZ>/part-00000.<ext>, atomically, and records it. */
#ifndef LOGTAP_MERGE_H
#define LOGTAP_MERGE_H

#include "agent/config.h"
#include "agent/error.h"

struct lt_merge_options {
    const char *as_of;   /* NULL (the last checkpoint), an ISO-8601 time, or a source position */
};

int lt_run_merge(const struct lt_task_config *cfg, const struct lt_merge_options *opt, struct lt_error *err);

/* LT_ERR_CONFIG when the task writes CDC files that leave changes out (CdcInsertsOnly, CdcInsertsAndUpdates):
 * they cannot give a table's state, so merge and validate refuse, saying why. */
int lt_merge_check_cdc_ops(const struct lt_target_config *t, const char *command, struct lt_error *err);

/* Why the merge builds no snapshot of a table in a state other than "loaded" (for its output and for status). */
const char *lt_merge_skip_reason(const char *state);

#endif
