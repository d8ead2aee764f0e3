/* libFuzzer target for PostgreSQL's replication framing and COPY text rows (sources/postgres/repl_protocol.h,
 * pg_copy_text.h). The first byte picks what the rest is:
 *   0: CopyData messages of a START_REPLICATION stream, each a 2-byte big-endian length and its bytes (bit 7 of
 *      the first byte: the stream uses pgoutput protocol 2); XLogData payloads go on to the pgoutput decoder, with
 *      the in-stream state kept across messages as the change stream keeps it.
 *   1: one COPY TO text row; the second byte is the field count (0-63).
 *   2: LSN text, a position string, and the bytes of a standby status update.
 * Every input is decoded from an exact-size heap copy, so ASan sees any read past it.
 * Asserts: no read outside the input, clean errors on bad input; an accepted XLogData header or keepalive
 * re-encodes to its own bytes; a standby status update holds exactly the fields it was given; a COPY row that
 * parses, escaped again field by field, parses back to the same values (NULL stays NULL, text stays text), and no
 * unescaped value is longer than its field; LSN text that parses formats as pg_lsn does and parses back to the same
 * LSN; a position string that parses is exactly what lt_pg_format_pos writes for it. Build like
 * fuzz_parquet_reader.c. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources/postgres/pg_copy_text.h"
#include "sources/postgres/pgoutput.h"
#include "sources/postgres/repl_protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static void copy_data(const uint8_t *data, size_t size, int proto)
{
    bool in_stream = false;
    size_t pos = 0;
    while (size - pos >= 2) {
        size_t len = (size_t)data[pos] << 8 | data[pos + 1];
        pos += 2;
        if (len > size - pos)
            len = size - pos;
        uint8_t *buf = malloc(len ? len : 1);
        if (!buf)
            return;
        memcpy(buf, data + pos, len);
        pos += len;
        struct lt_pg_copy_msg m;
        struct lt_error err = {0};
        if (lt_pg_copy_decode(buf, len, &m, &err) != LT_OK) {
            if (!err.msg[0])
                abort();
            free(buf);
            continue;
        }
        if (m.type == LT_PG_COPY_KEEPALIVE) {
            if (len != LT_PG_KEEPALIVE_LEN || m.u.keepalive.wal_end != be64(buf + 1) ||
                (uint64_t)m.u.keepalive.send_time != be64(buf + 9) ||
                buf[17] != (m.u.keepalive.reply_requested ? 1 : 0)) {
                fprintf(stderr, "keepalive does not re-encode to its bytes\n");
                abort();
            }
        } else if (m.type == LT_PG_COPY_XLOGDATA) {
            const struct lt_pg_xlogdata *x = &m.u.xlog;
            if (len < LT_PG_XLOGDATA_HEADER_LEN || x->data_start != be64(buf + 1) || x->wal_end != be64(buf + 9) ||
                (uint64_t)x->send_time != be64(buf + 17) || x->payload != buf + LT_PG_XLOGDATA_HEADER_LEN ||
                x->payload_len != len - LT_PG_XLOGDATA_HEADER_LEN) {
                fprintf(stderr, "XLogData header does not re-encode to its bytes\n");
                abort();
            }
            struct lt_pgo_msg pm;
            if (lt_pgo_decode(x->payload, x->payload_len, proto, in_stream, &pm, &err) == LT_OK) {
                if (pm.type == LT_PGO_STREAM_START)
                    in_stream = true;
                else if (pm.type == LT_PGO_STREAM_STOP)
                    in_stream = false;
            }
        } else {
            fprintf(stderr, "decoded CopyData of unknown type 0x%02x\n", (unsigned char)m.type);
            abort();
        }
        free(buf);
    }
}

/* COPY text escaping of one value (the inverse of the parser's unescaping for what it produces). */
static size_t escape(const char *p, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        const char *esc = c == '\\' ? "\\\\" : c == '\t' ? "\\t" : c == '\n' ? "\\n" : c == '\r' ? "\\r" : NULL;
        if (esc) {
            out[o++] = esc[0];
            out[o++] = esc[1];
        } else {
            out[o++] = c;
        }
    }
    return o;
}

static void copy_row(const uint8_t *data, size_t size)
{
    if (size < 1)
        return;
    int nvals = data[0] % 64;
    data++;
    size--;
    char *row = malloc(size ? size : 1); /* parsed in place */
    struct lt_value vals[64], again[64];
    if (!row)
        return;
    memcpy(row, data, size);
    struct lt_error err = {0};
    if (lt_pg_copy_parse_row(row, size, vals, nvals, &err) != LT_OK) {
        if (!err.msg[0])
            abort();
        goto out;
    }
    /* escaped text: at most 2 bytes a byte, a tab between fields, \N for a NULL, and the newline */
    size_t cap = 2 * size + 3 * (size_t)nvals + 2, n = 0;
    char *text = malloc(cap);
    if (!text)
        goto out;
    for (int i = 0; i < nvals; i++) {
        if (i)
            text[n++] = '\t';
        if (vals[i].state == LT_VALUE_NULL) {
            memcpy(text + n, "\\N", 2);
            n += 2;
        } else if (vals[i].state == LT_VALUE_PRESENT) {
            if (vals[i].len && (vals[i].data < row || vals[i].data + vals[i].len > row + size))
                abort();
            n += escape(vals[i].data, vals[i].len, text + n);
        } else {
            abort();
        }
    }
    text[n++] = '\n';
    char *copy = malloc(n);
    if (!copy) {
        free(text);
        goto out;
    }
    memcpy(copy, text, n);
    if (lt_pg_copy_parse_row(copy, n, again, nvals, &err) != LT_OK) {
        fprintf(stderr, "re-escaped COPY row does not parse: %s\n", err.msg);
        abort();
    }
    for (int i = 0; i < nvals; i++) {
        if (again[i].state != vals[i].state ||
            (vals[i].state == LT_VALUE_PRESENT &&
             (again[i].len != vals[i].len || (vals[i].len && memcmp(again[i].data, vals[i].data, vals[i].len) != 0)))) {
            fprintf(stderr, "COPY field %d does not survive escaping again\n", i + 1);
            abort();
        }
    }
    free(copy);
    free(text);
out:
    free(row);
}

static void texts(const uint8_t *data, size_t size)
{
    /* the text up to the first NUL (or all of it) is tried as LSN and as position; the 33 bytes after that NUL, if
     * any, are the fields of a standby status update */
    const uint8_t *nul = memchr(data, 0, size);
    size_t tlen = nul ? (size_t)(nul - data) : size;
    char *text = malloc(tlen + 1);
    if (!text)
        return;
    memcpy(text, data, tlen);
    text[tlen] = '\0';
    uint64_t lsn, back, seq;
    if (lt_pg_lsn_parse(text, &lsn)) {
        char out[LT_PG_LSN_MAX + 1], want[40];
        lt_pg_lsn_format(lsn, out);
        snprintf(want, sizeof want, "%X/%X", (unsigned)(lsn >> 32), (unsigned)lsn);
        if (strcmp(out, want) != 0 || !lt_pg_lsn_parse(out, &back) || back != lsn) {
            fprintf(stderr, "LSN %s formats as %s\n", text, out);
            abort();
        }
    }
    if (lt_pg_parse_pos(text, &lsn, &seq)) {
        char out[LT_POS_MAX + 1];
        lt_pg_format_pos(lsn, seq, out);
        if (strcmp(out, text) != 0) {
            fprintf(stderr, "position %s formats back as %s\n", text, out);
            abort();
        }
    }
    free(text);
    if (nul && size - tlen - 1 >= 33) {
        const uint8_t *f = nul + 1;
        uint8_t out[LT_PG_STANDBY_STATUS_LEN + 1];
        if (lt_pg_encode_standby_status(out, LT_PG_STANDBY_STATUS_LEN - 1, 0, 0, 0, 0, false) != 0)
            abort();
        size_t n = lt_pg_encode_standby_status(out, sizeof out, be64(f), be64(f + 8), be64(f + 16),
                                               (int64_t)be64(f + 24), f[32] & 1);
        if (n != LT_PG_STANDBY_STATUS_LEN || out[0] != 'r' || memcmp(out + 1, f, 32) != 0 || out[33] != (f[32] & 1)) {
            fprintf(stderr, "standby status update does not hold its fields\n");
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    switch ((data[0] & 0x7f) % 3) {
    case 0:
        copy_data(data + 1, size - 1, data[0] & 0x80 ? 2 : 1);
        break;
    case 1:
        copy_row(data + 1, size - 1);
        break;
    default:
        texts(data + 1, size - 1);
        break;
    }
    return 0;
}
