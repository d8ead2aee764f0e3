/* Decoder of one pgoutput logical replication message (the payload of an XLogData message, or one row of
 * pg_logical_slot_get_binary_changes), protocol versions 1 and 2 (PostgreSQL docs, "Logical Replication Message
 * Formats"). A pure function: no allocation, no libpq; strings and values point into the caller's buffer, which
 * must stay unchanged while the decoded message is used.
 *
 * Wire layout (all integers big-endian; String = bytes up to and including a NUL; [xid] = Int32 xid present only
 * inside a streamed block, protocol 2):
 *   'B' Begin          Int64 final_lsn, Int64 commit_ts, Int32 xid
 *   'C' Commit         Int8 flags(0), Int64 commit_lsn, Int64 end_lsn, Int64 commit_ts
 *   'O' Origin         Int64 origin_lsn, String name
 *   'R' Relation       [xid] Int32 relid, String namespace, String relname, Int8 replident, Int16 ncols,
 *                      ncols x (Int8 flags (1 = key), String name, Int32 type oid, Int32 typmod)
 *   'Y' Type           [xid] Int32 type oid, String namespace, String name
 *   'I' Insert         [xid] Int32 relid, 'N', TupleData
 *   'U' Update         [xid] Int32 relid, optional ('K' | 'O') TupleData, 'N', TupleData
 *   'D' Delete         [xid] Int32 relid, ('K' | 'O'), TupleData
 *   'T' Truncate       [xid] Int32 nrels, Int8 options (1 cascade, 2 restart identity), nrels x Int32 relid
 *   'M' Message        [xid] Int8 flags (1 transactional), Int64 lsn, String prefix, Int32 len, len bytes
 *   'S' Stream Start   Int32 xid, Int8 first_segment                                    (protocol 2)
 *   'E' Stream Stop                                                                     (protocol 2)
 *   'c' Stream Commit  Int32 xid, Int8 flags(0), Int64 commit_lsn, Int64 end_lsn, Int64 commit_ts (protocol 2)
 *   'A' Stream Abort   Int32 xid, Int32 subxid                                          (protocol 2)
 *   TupleData          Int16 ncols, ncols x ('n' null | 'u' unchanged TOAST | 't' Int32 len, len bytes of text
 *                      | 'b' Int32 len, len bytes of binary)
 *
 * lt_pgo_decode validates the whole message (every length, every count, no trailing bytes), so the iterators
 * below never read outside what it accepted. Errors are LT_ERR_RUNTIME and name the byte offset. */
#ifndef LOGTAP_PGOUTPUT_H
#define LOGTAP_PGOUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/error.h"
#include "agent/record.h"

/* Message types: the first byte of each message. */
enum lt_pgo_type {
    LT_PGO_BEGIN = 'B',
    LT_PGO_COMMIT = 'C',
    LT_PGO_ORIGIN = 'O',
    LT_PGO_RELATION = 'R',
    LT_PGO_TYPE = 'Y',
    LT_PGO_INSERT = 'I',
    LT_PGO_UPDATE = 'U',
    LT_PGO_DELETE = 'D',
    LT_PGO_TRUNCATE = 'T',
    LT_PGO_MESSAGE = 'M',
    LT_PGO_STREAM_START = 'S',
    LT_PGO_STREAM_STOP = 'E',
    LT_PGO_STREAM_COMMIT = 'c',
    LT_PGO_STREAM_ABORT = 'A',
};

/* Replica identity settings (pg_class.relreplident). */
#define LT_PGO_REPLIDENT_DEFAULT 'd'
#define LT_PGO_REPLIDENT_NOTHING 'n'
#define LT_PGO_REPLIDENT_FULL 'f'
#define LT_PGO_REPLIDENT_INDEX 'i'

/* Truncate option bits. */
#define LT_PGO_TRUNCATE_CASCADE 1
#define LT_PGO_TRUNCATE_RESTART_IDENTITY 2

/* Microseconds from 1970-01-01 to PostgreSQL's epoch 2000-01-01. */
#define LT_PG_EPOCH_OFFSET_US INT64_C(946684800000000)

/* A protocol string: ptr[0..len) is the text and ptr[len] is its NUL, inside the message buffer, so ptr is also
 * usable as a C string. */
struct lt_pgo_str {
    const char *ptr;
    uint32_t len;
};

/* A validated TupleData part. */
struct lt_pgo_tuple {
    const uint8_t *data; /* the first column entry (just after Int16 ncols) */
    size_t len;          /* bytes of all column entries */
    uint16_t ncols;
    size_t offset;       /* offset of the Int16 ncols inside the message, for error messages */
};

/* One column entry of a TupleData. */
struct lt_pgo_field {
    char kind;           /* 'n' null, 'u' unchanged TOAST, 't' text, 'b' binary */
    const char *data;    /* 't'/'b': the value's bytes (not NUL-terminated); NULL otherwise */
    uint32_t len;
};

/* One column of a Relation message. */
struct lt_pgo_relcol {
    uint8_t flags;       /* as sent */
    bool is_key;         /* flags & 1: part of the replica identity key */
    struct lt_pgo_str name;
    uint32_t type_oid;
    int32_t typmod;      /* atttypmod, -1 when none */
};

struct lt_pgo_relation {
    uint32_t relid;
    struct lt_pgo_str nspname; /* empty for pg_catalog */
    struct lt_pgo_str relname;
    char replident;            /* LT_PGO_REPLIDENT_* */
    uint16_t ncols;
    const uint8_t *cols;       /* the first column description */
    size_t cols_len;
};

struct lt_pgo_msg {
    char type;        /* enum lt_pgo_type */
    bool has_xid;     /* a streamed change carried an xid prefix (in_stream), or the message itself has one */
    uint32_t xid;     /* Begin, Stream *, and streamed R/Y/I/U/D/T/M (the subtransaction's xid, if any) */
    union {
        struct {
            uint64_t final_lsn;
            int64_t commit_ts_us;  /* microseconds since 1970-01-01 UTC */
        } begin;
        struct {
            uint8_t flags;
            uint64_t commit_lsn;
            uint64_t end_lsn;
            int64_t commit_ts_us;
        } commit;                  /* also Stream Commit */
        struct {
            uint64_t origin_lsn;
            struct lt_pgo_str name;
        } origin;
        struct lt_pgo_relation relation;
        struct {
            uint32_t type_oid;
            struct lt_pgo_str nspname;
            struct lt_pgo_str typname;
        } type;
        struct {
            uint32_t relid;
            char old_kind;             /* 0 (none; Insert always), 'K' old key or 'O' old tuple */
            struct lt_pgo_tuple oldtup; /* valid when old_kind != 0 */
            struct lt_pgo_tuple newtup; /* Insert, Update; unused for Delete */
        } change;                       /* Insert, Update, Delete */
        struct {
            uint32_t nrels;
            uint8_t options;            /* LT_PGO_TRUNCATE_* bits */
            bool cascade;
            bool restart_identity;
            const uint8_t *relids;      /* nrels big-endian Int32; read with lt_pgo_truncate_relid */
        } truncate;
        struct {
            uint8_t flags;
            bool transactional;
            uint64_t lsn;
            struct lt_pgo_str prefix;
            const uint8_t *content;
            uint32_t content_len;
        } message;
        struct {
            bool first_segment;
        } stream_start;
        struct {
            uint32_t subxid;            /* equal to the xid when the whole transaction aborted */
        } stream_abort;
    } u;
};

/* Decodes one message of buf[0..len). proto_version is 1 or 2; in_stream says whether the message lies between
 * Stream Start and Stream Stop (then R/Y/I/U/D/T/M carry an xid, and only those plus Stream Stop may appear).
 * Returns LT_OK or LT_ERR_RUNTIME (err says what was wrong and at which byte offset). */
int lt_pgo_decode(const uint8_t *buf, size_t len, int proto_version, bool in_stream, struct lt_pgo_msg *msg,
                  struct lt_error *err);

/* The name of a message type ("Insert"), or "unknown". */
const char *lt_pgo_type_name(char type);

/* Relid i (0 <= i < nrels) of a decoded Truncate message. */
uint32_t lt_pgo_truncate_relid(const struct lt_pgo_msg *msg, uint32_t i);

/* Iterates the columns of a decoded Relation message. */
struct lt_pgo_relcol_iter {
    const uint8_t *p;
    const uint8_t *end;
    uint16_t left;
};
void lt_pgo_relcol_iter_init(struct lt_pgo_relcol_iter *it, const struct lt_pgo_relation *rel);
/* Fills col with the next column and returns true, or returns false after the last one. */
bool lt_pgo_relcol_next(struct lt_pgo_relcol_iter *it, struct lt_pgo_relcol *col);

/* Fills cols[0..rel->ncols) with the relation's columns; an error when rel->ncols > max_cols. */
int lt_pgo_relation_columns(const struct lt_pgo_relation *rel, struct lt_pgo_relcol *cols, int max_cols,
                            struct lt_error *err);

/* Iterates the column entries of a decoded TupleData. */
struct lt_pgo_tuple_iter {
    const uint8_t *p;
    const uint8_t *end;
    uint16_t left;
};
void lt_pgo_tuple_iter_init(struct lt_pgo_tuple_iter *it, const struct lt_pgo_tuple *tuple);
bool lt_pgo_tuple_next(struct lt_pgo_tuple_iter *it, struct lt_pgo_field *field);

/* Fills vals[0..tuple->ncols) from a decoded TupleData: 'n' -> LT_VALUE_NULL, 'u' -> LT_VALUE_UNCHANGED,
 * 't' and 'b' -> LT_VALUE_PRESENT with data/len pointing into the message ('b' only arrives when the slot was
 * asked for binary output, and is then the type's binary send format, not text). An error when expected_ncols
 * >= 0 and differs from tuple->ncols (the relation's column count must match), or tuple->ncols > max_vals. */
int lt_pgo_tuple_values(const struct lt_pgo_tuple *tuple, int expected_ncols, struct lt_value *vals, int max_vals,
                        struct lt_error *err);

/* PostgreSQL timestamp (microseconds since 2000-01-01) to microseconds since 1970-01-01, and back; both
 * saturate at INT64_MIN/INT64_MAX (PostgreSQL's -infinity/infinity) instead of overflowing. */
int64_t lt_pg_time_to_unix_us(int64_t pg_us);
int64_t lt_pg_time_from_unix_us(int64_t unix_us);

#endif
