/* Tests of the pgoutput decoder (sources/postgres/pgoutput.c) against messages captured from a real PostgreSQL 15
 * (pgoutput_vectors.h says how), and against every malformed variant we could think of: each vector cut at every
 * length, single-byte corruptions, bad counts and lengths, unknown types and tuple kinds, wrong stream context.
 * Messages are decoded from exact-size heap copies, so AddressSanitizer catches any read past the end. */
#include <stdlib.h>
#include <string.h>

#include "sources/postgres/pgoutput.h"
#include "tests/unit/pgoutput_vectors.h"
#include "tests/unit/unit.h"

static struct lt_pgo_msg msg;
static struct lt_error err;
static uint8_t *heap_copy;

static uint8_t *copy_to_heap(const unsigned char *v, size_t n)
{
    free(heap_copy);
    heap_copy = malloc(n ? n : 1);
    if (n)
        memcpy(heap_copy, v, n);
    return heap_copy;
}

/* Decodes bytes from an exact-size heap copy into the global msg. */
static int decode(const unsigned char *v, size_t n, int proto, bool in_stream)
{
    lt_error_clear(&err);
    int rc = lt_pgo_decode(copy_to_heap(v, n), n, proto, in_stream, &msg, &err);
    if (rc != LT_OK && rc != LT_ERR_RUNTIME)
        printf("unexpected code %d\n", rc);
    return rc;
}

static bool decode_ok(const unsigned char *v, size_t n, int proto, bool in_stream)
{
    int rc = decode(v, n, proto, in_stream);
    if (rc != LT_OK)
        printf("  decode failed: %s\n", err.msg);
    return rc == LT_OK;
}

#define DECODE_OK(vec, proto, in_stream) CHECK(decode_ok(vec, sizeof vec, proto, in_stream))

/* Decodes and expects an error whose message contains `needle`. */
static bool decode_fails(const unsigned char *v, size_t n, int proto, bool in_stream, const char *needle)
{
    int rc = decode(v, n, proto, in_stream);
    if (rc != LT_ERR_RUNTIME || err.code != LT_ERR_RUNTIME) {
        printf("  expected an error containing \"%s\", got rc %d\n", needle ? needle : "(any)", rc);
        return false;
    }
    if (needle && !strstr(err.msg, needle)) {
        printf("  error \"%s\" does not contain \"%s\"\n", err.msg, needle);
        return false;
    }
    return true;
}

#define DECODE_FAILS(bytes, proto, in_stream, needle) CHECK(decode_fails(bytes, sizeof bytes, proto, in_stream, needle))

static bool str_is(struct lt_pgo_str s, const char *want)
{
    return s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0 && s.ptr[s.len] == '\0';
}

#define CHECK_PGSTR(s, want) CHECK(str_is((s), (want)))

static const char UNCHANGED_MARK[] = "<unchanged>";
#define UNCH UNCHANGED_MARK

/* Checks a tuple's values: NULL expects a null, UNCH an unchanged TOAST value, anything else present text. */
static void check_tuple(const struct lt_pgo_tuple *t, int n, const char *const *want)
{
    struct lt_value vals[16];
    CHECK_INT(t->ncols, n);
    if (!CHECK(lt_pgo_tuple_values(t, n, vals, 16, &err) == LT_OK))
        return;
    for (int i = 0; i < n; i++) {
        if (want[i] == NULL) {
            CHECK_INT(vals[i].state, LT_VALUE_NULL);
        } else if (want[i] == UNCH) {
            CHECK_INT(vals[i].state, LT_VALUE_UNCHANGED);
        } else {
            CHECK_INT(vals[i].state, LT_VALUE_PRESENT);
            CHECK_MEM(vals[i].data, vals[i].len, want[i], strlen(want[i]));
        }
    }
}

#define CHECK_TUPLE(t, ...)                                                                                        \
    do {                                                                                                           \
        const char *const want_[] = {__VA_ARGS__};                                                                 \
        check_tuple((t), (int)(sizeof want_ / sizeof want_[0]), want_);                                           \
    } while (0)

struct relcol_want {
    bool key;
    const char *name;
    uint32_t oid;
    int32_t typmod;
};

static void check_relcols(const struct lt_pgo_relation *rel, int n, const struct relcol_want *want)
{
    struct lt_pgo_relcol cols[16];
    CHECK_INT(rel->ncols, n);
    if (!CHECK(lt_pgo_relation_columns(rel, cols, 16, &err) == LT_OK))
        return;
    for (int i = 0; i < n; i++) {
        CHECK_INT(cols[i].is_key, want[i].key);
        CHECK_INT(cols[i].flags, want[i].key ? 1 : 0);
        CHECK_PGSTR(cols[i].name, want[i].name);
        CHECK_INT(cols[i].type_oid, want[i].oid);
        CHECK_INT(cols[i].typmod, want[i].typmod);
    }
}

#define CHECK_RELCOLS(rel, ...)                                                                                    \
    do {                                                                                                           \
        const struct relcol_want want_[] = {__VA_ARGS__};                                                          \
        check_relcols((rel), (int)(sizeof want_ / sizeof want_[0]), want_);                                       \
    } while (0)

enum { OID_INT4 = 23, OID_INT8 = 20, OID_TEXT = 25, OID_NUMERIC = 1700, OID_MOOD = 0x4055 };
enum { RELID_ITEMS = 0x405b, RELID_FULL_T = 0x4062, RELID_BIG = 0x406c, RELID_MOODS = 0x4067, RELID_STREAM_T = 0x4073 };

static void test_begin_commit(void)
{
    DECODE_OK(v1_begin, 1, false);
    CHECK_INT(msg.type, LT_PGO_BEGIN);
    CHECK_INT(msg.u.begin.final_lsn, 0x1DDD298);
    CHECK_INT(msg.xid, 773);
    CHECK(msg.has_xid);
    CHECK_INT(msg.u.begin.commit_ts_us, 1795462551093263LL); /* 2026-11-23 19:35:51.093263 UTC */

    DECODE_OK(v1_commit, 1, false);
    CHECK_INT(msg.type, LT_PGO_COMMIT);
    CHECK_INT(msg.u.commit.flags, 0);
    CHECK_INT(msg.u.commit.commit_lsn, 0x1DDD298);
    CHECK_INT(msg.u.commit.end_lsn, 0x1DDD2C8);
    CHECK_INT(msg.u.commit.commit_ts_us, 1795462551093263LL);
    CHECK(!msg.has_xid);

    /* The same Begin decodes the same under protocol 2 outside a stream. */
    DECODE_OK(v1_begin, 2, false);
    CHECK_INT(msg.xid, 773);
}

static void test_origin(void)
{
    DECODE_OK(v1_begin_origin, 1, false);
    CHECK_INT(msg.xid, 789);
    CHECK_INT(msg.u.begin.final_lsn, 0x1DE11F0);
    /* pg_replication_origin_xact_setup set the commit time to 2024-01-31 12:00:00+00. */
    CHECK_INT(msg.u.begin.commit_ts_us, 1706702400000000LL);
    char ts[32];
    lt_format_timestamp_us(msg.u.begin.commit_ts_us, ts);
    CHECK_STR(ts, "2024-01-31 12:00:00.000000");

    DECODE_OK(v1_origin, 1, false);
    CHECK_INT(msg.type, LT_PGO_ORIGIN);
    CHECK_INT(msg.u.origin.origin_lsn, 0xABCDEF);
    CHECK_PGSTR(msg.u.origin.name, "origin1");
}

static void test_relation(void)
{
    DECODE_OK(v1_rel_items, 1, false);
    CHECK_INT(msg.type, LT_PGO_RELATION);
    CHECK_INT(msg.u.relation.relid, RELID_ITEMS);
    CHECK_PGSTR(msg.u.relation.nspname, "public");
    CHECK_PGSTR(msg.u.relation.relname, "items");
    CHECK_INT(msg.u.relation.replident, LT_PGO_REPLIDENT_DEFAULT);
    CHECK_RELCOLS(&msg.u.relation, {true, "id", OID_INT4, -1}, {false, "name", OID_TEXT, -1},
                  {false, "price", OID_NUMERIC, (10 << 16 | 2) + 4}, {false, "note", OID_TEXT, -1});

    DECODE_OK(v1_rel_full_t, 1, false);
    CHECK_PGSTR(msg.u.relation.relname, "full_t");
    CHECK_INT(msg.u.relation.replident, LT_PGO_REPLIDENT_FULL);
    CHECK_RELCOLS(&msg.u.relation, {true, "a", OID_INT4, -1}, {true, "b", OID_TEXT, -1});

    DECODE_OK(v1_rel_big, 1, false);
    CHECK_INT(msg.u.relation.relid, RELID_BIG);
    CHECK_RELCOLS(&msg.u.relation, {true, "id", OID_INT4, -1}, {false, "payload", OID_TEXT, -1},
                  {false, "n", OID_INT4, -1});

    /* After ALTER TABLE ADD COLUMN the relation is sent again with the new column. */
    DECODE_OK(v1_rel_items_5, 1, false);
    CHECK_INT(msg.u.relation.relid, RELID_ITEMS);
    CHECK_RELCOLS(&msg.u.relation, {true, "id", OID_INT4, -1}, {false, "name", OID_TEXT, -1},
                  {false, "price", OID_NUMERIC, (10 << 16 | 2) + 4}, {false, "note", OID_TEXT, -1},
                  {false, "qty", OID_INT4, -1});

    DECODE_OK(v1_rel_moods, 1, false);
    CHECK_PGSTR(msg.u.relation.relname, "moods");
    CHECK_RELCOLS(&msg.u.relation, {true, "id", OID_INT8, -1}, {false, "m", OID_MOOD, -1});

    /* REPLICA IDENTITY USING INDEX: the index column is the key; dropped and generated columns are left out of the
     * relation and of its tuples alike. */
    DECODE_OK(v1_rel_index, 1, false);
    CHECK_INT(msg.u.relation.replident, LT_PGO_REPLIDENT_INDEX);
    CHECK_PGSTR(msg.u.relation.relname, "idx_t");
    CHECK_RELCOLS(&msg.u.relation, {true, "a", OID_INT4, -1}, {false, "b", OID_TEXT, -1},
                  {false, "d", OID_TEXT, -1});
    DECODE_OK(v1_rel_nothing, 1, false);
    CHECK_INT(msg.u.relation.replident, LT_PGO_REPLIDENT_NOTHING);
    CHECK_RELCOLS(&msg.u.relation, {false, "x", OID_INT4, -1});

    DECODE_OK(v1_rel_moods, 1, false);
    /* The iterator yields the same and stops after the last column. */
    struct lt_pgo_relcol_iter it;
    struct lt_pgo_relcol col;
    int n = 0;
    lt_pgo_relcol_iter_init(&it, &msg.u.relation);
    while (lt_pgo_relcol_next(&it, &col))
        n++;
    CHECK_INT(n, 2);
    CHECK(!lt_pgo_relcol_next(&it, &col));

    /* A caller bound smaller than the column count is an error. */
    struct lt_pgo_relcol one[1];
    CHECK(lt_pgo_relation_columns(&msg.u.relation, one, 1, &err) == LT_ERR_RUNTIME);
    CHECK(strstr(err.msg, "2 columns") != NULL);
}

static void test_type(void)
{
    DECODE_OK(v1_type_mood, 1, false);
    CHECK_INT(msg.type, LT_PGO_TYPE);
    CHECK_INT(msg.u.type.type_oid, OID_MOOD);
    CHECK_PGSTR(msg.u.type.nspname, "public");
    CHECK_PGSTR(msg.u.type.typname, "mood");
}

static void test_insert(void)
{
    DECODE_OK(v1_ins_items_1, 1, false);
    CHECK_INT(msg.type, LT_PGO_INSERT);
    CHECK_INT(msg.u.change.relid, RELID_ITEMS);
    CHECK_INT(msg.u.change.old_kind, 0);
    CHECK_TUPLE(&msg.u.change.newtup, "1", "apple", "1.50", NULL);

    DECODE_OK(v1_ins_items_2, 1, false);
    CHECK_TUPLE(&msg.u.change.newtup, "2", "pear", NULL, "x");

    DECODE_OK(v1_ins_full_null, 1, false);
    CHECK_INT(msg.u.change.relid, RELID_FULL_T);
    CHECK_TUPLE(&msg.u.change.newtup, "2", NULL);

    DECODE_OK(v1_ins_items_5, 1, false);
    CHECK_TUPLE(&msg.u.change.newtup, "3", "fig", "2.00", "\xc3\xa9\"\\", "3");

    DECODE_OK(v1_ins_nothing, 1, false);
    CHECK_TUPLE(&msg.u.change.newtup, "5");

    DECODE_OK(v1_ins_moods, 1, false);
    CHECK_INT(msg.u.change.relid, RELID_MOODS);
    CHECK_TUPLE(&msg.u.change.newtup, "1", "happy");

    /* A 3003-byte value. */
    DECODE_OK(v1_ins_big, 1, false);
    char big[3004];
    for (int i = 0; i < 300; i++)
        memcpy(big + i * 10, "0123456789", 10);
    memcpy(big + 3000, "end", 4);
    CHECK_TUPLE(&msg.u.change.newtup, "1", big, "0");

    /* The field iterator sees kinds and lengths as sent. */
    DECODE_OK(v1_ins_items_1, 1, false);
    struct lt_pgo_tuple_iter it;
    struct lt_pgo_field f;
    lt_pgo_tuple_iter_init(&it, &msg.u.change.newtup);
    CHECK(lt_pgo_tuple_next(&it, &f) && f.kind == 't' && f.len == 1 && f.data[0] == '1');
    CHECK(lt_pgo_tuple_next(&it, &f) && f.kind == 't' && f.len == 5);
    CHECK(lt_pgo_tuple_next(&it, &f) && f.kind == 't' && f.len == 4);
    CHECK(lt_pgo_tuple_next(&it, &f) && f.kind == 'n' && f.len == 0 && f.data == NULL);
    CHECK(!lt_pgo_tuple_next(&it, &f));
}

static void test_binary_tuple(void)
{
    DECODE_OK(v1_bin_ins_items_1, 1, false);
    struct lt_value vals[4];
    CHECK(lt_pgo_tuple_values(&msg.u.change.newtup, 4, vals, 4, &err) == LT_OK);
    CHECK_INT(vals[0].state, LT_VALUE_PRESENT);
    CHECK_MEM(vals[0].data, vals[0].len, "\x00\x00\x00\x01", 4); /* int4 send format */
    CHECK_MEM(vals[1].data, vals[1].len, "apple", 5);
    CHECK_INT(vals[2].len, 12);                                   /* numeric send format */
    CHECK_INT(vals[3].state, LT_VALUE_NULL);
    struct lt_pgo_tuple_iter it;
    struct lt_pgo_field f;
    lt_pgo_tuple_iter_init(&it, &msg.u.change.newtup);
    CHECK(lt_pgo_tuple_next(&it, &f) && f.kind == 'b');
}

static void test_update(void)
{
    DECODE_OK(v1_upd_items, 1, false);
    CHECK_INT(msg.type, LT_PGO_UPDATE);
    CHECK_INT(msg.u.change.relid, RELID_ITEMS);
    CHECK_INT(msg.u.change.old_kind, 0);
    CHECK_TUPLE(&msg.u.change.newtup, "1", "green apple", "1.50", NULL);

    /* Key change: the old key arrives as 'K' with the non-key columns null. */
    DECODE_OK(v1_upd_items_key, 1, false);
    CHECK_INT(msg.u.change.old_kind, 'K');
    CHECK_TUPLE(&msg.u.change.oldtup, "2", NULL, NULL, NULL);
    CHECK_TUPLE(&msg.u.change.newtup, "10", "pear", NULL, "x");

    /* REPLICA IDENTITY USING INDEX, key changed: the old index key as 'K'. */
    DECODE_OK(v1_upd_index_key, 1, false);
    CHECK_INT(msg.u.change.old_kind, 'K');
    CHECK_TUPLE(&msg.u.change.oldtup, "1", NULL, NULL);
    CHECK_TUPLE(&msg.u.change.newtup, "2", "b1", "d1");

    /* REPLICA IDENTITY FULL: the whole old row as 'O'. */
    DECODE_OK(v1_upd_full, 1, false);
    CHECK_INT(msg.u.change.relid, RELID_FULL_T);
    CHECK_INT(msg.u.change.old_kind, 'O');
    CHECK_TUPLE(&msg.u.change.oldtup, "1", "one");
    CHECK_TUPLE(&msg.u.change.newtup, "1", "uno");

    /* An unchanged TOASTed value arrives as 'u'. */
    DECODE_OK(v1_upd_big_toast, 1, false);
    CHECK_INT(msg.u.change.relid, RELID_BIG);
    CHECK_TUPLE(&msg.u.change.newtup, "1", UNCH, "1");
    struct lt_value vals[3];
    CHECK(lt_pgo_tuple_values(&msg.u.change.newtup, 3, vals, 3, &err) == LT_OK);
    CHECK(vals[1].state == LT_VALUE_UNCHANGED && vals[1].len == 0 && vals[1].data == NULL);
}

static void test_delete(void)
{
    DECODE_OK(v1_del_items, 1, false);
    CHECK_INT(msg.type, LT_PGO_DELETE);
    CHECK_INT(msg.u.change.relid, RELID_ITEMS);
    CHECK_INT(msg.u.change.old_kind, 'K');
    CHECK_TUPLE(&msg.u.change.oldtup, "10", NULL, NULL, NULL);

    DECODE_OK(v1_del_full, 1, false);
    CHECK_INT(msg.u.change.old_kind, 'O');
    CHECK_TUPLE(&msg.u.change.oldtup, "2", NULL);
}

static void test_truncate(void)
{
    DECODE_OK(v1_trunc_two, 1, false);
    CHECK_INT(msg.type, LT_PGO_TRUNCATE);
    CHECK_INT(msg.u.truncate.nrels, 2);
    CHECK_INT(msg.u.truncate.options, 0);
    CHECK(!msg.u.truncate.cascade && !msg.u.truncate.restart_identity);
    CHECK_INT(lt_pgo_truncate_relid(&msg, 0), RELID_ITEMS);
    CHECK_INT(lt_pgo_truncate_relid(&msg, 1), RELID_FULL_T);
    CHECK_INT(lt_pgo_truncate_relid(&msg, 2), 0); /* out of range */

    DECODE_OK(v1_trunc_opts, 1, false);
    CHECK_INT(msg.u.truncate.nrels, 1);
    CHECK_INT(msg.u.truncate.options, LT_PGO_TRUNCATE_CASCADE | LT_PGO_TRUNCATE_RESTART_IDENTITY);
    CHECK(msg.u.truncate.cascade && msg.u.truncate.restart_identity);
    CHECK_INT(lt_pgo_truncate_relid(&msg, 0), RELID_MOODS);
}

static void test_message(void)
{
    DECODE_OK(v1_msg_tx, 1, false);
    CHECK_INT(msg.type, LT_PGO_MESSAGE);
    CHECK(msg.u.message.transactional);
    CHECK_INT(msg.u.message.lsn, 0x1DDF1B8);
    CHECK_PGSTR(msg.u.message.prefix, "logtap");
    CHECK_MEM(msg.u.message.content, msg.u.message.content_len, "hello", 5);

    DECODE_OK(v1_msg_nontx, 1, false);
    CHECK(!msg.u.message.transactional);
    CHECK_INT(msg.u.message.lsn, 0x1DDF228);
    CHECK_PGSTR(msg.u.message.prefix, "nontx");
    CHECK_MEM(msg.u.message.content, msg.u.message.content_len, "\x00\xff", 2);
}

static void test_stream(void)
{
    DECODE_OK(v2_stream_start_first, 2, false);
    CHECK_INT(msg.type, LT_PGO_STREAM_START);
    CHECK_INT(msg.xid, 0x316);
    CHECK(msg.u.stream_start.first_segment);

    DECODE_OK(v2_stream_type, 2, true);
    CHECK_INT(msg.type, LT_PGO_TYPE);
    CHECK(msg.has_xid);
    CHECK_INT(msg.xid, 0x316);
    CHECK_INT(msg.u.type.type_oid, OID_MOOD);
    CHECK_PGSTR(msg.u.type.typname, "mood");

    DECODE_OK(v2_stream_rel, 2, true);
    CHECK_INT(msg.xid, 0x316);
    CHECK_INT(msg.u.relation.relid, RELID_STREAM_T);
    CHECK_PGSTR(msg.u.relation.relname, "stream_t");
    CHECK_RELCOLS(&msg.u.relation, {true, "id", OID_INT4, -1}, {false, "v", OID_TEXT, -1},
                  {false, "m", OID_MOOD, -1});

    DECODE_OK(v2_stream_ins, 2, true);
    CHECK_INT(msg.type, LT_PGO_INSERT);
    CHECK_INT(msg.xid, 0x316);
    CHECK_INT(msg.u.change.relid, RELID_STREAM_T);
    CHECK_TUPLE(&msg.u.change.newtup, "1", "row1", "ok");

    DECODE_OK(v2_stream_stop, 2, true);
    CHECK_INT(msg.type, LT_PGO_STREAM_STOP);
    CHECK(!msg.has_xid);

    DECODE_OK(v2_stream_start_next, 2, false);
    CHECK_INT(msg.xid, 0x316);
    CHECK(!msg.u.stream_start.first_segment);

    DECODE_OK(v2_stream_msg, 2, true);
    CHECK_INT(msg.xid, 0x316);
    CHECK(msg.u.message.transactional);
    CHECK_INT(msg.u.message.lsn, 0x1E46998);
    CHECK_PGSTR(msg.u.message.prefix, "stream");
    CHECK_MEM(msg.u.message.content, msg.u.message.content_len, "in stream", 9);

    DECODE_OK(v2_stream_upd, 2, true);
    CHECK_INT(msg.type, LT_PGO_UPDATE);
    CHECK_INT(msg.xid, 0x316);
    CHECK_INT(msg.u.change.old_kind, 0);
    CHECK_TUPLE(&msg.u.change.newtup, "1", "changed", "ok");

    DECODE_OK(v2_stream_del, 2, true);
    CHECK_INT(msg.type, LT_PGO_DELETE);
    CHECK_INT(msg.u.change.old_kind, 'K');
    CHECK_TUPLE(&msg.u.change.oldtup, "2", NULL, NULL);

    DECODE_OK(v2_stream_trunc, 2, true);
    CHECK_INT(msg.xid, 0x316);
    CHECK_INT(msg.u.truncate.nrels, 1);
    CHECK_INT(lt_pgo_truncate_relid(&msg, 0), RELID_BIG);

    DECODE_OK(v2_stream_commit, 2, false);
    CHECK_INT(msg.type, LT_PGO_STREAM_COMMIT);
    CHECK_INT(msg.xid, 0x316);
    CHECK_INT(msg.u.commit.commit_lsn, 0x1E47630);
    CHECK_INT(msg.u.commit.end_lsn, 0x1E477A0);
    CHECK_INT(msg.u.commit.commit_ts_us, 1795462551119471LL);

    DECODE_OK(v2_stream_abort, 2, false);
    CHECK_INT(msg.type, LT_PGO_STREAM_ABORT);
    CHECK_INT(msg.xid, 0x317);
    CHECK_INT(msg.u.stream_abort.subxid, 0x317);

    DECODE_OK(v2_stream_abort_sub, 2, false);
    CHECK_INT(msg.xid, 0x318);
    CHECK_INT(msg.u.stream_abort.subxid, 0x319);

    DECODE_OK(v2_stream_ins_sub, 2, true);
    CHECK_INT(msg.xid, 0x31a);
    CHECK_TUPLE(&msg.u.change.newtup, "30001", "more30001", "ok");
}

/* The stream flag and protocol version decide what is legal and how the bytes are read. */
static void test_stream_context(void)
{
    /* Streamed changes read outside a stream misparse (the xid is taken for the relid) and must fail. */
    DECODE_FAILS(v2_stream_ins, 2, false, "tuple tag");
    DECODE_FAILS(v2_stream_upd, 2, false, "tuple tag");
    /* Non-streamed changes read inside a stream lose 4 bytes to the xid and must fail. */
    DECODE_FAILS(v1_ins_items_1, 2, true, NULL);
    DECODE_FAILS(v1_begin, 2, true, "inside a streamed block");
    DECODE_FAILS(v1_commit, 2, true, "inside a streamed block");
    DECODE_FAILS(v1_origin, 2, true, "inside a streamed block");
    DECODE_FAILS(v2_stream_start_first, 2, true, "inside a streamed block");
    DECODE_FAILS(v2_stream_commit, 2, true, "inside a streamed block");
    DECODE_FAILS(v2_stream_abort, 2, true, "inside a streamed block");
    DECODE_FAILS(v2_stream_stop, 2, false, "outside a streamed block");
    /* Protocol 1 knows no streaming. */
    DECODE_FAILS(v2_stream_start_first, 1, false, "protocol version 2");
    DECODE_FAILS(v2_stream_commit, 1, false, "protocol version 2");
    DECODE_FAILS(v2_stream_abort, 1, false, "protocol version 2");
    DECODE_FAILS(v2_stream_stop, 1, true, "protocol version 2");
    DECODE_FAILS(v1_begin, 3, false, "unsupported protocol version 3");
    DECODE_FAILS(v1_begin, 0, false, "unsupported protocol version 0");
}

struct vector {
    const char *name;
    const unsigned char *bytes;
    size_t len;
    int proto;
    bool in_stream;
};

#define VECTOR_ENTRY(name, proto, in_stream) {#name, name, sizeof name, proto, in_stream},
static const struct vector vectors[] = {PGO_VECTORS(VECTOR_ENTRY)};
#define NVECTORS ((int)(sizeof vectors / sizeof vectors[0]))

/* After a successful decode, walks every part the way a consumer would (under ASan). */
static void consume(const struct lt_pgo_msg *m)
{
    struct lt_value vals[64];
    struct lt_pgo_relcol cols[64];
    struct lt_error e;
    switch (m->type) {
    case LT_PGO_RELATION:
        (void)lt_pgo_relation_columns(&m->u.relation, cols, 64, &e);
        break;
    case LT_PGO_INSERT:
    case LT_PGO_UPDATE:
    case LT_PGO_DELETE:
        if (m->u.change.old_kind)
            (void)lt_pgo_tuple_values(&m->u.change.oldtup, -1, vals, 64, &e);
        if (m->type != LT_PGO_DELETE)
            (void)lt_pgo_tuple_values(&m->u.change.newtup, -1, vals, 64, &e);
        break;
    case LT_PGO_TRUNCATE:
        for (uint32_t i = 0; i < m->u.truncate.nrels; i++)
            (void)lt_pgo_truncate_relid(m, i);
        break;
    default:
        break;
    }
}

/* Every captured vector decodes; cut at every shorter length it fails with a message; with a byte appended it
 * fails with "trailing bytes". */
static void test_every_truncation_fails(void)
{
    int failures = 0, cases = 0;
    for (int v = 0; v < NVECTORS; v++) {
        const struct vector *vec = &vectors[v];
        if (!decode_ok(vec->bytes, vec->len, vec->proto, vec->in_stream)) {
            printf("  vector %s does not decode\n", vec->name);
            failures++;
            continue;
        }
        for (size_t cut = 0; cut < vec->len; cut++) {
            cases++;
            int rc = decode(vec->bytes, cut, vec->proto, vec->in_stream);
            if (rc != LT_ERR_RUNTIME || err.msg[0] == '\0' || !strstr(err.msg, "offset")) {
                printf("  %s cut to %zu bytes: rc %d, \"%s\"\n", vec->name, cut, rc, err.msg);
                failures++;
            }
        }
        unsigned char *longer = malloc(vec->len + 1);
        memcpy(longer, vec->bytes, vec->len);
        longer[vec->len] = 0;
        if (!decode_fails(longer, vec->len + 1, vec->proto, vec->in_stream, "trailing bytes"))
            failures++;
        free(longer);
    }
    CHECK_INT(failures, 0);
    CHECK(cases > 4000);
}

/* Every single byte of every vector replaced by a set of interesting values: never a crash, and whatever
 * decodes can be consumed safely. */
static void test_byte_corruption_never_crashes(void)
{
    static const uint8_t values[] = {0x00, 0x01, 0x02, 0x7f, 0x80, 0xff, 'n', 'u', 't', 'b', 'K', 'O', 'N'};
    int decoded = 0, rejected = 0;
    for (int v = 0; v < NVECTORS; v++) {
        const struct vector *vec = &vectors[v];
        size_t limit = vec->len < 600 ? vec->len : 600; /* the big value's bytes are all alike */
        unsigned char *buf = malloc(vec->len);
        for (size_t i = 0; i < limit; i++) {
            for (size_t k = 0; k < sizeof values; k++) {
                memcpy(buf, vec->bytes, vec->len);
                buf[i] = values[k];
                for (int stream = 0; stream < vec->proto; stream++) { /* protocol 1 has no streams */
                    struct lt_error e;
                    struct lt_pgo_msg m;
                    int rc = lt_pgo_decode(buf, vec->len, vec->proto, stream, &m, &e);
                    if (rc == LT_OK) {
                        consume(&m);
                        decoded++;
                    } else {
                        rejected++;
                        if (rc != LT_ERR_RUNTIME || !strstr(e.msg, "offset")) {
                            printf("  %s byte %zu=0x%02x: rc %d \"%s\"\n", vec->name, i, values[k], rc, e.msg);
                            CHECK(false);
                        }
                    }
                }
            }
        }
        free(buf);
    }
    CHECK(decoded > 0);
    CHECK(rejected > 0);
}

static void test_malformed_headers(void)
{
    CHECK(decode_fails((const unsigned char *)"", 0, 1, false, "empty message at byte offset 0"));
    CHECK(lt_pgo_decode(NULL, 0, 1, false, &msg, &err) == LT_ERR_RUNTIME);
    static const unsigned char unknown[] = {'Z', 0, 0, 0, 0};
    DECODE_FAILS(unknown, 1, false, "unknown message type 0x5a");
    static const unsigned char lower_b[] = {'b', 0, 0, 0, 0};
    DECODE_FAILS(lower_b, 2, false, "unknown message type 0x62"); /* Begin Prepare: protocol 3, unsupported */
    static const unsigned char commit_flags[] = {'C', 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2,
                                                 0, 0, 0, 0, 0, 0, 0, 3};
    DECODE_FAILS(commit_flags, 1, false, "unknown flags 0x01 at byte offset 1");
    static const unsigned char start_flag[] = {'S', 0, 0, 0, 9, 2};
    DECODE_FAILS(start_flag, 2, false, "first segment flag");
    static const unsigned char origin_unterminated[] = {'O', 0, 0, 0, 0, 0, 0, 0, 1, 'a', 'b'};
    DECODE_FAILS(origin_unterminated, 1, false, "unterminated string (origin name) at byte offset 9");
}

/* Builders for hand-made messages. */
struct builder {
    uint8_t b[256];
    size_t n;
};
static void put8(struct builder *w, uint8_t v) { w->b[w->n++] = v; }
static void put16(struct builder *w, uint16_t v) { put8(w, (uint8_t)(v >> 8)); put8(w, (uint8_t)v); }
static void put32(struct builder *w, uint32_t v) { put16(w, (uint16_t)(v >> 16)); put16(w, (uint16_t)v); }
static void putstr(struct builder *w, const char *s) { size_t n = strlen(s) + 1; memcpy(w->b + w->n, s, n); w->n += n; }
static void puttext(struct builder *w, const char *s) { put8(w, 't'); put32(w, (uint32_t)strlen(s)); memcpy(w->b + w->n, s, strlen(s)); w->n += strlen(s); }

static bool built_fails(struct builder *w, int proto, bool in_stream, const char *needle)
{
    return decode_fails(w->b, w->n, proto, in_stream, needle);
}

static void test_malformed_tuples(void)
{
    struct builder w;

    /* A well-formed Insert first, to prove the builder. */
    w.n = 0; put8(&w, 'I'); put32(&w, 7); put8(&w, 'N'); put16(&w, 2); puttext(&w, "a"); put8(&w, 'n');
    CHECK(decode_ok(w.b, w.n, 1, false));
    CHECK_TUPLE(&msg.u.change.newtup, "a", NULL);
    /* ... whose column count is wrong for its relation. */
    struct lt_value vals[4];
    CHECK(lt_pgo_tuple_values(&msg.u.change.newtup, 3, vals, 4, &err) == LT_ERR_RUNTIME);
    CHECK(strstr(err.msg, "has 2 columns, but its relation has 3") != NULL);
    CHECK(lt_pgo_tuple_values(&msg.u.change.newtup, -1, vals, 1, &err) == LT_ERR_RUNTIME);
    CHECK(strstr(err.msg, "more than the limit 1") != NULL);

    /* Column count larger than the columns present. */
    w.n = 0; put8(&w, 'I'); put32(&w, 7); put8(&w, 'N'); put16(&w, 3); puttext(&w, "a"); put8(&w, 'n');
    CHECK(built_fails(&w, 1, false, "truncated tuple column kind at byte offset 15"));
    /* Column count smaller than the columns present. */
    w.n = 0; put8(&w, 'I'); put32(&w, 7); put8(&w, 'N'); put16(&w, 1); puttext(&w, "a"); put8(&w, 'n');
    CHECK(built_fails(&w, 1, false, "1 trailing bytes at byte offset 14"));
    /* Negative column count. */
    w.n = 0; put8(&w, 'I'); put32(&w, 7); put8(&w, 'N'); put16(&w, 0xffff);
    CHECK(built_fails(&w, 1, false, "negative tuple column count -1 at byte offset 6"));
    /* Negative value length. */
    w.n = 0; put8(&w, 'I'); put32(&w, 7); put8(&w, 'N'); put16(&w, 1); put8(&w, 't'); put32(&w, 0xfffffffe);
    CHECK(built_fails(&w, 1, false, "negative column value length -2 at byte offset 9"));
    /* Value length pointing past the end. */
    w.n = 0; put8(&w, 'I'); put32(&w, 7); put8(&w, 'N'); put16(&w, 1); put8(&w, 't'); put32(&w, 10); putstr(&w, "abc");
    CHECK(built_fails(&w, 1, false, "truncated column value at byte offset 13 (needs 10 bytes, 4 left)"));
    w.n = 0; put8(&w, 'I'); put32(&w, 7); put8(&w, 'N'); put16(&w, 1); put8(&w, 'b'); put32(&w, 0x7fffffff);
    CHECK(built_fails(&w, 1, false, "truncated column value"));
    /* Unknown tuple kind. */
    w.n = 0; put8(&w, 'I'); put32(&w, 7); put8(&w, 'N'); put16(&w, 2); put8(&w, 'n'); put8(&w, 'x');
    CHECK(built_fails(&w, 1, false, "unknown tuple column kind 0x78 (column 2) at byte offset 9"));
    /* Insert with an old tuple tag. */
    w.n = 0; put8(&w, 'I'); put32(&w, 7); put8(&w, 'K'); put16(&w, 1); put8(&w, 'n');
    CHECK(built_fails(&w, 1, false, "unexpected tuple tag 0x4b at byte offset 5"));
    /* Update whose old key is not followed by 'N'. */
    w.n = 0; put8(&w, 'U'); put32(&w, 7); put8(&w, 'K'); put16(&w, 1); put8(&w, 'n'); put8(&w, 'O'); put16(&w, 1); put8(&w, 'n');
    CHECK(built_fails(&w, 1, false, "unexpected tuple tag 0x4f at byte offset 9"));
    /* Update with 'K' and 'N' tuples of different widths. */
    w.n = 0; put8(&w, 'U'); put32(&w, 7); put8(&w, 'K'); put16(&w, 1); put8(&w, 'n'); put8(&w, 'N'); put16(&w, 2); put8(&w, 'n'); put8(&w, 'n');
    CHECK(built_fails(&w, 1, false, "new tuple has 2 columns but the old tuple has 1 at byte offset 10"));
    /* Update with an unknown tag. */
    w.n = 0; put8(&w, 'U'); put32(&w, 7); put8(&w, 'X'); put16(&w, 1); put8(&w, 'n');
    CHECK(built_fails(&w, 1, false, "unexpected tuple tag 0x58"));
    /* Delete with a new tuple. */
    w.n = 0; put8(&w, 'D'); put32(&w, 7); put8(&w, 'N'); put16(&w, 1); put8(&w, 'n');
    CHECK(built_fails(&w, 1, false, "unexpected tuple tag 0x4e at byte offset 5"));
    /* Delete followed by a second tuple. */
    w.n = 0; put8(&w, 'D'); put32(&w, 7); put8(&w, 'O'); put16(&w, 1); put8(&w, 'n'); put8(&w, 'N'); put16(&w, 1); put8(&w, 'n');
    CHECK(built_fails(&w, 1, false, "trailing bytes"));
    /* A zero-column tuple is legal (a table without columns). */
    w.n = 0; put8(&w, 'I'); put32(&w, 7); put8(&w, 'N'); put16(&w, 0);
    CHECK(decode_ok(w.b, w.n, 1, false));
    CHECK_INT(msg.u.change.newtup.ncols, 0);
}

static void test_malformed_relation(void)
{
    struct builder w;
    w.n = 0; put8(&w, 'R'); put32(&w, 9); putstr(&w, "s"); putstr(&w, "t"); put8(&w, 'd'); put16(&w, 1);
    put8(&w, 1); putstr(&w, "c"); put32(&w, 23); put32(&w, 0xffffffff);
    CHECK(decode_ok(w.b, w.n, 1, false));
    CHECK_RELCOLS(&msg.u.relation, {true, "c", 23, -1});

    w.n = 0; put8(&w, 'R'); put32(&w, 9); putstr(&w, "s"); putstr(&w, "t"); put8(&w, 'x'); put16(&w, 0);
    CHECK(built_fails(&w, 1, false, "unknown replica identity 0x78 at byte offset 9"));
    w.n = 0; put8(&w, 'R'); put32(&w, 9); putstr(&w, "s"); putstr(&w, "t"); put8(&w, 'd'); put16(&w, 0x8000);
    CHECK(built_fails(&w, 1, false, "negative column count -32768 at byte offset 10"));
    w.n = 0; put8(&w, 'R'); put32(&w, 9); putstr(&w, "s"); putstr(&w, "t"); put8(&w, 'd'); put16(&w, 2);
    put8(&w, 1); putstr(&w, "c"); put32(&w, 23); put32(&w, 0xffffffff);
    CHECK(built_fails(&w, 1, false, "truncated column flags at byte offset 23"));
    w.n = 0; put8(&w, 'R'); put32(&w, 9); putstr(&w, "s"); putstr(&w, "t"); put8(&w, 'd'); put16(&w, 1);
    put8(&w, 2); putstr(&w, "c"); put32(&w, 23); put32(&w, 0xffffffff);
    CHECK(built_fails(&w, 1, false, "unknown column flags 0x02 (column 1) at byte offset 12"));
    w.n = 0; put8(&w, 'R'); put32(&w, 9); putstr(&w, "s"); putstr(&w, "t"); put8(&w, 'd'); put16(&w, 1);
    put8(&w, 0); put8(&w, 'c');
    CHECK(built_fails(&w, 1, false, "unterminated string (column name) at byte offset 13"));
    w.n = 0; put8(&w, 'R'); put32(&w, 9); putstr(&w, "s");
    CHECK(built_fails(&w, 1, false, "unterminated string (relation name) at byte offset 7"));
}

static void test_malformed_truncate_and_message(void)
{
    struct builder w;
    w.n = 0; put8(&w, 'T'); put32(&w, 0x7fffffff); put8(&w, 0); put32(&w, 1);
    CHECK(built_fails(&w, 1, false, "2147483647 relations need 8589934588 bytes, 4 left"));
    w.n = 0; put8(&w, 'T'); put32(&w, 0x80000000); put8(&w, 0);
    CHECK(built_fails(&w, 1, false, "negative relation count"));
    w.n = 0; put8(&w, 'T'); put32(&w, 1); put8(&w, 4); put32(&w, 1);
    CHECK(built_fails(&w, 1, false, "unknown options 0x04 at byte offset 5"));
    w.n = 0; put8(&w, 'T'); put32(&w, 1); put8(&w, 0); put32(&w, 1); put32(&w, 2);
    CHECK(built_fails(&w, 1, false, "4 trailing bytes at byte offset 10"));
    w.n = 0; put8(&w, 'T'); put32(&w, 0); put8(&w, 0);
    CHECK(decode_ok(w.b, w.n, 1, false));
    CHECK_INT(msg.u.truncate.nrels, 0);

    w.n = 0; put8(&w, 'M'); put8(&w, 2); put32(&w, 0); put32(&w, 1); putstr(&w, "p"); put32(&w, 0);
    CHECK(built_fails(&w, 1, false, "unknown flags 0x02 at byte offset 1"));
    w.n = 0; put8(&w, 'M'); put8(&w, 1); put32(&w, 0); put32(&w, 1); putstr(&w, "p"); put32(&w, 0xffffffff);
    CHECK(built_fails(&w, 1, false, "negative content length -1 at byte offset 12"));
    w.n = 0; put8(&w, 'M'); put8(&w, 1); put32(&w, 0); put32(&w, 1); putstr(&w, "p"); put32(&w, 3); put8(&w, 'x');
    CHECK(built_fails(&w, 1, false, "truncated content at byte offset 16 (needs 3 bytes, 1 left)"));
    w.n = 0; put8(&w, 'M'); put8(&w, 0); put32(&w, 0); put32(&w, 1); putstr(&w, ""); put32(&w, 0);
    CHECK(decode_ok(w.b, w.n, 1, false));
    CHECK_PGSTR(msg.u.message.prefix, "");
    CHECK_INT(msg.u.message.content_len, 0);
}

static void test_timestamps(void)
{
    CHECK_INT(lt_pg_time_to_unix_us(0), 946684800000000LL);
    CHECK_INT(lt_pg_time_from_unix_us(946684800000000LL), 0);
    CHECK_INT(lt_pg_time_to_unix_us(-946684800000000LL), 0);
    CHECK_INT(lt_pg_time_from_unix_us(lt_pg_time_to_unix_us(123456789)), 123456789);
    CHECK_INT(lt_pg_time_to_unix_us(INT64_MAX), INT64_MAX);
    CHECK_INT(lt_pg_time_to_unix_us(INT64_MAX - 946684800000000LL + 1), INT64_MAX);
    CHECK_INT(lt_pg_time_to_unix_us(INT64_MIN), INT64_MIN);
    CHECK_INT(lt_pg_time_from_unix_us(INT64_MIN), INT64_MIN);
    CHECK_INT(lt_pg_time_from_unix_us(INT64_MAX), INT64_MAX);
    /* An infinite commit timestamp in a Begin saturates instead of overflowing. */
    struct builder w;
    w.n = 0; put8(&w, 'B'); put32(&w, 0); put32(&w, 1); put32(&w, 0x7fffffff); put32(&w, 0xffffffff); put32(&w, 5);
    CHECK(decode_ok(w.b, w.n, 1, false));
    CHECK_INT(msg.u.begin.commit_ts_us, INT64_MAX);
}

static void test_type_names(void)
{
    CHECK_STR(lt_pgo_type_name('I'), "Insert");
    CHECK_STR(lt_pgo_type_name('c'), "Stream Commit");
    CHECK_STR(lt_pgo_type_name('?'), "unknown");
}

int main(void)
{
    RUN(test_begin_commit);
    RUN(test_origin);
    RUN(test_relation);
    RUN(test_type);
    RUN(test_insert);
    RUN(test_binary_tuple);
    RUN(test_update);
    RUN(test_delete);
    RUN(test_truncate);
    RUN(test_message);
    RUN(test_stream);
    RUN(test_stream_context);
    RUN(test_every_truncation_fails);
    RUN(test_byte_corruption_never_crashes);
    RUN(test_malformed_headers);
    RUN(test_malformed_tuples);
    RUN(test_malformed_relation);
    RUN(test_malformed_truncate_and_message);
    RUN(test_timestamps);
    RUN(test_type_names);
    free(heap_copy);
    return unit_report();
}
