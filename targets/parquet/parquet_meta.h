/* Parquet's Thrift structures (parquet.thrift, apache/parquet-format), as far as a flat writer and reader need
 * them: FileMetaData, SchemaElement, LogicalType, RowGroup, ColumnChunk, ColumnMetaData, Statistics, KeyValue,
 * PageHeader, DataPageHeader, DataPageHeaderV2, DictionaryPageHeader.
 *
 * Field ids used (unknown ids are skipped on decode):
 *   FileMetaData   1 version i32, 2 schema list<SchemaElement>, 3 num_rows i64, 4 row_groups list<RowGroup>,
 *                  5 key_value_metadata list<KeyValue>, 6 created_by string, 7 column_orders list<ColumnOrder>,
 *                  8 encryption_algorithm (only its presence matters)
 *   SchemaElement  1 type, 2 type_length, 3 repetition_type, 4 name, 5 num_children, 6 converted_type, 7 scale,
 *                  8 precision, 9 field_id, 10 logicalType
 *   LogicalType    union: 1 STRING, 4 ENUM, 5 DECIMAL{1 scale, 2 precision}, 6 DATE, 7 TIME{1 utc, 2 unit},
 *                  8 TIMESTAMP{1 utc, 2 unit}, 10 INTEGER{1 bitWidth i8, 2 isSigned}, 12 JSON, 13 BSON, 14 UUID,
 *                  15 FLOAT16 ... ; TimeUnit union: 1 MILLIS, 2 MICROS, 3 NANOS
 *   RowGroup       1 columns list<ColumnChunk>, 2 total_byte_size, 3 num_rows, 5 file_offset,
 *                  6 total_compressed_size, 7 ordinal i16
 *   ColumnChunk    1 file_path, 2 file_offset, 3 meta_data, 8/9 crypto metadata
 *   ColumnMetaData 1 type, 2 encodings list<i32>, 3 path_in_schema list<string>, 4 codec, 5 num_values,
 *                  6 total_uncompressed_size, 7 total_compressed_size, 9 data_page_offset, 10 index_page_offset,
 *                  11 dictionary_page_offset, 12 statistics
 *   Statistics     1 max, 2 min (legacy), 3 null_count, 4 distinct_count, 5 max_value, 6 min_value
 *   PageHeader     1 type, 2 uncompressed_page_size, 3 compressed_page_size, 4 crc, 5 data_page_header,
 *                  7 dictionary_page_header, 8 data_page_header_v2
 *   DataPageHeader 1 num_values, 2 encoding, 3 definition_level_encoding, 4 repetition_level_encoding, 5 statistics
 *   DataPageHeaderV2 1 num_values, 2 num_nulls, 3 num_rows, 4 encoding, 5 definition_levels_byte_length,
 *                  6 repetition_levels_byte_length, 7 is_compressed (default true), 8 statistics
 *   DictionaryPageHeader 1 num_values, 2 encoding, 3 is_sorted
 *
 * Decoded strings and binaries point into the decoded buffer (which must outlive the structures). */
#ifndef LOGTAP_PARQUET_META_H
#define LOGTAP_PARQUET_META_H

#include <stdbool.h>
#include <stdint.h>

#include "targets/parquet/thrift_compact.h"

enum pq_physical { PQ_BOOLEAN = 0, PQ_INT32 = 1, PQ_INT64 = 2, PQ_INT96 = 3, PQ_FLOAT = 4, PQ_DOUBLE = 5,
                   PQ_BYTE_ARRAY = 6, PQ_FIXED_LEN_BYTE_ARRAY = 7 };
enum pq_repetition { PQ_REQUIRED = 0, PQ_OPTIONAL = 1, PQ_REPEATED = 2 };
enum pq_converted { PQ_CT_UTF8 = 0, PQ_CT_MAP = 1, PQ_CT_MAP_KEY_VALUE = 2, PQ_CT_LIST = 3, PQ_CT_ENUM = 4,
                    PQ_CT_DECIMAL = 5, PQ_CT_DATE = 6, PQ_CT_TIME_MILLIS = 7, PQ_CT_TIME_MICROS = 8,
                    PQ_CT_TIMESTAMP_MILLIS = 9, PQ_CT_TIMESTAMP_MICROS = 10, PQ_CT_UINT_8 = 11,
                    PQ_CT_UINT_16 = 12, PQ_CT_UINT_32 = 13, PQ_CT_UINT_64 = 14, PQ_CT_INT_8 = 15,
                    PQ_CT_INT_16 = 16, PQ_CT_INT_32 = 17, PQ_CT_INT_64 = 18, PQ_CT_JSON = 19, PQ_CT_BSON = 20,
                    PQ_CT_INTERVAL = 21 };
enum pq_encoding { PQ_ENC_PLAIN = 0, PQ_ENC_PLAIN_DICTIONARY = 2, PQ_ENC_RLE = 3, PQ_ENC_BIT_PACKED = 4,
                   PQ_ENC_DELTA_BINARY_PACKED = 5, PQ_ENC_DELTA_LENGTH_BYTE_ARRAY = 6, PQ_ENC_DELTA_BYTE_ARRAY = 7,
                   PQ_ENC_RLE_DICTIONARY = 8, PQ_ENC_BYTE_STREAM_SPLIT = 9 };
enum pq_codec { PQ_CODEC_UNCOMPRESSED = 0, PQ_CODEC_SNAPPY = 1, PQ_CODEC_GZIP = 2, PQ_CODEC_LZO = 3,
                PQ_CODEC_BROTLI = 4, PQ_CODEC_LZ4 = 5, PQ_CODEC_ZSTD = 6, PQ_CODEC_LZ4_RAW = 7 };
enum pq_page_type { PQ_PAGE_DATA = 0, PQ_PAGE_INDEX = 1, PQ_PAGE_DICTIONARY = 2, PQ_PAGE_DATA_V2 = 3 };
/* LogicalType union members, by field id. */
enum pq_logical_kind { PQ_LT_NONE = 0, PQ_LT_STRING = 1, PQ_LT_MAP = 2, PQ_LT_LIST = 3, PQ_LT_ENUM = 4,
                       PQ_LT_DECIMAL = 5, PQ_LT_DATE = 6, PQ_LT_TIME = 7, PQ_LT_TIMESTAMP = 8,
                       PQ_LT_INTEGER = 10, PQ_LT_UNKNOWN = 11, PQ_LT_JSON = 12, PQ_LT_BSON = 13, PQ_LT_UUID = 14,
                       PQ_LT_FLOAT16 = 15, PQ_LT_OTHER = 99 };
enum pq_time_unit { PQ_UNIT_MILLIS = 1, PQ_UNIT_MICROS = 2, PQ_UNIT_NANOS = 3 };

struct pq_bytes {
    const uint8_t *p; /* NULL when absent */
    uint32_t len;
};

struct pq_logical {
    int kind;          /* enum pq_logical_kind */
    int32_t scale, precision;
    bool utc;
    int unit;          /* enum pq_time_unit */
    int bit_width;
    bool is_signed;
};

struct pq_schema_element {
    bool has_type;
    int32_t type;
    int32_t type_length;
    bool has_repetition;
    int32_t repetition;
    struct pq_bytes name;
    int32_t num_children;
    bool has_converted;
    int32_t converted;
    int32_t scale, precision;
    struct pq_logical logical;
};

struct pq_statistics {
    bool present;
    bool has_null_count;
    int64_t null_count;
    struct pq_bytes min_value, max_value;
    struct pq_bytes legacy_min, legacy_max;
};

#define PQ_MAX_ENCODINGS 16

struct pq_column_meta {
    int32_t type;
    int n_encodings;
    int32_t encodings[PQ_MAX_ENCODINGS];
    int path_len;
    struct pq_bytes path0;  /* first path element (all a flat file has) */
    int32_t codec;
    int64_t num_values;
    int64_t total_uncompressed_size, total_compressed_size;
    int64_t data_page_offset;
    bool has_dictionary_page_offset;
    int64_t dictionary_page_offset;
    struct pq_statistics stats;
};

struct pq_column_chunk {
    struct pq_bytes file_path;
    int64_t file_offset;
    bool has_meta;
    bool encrypted;
    struct pq_column_meta meta;
};

struct pq_row_group {
    int ncolumns;
    struct pq_column_chunk *columns;
    int64_t total_byte_size;
    int64_t num_rows;
    int64_t file_offset;
    int64_t total_compressed_size;
    int16_t ordinal;
};

struct pq_key_value {
    struct pq_bytes key, value;
};

struct pq_file_meta {
    int32_t version;
    int nschema;
    struct pq_schema_element *schema;
    int64_t num_rows;
    int nrow_groups;
    struct pq_row_group *row_groups;
    int nkv;
    struct pq_key_value *kv;
    struct pq_bytes created_by;
    int ncolumn_orders;      /* written as TYPE_ORDER for every column */
    bool encrypted;          /* encryption_algorithm present */
};

struct pq_data_page_header {
    int32_t num_values, encoding, def_encoding, rep_encoding;
    struct pq_statistics stats;
};

struct pq_data_page_header_v2 {
    int32_t num_values, num_nulls, num_rows, encoding, def_len, rep_len;
    bool is_compressed;
    struct pq_statistics stats;
};

struct pq_dictionary_page_header {
    int32_t num_values, encoding;
    bool is_sorted;
};

struct pq_page_header {
    int32_t type, uncompressed_page_size, compressed_page_size;
    bool has_crc;
    int32_t crc;
    bool has_data, has_data_v2, has_dictionary;
    struct pq_data_page_header data;
    struct pq_data_page_header_v2 data_v2;
    struct pq_dictionary_page_header dictionary;
};

void pq_encode_file_meta(struct tc_writer *w, const struct pq_file_meta *fm);
void pq_encode_page_header(struct tc_writer *w, const struct pq_page_header *ph);

/* Decoders return true on success; on failure r->error says why. pq_decode_file_meta allocates arrays that
 * pq_file_meta_free releases (also after a failed decode). */
bool pq_decode_file_meta(struct tc_reader *r, struct pq_file_meta *fm);
void pq_file_meta_free(struct pq_file_meta *fm);
bool pq_decode_page_header(struct tc_reader *r, struct pq_page_header *ph);

#endif
