/* Shared fixtures of the Parquet tests: a table with one column of every canonical type, sample rows as canonical
 * text (with the text each value reads back as), and a helper that writes rows through lt_parquet_target. */
#ifndef LOGTAP_TEST_PARQUET_UTIL_H
#define LOGTAP_TEST_PARQUET_UTIL_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/target.h"

#define PT_NCOLS 18

static const struct {
    const char *name;
    enum lt_type type;
    int precision, scale;
} pt_cols[PT_NCOLS] = {
    {"b", LT_TYPE_BOOL, 0, 0},          {"i16", LT_TYPE_INT16, 0, 0},        {"i32", LT_TYPE_INT32, 0, 0},
    {"i64", LT_TYPE_INT64, 0, 0},       {"f32", LT_TYPE_FLOAT32, 0, 0},      {"f64", LT_TYPE_FLOAT64, 0, 0},
    {"d9", LT_TYPE_DECIMAL, 9, 2},      {"d18", LT_TYPE_DECIMAL, 18, 4},     {"d38", LT_TYPE_DECIMAL, 38, 10},
    {"num", LT_TYPE_DECIMAL, 0, 0},     {"t", LT_TYPE_TEXT, 0, 0},           {"by", LT_TYPE_BYTES, 0, 0},
    {"dt", LT_TYPE_DATE, 0, 0},         {"tm", LT_TYPE_TIME, 0, 0},          {"ts", LT_TYPE_TIMESTAMP, 0, 0},
    {"tz", LT_TYPE_TIMESTAMPTZ, 0, 0},  {"js", LT_TYPE_JSON, 0, 0},          {"u", LT_TYPE_UUID, 0, 0},
};

/* NULL = SQL NULL. Each row: the text written, then (when different) the canonical text read back. */
struct pt_row {
    const char *in[PT_NCOLS];
    const char *out[PT_NCOLS]; /* NULL entries mean "same as in" */
};

#define PT_NROWS 6
static const struct pt_row pt_rows[PT_NROWS] = {
    {{"t", "32767", "2147483647", "9223372036854775807", "3.4028235e+38", "1.7976931348623157e+308", "9999999.99",
      "99999999999999.9999", "9999999999999999999999999999.9999999999", "123456789012345678901234567890.123456789",
      "hello", "\\xdeadbeef", "2024-02-29", "23:59:59.999999", "2024-01-31 12:00:00.123456",
      "2024-01-31 12:00:00.123456+00", "{\"a\": 1}", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
     {0}},
    {{"f", "-32768", "-2147483648", "-9223372036854775808", "-1.5", "-1e-06", "-12.5", "-0.0001",
      "-9999999999999999999999999999.9999999999", "-0.5", "", "\\x", "1969-12-31", "00:00:00",
      "1900-01-01 00:00:00", "1969-07-20 20:17:40+02", "[]", "00000000-0000-0000-0000-000000000000"},
     {[6] = "-12.50", [15] = "1969-07-20 18:17:40+00"}},
    {{0}, {0}},
    {{"1", "0", "0", "0", "NaN", "Infinity", "0", "0", "0", "0", "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xe6\x97\xa5",
      "\\x00ff", "0044-03-15 BC", "12:00:00.5", "0001-01-01 00:00:00", "2000-01-01 00:00:00-05:30",
      "{\"k\": \"v\"}", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"},
     {[0] = "t", [6] = "0.00", [7] = "0.0000", [8] = "0.0000000000", [15] = "2000-01-01 05:30:00+00",
      [17] = "ffffffff-ffff-ffff-ffff-ffffffffffff"}},
    {{"false", "-1", "-1", "-1", "-Infinity", "-Infinity", "0.01", "1", "0.0000000001", "1e5", "a,b\n\"c\"",
      "\\x00", "infinity", "24:00:00", "1970-01-01 00:00:00.000001", "1969-12-31 23:59:59.999999+00", "null",
      "{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}"},
     {[0] = "f", [7] = "1.0000", [17] = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}},
    {{"true", "7", "42", "1234567890123", "0.1", "0.1", "-0.01", "12.3456", "12345678901234567890123456.5", "0.10",
      "plain", "\\xCAFE", "-infinity", "10:11:12.000100", "infinity", "-infinity", "{}", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12"},
     {[0] = "t", [8] = "12345678901234567890123456.5000000000", [11] = "\\xcafe", [13] = "10:11:12.0001"}},
};

static inline const char *pt_expected(int r, int c)
{
    return pt_rows[r].out[c] ? pt_rows[r].out[c] : pt_rows[r].in[c];
}

static inline struct lt_table_schema *pt_schema(void)
{
    struct lt_table_schema *s = lt_schema_new("public", "all_types", PT_NCOLS);
    for (int i = 0; i < PT_NCOLS; i++)
        lt_schema_set_column(s, i, pt_cols[i].name, pt_cols[i].type, pt_cols[i].precision, pt_cols[i].scale,
                             i == 0, true, NULL);
    return s;
}

static inline void pt_default_config(struct lt_target_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->format = LT_FORMAT_PARQUET;
    cfg->compression = LT_COMPRESS_SNAPPY;
    cfg->encoding = LT_ENC_RLE_DICTIONARY;
    cfg->dict_page_size_limit = 1024 * 1024;
    cfg->row_group_length = 0;
    cfg->data_page_size = 1024 * 1024;
    cfg->enable_statistics = true;
}

/* Fills row (and its values array, PT_NCOLS long) from sample row r. */
static inline void pt_fill_row(int r, struct lt_row *row, struct lt_value *vals, int seq)
{
    memset(row, 0, sizeof *row);
    row->op = "IUD"[r % 3];
    row->commit_ts_us = INT64_C(1706702400123456) + r;
    snprintf(row->pos, sizeof row->pos, "%016X%08X", (unsigned)r, (unsigned)seq);
    row->nvals = PT_NCOLS;
    row->vals = vals;
    for (int c = 0; c < PT_NCOLS; c++) {
        const char *s = pt_rows[r].in[c];
        vals[c].data = s;
        vals[c].len = s ? (uint32_t)strlen(s) : 0;
        vals[c].state = s ? LT_VALUE_PRESENT : LT_VALUE_NULL;
    }
}

/* Writes the first nrows sample rows `repeat` times to path. Returns 0 or the error code (message in err). */
static inline int pt_write_samples_n(const char *path, const struct lt_target_config *cfg,
                                     const struct lt_file_layout *layout, int repeat, int nrows,
                                     struct lt_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return lt_fail(err, LT_ERR_RUNTIME, "cannot create %s", path);
    struct lt_target_writer *w;
    struct lt_out out;
    lt_out_init(&out, fd);
    int rc = lt_parquet_target.open(&w, &out, cfg, layout, err);
    for (int k = 0; rc == 0 && k < repeat; k++) {
        for (int r = 0; rc == 0 && r < nrows; r++) {
            struct lt_row row;
            struct lt_value vals[PT_NCOLS];
            pt_fill_row(r, &row, vals, k);
            rc = lt_parquet_target.write_row(w, &row, err);
        }
    }
    if (rc == 0)
        rc = lt_parquet_target.finish(w, err);
    else
        lt_parquet_target.discard(w);
    close(fd);
    return rc;
}

static inline int pt_write_samples(const char *path, const struct lt_target_config *cfg,
                                   const struct lt_file_layout *layout, int repeat, struct lt_error *err)
{
    return pt_write_samples_n(path, cfg, layout, repeat, PT_NROWS, err);
}

#endif
