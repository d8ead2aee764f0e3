/* Column-chunk dictionary for the Parquet writer (see parquet_dict.h). */
#include "targets/parquet/parquet_dict.h"

#include "targets/parquet/parquet_rle.h"

#define DICT_MIN_SLOTS 1024u
#define HASH_MUL UINT64_C(0x9e3779b97f4a7c15) /* 2^64 / golden ratio, for multiplicative hashing */

/* Hash of a value: eight bytes per step, each step multiplied and folded so every input bit reaches the upper
 * half, whose bits index the table. */
static uint32_t hash_bytes(const uint8_t *p, uint32_t len)
{
    uint64_t h = (uint64_t)len * HASH_MUL;
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * HASH_MUL;
        h ^= h >> 29;
        p += 8;
        len -= 8;
    }
    if (len) {
        uint64_t w = 0;
        for (uint32_t i = 0; i < len; i++)
            w |= (uint64_t)p[i] << (8 * i);
        h = (h ^ w) * HASH_MUL;
        h ^= h >> 29;
    }
    h *= HASH_MUL;
    return (uint32_t)(h >> 32);
}

void pq_dict_init(struct pq_dict *d, bool length_prefix)
{
    memset(d, 0, sizeof *d);
    d->length_prefix = length_prefix;
    d->last = UINT32_MAX;
}

void pq_dict_clear(struct pq_dict *d)
{
    bb_reset(&d->data);
    bb_reset(&d->ents);
    if (d->slots && d->count)
        memset(d->slots, 0, (size_t)d->cap * sizeof *d->slots);
    d->count = 0;
    d->last = UINT32_MAX;
}

void pq_dict_free(struct pq_dict *d)
{
    bb_free(&d->data);
    bb_free(&d->ents);
    free(d->slots);
    d->slots = NULL;
    d->cap = d->count = 0;
    d->last = UINT32_MAX;
}

static bool grow(struct pq_dict *d)
{
    if (d->cap > UINT32_MAX / 4)
        return false;
    uint32_t cap = d->cap ? d->cap * 2 : DICT_MIN_SLOTS;
    struct pq_dict_slot *s = calloc(cap, sizeof *s);
    if (!s)
        return false;
    for (uint32_t i = 0; i < d->cap; i++) {
        if (!d->slots[i].idx1)
            continue;
        uint32_t at = d->slots[i].hash & (cap - 1);
        while (s[at].idx1)
            at = (at + 1) & (cap - 1);
        s[at] = d->slots[i];
    }
    free(d->slots);
    d->slots = s;
    d->cap = cap;
    return true;
}

static inline bool same(const struct pq_dict *d, uint32_t idx, const uint8_t *p, uint32_t len)
{
    const uint8_t *q;
    uint32_t qlen;
    pq_dict_entry(d, idx, &q, &qlen);
    if (qlen != len)
        return false;
    /* the fixed widths of INT32/FLOAT and INT64/DOUBLE columns, without a call */
    if (len == 4) {
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, q, 4);
        return a == b;
    }
    if (len == 8) {
        uint64_t a, b;
        memcpy(&a, p, 8);
        memcpy(&b, q, 8);
        return a == b;
    }
    return len == 0 || memcmp(p, q, len) == 0;
}

int pq_dict_index(struct pq_dict *d, const uint8_t *p, uint32_t len, uint32_t *idx)
{
    /* Runs of one value (a constant column, sorted data) are found without hashing. */
    if (d->last != UINT32_MAX && same(d, d->last, p, len)) {
        *idx = d->last;
        return 0;
    }
    if ((uint64_t)(d->count + 1) * 2 > d->cap && !grow(d))
        return -1;
    uint32_t h = hash_bytes(p, len);
    uint32_t mask = d->cap - 1, at = h & mask;
    while (d->slots[at].idx1) {
        if (d->slots[at].hash == h && same(d, d->slots[at].idx1 - 1, p, len)) {
            *idx = d->last = d->slots[at].idx1 - 1;
            return 0;
        }
        at = (at + 1) & mask;
    }
    if (d->count == UINT32_MAX - 1 || d->data.len > UINT32_MAX - 4 - (size_t)len)
        return -1;
    size_t data_len = d->data.len;
    if (d->length_prefix)
        bb_u32le(&d->data, len);
    uint32_t ent[2] = {(uint32_t)d->data.len, len};
    bb_append(&d->data, p, len);
    bb_append(&d->ents, ent, 8);
    if (d->data.oom || d->ents.oom) {
        /* undo, so the dictionary stays consistent (the buffers' oom flags stay set) */
        d->data.len = data_len;
        d->ents.len = (size_t)d->count * 8;
        return -1;
    }
    d->slots[at].idx1 = d->count + 1;
    d->slots[at].hash = h;
    *idx = d->last = d->count++;
    return 1;
}

int pq_dict_index_bit_width(uint32_t count)
{
    int bw = pq_bit_width(count > 0 ? count - 1 : 0);
    return bw < 1 ? 1 : bw;
}

bool pq_dict_pays_off(uint64_t nvalues, uint64_t plain_bytes, uint32_t count, uint64_t dict_bytes)
{
    uint64_t index_bytes = (nvalues * (uint64_t)pq_dict_index_bit_width(count) + 7) / 8;
    return dict_bytes + index_bytes < plain_bytes;
}
