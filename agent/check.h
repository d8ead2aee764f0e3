/* `logtap check` and the pre-flight of `replicate` and `full-load`: the source plug-in's check op run before
 * anything is created or written, its findings printed (a report on stdout for `check`, log lines for the
 * runners). */
#ifndef LOGTAP_CHECK_H
#define LOGTAP_CHECK_H

#include <stdbool.h>

#include "agent/config.h"
#include "agent/error.h"
#include "agent/source.h"

/* `logtap check [--json]`: prints every finding for the task's migration_type. Returns the exit code: 0 when
 * nothing stops the task (warnings allowed), 2 when it cannot run as configured, 1 when the check could not run
 * (the source is unreachable; err says why and nothing is printed on stdout). */
int lt_run_check(const struct lt_task_config *cfg, bool json, struct lt_error *err);

/* The runners' pre-flight: logs warnings and infos; with any error, logs every error and returns LT_ERR_CONFIG,
 * before the caller touches the source or the target. */
int lt_preflight(const struct lt_task_config *cfg, struct lt_check_scope scope, struct lt_error *err);

#endif
