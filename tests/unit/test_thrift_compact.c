/* Thrift compact protocol and Parquet metadata structures: round trips, skipping unknown fields of every type,
 * long field-id deltas, and hostile input (truncation at every length, deep nesting, huge counts, random
 * corruption) that must fail cleanly. */
#include <stdlib.h>

#include "targets/parquet/parquet_meta.h"
#include "targets/parquet/thrift_compact.h"
#include "tests/unit/unit.h"

static void build_file_meta(struct pq_file_meta *fm, struct pq_schema_element *se, struct pq_row_group *rg,
                            struct pq_column_chunk *cc, struct pq_key_value *kv)
{
    memset(fm, 0, sizeof *fm);
    memset(se, 0, 3 * sizeof *se);
    se[0].name = (struct pq_bytes){(const uint8_t *)"schema", 6};
    se[0].num_children = 2;
    se[1] = (struct pq_schema_element){.has_type = true, .type = PQ_FIXED_LEN_BYTE_ARRAY, .type_length = 16,
                                       .has_repetition = true, .repetition = PQ_OPTIONAL,
                                       .name = {(const uint8_t *)"amount", 6}, .has_converted = true,
                                       .converted = PQ_CT_DECIMAL, .scale = 10, .precision = 38,
                                       .logical = {.kind = PQ_LT_DECIMAL, .scale = 10, .precision = 38}};
    se[2] = (struct pq_schema_element){.has_type = true, .type = PQ_INT64, .has_repetition = true,
                                       .repetition = PQ_REQUIRED, .name = {(const uint8_t *)"ts", 2},
                                       .logical = {.kind = PQ_LT_TIMESTAMP, .utc = true, .unit = PQ_UNIT_MICROS}};
    memset(cc, 0, 2 * sizeof *cc);
    for (int i = 0; i < 2; i++) {
        cc[i].has_meta = true;
        cc[i].file_offset = 4 + 100 * i;
        cc[i].meta.type = se[1 + i].type;
        cc[i].meta.n_encodings = 3;
        cc[i].meta.encodings[0] = PQ_ENC_RLE;
        cc[i].meta.encodings[1] = PQ_ENC_PLAIN;
        cc[i].meta.encodings[2] = PQ_ENC_RLE_DICTIONARY;
        cc[i].meta.path_len = 1;
        cc[i].meta.path0 = se[1 + i].name;
        cc[i].meta.codec = PQ_CODEC_ZSTD;
        cc[i].meta.num_values = 1000 + i;
        cc[i].meta.total_uncompressed_size = 5000;
        cc[i].meta.total_compressed_size = 100;
        cc[i].meta.data_page_offset = 4 + 100 * i + 20;
        cc[i].meta.has_dictionary_page_offset = true;
        cc[i].meta.dictionary_page_offset = 4 + 100 * i;
        cc[i].meta.stats = (struct pq_statistics){.present = true, .has_null_count = true, .null_count = 7,
                                                  .min_value = {(const uint8_t *)"\x01\x02", 2},
                                                  .max_value = {(const uint8_t *)"\xff", 1}};
    }
    memset(rg, 0, sizeof *rg);
    rg->ncolumns = 2;
    rg->columns = cc;
    rg->num_rows = 1000;
    rg->total_byte_size = 10000;
    rg->file_offset = 4;
    rg->total_compressed_size = 200;
    kv->key = (struct pq_bytes){(const uint8_t *)"k", 1};
    kv->value = (struct pq_bytes){(const uint8_t *)"value", 5};
    fm->version = 2;
    fm->nschema = 3;
    fm->schema = se;
    fm->num_rows = 1000;
    fm->nrow_groups = 1;
    fm->row_groups = rg;
    fm->nkv = 1;
    fm->kv = kv;
    fm->created_by = (struct pq_bytes){(const uint8_t *)"logtap version test", 19};
    fm->ncolumn_orders = 2;
}

static bool bytes_eq(struct pq_bytes b, const char *s)
{
    return b.p && b.len == strlen(s) && memcmp(b.p, s, b.len) == 0;
}

static void encode_sample(struct byte_buffer *out)
{
    struct pq_file_meta fm;
    struct pq_schema_element se[3];
    struct pq_row_group rg;
    struct pq_column_chunk cc[2];
    struct pq_key_value kv;
    build_file_meta(&fm, se, &rg, cc, &kv);
    struct tc_writer w;
    tc_writer_init(&w, out);
    pq_encode_file_meta(&w, &fm);
}

static void test_file_meta_round_trip(void)
{
    struct byte_buffer buf = {0};
    encode_sample(&buf);
    CHECK(!buf.oom);
    struct tc_reader r;
    struct pq_file_meta got;
    tc_reader_init(&r, buf.data, buf.len);
    CHECK(pq_decode_file_meta(&r, &got));
    CHECK(r.error == NULL);
    CHECK(r.p == r.end);
    CHECK_INT(got.version, 2);
    CHECK_INT(got.nschema, 3);
    CHECK(bytes_eq(got.schema[0].name, "schema"));
    CHECK_INT(got.schema[0].num_children, 2);
    CHECK(!got.schema[0].has_type);
    CHECK_INT(got.schema[1].type, PQ_FIXED_LEN_BYTE_ARRAY);
    CHECK_INT(got.schema[1].type_length, 16);
    CHECK_INT(got.schema[1].repetition, PQ_OPTIONAL);
    CHECK_INT(got.schema[1].converted, PQ_CT_DECIMAL);
    CHECK_INT(got.schema[1].precision, 38);
    CHECK_INT(got.schema[1].scale, 10);
    CHECK_INT(got.schema[1].logical.kind, PQ_LT_DECIMAL);
    CHECK_INT(got.schema[1].logical.precision, 38);
    CHECK_INT(got.schema[1].logical.scale, 10);
    CHECK_INT(got.schema[2].logical.kind, PQ_LT_TIMESTAMP);
    CHECK(got.schema[2].logical.utc);
    CHECK_INT(got.schema[2].logical.unit, PQ_UNIT_MICROS);
    CHECK_INT(got.num_rows, 1000);
    CHECK_INT(got.nrow_groups, 1);
    CHECK_INT(got.row_groups[0].ncolumns, 2);
    CHECK_INT(got.row_groups[0].num_rows, 1000);
    const struct pq_column_meta *m = &got.row_groups[0].columns[1].meta;
    CHECK_INT(m->type, PQ_INT64);
    CHECK_INT(m->n_encodings, 3);
    CHECK_INT(m->encodings[2], PQ_ENC_RLE_DICTIONARY);
    CHECK(bytes_eq(m->path0, "ts"));
    CHECK_INT(m->codec, PQ_CODEC_ZSTD);
    CHECK_INT(m->num_values, 1001);
    CHECK_INT(m->data_page_offset, 124);
    CHECK(m->has_dictionary_page_offset);
    CHECK_INT(m->dictionary_page_offset, 104);
    CHECK(m->stats.present && m->stats.has_null_count);
    CHECK_INT(m->stats.null_count, 7);
    CHECK(bytes_eq(m->stats.min_value, "\x01\x02"));
    CHECK(bytes_eq(m->stats.max_value, "\xff"));
    CHECK_INT(got.nkv, 1);
    CHECK(bytes_eq(got.kv[0].key, "k") && bytes_eq(got.kv[0].value, "value"));
    CHECK(bytes_eq(got.created_by, "logtap version test"));
    CHECK_INT(got.ncolumn_orders, 2);
    CHECK(!got.encrypted);
    pq_file_meta_free(&got);
    bb_free(&buf);
}

static void test_page_header_round_trip(void)
{
    struct pq_page_header ph = {.type = PQ_PAGE_DATA_V2, .uncompressed_page_size = 1234567,
                                .compressed_page_size = 4321, .has_crc = true, .crc = -5, .has_data_v2 = true};
    ph.data_v2 = (struct pq_data_page_header_v2){.num_values = 100, .num_nulls = 3, .num_rows = 100,
                                                 .encoding = PQ_ENC_RLE_DICTIONARY, .def_len = 17, .rep_len = 0,
                                                 .is_compressed = false};
    struct byte_buffer buf = {0};
    struct tc_writer w;
    tc_writer_init(&w, &buf);
    pq_encode_page_header(&w, &ph);
    struct tc_reader r;
    struct pq_page_header got;
    tc_reader_init(&r, buf.data, buf.len);
    CHECK(pq_decode_page_header(&r, &got));
    CHECK_INT(got.type, PQ_PAGE_DATA_V2);
    CHECK_INT(got.uncompressed_page_size, 1234567);
    CHECK_INT(got.compressed_page_size, 4321);
    CHECK(got.has_crc);
    CHECK_INT(got.crc, -5);
    CHECK(got.has_data_v2);
    CHECK_INT(got.data_v2.num_nulls, 3);
    CHECK_INT(got.data_v2.def_len, 17);
    CHECK(!got.data_v2.is_compressed);

    struct pq_page_header dict = {.type = PQ_PAGE_DICTIONARY, .uncompressed_page_size = 10,
                                  .compressed_page_size = 10, .has_dictionary = true,
                                  .dictionary = {.num_values = 3, .encoding = PQ_ENC_PLAIN, .is_sorted = true}};
    bb_reset(&buf);
    tc_writer_init(&w, &buf);
    pq_encode_page_header(&w, &dict);
    tc_reader_init(&r, buf.data, buf.len);
    CHECK(pq_decode_page_header(&r, &got));
    CHECK(got.has_dictionary && got.dictionary.is_sorted);
    CHECK_INT(got.dictionary.num_values, 3);

    struct pq_page_header v1 = {.type = PQ_PAGE_DATA, .uncompressed_page_size = 1, .compressed_page_size = 1,
                                .has_data = true,
                                .data = {.num_values = 9, .encoding = PQ_ENC_PLAIN, .def_encoding = PQ_ENC_RLE,
                                         .rep_encoding = PQ_ENC_RLE}};
    bb_reset(&buf);
    tc_writer_init(&w, &buf);
    pq_encode_page_header(&w, &v1);
    tc_reader_init(&r, buf.data, buf.len);
    CHECK(pq_decode_page_header(&r, &got));
    CHECK(got.has_data && !got.has_data_v2);
    CHECK_INT(got.data.num_values, 9);
    CHECK(got.data_v2.is_compressed == false);
    bb_free(&buf);
}

/* A page header with unknown fields of every type between the known ones. */
static void test_skip_unknown_fields(void)
{
    struct byte_buffer buf = {0};
    struct tc_writer w;
    tc_writer_init(&w, &buf);
    tc_struct_begin(&w);
    tc_field_i32(&w, 1, PQ_PAGE_DATA);
    tc_field_bool(&w, 20, true);        /* far delta: long form header */
    tc_field_bool(&w, 21, false);
    tc_field_i8(&w, 22, -3);
    tc_field_i16(&w, 23, -300);
    tc_field_i64(&w, 24, INT64_MIN);
    tc_field_double(&w, 25, 3.5);
    tc_field_binary(&w, 26, "xyz", 3);
    tc_field_list_begin(&w, 27, TC_I64, 20); /* long list header */
    for (int i = 0; i < 20; i++)
        tc_elem_i64(&w, i * 1000003);
    tc_field_list_begin(&w, 28, TC_BOOL_TRUE, 2);
    bb_byte(&buf, 1);
    bb_byte(&buf, 2);
    tc_field_begin(&w, 29, TC_SET);
    tc_list_header(&w, TC_BINARY, 2);
    tc_elem_binary(&w, "a", 1);
    tc_elem_binary(&w, "bc", 2);
    tc_field_begin(&w, 30, TC_MAP);
    tc_write_varint(&buf, 2);
    bb_byte(&buf, (uint8_t)(TC_BINARY << 4 | TC_STRUCT));
    for (int i = 0; i < 2; i++) {
        tc_elem_binary(&w, "key", 3);
        tc_struct_begin(&w);
        tc_field_i32(&w, 1, 5);
        tc_field_struct_begin(&w, 2);
        tc_field_double(&w, 1, 1.0);
        tc_struct_end(&w);
        tc_struct_end(&w);
    }
    tc_field_begin(&w, 31, TC_MAP); /* empty map */
    tc_write_varint(&buf, 0);
    tc_field_struct_begin(&w, 32);
    tc_field_list_begin(&w, 1, TC_STRUCT, 1);
    tc_struct_begin(&w);
    tc_struct_end(&w);
    tc_struct_end(&w);
    /* back to known ids: a smaller id than the last one takes the long form */
    tc_field_i32(&w, 2, 77);
    tc_field_i32(&w, 3, 55);
    tc_field_i16(&w, -7, 1); /* negative id */
    tc_struct_end(&w);
    CHECK(!buf.oom);

    struct tc_reader r;
    struct pq_page_header ph;
    tc_reader_init(&r, buf.data, buf.len);
    CHECK(pq_decode_page_header(&r, &ph));
    CHECK(r.error == NULL);
    CHECK(r.p == r.end);
    CHECK_INT(ph.type, PQ_PAGE_DATA);
    CHECK_INT(ph.uncompressed_page_size, 77);
    CHECK_INT(ph.compressed_page_size, 55);
    bb_free(&buf);
}

static void test_truncation_everywhere(void)
{
    struct byte_buffer buf = {0};
    encode_sample(&buf);
    int failures = 0;
    for (size_t n = 0; n < buf.len; n++) {
        /* a copy of exactly n bytes, so ASan sees any read past the end */
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, buf.data, n);
        struct tc_reader r;
        struct pq_file_meta fm;
        tc_reader_init(&r, copy, n);
        if (!pq_decode_file_meta(&r, &fm))
            failures++;
        CHECK(r.p <= r.end);
        pq_file_meta_free(&fm);
        free(copy);
    }
    CHECK_INT(failures, (long long)buf.len);
    bb_free(&buf);
}

static void test_hostile_input(void)
{
    struct tc_reader r;
    struct pq_file_meta fm;
    /* 100 nested structs in an unknown field */
    uint8_t deep[300];
    size_t n = 0;
    deep[n++] = 0xfc; /* field 15 (unknown), struct */
    for (int i = 0; i < 99; i++)
        deep[n++] = 0x1c; /* field 1, struct */
    memset(deep + n, 0, 100);
    n += 100;
    tc_reader_init(&r, deep, n);
    CHECK(!pq_decode_file_meta(&r, &fm));
    CHECK(r.error && strstr(r.error, "deeply"));
    pq_file_meta_free(&fm);

    /* a list that claims a billion schema elements */
    uint8_t huge[] = {0x29, 0xfc, 0x80, 0x94, 0xeb, 0xdc, 0x03, 0x00};
    tc_reader_init(&r, huge, sizeof huge);
    CHECK(!pq_decode_file_meta(&r, &fm));
    CHECK(r.error && strstr(r.error, "list size"));
    pq_file_meta_free(&fm);

    /* a binary whose length runs past the end */
    uint8_t longbin[] = {0x68, 0x7f, 'a', 'b'};
    tc_reader_init(&r, longbin, sizeof longbin);
    CHECK(!pq_decode_file_meta(&r, &fm));
    pq_file_meta_free(&fm);

    /* an endless varint */
    uint8_t varint[16];
    memset(varint, 0xff, sizeof varint);
    varint[0] = 0x16; /* field 1, i64 */
    tc_reader_init(&r, varint, sizeof varint);
    CHECK(!pq_decode_file_meta(&r, &fm));
    pq_file_meta_free(&fm);

    /* an unknown type nibble */
    uint8_t badtype[] = {0x1d, 0x00};
    tc_reader_init(&r, badtype, sizeof badtype);
    CHECK(!pq_decode_file_meta(&r, &fm));
    pq_file_meta_free(&fm);

    /* a known field with the wrong wire type (version as binary) */
    uint8_t wrong[] = {0x18, 0x01, 'x', 0x00};
    tc_reader_init(&r, wrong, sizeof wrong);
    CHECK(!pq_decode_file_meta(&r, &fm));
    pq_file_meta_free(&fm);
}

static void test_random_corruption(void)
{
    struct byte_buffer buf = {0};
    encode_sample(&buf);
    srand(12345);
    int decoded = 0;
    for (int iter = 0; iter < 20000; iter++) {
        uint8_t *copy = malloc(buf.len);
        memcpy(copy, buf.data, buf.len);
        int flips = 1 + rand() % 4;
        for (int k = 0; k < flips; k++)
            copy[rand() % buf.len] = (uint8_t)rand();
        size_t len = rand() % 8 == 0 ? (size_t)rand() % buf.len : buf.len;
        struct tc_reader r;
        struct pq_file_meta fm;
        tc_reader_init(&r, copy, len);
        if (pq_decode_file_meta(&r, &fm))
            decoded++;
        pq_file_meta_free(&fm);
        free(copy);
    }
    CHECK(decoded > 0); /* some mutations stay valid; none may crash */
    bb_free(&buf);
}

int main(void)
{
    RUN(test_file_meta_round_trip);
    RUN(test_page_header_round_trip);
    RUN(test_skip_unknown_fields);
    RUN(test_truncation_everywhere);
    RUN(test_hostile_input);
    RUN(test_random_corruption);
    return unit_report();
}
