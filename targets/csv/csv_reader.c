/* The CSV reader (see csv_reader.h): a byte-at-a-time RFC 4180 state machine over a 256 KB read buffer; files
 * whose name ends in .gz are inflated on the way in (gzip, several members allowed, as zcat reads them). */
#include "targets/csv/csv_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define CSV_READ_SIZE (256 * 1024)
#define CSV_GZIP_IN_SIZE (64 * 1024)
#define CSV_RECORD_START 4096 /* the record buffer's first size */
#define CSV_SETTING_MAX 64 /* CsvDelimiter, CsvRowDelimiter, CsvNullValue: the task config allows 63 bytes each */

struct field {
    size_t off;
    size_t len;
    bool quoted;
};

struct lt_csv_reader {
    int fd;
    char path[4096];
    char *in;
    size_t in_len, in_pos;
    bool eof;
    char *rec;            /* the current record's unescaped bytes */
    size_t rec_len, rec_cap;
    struct field *fields;
    int nfields, fields_cap;
    struct lt_value *vals;
    int vals_cap;
    char delim[CSV_SETTING_MAX], rowdelim[CSV_SETTING_MAX], null[CSV_SETTING_MAX], nosup[CSV_SETTING_MAX];
    size_t delim_len, rowdelim_len, null_len, nosup_len;
    int64_t record_no;
    bool stop[256];       /* bytes that end a run of ordinary bytes: '"' and the delimiters' first bytes */
    bool gzip;            /* inflate what is read */
    z_stream z;
    unsigned char *zin;
    bool zin_eof;         /* the compressed file is read to its end */
    bool member_done;     /* the last inflate ended a gzip member */
};

static bool ends_with_gz(const char *path)
{
    size_t n = strlen(path);
    return n > 3 && strcmp(path + n - 3, ".gz") == 0;
}

/* Reads up to cap bytes of the file (inflated for .gz): the number read, 0 at its end, -1 with err set. */
static ssize_t read_some(struct lt_csv_reader *r, char *dst, size_t cap, struct lt_error *err)
{
    if (!r->gzip) {
        for (;;) {
            ssize_t got = read(r->fd, dst, cap);
            if (got >= 0 || errno != EINTR) {
                if (got < 0)
                    lt_fail(err, LT_ERR_RUNTIME, "reading %s: %s", r->path, strerror(errno));
                return got;
            }
        }
    }
    r->z.next_out = (Bytef *)dst;
    r->z.avail_out = (uInt)cap;
    while (r->z.avail_out == cap) {
        if (r->z.avail_in == 0 && !r->zin_eof) {
            ssize_t got = read(r->fd, r->zin, CSV_GZIP_IN_SIZE);
            if (got < 0 && errno == EINTR)
                continue;
            if (got < 0) {
                lt_fail(err, LT_ERR_RUNTIME, "reading %s: %s", r->path, strerror(errno));
                return -1;
            }
            r->zin_eof = got == 0;
            r->z.next_in = r->zin;
            r->z.avail_in = (uInt)got;
        }
        if (r->z.avail_in == 0 && r->zin_eof) {
            if (!r->member_done) {
                lt_fail(err, LT_ERR_RUNTIME, "%s: the gzip data ends early (a truncated file?)", r->path);
                return -1;
            }
            break;
        }
        if (r->member_done) { /* another gzip member follows */
            inflateReset(&r->z);
            r->member_done = false;
        }
        int zrc = inflate(&r->z, Z_NO_FLUSH);
        if (zrc == Z_STREAM_END) {
            r->member_done = true;
        } else if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
            lt_fail(err, LT_ERR_RUNTIME, "%s: not valid gzip data (%s)", r->path, r->z.msg ? r->z.msg : "inflate error");
            return -1;
        }
    }
    return (ssize_t)(cap - r->z.avail_out);
}

int lt_csv_reader_open(const char *path, const char *delimiter, const char *row_delimiter, const char *null_value,
                       struct lt_csv_reader **out, struct lt_error *err)
{
    if (strlen(delimiter) >= CSV_SETTING_MAX || strlen(row_delimiter) >= CSV_SETTING_MAX ||
        strlen(null_value) >= CSV_SETTING_MAX)
        return lt_fail(err, LT_ERR_RUNTIME, "%s: CSV delimiters and null value are limited to %d bytes", path,
                       CSV_SETTING_MAX - 1);
    struct lt_csv_reader *r = calloc(1, sizeof *r);
    /* the record buffer exists before the first byte is stored: an empty first record's values point into it */
    if (!r || !(r->in = malloc(CSV_READ_SIZE)) || !(r->rec = malloc(CSV_RECORD_START))) {
        if (r)
            free(r->in);
        free(r);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    r->rec_cap = CSV_RECORD_START;
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        int e = errno;
        free(r->rec);
        free(r->in);
        free(r);
        return lt_fail(err, LT_ERR_RUNTIME, "cannot open %s: %s", path, strerror(e));
    }
    snprintf(r->path, sizeof r->path, "%s", path);
    if (ends_with_gz(path)) {
        /* windowBits 15 + 16: gzip only */
        if (!(r->zin = malloc(CSV_GZIP_IN_SIZE)) || inflateInit2(&r->z, 15 + 16) != Z_OK) {
            close(r->fd);
            free(r->zin);
            free(r->rec);
            free(r->in);
            free(r);
            return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        }
        r->gzip = true;
    }
    snprintf(r->delim, sizeof r->delim, "%s", delimiter);
    snprintf(r->rowdelim, sizeof r->rowdelim, "%s", row_delimiter);
    snprintf(r->null, sizeof r->null, "%s", null_value);
    r->delim_len = strlen(r->delim);
    r->stop['"'] = true;
    r->stop[(unsigned char)r->delim[0]] = true;
    r->stop[(unsigned char)r->rowdelim[0]] = true;
    r->rowdelim_len = strlen(r->rowdelim);
    r->null_len = strlen(r->null);
    *out = r;
    return LT_OK;
}

/* Ensures at least n bytes are buffered from in_pos (fewer only at end of file). */
static int fill(struct lt_csv_reader *r, size_t n, struct lt_error *err)
{
    if (r->in_len - r->in_pos >= n || r->eof)
        return LT_OK;
    memmove(r->in, r->in + r->in_pos, r->in_len - r->in_pos);
    r->in_len -= r->in_pos;
    r->in_pos = 0;
    while (r->in_len < n && !r->eof) {
        ssize_t got = read_some(r, r->in + r->in_len, CSV_READ_SIZE - r->in_len, err);
        if (got < 0)
            return LT_ERR_RUNTIME;
        if (got == 0)
            r->eof = true;
        r->in_len += (size_t)got;
    }
    return LT_OK;
}

static bool at(struct lt_csv_reader *r, const char *s, size_t n)
{
    /* the first byte decides almost always: no memcmp call per input byte */
    return r->in_len - r->in_pos >= n && r->in[r->in_pos] == s[0] && (n == 1 || memcmp(r->in + r->in_pos, s, n) == 0);
}

static int put_bytes(struct lt_csv_reader *r, const char *p, size_t n, struct lt_error *err)
{
    if (r->rec_cap - r->rec_len < n) {
        size_t cap = r->rec_cap;
        while (cap - r->rec_len < n)
            cap *= 2;
        char *q = realloc(r->rec, cap);
        if (!q)
            return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        r->rec = q;
        r->rec_cap = cap;
    }
    memcpy(r->rec + r->rec_len, p, n);
    r->rec_len += n;
    return LT_OK;
}

static int put_byte(struct lt_csv_reader *r, char c, struct lt_error *err)
{
    return put_bytes(r, &c, 1, err);
}

static int start_field(struct lt_csv_reader *r, struct lt_error *err)
{
    if (r->nfields == r->fields_cap) {
        int cap = r->fields_cap ? r->fields_cap * 2 : 32;
        struct field *f = realloc(r->fields, (size_t)cap * sizeof *f);
        if (!f)
            return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        r->fields = f;
        r->fields_cap = cap;
    }
    r->fields[r->nfields++] = (struct field){.off = r->rec_len};
    return LT_OK;
}

int lt_csv_reader_next(struct lt_csv_reader *r, const struct lt_value **vals, int *nvals, struct lt_error *err)
{
    r->rec_len = 0;
    r->nfields = 0;
    size_t need = r->delim_len > r->rowdelim_len ? r->delim_len : r->rowdelim_len;
    if (fill(r, need, err))
        return -1;
    if (r->in_pos == r->in_len && r->eof)
        return 0;
    r->record_no++;
    if (start_field(r, err))
        return -1;
    bool in_quotes = false;
    for (;;) {
        if (fill(r, need + 1, err))
            return -1;
        if (r->in_pos == r->in_len) { /* end of file ends the record */
            if (in_quotes)
                return lt_fail(err, LT_ERR_RUNTIME, "%s: record %lld: unterminated quoted field", r->path,
                               (long long)r->record_no), -1;
            break;
        }
        struct field *f = &r->fields[r->nfields - 1];
        /* a run of bytes that needs no decision is copied at once */
        const char *start = r->in + r->in_pos;
        size_t avail = r->in_len - r->in_pos, run = 0;
        if (in_quotes) {
            const char *q = memchr(start, '"', avail);
            run = q ? (size_t)(q - start) : avail;
        } else {
            while (run < avail && !r->stop[(unsigned char)start[run]])
                run++;
        }
        if (run) {
            if (put_bytes(r, start, run, err))
                return -1;
            r->in_pos += run;
            continue;
        }
        char c = r->in[r->in_pos];
        if (in_quotes) {
            if (c == '"') {
                if (r->in_len - r->in_pos >= 2 && r->in[r->in_pos + 1] == '"') {
                    if (put_byte(r, '"', err))
                        return -1;
                    r->in_pos += 2;
                } else {
                    in_quotes = false;
                    r->in_pos++;
                }
            } else {
                if (put_byte(r, c, err))
                    return -1;
                r->in_pos++;
            }
            continue;
        }
        if (at(r, r->delim, r->delim_len)) {
            r->in_pos += r->delim_len;
            f->len = r->rec_len - f->off;
            if (start_field(r, err))
                return -1;
            continue;
        }
        if (at(r, r->rowdelim, r->rowdelim_len)) {
            r->in_pos += r->rowdelim_len;
            break;
        }
        if (c == '"' && r->rec_len == f->off && !f->quoted) {
            f->quoted = true;
            in_quotes = true;
            r->in_pos++;
            continue;
        }
        if (put_byte(r, c, err))
            return -1;
        r->in_pos++;
    }
    struct field *last = &r->fields[r->nfields - 1];
    last->len = r->rec_len - last->off;
    if (r->nfields > r->vals_cap) {
        struct lt_value *v = realloc(r->vals, (size_t)r->nfields * sizeof *v);
        if (!v)
            return lt_fail(err, LT_ERR_RUNTIME, "out of memory"), -1;
        r->vals = v;
        r->vals_cap = r->nfields;
    }
    for (int i = 0; i < r->nfields; i++) {
        const struct field *f = &r->fields[i];
        struct lt_value *v = &r->vals[i];
        v->data = r->rec + f->off;
        v->len = (uint32_t)f->len;
        v->state = (!f->quoted && f->len == r->null_len && memcmp(v->data, r->null, f->len) == 0) ? LT_VALUE_NULL
                   : (!f->quoted && r->nosup_len && f->len == r->nosup_len && memcmp(v->data, r->nosup, f->len) == 0)
                       ? LT_VALUE_UNCHANGED
                       : LT_VALUE_PRESENT;
    }
    *vals = r->vals;
    *nvals = r->nfields;
    return 1;
}

void lt_csv_reader_close(struct lt_csv_reader *r)
{
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd);
    if (r->gzip)
        inflateEnd(&r->z);
    free(r->zin);
    free(r->in);
    free(r->rec);
    free(r->fields);
    free(r->vals);
    free(r);
}

void lt_csv_reader_set_nosup(struct lt_csv_reader *r, const char *nosup)
{
    snprintf(r->nosup, sizeof r->nosup, "%s", nosup ? nosup : "");
    r->nosup_len = strlen(r->nosup);
}

struct lt_target_reader {
    struct lt_csv_reader *csv;
    int ncols;
    bool header_pending;
};

int lt_csv_target_reader_open(struct lt_target_reader **out, const char *path, const struct lt_target_config *cfg,
                              int ncols, const char *nosup, struct lt_error *err)
{
    struct lt_target_reader *r = calloc(1, sizeof *r);
    if (!r)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    int rc = lt_csv_reader_open(path, cfg->csv_delimiter, cfg->csv_row_delimiter, cfg->csv_null_value, &r->csv, err);
    if (rc) {
        free(r);
        return rc;
    }
    if (nosup)
        lt_csv_reader_set_nosup(r->csv, nosup);
    r->ncols = ncols;
    r->header_pending = cfg->add_column_name;
    *out = r;
    return LT_OK;
}

int lt_csv_target_reader_next(struct lt_target_reader *r, const struct lt_value **vals, struct lt_error *err)
{
    for (;;) {
        int n, got = lt_csv_reader_next(r->csv, vals, &n, err);
        if (got != 1)
            return got;
        if (n != r->ncols) {
            lt_fail(err, LT_ERR_RUNTIME, "a record has %d fields, expected %d", n, r->ncols);
            return -1;
        }
        if (!r->header_pending)
            return 1;
        r->header_pending = false;
    }
}

void lt_csv_target_reader_close(struct lt_target_reader *r)
{
    if (!r)
        return;
    lt_csv_reader_close(r->csv);
    free(r);
}
