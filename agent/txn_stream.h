/* DMS's transaction-ordered CDC stream (PreserveTransactions with CdcPath): beside the per-table files, every
 * change the task writes goes, in the order of the change stream (commit order, then change order inside a
 * transaction), into CSV files of all tables, <path>/[BucketFolder/]<CdcPath>/CDC_TXN-<YYYYMMDDHHMMSSmmm>.csv,
 * one row per change: Op, table name, schema name, [the TimestampColumnName time,] the table's values, then
 * _logtap_pos and _logtap_unchanged. A file is opened at the first change after a checkpoint, named after its
 * commit time (UTC, strictly increasing), and closed durably with the batch's other files; the newest name is
 * recorded with the checkpoint, so after a crash the same names are written again and replace their twins. */
#ifndef LOGTAP_TXN_STREAM_H
#define LOGTAP_TXN_STREAM_H

#include "agent/config.h"
#include "agent/error.h"
#include "agent/place.h"
#include "agent/record.h"
#include "state/state_store.h"

struct lt_txn_stream;

/* The meta key of the newest transaction file recorded with a checkpoint. */
#define LT_META_TXN_LAST_FILE "txn_last_file"

/* "[BucketFolder/]<CdcPath>", the folder of the files below the target root. */
void lt_txn_dir(const struct lt_target_config *t, char *out, size_t outlen);

/* *out is NULL when the config does not preserve transactions. Reads the newest recorded name and removes temp
 * files an interrupted run left in the folder. */
int lt_txn_stream_open(struct lt_txn_stream **out, const struct lt_target_config *t, struct lt_place *place,
                       struct lt_state *state, struct lt_error *err);
/* Appends a change (row->schema is its table), opening the next file first when none is open. */
int lt_txn_stream_write(struct lt_txn_stream *x, const struct lt_row *row, struct lt_error *err);
/* Closes the open file durably (before the checkpoint that covers it commits); *name is the file's name, to
 * record with that checkpoint, or NULL when no file was open; *bytes its size. */
int lt_txn_stream_close(struct lt_txn_stream *x, const char **name, int64_t *bytes, struct lt_error *err);
/* The checkpoint that recorded the last closed file committed. */
void lt_txn_stream_committed(struct lt_txn_stream *x);
/* Drops the open file (its changes are read again from the checkpoint): names go on from the recorded one. */
void lt_txn_stream_abort(struct lt_txn_stream *x);
void lt_txn_stream_free(struct lt_txn_stream *x);

#endif
