/* The PostgreSQL source's position operations (struct logtap_source_ops, agent/source.h): checkpoints are LSNs
 * ("0/16B3748", pg_lsn's text), positions are _logtap_pos values ("HHHHHHHH/LLLLLLLL:SSSSSSSSSSSSSSSSSSSS": the
 * commit LSN of the change's transaction, then its sequence in the transaction from 1; full-load rows carry the
 * snapshot's LSN with sequence 0). Pure functions on top of repl_protocol.h's LSN and position text: no libpq, no
 * connection.
 *
 * A checkpoint L is the end of the last durable transaction: the transactions whose commit record starts before L
 * (commit LSN < L: a stream resumed from L skips exactly those) and a full load whose snapshot is at L. So its
 * bound is the position (L, 0): every change with commit LSN < L, and full-load rows at L. */
#ifndef LOGTAP_PG_POSITION_H
#define LOGTAP_PG_POSITION_H

#include "agent/error.h"
#include "agent/record.h"
#include "agent/source.h"

/* An LSN; out (may be NULL) gets it as pg_lsn prints it. */
int lt_pg_checkpoint_check(const char *text, char out[LT_CHECKPOINT_MAX], struct lt_error *err);
int lt_pg_checkpoint_compare(const char *a, const char *b, int *cmp, struct lt_error *err);
/* An LSN L gives (L, 0); a _logtap_pos is itself. */
int lt_pg_position_bound(const char *text, char pos[LT_POS_MAX + 1], struct lt_error *err);
/* (L, 0) gives L; a change (L, seq >= 1) gives L + 1, the first LSN past its commit record's start. reference is
 * not needed. */
int lt_pg_position_checkpoint(const char *pos, const char *reference, char out[LT_CHECKPOINT_MAX],
                              struct lt_error *err);

#endif
