/* The CSV target: RFC 4180 files with the DMS S3 options (CsvDelimiter, CsvRowDelimiter, CsvNullValue,
 * AddColumnName, UseCsvNoSupValue + CsvNoSupValue). NULL is CsvNullValue unquoted, a column the source did not send
 * is CsvNoSupValue unquoted (when set; else CsvNullValue); a value that would read back as either (empty, or equal
 * to one of them) is quoted, as is any value holding the delimiter, a quote, CR, LF or a row-delimiter byte, so
 * PostgreSQL's COPY ... CSV, MySQL's LOAD DATA and DuckDB read every value back exactly.
 * Rows are formatted into one reused buffer and written to the file (agent/file_out.h) in large blocks; with CompressionType GZIP the
 * blocks go through a gzip (deflate, level 6 as Java's GZIPOutputStream and the gzip tool) stream into .csv.gz
 * files, which DuckDB, Spark, Athena and zcat read as they are. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <zlib.h>

#include "agent/target.h"
#include "agent/unchanged_list.h"
#include "targets/csv/csv_reader.h"

#define CSV_BUFFER_SIZE (256 * 1024)
#define CSV_GZIP_OUT_SIZE (64 * 1024)

struct lt_target_writer {
    struct lt_out *out;
    const struct lt_target_config *cfg;
    struct lt_file_layout layout;
    char *buf;
    size_t used;
    uint64_t flushed;  /* bytes written to fd */
    bool gzip;
    z_stream z;        /* with gzip: the deflate stream (initialised) */
    char *zout;
    const char *delim;
    size_t delim_len;
    const char *rowdelim;
    size_t rowdelim_len;
    const char *null;
    size_t null_len;
    const char *nosup;  /* written for an unchanged column: CsvNoSupValue, or the null marker */
    size_t nosup_len;
    bool special[256]; /* bytes that force quoting */
    unsigned char special_list[8]; /* the same bytes, for the vector scan, when there are at most 8 */
    int nspecial;      /* how many; -1 when more than 8 (the table scan is used) */
    char *unchanged;   /* scratch for the _logtap_unchanged list */
    size_t unchanged_cap;
    bool *plain;       /* per column: its canonical text can never need quotes (no scan needed) */
};

static int write_all(struct lt_target_writer *w, const char *p, size_t len, struct lt_error *err)
{
    if (lt_out_write(w->out, p, len, err))
        return LT_ERR_RUNTIME;
    w->flushed += len;
    return LT_OK;
}

/* Compresses the buffer (mode Z_NO_FLUSH) or it and the stream's end (Z_FINISH), writing what deflate gives. */
static int deflate_buffer(struct lt_target_writer *w, int mode, struct lt_error *err)
{
    w->z.next_in = (Bytef *)w->buf;
    w->z.avail_in = (uInt)w->used;
    int zrc;
    do {
        w->z.next_out = (Bytef *)w->zout;
        w->z.avail_out = CSV_GZIP_OUT_SIZE;
        zrc = deflate(&w->z, mode);
        if (zrc == Z_STREAM_ERROR)
            return lt_fail(err, LT_ERR_RUNTIME, "gzip: deflate failed");
        if (write_all(w, w->zout, CSV_GZIP_OUT_SIZE - w->z.avail_out, err))
            return LT_ERR_RUNTIME;
    } while (w->z.avail_out == 0 || (mode == Z_FINISH && zrc != Z_STREAM_END));
    w->used = 0;
    return LT_OK;
}

static int flush_buffer(struct lt_target_writer *w, struct lt_error *err)
{
    if (w->gzip)
        return deflate_buffer(w, Z_NO_FLUSH, err);
    int rc = write_all(w, w->buf, w->used, err);
    w->used = 0;
    return rc;
}

/* Appends bytes, flushing when the buffer is full; large values pass straight through. */
static int put(struct lt_target_writer *w, const char *p, size_t n, struct lt_error *err)
{
    if (n == 0) /* p may be NULL then (an empty _logtap_unchanged list before any was built) */
        return LT_OK;
    if (w->used + n > CSV_BUFFER_SIZE) {
        if (flush_buffer(w, err))
            return LT_ERR_RUNTIME;
        if (n > CSV_BUFFER_SIZE) {
            while (n > 0) {
                size_t chunk = n > CSV_BUFFER_SIZE ? CSV_BUFFER_SIZE : n;
                memcpy(w->buf, p, chunk);
                w->used = chunk;
                if (flush_buffer(w, err))
                    return LT_ERR_RUNTIME;
                p += chunk;
                n -= chunk;
            }
            return LT_OK;
        }
    }
    memcpy(w->buf + w->used, p, n);
    w->used += n;
    return LT_OK;
}

/* True when one of the n bytes at p is special (text values are scanned 16 bytes at a time where SSE2 exists). */
static bool has_special_byte(const struct lt_target_writer *w, const char *p, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    if (w->nspecial > 0) {
        __m128i want[8];
        for (int k = 0; k < w->nspecial; k++)
            want[k] = _mm_set1_epi8((char)w->special_list[k]);
        for (; i + 16 <= n; i += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
            __m128i hit = _mm_cmpeq_epi8(v, want[0]);
            for (int k = 1; k < w->nspecial; k++)
                hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, want[k]));
            if (_mm_movemask_epi8(hit))
                return true;
        }
    }
#endif
    for (; i < n; i++)
        if (w->special[(unsigned char)p[i]])
            return true;
    return false;
}

static bool needs_quotes(const struct lt_target_writer *w, const char *p, size_t n)
{
    if (n == 0 || (n == w->null_len && memcmp(p, w->null, n) == 0) ||
        (n == w->nosup_len && memcmp(p, w->nosup, n) == 0))
        return true;
    return has_special_byte(w, p, n);
}

static int put_field(struct lt_target_writer *w, const char *p, size_t n, struct lt_error *err)
{
    if (n == 0) /* empty text is quoted; p may be NULL then (an empty _logtap_unchanged list), so no p + n below */
        return put(w, "\"\"", 2, err);
    if (!needs_quotes(w, p, n))
        return put(w, p, n, err);
    if (put(w, "\"", 1, err))
        return LT_ERR_RUNTIME;
    const char *start = p, *end = p + n;
    for (const char *q = p; q < end; q++) {
        if (*q == '"') {
            if (put(w, start, (size_t)(q - start + 1), err) || put(w, "\"", 1, err))
                return LT_ERR_RUNTIME;
            start = q + 1;
        }
    }
    if (put(w, start, (size_t)(end - start), err))
        return LT_ERR_RUNTIME;
    return put(w, "\"", 1, err);
}

static int put_value(struct lt_target_writer *w, const struct lt_value *v, bool plain, struct lt_error *err)
{
    if (v->state == LT_VALUE_PRESENT)
        return plain && v->len ? put(w, v->data, v->len, err) : put_field(w, v->data, v->len, err);
    if (v->state == LT_VALUE_UNCHANGED) /* named in _logtap_unchanged */
        return put(w, w->nosup, w->nosup_len, err);
    return put(w, w->null, w->null_len, err);
}

static int put_text(struct lt_target_writer *w, const char *s, struct lt_error *err)
{
    return put_field(w, s, strlen(s), err);
}

static int write_header(struct lt_target_writer *w, struct lt_error *err)
{
    const struct lt_file_layout *l = &w->layout;
    bool first = true;
#define SEP() do { if (!first && put(w, w->delim, w->delim_len, err)) return LT_ERR_RUNTIME; first = false; } while (0)
    if (l->with_op) {
        SEP();
        if (put_text(w, "Op", err))
            return LT_ERR_RUNTIME;
    }
    if (l->ts_column) {
        SEP();
        if (put_text(w, l->ts_column, err))
            return LT_ERR_RUNTIME;
    }
    for (int i = 0; i < l->schema->ncols; i++) {
        SEP();
        if (put_text(w, l->schema->cols[i].name, err))
            return LT_ERR_RUNTIME;
    }
    if (!l->no_pos) {
        SEP();
        if (put_text(w, LT_POS_COLUMN, err))
            return LT_ERR_RUNTIME;
    }
    if (l->with_unchanged) {
        SEP();
        if (put_text(w, LT_UNCHANGED_COLUMN, err))
            return LT_ERR_RUNTIME;
    }
#undef SEP
    return put(w, w->rowdelim, w->rowdelim_len, err);
}

/* True when some byte of marker is outside alphabet (so no text made of the alphabet can equal it). */
static bool marker_outside(const char *marker, size_t len, const char *alphabet)
{
    if (len == 0)
        return true; /* an empty value is quoted by the slow path: put_value sends len 0 there */
    for (size_t i = 0; i < len; i++)
        if (!strchr(alphabet, marker[i]))
            return true;
    return false;
}

/* True when no text made of these characters can need quotes: none of them is special, and the null and no-sup
 * markers (which such a text could equal) each use a character outside them. */
static bool alphabet_is_plain(const struct lt_target_writer *w, const char *alphabet)
{
    for (const char *c = alphabet; *c; c++)
        if (w->special[(unsigned char)*c])
            return false;
    return marker_outside(w->null, w->null_len, alphabet) && marker_outside(w->nosup, w->nosup_len, alphabet);
}

/* Types whose canonical text (README, "Files") comes from a small alphabet: numbers (with NaN, Infinity,
 * exponents), dates (with BC, infinity), times, timestamps with offsets, booleans, UUIDs. */
static bool type_text_is_plain(const struct lt_target_writer *w, enum lt_type type)
{
    switch (type) {
    case LT_TYPE_BOOL:
        return alphabet_is_plain(w, "tfrueals01");
    case LT_TYPE_INT16: case LT_TYPE_INT32: case LT_TYPE_INT64:
        return alphabet_is_plain(w, "0123456789-+");
    case LT_TYPE_FLOAT32: case LT_TYPE_FLOAT64: case LT_TYPE_DECIMAL:
        return alphabet_is_plain(w, "0123456789-+.eENaInfity");
    case LT_TYPE_DATE: case LT_TYPE_TIME: case LT_TYPE_TIMESTAMP: case LT_TYPE_TIMESTAMPTZ:
        return alphabet_is_plain(w, "0123456789-+.: BCinfty");
    case LT_TYPE_UUID:
        return alphabet_is_plain(w, "0123456789abcdefABCDEF-");
    default:
        return false;
    }
}

static void csv_discard(struct lt_target_writer *w);

static int csv_open(struct lt_target_writer **out, struct lt_out *o, const struct lt_target_config *cfg,
                    const struct lt_file_layout *layout, struct lt_error *err)
{
    struct lt_target_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->buf = malloc(CSV_BUFFER_SIZE))) {
        free(w);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    w->out = o;
    w->cfg = cfg;
    w->layout = *layout;
    if (cfg->compression == LT_COMPRESS_GZIP) {
        /* windowBits 15 + 16: a gzip header and trailer around the deflate data */
        if (!(w->zout = malloc(CSV_GZIP_OUT_SIZE)) ||
            deflateInit2(&w->z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            free(w->zout);
            free(w->buf);
            free(w);
            return lt_fail(err, LT_ERR_RUNTIME, "gzip: cannot start a deflate stream (out of memory)");
        }
        w->gzip = true;
    }
    w->delim = cfg->csv_delimiter;
    w->delim_len = strlen(w->delim);
    w->rowdelim = cfg->csv_row_delimiter;
    w->rowdelim_len = strlen(w->rowdelim);
    w->null = cfg->csv_null_value;
    w->null_len = strlen(w->null);
    w->nosup = cfg->csv_nosup_value ? cfg->csv_nosup_value : w->null;
    w->nosup_len = strlen(w->nosup);
    w->special['"'] = w->special['\r'] = w->special['\n'] = true;
    for (const char *p = w->delim; *p; p++)
        w->special[(unsigned char)*p] = true;
    for (const char *p = w->rowdelim; *p; p++)
        w->special[(unsigned char)*p] = true;
    for (int c = 0; c < 256; c++) {
        if (!w->special[c])
            continue;
        if (w->nspecial < 0 || w->nspecial == (int)sizeof w->special_list) {
            w->nspecial = -1;
            continue;
        }
        w->special_list[w->nspecial++] = (unsigned char)c;
    }
    if (layout->txn) { /* rows of several tables: every value goes through the quoting scan; no header */
        *out = w;
        return LT_OK;
    }
    if (!(w->plain = calloc((size_t)layout->schema->ncols + 1, sizeof *w->plain))) {
        csv_discard(w);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    for (int i = 0; i < layout->schema->ncols; i++)
        w->plain[i] = type_text_is_plain(w, layout->schema->cols[i].type);
    if (cfg->add_column_name && write_header(w, err)) {
        csv_discard(w);
        return LT_ERR_RUNTIME;
    }
    *out = w;
    return LT_OK;
}

/* The _logtap_unchanged list of the row (agent/unchanged_list.h); empty when none. */
static int unchanged_list(struct lt_target_writer *w, const struct lt_row *row, size_t *len, struct lt_error *err)
{
    size_t n = 0;
    for (int i = 0; i < row->nvals; i++) {
        if (row->vals[i].state != LT_VALUE_UNCHANGED)
            continue;
        const char *name = (w->layout.txn ? row->schema : w->layout.schema)->cols[i].name;
        size_t need = n + lt_unchanged_item(NULL, name, n == 0) + 1;
        if (need > w->unchanged_cap) {
            size_t cap = need * 2 + 64;
            char *p = realloc(w->unchanged, cap);
            if (!p)
                return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
            w->unchanged = p;
            w->unchanged_cap = cap;
        }
        n += lt_unchanged_item(w->unchanged + n, name, n == 0);
    }
    *len = n;
    return LT_OK;
}

/* A row of a transaction file: DMS's "operation,table_name,database_schema_name,field_value,...", then logtap's
 * _logtap_pos and _logtap_unchanged. */
static int csv_write_txn_row(struct lt_target_writer *w, const struct lt_row *row, struct lt_error *err)
{
    const struct lt_table_schema *s = row->schema;
    if (!s || row->nvals != s->ncols)
        return lt_fail(err, LT_ERR_RUNTIME, "internal: a transaction-file row without its table's columns");
    char op = row->op;
    if (put(w, &op, 1, err) || put(w, w->delim, w->delim_len, err) || put_text(w, s->table_name, err) ||
        put(w, w->delim, w->delim_len, err) || put_text(w, s->schema_name, err))
        return LT_ERR_RUNTIME;
    if (w->layout.ts_column) {
        char ts[32];
        lt_format_timestamp_us(row->commit_ts_us, ts);
        if (put(w, w->delim, w->delim_len, err) || put(w, ts, strlen(ts), err))
            return LT_ERR_RUNTIME;
    }
    for (int i = 0; i < row->nvals; i++)
        if (put(w, w->delim, w->delim_len, err) || put_value(w, &row->vals[i], false, err))
            return LT_ERR_RUNTIME;
    size_t n = 0;
    if (!w->layout.no_pos &&
        (put(w, w->delim, w->delim_len, err) || put_field(w, row->pos, strlen(row->pos), err) ||
         put(w, w->delim, w->delim_len, err) || unchanged_list(w, row, &n, err) || put_field(w, w->unchanged, n, err)))
        return LT_ERR_RUNTIME;
    return put(w, w->rowdelim, w->rowdelim_len, err);
}

static int csv_write_row(struct lt_target_writer *w, const struct lt_row *row, struct lt_error *err)
{
    const struct lt_file_layout *l = &w->layout;
    if (l->txn)
        return csv_write_txn_row(w, row, err);
    if (row->nvals != l->schema->ncols)
        return lt_fail(err, LT_ERR_RUNTIME, "row has %d values, table %s.%s has %d columns", row->nvals,
                       l->schema->schema_name, l->schema->table_name, l->schema->ncols);
    bool first = true;
#define SEP() do { if (!first && put(w, w->delim, w->delim_len, err)) return LT_ERR_RUNTIME; first = false; } while (0)
    if (l->with_op) {
        SEP();
        char op = row->op;
        if (put(w, &op, 1, err))
            return LT_ERR_RUNTIME;
    }
    if (l->ts_column) {
        SEP();
        char ts[32];
        lt_format_timestamp_us(row->commit_ts_us, ts);
        if (put(w, ts, strlen(ts), err))
            return LT_ERR_RUNTIME;
    }
    for (int i = 0; i < row->nvals; i++) {
        SEP();
        if (put_value(w, &row->vals[i], w->plain[i], err))
            return LT_ERR_RUNTIME;
    }
    if (!l->no_pos) {
        SEP();
        if (put_field(w, row->pos, strlen(row->pos), err))
            return LT_ERR_RUNTIME;
    }
    if (l->with_unchanged) {
        SEP();
        size_t n = 0;
        if (unchanged_list(w, row, &n, err) || put_field(w, w->unchanged, n, err))
            return LT_ERR_RUNTIME;
    }
#undef SEP
    return put(w, w->rowdelim, w->rowdelim_len, err);
}

/* Bytes in the file so far plus the buffered ones (uncompressed: a file rolls over a little early with gzip). */
static uint64_t csv_size(const struct lt_target_writer *w)
{
    return w->flushed + w->used;
}

static void csv_discard(struct lt_target_writer *w)
{
    if (w->gzip)
        deflateEnd(&w->z);
    free(w->zout);
    free(w->plain);
    free(w->unchanged);
    free(w->buf);
    free(w);
}

static int csv_finish(struct lt_target_writer *w, struct lt_error *err)
{
    int rc = w->gzip ? deflate_buffer(w, Z_FINISH, err) : flush_buffer(w, err);
    csv_discard(w);
    return rc;
}

const struct logtap_target_ops lt_csv_target = {
    .name = "csv",
    .extension = "csv",
    .open = csv_open,
    .write_row = csv_write_row,
    .size = csv_size,
    .finish = csv_finish,
    .discard = csv_discard,
    .reader_open = lt_csv_target_reader_open,
    .reader_next = lt_csv_target_reader_next,
    .reader_close = lt_csv_target_reader_close,
};

/* The same writer with CompressionType GZIP (csv_open reads it from the config). */
const struct logtap_target_ops lt_csv_gzip_target = {
    .name = "csv",
    .extension = "csv.gz",
    .open = csv_open,
    .write_row = csv_write_row,
    .size = csv_size,
    .finish = csv_finish,
    .discard = csv_discard,
    .reader_open = lt_csv_target_reader_open,
    .reader_next = lt_csv_target_reader_next,
    .reader_close = lt_csv_target_reader_close,
};
