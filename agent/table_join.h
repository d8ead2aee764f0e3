/* Tables that join a running task (README, "A task's life"): a table created while `replicate` runs, one added to
 * the selection, one whose reload was asked for (`logtap reload`), or one whose earlier load did not finish.
 *
 * A table joins at a position P of the change stream: the source takes a snapshot holding exactly the changes at
 * or before P (PostgreSQL: the table is added to the publication, then a temporary slot exports its snapshot at
 * its consistent point; MySQL/MariaDB: a consistent snapshot and the binlog coordinates of that instant). The
 * table is recorded as loading from P, so from then on the stream writes only its changes after P; before that,
 * the stream drops its changes (the snapshot, taken later, holds them). The snapshot is read by a copy thread
 * while the stream goes on, into LOAD files at position P. Unlike DBLog's watermarks, nothing is written to the
 * source; the price is one snapshot held for the length of the copy.
 *
 * Everything here runs on the stream's thread (lt_joins_tick between events) except the copy itself. */
#ifndef LOGTAP_TABLE_JOIN_H
#define LOGTAP_TABLE_JOIN_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/config.h"
#include "agent/error.h"
#include "agent/source.h"

struct lt_state;
struct lt_joins;

/* Tells the stream that a table's state changed: "loading" or "cdc" with the position its changes are written
 * after, "loaded", or "pending"/"failed"/"dropped" (its changes are dropped until it joins again). */
typedef void (*lt_join_change_fn)(void *ctx, int64_t table_id, const char *state, const char *load_pos);

/* With backfill (full-load-and-cdc) joining tables are loaded; without (cdc) they are followed from the join's
 * position only. Tables left loading by an earlier run are marked pending (their load is redone). */
int lt_joins_open(struct lt_joins **out, const struct lt_task_config *cfg, const struct logtap_source_ops *source,
                  struct lt_state *state, bool backfill, lt_join_change_fn on_change, void *ctx,
                  struct lt_error *err);

/* Asks for a table to join as soon as possible (the stream met it and it has not joined). */
void lt_joins_wake(struct lt_joins *j);

/* Does what is due: collects a finished copy, polls the source's catalog (every source.catalog_poll_s, on
 * stream_src's connection, when not NULL) for tables that joined or left the selection, and starts the join of
 * waiting tables (the snapshot is taken here, synchronously). Returns an error only for failures of the state
 * store; a failed join is logged, marked on its tables and tried again later. */
int lt_joins_tick(struct lt_joins *j, struct lt_source *stream_src, struct lt_error *err);

/* Before the stream ends (--until): one last poll, then the waiting tables join and their copies finish (a join
 * that fails is left for the next run). */
int lt_joins_settle(struct lt_joins *j, struct lt_source *stream_src, struct lt_error *err);

/* Whether a copy is running. */
bool lt_joins_busy(const struct lt_joins *j);

/* Stops a running copy (its tables stay waiting for a load) and frees everything. */
void lt_joins_close(struct lt_joins *j);

#endif
