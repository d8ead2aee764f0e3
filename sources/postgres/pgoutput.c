/* Decoder of one pgoutput logical replication message; the wire layout is in pgoutput.h.
 *
 * Every read goes through a bounds-checked reader over buf[0..len); a message is accepted only when all of its
 * fields are present, every count and length fits the buffer, and no byte is left over. */
#include "sources/postgres/pgoutput.h"

#include <stdio.h>
#include <string.h>

#include "agent/byte_reader.h"

struct reader {
    const uint8_t *buf;
    size_t len;
    size_t pos;
    char type;
    struct lt_error *err;
};

const char *lt_pgo_type_name(char type)
{
    switch (type) {
    case LT_PGO_BEGIN: return "Begin";
    case LT_PGO_COMMIT: return "Commit";
    case LT_PGO_ORIGIN: return "Origin";
    case LT_PGO_RELATION: return "Relation";
    case LT_PGO_TYPE: return "Type";
    case LT_PGO_INSERT: return "Insert";
    case LT_PGO_UPDATE: return "Update";
    case LT_PGO_DELETE: return "Delete";
    case LT_PGO_TRUNCATE: return "Truncate";
    case LT_PGO_MESSAGE: return "Message";
    case LT_PGO_STREAM_START: return "Stream Start";
    case LT_PGO_STREAM_STOP: return "Stream Stop";
    case LT_PGO_STREAM_COMMIT: return "Stream Commit";
    case LT_PGO_STREAM_ABORT: return "Stream Abort";
    default: return "unknown";
    }
}

static int fail_at(struct reader *r, size_t offset, const char *what)
{
    return lt_fail(r->err, LT_ERR_RUNTIME, "pgoutput %s message: %s at byte offset %zu", lt_pgo_type_name(r->type),
                   what, offset);
}

static int need(struct reader *r, size_t n, const char *field)
{
    if (r->len - r->pos >= n)
        return LT_OK;
    return lt_fail(r->err, LT_ERR_RUNTIME,
                   "pgoutput %s message: truncated %s at byte offset %zu (needs %zu bytes, %zu left)",
                   lt_pgo_type_name(r->type), field, r->pos, n, r->len - r->pos);
}

static int read_u8(struct reader *r, const char *field, uint8_t *out)
{
    if (need(r, 1, field))
        return LT_ERR_RUNTIME;
    *out = r->buf[r->pos++];
    return LT_OK;
}

static int read_u16(struct reader *r, const char *field, uint16_t *out)
{
    if (need(r, 2, field))
        return LT_ERR_RUNTIME;
    *out = (uint16_t)lt_be16(r->buf + r->pos);
    r->pos += 2;
    return LT_OK;
}

static int read_u32(struct reader *r, const char *field, uint32_t *out)
{
    if (need(r, 4, field))
        return LT_ERR_RUNTIME;
    *out = lt_be32(r->buf + r->pos);
    r->pos += 4;
    return LT_OK;
}

static int read_u64(struct reader *r, const char *field, uint64_t *out)
{
    if (need(r, 8, field))
        return LT_ERR_RUNTIME;
    *out = lt_be64(r->buf + r->pos);
    r->pos += 8;
    return LT_OK;
}

/* A count or length sent as a signed Int16/Int32: negative values are malformed. */
static int read_count16(struct reader *r, const char *field, uint16_t *out)
{
    size_t at = r->pos;
    if (read_u16(r, field, out))
        return LT_ERR_RUNTIME;
    if (*out & 0x8000u) {
        char what[96];
        snprintf(what, sizeof what, "negative %s %d", field, (int)*out - 0x10000);
        return fail_at(r, at, what);
    }
    return LT_OK;
}

static int read_len32(struct reader *r, const char *field, uint32_t *out)
{
    size_t at = r->pos;
    if (read_u32(r, field, out))
        return LT_ERR_RUNTIME;
    if (*out & 0x80000000u) {
        char what[96];
        snprintf(what, sizeof what, "negative %s %lld", field, (long long)*out - 0x100000000LL);
        return fail_at(r, at, what);
    }
    return LT_OK;
}

static int read_str(struct reader *r, const char *field, struct lt_pgo_str *out)
{
    const uint8_t *start = r->buf + r->pos;
    const uint8_t *nul = memchr(start, 0, r->len - r->pos);
    if (!nul) {
        char what[96];
        snprintf(what, sizeof what, "unterminated string (%s)", field);
        return fail_at(r, r->pos, what);
    }
    size_t n = (size_t)(nul - start);
    if (n > UINT32_MAX)
        return fail_at(r, r->pos, "string longer than 4 GiB");
    out->ptr = (const char *)start;
    out->len = (uint32_t)n;
    r->pos += n + 1;
    return LT_OK;
}

static int read_tuple(struct reader *r, struct lt_pgo_tuple *t)
{
    t->offset = r->pos;
    if (read_count16(r, "tuple column count", &t->ncols))
        return LT_ERR_RUNTIME;
    size_t start = r->pos;
    for (uint16_t i = 0; i < t->ncols; i++) {
        size_t at = r->pos;
        uint8_t kind;
        if (read_u8(r, "tuple column kind", &kind))
            return LT_ERR_RUNTIME;
        if (kind == 'n' || kind == 'u')
            continue;
        if (kind != 't' && kind != 'b') {
            char what[96];
            snprintf(what, sizeof what, "unknown tuple column kind 0x%02x (column %u)", kind, (unsigned)i + 1);
            return fail_at(r, at, what);
        }
        uint32_t vlen;
        if (read_len32(r, "column value length", &vlen) || need(r, vlen, "column value"))
            return LT_ERR_RUNTIME;
        r->pos += vlen;
    }
    t->data = r->buf + start;
    t->len = r->pos - start;
    return LT_OK;
}

static int read_relation(struct reader *r, struct lt_pgo_relation *rel)
{
    uint8_t replident;
    if (read_u32(r, "relation id", &rel->relid) || read_str(r, "namespace", &rel->nspname) ||
        read_str(r, "relation name", &rel->relname))
        return LT_ERR_RUNTIME;
    size_t at = r->pos;
    if (read_u8(r, "replica identity", &replident))
        return LT_ERR_RUNTIME;
    if (replident != LT_PGO_REPLIDENT_DEFAULT && replident != LT_PGO_REPLIDENT_NOTHING &&
        replident != LT_PGO_REPLIDENT_FULL && replident != LT_PGO_REPLIDENT_INDEX) {
        char what[64];
        snprintf(what, sizeof what, "unknown replica identity 0x%02x", replident);
        return fail_at(r, at, what);
    }
    rel->replident = (char)replident;
    if (read_count16(r, "column count", &rel->ncols))
        return LT_ERR_RUNTIME;
    size_t start = r->pos;
    for (uint16_t i = 0; i < rel->ncols; i++) {
        uint8_t flags;
        struct lt_pgo_str name;
        uint32_t oid, typmod;
        at = r->pos;
        if (read_u8(r, "column flags", &flags))
            return LT_ERR_RUNTIME;
        if (flags > 1) {
            char what[64];
            snprintf(what, sizeof what, "unknown column flags 0x%02x (column %u)", flags, (unsigned)i + 1);
            return fail_at(r, at, what);
        }
        if (read_str(r, "column name", &name) || read_u32(r, "column type oid", &oid) ||
            read_u32(r, "column type modifier", &typmod))
            return LT_ERR_RUNTIME;
    }
    rel->cols = r->buf + start;
    rel->cols_len = r->pos - start;
    return LT_OK;
}

static int read_change(struct reader *r, struct lt_pgo_msg *msg)
{
    uint8_t kind;
    msg->u.change.old_kind = 0;
    if (read_u32(r, "relation id", &msg->u.change.relid))
        return LT_ERR_RUNTIME;
    size_t at = r->pos;
    if (read_u8(r, "tuple tag", &kind))
        return LT_ERR_RUNTIME;
    if (msg->type == LT_PGO_INSERT) {
        if (kind != 'N')
            goto bad_tag;
        return read_tuple(r, &msg->u.change.newtup);
    }
    if (kind == 'K' || kind == 'O') {
        msg->u.change.old_kind = (char)kind;
        if (read_tuple(r, &msg->u.change.oldtup))
            return LT_ERR_RUNTIME;
        if (msg->type == LT_PGO_DELETE)
            return LT_OK;
        at = r->pos;
        if (read_u8(r, "tuple tag", &kind))
            return LT_ERR_RUNTIME;
        if (kind != 'N')
            goto bad_tag;
    } else if (kind != 'N' || msg->type == LT_PGO_DELETE) {
        goto bad_tag;
    }
    if (read_tuple(r, &msg->u.change.newtup))
        return LT_ERR_RUNTIME;
    if (msg->u.change.old_kind && msg->u.change.oldtup.ncols != msg->u.change.newtup.ncols) {
        char what[96];
        snprintf(what, sizeof what, "new tuple has %u columns but the old tuple has %u",
                 (unsigned)msg->u.change.newtup.ncols, (unsigned)msg->u.change.oldtup.ncols);
        return fail_at(r, msg->u.change.newtup.offset, what);
    }
    return LT_OK;

bad_tag: {
        char what[64];
        snprintf(what, sizeof what, "unexpected tuple tag 0x%02x", kind);
        return fail_at(r, at, what);
    }
}

static int read_truncate(struct reader *r, struct lt_pgo_msg *msg)
{
    uint32_t nrels;
    uint8_t options;
    if (read_len32(r, "relation count", &nrels))
        return LT_ERR_RUNTIME;
    size_t at = r->pos;
    if (read_u8(r, "options", &options))
        return LT_ERR_RUNTIME;
    if (options & ~(LT_PGO_TRUNCATE_CASCADE | LT_PGO_TRUNCATE_RESTART_IDENTITY)) {
        char what[64];
        snprintf(what, sizeof what, "unknown options 0x%02x", options);
        return fail_at(r, at, what);
    }
    if ((uint64_t)nrels * 4 > (uint64_t)(r->len - r->pos))
        return lt_fail(r->err, LT_ERR_RUNTIME,
                       "pgoutput Truncate message: truncated relation ids at byte offset %zu (%u relations need %llu "
                       "bytes, %zu left)",
                       r->pos, nrels, (unsigned long long)nrels * 4, r->len - r->pos);
    msg->u.truncate.nrels = nrels;
    msg->u.truncate.options = options;
    msg->u.truncate.cascade = (options & LT_PGO_TRUNCATE_CASCADE) != 0;
    msg->u.truncate.restart_identity = (options & LT_PGO_TRUNCATE_RESTART_IDENTITY) != 0;
    msg->u.truncate.relids = r->buf + r->pos;
    r->pos += (size_t)nrels * 4;
    return LT_OK;
}

static int read_message(struct reader *r, struct lt_pgo_msg *msg)
{
    uint8_t flags;
    uint32_t clen;
    size_t at = r->pos;
    if (read_u8(r, "flags", &flags))
        return LT_ERR_RUNTIME;
    if (flags > 1) {
        char what[64];
        snprintf(what, sizeof what, "unknown flags 0x%02x", flags);
        return fail_at(r, at, what);
    }
    msg->u.message.flags = flags;
    msg->u.message.transactional = flags == 1;
    if (read_u64(r, "lsn", &msg->u.message.lsn) || read_str(r, "prefix", &msg->u.message.prefix) ||
        read_len32(r, "content length", &clen) || need(r, clen, "content"))
        return LT_ERR_RUNTIME;
    msg->u.message.content = r->buf + r->pos;
    msg->u.message.content_len = clen;
    r->pos += clen;
    return LT_OK;
}

static int read_commit(struct reader *r, struct lt_pgo_msg *msg)
{
    uint64_t ts;
    size_t at = r->pos;
    if (read_u8(r, "flags", &msg->u.commit.flags))
        return LT_ERR_RUNTIME;
    if (msg->u.commit.flags != 0) {
        char what[64];
        snprintf(what, sizeof what, "unknown flags 0x%02x", msg->u.commit.flags);
        return fail_at(r, at, what);
    }
    if (read_u64(r, "commit lsn", &msg->u.commit.commit_lsn) || read_u64(r, "end lsn", &msg->u.commit.end_lsn) ||
        read_u64(r, "commit timestamp", &ts))
        return LT_ERR_RUNTIME;
    msg->u.commit.commit_ts_us = lt_pg_time_to_unix_us((int64_t)ts);
    return LT_OK;
}

/* Checks that the message type is allowed for this protocol version and stream state. */
static int check_context(struct reader *r, int proto_version, bool in_stream)
{
    char what[96];
    bool streaming_msg = r->type == LT_PGO_STREAM_START || r->type == LT_PGO_STREAM_STOP ||
                         r->type == LT_PGO_STREAM_COMMIT || r->type == LT_PGO_STREAM_ABORT;
    bool streamable = r->type == LT_PGO_RELATION || r->type == LT_PGO_TYPE || r->type == LT_PGO_INSERT ||
                      r->type == LT_PGO_UPDATE || r->type == LT_PGO_DELETE || r->type == LT_PGO_TRUNCATE ||
                      r->type == LT_PGO_MESSAGE;
    if (streaming_msg && proto_version < 2) {
        snprintf(what, sizeof what, "needs protocol version 2, the stream uses %d", proto_version);
        return fail_at(r, 0, what);
    }
    if (in_stream && !streamable && r->type != LT_PGO_STREAM_STOP)
        return fail_at(r, 0, "not allowed inside a streamed block (between Stream Start and Stream Stop)");
    if (!in_stream && r->type == LT_PGO_STREAM_STOP)
        return fail_at(r, 0, "outside a streamed block");
    return LT_OK;
}

int lt_pgo_decode(const uint8_t *buf, size_t len, int proto_version, bool in_stream, struct lt_pgo_msg *msg,
                  struct lt_error *err)
{
    struct reader r = {.buf = buf, .len = len, .pos = 0, .type = 0, .err = err};
    uint8_t type;
    int rc = LT_OK;

    memset(msg, 0, sizeof *msg);
    if (proto_version != 1 && proto_version != 2)
        return lt_fail(err, LT_ERR_RUNTIME, "pgoutput: unsupported protocol version %d (1 and 2 are)",
                       proto_version);
    if (in_stream && proto_version < 2)
        return lt_fail(err, LT_ERR_RUNTIME, "pgoutput: streamed blocks need protocol version 2");
    if (!buf || len == 0)
        return lt_fail(err, LT_ERR_RUNTIME, "pgoutput: empty message at byte offset 0");
    type = buf[r.pos++];
    if (strcmp(lt_pgo_type_name((char)type), "unknown") == 0)
        return lt_fail(err, LT_ERR_RUNTIME, "pgoutput: unknown message type 0x%02x at byte offset 0", type);
    r.type = (char)type;
    msg->type = (char)type;
    if (check_context(&r, proto_version, in_stream))
        return LT_ERR_RUNTIME;
    if (in_stream && r.type != LT_PGO_STREAM_STOP) {
        if (read_u32(&r, "transaction id", &msg->xid))
            return LT_ERR_RUNTIME;
        msg->has_xid = true;
    }

    switch (r.type) {
    case LT_PGO_BEGIN: {
        uint64_t ts;
        if (read_u64(&r, "final lsn", &msg->u.begin.final_lsn) || read_u64(&r, "commit timestamp", &ts) ||
            read_u32(&r, "transaction id", &msg->xid))
            return LT_ERR_RUNTIME;
        msg->has_xid = true;
        msg->u.begin.commit_ts_us = lt_pg_time_to_unix_us((int64_t)ts);
        break;
    }
    case LT_PGO_COMMIT:
        rc = read_commit(&r, msg);
        break;
    case LT_PGO_ORIGIN:
        rc = read_u64(&r, "origin lsn", &msg->u.origin.origin_lsn) || read_str(&r, "origin name", &msg->u.origin.name);
        break;
    case LT_PGO_RELATION:
        rc = read_relation(&r, &msg->u.relation);
        break;
    case LT_PGO_TYPE:
        rc = read_u32(&r, "type oid", &msg->u.type.type_oid) || read_str(&r, "namespace", &msg->u.type.nspname) ||
             read_str(&r, "type name", &msg->u.type.typname);
        break;
    case LT_PGO_INSERT:
    case LT_PGO_UPDATE:
    case LT_PGO_DELETE:
        rc = read_change(&r, msg);
        break;
    case LT_PGO_TRUNCATE:
        rc = read_truncate(&r, msg);
        break;
    case LT_PGO_MESSAGE:
        rc = read_message(&r, msg);
        break;
    case LT_PGO_STREAM_START: {
        uint8_t first;
        if (read_u32(&r, "transaction id", &msg->xid))
            return LT_ERR_RUNTIME;
        size_t at = r.pos;
        if (read_u8(&r, "first segment flag", &first))
            return LT_ERR_RUNTIME;
        if (first > 1)
            return fail_at(&r, at, "first segment flag is neither 0 nor 1");
        msg->has_xid = true;
        msg->u.stream_start.first_segment = first == 1;
        break;
    }
    case LT_PGO_STREAM_STOP:
        break;
    case LT_PGO_STREAM_COMMIT:
        if (read_u32(&r, "transaction id", &msg->xid))
            return LT_ERR_RUNTIME;
        msg->has_xid = true;
        rc = read_commit(&r, msg);
        break;
    case LT_PGO_STREAM_ABORT:
        if (read_u32(&r, "transaction id", &msg->xid) ||
            read_u32(&r, "subtransaction id", &msg->u.stream_abort.subxid))
            return LT_ERR_RUNTIME;
        msg->has_xid = true;
        break;
    }
    if (rc)
        return LT_ERR_RUNTIME;
    if (r.pos != r.len) {
        char what[64];
        snprintf(what, sizeof what, "%zu trailing bytes", r.len - r.pos);
        return fail_at(&r, r.pos, what);
    }
    return LT_OK;
}

uint32_t lt_pgo_truncate_relid(const struct lt_pgo_msg *msg, uint32_t i)
{
    if (msg->type != LT_PGO_TRUNCATE || i >= msg->u.truncate.nrels)
        return 0;
    return lt_be32(msg->u.truncate.relids + (size_t)i * 4);
}

void lt_pgo_relcol_iter_init(struct lt_pgo_relcol_iter *it, const struct lt_pgo_relation *rel)
{
    it->p = rel->cols;
    it->end = rel->cols + rel->cols_len;
    it->left = rel->ncols;
}

bool lt_pgo_relcol_next(struct lt_pgo_relcol_iter *it, struct lt_pgo_relcol *col)
{
    /* The decoder validated this layout; the checks below only keep a misuse from reading out of bounds. */
    if (it->left == 0 || it->end - it->p < 1)
        return false;
    const uint8_t *nul = memchr(it->p + 1, 0, (size_t)(it->end - (it->p + 1)));
    if (!nul || it->end - (nul + 1) < 8)
        return false;
    col->flags = it->p[0];
    col->is_key = (it->p[0] & 1) != 0;
    col->name.ptr = (const char *)(it->p + 1);
    col->name.len = (uint32_t)(nul - (it->p + 1));
    col->type_oid = lt_be32(nul + 1);
    col->typmod = (int32_t)lt_be32(nul + 5);
    it->p = nul + 9;
    it->left--;
    return true;
}

int lt_pgo_relation_columns(const struct lt_pgo_relation *rel, struct lt_pgo_relcol *cols, int max_cols,
                            struct lt_error *err)
{
    if ((int)rel->ncols > max_cols)
        return lt_fail(err, LT_ERR_RUNTIME, "pgoutput Relation %u has %u columns, more than the limit %d",
                       rel->relid, (unsigned)rel->ncols, max_cols);
    struct lt_pgo_relcol_iter it;
    lt_pgo_relcol_iter_init(&it, rel);
    for (int i = 0; i < (int)rel->ncols; i++)
        if (!lt_pgo_relcol_next(&it, &cols[i]))
            return lt_fail(err, LT_ERR_RUNTIME, "pgoutput Relation %u: column %d is malformed", rel->relid, i + 1);
    return LT_OK;
}

void lt_pgo_tuple_iter_init(struct lt_pgo_tuple_iter *it, const struct lt_pgo_tuple *tuple)
{
    it->p = tuple->data;
    it->end = tuple->data + tuple->len;
    it->left = tuple->ncols;
}

bool lt_pgo_tuple_next(struct lt_pgo_tuple_iter *it, struct lt_pgo_field *field)
{
    if (it->left == 0 || it->end - it->p < 1)
        return false;
    char kind = (char)it->p[0];
    field->kind = kind;
    field->data = NULL;
    field->len = 0;
    if (kind == 't' || kind == 'b') {
        if (it->end - it->p < 5)
            return false;
        uint32_t len = lt_be32(it->p + 1);
        if ((uint64_t)len > (uint64_t)(it->end - (it->p + 5)))
            return false;
        field->data = (const char *)(it->p + 5);
        field->len = len;
        it->p += 5 + (size_t)len;
    } else if (kind == 'n' || kind == 'u') {
        it->p += 1;
    } else {
        return false;
    }
    it->left--;
    return true;
}

int lt_pgo_tuple_values(const struct lt_pgo_tuple *tuple, int expected_ncols, struct lt_value *vals, int max_vals,
                        struct lt_error *err)
{
    if (expected_ncols >= 0 && (int)tuple->ncols != expected_ncols)
        return lt_fail(err, LT_ERR_RUNTIME,
                       "pgoutput: tuple at byte offset %zu has %u columns, but its relation has %d",
                       tuple->offset, (unsigned)tuple->ncols, expected_ncols);
    if ((int)tuple->ncols > max_vals)
        return lt_fail(err, LT_ERR_RUNTIME, "pgoutput: tuple at byte offset %zu has %u columns, more than the limit %d",
                       tuple->offset, (unsigned)tuple->ncols, max_vals);
    struct lt_pgo_tuple_iter it;
    struct lt_pgo_field f;
    lt_pgo_tuple_iter_init(&it, tuple);
    for (int i = 0; i < (int)tuple->ncols; i++) {
        if (!lt_pgo_tuple_next(&it, &f))
            return lt_fail(err, LT_ERR_RUNTIME, "pgoutput: tuple at byte offset %zu: column %d is malformed",
                           tuple->offset, i + 1);
        vals[i].data = f.data;
        vals[i].len = f.len;
        vals[i].state = f.kind == 'n' ? LT_VALUE_NULL : f.kind == 'u' ? LT_VALUE_UNCHANGED : LT_VALUE_PRESENT;
    }
    return LT_OK;
}

int64_t lt_pg_time_to_unix_us(int64_t pg_us)
{
    if (pg_us == INT64_MIN)
        return INT64_MIN;
    if (pg_us > INT64_MAX - LT_PG_EPOCH_OFFSET_US)
        return INT64_MAX;
    return pg_us + LT_PG_EPOCH_OFFSET_US;
}

int64_t lt_pg_time_from_unix_us(int64_t unix_us)
{
    if (unix_us == INT64_MAX)
        return INT64_MAX;
    if (unix_us < INT64_MIN + LT_PG_EPOCH_OFFSET_US)
        return INT64_MIN;
    return unix_us - LT_PG_EPOCH_OFFSET_US;
}
