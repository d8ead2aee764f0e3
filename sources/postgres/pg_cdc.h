/* The PostgreSQL change stream (pg_cdc.c): slot, START_REPLICATION, pgoutput messages as change events. The source's
 * ops table (pg_source.c) calls these. Private to sources/postgres/. */
#ifndef LOGTAP_PG_CDC_H
#define LOGTAP_PG_CDC_H

#include <stdbool.h>

#include "agent/source.h"

/* Allocates the change stream's state (s->cdc); lt_pg_cdc_close frees it. */
int lt_pg_cdc_create(struct lt_source *s, struct lt_error *err);
/* The task's slot (kind CDC_START) or a temporary one (kind JOIN), with an exported snapshot. */
int lt_pg_create_slot_with_snapshot(struct lt_source *s, enum lt_snapshot_kind kind, struct lt_snapshot_info *info,
                                    struct lt_error *err);
int lt_pg_cdc_begin(struct lt_source *s, char checkpoint[LT_CHECKPOINT_MAX], struct lt_error *err);
int lt_pg_stream_start(struct lt_source *s, const struct lt_stream_options *opt, struct lt_error *err);
int lt_pg_stream_next(struct lt_source *s, struct lt_change_event *ev, int timeout_ms, struct lt_error *err);
int lt_pg_stream_server_position(struct lt_source *s, char out[LT_CHECKPOINT_MAX]);
int lt_pg_stream_ack(struct lt_source *s, const char *checkpoint, struct lt_error *err);
int lt_pg_current_position(struct lt_source *s, char out[LT_CHECKPOINT_MAX], struct lt_error *err);
void lt_pg_cdc_close(struct lt_source *s);
int lt_pg_slot_status(struct lt_source *s, struct lt_slot_status *out, struct lt_error *err);
int lt_pg_retire(struct lt_source *s, bool dry_run, void (*fn)(void *ctx, const char *what), void *ctx,
                 struct lt_error *err);

#endif
