/* The `replicate` task: full load (when the migration type asks for it) and then the change stream, written as
 * I/U/D files per table, with durable checkpoints (ARCHITECTURE.md: one change, from socket to file). */
#ifndef LOGTAP_CDC_H
#define LOGTAP_CDC_H

#include "agent/config.h"
#include "agent/error.h"
#include "agent/full_load.h"
#include "agent/source.h"

struct lt_replicate_options {
    struct lt_full_load_options load;
    const char *until;   /* NULL, "now", or a source position */
    bool start_over;     /* --start-over: move the state store and the tables' folders aside, begin again */
};

int lt_run_replicate(const struct lt_task_config *cfg, const struct lt_replicate_options *opt, struct lt_error *err);

/* Checks the options before anything connects or locks (lt_run_replicate checks them too): --until is "now" or a
 * checkpoint of the task's source (until gets it canonical, "" without --until), and only with a change stream.
 * LT_ERR_CONFIG otherwise. */
int lt_replicate_check_options(const struct lt_task_config *cfg, const struct lt_replicate_options *opt,
                               char until[LT_CHECKPOINT_MAX], struct lt_error *err);

#endif
