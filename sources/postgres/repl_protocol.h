/* The streaming replication CopyData framing (PostgreSQL docs, "Streaming Replication Protocol"), LSN text, and
 * logtap's PostgreSQL position strings. Pure functions: no libpq, no allocation.
 *
 * Wire layout (integers big-endian; times are microseconds since 2000-01-01):
 *   server -> client  'w' XLogData           Int64 dataStart, Int64 walEnd, Int64 sendTime, Byte[n] payload
 *   server -> client  'k' Primary keepalive  Int64 walEnd, Int64 sendTime, Byte1 replyRequested
 *   client -> server  'r' Standby status     Int64 written, Int64 flushed, Int64 applied, Int64 clock,
 *                                            Byte1 replyRequested                          (34 bytes)
 * (each LSN of the status update is the location of the last WAL byte + 1 written/flushed/applied).
 *
 * LSN text is pg_lsn's: two uppercase hex numbers "HI/LO" without padding, e.g. "16/B374D848".
 *
 * Position strings (record.h: fixed width, byte order = change order) are "HHHHHHHH/LLLLLLLL:SSSSSSSSSSSSSSSSSSSS":
 * the commit LSN's high and low 32 bits as 8 uppercase hex digits each, then the change's sequence number inside
 * its transaction as 20 decimal digits (any uint64 fits, so the width never varies). Full-load rows carry the
 * snapshot's LSN with sequence 0. */
#ifndef LOGTAP_REPL_PROTOCOL_H
#define LOGTAP_REPL_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/error.h"
#include "agent/record.h"

#define LT_PG_COPY_XLOGDATA 'w'
#define LT_PG_COPY_KEEPALIVE 'k'
#define LT_PG_COPY_STANDBY_STATUS 'r'

#define LT_PG_XLOGDATA_HEADER_LEN 25   /* 'w' + 3 x Int64 */
#define LT_PG_KEEPALIVE_LEN 18         /* 'k' + 2 x Int64 + Byte1 */
#define LT_PG_STANDBY_STATUS_LEN 34    /* 'r' + 4 x Int64 + Byte1 */

#define LT_PG_LSN_MAX 17               /* "FFFFFFFF/FFFFFFFF" */
#define LT_PG_POS_LEN 38               /* 8 + 1 + 8 + 1 + 20 */

struct lt_pg_xlogdata {
    uint64_t data_start;    /* WAL position of the payload's start */
    uint64_t wal_end;       /* the server's current end of WAL */
    int64_t send_time;      /* PostgreSQL epoch microseconds; lt_pg_time_to_unix_us converts */
    const uint8_t *payload; /* points into the CopyData buffer: one pgoutput message */
    size_t payload_len;
};

struct lt_pg_keepalive {
    uint64_t wal_end;
    int64_t send_time;      /* PostgreSQL epoch microseconds */
    bool reply_requested;
};

struct lt_pg_copy_msg {
    char type;              /* LT_PG_COPY_XLOGDATA or LT_PG_COPY_KEEPALIVE */
    union {
        struct lt_pg_xlogdata xlog;
        struct lt_pg_keepalive keepalive;
    } u;
};

/* Decodes one CopyData message received during START_REPLICATION. An unknown type, a short message, or a
 * keepalive with trailing bytes is LT_ERR_RUNTIME with the byte offset in err. */
int lt_pg_copy_decode(const uint8_t *buf, size_t len, struct lt_pg_copy_msg *msg, struct lt_error *err);

/* Writes a Standby status update into out (at least LT_PG_STANDBY_STATUS_LEN bytes); returns the number of bytes
 * written (LT_PG_STANDBY_STATUS_LEN), or 0 when cap is too small. clock_pg_us is the client's clock in PostgreSQL
 * epoch microseconds (lt_pg_time_from_unix_us converts). */
size_t lt_pg_encode_standby_status(uint8_t *out, size_t cap, uint64_t written, uint64_t flushed, uint64_t applied,
                                   int64_t clock_pg_us, bool reply_requested);

/* Parses pg_lsn text "HI/LO" (1 to 8 hex digits each, either case, nothing else); false on anything else. */
bool lt_pg_lsn_parse(const char *text, uint64_t *lsn);
/* Formats an LSN as pg_lsn does ("16/B374D848"). */
void lt_pg_lsn_format(uint64_t lsn, char out[LT_PG_LSN_MAX + 1]);

/* Formats a position string (LT_PG_POS_LEN characters + NUL). */
void lt_pg_format_pos(uint64_t commit_lsn, uint64_t seq, char out[LT_POS_MAX + 1]);
/* Parses a position string made by lt_pg_format_pos (exactly that form); false on anything else. */
bool lt_pg_parse_pos(const char *text, uint64_t *commit_lsn, uint64_t *seq);

#endif
