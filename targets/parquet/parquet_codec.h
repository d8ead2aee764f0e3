/* Page compression for Parquet: UNCOMPRESSED, SNAPPY (raw snappy block), GZIP (gzip members, concatenated members
 * accepted on read) and ZSTD (one or more frames). Decompression must produce exactly the page's declared size. */
#ifndef LOGTAP_PARQUET_CODEC_H
#define LOGTAP_PARQUET_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "targets/parquet/byte_buffer.h"

/* Name of a Parquet CompressionCodec value, for messages. */
const char *pq_codec_name(int codec);
/* True when this codec can be read and written here. */
int pq_codec_supported(int codec);

/* Reusable compression state of one writer (a zstd context, a deflate stream), so that each page does not set up
 * and tear down the codec's tables again. */
struct pq_compressor;
/* NULL when out of memory. */
struct pq_compressor *pq_compressor_new(void);
void pq_compressor_free(struct pq_compressor *c);

/* Replaces out's contents with in compressed by codec, using ctx's state (ctx may be NULL: one-shot). Returns 0,
 * or -1 with *why set. */
int pq_compress(struct pq_compressor *ctx, int codec, const uint8_t *in, size_t len, struct byte_buffer *out,
                const char **why);
/* Replaces out's contents with in decompressed; the result must be exactly expected_len bytes. */
int pq_decompress(int codec, const uint8_t *in, size_t len, size_t expected_len, struct byte_buffer *out,
                  const char **why);

#endif
