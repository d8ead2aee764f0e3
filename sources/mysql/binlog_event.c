/* Binary-log event parsing: see binlog_event.h for the layout of every event decoded here. */
#include "sources/mysql/binlog_event.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

static const uint8_t binlog_magic[LT_BINLOG_MAGIC_LEN] = {0xfe, 0x62, 0x69, 0x6e};

#define MAX_COLUMNS 4096 /* MySQL and MariaDB tables have at most 4096 columns */

/* Fails with "binlog offset N (Type event): ..." */
static int fail_at(struct lt_error *err, uint64_t offset, uint8_t type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_at(struct lt_error *err, uint64_t offset, uint8_t type, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return lt_fail(err, LT_ERR_RUNTIME, "binlog offset %" PRIu64 " (%s event): %s", offset,
                   lt_binlog_event_type_name(type), msg);
}

const char *lt_binlog_event_type_name(uint8_t type)
{
    switch (type) {
    case LT_BINLOG_START_EVENT_V3: return "Start_v3";
    case LT_BINLOG_QUERY_EVENT: return "Query";
    case LT_BINLOG_STOP_EVENT: return "Stop";
    case LT_BINLOG_ROTATE_EVENT: return "Rotate";
    case LT_BINLOG_INTVAR_EVENT: return "Intvar";
    case LT_BINLOG_RAND_EVENT: return "Rand";
    case LT_BINLOG_USER_VAR_EVENT: return "User_var";
    case LT_BINLOG_FORMAT_DESCRIPTION_EVENT: return "Format_desc";
    case LT_BINLOG_XID_EVENT: return "Xid";
    case LT_BINLOG_BEGIN_LOAD_QUERY_EVENT: return "Begin_load_query";
    case LT_BINLOG_EXECUTE_LOAD_QUERY_EVENT: return "Execute_load_query";
    case LT_BINLOG_TABLE_MAP_EVENT: return "Table_map";
    case LT_BINLOG_PRE_GA_WRITE_ROWS_EVENT: return "Write_rows_v0";
    case LT_BINLOG_PRE_GA_UPDATE_ROWS_EVENT: return "Update_rows_v0";
    case LT_BINLOG_PRE_GA_DELETE_ROWS_EVENT: return "Delete_rows_v0";
    case LT_BINLOG_WRITE_ROWS_EVENT_V1: return "Write_rows_v1";
    case LT_BINLOG_UPDATE_ROWS_EVENT_V1: return "Update_rows_v1";
    case LT_BINLOG_DELETE_ROWS_EVENT_V1: return "Delete_rows_v1";
    case LT_BINLOG_INCIDENT_EVENT: return "Incident";
    case LT_BINLOG_HEARTBEAT_EVENT: return "Heartbeat";
    case LT_BINLOG_IGNORABLE_EVENT: return "Ignorable";
    case LT_BINLOG_ROWS_QUERY_EVENT: return "Rows_query";
    case LT_BINLOG_WRITE_ROWS_EVENT: return "Write_rows_v2";
    case LT_BINLOG_UPDATE_ROWS_EVENT: return "Update_rows_v2";
    case LT_BINLOG_DELETE_ROWS_EVENT: return "Delete_rows_v2";
    case LT_BINLOG_GTID_LOG_EVENT: return "Gtid";
    case LT_BINLOG_ANONYMOUS_GTID_LOG_EVENT: return "Anonymous_Gtid";
    case LT_BINLOG_PREVIOUS_GTIDS_LOG_EVENT: return "Previous_gtids";
    case LT_BINLOG_TRANSACTION_CONTEXT_EVENT: return "Transaction_context";
    case LT_BINLOG_VIEW_CHANGE_EVENT: return "View_change";
    case LT_BINLOG_XA_PREPARE_LOG_EVENT: return "XA_prepare";
    case LT_BINLOG_PARTIAL_UPDATE_ROWS_EVENT: return "Update_rows_partial";
    case LT_BINLOG_TRANSACTION_PAYLOAD_EVENT: return "Transaction_payload";
    case LT_BINLOG_HEARTBEAT_EVENT_V2: return "Heartbeat_v2";
    case LT_BINLOG_MARIADB_ANNOTATE_ROWS_EVENT: return "Annotate_rows";
    case LT_BINLOG_MARIADB_BINLOG_CHECKPOINT_EVENT: return "Binlog_checkpoint";
    case LT_BINLOG_MARIADB_GTID_EVENT: return "Gtid(MariaDB)";
    case LT_BINLOG_MARIADB_GTID_LIST_EVENT: return "Gtid_list";
    case LT_BINLOG_MARIADB_START_ENCRYPTION_EVENT: return "Start_encryption";
    case LT_BINLOG_MARIADB_QUERY_COMPRESSED_EVENT: return "Query_compressed";
    case LT_BINLOG_MARIADB_WRITE_ROWS_COMPRESSED_EVENT_V1: return "Write_rows_compressed_v1";
    case LT_BINLOG_MARIADB_UPDATE_ROWS_COMPRESSED_EVENT_V1: return "Update_rows_compressed_v1";
    case LT_BINLOG_MARIADB_DELETE_ROWS_COMPRESSED_EVENT_V1: return "Delete_rows_compressed_v1";
    case LT_BINLOG_MARIADB_WRITE_ROWS_COMPRESSED_EVENT: return "Write_rows_compressed";
    case LT_BINLOG_MARIADB_UPDATE_ROWS_COMPRESSED_EVENT: return "Update_rows_compressed";
    case LT_BINLOG_MARIADB_DELETE_ROWS_COMPRESSED_EVENT: return "Delete_rows_compressed";
    default: return "Unknown";
    }
}

void lt_binlog_reader_init(struct lt_binlog_reader *rd)
{
    memset(rd, 0, sizeof *rd);
    rd->checksum_before_fde = -1;
    rd->fmt.checksum_alg = LT_BINLOG_CHECKSUM_UNDEF;
}

int lt_binlog_check_magic(const uint8_t *p, size_t n, struct lt_error *err)
{
    if (n < LT_BINLOG_MAGIC_LEN || memcmp(p, binlog_magic, LT_BINLOG_MAGIC_LEN) != 0)
        return lt_fail(err, LT_ERR_RUNTIME, "not a binary log file: the first bytes are not FE 62 69 6E ('\\xfebin')");
    return LT_OK;
}

/* True when the server version (e.g. "5.6.16-64.2-56-log", "10.11.13-MariaDB-log") writes checksum fields. */
static bool version_has_checksum_field(const char *version, bool *is_mariadb)
{
    unsigned a = 0, b = 0, c = 0;
    *is_mariadb = strstr(version, "MariaDB") != NULL || strstr(version, "mariadb") != NULL;
    if (sscanf(version, "%u.%u.%u", &a, &b, &c) < 2)
        return false;
    unsigned v = a * 10000 + b * 100 + c;
    return *is_mariadb ? v >= 50300 : v >= 50601;
}

static int parse_fde(struct lt_binlog_reader *rd, struct lt_binlog_event *ev, const uint8_t *p, size_t size,
                     struct lt_error *err)
{
    const size_t fixed = 2 + 50 + 4 + 1;
    const uint8_t *b = p + LT_BINLOG_HEADER_LEN;
    size_t blen = size - LT_BINLOG_HEADER_LEN;
    struct lt_binlog_format f;
    memset(&f, 0, sizeof f);
    if (blen < fixed)
        return fail_at(err, ev->offset, ev->h.type, "body of %zu bytes is shorter than the fixed %zu", blen, fixed);
    f.seen = true;
    f.binlog_version = (uint16_t)lt_le16(b);
    memcpy(f.server_version, b + 2, 50);
    f.server_version[50] = 0;
    f.create_timestamp = lt_le32(b + 52);
    f.header_len = b[56];
    if (f.binlog_version != 4)
        return fail_at(err, ev->offset, ev->h.type, "binlog version %u is not supported (only v4, MySQL 5.0+)",
                       f.binlog_version);
    if (f.header_len != LT_BINLOG_HEADER_LEN)
        return fail_at(err, ev->offset, ev->h.type, "common header length %u (expected 19)", f.header_len);
    size_t rest = blen - fixed;
    bool has_alg = version_has_checksum_field(f.server_version, &f.is_mariadb);
    f.checksum_alg = LT_BINLOG_CHECKSUM_UNDEF;
    if (has_alg) {
        if (rest < 1 + LT_BINLOG_CHECKSUM_LEN)
            return fail_at(err, ev->offset, ev->h.type, "server %s must end its FDE with a checksum field",
                           f.server_version);
        f.checksum_alg = b[blen - 5];
        rest -= 1 + LT_BINLOG_CHECKSUM_LEN;
        if (f.checksum_alg != LT_BINLOG_CHECKSUM_OFF && f.checksum_alg != LT_BINLOG_CHECKSUM_CRC32 &&
            f.checksum_alg != LT_BINLOG_CHECKSUM_UNDEF)
            return fail_at(err, ev->offset, ev->h.type, "unknown checksum algorithm %u", f.checksum_alg);
        ev->has_checksum = true;
        ev->checksum = lt_le32(p + size - 4);
        if (f.checksum_alg == LT_BINLOG_CHECKSUM_CRC32 && !rd->skip_checksum_verify) {
            /* the server clears the "in use" flag of a closed file in place, after computing the CRC without it */
            uint8_t head[LT_BINLOG_HEADER_LEN];
            memcpy(head, p, sizeof head);
            head[17] &= (uint8_t)~LT_BINLOG_F_BINLOG_IN_USE;
            uint32_t crc = (uint32_t)crc32(0L, head, sizeof head);
            crc = (uint32_t)crc32(crc, p + sizeof head, (uInt)(size - 4 - sizeof head));
            if (crc != ev->checksum)
                return fail_at(err, ev->offset, ev->h.type, "CRC32 mismatch (stored %08x, computed %08x)",
                               ev->checksum, crc);
        }
        ev->body_len = blen - 5;
    } else {
        ev->body_len = blen;
    }
    if (rest > sizeof f.post_header_len)
        return fail_at(err, ev->offset, ev->h.type, "%zu post-header lengths (at most 256)", rest);
    f.n_post_header = (uint16_t)rest;
    memcpy(f.post_header_len, b + fixed, rest);
    rd->fmt = f;
    return LT_OK;
}

static size_t post_header_len(const struct lt_binlog_reader *rd, uint8_t type, size_t fallback)
{
    if (type >= 1 && (size_t)(type - 1) < rd->fmt.n_post_header)
        return rd->fmt.post_header_len[type - 1];
    return fallback;
}

static int parse_rows(const struct lt_binlog_reader *rd, struct lt_binlog_event *ev, struct lt_error *err)
{
    struct lt_binlog_rows_event *r = &ev->u.rows;
    uint8_t t = ev->h.type;
    const uint8_t *b = ev->body;
    size_t n = ev->body_len;
    memset(r, 0, sizeof *r);
    int kind;
    if (t >= LT_BINLOG_MARIADB_WRITE_ROWS_COMPRESSED_EVENT_V1) {
        r->compressed = true;
        r->version = t >= LT_BINLOG_MARIADB_WRITE_ROWS_COMPRESSED_EVENT ? 2 : 1;
        kind = r->version == 2 ? t - LT_BINLOG_MARIADB_WRITE_ROWS_COMPRESSED_EVENT
                               : t - LT_BINLOG_MARIADB_WRITE_ROWS_COMPRESSED_EVENT_V1;
    } else {
        r->version = t >= LT_BINLOG_WRITE_ROWS_EVENT ? 2 : 1;
        kind = r->version == 2 ? t - LT_BINLOG_WRITE_ROWS_EVENT : t - LT_BINLOG_WRITE_ROWS_EVENT_V1;
    }
    r->op = kind == 0 ? 'I' : kind == 1 ? 'U' : 'D';
    size_t phl = post_header_len(rd, t, r->version == 2 ? 10 : 8);
    size_t idlen = phl == 6 ? 4 : 6;
    size_t min_phl = idlen + 2 + (r->version == 2 ? 2 : 0);
    if (phl < min_phl)
        return fail_at(err, ev->offset, t, "post-header length %zu too short", phl);
    if (n < phl)
        return fail_at(err, ev->offset, t, "truncated post-header (%zu of %zu bytes)", n, phl);
    r->table_id = idlen == 4 ? lt_le32(b) : lt_le48(b);
    r->flags = (uint16_t)lt_le16(b + idlen);
    size_t i = phl;
    if (r->version == 2) {
        size_t extra = lt_le16(b + idlen + 2);
        if (extra < 2 || extra - 2 > n - i)
            return fail_at(err, ev->offset, t, "extra-data length %zu runs past the event", extra);
        r->extra = extra > 2 ? b + i : NULL;
        r->extra_len = extra - 2;
        i += extra - 2;
    }
    uint64_t ncols;
    size_t used;
    if (!lt_binlog_read_packed(b + i, n - i, &ncols, &used))
        return fail_at(err, ev->offset + LT_BINLOG_HEADER_LEN + i, t, "column count truncated");
    if (ncols == 0 || ncols > MAX_COLUMNS)
        return fail_at(err, ev->offset + LT_BINLOG_HEADER_LEN + i, t, "column count %" PRIu64 " out of range",
                       ncols);
    i += used;
    r->ncols = (uint32_t)ncols;
    size_t bm = (r->ncols + 7) / 8;
    size_t nbm = r->op == 'U' ? 2 : 1;
    if (n - i < bm * nbm)
        return fail_at(err, ev->offset + LT_BINLOG_HEADER_LEN + i, t, "columns-present bitmap truncated");
    r->present = b + i;
    i += bm;
    if (r->op == 'U') {
        r->present_after = b + i;
        i += bm;
    }
    r->rows = b + i;
    r->rows_len = n - i;
    r->rows_offset = ev->offset + LT_BINLOG_HEADER_LEN + i;
    return LT_OK;
}

static int parse_body(const struct lt_binlog_reader *rd, struct lt_binlog_event *ev, struct lt_error *err)
{
    const uint8_t *b = ev->body;
    size_t n = ev->body_len;
    uint8_t t = ev->h.type;
    switch (t) {
    case LT_BINLOG_ROTATE_EVENT: {
        size_t phl = post_header_len(rd, t, 8);
        if (rd->fmt.seen && phl != 8)
            return fail_at(err, ev->offset, t, "post-header length %zu (expected 8)", phl);
        if (n < 8)
            return fail_at(err, ev->offset, t, "body of %zu bytes has no position", n);
        ev->u.rotate.position = lt_le64(b);
        ev->u.rotate.name = (const char *)b + 8;
        ev->u.rotate.name_len = n - 8;
        return LT_OK;
    }
    case LT_BINLOG_QUERY_EVENT: case LT_BINLOG_MARIADB_QUERY_COMPRESSED_EVENT: {
        size_t phl = post_header_len(rd, t, 13);
        ev->u.query.compressed = t == LT_BINLOG_MARIADB_QUERY_COMPRESSED_EVENT;
        if (phl < 13)
            return fail_at(err, ev->offset, t, "post-header length %zu (expected 13)", phl);
        if (n < phl)
            return fail_at(err, ev->offset, t, "post-header truncated");
        ev->u.query.thread_id = lt_le32(b);
        ev->u.query.exec_time = lt_le32(b + 4);
        size_t db_len = b[8];
        ev->u.query.error_code = (uint16_t)lt_le16(b + 9);
        size_t sv_len = lt_le16(b + 11);
        size_t i = phl;
        if (sv_len > n - i)
            return fail_at(err, ev->offset, t, "status variables (%zu bytes) run past the event", sv_len);
        i += sv_len;
        if (db_len + 1 > n - i)
            return fail_at(err, ev->offset, t, "database name (%zu bytes) runs past the event", db_len);
        ev->u.query.db = (const char *)b + i;
        ev->u.query.db_len = db_len;
        i += db_len + 1;
        ev->u.query.sql = (const char *)b + i;
        ev->u.query.sql_len = n - i;
        return LT_OK;
    }
    case LT_BINLOG_XID_EVENT:
        if (n < 8)
            return fail_at(err, ev->offset, t, "body of %zu bytes (expected 8)", n);
        ev->u.xid.xid = lt_le64(b);
        return LT_OK;
    case LT_BINLOG_TABLE_MAP_EVENT: {
        size_t phl = post_header_len(rd, t, 8);
        if ((phl != 6 && phl < 8) || n < phl)
            return fail_at(err, ev->offset, t, "post-header truncated");
        ev->u.table_map.table_id = phl == 6 ? lt_le32(b) : lt_le48(b);
        ev->u.table_map.post_header_len = (uint8_t)phl;
        return LT_OK;
    }
    case LT_BINLOG_WRITE_ROWS_EVENT_V1: case LT_BINLOG_UPDATE_ROWS_EVENT_V1: case LT_BINLOG_DELETE_ROWS_EVENT_V1:
    case LT_BINLOG_WRITE_ROWS_EVENT: case LT_BINLOG_UPDATE_ROWS_EVENT: case LT_BINLOG_DELETE_ROWS_EVENT:
    case LT_BINLOG_MARIADB_WRITE_ROWS_COMPRESSED_EVENT_V1: case LT_BINLOG_MARIADB_UPDATE_ROWS_COMPRESSED_EVENT_V1:
    case LT_BINLOG_MARIADB_DELETE_ROWS_COMPRESSED_EVENT_V1: case LT_BINLOG_MARIADB_WRITE_ROWS_COMPRESSED_EVENT:
    case LT_BINLOG_MARIADB_UPDATE_ROWS_COMPRESSED_EVENT: case LT_BINLOG_MARIADB_DELETE_ROWS_COMPRESSED_EVENT:
        return parse_rows(rd, ev, err);
    case LT_BINLOG_PRE_GA_WRITE_ROWS_EVENT: case LT_BINLOG_PRE_GA_UPDATE_ROWS_EVENT:
    case LT_BINLOG_PRE_GA_DELETE_ROWS_EVENT:
        return fail_at(err, ev->offset, t, "pre-GA rows events (MySQL 5.1.0-5.1.15) are not supported");
    case LT_BINLOG_PARTIAL_UPDATE_ROWS_EVENT:
        return fail_at(err, ev->offset, t,
                       "partial JSON updates are not supported: set binlog_row_value_options='' on the server");
    case LT_BINLOG_TRANSACTION_PAYLOAD_EVENT: {
        size_t i = 0;
        uint64_t size = 0, compression = 255, usize = 0;
        bool have_size = false;
        for (;;) {
            uint64_t type, len, value;
            size_t used;
            if (!lt_binlog_read_packed(b + i, n - i, &type, &used))
                return fail_at(err, ev->offset, t, "payload header truncated");
            i += used;
            if (type == 0)
                break;
            if (!lt_binlog_read_packed(b + i, n - i, &len, &used) || len > n - i - used)
                return fail_at(err, ev->offset, t, "payload header field %" PRIu64 " truncated", type);
            i += used;
            if (type <= 3) {
                if (!lt_binlog_read_packed(b + i, (size_t)len, &value, &used))
                    return fail_at(err, ev->offset, t, "payload header field %" PRIu64 " malformed", type);
                if (type == 1) {
                    size = value;
                    have_size = true;
                } else if (type == 2) {
                    compression = value;
                } else {
                    usize = value;
                }
            }
            i += (size_t)len;
        }
        if (!have_size || size > n - i)
            return fail_at(err, ev->offset, t, "payload size %" PRIu64 " does not fit the event", size);
        if (compression != 0 && compression != 255)
            return fail_at(err, ev->offset, t, "unknown payload compression %" PRIu64, compression);
        ev->u.payload.compression = compression;
        ev->u.payload.uncompressed_size = compression == 255 ? size : usize;
        ev->u.payload.data = b + i;
        ev->u.payload.len = (size_t)size;
        return LT_OK;
    }
    case LT_BINLOG_MARIADB_START_ENCRYPTION_EVENT:
        return fail_at(err, ev->offset, t, "encrypted binary logs are not supported");
    case LT_BINLOG_MARIADB_GTID_EVENT:
        if (n < 13)
            return fail_at(err, ev->offset, t, "body of %zu bytes (at least 13)", n);
        ev->u.mariadb_gtid.seq_no = lt_le64(b);
        ev->u.mariadb_gtid.domain_id = lt_le32(b + 8);
        ev->u.mariadb_gtid.flags = b[12];
        ev->u.mariadb_gtid.commit_id = 0;
        if (b[12] & 0x02) { /* FL_GROUP_COMMIT_ID */
            if (n < 21)
                return fail_at(err, ev->offset, t, "commit id truncated");
            ev->u.mariadb_gtid.commit_id = lt_le64(b + 13);
        }
        return LT_OK;
    case LT_BINLOG_MARIADB_GTID_LIST_EVENT: {
        if (n < 4)
            return fail_at(err, ev->offset, t, "count truncated");
        uint32_t v = lt_le32(b);
        ev->u.gtid_list.count = v & 0x0fffffff;
        ev->u.gtid_list.flags = (uint8_t)(v >> 28);
        if ((uint64_t)ev->u.gtid_list.count * 16 > n - 4)
            return fail_at(err, ev->offset, t, "%u entries run past the event", ev->u.gtid_list.count);
        ev->u.gtid_list.entries = b + 4;
        return LT_OK;
    }
    case LT_BINLOG_MARIADB_ANNOTATE_ROWS_EVENT:
        ev->u.annotate.sql = (const char *)b;
        ev->u.annotate.sql_len = n;
        return LT_OK;
    case LT_BINLOG_ROWS_QUERY_EVENT:
        if (n < 1)
            return fail_at(err, ev->offset, t, "empty body");
        ev->u.annotate.sql = (const char *)b + 1; /* the length byte is truncated to 255: the rest is the text */
        ev->u.annotate.sql_len = n - 1;
        return LT_OK;
    case LT_BINLOG_MARIADB_BINLOG_CHECKPOINT_EVENT: {
        if (n < 4)
            return fail_at(err, ev->offset, t, "name length truncated");
        uint32_t len = lt_le32(b);
        if (len > n - 4)
            return fail_at(err, ev->offset, t, "name of %u bytes runs past the event", len);
        ev->u.checkpoint.name = (const char *)b + 4;
        ev->u.checkpoint.name_len = len;
        return LT_OK;
    }
    case LT_BINLOG_HEARTBEAT_EVENT:
        ev->u.checkpoint.name = (const char *)b;
        ev->u.checkpoint.name_len = n;
        return LT_OK;
    case LT_BINLOG_GTID_LOG_EVENT: case LT_BINLOG_ANONYMOUS_GTID_LOG_EVENT:
        if (n < 25)
            return fail_at(err, ev->offset, t, "body of %zu bytes (at least 25)", n);
        memset(&ev->u.mysql_gtid, 0, sizeof ev->u.mysql_gtid);
        ev->u.mysql_gtid.flags = b[0];
        memcpy(ev->u.mysql_gtid.sid, b + 1, 16);
        ev->u.mysql_gtid.gno = (int64_t)lt_le64(b + 17);
        if (n >= 42 && b[25] == 2) { /* logical-clock timestamps */
            ev->u.mysql_gtid.has_logical_clock = true;
            ev->u.mysql_gtid.last_committed = (int64_t)lt_le64(b + 26);
            ev->u.mysql_gtid.sequence_number = (int64_t)lt_le64(b + 34);
            if (n >= 49) {
                uint64_t imm = lt_le48(b + 42) | (uint64_t)b[48] << 48;
                uint64_t orig = imm & ~(1ULL << 55);
                if (imm & (1ULL << 55)) {
                    if (n < 56)
                        return fail_at(err, ev->offset, t, "original commit timestamp truncated");
                    orig = lt_le48(b + 49) | (uint64_t)b[55] << 48;
                }
                ev->u.mysql_gtid.immediate_commit_ts_us = imm & ~(1ULL << 55);
                ev->u.mysql_gtid.original_commit_ts_us = orig;
            }
        }
        return LT_OK;
    case LT_BINLOG_PREVIOUS_GTIDS_LOG_EVENT: {
        if (n < 8)
            return fail_at(err, ev->offset, t, "sid count truncated");
        uint64_t nsids = lt_le64(b);
        size_t i = 8;
        for (uint64_t k = 0; k < nsids; k++) {
            if (n - i < 24)
                return fail_at(err, ev->offset, t, "sid %" PRIu64 " of %" PRIu64 " truncated", k, nsids);
            uint64_t nint = lt_le64(b + i + 16);
            i += 24;
            if (nint > (n - i) / 16)
                return fail_at(err, ev->offset, t, "%" PRIu64 " intervals run past the event", nint);
            i += (size_t)nint * 16;
        }
        ev->u.previous_gtids.n_sids = nsids;
        return LT_OK;
    }
    default:
        return LT_OK; /* STOP, INTVAR, RAND, USER_VAR, INCIDENT, ... : header and body only */
    }
}

int lt_binlog_parse_event(struct lt_binlog_reader *rd, const uint8_t *p, size_t n, uint64_t offset,
                          struct lt_binlog_event *ev, struct lt_error *err)
{
    memset(ev, 0, sizeof *ev);
    ev->offset = offset;
    if (n < LT_BINLOG_HEADER_LEN)
        return lt_fail(err, LT_ERR_RUNTIME, "binlog offset %" PRIu64 ": event header truncated (%zu of 19 bytes)",
                       offset, n);
    ev->h.timestamp = lt_le32(p);
    ev->h.type = p[4];
    ev->h.server_id = lt_le32(p + 5);
    ev->h.event_size = lt_le32(p + 9);
    ev->h.log_pos = lt_le32(p + 13);
    ev->h.flags = (uint16_t)lt_le16(p + 17);
    uint8_t t = ev->h.type;
    size_t size = ev->h.event_size;
    if (size < LT_BINLOG_HEADER_LEN)
        return fail_at(err, offset, t, "event size %zu is smaller than its header", size);
    if (size > n)
        return fail_at(err, offset, t, "event size %zu runs past the data (%zu bytes left)", size, n);
    ev->data = p;
    ev->body = p + LT_BINLOG_HEADER_LEN;

    if (t == LT_BINLOG_FORMAT_DESCRIPTION_EVENT)
        return parse_fde(rd, ev, p, size, err);
    if (t == LT_BINLOG_START_EVENT_V3)
        return fail_at(err, offset, t, "binlog format v1/v3 (MySQL before 5.0) is not supported");

    bool checksum;
    if (rd->fmt.seen) {
        checksum = rd->fmt.checksum_alg == LT_BINLOG_CHECKSUM_CRC32;
    } else {
        if (t != LT_BINLOG_ROTATE_EVENT && t != LT_BINLOG_HEARTBEAT_EVENT && t != LT_BINLOG_HEARTBEAT_EVENT_V2)
            return fail_at(err, offset, t, "event before any FORMAT_DESCRIPTION_EVENT (cannot be decoded)");
        if (rd->checksum_before_fde >= 0)
            checksum = rd->checksum_before_fde == 1;
        else
            checksum = size >= LT_BINLOG_HEADER_LEN + 4 &&
                       (uint32_t)crc32(0L, p, (uInt)(size - 4)) == lt_le32(p + size - 4);
    }
    ev->body_len = size - LT_BINLOG_HEADER_LEN;
    if (checksum) {
        if (ev->body_len < LT_BINLOG_CHECKSUM_LEN)
            return fail_at(err, offset, t, "event too short for its CRC32");
        ev->body_len -= LT_BINLOG_CHECKSUM_LEN;
        ev->has_checksum = true;
        ev->checksum = lt_le32(p + size - 4);
        if (!rd->skip_checksum_verify) {
            uint32_t crc = (uint32_t)crc32(0L, p, (uInt)(size - 4));
            if (crc != ev->checksum)
                return fail_at(err, offset, t, "CRC32 mismatch (stored %08x, computed %08x)", ev->checksum, crc);
        }
    }
    return parse_body(rd, ev, err);
}

int lt_binlog_file_next(struct lt_binlog_reader *rd, const uint8_t *file, size_t len, size_t *pos,
                        struct lt_binlog_event *ev, bool *done, struct lt_error *err)
{
    *done = false;
    if (*pos == 0) {
        int rc = lt_binlog_check_magic(file, len, err);
        if (rc)
            return rc;
        *pos = LT_BINLOG_MAGIC_LEN;
    }
    if (*pos >= len) {
        *done = true;
        return LT_OK;
    }
    int rc = lt_binlog_parse_event(rd, file + *pos, len - *pos, *pos, ev, err);
    if (rc)
        return rc;
    *pos += ev->h.event_size;
    return LT_OK;
}

bool lt_binlog_event_is_rows(uint8_t t)
{
    return (t >= LT_BINLOG_WRITE_ROWS_EVENT_V1 && t <= LT_BINLOG_DELETE_ROWS_EVENT_V1) ||
           (t >= LT_BINLOG_WRITE_ROWS_EVENT && t <= LT_BINLOG_DELETE_ROWS_EVENT) ||
           (t >= LT_BINLOG_MARIADB_WRITE_ROWS_COMPRESSED_EVENT_V1 &&
            t <= LT_BINLOG_MARIADB_DELETE_ROWS_COMPRESSED_EVENT);
}

/* Inflates MariaDB's compressed payload (header byte, big-endian length, zlib stream) into buf. */
static int inflate_payload(const struct lt_binlog_event *ev, const uint8_t *p, size_t n, struct lt_my_scratch *buf,
                           struct lt_error *err)
{
    if (n < 2 || (p[0] & 0xe0) != 0x80)
        return fail_at(err, ev->offset, ev->h.type, "compressed payload has a bad header byte");
    size_t lenlen = p[0] & 0x07;
    if (lenlen < 1 || lenlen > 4 || n < 1 + lenlen)
        return fail_at(err, ev->offset, ev->h.type, "compressed payload has a bad length field");
    size_t ulen = (size_t)lt_be_n(p + 1, lenlen);
    if (ulen / 1100 > n) /* zlib cannot expand more than about 1032:1: a larger claim is a lie */
        return fail_at(err, ev->offset, ev->h.type, "compressed payload of %zu bytes claims %zu uncompressed", n,
                       ulen);
    buf->len = 0;
    struct lt_error sub = {0};
    if (lt_my_scratch_reserve(buf, ulen ? ulen : 1, &sub))
        return fail_at(err, ev->offset, ev->h.type, "%s", sub.msg);
    uLongf got = (uLongf)ulen;
    int zrc = uncompress((Bytef *)buf->data, &got, p + 1 + lenlen, (uLong)(n - 1 - lenlen));
    if (zrc != Z_OK || got != ulen)
        return fail_at(err, ev->offset, ev->h.type, "zlib could not inflate the payload to its %zu declared bytes "
                       "(zlib error %d)", ulen, zrc);
    buf->len = ulen;
    return LT_OK;
}

int lt_binlog_event_decompress(struct lt_binlog_event *ev, struct lt_my_scratch *buf, struct lt_error *err)
{
    if (lt_binlog_event_is_rows(ev->h.type) && ev->u.rows.compressed) {
        int rc = inflate_payload(ev, ev->u.rows.rows, ev->u.rows.rows_len, buf, err);
        if (rc)
            return rc;
        ev->u.rows.rows = (const uint8_t *)buf->data;
        ev->u.rows.rows_len = buf->len;
        ev->u.rows.compressed = false;
    } else if ((ev->h.type == LT_BINLOG_QUERY_EVENT || ev->h.type == LT_BINLOG_MARIADB_QUERY_COMPRESSED_EVENT) &&
               ev->u.query.compressed) {
        int rc = inflate_payload(ev, (const uint8_t *)ev->u.query.sql, ev->u.query.sql_len, buf, err);
        if (rc)
            return rc;
        ev->u.query.sql = buf->data;
        ev->u.query.sql_len = buf->len;
        ev->u.query.compressed = false;
    }
    return LT_OK;
}

int lt_binlog_payload_inflate(const struct lt_binlog_event *ev, struct lt_my_scratch *buf, struct lt_error *err)
{
    if (ev->h.type != LT_BINLOG_TRANSACTION_PAYLOAD_EVENT)
        return lt_fail(err, LT_ERR_RUNTIME, "internal: not a TRANSACTION_PAYLOAD event");
    struct lt_error sub = {0};
    buf->len = 0;
    if (ev->u.payload.compression == 255)
        return lt_my_scratch_append(buf, ev->u.payload.data, ev->u.payload.len, err);
    uint64_t usize = ev->u.payload.uncompressed_size;
    unsigned long long frame = ZSTD_getFrameContentSize(ev->u.payload.data, ev->u.payload.len);
    if (frame != ZSTD_CONTENTSIZE_UNKNOWN && frame != ZSTD_CONTENTSIZE_ERROR && frame != usize)
        return fail_at(err, ev->offset, ev->h.type, "zstd frame holds %llu bytes, the header says %" PRIu64, frame,
                       usize);
    if (usize > SIZE_MAX / 2 || lt_my_scratch_reserve(buf, usize ? (size_t)usize : 1, &sub))
        return fail_at(err, ev->offset, ev->h.type, "payload of %" PRIu64 " bytes: %s", usize,
                       sub.msg[0] ? sub.msg : "too large");
    size_t got = ZSTD_decompress(buf->data, (size_t)usize, ev->u.payload.data, ev->u.payload.len);
    if (ZSTD_isError(got) || got != usize)
        return fail_at(err, ev->offset, ev->h.type, "zstd could not inflate the payload to its %" PRIu64
                       " declared bytes (%s)", usize, ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short");
    buf->len = got;
    return LT_OK;
}

int lt_binlog_payload_next(struct lt_binlog_reader *rd, const struct lt_binlog_event *payload,
                           const struct lt_my_scratch *buf, size_t *pos, struct lt_binlog_event *ev, bool *done,
                           struct lt_error *err)
{
    *done = false;
    if (*pos >= buf->len) {
        *done = true;
        return LT_OK;
    }
    if (!rd->fmt.seen)
        return fail_at(err, payload->offset, payload->h.type, "payload before any FORMAT_DESCRIPTION_EVENT");
    /* the inner events carry no CRC32: parse them with checksums off, leaving the reader as it was */
    struct lt_binlog_reader inner = *rd;
    inner.fmt.checksum_alg = LT_BINLOG_CHECKSUM_OFF;
    const uint8_t *p = (const uint8_t *)buf->data + *pos;
    if (buf->len - *pos >= 5 && p[4] == LT_BINLOG_FORMAT_DESCRIPTION_EVENT)
        return fail_at(err, payload->offset, payload->h.type, "a FORMAT_DESCRIPTION_EVENT inside a payload");
    if (buf->len - *pos >= 5 && p[4] == LT_BINLOG_TRANSACTION_PAYLOAD_EVENT)
        return fail_at(err, payload->offset, payload->h.type, "a payload nested in a payload");
    struct lt_error sub = {0};
    if (lt_binlog_parse_event(&inner, p, buf->len - *pos, payload->offset, ev, &sub))
        return lt_fail(err, LT_ERR_RUNTIME, "inside the payload, at byte %zu: %s", *pos, sub.msg);
    *pos += ev->h.event_size;
    return LT_OK;
}

void lt_binlog_gtid_list_entry(const struct lt_binlog_event *ev, uint32_t i, uint32_t *domain_id,
                               uint32_t *server_id, uint64_t *seq_no)
{
    const uint8_t *e = ev->u.gtid_list.entries + (size_t)i * 16;
    *domain_id = lt_le32(e);
    *server_id = lt_le32(e + 4);
    *seq_no = lt_le64(e + 8);
}

/* ---- TABLE_MAP ---- */

struct tm_arena {
    uint8_t *raw;       /* the event body the map was decoded from (lt_binlog_table_map_matches) */
    size_t raw_len;
    char *str;
    size_t str_used, str_cap;
    const char **lbl;
    uint16_t *lbl_len;
    size_t lbl_used, lbl_cap;
};

void lt_binlog_table_map_free(struct lt_binlog_table_map *tm)
{
    struct tm_arena *a = tm->arena_;
    if (a) {
        free(a->raw);
        free(a->str);
        free(a->lbl);
        free(a->lbl_len);
        free(a);
    }
    free(tm->cols);
    memset(tm, 0, sizeof *tm);
}

/* Copies n bytes into the arena, NUL-terminated; latin1 is converted to UTF-8 when asked. */
static char *arena_str(struct tm_arena *a, const uint8_t *p, size_t n, bool latin1)
{
    size_t need = (latin1 ? 3 * n : n) + 1;
    if (need > a->str_cap - a->str_used)
        return NULL;
    char *start = a->str + a->str_used;
    size_t len = n;
    if (latin1)
        len = lt_binlog_latin1_to_utf8_buf(p, n, start);
    else if (n)
        memcpy(start, p, n);
    start[len] = 0;
    a->str_used += len + 1;
    return start;
}

struct tlv {
    const uint8_t *p;
    size_t n, i;
};

static bool tlv_packed(struct tlv *v, uint64_t *out)
{
    size_t used;
    if (!lt_binlog_read_packed(v->p + v->i, v->n - v->i, out, &used))
        return false;
    v->i += used;
    return true;
}

static bool is_enum_or_set(uint8_t type)
{
    return type == LT_MYSQL_TYPE_ENUM || type == LT_MYSQL_TYPE_SET;
}

/* DEFAULT_CHARSET / ENUM_AND_SET_DEFAULT_CHARSET: default, then (index among the covered columns, charset) pairs. */
static bool apply_default_charset(struct lt_binlog_table_map *tm, struct tlv *v, bool enum_set)
{
    uint64_t def;
    if (!tlv_packed(v, &def) || def > 0xffff)
        return false;
    uint32_t k = 0;
    for (uint32_t c = 0; c < tm->ncols; c++) {
        uint8_t ty = tm->cols[c].type;
        if (enum_set ? is_enum_or_set(ty) : lt_mysql_type_is_character(ty)) {
            tm->cols[c].charset = (uint16_t)def;
            k++;
        }
    }
    while (v->i < v->n) {
        uint64_t idx, cs;
        if (!tlv_packed(v, &idx) || !tlv_packed(v, &cs) || idx >= k || cs > 0xffff)
            return false;
        uint32_t seen = 0;
        for (uint32_t c = 0; c < tm->ncols; c++) {
            uint8_t ty = tm->cols[c].type;
            if (enum_set ? is_enum_or_set(ty) : lt_mysql_type_is_character(ty)) {
                if (seen++ == idx) {
                    tm->cols[c].charset = (uint16_t)cs;
                    break;
                }
            }
        }
    }
    return true;
}

static bool apply_column_charset(struct lt_binlog_table_map *tm, struct tlv *v, bool enum_set)
{
    for (uint32_t c = 0; c < tm->ncols; c++) {
        uint8_t ty = tm->cols[c].type;
        if (!(enum_set ? is_enum_or_set(ty) : lt_mysql_type_is_character(ty)))
            continue;
        uint64_t cs;
        if (!tlv_packed(v, &cs) || cs > 0xffff)
            return false;
        tm->cols[c].charset = (uint16_t)cs;
    }
    return true;
}

/* SET_STR_VALUE / ENUM_STR_VALUE: for each such column, count:packed then count x (len:packed bytes). */
static bool apply_labels(struct lt_binlog_table_map *tm, struct tm_arena *a, struct tlv *v, uint8_t type)
{
    for (uint32_t c = 0; c < tm->ncols; c++) {
        struct lt_binlog_column *col = &tm->cols[c];
        if (col->type != type)
            continue;
        uint64_t count;
        if (!tlv_packed(v, &count) || count > v->n - v->i || count > a->lbl_cap - a->lbl_used || count > 65535)
            return false;
        const char **lbl = a->lbl + a->lbl_used;
        uint16_t *lens = a->lbl_len + a->lbl_used;
        bool latin1 = lt_mysql_charset_is_latin1(col->charset);
        for (uint64_t k = 0; k < count; k++) {
            uint64_t len;
            if (!tlv_packed(v, &len) || len > v->n - v->i || len > 65535)
                return false;
            char *s = arena_str(a, v->p + v->i, (size_t)len, latin1);
            if (!s || strlen(s) > 65535)
                return false;
            lbl[k] = s;
            lens[k] = (uint16_t)strlen(s);
            v->i += (size_t)len;
        }
        a->lbl_used += (size_t)count;
        col->labels = lbl;
        col->label_lens = lens;
        col->nlabels = (uint32_t)count;
    }
    return true;
}

static int decode_optional_metadata(struct lt_binlog_table_map *tm, struct tm_arena *a, const uint8_t *p, size_t n,
                                    uint64_t offset, struct lt_error *err)
{
    /* Two passes: the charsets first (ENUM/SET charsets come after the labels, which need them to be converted
     * to UTF-8), then everything else. */
    for (int pass = 0; pass < 2; pass++) {
    size_t i = 0;
    while (i < n) {
        uint8_t type = p[i++];
        uint64_t len;
        size_t used;
        if (!lt_binlog_read_packed(p + i, n - i, &len, &used) || len > n - i - used)
            return fail_at(err, offset + i, LT_BINLOG_TABLE_MAP_EVENT, "optional metadata %u: length runs past the "
                           "event", type);
        i += used;
        struct tlv v = {p + i, (size_t)len, 0};
        bool ok = true;
        bool charset_tlv = type == 2 || type == 3 || type == 10 || type == 11;
        if (charset_tlv != (pass == 0)) {
            i += (size_t)len;
            continue;
        }
        switch (type) {
        case 1: { /* SIGNEDNESS: one bit per numeric column, most significant bit first */
            uint32_t k = 0;
            for (uint32_t c = 0; c < tm->ncols && ok; c++) {
                if (!lt_mysql_type_is_numeric(tm->cols[c].type))
                    continue;
                if (k / 8 >= v.n)
                    ok = false;
                else
                    tm->cols[c].is_unsigned = (v.p[k / 8] >> (7 - k % 8)) & 1;
                k++;
            }
            tm->has_signedness = ok;
            break;
        }
        case 2: ok = apply_default_charset(tm, &v, false); tm->has_charsets = ok; break;
        case 3: ok = apply_column_charset(tm, &v, false); tm->has_charsets = ok; break;
        case 4: /* COLUMN_NAME */
            for (uint32_t c = 0; c < tm->ncols && ok; c++) {
                uint64_t nl;
                if (!tlv_packed(&v, &nl) || nl > v.n - v.i || nl > 65535) {
                    ok = false;
                    break;
                }
                char *s = arena_str(a, v.p + v.i, (size_t)nl, false);
                if (!s) {
                    ok = false;
                    break;
                }
                tm->cols[c].name = s;
                tm->cols[c].name_len = (uint16_t)nl;
                v.i += (size_t)nl;
            }
            tm->has_column_names = ok;
            break;
        case 5: ok = apply_labels(tm, a, &v, LT_MYSQL_TYPE_SET); tm->has_enum_set_labels = ok; break;
        case 6: ok = apply_labels(tm, a, &v, LT_MYSQL_TYPE_ENUM); tm->has_enum_set_labels = ok; break;
        case 7: /* GEOMETRY_TYPE */
            for (uint32_t c = 0; c < tm->ncols && ok; c++) {
                if (tm->cols[c].type != LT_MYSQL_TYPE_GEOMETRY)
                    continue;
                uint64_t g;
                ok = tlv_packed(&v, &g) && g < 256;
                if (ok)
                    tm->cols[c].geometry_type = (uint8_t)g;
            }
            break;
        case 8: /* SIMPLE_PRIMARY_KEY: column indexes in key order */
            for (uint16_t part = 1; ok && v.i < v.n; part++) {
                uint64_t idx;
                ok = tlv_packed(&v, &idx) && idx < tm->ncols && !tm->cols[idx].is_key;
                if (ok) {
                    tm->cols[idx].is_key = true;
                    tm->cols[idx].key_part = part;
                }
            }
            tm->has_primary_key = ok;
            break;
        case 9: /* PRIMARY_KEY_WITH_PREFIX: (column index, prefix length or 0) in key order */
            for (uint16_t part = 1; ok && v.i < v.n; part++) {
                uint64_t idx, prefix;
                ok = tlv_packed(&v, &idx) && tlv_packed(&v, &prefix) && idx < tm->ncols && prefix <= UINT32_MAX &&
                     !tm->cols[idx].is_key;
                if (ok) {
                    tm->cols[idx].is_key = true;
                    tm->cols[idx].key_part = part;
                    tm->cols[idx].key_prefix = (uint32_t)prefix;
                }
            }
            tm->has_primary_key = ok;
            break;
        case 10: ok = apply_default_charset(tm, &v, true); break;
        case 11: ok = apply_column_charset(tm, &v, true); break;
        default: /* COLUMN_VISIBILITY (12) and later: not needed */
            break;
        }
        if (!ok)
            return fail_at(err, offset + i, LT_BINLOG_TABLE_MAP_EVENT, "optional metadata %u is malformed", type);
        i += (size_t)len;
    }
    }
    return LT_OK;
}

int lt_binlog_table_map_decode(const struct lt_binlog_event *ev, struct lt_binlog_table_map *tm,
                               struct lt_error *err)
{
    lt_binlog_table_map_free(tm);
    if (ev->h.type != LT_BINLOG_TABLE_MAP_EVENT)
        return lt_fail(err, LT_ERR_RUNTIME, "internal: not a TABLE_MAP event");
    const uint8_t *b = ev->body;
    size_t n = ev->body_len;
    uint64_t base = ev->offset + LT_BINLOG_HEADER_LEN;
    uint8_t T = LT_BINLOG_TABLE_MAP_EVENT;
    /* the post-header length was validated by lt_binlog_parse_event: 6 (old 4-byte id) or >= 8 */
    size_t i = ev->u.table_map.post_header_len;
    size_t idlen = i == 6 ? 4 : 6;
    if (i < 6 || n < i)
        return fail_at(err, ev->offset, T, "post-header truncated");
    struct tm_arena *a = calloc(1, sizeof *a);
    if (!a)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    tm->arena_ = a;
    a->str_cap = 4 * n + 64;
    a->str = malloc(a->str_cap);
    a->lbl_cap = n + 1;
    a->lbl = malloc(a->lbl_cap * sizeof *a->lbl);
    a->lbl_len = malloc(a->lbl_cap * sizeof *a->lbl_len);
    a->raw = malloc(n ? n : 1);
    a->raw_len = n;
    if (a->raw && n)
        memcpy(a->raw, b, n);
    if (!a->str || !a->lbl || !a->lbl_len || !a->raw) {
        lt_binlog_table_map_free(tm);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    tm->table_id = ev->u.table_map.table_id;
    tm->flags = (uint16_t)lt_le16(b + idlen);
    int rc = LT_OK;
#define TM_FAIL(...) do { rc = fail_at(err, __VA_ARGS__); goto fail; } while (0)
    for (int k = 0; k < 2; k++) {
        if (i >= n)
            TM_FAIL(base + i, T, "%s name length truncated", k ? "table" : "database");
        size_t len = b[i++];
        if (len + 1 > n - i)
            TM_FAIL(base + i, T, "%s name of %zu bytes runs past the event", k ? "table" : "database", len);
        char *s = arena_str(a, b + i, len, false);
        if (k)
            tm->table = s;
        else
            tm->db = s;
        i += len + 1;
    }
    uint64_t ncols;
    size_t used;
    if (!lt_binlog_read_packed(b + i, n - i, &ncols, &used))
        TM_FAIL(base + i, T, "column count truncated");
    if (ncols == 0 || ncols > MAX_COLUMNS)
        TM_FAIL(base + i, T, "column count %" PRIu64 " out of range", ncols);
    i += used;
    if (ncols > n - i)
        TM_FAIL(base + i, T, "%" PRIu64 " column types run past the event", ncols);
    tm->ncols = (uint32_t)ncols;
    tm->cols = calloc(tm->ncols, sizeof *tm->cols);
    if (!tm->cols) {
        rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        goto fail;
    }
    const uint8_t *types = b + i;
    i += tm->ncols;
    uint64_t meta_len;
    if (!lt_binlog_read_packed(b + i, n - i, &meta_len, &used))
        TM_FAIL(base + i, T, "metadata length truncated");
    i += used;
    if (meta_len > n - i)
        TM_FAIL(base + i, T, "metadata of %" PRIu64 " bytes runs past the event", meta_len);
    size_t mi = 0;
    for (uint32_t c = 0; c < tm->ncols; c++) {
        struct lt_error sub; /* not zero-filled: its 1 KB message per value was a hot spot */
        lt_error_clear(&sub);
        if (lt_binlog_column_read_meta(&tm->cols[c], types[c], b + i + mi, (size_t)meta_len - mi, &used, &sub))
            TM_FAIL(base + i + mi, T, "column %u: %s", c + 1, sub.msg);
        mi += used;
    }
    if (mi != meta_len)
        TM_FAIL(base + i, T, "metadata block is %" PRIu64 " bytes but the columns use %zu", meta_len, mi);
    i += (size_t)meta_len;
    size_t bm = (tm->ncols + 7) / 8;
    if (bm > n - i)
        TM_FAIL(base + i, T, "null bitmap truncated");
    for (uint32_t c = 0; c < tm->ncols; c++)
        tm->cols[c].nullable = (b[i + c / 8] >> (c % 8)) & 1;
    i += bm;
    rc = decode_optional_metadata(tm, a, b + i, n - i, base + i, err);
    if (rc)
        goto fail;
    return LT_OK;
#undef TM_FAIL
fail:
    lt_binlog_table_map_free(tm);
    return rc;
}

bool lt_binlog_table_map_matches(const struct lt_binlog_table_map *tm, const struct lt_binlog_event *ev)
{
    const struct tm_arena *a = tm->arena_;
    return a && ev->h.type == LT_BINLOG_TABLE_MAP_EVENT && ev->body_len == a->raw_len &&
           (a->raw_len == 0 || memcmp(ev->body, a->raw, a->raw_len) == 0);
}
