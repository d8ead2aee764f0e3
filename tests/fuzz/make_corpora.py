#!/usr/bin/env python3
"""Writes the seed corpora of the decoder fuzz targets (tests/fuzz/corpus_<name>/): byte vectors of the unit tests,
a few events cut from the real binlogs in ../shared/datasets/mysql-binlogs, and events written by the project's own
test_binlog_dump tool. Each corpus folder's README says where its seeds come from; the input layout of each target
is described at the top of its tests/fuzz/fuzz_<name>.c. Run from anywhere:

  tests/fuzz/make_corpora.py --dump-tool BUILD/tests/test_binlog_dump [--datasets ../shared/datasets]

Needs the zstd command (for a MySQL 8 TRANSACTION_PAYLOAD seed). Rewrites the seed files, keeps the READMEs."""
import argparse
import base64
import gzip
import os
import re
import struct
import subprocess
import sys
import tempfile
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FUZZ = os.path.join(ROOT, "tests", "fuzz")


def c_arrays(path):
    """The `static const unsigned char|uint8_t NAME[] = {...};` arrays of a C file, as bytes."""
    text = open(path).read()
    out = {}
    for m in re.finditer(r"static const (?:unsigned char|uint8_t) (\w+)\[\] = \{([^}]*)\};", text):
        out[m.group(1)] = bytes(int(x, 0) for x in re.findall(r"0x[0-9a-fA-F]+|\d+", m.group(2)))
    return out


def write_corpus(name, seeds):
    d = os.path.join(FUZZ, "corpus_" + name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f != "README.md":
            os.remove(os.path.join(d, f))
    for fname, data in seeds.items():
        with open(os.path.join(d, fname), "wb") as f:
            f.write(data)
    print(f"corpus_{name}: {len(seeds)} seeds, {sum(len(v) for v in seeds.values())} bytes")


def framed(msgs):
    """Messages each behind a 2-byte big-endian length (fuzz_pgoutput, fuzz_repl_protocol mode 0)."""
    return b"".join(struct.pack(">H", len(m)) + m for m in msgs)


# ---- pgoutput ----

def pgoutput_seeds():
    v = c_arrays(os.path.join(ROOT, "tests", "unit", "pgoutput_vectors.h"))
    text = open(os.path.join(ROOT, "tests", "unit", "pgoutput_vectors.h")).read()
    context = {m.group(1): (int(m.group(2)), m.group(3) == "true")
               for m in re.finditer(r"X\((\w+), (\d), (true|false)\)", text)}
    seeds = {}
    sessions = {
        "v1_items": ["v1_begin", "v1_rel_items", "v1_ins_items_1", "v1_ins_items_2", "v1_commit", "v1_upd_items",
                     "v1_upd_items_key", "v1_del_items", "v1_rel_items_5", "v1_ins_items_5", "v1_trunc_two",
                     "v1_trunc_opts"],
        "v1_full_index_nothing": ["v1_rel_full_t", "v1_ins_full_null", "v1_upd_full", "v1_del_full", "v1_rel_index",
                                  "v1_upd_index_key", "v1_rel_nothing", "v1_ins_nothing"],
        "v1_toast": ["v1_rel_big", "v1_ins_big", "v1_upd_big_toast"],
        "v1_types_messages_origin": ["v1_type_mood", "v1_rel_moods", "v1_ins_moods", "v1_msg_tx", "v1_msg_nontx",
                                     "v1_begin_origin", "v1_origin", "v1_rel_items", "v1_bin_ins_items_1"],
        "v2_stream": ["v2_stream_start_first", "v2_stream_type", "v2_stream_rel", "v2_stream_ins", "v2_stream_stop",
                      "v2_stream_start_next", "v2_stream_msg", "v2_stream_upd", "v2_stream_del", "v2_stream_trunc",
                      "v2_stream_ins_sub", "v2_stream_stop", "v2_stream_commit", "v2_stream_abort",
                      "v2_stream_abort_sub"],
    }
    for name, msgs in sessions.items():  # options byte: bit 0 = protocol 2
        seeds["session_" + name] = bytes([1 if name.startswith("v2") else 0]) + framed([v[m] for m in msgs])
    for name, (proto, in_stream) in context.items():
        msgs = ([v["v2_stream_start_first"]] if in_stream else []) + [v[name]]
        seeds["one_" + name] = bytes([1 if proto == 2 else 0]) + framed(msgs)
    return seeds


# ---- replication framing and COPY text ----

def repl_seeds():
    r = c_arrays(os.path.join(ROOT, "tests", "unit", "test_repl_protocol.c"))
    v = c_arrays(os.path.join(ROOT, "tests", "unit", "pgoutput_vectors.h"))
    xlog_begin = b"w" + struct.pack(">QQQ", 0x16B374D848, 0x16B374D900, 0x000303f57858e00f) + v["v1_begin"]
    seeds = {
        "copydata_v1": b"\x00" + framed([r["real_keepalive"], xlog_begin, b"w" + bytes(24) + v["v1_rel_items"],
                                         b"w" + bytes(24) + v["v1_ins_items_1"]]),
        "copydata_v2_stream": b"\x80" + framed([r["real_keepalive"], r["real_xlog_stream_start"],
                                                r["real_xlog_streamed_type"], b"w" + bytes(24) + v["v2_stream_stop"]]),
    }
    rows = [  # (field count, row) from tests/unit/test_pg_copy_text.c
        (4, b"1\tabc\t\\N\thello world\n"), (2, b"\\N\t\\N\n"), (2, b"caf\xc3\xa9\t\xe2\x82\xac\n"),
        (5, b"\\\\N\ta\\N\t\\Nb\tN\t\\n\n"), (8, b"a\\\\b\t\\t\t\\n\t\\r\t\\b\t\\f\t\\v\tx\\ty\\nz\n"),
        (2, b"\\q\\.\\\"\\'\t\\\\\\\\\n"), (2, b"abc\\\tx\\"),
        (8, b"\\101\t\\1011\t\\7\t\\01x\t\\377\t\\777\t\\0\t\\12\\15\n"),
        (7, b"\\x41\t\\x4\t\\x4g\t\\xAbC\t\\xg\t\\x\t\\xff\\x00\n"), (3, b"\t\t\n"), (0, b"\n"), (3, b"a\t\t\\N"),
    ]
    for i, (n, row) in enumerate(rows):
        seeds[f"copy_row_{i:02d}"] = b"\x01" + bytes([n]) + row
    texts = [b"16/B374D848", b"0/0", b"FFFFFFFF/FFFFFFFF", b"00000016/B374D848:00000000000000000001",
             b"00000000/01DDD2C8:18446744073709551615"]
    for i, t in enumerate(texts):
        seeds[f"text_{i}"] = b"\x02" + t + b"\x00" + struct.pack(">QQQQ", 0x1DDD2C8, 0x1DDD2C8, 0x1DDD200,
                                                                  0x0002b33b63123000) + b"\x01"
    return seeds


# ---- MySQL binary JSON (the vectors of tests/unit/test_mysql_json.c) ----

def json_seeds():
    le16 = lambda x: struct.pack("<H", x & 0xffff)
    le32 = lambda x: struct.pack("<I", x & 0xffffffff)
    dbl = lambda d: struct.pack("<d", d)

    def packed_datetime(y, mo, d, h, mi, s, usec):
        ymd = ((y * 13 + mo) << 5) | d
        return (((ymd << 17) | (h << 12 | mi << 6 | s)) << 24) + usec

    def opaque(ftype, payload):
        return bytes([0x0f, ftype, len(payload)]) + payload
    seeds = {
        "literal_true": b"\x04\x01", "int16": b"\x05" + le16(-1), "uint64": b"\x0a" + b"\xff" * 8,
        "double": b"\x0b" + dbl(3.14), "string_escapes": b"\x0c\x0a" + b'a"b\\c\n\x01\xc3\xa9',
        "string_long": b"\x0c\x80\x01" + b"x" * 128,
        "small_array": b"\x02" + le16(5) + le16(26) + b"\x05" + le16(1) + b"\x0c" + le16(19) + b"\x04" + le16(1)
                       + b"\x04" + le16(0) + b"\x02" + le16(22) + b"\x02ab" + le16(0) + le16(4),
        "small_object_nested": b"\x00" + le16(2) + le16(42) + le16(18) + le16(1) + le16(19) + le16(1) + b"\x0c"
                               + le16(20) + b"\x00" + le16(22) + b"ab" + b"\x01x" + le16(1) + le16(20) + le16(11)
                               + le16(1) + b"\x0b" + le16(12) + b"c" + dbl(2.5),
        "large_object": b"\x01" + le32(1) + le32(20) + le32(19) + le16(1) + b"\x07" + le32(-5) + b"k",
        "large_array": b"\x03" + le32(2) + le32(20) + b"\x08" + le32(4000000000) + b"\x0c" + le32(18) + b"\x01s",
        "opaque_datetime": opaque(12, struct.pack("<q", packed_datetime(2015, 1, 15, 23, 24, 25, 0))),
        "opaque_date": opaque(10, struct.pack("<q", packed_datetime(2015, 1, 15, 0, 0, 0, 0))),
        "opaque_time": opaque(11, struct.pack("<q", -((12 << 12) << 24) - 500000)),
        "opaque_decimal": opaque(246, bytes([5, 2, 0x80, 0x7b, 0x2d])),
        "opaque_blob": opaque(252, b"ab"),
        "opaque_zero_date": opaque(12, bytes(8)),
    }
    return seeds


# ---- CSV reader (the records of tests/unit/test_csv_reader.c; the first byte picks the settings) ----

def csv_seeds():
    seeds = {
        "plain": b"\x00a,b,c\n1,,3\n",
        "null_and_quoted": b"\x00NULL,\"NULL\",\"\"\n",
        "quotes_and_breaks": b"\x00\"a,b\",\"say \"\"hi\"\"\",\"line\nbreak\"\n",
        "pipe_crlf": b"\x02x|y\r\n\"p|q\"|\\N\r\n",
        "multibyte_delimiters": b"\x07a::b;c::d;",
        "empty_null": b"\x01a,,\"\"\n,\n",
        "gzip_in": b"\x40" + gzip.compress(b"a,b\n\"c\",NULL\n", mtime=0),
        "gzip_out": b"\x80I,t,s,1,\"x\"\n",
        "txn_file": b"\x00I,t,s,1,NULL,\"a,b\",00000001,\"\"\nD,t,s,2,,,00000002,c2\n",
    }
    return seeds


# ---- binlog events ----

def events(blob, start=4):
    """(offset, event bytes) of a binlog file's events."""
    out, pos = [], start
    while pos + 19 <= len(blob):
        size = struct.unpack_from("<I", blob, pos + 9)[0]
        if size < 19 or pos + size > len(blob):
            break
        out.append((pos, blob[pos:pos + size]))
        pos += size
    return out


def cut(blob, pick):
    """Magic + the events whose index pick(i, type, event) accepts."""
    evs = events(blob)
    return b"\xfebin" + b"".join(e for i, (_, e) in enumerate(evs) if pick(i, e[4], e))


def mariadb_text_events(path):
    """Events of a go-mysql-server-mariadb text file (BINLOG '...' blocks, one base64 run per event)."""
    out = []
    for block in re.findall(r"BINLOG '\n(.*?)\n'", open(path).read(), re.S):
        cur = ""
        for line in block.split("\n"):
            cur += line
            if len(line) < 76 or line.endswith("="):
                out.append(base64.b64decode(cur))
                cur = ""
        if cur:  # an event whose base64 fills its last line exactly ends with the block
            out.append(base64.b64decode(cur))
    return out


def ev(etype, body, crc, pos=0):
    e = struct.pack("<IBIIIH", 1700000000, etype, 1, 19 + len(body) + (4 if crc else 0), pos, 0) + body
    return e + struct.pack("<I", zlib.crc32(e)) if crc else e


def mysql8_fde(alg):
    phl = bytearray(41)
    phl[2 - 1], phl[4 - 1], phl[15 - 1], phl[19 - 1] = 13, 8, 98, 8
    for t in (23, 24, 25):
        phl[t - 1] = 8
    for t in (30, 31, 32):
        phl[t - 1] = 10
    phl[33 - 1] = phl[34 - 1] = 42
    body = struct.pack("<H", 4) + b"8.0.36".ljust(50, b"\0") + struct.pack("<I", 0) + bytes([19]) + bytes(phl) \
        + bytes([alg])
    return ev(15, body, True)


def packed(v):
    if v < 251:
        return bytes([v])
    if v < 65536:
        return b"\xfc" + struct.pack("<H", v)
    return b"\xfd" + struct.pack("<I", v)[:3]


def wide_table(crc):
    """The 32-column table of tests/unit/test_binlog_types.c (TABLE_MAP with MySQL 8 optional metadata, one row)."""
    types = bytes([1, 2, 9, 3, 8, 4, 5, 246, 13, 10, 19, 19, 19, 19, 18, 18, 17, 17, 16, 15, 254, 254, 252, 252,
                   254, 254, 255, 245, 12, 11, 7, 254])
    meta = bytes([4, 8, 10, 4, 0, 1, 3, 6, 6, 3, 2, 0, 2, 1]) + struct.pack("<H", 300) + bytes(
        [0xfe, 40, 0xfe, 4, 2, 2, 0xf7, 1, 0xf8, 1, 4, 4, 0xfe ^ ((1020 & 0x300) >> 4), 1020 & 0xff])
    tm = struct.pack("<Q", 77)[:6] + struct.pack("<H", 1) + b"\x04shop\x00\x05wides\x00" + packed(32) + types \
        + packed(len(meta)) + meta + bytes([0xfe, 0xff, 0xff, 0xff])
    tm += b"\x01" + packed(1) + b"\xa8"
    t = packed(255) + packed(0) + packed(8) + packed(2) + packed(63) + packed(3) + packed(63) + packed(4) + packed(45)
    tm += b"\x02" + packed(len(t)) + t
    t = b"".join(packed(len(f"c{i + 1}")) + f"c{i + 1}".encode() for i in range(32))
    tm += b"\x04" + packed(len(t)) + t
    t = packed(3) + b"\x01x\x01y\x01z"
    tm += b"\x05" + packed(len(t)) + t
    t = packed(3) + b"\x01a\x01b\x01c"
    tm += b"\x06" + packed(len(t)) + t
    tm += b"\x07" + packed(1) + b"\x01" + b"\x08" + packed(1) + b"\x00" + b"\x0c" + packed(4) + b"\xff" * 4

    def time2(neg, h, m, s, usec, fsp):
        nr = (((h << 12 | m << 6 | s) << 24) + usec) * (-1 if neg else 1)
        ip, frac = nr >> 24, nr - ((nr >> 24) << 24) if nr >= 0 else -((-nr) % (1 << 24))
        if fsp >= 5:
            return (nr + 0x800000000000).to_bytes(6, "big")
        out = (ip + 0x800000).to_bytes(3, "big")
        if fsp in (1, 2):
            out += struct.pack("b", int(frac / 10000))
        elif fsp in (3, 4):
            out += struct.pack(">h", int(frac / 100))
        return out

    def dt2(y, mo, d, h, mi, s, usec, fsp):
        out = ((((y * 13 + mo) << 5 | d) << 17 | (h << 12 | mi << 6 | s)) + 0x8000000000).to_bytes(5, "big")
        if fsp in (1, 2):
            out += bytes([usec // 10000])
        elif fsp in (3, 4):
            out += (usec // 100).to_bytes(2, "big")
        elif fsp >= 5:
            out += usec.to_bytes(3, "big")
        return out
    dec = bytes(~b & 0xff for b in bytes([0x00 ^ 0x80, 0x04, 0xd2, 0x16, 0x2e]))
    json = bytes([0x00, 0x01, 0x00, 0x0c, 0x00, 0x0b, 0x00, 0x01, 0x00, 0x05, 0x01, 0x00, ord("a")])
    row = (bytes(4) + bytes([200]) + struct.pack("<h", -2) + b"\xff\xff\xff" + struct.pack("<I", 0x80000000)
           + b"\xff" * 8 + struct.pack("<f", 0.1) + struct.pack("<d", 0.1 + 0.2) + dec + b"\x00"
           + (2024 << 9 | 2 << 5 | 29).to_bytes(3, "little") + time2(True, 838, 59, 59, 0, 0)
           + time2(True, 0, 0, 1, 500000, 1) + time2(False, 12, 34, 56, 789000, 3) + time2(True, 1, 0, 0, 1, 6)
           + dt2(2024, 1, 31, 12, 34, 56, 123456, 6) + dt2(9999, 12, 31, 23, 59, 59, 999000, 3)
           + struct.pack(">I", 1700000000) + bytes([45]) + bytes(4) + struct.pack(">H", 0x3ff)
           + struct.pack("<H", 6) + b"caf\xe9 \x80" + b"\x06h\xc3\xa9llo" + b"\x02ab" + struct.pack("<H", 2)
           + b"\x00\xff" + struct.pack("<H", 6) + "日本".encode() + b"\x02" + b"\x05" + struct.pack("<I", 2)
           + b"\x01\x02" + struct.pack("<I", len(json)) + json + struct.pack("<Q", 20240131123456)
           + ((-123456) & 0xffffff).to_bytes(3, "little") + struct.pack("<I", 1700000000) + struct.pack("<H", 1)
           + b"z")
    rows = struct.pack("<Q", 77)[:6] + struct.pack("<HH", 1, 2) + packed(32) + b"\xff" * 4 + row \
        + struct.pack("<I", 0xfffffffe) + b"\x07"
    return ev(19, tm, crc), ev(30, rows, crc)


def payload_seed(tmp):
    """MySQL 8: FDE, then a TRANSACTION_PAYLOAD (zstd) holding QUERY(BEGIN), the wide TABLE_MAP and its rows, XID."""
    tm, rows = wide_table(False)
    inner = (ev(2, struct.pack("<IIBHH", 9, 0, 4, 0, 0) + b"shop\x00BEGIN", False) + tm + rows
             + ev(16, struct.pack("<Q", 31), False))
    raw = os.path.join(tmp, "inner")
    open(raw, "wb").write(inner)
    z = subprocess.run(["zstd", "-q", "-c", "-3", raw], check=True, stdout=subprocess.PIPE).stdout
    zbody = b"\x02\x01\x00" + b"\x03" + packed(len(packed(len(inner)))) + packed(len(inner)) + b"\x01" \
        + packed(len(packed(len(z)))) + packed(len(z)) + b"\x00" + z
    sbody = b"\x01" + packed(len(packed(len(inner)))) + packed(len(inner)) + b"\x00" + inner
    return (b"\xfebin" + mysql8_fde(1) + ev(40, zbody, True), b"\xfebin" + mysql8_fde(1) + ev(40, sbody, True))


def binlog_seeds(datasets, dump_tool):
    mb = os.path.join(datasets, "mysql-binlogs")
    rd = lambda rel: open(os.path.join(mb, rel), "rb").read()
    seeds = {}
    # opts byte 0: CRC32s stripped unchecked, file mode, checksum guessed before the FDE
    c51 = rd("canal/mysql-bin.000002")       # MySQL 5.1: FDE, QUERY, TABLE_MAP, UPDATE_ROWS_V1, XID
    seeds["canal_51_update_v1"] = b"\x00" + cut(c51, lambda i, t, e: t in (15, 19, 24))
    c57 = rd("canal/tsdb/mysql-bin.000003")  # MySQL 5.7, CRC32: the first TABLE_MAP + WRITE_ROWS_V2
    evs = events(c57)
    tmi = next(i for i, (_, e) in enumerate(evs) if e[4] == 19)
    seeds["canal_57_write_v2_crc"] = b"\x01" + cut(c57, lambda i, t, e: i == 0 or i in (tmi, tmi + 1))
    gm = rd("go-mysql/tcb-eval002c-bin.003320")  # Percona 5.6: DECIMAL of many precisions
    seeds["go_mysql_decimals"] = b"\x00" + cut(gm, lambda i, t, e: t in (15, 19, 30))
    crc = rd("mysql-binlog-connector-java/mysql-bin.checksum-crc32")  # 5.7.21: first WRITE, UPDATE, DELETE v2
    evs = events(crc)
    keep = {0, 1}
    for rtype in (30, 31, 32):
        i = next(i for i, (_, e) in enumerate(evs) if e[4] == rtype and evs[i - 1][1][4] == 19 and len(e) < 1500)
        keep |= {i - 1, i}
    seeds["connector_57_crc_rows_v2"] = b"\x01" + cut(crc, lambda i, t, e: i in keep)
    none = rd("mysql-binlog-connector-java/mysql-bin.checksum-none")  # 5.7.20, checksums off
    evs = events(none)
    i = next(i for i, (_, e) in enumerate(evs) if e[4] == 30 and len(e) < 1000)
    seeds["connector_57_none_write_v2"] = b"\x00" + cut(none, lambda k, t, e: k in (0, i - 1, i))
    sak = gzip.decompress(rd("mysql-binlog-connector-java/mysql-bin.sakila.gz"))  # 5.5: ENUM, SET, YEAR, DECIMAL, TIMESTAMP
    evs = events(sak)
    smallest = {}  # table name -> index of its smallest WRITE_ROWS_V1 right after its TABLE_MAP
    for i, (_, e) in enumerate(evs):
        if e[4] == 23 and evs[i - 1][1][4] == 19:
            table = evs[i - 1][1][19 + 8:]
            table = table[1 + table[0] + 1:]
            name = table[1:1 + table[0]]
            if name in (b"film", b"customer", b"payment", b"language", b"store") and (
                    name not in smallest or len(e) < len(evs[smallest[name]][1])):
                smallest[name] = i
    keep = {0} | {i for i in smallest.values()} | {i - 1 for i in smallest.values()}
    seeds["sakila_55_write_v1"] = b"\x00" + cut(sak, lambda i, t, e: i in keep)
    seeds["sakila_55_write_v1_labels"] = b"\x70" + seeds["sakila_55_write_v1"][1:]
    seeds["sakila_55_write_v1_charsets"] = b"\x30" + seeds["sakila_55_write_v1"][1:]
    # MariaDB 10.11 (CRC32): FDE, TABLE_MAP + WRITE/UPDATE/DELETE_ROWS_V1
    md = os.path.join(mb, "go-mysql-server-mariadb")
    for f, name in (("binlog_transaction_multi_ops.txt", "mariadb_1011_multi_ops"),
                    ("binlog_update.txt", "mariadb_1011_update")):
        seeds[name] = b"\x01" + b"\xfebin" + b"".join(mariadb_text_events(os.path.join(md, f)))
    # the replication stream's form: an artificial ROTATE without checksum, then the FDE and events, no magic
    rot = ev(4, struct.pack("<Q", 4) + b"mariadb-bin.000001", False)
    seeds["stream_mariadb_rotate_first"] = bytes([0x02 | 0x04]) + rot + b"".join(
        mariadb_text_events(os.path.join(md, "binlog_insert.txt")))
    # written by test_binlog_dump: every column type the datasets lack behind a MySQL 5.7 FDE, MariaDB compressed
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "syn")
        subprocess.run([dump_tool, "--write-synthetic", os.path.join(mb, "mysql-binlog-connector-java",
                                                                     "mysql-bin.checksum-crc32"), out], check=True)
        seeds["synthetic_57_all_types"] = b"\x01" + open(out, "rb").read()
        subprocess.run([dump_tool, "--write-synthetic-mariadb", os.path.join(md, "binlog_format_desc.txt"), out],
                       check=True)
        seeds["synthetic_mariadb_compressed"] = b"\x01" + open(out, "rb").read()
        z, stored = payload_seed(tmp)
    seeds["mysql8_payload_zstd"] = b"\x01" + z
    seeds["mysql8_payload_stored"] = b"\x00" + stored
    tm, rows = wide_table(True)
    seeds["mysql8_optional_metadata"] = b"\x01" + b"\xfebin" + mysql8_fde(1) + tm + rows
    return seeds


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", default=os.path.join(ROOT, "..", "shared", "datasets"))
    ap.add_argument("--dump-tool", required=True, help="the built tests/test_binlog_dump")
    a = ap.parse_args()
    write_corpus("pgoutput", pgoutput_seeds())
    write_corpus("repl_protocol", repl_seeds())
    write_corpus("mysql_json", json_seeds())
    write_corpus("csv_reader", csv_seeds())
    write_corpus("binlog_event", binlog_seeds(a.datasets, a.dump_tool))
    return 0


if __name__ == "__main__":
    sys.exit(main())
