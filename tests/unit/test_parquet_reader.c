/* The Parquet reader on files of other writers (../shared/datasets/parquet-testing: parquet-mr, Impala, Spark,
 * Arrow, DuckDB's expectations), on unsupported features (refused, naming the feature), on the malformed files of
 * bad_data/ (refused, never a crash), and on corrupted copies of our own files. Expected values come from the
 * files' .md notes or from DuckDB reading the same files. */
#include <inttypes.h>
#include <stdlib.h>

#include "targets/parquet/parquet_reader.h"
#include "tests/unit/test_parquet_util.h"
#include "tests/unit/unit.h"

#define MAX_KEEP 8

/* Reads a whole file: counts rows, keeps the first rows' text (columns joined by '|', NULL as \N), sums the
 * first column as integers, and counts values equal to given text per column 0. */
struct readout {
    int rc;           /* 0 read to the end, otherwise the failing call's code */
    char err[1024];
    int ncols;
    long rows;
    long nulls;       /* NULLs in column 0 */
    __int128 sum0;    /* integer sum of column 0 */
    char first[MAX_KEEP][512];
};

static void read_file(const char *path, struct readout *o)
{
    memset(o, 0, sizeof *o);
    struct lt_parquet_reader *r;
    struct lt_error err = {0};
    if (lt_parquet_reader_open(path, &r, &err)) {
        o->rc = -2;
        snprintf(o->err, sizeof o->err, "%s", err.msg);
        return;
    }
    o->ncols = lt_parquet_reader_schema(r)->ncols;
    const struct lt_value *v;
    int rc;
    while ((rc = lt_parquet_reader_next(r, &v, &err)) == 1) {
        if (o->rows < MAX_KEEP) {
            char *out = o->first[o->rows];
            size_t n = 0;
            for (int i = 0; i < o->ncols && n < 400; i++) {
                if (i)
                    out[n++] = '|';
                n += (size_t)snprintf(out + n, 512 - n, "%.*s", v[i].state == LT_VALUE_NULL ? 2 : (int)v[i].len,
                                      v[i].state == LT_VALUE_NULL ? "\\N" : v[i].data);
            }
        }
        if (v[0].state == LT_VALUE_NULL)
            o->nulls++;
        else {
            char buf[64];
            snprintf(buf, sizeof buf, "%.*s", (int)(v[0].len < 60 ? v[0].len : 60), v[0].data);
            o->sum0 += strtoll(buf, NULL, 10);
        }
        o->rows++;
    }
    o->rc = rc < 0 ? -1 : 0;
    if (rc < 0)
        snprintf(o->err, sizeof o->err, "%s", err.msg);
    lt_parquet_reader_close(r);
}

static const char *ds(const char *name)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "parquet-testing/%s", name);
    return unit_dataset(buf);
}

static void test_alltypes(void)
{
    const char *p = ds("alltypes_plain.parquet");
    if (!p)
        return;
    struct readout o;
    read_file(p, &o);
    CHECK_INT(o.rc, 0);
    CHECK_INT(o.rows, 8);
    CHECK_INT(o.ncols, 11);
    CHECK_STR(o.first[0], "4|t|0|0|0|0|0|0|\\x30332f30312f3039|\\x30|2009-03-01 00:00:00");
    CHECK_STR(o.first[1], "5|f|1|1|1|10|1.1|10.1|\\x30332f30312f3039|\\x31|2009-03-01 00:01:00");
    CHECK_INT((long long)o.sum0, 28); /* ids 0..7 */

    struct lt_parquet_reader *r;
    struct lt_error err = {0};
    CHECK_INT(lt_parquet_reader_open(p, &r, &err), 0);
    const struct lt_table_schema *s = lt_parquet_reader_schema(r);
    CHECK_STR(s->cols[1].name, "bool_col");
    CHECK_INT(s->cols[1].type, LT_TYPE_BOOL);
    CHECK_INT(s->cols[5].type, LT_TYPE_INT64);
    CHECK_INT(s->cols[6].type, LT_TYPE_FLOAT32);
    CHECK_INT(s->cols[7].type, LT_TYPE_FLOAT64);
    CHECK_INT(s->cols[8].type, LT_TYPE_BYTES);
    CHECK_INT(s->cols[10].type, LT_TYPE_TIMESTAMP); /* INT96 */
    CHECK(strstr(lt_parquet_reader_created_by(r), "impala") != NULL);
    lt_parquet_reader_close(r);

    if ((p = ds("alltypes_dictionary.parquet"))) {
        read_file(p, &o);
        CHECK_INT(o.rc, 0);
        CHECK_INT(o.rows, 2);
        CHECK_STR(o.first[0], "0|t|0|0|0|0|0|0|\\x30312f30312f3039|\\x30|2009-01-01 00:00:00");
        CHECK_STR(o.first[1], "1|f|1|1|1|10|1.1|10.1|\\x30312f30312f3039|\\x31|2009-01-01 00:01:00");
    }
    if ((p = ds("alltypes_plain.snappy.parquet"))) {
        read_file(p, &o);
        CHECK_INT(o.rc, 0);
        CHECK_INT(o.rows, 2);
        CHECK_STR(o.first[0], "6|t|0|0|0|0|0|0|\\x30342f30312f3039|\\x30|2009-04-01 00:00:00");
    }
}

static void test_decimals(void)
{
    static const struct { const char *file; int precision; } files[] = {
        {"int32_decimal.parquet", 4}, {"int64_decimal.parquet", 10}, {"fixed_length_decimal.parquet", 25},
        {"fixed_length_decimal_legacy.parquet", 13}, {"byte_array_decimal.parquet", 4}};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        const char *p = ds(files[f].file);
        if (!p)
            continue;
        struct readout o;
        read_file(p, &o);
        CHECK_INT(o.rc, 0);
        CHECK_INT(o.rows, 24);
        CHECK_STR(o.first[0], "1.00");
        CHECK_STR(o.first[7], "8.00");
        CHECK_INT((long long)o.sum0, 300); /* integer parts 1..24 */
        struct lt_parquet_reader *r;
        struct lt_error err = {0};
        CHECK_INT(lt_parquet_reader_open(p, &r, &err), 0);
        CHECK_INT(lt_parquet_reader_schema(r)->cols[0].type, LT_TYPE_DECIMAL);
        CHECK_INT(lt_parquet_reader_schema(r)->cols[0].precision, files[f].precision);
        CHECK_INT(lt_parquet_reader_schema(r)->cols[0].scale, 2);
        lt_parquet_reader_close(r);
    }
}

static void test_int96(void)
{
    const char *p = ds("int96_from_spark.parquet");
    if (!p)
        return;
    struct readout o;
    read_file(p, &o);
    /* the .md's microseconds: 1704141296123456, 1704070800000000, 253402225200000000, 1735599600000000, null */
    CHECK_STR(o.first[0], "2024-01-01 20:34:56.123456");
    CHECK_STR(o.first[1], "2024-01-01 01:00:00");
    CHECK_STR(o.first[2], "9999-12-31 03:00:00");
    CHECK_STR(o.first[3], "2024-12-30 23:00:00");
    CHECK_STR(o.first[4], "\\N");
    /* the sixth (year 290000) is stored with nanoseconds outside the day: refused, not misread */
    CHECK_INT(o.rows, 5);
    CHECK_INT(o.rc, -1);
    CHECK(strstr(o.err, "INT96") != NULL);
}

static void test_pages_codecs_and_checksums(void)
{
    struct readout o;
    const char *p;
    if ((p = ds("datapage_v1-snappy-compressed-checksum.parquet"))) {
        read_file(p, &o);
        CHECK_INT(o.rc, 0);
        CHECK_INT(o.rows, 5120);
        CHECK_STR(o.first[0], "50462976|1734763876");
        CHECK_INT((long long)o.sum0, 43118090240LL);
    }
    if ((p = ds("concatenated_gzip_members.parquet"))) {
        read_file(p, &o);
        CHECK_INT(o.rc, 0);
        CHECK_INT(o.rows, 513);
        CHECK_INT((long long)o.sum0, 513 * 514 / 2);
    }
    if ((p = ds("int32_with_null_pages.parquet"))) {
        read_file(p, &o);
        CHECK_INT(o.rc, 0);
        CHECK_INT(o.rows, 1000);
        CHECK_INT(o.nulls, 275);
        CHECK_INT((long long)o.sum0, -12383254597LL);
    }
    if ((p = ds("dict-page-offset-zero.parquet"))) {
        read_file(p, &o);
        CHECK_INT(o.rc, 0);
        CHECK_INT(o.rows, 39);
        CHECK_INT((long long)o.sum0, 39 * 1552);
    }
    if ((p = ds("plain-dict-uncompressed-checksum.parquet"))) {
        read_file(p, &o);
        CHECK_INT(o.rc, 0);
        CHECK_INT(o.rows, 1000);
        CHECK_STR(o.first[0], "0|\\x61363535666430652d393934392d343035392d626361652d666436613030326134363532");
    }
    if ((p = ds("rle-dict-snappy-checksum.parquet"))) {
        read_file(p, &o);
        CHECK_INT(o.rc, 0);
        CHECK_INT(o.rows, 1000);
    }
    if ((p = ds("rle_boolean_encoding.parquet"))) {
        read_file(p, &o);
        CHECK_INT(o.rc, 0);
        CHECK_INT(o.rows, 68);
        CHECK_INT(o.nulls, 6);
        CHECK_STR(o.first[0], "t");
        CHECK_STR(o.first[1], "f");
        CHECK_STR(o.first[2], "\\N");
    }
    if ((p = ds("datapage_v2_empty_datapage.snappy.parquet"))) {
        read_file(p, &o);
        CHECK_INT(o.rc, 0);
        CHECK_INT(o.rows, 1);
        CHECK_STR(o.first[0], "\\N");
    }
    if ((p = ds("nan_in_stats.parquet"))) {
        read_file(p, &o);
        CHECK_INT(o.rc, 0);
        CHECK_STR(o.first[0], "1");
        CHECK_STR(o.first[1], "NaN");
    }
    if ((p = ds("binary.parquet"))) {
        read_file(p, &o);
        CHECK_INT(o.rc, 0);
        CHECK_INT(o.rows, 12);
        CHECK_STR(o.first[0], "\\x00");
        CHECK_STR(o.first[7], "\\x07");
    }
    if ((p = ds("unknown-logical-type.parquet"))) {
        read_file(p, &o);
        CHECK_INT(o.rc, 0);
        CHECK_INT(o.rows, 3);
        CHECK_STR(o.first[0], "known string 1|\\x756e6b6e6f776e20737472696e672031");
    }
}

static void test_unsupported_features(void)
{
    static const struct { const char *file, *feature; } cases[] = {
        {"byte_stream_split.zstd.parquet", "BYTE_STREAM_SPLIT"},
        {"delta_length_byte_array.parquet", "DELTA_LENGTH_BYTE_ARRAY"},
        {"lz4_raw_compressed.parquet", "LZ4_RAW"},
        {"nested_lists.snappy.parquet", "nested"},
        {"nonnullable.impala.parquet", "nested"},
        {"nullable.impala.parquet", "nested"},
        {"nulls.snappy.parquet", "nested"},
        {"datapage_v2.snappy.parquet", "nested"},
        {"nation.dict-malformed.parquet", "column \"name\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *p = ds(cases[i].file);
        if (!p)
            continue;
        struct readout o;
        read_file(p, &o);
        if (!CHECK(o.rc != 0) || !CHECK(strstr(o.err, cases[i].feature) != NULL))
            fprintf(stderr, "  %s: %s\n", cases[i].file, o.err);
    }
}

static void test_bad_data(void)
{
    static const char *bad[] = {"ARROW-GH-41317.parquet", "ARROW-GH-41321.parquet", "ARROW-GH-45185.parquet",
                                "ARROW-GH-47662.parquet", "ARROW-RS-GH-6229-DICTHEADER.parquet",
                                "ARROW-RS-GH-6229-LEVELS.parquet", "PARQUET-1481.parquet"};
    char name[256];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(name, sizeof name, "bad_data/%s", bad[i]);
        const char *p = ds(name);
        if (!p)
            continue;
        struct readout o;
        read_file(p, &o);
        if (!CHECK(o.rc != 0))
            fprintf(stderr, "  %s was accepted (%ld rows)\n", bad[i], o.rows);
        CHECK(strncmp(o.err, "", 1) != 0);
    }
    /* ARROW-GH-43605: dictionary indices with bit width 0 over a one-entry dictionary. parquet-mr writes exactly
     * this for single-value dictionaries and DuckDB reads 21186 zeros; so do we. */
    const char *p = ds("bad_data/ARROW-GH-43605.parquet");
    if (p) {
        struct readout o;
        read_file(p, &o);
        CHECK_INT(o.rc, 0);
        CHECK_INT(o.rows, 21186);
        CHECK_INT((long long)o.sum0, 0);
        CHECK_INT(o.nulls, 0);
    }
}

/* Our own file, truncated at every length and corrupted at random: errors, never crashes or runaway memory. */
static void test_corrupted_own_files(void)
{
    struct lt_table_schema *schema = pt_schema();
    struct lt_file_layout layout = {.schema = schema, .with_op = true, .ts_column = "ts"};
    struct lt_target_config cfg;
    pt_default_config(&cfg);
    char path[4096];
    snprintf(path, sizeof path, "%s/own.parquet", unit_tmpdir("parquet_reader"));
    struct lt_error err = {0};
    CHECK_INT(pt_write_samples(path, &cfg, &layout, 2, &err), 0);
    size_t len;
    unsigned char *file = unit_read_file(path, &len);
    if (!CHECK(file != NULL))
        return;
    int opened = 0, full = 0;
    for (int mode = 0; mode < 2; mode++) {
        int iters = mode == 0 ? (int)len : 5000;
        srand(777);
        for (int it = 0; it < iters; it++) {
            size_t n = len;
            unsigned char *copy = malloc(len);
            memcpy(copy, file, len);
            if (mode == 0) {
                n = (size_t)it; /* truncation keeps the tail magic away: must fail at open */
            } else {
                int flips = 1 + rand() % 3;
                for (int k = 0; k < flips; k++)
                    copy[4 + (size_t)rand() % (len - 12)] ^= (unsigned char)(1 + rand() % 255);
            }
            struct lt_parquet_reader *r;
            if (lt_parquet_reader_open_mem(copy, n, &r, &err) == 0) {
                opened++;
                const struct lt_value *v;
                int rc, rows = 0;
                while ((rc = lt_parquet_reader_next(r, &v, &err)) == 1)
                    rows++;
                if (rc == 0)
                    full++;
                lt_parquet_reader_close(r);
            }
            free(copy);
        }
    }
    CHECK(opened > 0);
    CHECK(full > 0);
    free(file);
    lt_schema_free(schema);
}

static void test_missing_and_non_parquet(void)
{
    struct lt_parquet_reader *r;
    struct lt_error err = {0};
    CHECK(lt_parquet_reader_open("/nonexistent/x.parquet", &r, &err) != 0);
    CHECK(strstr(err.msg, "x.parquet") != NULL);
    const char junk[] = "PAR1 this is not a parquet file at all PAR1";
    CHECK(lt_parquet_reader_open_mem(junk, sizeof junk - 1, &r, &err) != 0);
    const char enc[] = "PAR1xxxxxxxxxxxxxxxx\x04\x00\x00\x00PARE";
    CHECK(lt_parquet_reader_open_mem(enc, sizeof enc - 1, &r, &err) != 0);
    CHECK(strstr(err.msg, "encrypted") != NULL);
}

int main(void)
{
    RUN(test_alltypes);
    RUN(test_decimals);
    RUN(test_int96);
    RUN(test_pages_codecs_and_checksums);
    RUN(test_unsupported_features);
    RUN(test_bad_data);
    RUN(test_corrupted_own_files);
    RUN(test_missing_and_non_parquet);
    return unit_report();
}
