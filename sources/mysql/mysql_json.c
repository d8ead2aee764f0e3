/* MySQL binary JSON to JSON text: see mysql_json.h for the layout. Every offset read from the document is checked
 * against the enclosing container's declared size, and every container's size against the bytes that hold it. */
#include "sources/mysql/mysql_json.h"
#include "sources/mysql/mysql_bytes.h"
#include "sources/mysql/mysql_type_codes.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum {
    J_SMALL_OBJECT = 0x00,
    J_LARGE_OBJECT = 0x01,
    J_SMALL_ARRAY = 0x02,
    J_LARGE_ARRAY = 0x03,
    J_LITERAL = 0x04,
    J_INT16 = 0x05,
    J_UINT16 = 0x06,
    J_INT32 = 0x07,
    J_UINT32 = 0x08,
    J_INT64 = 0x09,
    J_UINT64 = 0x0a,
    J_DOUBLE = 0x0b,
    J_STRING = 0x0c,
    J_OPAQUE = 0x0f,
};

struct jctx {
    struct lt_my_scratch *s;
    unsigned *notes;
    struct lt_error *err;
    const uint8_t *doc; /* for offsets in messages */
    size_t start;       /* s->len when the document began */
    size_t cap;         /* most text a document of this size can honestly produce */
};

static int put(struct jctx *c, const char *p, size_t n)
{
    /* Each stored value is written once, so the text is at most a few times the document (6x for \u00XX
     * escapes, 8x for an inline int16 entry). Offsets that several entries share, or that loop back, would
     * multiply it: refuse instead of growing. */
    if (c->s->len - c->start + n > c->cap)
        return lt_fail(c->err, LT_ERR_RUNTIME, "malformed binary JSON: its text would exceed %zu bytes (entries "
                       "sharing or looping offsets)", c->cap);
    return lt_my_scratch_append(c->s, p, n, c->err);
}

static int putf(struct jctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int putf(struct jctx *c, const char *fmt, ...)
{
    char buf[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof buf)
        return lt_fail(c->err, LT_ERR_RUNTIME, "internal: JSON number too long");
    return put(c, buf, (size_t)n);
}

static int bad(struct jctx *c, const uint8_t *at, const char *what)
{
    return lt_fail(c->err, LT_ERR_RUNTIME, "malformed binary JSON at byte %td: %s", at - c->doc, what);
}

/* Variable-length length: 7 bits a byte, low group first, at most 5 bytes, must fit 32 bits. */
static bool read_varlen(const uint8_t *p, size_t n, uint32_t *len, size_t *used)
{
    uint64_t v = 0;
    for (size_t i = 0; i < 5 && i < n; i++) {
        v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            if (v > UINT32_MAX)
                return false;
            *len = (uint32_t)v;
            *used = i + 1;
            return true;
        }
    }
    return false;
}

static int put_json_string(struct jctx *c, const uint8_t *p, size_t n)
{
    int rc = lt_my_scratch_reserve(c->s, n + 2, c->err);
    if (rc)
        return rc;
    rc = put(c, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        uint8_t ch = p[i];
        const char *esc = NULL;
        char ubuf[8];
        switch (ch) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default:
            if (ch < 0x20) {
                snprintf(ubuf, sizeof ubuf, "\\u%04x", ch);
                esc = ubuf;
            }
        }
        if (!esc)
            continue;
        rc = put(c, (const char *)p + run, i - run);
        if (!rc)
            rc = put(c, esc, strlen(esc));
        run = i + 1;
    }
    if (!rc)
        rc = put(c, (const char *)p + run, n - run);
    return rc ? rc : put(c, "\"", 1);
}

/* Packed temporal (the server's "longlong packed" form) to text. kind: 'd' date, 't' time, 'D' datetime. */
static int put_packed_temporal(struct jctx *c, int64_t packed, char kind, const uint8_t *at)
{
    bool neg = packed < 0;
    uint64_t a = neg ? 0 - (uint64_t)packed : (uint64_t)packed; /* INT64_MIN too */
    uint32_t usec = (uint32_t)(a % (1 << 24));
    uint64_t ymdhms = a >> 24;
    if (usec > 999999)
        return bad(c, at, "temporal fraction out of range");
    if (kind == 't') {
        unsigned h = (unsigned)((ymdhms >> 12) % 1024), mi = (unsigned)((ymdhms >> 6) % 64),
                 sec = (unsigned)(ymdhms % 64);
        return putf(c, "\"%s%02u:%02u:%02u.%06u\"", neg ? "-" : "", h, mi, sec, usec);
    }
    if (neg)
        return bad(c, at, "negative date");
    uint64_t ymd = ymdhms >> 17, hms = ymdhms & 0x1FFFF, ym = ymd >> 5;
    unsigned y = (unsigned)(ym / 13), mo = (unsigned)(ym % 13), d = (unsigned)(ymd & 31);
    if (mo == 0 || d == 0) {
        *c->notes |= LT_BINLOG_NOTE_ZERO_DATE;
        return put(c, "null", 4);
    }
    if (y > 9999)
        return bad(c, at, "year out of range");
    if (kind == 'd')
        return putf(c, "\"%04u-%02u-%02u\"", y, mo, d);
    unsigned h = (unsigned)(hms >> 12), mi = (unsigned)((hms >> 6) & 63), sec = (unsigned)(hms & 63);
    return putf(c, "\"%04u-%02u-%02u %02u:%02u:%02u.%06u\"", y, mo, d, h, mi, sec, usec);
}

static int put_base64(struct jctx *c, const uint8_t *p, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    int rc = lt_my_scratch_reserve(c->s, (n + 2) / 3 * 4, c->err);
    for (size_t i = 0; i < n && !rc; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        char out[4] = {tbl[v >> 18], tbl[(v >> 12) & 63], i + 1 < n ? tbl[(v >> 6) & 63] : '=',
                       i + 2 < n ? tbl[v & 63] : '='};
        rc = put(c, out, 4);
    }
    return rc;
}

static int put_opaque(struct jctx *c, const uint8_t *p, size_t n)
{
    if (n < 1)
        return bad(c, p, "opaque value truncated");
    uint8_t ftype = p[0];
    uint32_t len;
    size_t used;
    if (!read_varlen(p + 1, n - 1, &len, &used) || len > n - 1 - used)
        return bad(c, p, "opaque length runs past the document");
    const uint8_t *d = p + 1 + used;
    switch (ftype) {
    case LT_MYSQL_TYPE_DATE: case LT_MYSQL_TYPE_NEWDATE:
    case LT_MYSQL_TYPE_TIME: case LT_MYSQL_TYPE_TIME2:
    case LT_MYSQL_TYPE_DATETIME: case LT_MYSQL_TYPE_DATETIME2:
    case LT_MYSQL_TYPE_TIMESTAMP: case LT_MYSQL_TYPE_TIMESTAMP2: {
        if (len < 8)
            return bad(c, d, "temporal opaque value shorter than 8 bytes");
        char kind = ftype == LT_MYSQL_TYPE_DATE || ftype == LT_MYSQL_TYPE_NEWDATE ? 'd'
                    : ftype == LT_MYSQL_TYPE_TIME || ftype == LT_MYSQL_TYPE_TIME2 ? 't' : 'D';
        return put_packed_temporal(c, (int64_t)lt_le64(d), kind, d);
    }
    case LT_MYSQL_TYPE_NEWDECIMAL: {
        if (len < 2)
            return bad(c, d, "decimal opaque value truncated");
        size_t dused;
        struct lt_error sub; /* not zero-filled: its 1 KB message per value was a hot spot */
        lt_error_clear(&sub);
        if (lt_my_decimal_to_text(d + 2, len - 2, d[0], d[1], c->s, &dused, &sub))
            return lt_fail(c->err, LT_ERR_RUNTIME, "malformed binary JSON at byte %td: %s", d - c->doc, sub.msg);
        return LT_OK;
    }
    default: {
        int rc = putf(c, "\"base64:type%u:", ftype);
        if (!rc)
            rc = put_base64(c, d, len);
        return rc ? rc : put(c, "\"", 1);
    }
    }
}

static int put_value(struct jctx *c, uint8_t type, const uint8_t *p, size_t n, int depth);

/* An object or array at p (after its type byte), n bytes available to it. */
static int put_container(struct jctx *c, bool object, bool large, const uint8_t *p, size_t n, int depth)
{
    if (depth > LT_MYSQL_JSON_MAX_DEPTH)
        return bad(c, p, "nesting deeper than the limit");
    size_t w = large ? 4 : 2;
    if (n < 2 * w)
        return bad(c, p, "container header truncated");
    uint32_t count = large ? lt_le32(p) : lt_le16(p);
    uint32_t size = large ? lt_le32(p + w) : lt_le16(p + w);
    if (size > n || size < 2 * w)
        return bad(c, p, "container size runs past the document");
    size_t key_entry = w + 2, value_entry = 1 + w;
    size_t header = 2 * w + (size_t)count * ((object ? key_entry : 0) + value_entry);
    if (count > size || header > size)
        return bad(c, p, "container entries run past its size");
    int rc = put(c, object ? "{" : "[", 1);
    for (uint32_t i = 0; i < count && !rc; i++) {
        if (i)
            rc = put(c, ", ", 2);
        if (!rc && object) {
            const uint8_t *ke = p + 2 * w + (size_t)i * key_entry;
            uint32_t koff = large ? lt_le32(ke) : lt_le16(ke);
            uint32_t klen = lt_le16(ke + w);
            if (koff > size || klen > size - koff)
                return bad(c, ke, "key runs past its object");
            rc = put_json_string(c, p + koff, klen);
            if (!rc)
                rc = put(c, ": ", 2);
        }
        if (rc)
            break;
        const uint8_t *ve = p + 2 * w + (size_t)count * (object ? key_entry : 0) + (size_t)i * value_entry;
        uint8_t vt = ve[0];
        bool inlined = vt == J_LITERAL || vt == J_INT16 || vt == J_UINT16 ||
                       (large && (vt == J_INT32 || vt == J_UINT32));
        if (inlined) {
            rc = put_value(c, vt, ve + 1, w, depth + 1);
        } else {
            uint32_t voff = large ? lt_le32(ve + 1) : lt_le16(ve + 1);
            if (voff >= size)
                return bad(c, ve, "value offset runs past its container");
            rc = put_value(c, vt, p + voff, size - voff, depth + 1);
        }
    }
    return rc ? rc : put(c, object ? "}" : "]", 1);
}

static int put_value(struct jctx *c, uint8_t type, const uint8_t *p, size_t n, int depth)
{
    switch (type) {
    case J_SMALL_OBJECT: case J_LARGE_OBJECT: case J_SMALL_ARRAY: case J_LARGE_ARRAY:
        return put_container(c, type <= J_LARGE_OBJECT, type & 1, p, n, depth);
    case J_LITERAL:
        if (n < 1)
            return bad(c, p, "literal truncated");
        switch (p[0]) {
        case 0: return put(c, "null", 4);
        case 1: return put(c, "true", 4);
        case 2: return put(c, "false", 5);
        default: return bad(c, p, "unknown literal");
        }
    case J_INT16:
        if (n < 2)
            return bad(c, p, "int16 truncated");
        return putf(c, "%d", (int16_t)lt_le16(p));
    case J_UINT16:
        if (n < 2)
            return bad(c, p, "uint16 truncated");
        return putf(c, "%u", lt_le16(p));
    case J_INT32:
        if (n < 4)
            return bad(c, p, "int32 truncated");
        return putf(c, "%d", (int32_t)lt_le32(p));
    case J_UINT32:
        if (n < 4)
            return bad(c, p, "uint32 truncated");
        return putf(c, "%u", lt_le32(p));
    case J_INT64:
        if (n < 8)
            return bad(c, p, "int64 truncated");
        return putf(c, "%" PRId64, (int64_t)lt_le64(p));
    case J_UINT64:
        if (n < 8)
            return bad(c, p, "uint64 truncated");
        return putf(c, "%" PRIu64, lt_le64(p));
    case J_DOUBLE: {
        if (n < 8)
            return bad(c, p, "double truncated");
        double d;
        uint64_t u = lt_le64(p);
        memcpy(&d, &u, 8);
        if (!isfinite(d)) /* MySQL refuses them in JSON, and JSON text has no spelling for them */
            return bad(c, p, "double is NaN or infinite");
        return lt_my_double_to_text(d, c->s, c->err);
    }
    case J_STRING: {
        uint32_t len;
        size_t used;
        if (!read_varlen(p, n, &len, &used) || len > n - used)
            return bad(c, p, "string runs past the document");
        return put_json_string(c, p + used, len);
    }
    case J_OPAQUE:
        return put_opaque(c, p, n);
    default:
        return bad(c, p, "unknown value type");
    }
}

int lt_mysql_json_to_text(const uint8_t *p, size_t n, struct lt_my_scratch *s, unsigned *notes,
                          struct lt_error *err)
{
    struct jctx c = {s, notes, err, p, s->len, 8 * n + 64};
    if (n == 0)
        return put(&c, "null", 4);
    return put_value(&c, p[0], p + 1, n - 1, 0);
}
