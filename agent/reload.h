/* `logtap reload --table SCHEMA.TABLE`: a new load of one table, exact at its seam with the change stream (DMS's
 * "reload table"; see table_join.h for how a table joins the stream at a position). */
#ifndef LOGTAP_RELOAD_H
#define LOGTAP_RELOAD_H

#include <stdbool.h>

#include "agent/config.h"
#include "agent/error.h"

/* Splits "schema.table" (either part may be double-quoted, "" inside quotes being one "; unquoted, the first dot
 * splits) into malloc'd parts. LT_ERR_CONFIG with a message when it is not such a name. */
int lt_parse_table_name(const char *text, char **schema, char **table, struct lt_error *err);

/* When `replicate` runs (it holds the task's lock), the request is recorded in the state store, the runner loads
 * the table while its stream goes on, and reload waits for it (unless !wait). Otherwise reload takes the lock and
 * loads the table itself; the next `replicate` writes only the table's changes after the new load. */
int lt_run_reload(const struct lt_task_config *cfg, const char *table, bool wait, struct lt_error *err);

#endif
