/* The transaction-ordered CDC stream of PreserveTransactions (see txn_stream.h). */
#include "agent/txn_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/file_sink.h"
#include "agent/target.h"
#include "agent/target_root.h"

struct lt_txn_stream {
    struct lt_target_config cfg;  /* the target's, as CSV (the files are CSV whatever DataFormat is, as DMS) */
    const struct logtap_target_ops *target;
    char dir[LT_TABLE_DIR_MAX];
    struct lt_file_sink *sink;
    int64_t committed_ms;         /* the time in the newest name a checkpoint recorded */
    int64_t last_ms;              /* the time in the newest name used */
    char name[64];                /* the open (or last closed) file's name */
    int64_t bytes;                /* the last closed file's size */
};

static int on_file(void *ctx, const struct lt_sink_file_info *info, struct lt_error *err)
{
    (void)err;
    ((struct lt_txn_stream *)ctx)->bytes = info->bytes;
    return LT_OK;
}

void lt_txn_dir(const struct lt_target_config *t, char *out, size_t outlen)
{
    if (t->bucket_folder && *t->bucket_folder)
        snprintf(out, outlen, "%s/%s", t->bucket_folder, t->cdc_path ? t->cdc_path : "");
    else
        snprintf(out, outlen, "%s", t->cdc_path ? t->cdc_path : "");
}

/* "CDC_TXN-YYYYMMDDHHMMSSmmm.csv" back to its milliseconds (0 when it is not such a name). */
static int64_t name_ms(const char *name)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int ms;
    if (sscanf(name, "CDC_TXN-%4d%2d%2d%2d%2d%2d%3d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
               &tm.tm_sec, &ms) != 7)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

int lt_txn_stream_open(struct lt_txn_stream **out, const struct lt_target_config *t, struct lt_place *place,
                       struct lt_state *state, struct lt_error *err)
{
    *out = NULL;
    if (!t->preserve_transactions)
        return LT_OK;
    struct lt_txn_stream *x = calloc(1, sizeof *x);
    if (!x)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    x->cfg = *t;
    if (t->format != LT_FORMAT_CSV)
        x->cfg.compression = LT_COMPRESS_NONE;
    x->target = x->cfg.compression == LT_COMPRESS_GZIP ? &lt_csv_gzip_target : &lt_csv_target;
    lt_txn_dir(t, x->dir, sizeof x->dir);
    char last[128];
    if (lt_state_get_meta(state, LT_META_TXN_LAST_FILE, last, sizeof last, err) ||
        lt_sink_remove_cdc_temp_files(place, x->dir, err)) {
        free(x);
        return LT_ERR_RUNTIME;
    }
    x->committed_ms = x->last_ms = name_ms(last);
    struct lt_sink_options so = {
        .target = x->target, .cfg = &x->cfg, .root = place->root, .place = place, .table_dir = x->dir,
        .layout = {.schema = NULL, .with_op = true, .ts_column = t->timestamp_column,
                   .with_unchanged = t->logtap_columns, .no_pos = !t->logtap_columns, .txn = true},
        .on_file = on_file, .ctx = x,
    };
    if (lt_sink_open(&x->sink, &so, err)) {
        free(x);
        return LT_ERR_RUNTIME;
    }
    *out = x;
    return LT_OK;
}

int lt_txn_stream_write(struct lt_txn_stream *x, const struct lt_row *row, struct lt_error *err)
{
    if (!lt_sink_is_open(x->sink)) {
        int64_t ms = row->commit_ts_us / 1000;
        if (ms <= x->last_ms)
            ms = x->last_ms + 1;
        x->last_ms = ms;
        time_t secs = (time_t)(ms / 1000);
        struct tm tm;
        gmtime_r(&secs, &tm);
        snprintf(x->name, sizeof x->name, "CDC_TXN-%04d%02d%02d%02d%02d%02d%03d.%s", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000), x->target->extension);
        if (lt_sink_begin_file(x->sink, x->name, err))
            return lt_error_prefix(err, "transaction file: ");
    }
    return lt_sink_write_row(x->sink, row, err);
}

int lt_txn_stream_close(struct lt_txn_stream *x, const char **name, int64_t *bytes, struct lt_error *err)
{
    *name = NULL;
    *bytes = 0;
    if (!lt_sink_is_open(x->sink))
        return LT_OK;
    x->bytes = 0;
    if (lt_sink_close_file(x->sink, err))
        return lt_error_prefix(err, "closing transaction file %s: ", x->name);
    *name = x->name;
    *bytes = x->bytes;
    return LT_OK;
}

void lt_txn_stream_committed(struct lt_txn_stream *x)
{
    x->committed_ms = x->last_ms;
}

void lt_txn_stream_abort(struct lt_txn_stream *x)
{
    lt_sink_abort(x->sink);
    x->last_ms = x->committed_ms;
}

void lt_txn_stream_free(struct lt_txn_stream *x)
{
    if (!x)
        return;
    lt_sink_free(x->sink);
    free(x);
}
