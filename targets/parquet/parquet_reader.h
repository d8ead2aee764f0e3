/* A Parquet reader for the merge job: flat files (every leaf a direct child of the root, none repeated), read one
 * row group at a time and one page per column at a time, yielding each row as canonical text values (the inverse
 * of the writer's parsing; see parquet_values.h).
 *
 * Supported: PLAIN, PLAIN_DICTIONARY, RLE_DICTIONARY, RLE (booleans) value encodings; RLE/bit-packed definition
 * levels; data pages v1 and v2; UNCOMPRESSED, SNAPPY, GZIP, ZSTD; INT96 timestamps; page CRCs are verified.
 * Refused with an error naming the feature: nested or repeated columns, encryption, other codecs (LZ4, LZO,
 * BROTLI, LZ4_RAW), other encodings (DELTA_*, BYTE_STREAM_SPLIT, BIT_PACKED levels). Malformed files are errors;
 * every length is bounded by the file size before anything is allocated for it. */
#ifndef LOGTAP_PARQUET_READER_H
#define LOGTAP_PARQUET_READER_H

#include <stddef.h>
#include <stdint.h>

#include "agent/error.h"
#include "agent/record.h"
#include "agent/target.h"

struct lt_parquet_reader;

int lt_parquet_reader_open(const char *path, struct lt_parquet_reader **out, struct lt_error *err);
/* Reads a file held in memory (the buffer must outlive the reader); for tests and fuzzing. */
int lt_parquet_reader_open_mem(const void *data, size_t len, struct lt_parquet_reader **out, struct lt_error *err);

/* The file's columns as a table schema (schema and table names empty; nullable = OPTIONAL). */
const struct lt_table_schema *lt_parquet_reader_schema(const struct lt_parquet_reader *r);
int64_t lt_parquet_reader_num_rows(const struct lt_parquet_reader *r);
int lt_parquet_reader_row_groups(const struct lt_parquet_reader *r);
/* The created_by string of the file ("" when absent). */
const char *lt_parquet_reader_created_by(const struct lt_parquet_reader *r);

/* Next row: returns 1 and points *vals at ncols values (valid until the next call), 0 at the end, or -1 with err
 * set. Values are NULL or PRESENT. */
int lt_parquet_reader_next(struct lt_parquet_reader *r, const struct lt_value **vals, struct lt_error *err);

void lt_parquet_reader_close(struct lt_parquet_reader *r);

/* The Parquet target's reader side (agent/target.h): a file whose column count is not the manifest's is refused
 * when it is opened. */
int lt_parquet_target_reader_open(struct lt_target_reader **r, const char *path, const struct lt_target_config *cfg,
                                  int ncols, const char *nosup, struct lt_error *err);
int lt_parquet_target_reader_next(struct lt_target_reader *r, const struct lt_value **vals, struct lt_error *err);
void lt_parquet_target_reader_close(struct lt_target_reader *r);

#endif
