/* Fixed-width integers in and out of wire bytes, and a bounds-checked cursor over a byte span: the one set of
 * endian helpers the decoders (pgoutput, the replication framing, the binlog) share. Header-only so that the
 * per-field loads stay inline in the decoders' hot loops.
 *
 * The cursor has a sticky overrun flag: a read past the end returns 0 (or NULL), consumes nothing and sets
 * `overrun`, so a decoder can read a fixed header field by field and check once. */
#ifndef LOGTAP_BYTE_READER_H
#define LOGTAP_BYTE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- loads and stores (the caller has checked the length) ---- */

static inline uint32_t lt_le16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static inline uint32_t lt_le24(const uint8_t *p) { return lt_le16(p) | (uint32_t)p[2] << 16; }
static inline uint32_t lt_le32(const uint8_t *p) { return lt_le24(p) | (uint32_t)p[3] << 24; }
static inline uint64_t lt_le48(const uint8_t *p) { return (uint64_t)lt_le32(p) | (uint64_t)lt_le16(p + 4) << 32; }
static inline uint64_t lt_le64(const uint8_t *p) { return (uint64_t)lt_le32(p) | (uint64_t)lt_le32(p + 4) << 32; }

/* An n-byte big-endian unsigned integer, n in 0..8. */
static inline uint64_t lt_be_n(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}
static inline uint32_t lt_be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static inline uint32_t lt_be32(const uint8_t *p) { return (uint32_t)lt_be16(p) << 16 | lt_be16(p + 2); }
static inline uint64_t lt_be64(const uint8_t *p) { return (uint64_t)lt_be32(p) << 32 | lt_be32(p + 4); }

static inline void lt_store_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

/* ---- the cursor ---- */

struct lt_byte_reader {
    const uint8_t *buf;
    size_t len, pos;
    bool overrun; /* a read ran past the end */
};

static inline struct lt_byte_reader lt_byte_reader_init(const uint8_t *buf, size_t len)
{
    return (struct lt_byte_reader){.buf = buf, .len = len};
}

static inline size_t lt_br_left(const struct lt_byte_reader *r) { return r->len - r->pos; }

/* The next n bytes (consumed), or NULL with the overrun flag set when fewer are left. */
static inline const uint8_t *lt_br_bytes(struct lt_byte_reader *r, size_t n)
{
    if (r->len - r->pos < n) {
        r->overrun = true;
        return NULL;
    }
    const uint8_t *p = r->buf + r->pos;
    r->pos += n;
    return p;
}

static inline uint8_t lt_br_u8(struct lt_byte_reader *r)
{
    const uint8_t *p = lt_br_bytes(r, 1);
    return p ? p[0] : 0;
}
static inline uint32_t lt_br_le16(struct lt_byte_reader *r)
{
    const uint8_t *p = lt_br_bytes(r, 2);
    return p ? lt_le16(p) : 0;
}
static inline uint32_t lt_br_le24(struct lt_byte_reader *r)
{
    const uint8_t *p = lt_br_bytes(r, 3);
    return p ? lt_le24(p) : 0;
}
static inline uint32_t lt_br_le32(struct lt_byte_reader *r)
{
    const uint8_t *p = lt_br_bytes(r, 4);
    return p ? lt_le32(p) : 0;
}
static inline uint64_t lt_br_le48(struct lt_byte_reader *r)
{
    const uint8_t *p = lt_br_bytes(r, 6);
    return p ? lt_le48(p) : 0;
}
static inline uint64_t lt_br_le64(struct lt_byte_reader *r)
{
    const uint8_t *p = lt_br_bytes(r, 8);
    return p ? lt_le64(p) : 0;
}
static inline uint32_t lt_br_be16(struct lt_byte_reader *r)
{
    const uint8_t *p = lt_br_bytes(r, 2);
    return p ? lt_be16(p) : 0;
}
static inline uint32_t lt_br_be32(struct lt_byte_reader *r)
{
    const uint8_t *p = lt_br_bytes(r, 4);
    return p ? lt_be32(p) : 0;
}
static inline uint64_t lt_br_be64(struct lt_byte_reader *r)
{
    const uint8_t *p = lt_br_bytes(r, 8);
    return p ? lt_be64(p) : 0;
}

#endif
