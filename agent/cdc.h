/* The `replicate` task: full load (when the migration type asks for it) and then the change stream, written as
 * I/U/D files per table, with durable checkpoints (DESIGN.md invariants 1-3). */
#ifndef LOGTAP_CDC_H
#define LOGTAP_CDC_H

#include "agent/config.h"
#include "agent/error.h"
#include "agent/full_load.h"

struct lt_replicate_options {
    struct lt_full_load_options load;
    const char *until;   /* NULL, "now", or a source position */
};

int lt_run_replicate(const struct lt_task_config *cfg, const struct lt_replicate_options *opt, struct lt_error *err);

#endif
