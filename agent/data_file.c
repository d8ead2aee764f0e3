/* Reading logtap's own data files back (see data_file.h). */
#include "agent/data_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/unchanged_list.h"
#include "targets/csv/csv_reader.h"
#include "targets/parquet/parquet_reader.h"

struct lt_data_file {
    struct lt_csv_reader *csv;
    struct lt_parquet_reader *pq;
    char path[4096];
    int nfile_cols;
    int *map;                 /* output column -> file column, or -1 */
    int op_col, ts_col, pos_col, unch_col;
    const struct lt_table_schema *out;
    struct lt_value *vals;
    bool header_pending;
};

static int find_col(const char *const *names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (names[i] && strcmp(names[i], name) == 0)
            return i;
    return -1;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

int lt_data_file_open(const char *path, const char *file_schema_json, const struct lt_table_schema *out_schema,
                      const struct lt_target_config *cfg, struct lt_data_file **out, struct lt_error *err)
{
    struct lt_table_schema *fs;
    struct lt_file_columns extra;
    if (lt_schema_from_json(file_schema_json, &fs, &extra, err))
        return lt_error_prefix(err, "%s: ", path);
    struct lt_data_file *f = calloc(1, sizeof *f);
    int n = fs->ncols + (extra.no_pos ? 0 : 1) + (extra.op ? 1 : 0) + (extra.ts_column ? 1 : 0) +
            (extra.unchanged ? 1 : 0);
    const char **names = calloc((size_t)n, sizeof *names);
    if (!f || !names || !(f->map = calloc((size_t)out_schema->ncols + 1, sizeof *f->map)) ||
        !(f->vals = calloc((size_t)out_schema->ncols + 1, sizeof *f->vals))) {
        if (f) {
            free(f->map);
            free(f->vals);
        }
        free(f);
        free(names);
        lt_schema_free(fs);
        lt_file_columns_free(&extra);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    /* The file's column order (README, "Files"): Op, time column, table columns, _logtap_pos, unchanged (the
     * last two not in files written with target.LogtapColumns false). */
    int k = 0;
    f->op_col = extra.op ? k++ : -1;
    f->ts_col = extra.ts_column ? k++ : -1;
    int first_table_col = k;
    for (int i = 0; i < fs->ncols; i++)
        names[k++] = fs->cols[i].name;
    f->pos_col = extra.no_pos ? -1 : k++;
    f->unch_col = extra.unchanged ? k++ : -1;
    f->nfile_cols = n;
    for (int i = 0; i < out_schema->ncols; i++) {
        int c = find_col(names + first_table_col, fs->ncols, out_schema->cols[i].name);
        f->map[i] = c < 0 ? -1 : c + first_table_col;
    }
    f->out = out_schema;
    snprintf(f->path, sizeof f->path, "%s", path);
    int rc;
    if (ends_with(path, ".parquet")) {
        rc = lt_parquet_reader_open(path, &f->pq, err);
        if (!rc && lt_parquet_reader_schema(f->pq)->ncols != n)
            rc = lt_fail(err, LT_ERR_RUNTIME, "%s has %d columns, the manifest says %d", path,
                         lt_parquet_reader_schema(f->pq)->ncols, n);
    } else {
        rc = lt_csv_reader_open(path, cfg->csv_delimiter, cfg->csv_row_delimiter, cfg->csv_null_value, &f->csv, err);
        if (!rc && extra.nosup)
            lt_csv_reader_set_nosup(f->csv, extra.nosup);
        f->header_pending = cfg->add_column_name;
    }
    free(names);
    lt_schema_free(fs);
    lt_file_columns_free(&extra);
    if (rc) {
        lt_data_file_close(f);
        return LT_ERR_RUNTIME;
    }
    *out = f;
    return LT_OK;
}

bool lt_parse_timestamp_us(const char *s, size_t len, int64_t *us)
{
    char buf[40];
    if (len >= sizeof buf)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    int y, mo, d, h, mi, sec, n = 0;
    if (sscanf(buf, "%d-%d-%d %d:%d:%d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6)
        return false;
    int64_t frac = 0;
    if (buf[n] == '.') {
        int digits = 0;
        for (const char *p = buf + n + 1; *p >= '0' && *p <= '9' && digits < 6; p++, digits++)
            frac = frac * 10 + (*p - '0');
        for (; digits < 6; digits++)
            frac *= 10;
    }
    y -= mo <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
    *us = (((days * 24 + h) * 60 + mi) * 60 + sec) * 1000000 + frac;
    return true;
}

/* Marks the columns named in a _logtap_unchanged list (agent/unchanged_list.h); false when it is malformed. */
static bool mark_unchanged(struct lt_data_file *f, const struct lt_value *list)
{
    if (list->state == LT_VALUE_NULL || list->len == 0)
        return true;
    const char *p = list->data, *end = list->data + list->len;
    char name[1024];
    size_t n;
    int got;
    while ((got = lt_unchanged_next(&p, end, name, sizeof name, &n)) == 1)
        for (int i = 0; i < f->out->ncols; i++)
            if (strlen(f->out->cols[i].name) == n && memcmp(f->out->cols[i].name, name, n) == 0)
                f->vals[i].state = LT_VALUE_UNCHANGED;
    return got == 0;
}

int lt_data_file_next(struct lt_data_file *f, struct lt_row *row, struct lt_error *err)
{
    const struct lt_value *in;
    int nin = f->nfile_cols;
    int got;
    for (;;) {
        if (f->pq) {
            got = lt_parquet_reader_next(f->pq, &in, err);
        } else {
            got = lt_csv_reader_next(f->csv, &in, &nin, err);
            if (got == 1 && nin != f->nfile_cols) {
                lt_fail(err, LT_ERR_RUNTIME, "%s: a record has %d fields, expected %d", f->path, nin,
                        f->nfile_cols);
                return -1;
            }
        }
        if (got != 1)
            return got < 0 ? (lt_error_prefix(err, "%s: ", f->path), -1) : 0;
        if (f->header_pending) {
            f->header_pending = false;
            continue;
        }
        break;
    }
    for (int i = 0; i < f->out->ncols; i++) {
        if (f->map[i] >= 0)
            f->vals[i] = in[f->map[i]];
        else
            f->vals[i] = (struct lt_value){.state = LT_VALUE_NULL};
    }
    if (f->unch_col >= 0 && !mark_unchanged(f, &in[f->unch_col])) {
        lt_fail(err, LT_ERR_RUNTIME, "%s: a malformed %s value", f->path, "_logtap_unchanged");
        return -1;
    }
    /* (the columns logtap adds are never NULL nor unchanged: a CsvNoSupValue equal to their text reads as it) */
    row->op = 'I';
    if (f->op_col >= 0 && in[f->op_col].state != LT_VALUE_NULL && in[f->op_col].len == 1)
        row->op = in[f->op_col].data[0];
    row->commit_ts_us = 0;
    if (f->ts_col >= 0 && in[f->ts_col].state != LT_VALUE_NULL)
        lt_parse_timestamp_us(in[f->ts_col].data, in[f->ts_col].len, &row->commit_ts_us);
    const struct lt_value *pos = f->pos_col >= 0 ? &in[f->pos_col] : NULL; /* none: the caller knows the order */
    size_t plen = pos && pos->state != LT_VALUE_NULL ? pos->len : 0;
    if (plen > LT_POS_MAX)
        plen = LT_POS_MAX;
    if (plen)
        memcpy(row->pos, pos->data, plen);
    row->pos[plen] = '\0';
    row->nvals = f->out->ncols;
    row->vals = f->vals;
    return 1;
}

void lt_data_file_close(struct lt_data_file *f)
{
    if (!f)
        return;
    lt_csv_reader_close(f->csv);
    lt_parquet_reader_close(f->pq);
    free(f->map);
    free(f->vals);
    free(f);
}
