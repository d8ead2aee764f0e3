/* Binlog event parsing: the non-row events (QUERY, XID, ROTATE from a real file; MariaDB GTID, GTID_LIST,
 * ANNOTATE_ROWS, BINLOG_CHECKPOINT, MySQL GTID, PREVIOUS_GTIDS, HEARTBEAT built by hand from their layouts),
 * FORMAT_DESCRIPTION variants (pre-checksum servers, bad versions), the artificial ROTATE a replication stream
 * sends before its FDE, unknown events skipped by size, and the events refused on purpose. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "sources/mysql/binlog_event.h"
#include "tests/unit/unit.h"

struct buf {
    uint8_t d[4096];
    size_t n;
};

static void put8(struct buf *b, unsigned v) { b->d[b->n++] = (uint8_t)v; }
static void putle(struct buf *b, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        put8(b, i < 8 ? (unsigned)(v >> (8 * i)) & 0xff : 0);
}
static void putmem(struct buf *b, const void *p, size_t n)
{
    memcpy(b->d + b->n, p, n);
    b->n += n;
}

static void make_event(struct buf *ev, uint8_t type, const struct buf *body, bool crc)
{
    ev->n = 0;
    putle(ev, 1700000000, 4);
    put8(ev, type);
    putle(ev, 7, 4);
    putle(ev, 19 + body->n + (crc ? 4 : 0), 4);
    putle(ev, 1234, 4);
    putle(ev, 0, 2);
    putmem(ev, body->d, body->n);
    if (crc)
        putle(ev, crc32(0, ev->d, (uInt)ev->n), 4);
}

static void fde_body(struct buf *b, uint16_t binlog_version, const char *version, int alg)
{
    b->n = 0;
    putle(b, binlog_version, 2);
    char ver[50] = {0};
    strncpy(ver, version, sizeof ver - 1);
    putmem(b, ver, 50);
    putle(b, 1700000000, 4);
    put8(b, 19);
    uint8_t phl[164] = {0};
    phl[2 - 1] = 13;
    phl[4 - 1] = 8;
    phl[19 - 1] = 8;
    for (int t = 23; t <= 25; t++)
        phl[t - 1] = 8;
    phl[162 - 1] = 19;
    putmem(b, phl, sizeof phl);
    if (alg >= 0)
        put8(b, (unsigned)alg);
}

static int parse(struct lt_binlog_reader *rd, uint8_t type, const struct buf *body, bool crc,
                 struct lt_binlog_event *ev, struct lt_error *err)
{
    static struct buf e;
    make_event(&e, type, body, crc);
    return lt_binlog_parse_event(rd, e.d, e.n, 4, ev, err);
}

static void mariadb_reader(struct lt_binlog_reader *rd)
{
    struct buf b;
    struct lt_binlog_event ev;
    struct lt_error err = {0};
    lt_binlog_reader_init(rd);
    fde_body(&b, 4, "10.11.13-MariaDB-log", 1);
    CHECK_INT(parse(rd, LT_BINLOG_FORMAT_DESCRIPTION_EVENT, &b, true, &ev, &err), 0);
    CHECK(rd->fmt.is_mariadb);
    CHECK_INT(rd->fmt.checksum_alg, LT_BINLOG_CHECKSUM_CRC32);
}

static void test_mariadb_events(void)
{
    struct lt_binlog_reader rd;
    mariadb_reader(&rd);
    struct buf b = {0};
    struct lt_binlog_event ev;
    struct lt_error err = {0};

    putle(&b, 42, 8);
    putle(&b, 3, 4);
    put8(&b, 0x03); /* standalone + group commit id */
    putle(&b, 99, 8);
    putle(&b, 0, 6);
    CHECK_INT(parse(&rd, LT_BINLOG_MARIADB_GTID_EVENT, &b, true, &ev, &err), 0);
    CHECK_INT(ev.u.mariadb_gtid.seq_no, 42);
    CHECK_INT(ev.u.mariadb_gtid.domain_id, 3);
    CHECK_INT(ev.u.mariadb_gtid.flags, 3);
    CHECK_INT(ev.u.mariadb_gtid.commit_id, 99);
    CHECK_INT(ev.h.server_id, 7);
    CHECK_INT(ev.h.log_pos, 1234);
    b.n = 13; /* commit id flag set but the id missing */
    CHECK(parse(&rd, LT_BINLOG_MARIADB_GTID_EVENT, &b, true, &ev, &err) != 0);

    b.n = 0;
    putle(&b, 2, 4);
    putle(&b, 0, 4); putle(&b, 1, 4); putle(&b, 100, 8);
    putle(&b, 5, 4); putle(&b, 2, 4); putle(&b, 7, 8);
    CHECK_INT(parse(&rd, LT_BINLOG_MARIADB_GTID_LIST_EVENT, &b, true, &ev, &err), 0);
    CHECK_INT(ev.u.gtid_list.count, 2);
    uint32_t dom, srv;
    uint64_t seq;
    lt_binlog_gtid_list_entry(&ev, 1, &dom, &srv, &seq);
    CHECK_INT(dom, 5);
    CHECK_INT(srv, 2);
    CHECK_INT(seq, 7);
    b.n = 0;
    putle(&b, 1000, 4); /* 1000 entries, none present */
    CHECK(parse(&rd, LT_BINLOG_MARIADB_GTID_LIST_EVENT, &b, true, &ev, &err) != 0);
    CHECK(strstr(err.msg, "Gtid_list") != NULL);

    b.n = 0;
    putmem(&b, "INSERT INTO t VALUES (1)", 24);
    CHECK_INT(parse(&rd, LT_BINLOG_MARIADB_ANNOTATE_ROWS_EVENT, &b, true, &ev, &err), 0);
    CHECK_MEM(ev.u.annotate.sql, ev.u.annotate.sql_len, "INSERT INTO t VALUES (1)", 24);

    b.n = 0;
    putle(&b, 18, 4);
    putmem(&b, "mariadb-bin.000001", 18);
    CHECK_INT(parse(&rd, LT_BINLOG_MARIADB_BINLOG_CHECKPOINT_EVENT, &b, true, &ev, &err), 0);
    CHECK_MEM(ev.u.checkpoint.name, ev.u.checkpoint.name_len, "mariadb-bin.000001", 18);
    b.n = 0;
    putle(&b, 19, 4);
    putmem(&b, "mariadb-bin.000001", 18);
    CHECK(parse(&rd, LT_BINLOG_MARIADB_BINLOG_CHECKPOINT_EVENT, &b, true, &ev, &err) != 0);

    /* a wrong CRC is refused, with the offset in the message */
    static struct buf e;
    b.n = 0;
    putle(&b, 5, 8);
    make_event(&e, LT_BINLOG_XID_EVENT, &b, true);
    e.d[e.n - 1] ^= 1;
    CHECK(lt_binlog_parse_event(&rd, e.d, e.n, 777, &ev, &err) != 0);
    CHECK(strstr(err.msg, "binlog offset 777 (Xid event): CRC32 mismatch") != NULL);

    /* QUERY_COMPRESSED: the SQL text after the db name is header 0x81 (zlib, 1 length byte), length, zlib */
    static const char sql[] = "CREATE TABLE t (a INT, b INT, c INT, d INT, e INT)";
    uint8_t z[128];
    uLongf zl = sizeof z;
    compress2(z, &zl, (const Bytef *)sql, sizeof sql - 1, 9);
    b.n = 0;
    putle(&b, 9, 4);
    putle(&b, 0, 4);
    put8(&b, 1);
    putle(&b, 0, 2);
    putle(&b, 0, 2);
    putmem(&b, "d", 2);
    put8(&b, 0x81);
    put8(&b, sizeof sql - 1);
    putmem(&b, z, zl);
    CHECK_INT(parse(&rd, LT_BINLOG_MARIADB_QUERY_COMPRESSED_EVENT, &b, true, &ev, &err), 0);
    CHECK(ev.u.query.compressed);
    struct lt_my_scratch zbuf = {0};
    if (!CHECK_INT(lt_binlog_event_decompress(&ev, &zbuf, &err), 0))
        printf("  %s\n", err.msg);
    CHECK(!ev.u.query.compressed);
    CHECK_MEM(ev.u.query.sql, ev.u.query.sql_len, sql, sizeof sql - 1);
    /* a lying length or a broken stream is refused */
    b.d[b.n - zl - 1] = sizeof sql;
    CHECK_INT(parse(&rd, LT_BINLOG_MARIADB_QUERY_COMPRESSED_EVENT, &b, true, &ev, &err), 0);
    CHECK(lt_binlog_event_decompress(&ev, &zbuf, &err) != 0);
    CHECK(strstr(err.msg, "inflate") != NULL);
    b.d[b.n - zl - 1] = sizeof sql - 1;
    b.d[b.n - 3] ^= 0x55;
    CHECK_INT(parse(&rd, LT_BINLOG_MARIADB_QUERY_COMPRESSED_EVENT, &b, true, &ev, &err), 0);
    CHECK(lt_binlog_event_decompress(&ev, &zbuf, &err) != 0);
    b.d[b.n - zl - 2] = 0x91; /* algorithm 1: unknown */
    CHECK_INT(parse(&rd, LT_BINLOG_MARIADB_QUERY_COMPRESSED_EVENT, &b, true, &ev, &err), 0);
    CHECK(lt_binlog_event_decompress(&ev, &zbuf, &err) != 0);
    lt_my_scratch_free(&zbuf);

    /* refused on purpose: encrypted MariaDB binlogs */
    b.n = 0;
    putle(&b, 0, 16);
    CHECK(parse(&rd, LT_BINLOG_MARIADB_START_ENCRYPTION_EVENT, &b, true, &ev, &err) != 0);
    /* unknown types pass with header and body only */
    CHECK_INT(parse(&rd, 200, &b, true, &ev, &err), 0);
    CHECK_INT(ev.body_len, 16);
}

static void test_mysql_events(void)
{
    struct lt_binlog_reader rd;
    lt_binlog_reader_init(&rd);
    struct buf b = {0};
    struct lt_binlog_event ev;
    struct lt_error err = {0};
    /* checksum algorithm 0: the FDE still ends with alg + 4 bytes, later events carry no CRC */
    fde_body(&b, 4, "8.0.36", 0);
    putle(&b, 0, 4);
    CHECK_INT(parse(&rd, LT_BINLOG_FORMAT_DESCRIPTION_EVENT, &b, false, &ev, &err), 0);
    CHECK_INT(rd.fmt.checksum_alg, LT_BINLOG_CHECKSUM_OFF);
    CHECK(!rd.fmt.is_mariadb);

    b.n = 0;
    put8(&b, 1);
    for (int i = 0; i < 16; i++)
        put8(&b, (unsigned)(0xa0 + i));
    putle(&b, 77, 8);
    put8(&b, 2);
    putle(&b, 3, 8);
    putle(&b, 4, 8);
    putle(&b, 1700000000123456ull | 1ull << 55, 7); /* immediate commit time, original follows */
    putle(&b, 1700000000000001ull, 7);
    CHECK_INT(parse(&rd, LT_BINLOG_GTID_LOG_EVENT, &b, false, &ev, &err), 0);
    CHECK_INT(ev.u.mysql_gtid.immediate_commit_ts_us, 1700000000123456ull);
    CHECK_INT(ev.u.mysql_gtid.original_commit_ts_us, 1700000000000001ull);
    CHECK_INT(ev.u.mysql_gtid.gno, 77);
    CHECK_INT(ev.u.mysql_gtid.sid[15], 0xaf);
    CHECK(ev.u.mysql_gtid.has_logical_clock);
    CHECK_INT(ev.u.mysql_gtid.last_committed, 3);
    CHECK_INT(ev.u.mysql_gtid.sequence_number, 4);

    b.n = 0;
    putle(&b, 1, 8);
    putle(&b, 0, 16);
    putle(&b, 2, 8);
    putle(&b, 1, 8); putle(&b, 10, 8);
    putle(&b, 20, 8); putle(&b, 30, 8);
    CHECK_INT(parse(&rd, LT_BINLOG_PREVIOUS_GTIDS_LOG_EVENT, &b, false, &ev, &err), 0);
    CHECK_INT(ev.u.previous_gtids.n_sids, 1);
    b.n = 8 + 16 + 8; /* interval count 2 but no intervals */
    CHECK(parse(&rd, LT_BINLOG_PREVIOUS_GTIDS_LOG_EVENT, &b, false, &ev, &err) != 0);

    b.n = 0;
    putmem(&b, "binlog.000002", 13);
    CHECK_INT(parse(&rd, LT_BINLOG_HEARTBEAT_EVENT, &b, false, &ev, &err), 0);
    CHECK_MEM(ev.u.checkpoint.name, ev.u.checkpoint.name_len, "binlog.000002", 13);

    b.n = 0;
    put8(&b, 5);
    putmem(&b, "UPDATE t SET a=1", 16);
    CHECK_INT(parse(&rd, LT_BINLOG_ROWS_QUERY_EVENT, &b, false, &ev, &err), 0);
    CHECK_MEM(ev.u.annotate.sql, ev.u.annotate.sql_len, "UPDATE t SET a=1", 16);

    /* QUERY: thread 9, exec 1, db "shop", error 0, 5 bytes of status variables, "BEGIN" */
    b.n = 0;
    putle(&b, 9, 4);
    putle(&b, 1, 4);
    put8(&b, 4);
    putle(&b, 0, 2);
    putle(&b, 5, 2);
    putmem(&b, "\x00\x00\x00\x00\x00", 5);
    putmem(&b, "shop", 5);
    putmem(&b, "BEGIN", 5);
    CHECK_INT(parse(&rd, LT_BINLOG_QUERY_EVENT, &b, false, &ev, &err), 0);
    CHECK_INT(ev.u.query.thread_id, 9);
    CHECK_MEM(ev.u.query.db, ev.u.query.db_len, "shop", 4);
    CHECK_MEM(ev.u.query.sql, ev.u.query.sql_len, "BEGIN", 5);
    b.d[11] = 200; /* status variables longer than the event */
    CHECK(parse(&rd, LT_BINLOG_QUERY_EVENT, &b, false, &ev, &err) != 0);

    /* refused on purpose */
    b.n = 0;
    putle(&b, 0, 20);
    CHECK(parse(&rd, LT_BINLOG_PRE_GA_WRITE_ROWS_EVENT, &b, false, &ev, &err) != 0);
    CHECK(strstr(err.msg, "pre-GA") != NULL);
    CHECK(parse(&rd, LT_BINLOG_PARTIAL_UPDATE_ROWS_EVENT, &b, false, &ev, &err) != 0);
    CHECK(parse(&rd, LT_BINLOG_START_EVENT_V3, &b, false, &ev, &err) != 0);
}

static void putpacked(struct buf *b, uint64_t v)
{
    if (v < 251) {
        put8(b, (unsigned)v);
    } else if (v < 65536) {
        put8(b, 252);
        putle(b, v, 2);
    } else {
        put8(b, 253);
        putle(b, v, 3);
    }
}

/* MySQL 8 TRANSACTION_PAYLOAD: a QUERY(BEGIN) and an XID without CRC32s, zstd-compressed (and stored as is). */
static void test_transaction_payload(void)
{
    struct lt_binlog_reader rd;
    lt_binlog_reader_init(&rd);
    struct buf b = {0}, inner = {0}, e = {0};
    struct lt_binlog_event ev;
    struct lt_error err = {0};
    fde_body(&b, 4, "8.0.36", 1);
    CHECK_INT(parse(&rd, LT_BINLOG_FORMAT_DESCRIPTION_EVENT, &b, true, &ev, &err), 0);
    /* inner events: QUERY "BEGIN" (db "shop") and XID 31 */
    b.n = 0;
    putle(&b, 9, 4); putle(&b, 0, 4); put8(&b, 4); putle(&b, 0, 2); putle(&b, 0, 2);
    putmem(&b, "shop", 5);
    putmem(&b, "BEGIN", 5);
    make_event(&e, LT_BINLOG_QUERY_EVENT, &b, false);
    putmem(&inner, e.d, e.n);
    b.n = 0;
    putle(&b, 31, 8);
    make_event(&e, LT_BINLOG_XID_EVENT, &b, false);
    putmem(&inner, e.d, e.n);
    uint8_t z[1024];
    size_t zl = ZSTD_compress(z, sizeof z, inner.d, inner.n, 3);
    CHECK(!ZSTD_isError(zl));
    for (int mode = 0; mode < 2; mode++) { /* 0: zstd, 1: stored (compression NONE) */
        b.n = 0;
        if (mode == 0) {
            put8(&b, 2); put8(&b, 1); put8(&b, 0);              /* compression: zstd */
            put8(&b, 3); put8(&b, 1); putpacked(&b, inner.n);   /* uncompressed size */
        }
        put8(&b, 1);
        struct buf sz = {0};
        putpacked(&sz, mode == 0 ? zl : inner.n);
        putpacked(&b, sz.n);
        putmem(&b, sz.d, sz.n);
        put8(&b, 0);                                            /* end of header */
        if (mode == 0)
            putmem(&b, z, zl);
        else
            putmem(&b, inner.d, inner.n);
        if (!CHECK_INT(parse(&rd, LT_BINLOG_TRANSACTION_PAYLOAD_EVENT, &b, true, &ev, &err), 0)) {
            printf("  %s\n", err.msg);
            continue;
        }
        CHECK_INT(ev.u.payload.compression, mode == 0 ? 0 : 255);
        struct lt_my_scratch pbuf = {0};
        if (!CHECK_INT(lt_binlog_payload_inflate(&ev, &pbuf, &err), 0))
            printf("  %s\n", err.msg);
        CHECK_INT(pbuf.len, inner.n);
        size_t pos = 0;
        int seen = 0;
        for (;;) {
            struct lt_binlog_event in;
            bool done;
            if (!CHECK_INT(lt_binlog_payload_next(&rd, &ev, &pbuf, &pos, &in, &done, &err), 0)) {
                printf("  %s\n", err.msg);
                break;
            }
            if (done)
                break;
            if (seen == 0) {
                CHECK_INT(in.h.type, LT_BINLOG_QUERY_EVENT);
                CHECK_MEM(in.u.query.sql, in.u.query.sql_len, "BEGIN", 5);
            } else {
                CHECK_INT(in.h.type, LT_BINLOG_XID_EVENT);
                CHECK_INT(in.u.xid.xid, 31);
                CHECK(!in.has_checksum);
            }
            seen++;
        }
        CHECK_INT(seen, 2);
        CHECK_INT(rd.fmt.checksum_alg, LT_BINLOG_CHECKSUM_CRC32); /* the reader is left as it was */
        lt_my_scratch_free(&pbuf);
    }
    /* every byte of a zstd payload event flipped: refused or walked, never a crash */
    {
        struct buf pb = {0};
        put8(&pb, 2); put8(&pb, 1); put8(&pb, 0);
        put8(&pb, 3); put8(&pb, 1); putpacked(&pb, inner.n);
        put8(&pb, 1); put8(&pb, 1); put8(&pb, (unsigned)zl);
        put8(&pb, 0);
        putmem(&pb, z, zl);
        struct lt_my_scratch fb = {0};
        for (size_t i = 0; i < pb.n; i++) {
            for (int bit = 0; bit < 8; bit++) {
                struct buf m = pb;
                m.d[i] ^= (uint8_t)(1 << bit);
                if (parse(&rd, LT_BINLOG_TRANSACTION_PAYLOAD_EVENT, &m, true, &ev, &err) ||
                    lt_binlog_payload_inflate(&ev, &fb, &err))
                    continue;
                size_t pos = 0;
                for (int k = 0; k < 100; k++) {
                    struct lt_binlog_event in;
                    bool done;
                    if (lt_binlog_payload_next(&rd, &ev, &fb, &pos, &in, &done, &err) || done)
                        break;
                }
            }
        }
        lt_my_scratch_free(&fb);
    }
    /* a size field larger than the event, a corrupt stream, a lying uncompressed size */
    b.n = 0;
    put8(&b, 2); put8(&b, 1); put8(&b, 0);
    put8(&b, 3); put8(&b, 1); putpacked(&b, inner.n);
    put8(&b, 1); put8(&b, 1); put8(&b, 200);
    put8(&b, 0);
    putmem(&b, z, zl);
    CHECK(parse(&rd, LT_BINLOG_TRANSACTION_PAYLOAD_EVENT, &b, true, &ev, &err) != 0);
    b.d[8] = (uint8_t)zl;
    CHECK_INT(parse(&rd, LT_BINLOG_TRANSACTION_PAYLOAD_EVENT, &b, true, &ev, &err), 0);
    struct lt_my_scratch pbuf = {0};
    CHECK_INT(lt_binlog_payload_inflate(&ev, &pbuf, &err), 0);
    b.d[b.n - 5] ^= 0x5a;
    CHECK_INT(parse(&rd, LT_BINLOG_TRANSACTION_PAYLOAD_EVENT, &b, true, &ev, &err), 0);
    CHECK(lt_binlog_payload_inflate(&ev, &pbuf, &err) != 0);
    b.d[b.n - 5] ^= 0x5a;
    b.d[5] = (uint8_t)(inner.n + 1);
    CHECK_INT(parse(&rd, LT_BINLOG_TRANSACTION_PAYLOAD_EVENT, &b, true, &ev, &err), 0);
    CHECK(lt_binlog_payload_inflate(&ev, &pbuf, &err) != 0);
    lt_my_scratch_free(&pbuf);
    b.n = 0;
    put8(&b, 2); put8(&b, 1); put8(&b, 7); /* unknown compression */
    put8(&b, 1); put8(&b, 1); put8(&b, 0);
    put8(&b, 0);
    CHECK(parse(&rd, LT_BINLOG_TRANSACTION_PAYLOAD_EVENT, &b, true, &ev, &err) != 0);
}

static void test_fde_variants(void)
{
    struct lt_binlog_reader rd;
    struct buf b;
    struct lt_binlog_event ev;
    struct lt_error err = {0};
    /* MySQL 5.1: no checksum field */
    lt_binlog_reader_init(&rd);
    fde_body(&b, 4, "5.1.73-log", -1);
    CHECK_INT(parse(&rd, LT_BINLOG_FORMAT_DESCRIPTION_EVENT, &b, false, &ev, &err), 0);
    CHECK_INT(rd.fmt.checksum_alg, LT_BINLOG_CHECKSUM_UNDEF);
    CHECK_INT(rd.fmt.n_post_header, 164);
    /* binlog v3 and a wrong header length are refused; the reader keeps its state */
    fde_body(&b, 3, "4.0.30", -1);
    CHECK(parse(&rd, LT_BINLOG_FORMAT_DESCRIPTION_EVENT, &b, false, &ev, &err) != 0);
    CHECK(strstr(err.msg, "binlog version 3") != NULL);
    CHECK_STR(rd.fmt.server_version, "5.1.73-log");
    fde_body(&b, 4, "5.5.40", -1);
    b.d[56] = 13;
    CHECK(parse(&rd, LT_BINLOG_FORMAT_DESCRIPTION_EVENT, &b, false, &ev, &err) != 0);
    /* an unknown checksum algorithm */
    fde_body(&b, 4, "5.7.40", 7);
    putle(&b, 0, 4);
    CHECK(parse(&rd, LT_BINLOG_FORMAT_DESCRIPTION_EVENT, &b, false, &ev, &err) != 0);
    /* the FDE's CRC is computed with the "in use" flag clear (the server clears it in place on close, so a
     * checksummed FDE of an unclosed file still verifies) */
    fde_body(&b, 4, "5.7.40", 1);
    static struct buf e;
    make_event(&e, LT_BINLOG_FORMAT_DESCRIPTION_EVENT, &b, true);
    e.d[17] |= 1;
    lt_binlog_reader_init(&rd);
    CHECK_INT(lt_binlog_parse_event(&rd, e.d, e.n, 4, &ev, &err), 0);
    CHECK(ev.h.flags & LT_BINLOG_F_BINLOG_IN_USE);
}

/* A replication stream starts with an artificial ROTATE before the FDE: its checksum is guessed from the bytes
 * unless the caller says what it negotiated; other events before an FDE are refused. */
static void test_rotate_before_fde(void)
{
    struct lt_binlog_reader rd;
    struct buf b = {0};
    struct lt_binlog_event ev;
    struct lt_error err = {0};
    putle(&b, 4, 8);
    putmem(&b, "binlog.000042", 13);
    for (int crc = 0; crc <= 1; crc++) {
        lt_binlog_reader_init(&rd);
        CHECK_INT(parse(&rd, LT_BINLOG_ROTATE_EVENT, &b, crc, &ev, &err), 0);
        CHECK_INT(ev.u.rotate.position, 4);
        CHECK_MEM(ev.u.rotate.name, ev.u.rotate.name_len, "binlog.000042", 13);
        CHECK_INT(ev.has_checksum, crc);
        lt_binlog_reader_init(&rd);
        rd.checksum_before_fde = crc;
        CHECK_INT(parse(&rd, LT_BINLOG_ROTATE_EVENT, &b, crc, &ev, &err), 0);
        CHECK_INT(ev.u.rotate.name_len, 13);
    }
    lt_binlog_reader_init(&rd);
    b.n = 0;
    putle(&b, 1, 8);
    CHECK(parse(&rd, LT_BINLOG_XID_EVENT, &b, false, &ev, &err) != 0);
    CHECK(strstr(err.msg, "before any FORMAT_DESCRIPTION_EVENT") != NULL);
}

/* QUERY, XID and ROTATE of a real Percona 5.6 file, against what mariadb-binlog prints for it. */
static void test_real_file_events(void)
{
    const char *path = unit_dataset("mysql-binlogs/go-mysql/tcb-eval002c-bin.003320");
    if (!path)
        return;
    size_t len = 0;
    uint8_t *buf = unit_read_file(path, &len);
    if (!CHECK(buf != NULL))
        return;
    struct lt_binlog_reader rd;
    lt_binlog_reader_init(&rd);
    size_t pos = 0;
    int seen = 0;
    for (;;) {
        struct lt_binlog_event ev;
        struct lt_error err = {0};
        bool done;
        if (!CHECK_INT(lt_binlog_file_next(&rd, buf, len, &pos, &ev, &done, &err), 0) || done)
            break;
        switch (ev.h.type) {
        case LT_BINLOG_FORMAT_DESCRIPTION_EVENT:
            CHECK_STR(rd.fmt.server_version, "5.6.16-64.2-56-log");
            CHECK_INT(ev.h.log_pos, 120);
            seen++;
            break;
        case LT_BINLOG_QUERY_EVENT:
            CHECK_INT(ev.u.query.thread_id, 1302);
            CHECK_INT(ev.u.query.error_code, 0);
            CHECK_MEM(ev.u.query.sql, ev.u.query.sql_len, "BEGIN", 5);
            CHECK_INT(ev.h.log_pos, 192);
            seen++;
            break;
        case LT_BINLOG_XID_EVENT:
            CHECK_INT(ev.u.xid.xid, 4599);
            CHECK_INT(ev.h.log_pos, 2085);
            seen++;
            break;
        case LT_BINLOG_ROTATE_EVENT:
            CHECK_INT(ev.u.rotate.position, 4);
            CHECK_MEM(ev.u.rotate.name, ev.u.rotate.name_len, "tcb-eval002c-bin.003321", 23);
            CHECK_INT(ev.checksum, 0xa565b7f8);
            seen++;
            break;
        case LT_BINLOG_TABLE_MAP_EVENT:
            CHECK_INT(ev.u.table_map.table_id, 89);
            seen++;
            break;
        case LT_BINLOG_WRITE_ROWS_EVENT:
            CHECK_INT(ev.u.rows.table_id, 89);
            CHECK_INT(ev.u.rows.flags, LT_BINLOG_ROWS_F_STMT_END);
            CHECK_INT(ev.u.rows.ncols, 14);
            seen++;
            break;
        default:
            break;
        }
    }
    CHECK_INT(seen, 6);
    free(buf);
}

int main(void)
{
    RUN(test_mariadb_events);
    RUN(test_mysql_events);
    RUN(test_transaction_payload);
    RUN(test_fde_variants);
    RUN(test_rotate_before_fde);
    RUN(test_real_file_events);
    return unit_report();
}
