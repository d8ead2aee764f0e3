/* RLE / bit-packing hybrid encoder and streaming decoder (layout in parquet_rle.h). */
#include "targets/parquet/parquet_rle.h"

int pq_bit_width(uint32_t max_value)
{
    return max_value ? 32 - __builtin_clz(max_value) : 0;
}

static void put_varint(struct byte_buffer *out, uint64_t v)
{
    while (v >= 0x80) {
        bb_byte(out, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    bb_byte(out, (uint8_t)v);
}

static void emit_rle(struct byte_buffer *out, uint32_t value, size_t count, int bw)
{
    put_varint(out, (uint64_t)count << 1);
    for (int i = 0; i < (bw + 7) / 8; i++)
        bb_byte(out, (uint8_t)(value >> (8 * i)));
}

void pq_rle_encode_run(uint32_t value, size_t count, int bw, struct byte_buffer *out)
{
    emit_rle(out, value, count, bw);
}

/* Bit-packs vals[0..n) as ceil(n/8) groups, padding with zeros. */
static void emit_bitpacked(struct byte_buffer *out, const uint32_t *vals, size_t n, int bw)
{
    size_t groups = (n + 7) / 8;
    put_varint(out, (uint64_t)groups << 1 | 1);
    size_t nbytes = groups * (size_t)bw;
    if (!bb_reserve(out, nbytes))
        return;
    uint8_t *dst = out->data + out->len;
    memset(dst, 0, nbytes);
    uint64_t bit = 0;
    for (size_t i = 0; i < n; i++, bit += (uint64_t)bw) {
        uint64_t v = vals[i];
        size_t byte = (size_t)(bit >> 3);
        int shift = (int)(bit & 7);
        v <<= shift;
        for (int k = 0; k < (shift + bw + 7) / 8 && byte + (size_t)k < nbytes; k++)
            dst[byte + (size_t)k] |= (uint8_t)(v >> (8 * k));
    }
    out->len += nbytes;
}

void pq_rle_encode(const uint32_t *vals, size_t n, int bw, struct byte_buffer *out)
{
    size_t lit_start = 0, lit = 0; /* pending literal values vals[lit_start .. lit_start+lit) */
    size_t i = 0;
    while (i < n) {
        size_t run = 1;
        while (i + run < n && vals[i + run] == vals[i])
            run++;
        if (run >= 8) {
            /* Fill the pending literals up to a whole group first. */
            size_t pad = (8 - lit % 8) % 8;
            if (lit > 0 && pad > 0) {
                size_t take = pad < run ? pad : run;
                lit += take;
                i += take;
                run -= take;
            }
            if (run >= 8) {
                if (lit > 0)
                    emit_bitpacked(out, vals + lit_start, lit, bw);
                emit_rle(out, vals[i], run, bw);
                i += run;
                lit = 0;
                lit_start = i;
                continue;
            }
            /* fewer than 8 left: they become literals below */
        }
        if (lit == 0)
            lit_start = i;
        lit += run;
        i += run;
    }
    if (lit > 0)
        emit_bitpacked(out, vals + lit_start, lit, bw);
}

int pq_rle_init(struct pq_rle_decoder *d, const uint8_t *p, size_t len, int bw)
{
    memset(d, 0, sizeof *d);
    if (bw < 0 || bw > 32)
        return -1;
    d->p = p;
    d->end = len ? p + len : p;
    d->bw = bw;
    return 0;
}

static int read_header(struct pq_rle_decoder *d)
{
    uint64_t h = 0;
    int shift = 0;
    for (;;) {
        if (d->p >= d->end || shift > 35)
            return -1;
        uint8_t b = *d->p++;
        h |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80))
            break;
    }
    if (h & 1) {
        uint64_t count = (h >> 1) * 8;
        size_t avail = (size_t)(d->end - d->p);
        uint64_t need = (h >> 1) * (uint64_t)d->bw;
        if (d->bw > 0 && need > avail) {
            /* a truncated final run: only the values whose bits are present */
            uint64_t fit = (uint64_t)avail * 8 / (uint64_t)d->bw;
            if (fit < count)
                count = fit;
            need = avail;
        }
        if (count > UINT32_MAX)
            count = UINT32_MAX;
        d->bp = d->p;
        d->bp_end = d->p + need;
        d->bp_bit = 0;
        d->bp_left = (uint32_t)count;
        d->p += need;
    } else {
        uint64_t count = h >> 1;
        int nbytes = (d->bw + 7) / 8;
        if ((size_t)(d->end - d->p) < (size_t)nbytes)
            return -1;
        uint32_t v = 0;
        for (int i = 0; i < nbytes; i++)
            v |= (uint32_t)d->p[i] << (8 * i);
        d->p += nbytes;
        if (d->bw < 32 && (v >> d->bw) != 0)
            return -1;
        if (count > UINT32_MAX)
            count = UINT32_MAX;
        d->rle_left = (uint32_t)count;
        d->rle_value = v;
    }
    return 0;
}

int pq_rle_next(struct pq_rle_decoder *d, uint32_t *v)
{
    while (d->rle_left == 0 && d->bp_left == 0)
        if (read_header(d) < 0)
            return -1;
    if (d->rle_left > 0) {
        d->rle_left--;
        *v = d->rle_value;
        return 0;
    }
    d->bp_left--;
    if (d->bw == 0) {
        *v = 0;
        return 0;
    }
    size_t byte = (size_t)(d->bp_bit >> 3);
    int shift = (int)(d->bp_bit & 7);
    uint64_t acc = 0;
    size_t avail = (size_t)(d->bp_end - d->bp);
    for (int k = 0; k < 5 && byte + (size_t)k < avail; k++)
        acc |= (uint64_t)d->bp[byte + (size_t)k] << (8 * k);
    uint64_t mask = d->bw == 32 ? 0xffffffffull : ((1ull << d->bw) - 1);
    *v = (uint32_t)((acc >> shift) & mask);
    d->bp_bit += (uint64_t)d->bw;
    return 0;
}
