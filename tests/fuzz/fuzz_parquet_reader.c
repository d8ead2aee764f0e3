/* libFuzzer target for the Parquet reader: any byte string is opened as a Parquet file held in memory and read to
 * the end. The reader must return errors, never crash, read out of bounds or allocate without bound.
 * Build (clang only):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -I<build dir> tests/fuzz/fuzz_parquet_reader.c \
 *         <every .c file of targets/parquet> agent/record.c agent/error.c -lsnappy -lz -lzstd -lm \
 *         -o fuzz_parquet_reader
 *   ./fuzz_parquet_reader -rss_limit_mb=2048 tests/fuzz/corpus_parquet_reader
 * The seed corpus holds small files of our writer (every codec, page v1/v2, plain/dictionary). */
#include <stddef.h>
#include <stdint.h>

#include "targets/parquet/parquet_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lt_parquet_reader *r;
    struct lt_error err;
    if (lt_parquet_reader_open_mem(data, size, &r, &err) != 0)
        return 0;
    const struct lt_value *v;
    long rows = 0;
    while (lt_parquet_reader_next(r, &v, &err) == 1 && rows < 1000000)
        rows++;
    lt_parquet_reader_close(r);
    return 0;
}
