/* The RLE / bit-packing hybrid encoding Parquet uses for definition levels, dictionary indices and RLE booleans.
 *
 * Layout (bit width w fixed per stream):
 *   stream     := run*
 *   run        := rle-run | bit-packed-run
 *   rle-run    := varint(count << 1) value   (value in ceil(w/8) bytes, little-endian)
 *   bit-packed := varint(groups << 1 | 1) then groups * w bytes holding groups * 8 values, packed
 *                 least-significant bit first; the last group may be padded with values past the end.
 * A varint is ULEB128. */
#ifndef LOGTAP_PARQUET_RLE_H
#define LOGTAP_PARQUET_RLE_H

#include <stddef.h>
#include <stdint.h>

#include "targets/parquet/byte_buffer.h"

/* Bits needed to store max_value (0 for 0). */
int pq_bit_width(uint32_t max_value);

/* Appends vals[0..n) encoded with bit width bw (0..32) to out. */
void pq_rle_encode(const uint32_t *vals, size_t n, int bw, struct byte_buffer *out);
/* Appends one RLE run: `count` (> 0) times `value`, with bit width bw. */
void pq_rle_encode_run(uint32_t value, size_t count, int bw, struct byte_buffer *out);

struct pq_rle_decoder {
    const uint8_t *p, *end;
    int bw;
    uint32_t rle_left;
    uint32_t rle_value;
    uint32_t bp_left;
    const uint8_t *bp;
    const uint8_t *bp_end;
    uint64_t bp_bit;
};

/* Returns 0, or -1 when bw is out of range. */
int pq_rle_init(struct pq_rle_decoder *d, const uint8_t *p, size_t len, int bw);
/* Next value: 0, or -1 when the stream is exhausted or malformed. */
int pq_rle_next(struct pq_rle_decoder *d, uint32_t *v);

#endif
