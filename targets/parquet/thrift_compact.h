/* The Thrift compact protocol, as Parquet uses it for its footer and page headers.
 *
 * Wire layout:
 *   struct   := field* stop          stop := 0x00
 *   field    := header value         header := (delta << 4 | type) when 0 < delta <= 15 (delta = id - last id),
 *                                    else type byte followed by the id as a zigzag varint
 *   types    := 1 bool true, 2 bool false (the value lives in the header), 3 byte, 4 i16, 5 i32, 6 i64,
 *               7 double (8 bytes little-endian), 8 binary, 9 list, 10 set, 11 map, 12 struct
 *   i16/i32/i64 := zigzag ULEB128 varint        binary := varint length, bytes
 *   list/set := (size << 4 | elemtype) when size < 15, else (0xF0 | elemtype) then size as varint;
 *               bool elements are one byte each (1 true, anything else false)
 *   map      := size varint, then (keytype << 4 | valtype) when size > 0, then key value pairs
 *
 * The writer appends to a byte_buffer. The reader never reads past its end, bounds nesting depth, bounds every
 * length and count by the bytes that remain, and can skip any value of any type. */
#ifndef LOGTAP_PARQUET_THRIFT_COMPACT_H
#define LOGTAP_PARQUET_THRIFT_COMPACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "targets/parquet/byte_buffer.h"

enum tc_type {
    TC_STOP = 0,
    TC_BOOL_TRUE = 1,
    TC_BOOL_FALSE = 2,
    TC_BYTE = 3,
    TC_I16 = 4,
    TC_I32 = 5,
    TC_I64 = 6,
    TC_DOUBLE = 7,
    TC_BINARY = 8,
    TC_LIST = 9,
    TC_SET = 10,
    TC_MAP = 11,
    TC_STRUCT = 12,
};

#define TC_MAX_DEPTH 32

struct tc_writer {
    struct byte_buffer *out;
    int depth;
    int16_t last_id[TC_MAX_DEPTH + 1];
};

void tc_writer_init(struct tc_writer *w, struct byte_buffer *out);
/* Top-level struct, or a struct that is an element of a list. */
void tc_struct_begin(struct tc_writer *w);
void tc_struct_end(struct tc_writer *w);
void tc_field_begin(struct tc_writer *w, int16_t id, enum tc_type type);
void tc_field_bool(struct tc_writer *w, int16_t id, bool v);
void tc_field_i8(struct tc_writer *w, int16_t id, int8_t v);
void tc_field_i16(struct tc_writer *w, int16_t id, int16_t v);
void tc_field_i32(struct tc_writer *w, int16_t id, int32_t v);
void tc_field_i64(struct tc_writer *w, int16_t id, int64_t v);
void tc_field_double(struct tc_writer *w, int16_t id, double v);
void tc_field_binary(struct tc_writer *w, int16_t id, const void *p, size_t len);
void tc_field_string(struct tc_writer *w, int16_t id, const char *s);
/* A struct-typed field: follow with fields and tc_struct_end. */
void tc_field_struct_begin(struct tc_writer *w, int16_t id);
/* A list-typed field of n elements of elem_type; follow with n elements written by the tc_elem_* calls (or
 * tc_struct_begin/end for struct elements). */
void tc_field_list_begin(struct tc_writer *w, int16_t id, enum tc_type elem_type, uint32_t n);
void tc_list_header(struct tc_writer *w, enum tc_type elem_type, uint32_t n);
void tc_elem_i32(struct tc_writer *w, int32_t v);
void tc_elem_i64(struct tc_writer *w, int64_t v);
void tc_elem_binary(struct tc_writer *w, const void *p, size_t len);
void tc_write_varint(struct byte_buffer *out, uint64_t v);

struct tc_reader {
    const uint8_t *p;
    const uint8_t *end;
    int depth;
    const char *error; /* first error, or NULL */
};

/* A field header as read: type TC_STOP marks the end of a struct. For bool fields, bool_value holds the value. */
struct tc_field {
    enum tc_type type;
    int16_t id;
    bool bool_value;
};

void tc_reader_init(struct tc_reader *r, const void *data, size_t len);
/* Each returns false after recording an error in r->error (the first error sticks). */
bool tc_struct_enter(struct tc_reader *r);   /* before reading a nested struct's fields: bounds depth */
void tc_struct_leave(struct tc_reader *r);
bool tc_read_field(struct tc_reader *r, int16_t *last_id, struct tc_field *f);
bool tc_read_i8(struct tc_reader *r, int8_t *v);
bool tc_read_i16(struct tc_reader *r, int16_t *v);
bool tc_read_i32(struct tc_reader *r, int32_t *v);
bool tc_read_i64(struct tc_reader *r, int64_t *v);
bool tc_read_double(struct tc_reader *r, double *v);
bool tc_read_binary(struct tc_reader *r, const uint8_t **p, uint32_t *len);
/* A list or set header; n is bounded by the bytes that remain. */
bool tc_read_list(struct tc_reader *r, enum tc_type *elem_type, uint32_t *n);
/* Reads an integer field value of type TC_BYTE/I16/I32 into an int32 (checking the type). */
bool tc_read_int_field(struct tc_reader *r, const struct tc_field *f, int32_t *v);
bool tc_read_i64_field(struct tc_reader *r, const struct tc_field *f, int64_t *v);
/* Skips one value of the given type (for a bool field, nothing: the value was in the header). */
bool tc_skip(struct tc_reader *r, enum tc_type type);
/* Skips one list element of the given type (bool elements take one byte). */
bool tc_skip_elem(struct tc_reader *r, enum tc_type type);
bool tc_fail(struct tc_reader *r, const char *msg);

#endif
