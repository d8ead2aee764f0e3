/* The MySQL/MariaDB change stream (mysql_cdc.c): binlog reading from a checkpoint, row events as change events.
 * Its state is private to mysql_cdc.c (struct my_cdc); the source's ops table (mysql_source.c) calls these. */
#ifndef LOGTAP_MYSQL_CDC_H
#define LOGTAP_MYSQL_CDC_H

#include <stdbool.h>

#include "agent/source.h"

/* Allocates the change stream's state (s->cdc); lt_my_cdc_close frees it. */
int lt_my_cdc_create(struct lt_source *s, struct lt_error *err);
int lt_my_cdc_begin(struct lt_source *s, char checkpoint[LT_CHECKPOINT_MAX], struct lt_error *err);
int lt_my_stream_start(struct lt_source *s, const struct lt_stream_options *opt, struct lt_error *err);
int lt_my_stream_next(struct lt_source *s, struct lt_change_event *ev, int timeout_ms, struct lt_error *err);
int lt_my_stream_ack(struct lt_source *s, const char *checkpoint, struct lt_error *err);
/* SHOW MASTER STATUS, on MariaDB with the GTID position: exact (BINLOG_GTID_POS of that position) or the cheaper
 * @@gtid_binlog_pos read right after (for status and --until, which use the file position only). */
int lt_my_position(struct lt_source *s, bool exact_gtid, char out[LT_CHECKPOINT_MAX], struct lt_error *err);
int lt_my_current_position(struct lt_source *s, char out[LT_CHECKPOINT_MAX], struct lt_error *err);
void lt_my_cdc_close(struct lt_source *s);

#endif
