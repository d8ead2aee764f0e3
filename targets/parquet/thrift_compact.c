/* The Thrift compact protocol: field-header writer and bounds-checked reader (layout in thrift_compact.h). */
#include "targets/parquet/thrift_compact.h"

#include <string.h>

static uint64_t zigzag64(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag64(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

void tc_write_varint(struct byte_buffer *out, uint64_t v)
{
    uint8_t tmp[10];
    int n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    bb_append(out, tmp, (size_t)n);
}

void tc_writer_init(struct tc_writer *w, struct byte_buffer *out)
{
    w->out = out;
    w->depth = 0;
    w->last_id[0] = 0;
}

void tc_struct_begin(struct tc_writer *w)
{
    if (w->depth < TC_MAX_DEPTH)
        w->depth++;
    else
        w->out->oom = true; /* deeper than any Parquet structure: mark the output unusable */
    w->last_id[w->depth] = 0;
}

void tc_struct_end(struct tc_writer *w)
{
    bb_byte(w->out, TC_STOP);
    if (w->depth > 0)
        w->depth--;
}

void tc_field_begin(struct tc_writer *w, int16_t id, enum tc_type type)
{
    int16_t last = w->last_id[w->depth];
    int delta = (int)id - (int)last;
    if (delta > 0 && delta <= 15) {
        bb_byte(w->out, (uint8_t)(delta << 4 | (int)type));
    } else {
        bb_byte(w->out, (uint8_t)type);
        tc_write_varint(w->out, zigzag64(id));
    }
    w->last_id[w->depth] = id;
}

void tc_field_bool(struct tc_writer *w, int16_t id, bool v)
{
    tc_field_begin(w, id, v ? TC_BOOL_TRUE : TC_BOOL_FALSE);
}

void tc_field_i8(struct tc_writer *w, int16_t id, int8_t v)
{
    tc_field_begin(w, id, TC_BYTE);
    bb_byte(w->out, (uint8_t)v);
}

void tc_field_i16(struct tc_writer *w, int16_t id, int16_t v)
{
    tc_field_begin(w, id, TC_I16);
    tc_write_varint(w->out, zigzag64(v));
}

void tc_field_i32(struct tc_writer *w, int16_t id, int32_t v)
{
    tc_field_begin(w, id, TC_I32);
    tc_write_varint(w->out, zigzag64(v));
}

void tc_field_i64(struct tc_writer *w, int16_t id, int64_t v)
{
    tc_field_begin(w, id, TC_I64);
    tc_write_varint(w->out, zigzag64(v));
}

void tc_field_double(struct tc_writer *w, int16_t id, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, 8);
    tc_field_begin(w, id, TC_DOUBLE);
    bb_u64le(w->out, bits);
}

void tc_elem_binary(struct tc_writer *w, const void *p, size_t len)
{
    tc_write_varint(w->out, len);
    bb_append(w->out, p, len);
}

void tc_field_binary(struct tc_writer *w, int16_t id, const void *p, size_t len)
{
    tc_field_begin(w, id, TC_BINARY);
    tc_elem_binary(w, p, len);
}

void tc_field_string(struct tc_writer *w, int16_t id, const char *s)
{
    tc_field_binary(w, id, s, strlen(s));
}

void tc_field_struct_begin(struct tc_writer *w, int16_t id)
{
    tc_field_begin(w, id, TC_STRUCT);
    tc_struct_begin(w);
}

void tc_list_header(struct tc_writer *w, enum tc_type elem_type, uint32_t n)
{
    if (n < 15) {
        bb_byte(w->out, (uint8_t)(n << 4 | (uint32_t)elem_type));
    } else {
        bb_byte(w->out, (uint8_t)(0xF0 | (int)elem_type));
        tc_write_varint(w->out, n);
    }
}

void tc_field_list_begin(struct tc_writer *w, int16_t id, enum tc_type elem_type, uint32_t n)
{
    tc_field_begin(w, id, TC_LIST);
    tc_list_header(w, elem_type, n);
}

void tc_elem_i32(struct tc_writer *w, int32_t v)
{
    tc_write_varint(w->out, zigzag64(v));
}

void tc_elem_i64(struct tc_writer *w, int64_t v)
{
    tc_write_varint(w->out, zigzag64(v));
}

/* ---- reader ---- */

void tc_reader_init(struct tc_reader *r, const void *data, size_t len)
{
    r->p = data;
    r->end = r->p + len;
    r->depth = 0;
    r->error = NULL;
}

bool tc_fail(struct tc_reader *r, const char *msg)
{
    if (!r->error)
        r->error = msg;
    return false;
}

static size_t remaining(const struct tc_reader *r)
{
    return (size_t)(r->end - r->p);
}

bool tc_struct_enter(struct tc_reader *r)
{
    if (r->error)
        return false;
    if (r->depth >= TC_MAX_DEPTH)
        return tc_fail(r, "thrift structures nested too deeply");
    r->depth++;
    return true;
}

void tc_struct_leave(struct tc_reader *r)
{
    if (r->depth > 0)
        r->depth--;
}

static bool read_varint(struct tc_reader *r, uint64_t *v)
{
    uint64_t out = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (r->p >= r->end)
            return tc_fail(r, "thrift varint runs past the end of the buffer");
        uint8_t b = *r->p++;
        if (shift == 63 && (b & 0x7e))
            return tc_fail(r, "thrift varint overflows 64 bits");
        out |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = out;
            return true;
        }
    }
    return tc_fail(r, "thrift varint is too long");
}

bool tc_read_i8(struct tc_reader *r, int8_t *v)
{
    if (r->error)
        return false;
    if (r->p >= r->end)
        return tc_fail(r, "thrift byte runs past the end of the buffer");
    *v = (int8_t)*r->p++;
    return true;
}

bool tc_read_i64(struct tc_reader *r, int64_t *v)
{
    uint64_t u;
    if (r->error || !read_varint(r, &u))
        return false;
    *v = unzigzag64(u);
    return true;
}

bool tc_read_i32(struct tc_reader *r, int32_t *v)
{
    int64_t x;
    if (!tc_read_i64(r, &x))
        return false;
    if (x < INT32_MIN || x > INT32_MAX)
        return tc_fail(r, "thrift i32 out of range");
    *v = (int32_t)x;
    return true;
}

bool tc_read_i16(struct tc_reader *r, int16_t *v)
{
    int64_t x;
    if (!tc_read_i64(r, &x))
        return false;
    if (x < INT16_MIN || x > INT16_MAX)
        return tc_fail(r, "thrift i16 out of range");
    *v = (int16_t)x;
    return true;
}

bool tc_read_double(struct tc_reader *r, double *v)
{
    if (r->error)
        return false;
    if (remaining(r) < 8)
        return tc_fail(r, "thrift double runs past the end of the buffer");
    uint64_t bits = 0;
    for (int i = 0; i < 8; i++)
        bits |= (uint64_t)r->p[i] << (8 * i);
    memcpy(v, &bits, 8);
    r->p += 8;
    return true;
}

bool tc_read_binary(struct tc_reader *r, const uint8_t **p, uint32_t *len)
{
    uint64_t n;
    if (r->error || !read_varint(r, &n))
        return false;
    if (n > remaining(r))
        return tc_fail(r, "thrift binary length runs past the end of the buffer");
    *p = r->p;
    *len = (uint32_t)n;
    r->p += n;
    return true;
}

bool tc_read_field(struct tc_reader *r, int16_t *last_id, struct tc_field *f)
{
    if (r->error)
        return false;
    if (r->p >= r->end)
        return tc_fail(r, "thrift struct runs past the end of the buffer");
    uint8_t b = *r->p++;
    int type = b & 0x0f;
    f->bool_value = false;
    if (b == TC_STOP) {
        f->type = TC_STOP;
        f->id = 0;
        return true;
    }
    if (type < TC_BOOL_TRUE || type > TC_STRUCT)
        return tc_fail(r, "thrift field has an unknown type");
    int delta = b >> 4;
    if (delta) {
        int id = *last_id + delta;
        if (id > INT16_MAX)
            return tc_fail(r, "thrift field id out of range");
        f->id = (int16_t)id;
    } else if (!tc_read_i16(r, &f->id)) {
        return false;
    }
    *last_id = f->id;
    f->type = (enum tc_type)type;
    if (type == TC_BOOL_TRUE)
        f->bool_value = true;
    return true;
}

bool tc_read_list(struct tc_reader *r, enum tc_type *elem_type, uint32_t *n)
{
    if (r->error)
        return false;
    if (r->p >= r->end)
        return tc_fail(r, "thrift list runs past the end of the buffer");
    uint8_t b = *r->p++;
    int et = b & 0x0f;
    uint64_t size = b >> 4;
    if (size == 15 && !read_varint(r, &size))
        return false;
    if (et < TC_BOOL_TRUE || et > TC_STRUCT)
        return tc_fail(r, "thrift list has an unknown element type");
    /* Every element takes at least one byte. */
    if (size > remaining(r))
        return tc_fail(r, "thrift list size exceeds the bytes that remain");
    *elem_type = (enum tc_type)et;
    *n = (uint32_t)size;
    return true;
}

bool tc_read_int_field(struct tc_reader *r, const struct tc_field *f, int32_t *v)
{
    int8_t b;
    int16_t s;
    switch (f->type) {
    case TC_BYTE:
        if (!tc_read_i8(r, &b))
            return false;
        *v = b;
        return true;
    case TC_I16:
        if (!tc_read_i16(r, &s))
            return false;
        *v = s;
        return true;
    case TC_I32:
        return tc_read_i32(r, v);
    default:
        return tc_fail(r, "thrift field has the wrong type (expected an integer)");
    }
}

bool tc_read_i64_field(struct tc_reader *r, const struct tc_field *f, int64_t *v)
{
    int32_t x;
    if (f->type == TC_I64)
        return tc_read_i64(r, v);
    if (!tc_read_int_field(r, f, &x))
        return false;
    *v = x;
    return true;
}

static bool skip_container(struct tc_reader *r, enum tc_type type)
{
    if (type == TC_MAP) {
        uint64_t n;
        if (!read_varint(r, &n))
            return false;
        if (n == 0)
            return true;
        if (n > remaining(r))
            return tc_fail(r, "thrift map size exceeds the bytes that remain");
        if (r->p >= r->end)
            return tc_fail(r, "thrift map runs past the end of the buffer");
        uint8_t kv = *r->p++;
        enum tc_type kt = (enum tc_type)(kv >> 4), vt = (enum tc_type)(kv & 0x0f);
        for (uint64_t i = 0; i < n; i++)
            if (!tc_skip_elem(r, kt) || !tc_skip_elem(r, vt))
                return false;
        return true;
    }
    enum tc_type et;
    uint32_t n;
    if (!tc_read_list(r, &et, &n))
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (!tc_skip_elem(r, et))
            return false;
    return true;
}

bool tc_skip_elem(struct tc_reader *r, enum tc_type type)
{
    if (type == TC_BOOL_TRUE || type == TC_BOOL_FALSE) {
        int8_t b;
        return tc_read_i8(r, &b);
    }
    return tc_skip(r, type);
}

bool tc_skip(struct tc_reader *r, enum tc_type type)
{
    if (r->error)
        return false;
    int64_t i;
    int8_t b;
    double d;
    const uint8_t *p;
    uint32_t len;
    switch (type) {
    case TC_BOOL_TRUE:
    case TC_BOOL_FALSE:
        return true;
    case TC_BYTE:
        return tc_read_i8(r, &b);
    case TC_I16:
    case TC_I32:
    case TC_I64:
        return tc_read_i64(r, &i);
    case TC_DOUBLE:
        return tc_read_double(r, &d);
    case TC_BINARY:
        return tc_read_binary(r, &p, &len);
    case TC_LIST:
    case TC_SET:
    case TC_MAP: {
        if (!tc_struct_enter(r))
            return false;
        bool ok = skip_container(r, type);
        tc_struct_leave(r);
        return ok;
    }
    case TC_STRUCT: {
        if (!tc_struct_enter(r))
            return false;
        int16_t last = 0;
        struct tc_field f;
        for (;;) {
            if (!tc_read_field(r, &last, &f))
                return false;
            if (f.type == TC_STOP)
                break;
            if (!tc_skip(r, f.type))
                return false;
        }
        tc_struct_leave(r);
        return true;
    }
    default:
        return tc_fail(r, "thrift value has an unknown type");
    }
}
