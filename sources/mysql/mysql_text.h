/* The text buffer MySQL/MariaDB value decoders append to, and the number and byte text forms they share (used by
 * the binlog row decoder, the binary JSON decoder and the full load). */
#ifndef LOGTAP_MYSQL_TEXT_H
#define LOGTAP_MYSQL_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "agent/error.h"

/* A growable text buffer reused across rows and events: values are appended, never individually allocated.
 * `limit` (0 = 1 GiB) caps its size so a hostile length cannot make it grow without bound. */
struct lt_my_scratch {
    char *data;
    size_t len;
    size_t cap;
    size_t limit;
    uint32_t *offs;       /* per-value offsets while a row is decoded (pointers are fixed once the row is done) */
    size_t offs_cap;
};

void lt_my_scratch_reset(struct lt_my_scratch *s);
void lt_my_scratch_free(struct lt_my_scratch *s);
/* Makes room for `extra` more bytes; fails (LT_ERR_RUNTIME) past the limit or when memory runs out. */
int lt_my_scratch_reserve(struct lt_my_scratch *s, size_t extra, struct lt_error *err);
int lt_my_scratch_append(struct lt_my_scratch *s, const void *p, size_t n, struct lt_error *err);

/* Number and byte text forms. Each appends to s. */
/* MySQL binary DECIMAL of precision/scale at p (n bytes); *used = bytes it took. */
int lt_my_decimal_to_text(const uint8_t *p, size_t n, int precision, int scale, struct lt_my_scratch *s,
                              size_t *used, struct lt_error *err);
/* Byte size of a binary DECIMAL of precision/scale, or 0 when precision/scale are out of range. */
size_t lt_my_decimal_size(int precision, int scale);
/* Shortest round-tripping text of a double / float. */
int lt_my_double_to_text(double v, struct lt_my_scratch *s, struct lt_error *err);
int lt_my_float_to_text(float v, struct lt_my_scratch *s, struct lt_error *err);
/* Appends "\x" and the lowercase hex of the bytes. */
int lt_my_hex_to_text(const uint8_t *p, size_t n, struct lt_my_scratch *s, struct lt_error *err);

#endif
