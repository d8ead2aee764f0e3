/* Writes sample Parquet files for tests/integration/test_parquet_duckdb.sh when LOGTAP_PARQUET_OUT names a
 * directory: the sample table (every canonical type) under every codec, page version and encoding, a
 * millisecond-timestamp file, an empty file, a multi-row-group file and a CDC file with _logtap_unchanged.
 * Without LOGTAP_PARQUET_OUT it only checks that the files can be written (into a temp dir).
 * With LOGTAP_PARQUET_READ=FILE it prints FILE's rows as read by logtap's reader instead, tab-separated, NULL as \N
 * (after a "reader ready" line on stderr; FILE /dev/null prints only that line). */
#include <stdlib.h>

#include "targets/parquet/parquet_reader.h"
#include "tests/unit/test_parquet_util.h"
#include "tests/unit/unit.h"

static const char *out_dir;

static void write_one_n(const char *name, const struct lt_target_config *cfg,
                        const struct lt_file_layout *layout, int repeat, int nrows)
{
    char path[4096];
    struct lt_error err = {0};
    snprintf(path, sizeof path, "%s/%s", out_dir, name);
    int rc = pt_write_samples_n(path, cfg, layout, repeat, nrows, &err);
    if (rc)
        fprintf(stderr, "%s: %s\n", name, err.msg);
    CHECK_INT(rc, 0);
}

static void write_one(const char *name, const struct lt_target_config *cfg, const struct lt_file_layout *layout,
                      int repeat)
{
    write_one_n(name, cfg, layout, repeat, PT_NROWS);
}

static void test_write_sample_files(void)
{
    struct lt_table_schema *schema = pt_schema();
    struct lt_file_layout layout = {.schema = schema, .with_op = true, .ts_column = "commit_ts"};
    static const struct { const char *name; enum lt_compression c; } codecs[] = {
        {"none", LT_COMPRESS_NONE}, {"snappy", LT_COMPRESS_SNAPPY}, {"gzip", LT_COMPRESS_GZIP},
        {"zstd", LT_COMPRESS_ZSTD}};
    static const struct { const char *name; enum lt_parquet_encoding e; } encs[] = {
        {"rledict", LT_ENC_RLE_DICTIONARY}, {"plaindict", LT_ENC_PLAIN_DICTIONARY}, {"plain", LT_ENC_PLAIN}};
    for (size_t c = 0; c < sizeof codecs / sizeof codecs[0]; c++)
        for (int v2 = 0; v2 < 2; v2++)
            for (size_t e = 0; e < sizeof encs / sizeof encs[0]; e++) {
                struct lt_target_config cfg;
                pt_default_config(&cfg);
                cfg.compression = codecs[c].c;
                cfg.parquet_v2 = v2;
                cfg.encoding = encs[e].e;
                char name[128];
                snprintf(name, sizeof name, "types_%s_%s_%s.parquet", codecs[c].name, v2 ? "v2" : "v1",
                         encs[e].name);
                write_one(name, &cfg, &layout, 1);
            }
    struct lt_target_config cfg;
    pt_default_config(&cfg);
    cfg.parquet_timestamp_ms = true;
    /* without the last row: DuckDB cannot convert an infinite millisecond timestamp */
    write_one_n("types_ms.parquet", &cfg, &layout, 1, PT_NROWS - 1);

    pt_default_config(&cfg);
    write_one("empty.parquet", &cfg, &layout, 0);

    /* several row groups, small pages, a dictionary that overflows into PLAIN */
    pt_default_config(&cfg);
    cfg.compression = LT_COMPRESS_ZSTD;
    cfg.row_group_length = 50000;
    cfg.data_page_size = 4096;
    cfg.dict_page_size_limit = 2048;
    write_one("multi.parquet", &cfg, &layout, 20000);

    /* no Op / commit column, statistics off */
    struct lt_file_layout bare = {.schema = schema};
    pt_default_config(&cfg);
    cfg.enable_statistics = false;
    write_one("bare.parquet", &cfg, &bare, 1);
    lt_schema_free(schema);
}

/* A CDC file: an update whose t and js columns are unchanged TOAST values. */
static void test_write_cdc_file(void)
{
    struct lt_table_schema *schema = pt_schema();
    struct lt_file_layout layout = {.schema = schema, .with_op = true, .with_unchanged = true};
    struct lt_target_config cfg;
    pt_default_config(&cfg);
    char path[4096];
    snprintf(path, sizeof path, "%s/cdc.parquet", out_dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    struct lt_target_writer *w;
    struct lt_error err = {0};
    struct lt_out out;
    lt_out_init(&out, fd);
    CHECK_INT(lt_parquet_target.open(&w, &out, &cfg, &layout, &err), 0);
    for (int r = 0; r < 2; r++) {
        struct lt_row row;
        struct lt_value vals[PT_NCOLS];
        pt_fill_row(0, &row, vals, r);
        if (r == 1) {
            row.op = 'U';
            vals[10].state = LT_VALUE_UNCHANGED;
            vals[16].state = LT_VALUE_UNCHANGED;
        }
        CHECK_INT(lt_parquet_target.write_row(w, &row, &err), 0);
    }
    CHECK_INT(lt_parquet_target.finish(w, &err), 0);
    close(fd);
    lt_schema_free(schema);
}

static int dump_file(const char *path)
{
    fprintf(stderr, "reader ready\n");
    if (strcmp(path, "/dev/null") == 0)
        return 0;
    struct lt_parquet_reader *r;
    struct lt_error err = {0};
    if (lt_parquet_reader_open(path, &r, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    int ncols = lt_parquet_reader_schema(r)->ncols, rc;
    const struct lt_value *v;
    while ((rc = lt_parquet_reader_next(r, &v, &err)) == 1) {
        for (int i = 0; i < ncols; i++) {
            if (i)
                fputc('\t', stdout);
            if (v[i].state == LT_VALUE_NULL)
                fputs("\\N", stdout);
            else
                fwrite(v[i].data, 1, v[i].len, stdout);
        }
        fputc('\n', stdout);
    }
    if (rc < 0)
        fprintf(stderr, "%s\n", err.msg);
    lt_parquet_reader_close(r);
    return rc < 0;
}

int main(void)
{
    const char *dump = getenv("LOGTAP_PARQUET_READ");
    if (dump && *dump)
        return dump_file(dump);
    out_dir = getenv("LOGTAP_PARQUET_OUT");
    if (!out_dir || !*out_dir)
        out_dir = unit_tmpdir("parquet_duckdb_files");
    RUN(test_write_sample_files);
    RUN(test_write_cdc_file);
    return unit_report();
}
