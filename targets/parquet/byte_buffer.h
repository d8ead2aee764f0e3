/* A growable byte buffer, reused across pages and rows so that hot paths do not allocate per value.
 * Growth failures are sticky (oom flag) so a caller can append many pieces and check once. */
#ifndef LOGTAP_PARQUET_BYTE_BUFFER_H
#define LOGTAP_PARQUET_BYTE_BUFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct byte_buffer {
    uint8_t *data;
    size_t len;
    size_t cap;
    bool oom;
};

/* Makes room for `more` bytes past len; returns false (and sets oom) when memory runs out. */
static inline bool bb_reserve(struct byte_buffer *b, size_t more)
{
    if (b->oom)
        return false;
    if (more > SIZE_MAX / 2 - b->len) {
        b->oom = true;
        return false;
    }
    size_t need = b->len + more;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

static inline void bb_append(struct byte_buffer *b, const void *src, size_t n)
{
    if (n == 0 || !bb_reserve(b, n))
        return;
    memcpy(b->data + b->len, src, n);
    b->len += n;
}

static inline void bb_byte(struct byte_buffer *b, uint8_t v)
{
    if (!bb_reserve(b, 1))
        return;
    b->data[b->len++] = v;
}

static inline void bb_u32le(struct byte_buffer *b, uint32_t v)
{
    uint8_t t[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    bb_append(b, t, 4);
}

static inline void bb_u64le(struct byte_buffer *b, uint64_t v)
{
    uint8_t t[8];
    for (int i = 0; i < 8; i++)
        t[i] = (uint8_t)(v >> (8 * i));
    bb_append(b, t, 8);
}

static inline void bb_reset(struct byte_buffer *b)
{
    b->len = 0;
}

static inline void bb_free(struct byte_buffer *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = false;
}

#endif
