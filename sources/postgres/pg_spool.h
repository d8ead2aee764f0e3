/* The spool of streamed transactions (pgoutput protocol 2, `streaming 'on'`, PostgreSQL 14+): the server sends a
 * large transaction in chunks while it runs, between Stream Start and Stream Stop, interleaved with other
 * transactions; its changes are kept here, one unlinked temp file per top-level transaction (memory stays bounded
 * whatever the size), until its Stream Commit, when they are read back in order and written like any transaction
 * (positions come from the commit LSN, so nothing is final before it); a Stream Abort drops the transaction, or
 * a subtransaction (everything from the subtransaction's first change on: subtransactions nest in order). The files
 * are never visible: a crash loses them, and the server streams the transaction again from the checkpoint.
 *
 * A record on file: u32 length (little-endian), u32 subtransaction xid, then the pgoutput message as received
 * (with its xid prefix), so reading back decodes exactly the bytes the server sent. */
#ifndef LOGTAP_PG_SPOOL_H
#define LOGTAP_PG_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "agent/error.h"

struct lt_pg_spool;

/* An empty spool whose files go to dir (a local folder: the state store's). */
int lt_pg_spool_open(struct lt_pg_spool **out, const char *dir, struct lt_error *err);
void lt_pg_spool_close(struct lt_pg_spool *sp);

/* Appends a streamed message of top-level transaction xid (subxid: the message's own xid). */
int lt_pg_spool_append(struct lt_pg_spool *sp, uint32_t xid, uint32_t subxid, const uint8_t *msg, size_t len,
                       struct lt_error *err);

/* Stream Abort: subxid == xid drops the transaction; otherwise its changes from subxid's first one on. */
int lt_pg_spool_abort(struct lt_pg_spool *sp, uint32_t xid, uint32_t subxid, struct lt_error *err);

/* Starts reading back transaction xid (a transaction never spooled reads as empty). */
int lt_pg_spool_replay_begin(struct lt_pg_spool *sp, uint32_t xid, struct lt_error *err);
/* The next message of the transaction being read back: 1 with *msg and *len (valid until the next call), 0 at its end
 * (the transaction is then dropped), -1 with err set. */
int lt_pg_spool_replay_next(struct lt_pg_spool *sp, const uint8_t **msg, size_t *len, struct lt_error *err);

/* Transactions held now, and their bytes on disk (for logs and tests). */
int lt_pg_spool_count(const struct lt_pg_spool *sp);
uint64_t lt_pg_spool_bytes(const struct lt_pg_spool *sp);

#endif
