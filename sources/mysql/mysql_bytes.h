/* Little-endian / big-endian integer readers for the MySQL/MariaDB decoders (the caller has checked the length). */
#ifndef LOGTAP_MYSQL_BYTES_H
#define LOGTAP_MYSQL_BYTES_H

#include <stddef.h>
#include <stdint.h>

static inline uint32_t lt_le16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static inline uint32_t lt_le24(const uint8_t *p) { return lt_le16(p) | (uint32_t)p[2] << 16; }
static inline uint32_t lt_le32(const uint8_t *p) { return lt_le24(p) | (uint32_t)p[3] << 24; }
static inline uint64_t lt_le48(const uint8_t *p) { return (uint64_t)lt_le32(p) | (uint64_t)lt_le16(p + 4) << 32; }
static inline uint64_t lt_le64(const uint8_t *p) { return (uint64_t)lt_le32(p) | (uint64_t)lt_le32(p + 4) << 32; }
static inline uint64_t lt_be_n(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

#endif
