/* Binary-log events (MySQL 5.1+ / MariaDB, binlog format v4): bytes in, parsed events out. No I/O, no libmariadb.
 *
 * A binlog file is the magic FE 'b' 'i' 'n' followed by events; a replication stream sends the same events one per
 * packet. Every event:
 *
 *   common header (19 bytes, little-endian): timestamp:4 type:1 server_id:4 event_size:4 log_pos:4 flags:2
 *   post-header   (length per type, from the FORMAT_DESCRIPTION_EVENT)
 *   body
 *   CRC32:4       (when the FORMAT_DESCRIPTION_EVENT says checksum algorithm 1: zlib crc32 of everything before it)
 *
 * FORMAT_DESCRIPTION (15): binlog_version:2 server_version:50 create_timestamp:4 header_length:1
 *   post_header_len[one per event type] then, on servers that know checksums (MySQL >= 5.6.1, MariaDB >= 5.3),
 *   checksum_alg:1 + CRC32:4 as the last 5 bytes (the FDE carries them even when the algorithm is 0 = off).
 * ROTATE (4): position:8 next_file_name[rest]
 * QUERY (2): thread_id:4 exec_time:4 db_len:1 error_code:2 status_vars_len:2 | status_vars db NUL sql[rest]
 * XID (16): xid:8
 * TABLE_MAP (19): table_id:6 flags:2 | db_len:1 db NUL table_len:1 table NUL ncols:packed types[ncols]
 *   meta_len:packed meta[meta_len] null_bitmap[(ncols+7)/8] then optional metadata TLVs (type:1 len:packed value)
 * ROWS v1 (23-25): table_id:6 flags:2 | ncols:packed present[(ncols+7)/8] (UPDATE: present_after[..]) rows[rest]
 * ROWS v2 (30-32): table_id:6 flags:2 extra_len:2 extra[extra_len-2] | as v1
 *   each row: null bitmap over the present columns, then the non-NULL present values (binlog_types.h)
 * MariaDB GTID (162): seq_no:8 domain_id:4 flags:1 [commit_id:8 when flags & 2] ...
 * MariaDB GTID_LIST (163): count:4 (low 28 bits) {domain:4 server:4 seq:8}[count]
 * MariaDB ANNOTATE_ROWS (160) / MySQL ROWS_QUERY (29): the SQL text (ROWS_QUERY: 1 length byte first)
 * MariaDB BINLOG_CHECKPOINT (161): name_len:4 name
 * MySQL GTID (33) / ANONYMOUS_GTID (34): flags:1 sid:16 gno:8 [ts_type:1 last_committed:8 sequence_number:8
 *   [immediate_commit_ts:7 (bit 55 set: original_commit_ts:7 follows) ...]] (timestamps in microseconds)
 * MySQL PREVIOUS_GTIDS (35): n_sids:8 {sid:16 n_intervals:8 {start:8 end:8}[n_intervals]}[n_sids]
 * HEARTBEAT (27): the current file name; STOP (3): empty.
 * MariaDB compressed events (log_bin_compress=ON): QUERY_COMPRESSED (165) and *_ROWS_COMPRESSED (166-168 v1,
 *   169-171 v2) are laid out like their plain twins, except that the SQL text (after the db name's NUL) or the row
 *   images (after the column bitmaps) are replaced by: header:1 (0x80 | algorithm << 4 | n, algorithm 0 = zlib)
 *   uncompressed_length:n (big-endian, n = 1-4) zlib-stream. lt_binlog_event_decompress inflates them.
 * MySQL TRANSACTION_PAYLOAD (40, binlog_transaction_compression=ON): fields {type:packed length:packed
 *   value:packed} until type 0, with 1 = payload size, 2 = compression (0 zstd, 255 none), 3 = uncompressed size;
 *   then the payload: the transaction's events (without per-event CRC32s), zstd-compressed.
 *   lt_binlog_payload_inflate + lt_binlog_payload_next walk them.
 * Other types are returned with their header and body only (callers skip them by size). Pre-GA rows events
 * (20-22, MySQL 5.1.0-5.1.15), MySQL's PARTIAL_UPDATE_ROWS (39) and MariaDB's encrypted binlogs are refused with an
 * error: they carry row data this decoder cannot read, and skipping them would lose changes.
 *
 * Every read is bounds-checked; malformed input yields an error naming the byte offset, never a crash. */
#ifndef LOGTAP_BINLOG_EVENT_H
#define LOGTAP_BINLOG_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/error.h"
#include "sources/mysql/binlog_types.h"

#define LT_BINLOG_MAGIC_LEN 4
#define LT_BINLOG_HEADER_LEN 19
#define LT_BINLOG_CHECKSUM_LEN 4

enum lt_binlog_event_type {
    LT_BINLOG_UNKNOWN_EVENT = 0,
    LT_BINLOG_START_EVENT_V3 = 1,
    LT_BINLOG_QUERY_EVENT = 2,
    LT_BINLOG_STOP_EVENT = 3,
    LT_BINLOG_ROTATE_EVENT = 4,
    LT_BINLOG_INTVAR_EVENT = 5,
    LT_BINLOG_SLAVE_EVENT = 7,
    LT_BINLOG_APPEND_BLOCK_EVENT = 9,
    LT_BINLOG_DELETE_FILE_EVENT = 11,
    LT_BINLOG_RAND_EVENT = 13,
    LT_BINLOG_USER_VAR_EVENT = 14,
    LT_BINLOG_FORMAT_DESCRIPTION_EVENT = 15,
    LT_BINLOG_XID_EVENT = 16,
    LT_BINLOG_BEGIN_LOAD_QUERY_EVENT = 17,
    LT_BINLOG_EXECUTE_LOAD_QUERY_EVENT = 18,
    LT_BINLOG_TABLE_MAP_EVENT = 19,
    LT_BINLOG_PRE_GA_WRITE_ROWS_EVENT = 20,
    LT_BINLOG_PRE_GA_UPDATE_ROWS_EVENT = 21,
    LT_BINLOG_PRE_GA_DELETE_ROWS_EVENT = 22,
    LT_BINLOG_WRITE_ROWS_EVENT_V1 = 23,
    LT_BINLOG_UPDATE_ROWS_EVENT_V1 = 24,
    LT_BINLOG_DELETE_ROWS_EVENT_V1 = 25,
    LT_BINLOG_INCIDENT_EVENT = 26,
    LT_BINLOG_HEARTBEAT_EVENT = 27,
    LT_BINLOG_IGNORABLE_EVENT = 28,
    LT_BINLOG_ROWS_QUERY_EVENT = 29,
    LT_BINLOG_WRITE_ROWS_EVENT = 30,
    LT_BINLOG_UPDATE_ROWS_EVENT = 31,
    LT_BINLOG_DELETE_ROWS_EVENT = 32,
    LT_BINLOG_GTID_LOG_EVENT = 33,
    LT_BINLOG_ANONYMOUS_GTID_LOG_EVENT = 34,
    LT_BINLOG_PREVIOUS_GTIDS_LOG_EVENT = 35,
    LT_BINLOG_TRANSACTION_CONTEXT_EVENT = 36,
    LT_BINLOG_VIEW_CHANGE_EVENT = 37,
    LT_BINLOG_XA_PREPARE_LOG_EVENT = 38,
    LT_BINLOG_PARTIAL_UPDATE_ROWS_EVENT = 39,
    LT_BINLOG_TRANSACTION_PAYLOAD_EVENT = 40,
    LT_BINLOG_HEARTBEAT_EVENT_V2 = 41,
    LT_BINLOG_MARIADB_ANNOTATE_ROWS_EVENT = 160,
    LT_BINLOG_MARIADB_BINLOG_CHECKPOINT_EVENT = 161,
    LT_BINLOG_MARIADB_GTID_EVENT = 162,
    LT_BINLOG_MARIADB_GTID_LIST_EVENT = 163,
    LT_BINLOG_MARIADB_START_ENCRYPTION_EVENT = 164,
    LT_BINLOG_MARIADB_QUERY_COMPRESSED_EVENT = 165,
    LT_BINLOG_MARIADB_WRITE_ROWS_COMPRESSED_EVENT_V1 = 166,
    LT_BINLOG_MARIADB_UPDATE_ROWS_COMPRESSED_EVENT_V1 = 167,
    LT_BINLOG_MARIADB_DELETE_ROWS_COMPRESSED_EVENT_V1 = 168,
    LT_BINLOG_MARIADB_WRITE_ROWS_COMPRESSED_EVENT = 169,
    LT_BINLOG_MARIADB_UPDATE_ROWS_COMPRESSED_EVENT = 170,
    LT_BINLOG_MARIADB_DELETE_ROWS_COMPRESSED_EVENT = 171,
};

/* Header flags. */
#define LT_BINLOG_F_BINLOG_IN_USE 0x0001 /* FDE: the file was not closed properly */
#define LT_BINLOG_F_ARTIFICIAL 0x0020    /* generated by the server for a replica (e.g. the first fake ROTATE) */

/* Rows-event flags. */
#define LT_BINLOG_ROWS_F_STMT_END 0x0001

enum lt_binlog_checksum {
    LT_BINLOG_CHECKSUM_OFF = 0,
    LT_BINLOG_CHECKSUM_CRC32 = 1,
    LT_BINLOG_CHECKSUM_UNDEF = 255,
};

struct lt_binlog_header {
    uint32_t timestamp;  /* seconds since the epoch, UTC */
    uint8_t type;        /* enum lt_binlog_event_type */
    uint32_t server_id;
    uint32_t event_size; /* header + post-header + body + checksum */
    uint32_t log_pos;    /* position of the next event in the binlog file (0 for some artificial events) */
    uint16_t flags;
};

/* What the FORMAT_DESCRIPTION_EVENT said: the decoding state of a file or stream. */
struct lt_binlog_format {
    bool seen;                    /* an FDE has been parsed */
    uint16_t binlog_version;
    char server_version[51];
    uint32_t create_timestamp;
    uint8_t header_len;           /* common-header length (19 for v4) */
    uint16_t n_post_header;       /* entries in post_header_len */
    uint8_t post_header_len[256]; /* index: event type - 1 */
    uint8_t checksum_alg;         /* enum lt_binlog_checksum (UNDEF on servers that predate checksums) */
    bool is_mariadb;
};

/* The decoder's state across events: lt_binlog_reader_init before the first event (zero-initialising works too,
 * and then means "no checksum before the FDE"). */
struct lt_binlog_reader {
    struct lt_binlog_format fmt;
    /* Before the first FDE (a replication stream's artificial ROTATE): -1 = guess from the trailing bytes, 0 = no
     * checksum, 1 = CRC32 (what the client negotiated with @master_binlog_checksum). */
    int checksum_before_fde;
    bool skip_checksum_verify;    /* true: strip the CRC32 without checking it */
};

struct lt_binlog_rows_event {
    char op;                    /* 'I' (WRITE), 'U' (UPDATE), 'D' (DELETE) */
    uint8_t version;            /* 1 or 2 */
    uint64_t table_id;
    uint16_t flags;             /* LT_BINLOG_ROWS_F_* */
    const uint8_t *extra;       /* v2 extra-data (without its 2-byte length), or NULL */
    size_t extra_len;
    uint32_t ncols;
    const uint8_t *present;        /* columns-present bitmap ((ncols+7)/8 bytes; bit i = column i) */
    const uint8_t *present_after;  /* UPDATE: the after-image bitmap; NULL otherwise */
    const uint8_t *rows;        /* the row images */
    size_t rows_len;
    uint64_t rows_offset;       /* where `rows` starts in the file/stream, for messages */
    bool compressed;            /* MariaDB *_ROWS_COMPRESSED_EVENT: `rows` is still compressed, see
                                 * lt_binlog_event_decompress */
};

struct lt_binlog_event {
    struct lt_binlog_header h;
    uint64_t offset;            /* where the event starts in the file or stream (caller-supplied base) */
    const uint8_t *data;        /* the whole event, header included */
    const uint8_t *body;        /* after the common header (post-header + body), before the checksum */
    size_t body_len;
    bool has_checksum;
    uint32_t checksum;
    union {
        struct { uint64_t position; const char *name; size_t name_len; } rotate;
        struct {
            uint32_t thread_id, exec_time;
            uint16_t error_code;
            const char *db;     /* not NUL-terminated */
            size_t db_len;
            const char *sql;
            size_t sql_len;
            bool compressed;    /* MariaDB QUERY_COMPRESSED_EVENT: see lt_binlog_event_decompress */
        } query;
        struct { uint64_t xid; } xid;
        struct { uint64_t table_id; uint8_t post_header_len; } table_map; /* rest: lt_binlog_table_map_decode */
        struct lt_binlog_rows_event rows;
        struct { uint64_t seq_no; uint32_t domain_id; uint8_t flags; uint64_t commit_id; } mariadb_gtid;
        struct { uint32_t count; uint8_t flags; const uint8_t *entries; } gtid_list; /* 16 bytes an entry */
        struct { const char *sql; size_t sql_len; } annotate; /* ANNOTATE_ROWS and ROWS_QUERY */
        struct { const char *name; size_t name_len; } checkpoint; /* BINLOG_CHECKPOINT and HEARTBEAT */
        struct {
            uint8_t flags;
            uint8_t sid[16];
            int64_t gno;
            bool has_logical_clock;
            int64_t last_committed, sequence_number;
            /* MySQL 8.0.1+: commit times in microseconds since the epoch (0 when the event has none) */
            uint64_t immediate_commit_ts_us, original_commit_ts_us;
        } mysql_gtid;
        struct { uint64_t n_sids; } previous_gtids;
        struct {
            uint64_t compression;       /* 0 zstd, 255 none */
            uint64_t uncompressed_size;
            const uint8_t *data;        /* the (compressed) events */
            size_t len;
        } payload;
    } u;
};

/* A decoded TABLE_MAP: owns its memory (lt_binlog_table_map_free). */
struct lt_binlog_table_map {
    uint64_t table_id;
    uint16_t flags;
    char *db;                   /* NUL-terminated */
    char *table;
    uint32_t ncols;
    struct lt_binlog_column *cols;
    bool has_signedness;        /* optional metadata that was present */
    bool has_charsets;
    bool has_column_names;
    bool has_enum_set_labels;
    bool has_primary_key;
    void *arena_;               /* private: strings and label arrays */
};

void lt_binlog_reader_init(struct lt_binlog_reader *rd);

/* Checks the 4-byte magic at the start of a binlog file. */
int lt_binlog_check_magic(const uint8_t *p, size_t n, struct lt_error *err);

/* Parses one event from p (n bytes available, at least the event's event_size). `offset` is where p sits in
 * the file or stream (used in messages and in ev->offset). Verifies the CRC32 when checksums are on, updates the
 * reader on a FORMAT_DESCRIPTION_EVENT, and fills ev (pointers point into p). Fails on malformed or unsupported
 * input (see the top of this file); the reader is unchanged after a failure. */
int lt_binlog_parse_event(struct lt_binlog_reader *rd, const uint8_t *p, size_t n, uint64_t offset,
                          struct lt_binlog_event *ev, struct lt_error *err);

/* Iterates the events of a whole binlog file held in memory: *pos starts at 0 (the magic is checked there) and
 * advances past each event. Returns LT_OK with *done = true at the clean end of the data. */
int lt_binlog_file_next(struct lt_binlog_reader *rd, const uint8_t *file, size_t len, size_t *pos,
                        struct lt_binlog_event *ev, bool *done, struct lt_error *err);

/* True for the row-change events (WRITE/UPDATE/DELETE_ROWS v1, v2 and MariaDB's compressed forms). */
bool lt_binlog_event_is_rows(uint8_t type);

/* Inflates a MariaDB compressed QUERY or rows event in place: the uncompressed SQL text or row images go to buf
 * (a growable buffer reused across events; its `limit`, default 1 GiB, caps the size) and ev's pointers are
 * repointed there, `compressed` cleared. Does nothing for other events. buf must not be the scratch buffer given
 * to lt_binlog_rows_next (that one is reset at every row). */
int lt_binlog_event_decompress(struct lt_binlog_event *ev, struct lt_my_scratch *buf, struct lt_error *err);

/* A TRANSACTION_PAYLOAD's events: inflate them into buf (its `limit`, default 1 GiB, caps the size; not the row
 * scratch), then walk them with lt_binlog_payload_next (*pos starts at 0; the events carry no CRC32 of their own;
 * offsets in messages are the payload event's). Events decoded from buf stay valid until buf is reused. */
int lt_binlog_payload_inflate(const struct lt_binlog_event *payload, struct lt_my_scratch *buf,
                              struct lt_error *err);
int lt_binlog_payload_next(struct lt_binlog_reader *rd, const struct lt_binlog_event *payload,
                           const struct lt_my_scratch *buf, size_t *pos, struct lt_binlog_event *ev, bool *done,
                           struct lt_error *err);

/* Decodes a TABLE_MAP event into tm (freeing what tm held before). */
int lt_binlog_table_map_decode(const struct lt_binlog_event *ev, struct lt_binlog_table_map *tm,
                               struct lt_error *err);
void lt_binlog_table_map_free(struct lt_binlog_table_map *tm);
/* True when ev is the very TABLE_MAP tm was decoded from (same bytes): servers repeat the map before every
 * transaction's rows, so a caller can keep its decoded map - and what it filled in from information_schema -
 * instead of decoding it again. */
bool lt_binlog_table_map_matches(const struct lt_binlog_table_map *tm, const struct lt_binlog_event *ev);

/* Name of an event type ("Query", "Write_rows_v2", ...). */
const char *lt_binlog_event_type_name(uint8_t type);

/* One entry of a GTID_LIST event (i < count). */
void lt_binlog_gtid_list_entry(const struct lt_binlog_event *ev, uint32_t i, uint32_t *domain_id,
                               uint32_t *server_id, uint64_t *seq_no);

#endif
