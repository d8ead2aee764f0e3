/* Streaming replication CopyData framing, LSN text and position strings; the wire layout is in repl_protocol.h. */
#include "sources/postgres/repl_protocol.h"

#include <stdio.h>
#include <string.h>

#include "agent/byte_reader.h"
#include "agent/digits.h"

int lt_pg_copy_decode(const uint8_t *buf, size_t len, struct lt_pg_copy_msg *msg, struct lt_error *err)
{
    memset(msg, 0, sizeof *msg);
    if (!buf || len == 0)
        return lt_fail(err, LT_ERR_RUNTIME, "replication CopyData: empty message at byte offset 0");
    msg->type = (char)buf[0];
    switch (buf[0]) {
    case LT_PG_COPY_XLOGDATA:
        if (len < LT_PG_XLOGDATA_HEADER_LEN)
            return lt_fail(err, LT_ERR_RUNTIME,
                           "replication XLogData: truncated header at byte offset %zu (needs %d bytes, has %zu)",
                           len, LT_PG_XLOGDATA_HEADER_LEN, len);
        msg->u.xlog.data_start = lt_be64(buf + 1);
        msg->u.xlog.wal_end = lt_be64(buf + 9);
        msg->u.xlog.send_time = (int64_t)lt_be64(buf + 17);
        msg->u.xlog.payload = buf + LT_PG_XLOGDATA_HEADER_LEN;
        msg->u.xlog.payload_len = len - LT_PG_XLOGDATA_HEADER_LEN;
        return LT_OK;
    case LT_PG_COPY_KEEPALIVE:
        if (len < LT_PG_KEEPALIVE_LEN)
            return lt_fail(err, LT_ERR_RUNTIME,
                           "replication keepalive: truncated at byte offset %zu (needs %d bytes, has %zu)", len,
                           LT_PG_KEEPALIVE_LEN, len);
        if (len > LT_PG_KEEPALIVE_LEN)
            return lt_fail(err, LT_ERR_RUNTIME, "replication keepalive: %zu trailing bytes at byte offset %d",
                           len - LT_PG_KEEPALIVE_LEN, LT_PG_KEEPALIVE_LEN);
        if (buf[17] > 1)
            return lt_fail(err, LT_ERR_RUNTIME,
                           "replication keepalive: reply-requested flag 0x%02x is neither 0 nor 1 at byte offset 17",
                           buf[17]);
        msg->u.keepalive.wal_end = lt_be64(buf + 1);
        msg->u.keepalive.send_time = (int64_t)lt_be64(buf + 9);
        msg->u.keepalive.reply_requested = buf[17] == 1;
        return LT_OK;
    default:
        return lt_fail(err, LT_ERR_RUNTIME, "replication CopyData: unknown message type 0x%02x at byte offset 0",
                       buf[0]);
    }
}

size_t lt_pg_encode_standby_status(uint8_t *out, size_t cap, uint64_t written, uint64_t flushed, uint64_t applied,
                                   int64_t clock_pg_us, bool reply_requested)
{
    if (!out || cap < LT_PG_STANDBY_STATUS_LEN)
        return 0;
    out[0] = LT_PG_COPY_STANDBY_STATUS;
    lt_store_be64(out + 1, written);
    lt_store_be64(out + 9, flushed);
    lt_store_be64(out + 17, applied);
    lt_store_be64(out + 25, (uint64_t)clock_pg_us);
    out[33] = reply_requested ? 1 : 0;
    return LT_PG_STANDBY_STATUS_LEN;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Reads min_digits..max_digits hex digits (uppercase only when upper_only) from *p; advances *p. */
static bool parse_hex32(const char **p, int min_digits, int max_digits, bool upper_only, uint32_t *out)
{
    uint32_t v = 0;
    int n = 0;
    while (n < max_digits && hex_value((*p)[n]) >= 0) {
        char c = (*p)[n];
        if (upper_only && c >= 'a' && c <= 'f')
            return false;
        v = (v << 4) | (uint32_t)hex_value(c);
        n++;
    }
    if (n < min_digits || hex_value((*p)[n]) >= 0)
        return false;
    *p += n;
    *out = v;
    return true;
}

bool lt_pg_lsn_parse(const char *text, uint64_t *lsn)
{
    uint32_t hi, lo;
    const char *p = text;
    if (!p || !parse_hex32(&p, 1, 8, false, &hi) || *p++ != '/' || !parse_hex32(&p, 1, 8, false, &lo) || *p != '\0')
        return false;
    *lsn = ((uint64_t)hi << 32) | lo;
    return true;
}

void lt_pg_lsn_format(uint64_t lsn, char out[LT_PG_LSN_MAX + 1])
{
    snprintf(out, LT_PG_LSN_MAX + 1, "%X/%X", (unsigned)(uint32_t)(lsn >> 32), (unsigned)(uint32_t)lsn);
}

void lt_pg_format_pos(uint64_t commit_lsn, uint64_t seq, char out[LT_POS_MAX + 1])
{
    /* %08X/%08X:%020llu, once per change: without printf */
    lt_hex8((uint32_t)(commit_lsn >> 32), out);
    out[8] = '/';
    lt_hex8((uint32_t)commit_lsn, out + 9);
    out[17] = ':';
    lt_dec_fixed(seq, 20, out + 18);
    out[38] = '\0';
}

bool lt_pg_parse_pos(const char *text, uint64_t *commit_lsn, uint64_t *seq)
{
    uint32_t hi, lo;
    const char *p = text;
    if (!p || strlen(p) != LT_PG_POS_LEN)
        return false;
    if (!parse_hex32(&p, 8, 8, true, &hi) || *p++ != '/' || !parse_hex32(&p, 8, 8, true, &lo) || *p++ != ':')
        return false;
    uint64_t v = 0;
    for (int i = 0; i < 20; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        unsigned d = (unsigned)(p[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *commit_lsn = ((uint64_t)hi << 32) | lo;
    *seq = v;
    return true;
}
