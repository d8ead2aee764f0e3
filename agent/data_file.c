/* Reading logtap's own data files back (see data_file.h). */
#include "agent/data_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/target.h"
#include "agent/unchanged_list.h"
#include "agent/utc_time.h"

struct lt_data_file {
    const struct logtap_target_ops *target; /* the target whose reader reads the file */
    struct lt_target_reader *reader;
    char path[4096];
    int nfile_cols;
    int *map;                 /* output column -> file column, or -1 */
    int op_col, ts_col, pos_col, unch_col;
    const struct lt_table_schema *out;
    struct lt_value *vals;
};

static int find_col(const char *const *names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (names[i] && strcmp(names[i], name) == 0)
            return i;
    return -1;
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
    f->target = lt_target_for_file(path);
    if (!f->target)
        rc = lt_fail(err, LT_ERR_RUNTIME, "%s: no target reads a file named like this", path);
    else
        rc = f->target->reader_open(&f->reader, path, cfg, n, extra.nosup, err);
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
    int got = f->target->reader_next(f->reader, &in, err);
    if (got != 1)
        return got < 0 ? (lt_error_prefix(err, "%s: ", f->path), -1) : 0;
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
        lt_utc_time_parse_column(in[f->ts_col].data, in[f->ts_col].len, &row->commit_ts_us);
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
    if (f->reader)
        f->target->reader_close(f->reader);
    free(f->map);
    free(f->vals);
    free(f);
}
