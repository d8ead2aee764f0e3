/* Page compression codecs (see parquet_codec.h), on top of snappy-c, zlib and libzstd. */
#include "targets/parquet/parquet_codec.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>

#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "targets/parquet/parquet_meta.h"

const char *pq_codec_name(int codec)
{
    switch (codec) {
    case PQ_CODEC_UNCOMPRESSED: return "UNCOMPRESSED";
    case PQ_CODEC_SNAPPY: return "SNAPPY";
    case PQ_CODEC_GZIP: return "GZIP";
    case PQ_CODEC_LZO: return "LZO";
    case PQ_CODEC_BROTLI: return "BROTLI";
    case PQ_CODEC_LZ4: return "LZ4";
    case PQ_CODEC_ZSTD: return "ZSTD";
    case PQ_CODEC_LZ4_RAW: return "LZ4_RAW";
    default: return "unknown";
    }
}

int pq_codec_supported(int codec)
{
    return codec == PQ_CODEC_UNCOMPRESSED || codec == PQ_CODEC_SNAPPY || codec == PQ_CODEC_GZIP ||
           codec == PQ_CODEC_ZSTD;
}

/* zstd level 2 rather than libzstd's default 3 (which DuckDB writes with). Measured on 1 MB Parquet pages of the
 * benchmark table (1M rows; bench/RESULTS.md): level 2 compresses them 1.5-1.9x faster and 4 % smaller in total, as
 * level 3's shorter minimum match finds matches in hex and other high-entropy text that cost more than they
 * save (name 18.45 -> 17.31 MB, id 1.32 -> 1.22 MB, price 1.14 -> 1.00 MB), while timestamps come out 13 %
 * larger (created 3.09 -> 3.50 MB). On English prose (the GPL text) level 2 is 4 % larger than level 3. */
#define ZSTD_LEVEL 2

struct pq_compressor {
    ZSTD_CCtx *zstd;
    z_stream gz;
    bool gz_ready;
};

struct pq_compressor *pq_compressor_new(void)
{
    return calloc(1, sizeof(struct pq_compressor));
}

void pq_compressor_free(struct pq_compressor *c)
{
    if (!c)
        return;
    ZSTD_freeCCtx(c->zstd);
    if (c->gz_ready)
        deflateEnd(&c->gz);
    free(c);
}

static int gzip_compress(struct pq_compressor *ctx, const uint8_t *in, size_t len, struct byte_buffer *out,
                         const char **why)
{
    z_stream local = {0}, *zs = ctx ? &ctx->gz : &local;
    if (ctx && ctx->gz_ready) {
        if (deflateReset(zs) != Z_OK) {
            *why = "gzip: deflateReset failed";
            return -1;
        }
    } else {
        if (deflateInit2(zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            *why = "gzip: deflateInit2 failed";
            return -1;
        }
        if (ctx)
            ctx->gz_ready = true;
    }
    int rc = Z_STREAM_ERROR;
    size_t bound = deflateBound(zs, (uLong)len) + 32;
    if (len > UINT_MAX || bound > UINT_MAX) {
        *why = "gzip: page too large";
    } else if (!bb_reserve(out, bound)) {
        *why = "out of memory";
    } else {
        zs->next_in = (Bytef *)in;
        zs->avail_in = (uInt)len;
        zs->next_out = out->data;
        zs->avail_out = (uInt)bound;
        rc = deflate(zs, Z_FINISH);
        out->len = zs->total_out;
        if (rc != Z_STREAM_END)
            *why = "gzip: deflate failed";
    }
    if (!ctx)
        deflateEnd(zs);
    return rc == Z_STREAM_END ? 0 : -1;
}

static int gzip_decompress(const uint8_t *in, size_t len, size_t expected, struct byte_buffer *out,
                           const char **why)
{
    z_stream zs = {0};
    if (inflateInit2(&zs, 15 + 32) != Z_OK) {
        *why = "gzip: inflateInit2 failed";
        return -1;
    }
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)len;
    zs.next_out = out->data;
    zs.avail_out = (uInt)expected;
    int rc;
    for (;;) {
        rc = inflate(&zs, Z_FINISH);
        if (rc == Z_STREAM_END && zs.avail_in > 0) {
            /* concatenated gzip members */
            if (inflateReset(&zs) != Z_OK)
                break;
            continue;
        }
        break;
    }
    size_t produced = expected - zs.avail_out;
    int leftover = zs.avail_in > 0;
    inflateEnd(&zs);
    if (rc != Z_STREAM_END || leftover) {
        *why = rc == Z_BUF_ERROR || leftover ? "gzip: data larger than the page's declared size or truncated"
                                              : "gzip: corrupt data";
        return -1;
    }
    out->len = produced;
    return 0;
}

int pq_compress(struct pq_compressor *ctx, int codec, const uint8_t *in, size_t len, struct byte_buffer *out,
                const char **why)
{
    bb_reset(out);
    switch (codec) {
    case PQ_CODEC_UNCOMPRESSED:
        bb_append(out, in, len);
        break;
    case PQ_CODEC_SNAPPY: {
        size_t cap = snappy_max_compressed_length(len);
        if (!bb_reserve(out, cap))
            break;
        size_t n = cap;
        if (snappy_compress((const char *)in, len, (char *)out->data, &n) != SNAPPY_OK) {
            *why = "snappy: compression failed";
            return -1;
        }
        out->len = n;
        break;
    }
    case PQ_CODEC_GZIP:
        return gzip_compress(ctx, in, len, out, why);
    case PQ_CODEC_ZSTD: {
        size_t cap = ZSTD_compressBound(len);
        if (!bb_reserve(out, cap))
            break;
        if (ctx && !ctx->zstd && !(ctx->zstd = ZSTD_createCCtx())) {
            *why = "out of memory";
            return -1;
        }
        size_t n = ctx ? ZSTD_compressCCtx(ctx->zstd, out->data, cap, in, len, ZSTD_LEVEL)
                       : ZSTD_compress(out->data, cap, in, len, ZSTD_LEVEL);
        if (ZSTD_isError(n)) {
            *why = "zstd: compression failed";
            return -1;
        }
        out->len = n;
        break;
    }
    default:
        *why = "unsupported compression codec";
        return -1;
    }
    if (out->oom) {
        *why = "out of memory";
        return -1;
    }
    return 0;
}

int pq_decompress(int codec, const uint8_t *in, size_t len, size_t expected_len, struct byte_buffer *out,
                  const char **why)
{
    bb_reset(out);
    /* Check the declared size against what the compressed bytes can hold before allocating it. */
    size_t declared = 0;
    unsigned long long zsize;
    switch (codec) {
    case PQ_CODEC_UNCOMPRESSED:
        if (len != expected_len) {
            *why = "uncompressed page size does not match its compressed size";
            return -1;
        }
        break;
    case PQ_CODEC_SNAPPY:
        if (snappy_uncompressed_length((const char *)in, len, &declared) != SNAPPY_OK || declared != expected_len) {
            *why = "snappy: corrupt data or wrong uncompressed size";
            return -1;
        }
        break;
    case PQ_CODEC_GZIP:
        if (expected_len / 1100 > len + 64) { /* deflate expands at most ~1032:1 */
            *why = "gzip: declared uncompressed size impossible for the compressed size";
            return -1;
        }
        break;
    case PQ_CODEC_ZSTD:
        zsize = ZSTD_getFrameContentSize(in, len);
        if (zsize == ZSTD_CONTENTSIZE_ERROR || (zsize != ZSTD_CONTENTSIZE_UNKNOWN && zsize > expected_len)) {
            *why = "zstd: corrupt data or wrong uncompressed size";
            return -1;
        }
        /* a zstd block expands at most 128 KiB from 3 bytes (an RLE block) */
        if (expected_len / 32768 > len + 64) {
            *why = "zstd: declared uncompressed size impossible for the compressed size";
            return -1;
        }
        break;
    default:
        *why = "unsupported compression codec";
        return -1;
    }
    if (!bb_reserve(out, expected_len + 1)) {
        *why = "out of memory";
        return -1;
    }
    switch (codec) {
    case PQ_CODEC_UNCOMPRESSED:
        if (len != expected_len) {
            *why = "uncompressed page size does not match its compressed size";
            return -1;
        }
        bb_append(out, in, len);
        return 0;
    case PQ_CODEC_SNAPPY: {
        size_t n = 0;
        if (snappy_uncompressed_length((const char *)in, len, &n) != SNAPPY_OK || n != expected_len) {
            *why = "snappy: corrupt data or wrong uncompressed size";
            return -1;
        }
        size_t cap = expected_len + 1;
        if (snappy_uncompress((const char *)in, len, (char *)out->data, &cap) != SNAPPY_OK || cap != expected_len) {
            *why = "snappy: corrupt data";
            return -1;
        }
        out->len = cap;
        return 0;
    }
    case PQ_CODEC_GZIP:
        return gzip_decompress(in, len, expected_len, out, why);
    case PQ_CODEC_ZSTD: {
        size_t n = ZSTD_decompress(out->data, expected_len, in, len);
        if (ZSTD_isError(n) || n != expected_len) {
            *why = "zstd: corrupt data or wrong uncompressed size";
            return -1;
        }
        out->len = n;
        return 0;
    }
    default:
        *why = "unsupported compression codec";
        return -1;
    }
}
