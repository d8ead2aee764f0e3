/* The dictionary of one Parquet column chunk: its distinct PLAIN-encoded values in insertion order (the body of the
 * dictionary page), an open-addressing hash table from a value's bytes to its index, and the rule that decides
 * whether dictionary encoding pays off for a column chunk at all. Nothing is allocated per value: the buffers
 * grow by doubling and are reused across row groups. */
#ifndef LOGTAP_PARQUET_DICT_H
#define LOGTAP_PARQUET_DICT_H

#include <stdbool.h>
#include <stdint.h>

#include "targets/parquet/byte_buffer.h"

struct pq_dict_slot {
    uint32_t idx1; /* entry index + 1; 0 = empty */
    uint32_t hash;
};

struct pq_dict {
    struct byte_buffer data;    /* dictionary page body: the values, PLAIN (with a u32le length for byte arrays) */
    struct byte_buffer ents;    /* per entry: u32 offset of its bytes in data, u32 length */
    struct pq_dict_slot *slots;
    uint32_t cap;               /* slots, a power of two (0 before the first value) */
    uint32_t count;             /* entries */
    uint32_t last;              /* the index found or added last (a cheap first guess), or UINT32_MAX */
    bool length_prefix;         /* BYTE_ARRAY values: each value in data is preceded by its u32le length */
};

/* An empty dictionary; length_prefix for BYTE_ARRAY columns. */
void pq_dict_init(struct pq_dict *d, bool length_prefix);
/* Forgets every entry, keeping the memory for the next column chunk. */
void pq_dict_clear(struct pq_dict *d);
void pq_dict_free(struct pq_dict *d);

/* The index of a value (its PLAIN bytes, without a length prefix), adding it when new. Returns 1 when it was added,
 * 0 when it was there already, -1 when out of memory (the dictionary is unchanged then). */
int pq_dict_index(struct pq_dict *d, const uint8_t *p, uint32_t len, uint32_t *idx);

/* The bytes of entry idx (< count), without the length prefix. */
static inline void pq_dict_entry(const struct pq_dict *d, uint32_t idx, const uint8_t **p, uint32_t *len)
{
    uint32_t ent[2];
    memcpy(ent, d->ents.data + (size_t)idx * 8, 8);
    *p = d->data.data + ent[0];
    *len = ent[1];
}

/* Bit width of the indices of a dictionary with `count` entries (at least 1, as written in data pages). */
int pq_dict_index_bit_width(uint32_t count);

/* Whether dictionary encoding pays off for a column chunk, judged on its first values: `nvalues` non-null values
 * whose PLAIN encoding takes `plain_bytes`, of which `count` are distinct with a dictionary page body of
 * `dict_bytes`. It pays off when the dictionary page plus the bit-packed indices are smaller than PLAIN. Nearly
 * unique columns (keys, timestamps, hashes) fail this on their first few thousand values, so they go PLAIN without
 * hashing every value of the chunk; repetitive ones keep the dictionary (until DictPageSizeLimit). */
bool pq_dict_pays_off(uint64_t nvalues, uint64_t plain_bytes, uint32_t count, uint64_t dict_bytes);

#endif
