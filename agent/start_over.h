/* A task that has no checkpoint starts from scratch: a new slot and a full load. That must never happen by
 * accident (a state store lost, emptied or replaced would otherwise drop the live slot, and old CDC files would stay
 * beside the new load files, so a reader of the folder replays garbage). So a first run refuses when something
 * says the task ran before without this state store (its replication slot exists and this store did not create
 * it, or its tables' folders hold files), and `replicate --start-over` is the explicit way: the state store and
 * the tables' folders (files and snapshots) are moved aside to `_replaced-<time>` folders, never deleted. */
#ifndef LOGTAP_START_OVER_H
#define LOGTAP_START_OVER_H

#include "agent/config.h"
#include "agent/error.h"
#include "agent/source.h"

struct lt_state;

/* The meta key a state store sets when it creates the task's slot. */
#define LT_META_SLOT_CREATED "slot_created"

/* Moves the state store (and its -wal/-shm files) aside, before it is opened. */
int lt_start_over_state(const struct lt_task_config *cfg, struct lt_error *err);

/* On a first run, with the source open: with start_over, moves the selected tables' folders aside; without it,
 * refuses (LT_ERR_RUNTIME) when the slot exists though this state store did not create it, or a selected table's
 * folder holds files. */
int lt_start_over_check(const struct lt_task_config *cfg, const struct logtap_source_ops *source,
                        struct lt_source *src, struct lt_state *state, bool start_over, struct lt_error *err);

#endif
