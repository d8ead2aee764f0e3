/* The Parquet target: every canonical type written and read back through our reader for every codec, page
 * version and encoding; NULLs, empty strings, unicode, extremes; parse errors that name the column and value and
 * leave the file intact; an empty file; a million rows in several row groups; dictionary fallback; millisecond
 * timestamps; the _logtap_unchanged column; the dictionary probe that drops dictionaries of nearly unique columns. */
#include <inttypes.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "targets/parquet/parquet_meta.h"
#include "targets/parquet/parquet_reader.h"
#include "tests/unit/test_parquet_util.h"
#include "tests/unit/unit.h"

static char *tmp_path(const char *name)
{
    static char buf[4096];
    static const char *dir;
    if (!dir)
        dir = unit_tmpdir("parquet_writer");
    snprintf(buf, sizeof buf, "%s/%s", dir, name);
    return buf;
}

static bool value_is(const struct lt_value *v, const char *expected)
{
    if (!expected)
        return v->state == LT_VALUE_NULL;
    return v->state == LT_VALUE_PRESENT && v->len == strlen(expected) && memcmp(v->data, expected, v->len) == 0;
}

/* Reads path and checks every value against the sample rows (repeat times), with the layout's extra columns. */
static void check_samples(const char *path, const struct lt_file_layout *layout, int repeat, bool millis)
{
    struct lt_parquet_reader *r;
    struct lt_error err = {0};
    if (!CHECK_INT(lt_parquet_reader_open(path, &r, &err), 0)) {
        fprintf(stderr, "%s\n", err.msg);
        return;
    }
    const struct lt_table_schema *s = lt_parquet_reader_schema(r);
    int extra = (layout->with_op ? 1 : 0) + (layout->ts_column ? 1 : 0);
    CHECK_INT(s->ncols, extra + PT_NCOLS + 1 + (layout->with_unchanged ? 1 : 0));
    for (int c = 0; c < PT_NCOLS; c++) {
        const struct lt_column *col = &s->cols[extra + c];
        CHECK_STR(col->name, pt_cols[c].name);
        CHECK(col->nullable);
        if (pt_cols[c].type == LT_TYPE_DECIMAL && pt_cols[c].precision == 0) {
            CHECK_INT(col->type, LT_TYPE_TEXT); /* unconstrained numeric travels as exact text */
        } else {
            CHECK_INT(col->type, pt_cols[c].type);
            CHECK_INT(col->precision, pt_cols[c].precision);
            CHECK_INT(col->scale, pt_cols[c].scale);
        }
    }
    CHECK_STR(s->cols[extra + PT_NCOLS].name, LT_POS_COLUMN);
    CHECK(!s->cols[extra + PT_NCOLS].nullable);
    CHECK_INT(lt_parquet_reader_num_rows(r), (long long)repeat * PT_NROWS);
    CHECK(strncmp(lt_parquet_reader_created_by(r), "logtap version ", 15) == 0);
    const struct lt_value *v;
    int rows = 0, bad = 0, rc;
    while ((rc = lt_parquet_reader_next(r, &v, &err)) == 1) {
        int k = rows / PT_NROWS, row = rows % PT_NROWS;
        struct lt_row expect_row;
        struct lt_value ev[PT_NCOLS];
        pt_fill_row(row, &expect_row, ev, k);
        int i = 0;
        char op[2] = {expect_row.op, 0}, ts[32];
        if (layout->with_op && !value_is(&v[i++], op))
            bad++;
        lt_format_timestamp_us(expect_row.commit_ts_us, ts);
        if (layout->ts_column && !value_is(&v[i++], ts))
            bad++;
        for (int c = 0; c < PT_NCOLS; c++, i++) {
            const char *want = pt_expected(row, c);
            char msbuf[64];
            if (millis && want && (pt_cols[c].type == LT_TYPE_TIMESTAMP || pt_cols[c].type == LT_TYPE_TIMESTAMPTZ)) {
                /* milliseconds keep 3 fraction digits, trimmed */
                const char *dot = strchr(want, '.');
                if (dot) {
                    size_t keep = (size_t)(dot - want) + 4;
                    snprintf(msbuf, sizeof msbuf, "%.*s", (int)keep, want);
                    size_t n = strlen(msbuf);
                    while (msbuf[n - 1] == '0')
                        msbuf[--n] = 0;
                    if (msbuf[n - 1] == '.')
                        msbuf[--n] = 0;
                    strcat(msbuf, dot + 7);
                    want = msbuf;
                }
            }
            if (!value_is(&v[i], want)) {
                if (bad++ < 10)
                    fprintf(stderr, "row %d col %s: got %s%.*s, want %s\n", rows, pt_cols[c].name,
                            v[i].state == LT_VALUE_NULL ? "NULL " : "", (int)v[i].len, v[i].data ? v[i].data : "",
                            want ? want : "NULL");
            }
        }
        if (!value_is(&v[i++], expect_row.pos))
            bad++;
        rows++;
    }
    if (rc < 0)
        fprintf(stderr, "%s\n", err.msg);
    CHECK_INT(rc, 0);
    CHECK_INT(rows, repeat * PT_NROWS);
    CHECK_INT(bad, 0);
    lt_parquet_reader_close(r);
}

static void test_round_trip_every_codec_and_encoding(void)
{
    struct lt_table_schema *schema = pt_schema();
    struct lt_file_layout layout = {.schema = schema, .with_op = true, .ts_column = "commit_ts"};
    enum lt_compression codecs[] = {LT_COMPRESS_NONE, LT_COMPRESS_SNAPPY, LT_COMPRESS_GZIP, LT_COMPRESS_ZSTD};
    enum lt_parquet_encoding encs[] = {LT_ENC_RLE_DICTIONARY, LT_ENC_PLAIN_DICTIONARY, LT_ENC_PLAIN};
    for (int c = 0; c < 4; c++)
        for (int v2 = 0; v2 < 2; v2++)
            for (int e = 0; e < 3; e++)
                for (int stats = 0; stats < 2; stats++) {
                    struct lt_target_config cfg;
                    pt_default_config(&cfg);
                    cfg.compression = codecs[c];
                    cfg.parquet_v2 = v2;
                    cfg.encoding = encs[e];
                    cfg.enable_statistics = stats;
                    struct lt_error err = {0};
                    const char *path = tmp_path("rt.parquet");
                    if (!CHECK_INT(pt_write_samples(path, &cfg, &layout, 3, &err), 0))
                        fprintf(stderr, "%s\n", err.msg);
                    check_samples(path, &layout, 3, false);
                }
    lt_schema_free(schema);
}

static void test_layout_variants_and_millis(void)
{
    struct lt_table_schema *schema = pt_schema();
    struct lt_target_config cfg;
    struct lt_error err = {0};
    pt_default_config(&cfg);
    struct lt_file_layout bare = {.schema = schema};
    CHECK_INT(pt_write_samples(tmp_path("bare.parquet"), &cfg, &bare, 1, &err), 0);
    check_samples(tmp_path("bare.parquet"), &bare, 1, false);

    struct lt_file_layout cdc = {.schema = schema, .with_op = true, .with_unchanged = true};
    CHECK_INT(pt_write_samples(tmp_path("cdc.parquet"), &cfg, &cdc, 2, &err), 0);
    check_samples(tmp_path("cdc.parquet"), &cdc, 2, false);

    cfg.parquet_timestamp_ms = true;
    struct lt_file_layout op = {.schema = schema, .with_op = true};
    CHECK_INT(pt_write_samples(tmp_path("ms.parquet"), &cfg, &op, 1, &err), 0);
    check_samples(tmp_path("ms.parquet"), &op, 1, true);
    lt_schema_free(schema);
}

static void test_unchanged_column(void)
{
    struct lt_table_schema *schema = pt_schema();
    struct lt_file_layout layout = {.schema = schema, .with_op = true, .with_unchanged = true};
    struct lt_target_config cfg;
    pt_default_config(&cfg);
    const char *path = tmp_path("unchanged.parquet");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    struct lt_target_writer *w;
    struct lt_error err = {0};
    struct lt_out out;
    lt_out_init(&out, fd);
    CHECK_INT(lt_parquet_target.open(&w, &out, &cfg, &layout, &err), 0);
    struct lt_row row;
    struct lt_value vals[PT_NCOLS];
    pt_fill_row(0, &row, vals, 0);
    vals[10].state = LT_VALUE_UNCHANGED;
    vals[17].state = LT_VALUE_UNCHANGED;
    CHECK_INT(lt_parquet_target.write_row(w, &row, &err), 0);
    pt_fill_row(1, &row, vals, 1);
    CHECK_INT(lt_parquet_target.write_row(w, &row, &err), 0);
    CHECK_INT(lt_parquet_target.finish(w, &err), 0);
    close(fd);
    struct lt_parquet_reader *r;
    const struct lt_value *v;
    CHECK_INT(lt_parquet_reader_open(path, &r, &err), 0);
    int last = lt_parquet_reader_schema(r)->ncols - 1;
    CHECK_STR(lt_parquet_reader_schema(r)->cols[last].name, LT_UNCHANGED_COLUMN);
    CHECK_INT(lt_parquet_reader_next(r, &v, &err), 1);
    CHECK(value_is(&v[last], "t,u"));
    CHECK(value_is(&v[1 + 10], NULL));
    CHECK_INT(lt_parquet_reader_next(r, &v, &err), 1);
    CHECK(value_is(&v[last], ""));
    CHECK_INT(lt_parquet_reader_next(r, &v, &err), 0);
    lt_parquet_reader_close(r);
    lt_schema_free(schema);
}

static void test_empty_file(void)
{
    struct lt_table_schema *schema = pt_schema();
    struct lt_file_layout layout = {.schema = schema, .with_op = true};
    struct lt_target_config cfg;
    struct lt_error err = {0};
    pt_default_config(&cfg);
    const char *path = tmp_path("empty.parquet");
    CHECK_INT(pt_write_samples(path, &cfg, &layout, 0, &err), 0);
    struct lt_parquet_reader *r;
    const struct lt_value *v;
    CHECK_INT(lt_parquet_reader_open(path, &r, &err), 0);
    CHECK_INT(lt_parquet_reader_schema(r)->ncols, PT_NCOLS + 2);
    CHECK_INT(lt_parquet_reader_num_rows(r), 0);
    CHECK_INT(lt_parquet_reader_row_groups(r), 0);
    CHECK_INT(lt_parquet_reader_next(r, &v, &err), 0);
    lt_parquet_reader_close(r);
    lt_schema_free(schema);
}

/* Writes one value into a one-column file and returns the write_row result (message in err). */
static int write_single(enum lt_type type, int precision, int scale, const char *text, struct lt_error *err,
                        char *readback, size_t readback_len)
{
    struct lt_table_schema *s = lt_schema_new("public", "one", 1);
    lt_schema_set_column(s, 0, "c", type, precision, scale, false, true, NULL);
    struct lt_file_layout layout = {.schema = s, .with_unchanged = true};
    struct lt_target_config cfg;
    pt_default_config(&cfg);
    const char *path = tmp_path("single.parquet");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    struct lt_target_writer *w;
    struct lt_out out;
    lt_out_init(&out, fd);
    lt_parquet_target.open(&w, &out, &cfg, &layout, err);
    struct lt_value val = {text, (uint32_t)strlen(text), LT_VALUE_PRESENT};
    struct lt_row row = {.op = 'I', .nvals = 1, .vals = &val};
    strcpy(row.pos, "0001");
    int rc = lt_parquet_target.write_row(w, &row, err);
    struct lt_error ferr = {0};
    /* the file stays valid after a refused value */
    CHECK_INT(lt_parquet_target.finish(w, &ferr), 0);
    close(fd);
    if (readback) {
        readback[0] = 0;
        struct lt_parquet_reader *r;
        const struct lt_value *v;
        if (lt_parquet_reader_open(path, &r, &ferr) == 0) {
            if (lt_parquet_reader_next(r, &v, &ferr) == 1)
                snprintf(readback, readback_len, "%.*s", (int)v[0].len, v[0].data ? v[0].data : "");
            lt_parquet_reader_close(r);
        }
    }
    lt_schema_free(s);
    return rc;
}

static void test_value_parsing(void)
{
    static const struct {
        enum lt_type type;
        int p, s;
        const char *in, *out; /* out NULL: must be refused */
    } cases[] = {
        {LT_TYPE_BOOL, 0, 0, "true", "t"},        {LT_TYPE_BOOL, 0, 0, "0", "f"},
        {LT_TYPE_BOOL, 0, 0, "yes", NULL},        {LT_TYPE_INT16, 0, 0, "32768", NULL},
        {LT_TYPE_INT16, 0, 0, "-32768", "-32768"}, {LT_TYPE_INT32, 0, 0, "12x", NULL},
        {LT_TYPE_INT32, 0, 0, "", NULL},          {LT_TYPE_INT64, 0, 0, "9223372036854775808", NULL},
        {LT_TYPE_FLOAT32, 0, 0, "1e39", NULL},    {LT_TYPE_FLOAT32, 0, 0, "0.3", "0.3"},
        {LT_TYPE_FLOAT64, 0, 0, "0.30000000000000004", "0.30000000000000004"},
        {LT_TYPE_FLOAT64, 0, 0, "-0", "-0"},      {LT_TYPE_FLOAT64, 0, 0, "1.5x", NULL},
        {LT_TYPE_DECIMAL, 9, 2, "-12.5", "-12.50"}, {LT_TYPE_DECIMAL, 9, 2, "1.234", NULL},
        {LT_TYPE_DECIMAL, 9, 2, "1.230", "1.23"}, {LT_TYPE_DECIMAL, 9, 2, "10000000", NULL},
        {LT_TYPE_DECIMAL, 9, 2, "9999999.99", "9999999.99"}, {LT_TYPE_DECIMAL, 9, 2, "NaN", NULL},
        {LT_TYPE_DECIMAL, 5, 5, "-0.12345", "-0.12345"}, {LT_TYPE_DECIMAL, 18, 0, "-999999999999999999", "-999999999999999999"},
        {LT_TYPE_DECIMAL, 38, 0, "99999999999999999999999999999999999999", "99999999999999999999999999999999999999"},
        {LT_TYPE_DECIMAL, 38, 0, "100000000000000000000000000000000000000", NULL},
        {LT_TYPE_DECIMAL, 20, 2, "-000123.40", "-123.40"}, {LT_TYPE_DECIMAL, 0, 0, "NaN", "NaN"},
        {LT_TYPE_DECIMAL, 0, 0, "1.000000000000000000000000000000000000000000001", "1.000000000000000000000000000000000000000000001"},
        {LT_TYPE_BYTES, 0, 0, "\\xAbCd", "\\xabcd"}, {LT_TYPE_BYTES, 0, 0, "abc", NULL},
        {LT_TYPE_BYTES, 0, 0, "\\x0", NULL},      {LT_TYPE_BYTES, 0, 0, "\\xzz", NULL},
        {LT_TYPE_DATE, 0, 0, "2023-02-29", NULL}, {LT_TYPE_DATE, 0, 0, "2024-02-29", "2024-02-29"},
        {LT_TYPE_DATE, 0, 0, "4713-01-01 BC", "4713-01-01 BC"}, {LT_TYPE_DATE, 0, 0, "5874897-12-31", "5874897-12-31"},
        {LT_TYPE_DATE, 0, 0, "2024-13-01", NULL}, {LT_TYPE_DATE, 0, 0, "0000-01-01", NULL},
        {LT_TYPE_TIME, 0, 0, "23:59:59.999999", "23:59:59.999999"}, {LT_TYPE_TIME, 0, 0, "12:60:00", NULL},
        {LT_TYPE_TIME, 0, 0, "838:59:59", "838:59:59"}, {LT_TYPE_TIME, 0, 0, "-01:00:00.5", "-01:00:00.5"},
        {LT_TYPE_TIME, 0, 0, "12:00:00.1234567", NULL},
        {LT_TYPE_TIMESTAMP, 0, 0, "1969-12-31 23:59:59.5", "1969-12-31 23:59:59.5"},
        {LT_TYPE_TIMESTAMP, 0, 0, "2024-01-01T10:00:00", "2024-01-01 10:00:00"},
        {LT_TYPE_TIMESTAMP, 0, 0, "2024-01-01", NULL}, {LT_TYPE_TIMESTAMP, 0, 0, "2024-01-01 25:00:00", NULL},
        {LT_TYPE_TIMESTAMP, 0, 0, "0001-12-31 23:59:59 BC", "0001-12-31 23:59:59 BC"},
        {LT_TYPE_TIMESTAMPTZ, 0, 0, "2024-01-01 00:00:00+05:30:15", "2023-12-31 18:29:45+00"},
        {LT_TYPE_TIMESTAMPTZ, 0, 0, "2024-01-01 00:00:00-08", "2024-01-01 08:00:00+00"},
        {LT_TYPE_TIMESTAMPTZ, 0, 0, "2024-01-01 00:00:00+0100", "2023-12-31 23:00:00+00"},
        {LT_TYPE_TIMESTAMPTZ, 0, 0, "2024-06-01 12:00:00.000100+00:00", "2024-06-01 12:00:00.0001+00"},
        {LT_TYPE_TIMESTAMPTZ, 0, 0, "2024-01-01 00:00:00", NULL},
        {LT_TYPE_TIMESTAMPTZ, 0, 0, "0100-01-01 00:00:00+00 BC", "0100-01-01 00:00:00+00 BC"},
        {LT_TYPE_UUID, 0, 0, "A0EEBC999C0B4EF8BB6D6BB9BD380A11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
        {LT_TYPE_UUID, 0, 0, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", NULL},
        {LT_TYPE_UUID, 0, 0, "g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", NULL},
        {LT_TYPE_JSON, 0, 0, "{\"a\":[1,2]}", "{\"a\":[1,2]}"}, {LT_TYPE_TEXT, 0, 0, "", ""},
        /* integers: signs, leading zeros, the limits of each width, overflow of 64 bits */
        {LT_TYPE_INT64, 0, 0, "-9223372036854775808", "-9223372036854775808"}, {LT_TYPE_INT64, 0, 0, "+42", "42"},
        {LT_TYPE_INT64, 0, 0, "007", "7"},        {LT_TYPE_INT64, 0, 0, "-", NULL},
        {LT_TYPE_INT64, 0, 0, "1-", NULL},        {LT_TYPE_INT64, 0, 0, " 1", NULL},
        {LT_TYPE_INT64, 0, 0, "18446744073709551616", NULL}, {LT_TYPE_INT64, 0, 0, "-9223372036854775809", NULL},
        {LT_TYPE_INT32, 0, 0, "-2147483649", NULL}, {LT_TYPE_INT16, 0, 0, "-32769", NULL},
        {LT_TYPE_INT16, 0, 0, "-0", "0"},
        /* decimals: negatives, scale padding (across 19 digits too), 19/20/38 digits, NaN and infinities refused */
        {LT_TYPE_DECIMAL, 12, 2, "-0.01", "-0.01"}, {LT_TYPE_DECIMAL, 12, 2, "12", "12.00"},
        {LT_TYPE_DECIMAL, 12, 2, "+5", "5.00"},   {LT_TYPE_DECIMAL, 12, 2, "-0", "0.00"},
        {LT_TYPE_DECIMAL, 12, 2, ".5", "0.50"},   {LT_TYPE_DECIMAL, 12, 2, "5.", "5.00"},
        {LT_TYPE_DECIMAL, 12, 2, ".", NULL},      {LT_TYPE_DECIMAL, 12, 2, "-", NULL},
        {LT_TYPE_DECIMAL, 12, 2, "1.2.3", NULL},  {LT_TYPE_DECIMAL, 12, 2, "1 ", NULL},
        {LT_TYPE_DECIMAL, 12, 2, "Infinity", NULL}, {LT_TYPE_DECIMAL, 12, 2, "-Infinity", NULL},
        {LT_TYPE_DECIMAL, 12, 2, "1e2", NULL},    {LT_TYPE_DECIMAL, 38, 10, "NaN", NULL},
        {LT_TYPE_DECIMAL, 18, 2, "9999999999999999.99", "9999999999999999.99"},
        {LT_TYPE_DECIMAL, 18, 2, "-9999999999999999.99", "-9999999999999999.99"},
        {LT_TYPE_DECIMAL, 18, 2, "10000000000000000", NULL},
        {LT_TYPE_DECIMAL, 18, 18, "-0.999999999999999999", "-0.999999999999999999"},
        {LT_TYPE_DECIMAL, 19, 0, "9999999999999999999", "9999999999999999999"},
        {LT_TYPE_DECIMAL, 20, 0, "18446744073709551616", "18446744073709551616"},
        {LT_TYPE_DECIMAL, 20, 0, "-99999999999999999999", "-99999999999999999999"},
        {LT_TYPE_DECIMAL, 38, 20, "1", "1.00000000000000000000"},
        {LT_TYPE_DECIMAL, 38, 20, "-123456789012345678.5", "-123456789012345678.50000000000000000000"},
        {LT_TYPE_DECIMAL, 38, 37, "9.9999999999999999999999999999999999999", "9.9999999999999999999999999999999999999"},
        {LT_TYPE_DECIMAL, 38, 37, "-0.0000000000000000000000000000000000001", "-0.0000000000000000000000000000000000001"},
        {LT_TYPE_DECIMAL, 38, 0, "-99999999999999999999999999999999999999", "-99999999999999999999999999999999999999"},
        {LT_TYPE_DECIMAL, 38, 10, "123456789012345678901234567.1", "123456789012345678901234567.1000000000"},
        {LT_TYPE_DECIMAL, 10, 5, "1.100000000000000000000000000000", "1.10000"},
        {LT_TYPE_DECIMAL, 10, 5, "0.000001", NULL},
        {LT_TYPE_DECIMAL, 10, 5, "000000000000000000000000000012.5", "12.50000"},
        /* timestamps in the common shape (fast path) and around it (general parser) */
        {LT_TYPE_TIMESTAMPTZ, 0, 0, "2024-02-29 23:59:59.999999+00", "2024-02-29 23:59:59.999999+00"},
        {LT_TYPE_TIMESTAMPTZ, 0, 0, "2023-02-29 00:00:00+00", NULL},
        {LT_TYPE_TIMESTAMPTZ, 0, 0, "2024-01-01 00:00:60+00", "2024-01-01 00:01:00+00"},
        {LT_TYPE_TIMESTAMPTZ, 0, 0, "2024-01-01 24:00:00+00", "2024-01-02 00:00:00+00"},
        {LT_TYPE_TIMESTAMPTZ, 0, 0, "2024-01-01 00:00:00.+00", NULL},
        {LT_TYPE_TIMESTAMPTZ, 0, 0, "2024-01-01 00:00:00.1234567+00", NULL},
        {LT_TYPE_TIMESTAMPTZ, 0, 0, "2024-01-01 00:00:00+16", NULL},
        {LT_TYPE_TIMESTAMPTZ, 0, 0, "2024-01-01 00:00:00+05:60", NULL},
        {LT_TYPE_TIMESTAMPTZ, 0, 0, "2024-01-01 00:00:00-00:30", "2024-01-01 00:30:00+00"},
        {LT_TYPE_TIMESTAMPTZ, 0, 0, "1969-12-31 23:59:59.000001+00", "1969-12-31 23:59:59.000001+00"},
        {LT_TYPE_TIMESTAMPTZ, 0, 0, "9999-12-31 23:59:59.999999+00", "9999-12-31 23:59:59.999999+00"},
        {LT_TYPE_TIMESTAMPTZ, 0, 0, "0001-01-01 00:00:00+00", "0001-01-01 00:00:00+00"},
        {LT_TYPE_TIMESTAMPTZ, 0, 0, "2024-01-01 1:00:00+00", "2024-01-01 01:00:00+00"},
        {LT_TYPE_TIMESTAMPTZ, 0, 0, "2024-01-01 00:00:00+00x", NULL},
        {LT_TYPE_TIMESTAMP, 0, 0, "2024-01-01 00:00:00.5x", NULL},
        {LT_TYPE_TIMESTAMP, 0, 0, "2024-01-01 00:00:00+00", NULL},
        {LT_TYPE_TIMESTAMP, 0, 0, "12345-01-01 00:00:00", "12345-01-01 00:00:00"},
        {LT_TYPE_DATE, 0, 0, "2024-1-5", "2024-01-05"}, {LT_TYPE_DATE, 0, 0, "2024-01-0x", NULL},
        {LT_TYPE_BOOL, 0, 0, "T", "t"},           {LT_TYPE_BOOL, 0, 0, "", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct lt_error err = {0};
        char back[256];
        int rc = write_single(cases[i].type, cases[i].p, cases[i].s, cases[i].in, &err, back, sizeof back);
        if (cases[i].out) {
            if (!CHECK_INT(rc, 0) || !CHECK_STR(back, cases[i].out))
                fprintf(stderr, "  case %zu: %s (%s)\n", i, cases[i].in, err.msg);
        } else {
            if (!CHECK(rc != 0))
                fprintf(stderr, "  case %zu accepted: %s -> %s\n", i, cases[i].in, back);
            /* the message names the column, its type and the value */
            CHECK(strstr(err.msg, "\"c\"") != NULL);
            CHECK(strstr(err.msg, lt_type_name(cases[i].type)) != NULL);
            CHECK(strstr(err.msg, cases[i].in) != NULL);
            CHECK_STR(back, ""); /* the refused row was not written */
        }
    }
}

/* Decodes a file's footer (the file bytes must stay alive while fm is used). */
static bool read_footer(const unsigned char *file, size_t len, struct pq_file_meta *fm)
{
    if (len < 12)
        return false;
    uint32_t mlen = (uint32_t)file[len - 8] | (uint32_t)file[len - 7] << 8 | (uint32_t)file[len - 6] << 16 |
                    (uint32_t)file[len - 5] << 24;
    struct tc_reader r;
    tc_reader_init(&r, file + len - 8 - mlen, mlen);
    return pq_decode_file_meta(&r, fm);
}

static int64_t le64(struct pq_bytes b)
{
    uint64_t v = 0;
    for (uint32_t i = 0; i < b.len && i < 8; i++)
        v |= (uint64_t)b.p[i] << (8 * i);
    return (int64_t)v;
}

/* A million rows of a compact table in several row groups, with a column whose dictionary overflows. */
static void test_million_rows(void)
{
    struct lt_table_schema *s = lt_schema_new("public", "big", 4);
    lt_schema_set_column(s, 0, "id", LT_TYPE_INT64, 0, 0, true, false, NULL);
    lt_schema_set_column(s, 1, "name", LT_TYPE_TEXT, 0, 0, false, true, NULL);
    lt_schema_set_column(s, 2, "amount", LT_TYPE_DECIMAL, 12, 2, false, true, NULL);
    lt_schema_set_column(s, 3, "flag", LT_TYPE_BOOL, 0, 0, false, true, NULL);
    struct lt_file_layout layout = {.schema = s, .with_op = true};
    struct lt_target_config cfg;
    pt_default_config(&cfg);
    cfg.compression = LT_COMPRESS_ZSTD;
    cfg.row_group_length = 300000;
    cfg.dict_page_size_limit = 2048; /* "name" has ~400 values per row group: its dictionary overflows */
    const char *path = tmp_path("million.parquet");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    struct lt_target_writer *w;
    struct lt_error err = {0};
    struct lt_out out;
    lt_out_init(&out, fd);
    CHECK_INT(lt_parquet_target.open(&w, &out, &cfg, &layout, &err), 0);
    const int N = 1000000;
    uint64_t first_size = 0, last_size = 0;
    for (int i = 0; i < N; i++) {
        char id[32], name[32], amount[32];
        struct lt_value vals[4];
        snprintf(id, sizeof id, "%d", i);
        snprintf(name, sizeof name, "name-%d", i % 1000 == 0 ? i : i % 97);
        snprintf(amount, sizeof amount, "%d.%02d", i / 100, i % 100);
        vals[0] = (struct lt_value){id, (uint32_t)strlen(id), LT_VALUE_PRESENT};
        vals[1] = (struct lt_value){name, (uint32_t)strlen(name), i % 10 == 3 ? LT_VALUE_NULL : LT_VALUE_PRESENT};
        vals[2] = (struct lt_value){amount, (uint32_t)strlen(amount), LT_VALUE_PRESENT};
        vals[3] = (struct lt_value){i % 3 ? "t" : "f", 1, LT_VALUE_PRESENT};
        struct lt_row row = {.op = 'I', .nvals = 4, .vals = vals};
        snprintf(row.pos, sizeof row.pos, "%020d", i);
        if (lt_parquet_target.write_row(w, &row, &err)) {
            CHECK_STR(err.msg, "");
            break;
        }
        if (i % 50000 == 0) {
            /* written bytes plus the buffered estimate: grows with the file (not strictly, as pages compress) */
            last_size = lt_parquet_target.size(w);
            if (i == 0)
                first_size = last_size;
        }
    }
    CHECK(first_size >= 4 && last_size > first_size + 1000000);
    CHECK_INT(lt_parquet_target.finish(w, &err), 0);
    close(fd);
    struct stat st;
    stat(path, &st);
    CHECK((uint64_t)st.st_size > 1000000);

    /* footer: 4 row groups, statistics per row group, the dictionary fallback of "name" */
    size_t flen;
    unsigned char *file = unit_read_file(path, &flen);
    struct pq_file_meta fm;
    if (CHECK(file && read_footer(file, flen, &fm))) {
        CHECK_INT(fm.nrow_groups, 4);
        CHECK_INT(fm.num_rows, N);
        CHECK_INT(fm.row_groups[3].num_rows, 100000);
        const struct pq_column_meta *id = &fm.row_groups[1].columns[1].meta;
        CHECK(id->stats.present);
        CHECK_INT(le64(id->stats.min_value), 300000);
        CHECK_INT(le64(id->stats.max_value), 599999);
        CHECK_INT(id->stats.null_count, 0);
        const struct pq_column_meta *name = &fm.row_groups[0].columns[2].meta;
        CHECK_INT(name->stats.null_count, 30000);
        bool plain = false, dict = false;
        for (int i = 0; i < name->n_encodings; i++) {
            plain |= name->encodings[i] == PQ_ENC_PLAIN;
            dict |= name->encodings[i] == PQ_ENC_RLE_DICTIONARY;
        }
        CHECK(plain && dict);
        CHECK(name->has_dictionary_page_offset);
        CHECK_INT(name->codec, PQ_CODEC_ZSTD);
        const struct pq_column_meta *flag = &fm.row_groups[0].columns[4].meta;
        CHECK_INT(flag->stats.min_value.len, 1);
        CHECK_INT(flag->stats.min_value.p[0], 0);
        CHECK_INT(flag->stats.max_value.p[0], 1);
        CHECK_INT(fm.schema[1].repetition, PQ_REQUIRED); /* Op */
        CHECK_INT(fm.schema[2].repetition, PQ_OPTIONAL);
        CHECK_INT(fm.schema[4].logical.kind, PQ_LT_DECIMAL);
        CHECK_INT(fm.schema[4].type, PQ_INT64);
    }
    pq_file_meta_free(&fm);
    free(file);

    struct lt_parquet_reader *r;
    const struct lt_value *v;
    CHECK_INT(lt_parquet_reader_open(path, &r, &err), 0);
    CHECK_INT(lt_parquet_reader_row_groups(r), 4);
    CHECK_INT(lt_parquet_reader_num_rows(r), N);
    int rows = 0, bad = 0, rc;
    while ((rc = lt_parquet_reader_next(r, &v, &err)) == 1) {
        char id[32], name[32], amount[32];
        snprintf(id, sizeof id, "%d", rows);
        snprintf(name, sizeof name, "name-%d", rows % 1000 == 0 ? rows : rows % 97);
        snprintf(amount, sizeof amount, "%d.%02d", rows / 100, rows % 100);
        if (!value_is(&v[0], "I") || !value_is(&v[1], id) || !value_is(&v[2], rows % 10 == 3 ? NULL : name) ||
            !value_is(&v[3], amount) || !value_is(&v[4], rows % 3 ? "t" : "f"))
            bad++;
        rows++;
    }
    CHECK_INT(rc, 0);
    CHECK_INT(rows, N);
    CHECK_INT(bad, 0);
    lt_parquet_reader_close(r);
    lt_schema_free(s);
}

/* The dictionary probe: nearly unique columns drop their dictionary after the first values (no dictionary page
 * when none has gone out yet, dictionary pages then PLAIN when small pages went out before the decision),
 * repetitive ones keep it; nulls that first appear late in a page; every value and statistic read back. */
static void test_dictionary_probe(void)
{
    struct lt_table_schema *s = lt_schema_new("public", "probe", 3);
    lt_schema_set_column(s, 0, "id", LT_TYPE_INT64, 0, 0, true, false, NULL);
    lt_schema_set_column(s, 1, "grp", LT_TYPE_TEXT, 0, 0, false, true, NULL);
    lt_schema_set_column(s, 2, "u", LT_TYPE_TEXT, 0, 0, false, true, NULL);
    struct lt_file_layout layout = {.schema = s};
    const int N = 100000;
    for (int variant = 0; variant < 3; variant++) {
        struct lt_target_config cfg;
        pt_default_config(&cfg);
        cfg.compression = LT_COMPRESS_ZSTD;
        cfg.parquet_v2 = variant == 2;
        if (variant == 1)
            cfg.data_page_size = 4096; /* pages go out before the probe decides */
        const char *path = tmp_path("probe.parquet");
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        struct lt_target_writer *w;
        struct lt_error err = {0};
        struct lt_out out;
        lt_out_init(&out, fd);
        CHECK_INT(lt_parquet_target.open(&w, &out, &cfg, &layout, &err), 0);
        for (int i = 0; i < N; i++) {
            char id[32], grp[32], u[48];
            struct lt_value vals[3];
            snprintf(id, sizeof id, "%d", i * 3 - 7);
            snprintf(grp, sizeof grp, "group %d", i % 50);
            snprintf(u, sizeof u, "unique value %08x-%d", (unsigned)i * 2654435761u, i);
            vals[0] = (struct lt_value){id, (uint32_t)strlen(id), LT_VALUE_PRESENT};
            vals[1] = (struct lt_value){grp, (uint32_t)strlen(grp), i % 1000 == 999 ? LT_VALUE_NULL : LT_VALUE_PRESENT};
            vals[2] = (struct lt_value){u, (uint32_t)strlen(u), i % 7 == 3 ? LT_VALUE_NULL : LT_VALUE_PRESENT};
            struct lt_row row = {.op = 'I', .nvals = 3, .vals = vals};
            strcpy(row.pos, "00000001/00000002:00000000000000000000");
            if (lt_parquet_target.write_row(w, &row, &err)) {
                CHECK_STR(err.msg, "");
                break;
            }
        }
        CHECK_INT(lt_parquet_target.finish(w, &err), 0);
        close(fd);

        size_t flen;
        unsigned char *file = unit_read_file(path, &flen);
        struct pq_file_meta fm;
        if (CHECK(file && read_footer(file, flen, &fm))) {
            CHECK_INT(fm.nrow_groups, 1);
            for (int c = 0; c < 4; c++) {
                const struct pq_column_meta *m = &fm.row_groups[0].columns[c].meta;
                bool plain = false, dict = false;
                for (int i = 0; i < m->n_encodings; i++) {
                    plain |= m->encodings[i] == PQ_ENC_PLAIN;
                    dict |= m->encodings[i] == PQ_ENC_RLE_DICTIONARY;
                }
                if (c == 1 || c == 3) { /* grp, _logtap_pos: repetitive, dictionary kept */
                    CHECK(dict && m->has_dictionary_page_offset);
                } else if (variant == 1) { /* unique, small pages: dictionary pages, then PLAIN */
                    CHECK(dict && plain && m->has_dictionary_page_offset);
                } else { /* unique: PLAIN only, no dictionary page */
                    CHECK(plain && !dict && !m->has_dictionary_page_offset);
                }
            }
            const struct pq_column_meta *id = &fm.row_groups[0].columns[0].meta;
            CHECK_INT(le64(id->stats.min_value), -7);
            CHECK_INT(le64(id->stats.max_value), (N - 1) * 3 - 7);
            const struct pq_column_meta *grp = &fm.row_groups[0].columns[1].meta;
            CHECK_MEM(grp->stats.min_value.p, grp->stats.min_value.len, "group 0", 7);
            CHECK_MEM(grp->stats.max_value.p, grp->stats.max_value.len, "group 9", 7);
            CHECK_INT(grp->stats.null_count, N / 1000);
            const struct pq_column_meta *u = &fm.row_groups[0].columns[2].meta;
            CHECK_INT(u->stats.null_count, (N - 4) / 7 + 1);
            CHECK_MEM(u->stats.min_value.p, u->stats.min_value.len, "unique value 00000000-0", 23);
        }
        pq_file_meta_free(&fm);
        free(file);

        struct lt_parquet_reader *r;
        const struct lt_value *v;
        CHECK_INT(lt_parquet_reader_open(path, &r, &err), 0);
        int rows = 0, bad = 0, rc;
        while ((rc = lt_parquet_reader_next(r, &v, &err)) == 1) {
            char id[32], grp[32], u[48];
            snprintf(id, sizeof id, "%d", rows * 3 - 7);
            snprintf(grp, sizeof grp, "group %d", rows % 50);
            snprintf(u, sizeof u, "unique value %08x-%d", (unsigned)rows * 2654435761u, rows);
            if (!value_is(&v[0], id) || !value_is(&v[1], rows % 1000 == 999 ? NULL : grp) ||
                !value_is(&v[2], rows % 7 == 3 ? NULL : u) ||
                !value_is(&v[3], "00000001/00000002:00000000000000000000"))
                bad++;
            rows++;
        }
        CHECK_INT(rc, 0);
        CHECK_INT(rows, N);
        CHECK_INT(bad, 0);
        lt_parquet_reader_close(r);
    }
    lt_schema_free(s);
}

static void test_row_width_mismatch(void)
{
    struct lt_table_schema *schema = pt_schema();
    struct lt_file_layout layout = {.schema = schema};
    struct lt_target_config cfg;
    pt_default_config(&cfg);
    int fd = open(tmp_path("mismatch.parquet"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    struct lt_target_writer *w;
    struct lt_error err = {0};
    struct lt_out out;
    lt_out_init(&out, fd);
    CHECK_INT(lt_parquet_target.open(&w, &out, &cfg, &layout, &err), 0);
    struct lt_value one = {"1", 1, LT_VALUE_PRESENT};
    struct lt_row row = {.op = 'I', .nvals = 1, .vals = &one};
    CHECK(lt_parquet_target.write_row(w, &row, &err) != 0);
    CHECK(strstr(err.msg, "columns") != NULL);
    lt_parquet_target.discard(w);
    close(fd);
    CHECK_STR(lt_parquet_target.name, "parquet");
    CHECK_STR(lt_parquet_target.extension, "parquet");
    lt_schema_free(schema);
}

int main(void)
{
    RUN(test_round_trip_every_codec_and_encoding);
    RUN(test_layout_variants_and_millis);
    RUN(test_unchanged_column);
    RUN(test_empty_file);
    RUN(test_value_parsing);
    RUN(test_row_width_mismatch);
    RUN(test_million_rows);
    RUN(test_dictionary_probe);
    return unit_report();
}
