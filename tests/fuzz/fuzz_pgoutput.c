/* libFuzzer target for the pgoutput decoder (sources/postgres/pgoutput.h), protocol versions 1 and 2 with streamed
 * blocks. Input: one byte of options (bit 0: protocol 2), then messages, each a 2-byte big-endian length and that
 * many bytes, decoded in order the way the change stream does: Stream Start / Stream Stop switch the in-stream
 * state, Relation messages are remembered (by relid) and the tuples of later Insert/Update/Delete messages are
 * read against their relation's column count. Every message is decoded from an exact-size heap copy, so ASan sees
 * any read past it.
 * Asserts: the decoder never reads outside its message and fails cleanly on bad input; a message it accepts
 * re-encodes (from the decoded fields, through the column and tuple iterators) to exactly its own bytes; the
 * iterators walk exactly the columns and bytes the decoder validated; every value points inside the message.
 * Build like fuzz_parquet_reader.c. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources/postgres/pgoutput.h"

#define MAX_RELATIONS 32
#define MAX_COLS 2048

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct relation {
    uint32_t relid;
    int ncols;
};

struct state {
    int proto;
    bool in_stream;
    struct relation rels[MAX_RELATIONS];
    int nrels;
};

/* The re-encoder: writes into out, which has the message's size; overflowing it is itself a mismatch. */
struct enc {
    uint8_t *out;
    size_t cap, pos;
    bool overflow;
    const uint8_t *orig; /* the message, for the timestamp bytes that saturate (see put_ts) */
};

static void put(struct enc *e, const void *p, size_t n)
{
    if (e->overflow || n > e->cap - e->pos) {
        e->overflow = true;
        return;
    }
    if (n)
        memcpy(e->out + e->pos, p, n);
    e->pos += n;
}

static void put_be(struct enc *e, uint64_t v, int n)
{
    uint8_t b[8];
    for (int i = n - 1; i >= 0; i--, v >>= 8)
        b[i] = (uint8_t)v;
    put(e, b, (size_t)n);
}

static void put_str(struct enc *e, const struct lt_pgo_str *s)
{
    if (strlen(s->ptr) != s->len) {
        fprintf(stderr, "pgoutput string of length %u holds a NUL or lacks its terminator\n", s->len);
        abort();
    }
    put(e, s->ptr, (size_t)s->len + 1);
}

/* Timestamps are decoded to Unix microseconds, saturating at INT64_MIN/INT64_MAX: those two do not map back to
 * one wire value, so the wire bytes are taken as they are after checking that they do saturate. */
static void put_ts(struct enc *e, int64_t unix_us)
{
    if (unix_us != INT64_MIN && unix_us != INT64_MAX) {
        put_be(e, (uint64_t)lt_pg_time_from_unix_us(unix_us), 8);
        return;
    }
    if (e->overflow || e->cap - e->pos < 8) {
        e->overflow = true;
        return;
    }
    uint64_t raw = 0;
    for (int i = 0; i < 8; i++)
        raw = raw << 8 | e->orig[e->pos + i];
    if (lt_pg_time_to_unix_us((int64_t)raw) != unix_us) {
        fprintf(stderr, "timestamp %lld decodes to %lld, not the saturated value\n", (long long)raw,
                (long long)unix_us);
        abort();
    }
    put(e, e->orig + e->pos, 8);
}

static void in_msg(const uint8_t *msg, size_t len, const void *p, size_t n, const char *what)
{
    const uint8_t *q = p;
    if (n && (!q || q < msg || q > msg + len || n > (size_t)(msg + len - q))) {
        fprintf(stderr, "%s (%zu bytes) points outside the message\n", what, n);
        abort();
    }
}

/* Re-encodes a tuple through the iterator; checks that it walks exactly ncols entries over exactly len bytes. */
static void put_tuple(struct enc *e, const struct lt_pgo_tuple *t, const uint8_t *msg, size_t len)
{
    in_msg(msg, len, t->data, t->len, "tuple");
    put_be(e, t->ncols, 2);
    struct lt_pgo_tuple_iter it;
    struct lt_pgo_field f;
    lt_pgo_tuple_iter_init(&it, t);
    unsigned n = 0;
    while (lt_pgo_tuple_next(&it, &f)) {
        n++;
        put(e, &f.kind, 1);
        if (f.kind == 't' || f.kind == 'b') {
            in_msg(msg, len, f.data, f.len, "tuple value");
            put_be(e, f.len, 4);
            put(e, f.data, f.len);
        } else if (f.kind != 'n' && f.kind != 'u') {
            fprintf(stderr, "tuple iterator returned kind 0x%02x\n", (unsigned char)f.kind);
            abort();
        }
    }
    if (n != t->ncols || it.p != t->data + t->len) {
        fprintf(stderr, "tuple iterator walked %u of %u columns, stopping %td bytes from the end\n", n, t->ncols,
                t->data + t->len - it.p);
        abort();
    }
}

static struct relation *find_relation(struct state *st, uint32_t relid)
{
    for (int i = 0; i < st->nrels; i++)
        if (st->rels[i].relid == relid)
            return &st->rels[i];
    return NULL;
}

/* Reads a change's tuples as the change stream does: against its relation's column count when known. */
static void read_values(struct state *st, const struct lt_pgo_msg *m, const uint8_t *msg, size_t len)
{
    static struct lt_value vals[MAX_COLS];
    struct lt_error err = {0};
    const struct relation *r = find_relation(st, m->u.change.relid);
    int expected = r ? r->ncols : -1;
    const struct lt_pgo_tuple *tuples[2] = {m->u.change.old_kind ? &m->u.change.oldtup : NULL,
                                            m->type != LT_PGO_DELETE ? &m->u.change.newtup : NULL};
    for (int k = 0; k < 2; k++) {
        if (!tuples[k] || lt_pgo_tuple_values(tuples[k], expected, vals, MAX_COLS, &err) != LT_OK)
            continue;
        for (int i = 0; i < (int)tuples[k]->ncols; i++) {
            if (vals[i].state == LT_VALUE_PRESENT)
                in_msg(msg, len, vals[i].data, vals[i].len, "value");
            else if (vals[i].state != LT_VALUE_NULL && vals[i].state != LT_VALUE_UNCHANGED)
                abort();
        }
    }
}

static void remember_relation(struct state *st, const struct lt_pgo_relation *rel)
{
    static struct lt_pgo_relcol cols[MAX_COLS];
    struct lt_error err = {0};
    if (lt_pgo_relation_columns(rel, cols, MAX_COLS, &err) != LT_OK) {
        fprintf(stderr, "a decoded Relation's columns do not iterate: %s\n", err.msg);
        abort();
    }
    struct relation *r = find_relation(st, rel->relid);
    if (!r) {
        if (st->nrels == MAX_RELATIONS)
            st->nrels = 0; /* forget them all: a bounded cache */
        r = &st->rels[st->nrels++];
        r->relid = rel->relid;
    }
    r->ncols = rel->ncols;
}

/* Re-encodes a decoded message; returns the number of bytes written (the caller compares them). */
static size_t encode(const struct lt_pgo_msg *m, bool in_stream, const uint8_t *msg, size_t len, uint8_t *out)
{
    struct enc e = {out, len, 0, false, msg};
    put(&e, &m->type, 1);
    if (in_stream && m->type != LT_PGO_STREAM_STOP) {
        if (!m->has_xid)
            abort();
        put_be(&e, m->xid, 4);
    }
    switch (m->type) {
    case LT_PGO_BEGIN:
        put_be(&e, m->u.begin.final_lsn, 8);
        put_ts(&e, m->u.begin.commit_ts_us);
        put_be(&e, m->xid, 4);
        break;
    case LT_PGO_STREAM_COMMIT:
        put_be(&e, m->xid, 4);
        /* fall through */
    case LT_PGO_COMMIT:
        put(&e, &m->u.commit.flags, 1);
        put_be(&e, m->u.commit.commit_lsn, 8);
        put_be(&e, m->u.commit.end_lsn, 8);
        put_ts(&e, m->u.commit.commit_ts_us);
        break;
    case LT_PGO_ORIGIN:
        put_be(&e, m->u.origin.origin_lsn, 8);
        put_str(&e, &m->u.origin.name);
        break;
    case LT_PGO_RELATION: {
        const struct lt_pgo_relation *rel = &m->u.relation;
        put_be(&e, rel->relid, 4);
        put_str(&e, &rel->nspname);
        put_str(&e, &rel->relname);
        put(&e, &rel->replident, 1);
        put_be(&e, rel->ncols, 2);
        in_msg(msg, len, rel->cols, rel->cols_len, "relation columns");
        struct lt_pgo_relcol_iter it;
        struct lt_pgo_relcol col;
        lt_pgo_relcol_iter_init(&it, rel);
        unsigned n = 0;
        while (lt_pgo_relcol_next(&it, &col)) {
            n++;
            if (col.is_key != ((col.flags & 1) != 0))
                abort();
            put(&e, &col.flags, 1);
            put_str(&e, &col.name);
            put_be(&e, col.type_oid, 4);
            put_be(&e, (uint32_t)col.typmod, 4);
        }
        if (n != rel->ncols || it.p != rel->cols + rel->cols_len) {
            fprintf(stderr, "relation iterator walked %u of %u columns\n", n, rel->ncols);
            abort();
        }
        break;
    }
    case LT_PGO_TYPE:
        put_be(&e, m->u.type.type_oid, 4);
        put_str(&e, &m->u.type.nspname);
        put_str(&e, &m->u.type.typname);
        break;
    case LT_PGO_INSERT:
    case LT_PGO_UPDATE:
    case LT_PGO_DELETE:
        put_be(&e, m->u.change.relid, 4);
        if (m->u.change.old_kind) {
            if (m->type == LT_PGO_INSERT || (m->u.change.old_kind != 'K' && m->u.change.old_kind != 'O'))
                abort();
            put(&e, &m->u.change.old_kind, 1);
            put_tuple(&e, &m->u.change.oldtup, msg, len);
        } else if (m->type == LT_PGO_DELETE) {
            abort(); /* a Delete always carries its old key or tuple */
        }
        if (m->type != LT_PGO_DELETE) {
            put(&e, "N", 1);
            put_tuple(&e, &m->u.change.newtup, msg, len);
        }
        break;
    case LT_PGO_TRUNCATE:
        put_be(&e, m->u.truncate.nrels, 4);
        put(&e, &m->u.truncate.options, 1);
        if (m->u.truncate.cascade != ((m->u.truncate.options & LT_PGO_TRUNCATE_CASCADE) != 0) ||
            m->u.truncate.restart_identity != ((m->u.truncate.options & LT_PGO_TRUNCATE_RESTART_IDENTITY) != 0))
            abort();
        for (uint32_t i = 0; i < m->u.truncate.nrels && !e.overflow; i++)
            put_be(&e, lt_pgo_truncate_relid(m, i), 4);
        break;
    case LT_PGO_MESSAGE:
        put(&e, &m->u.message.flags, 1);
        put_be(&e, m->u.message.lsn, 8);
        put_str(&e, &m->u.message.prefix);
        put_be(&e, m->u.message.content_len, 4);
        in_msg(msg, len, m->u.message.content, m->u.message.content_len, "message content");
        put(&e, m->u.message.content, m->u.message.content_len);
        break;
    case LT_PGO_STREAM_START:
        put_be(&e, m->xid, 4);
        put(&e, m->u.stream_start.first_segment ? "\1" : "\0", 1);
        break;
    case LT_PGO_STREAM_STOP:
        break;
    case LT_PGO_STREAM_ABORT:
        put_be(&e, m->xid, 4);
        put_be(&e, m->u.stream_abort.subxid, 4);
        break;
    default:
        fprintf(stderr, "decoded an unknown message type 0x%02x\n", (unsigned char)m->type);
        abort();
    }
    return e.overflow ? len + 1 : e.pos;
}

static void one_message(struct state *st, const uint8_t *msg, size_t len)
{
    struct lt_pgo_msg m;
    struct lt_error err = {0};
    if (lt_pgo_decode(msg, len, st->proto, st->in_stream, &m, &err) != LT_OK) {
        if (!err.msg[0]) {
            fprintf(stderr, "pgoutput decode failed without a message\n");
            abort();
        }
        return;
    }
    if (len == 0 || m.type != (char)msg[0])
        abort();
    uint8_t *out = malloc(len);
    if (!out)
        return;
    size_t n = encode(&m, st->in_stream, msg, len, out);
    if (n != len || memcmp(out, msg, len) != 0) {
        fprintf(stderr, "%s message of %zu bytes re-encodes to %zu different bytes\n", lt_pgo_type_name(m.type), len,
                n > len ? 0 : n);
        abort();
    }
    free(out);
    switch (m.type) {
    case LT_PGO_STREAM_START:
        st->in_stream = true;
        break;
    case LT_PGO_STREAM_STOP:
        st->in_stream = false;
        break;
    case LT_PGO_RELATION:
        remember_relation(st, &m.u.relation);
        break;
    case LT_PGO_INSERT:
    case LT_PGO_UPDATE:
    case LT_PGO_DELETE:
        read_values(st, &m, msg, len);
        break;
    default:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct state st = {.proto = data[0] & 1 ? 2 : 1};
    size_t pos = 1;
    while (size - pos >= 2) {
        size_t len = (size_t)data[pos] << 8 | data[pos + 1];
        pos += 2;
        if (len > size - pos)
            len = size - pos;
        uint8_t *msg = malloc(len ? len : 1); /* exact size: ASan flags any read past the message */
        if (!msg)
            return 0;
        memcpy(msg, data + pos, len);
        one_message(&st, msg, len);
        free(msg);
        pos += len;
    }
    return 0;
}
