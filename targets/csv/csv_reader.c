/* The CSV reader (see csv_reader.h): a byte-at-a-time RFC 4180 state machine over a 256 KB read buffer. */
#include "targets/csv/csv_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CSV_READ_SIZE (256 * 1024)

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
    char delim[16], rowdelim[16], null[64];
    size_t delim_len, rowdelim_len, null_len;
    int64_t record_no;
};

int lt_csv_reader_open(const char *path, const char *delimiter, const char *row_delimiter, const char *null_value,
                       struct lt_csv_reader **out, struct lt_error *err)
{
    struct lt_csv_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->in = malloc(CSV_READ_SIZE))) {
        free(r);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        int e = errno;
        free(r->in);
        free(r);
        return lt_fail(err, LT_ERR_RUNTIME, "cannot open %s: %s", path, strerror(e));
    }
    snprintf(r->path, sizeof r->path, "%s", path);
    snprintf(r->delim, sizeof r->delim, "%s", delimiter);
    snprintf(r->rowdelim, sizeof r->rowdelim, "%s", row_delimiter);
    snprintf(r->null, sizeof r->null, "%s", null_value);
    r->delim_len = strlen(r->delim);
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
        ssize_t got = read(r->fd, r->in + r->in_len, CSV_READ_SIZE - r->in_len);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return lt_fail(err, LT_ERR_RUNTIME, "reading %s: %s", r->path, strerror(errno));
        }
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

static int put_byte(struct lt_csv_reader *r, char c, struct lt_error *err)
{
    if (r->rec_len == r->rec_cap) {
        size_t cap = r->rec_cap ? r->rec_cap * 2 : 4096;
        char *p = realloc(r->rec, cap);
        if (!p)
            return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        r->rec = p;
        r->rec_cap = cap;
    }
    r->rec[r->rec_len++] = c;
    return LT_OK;
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
    free(r->in);
    free(r->rec);
    free(r->fields);
    free(r->vals);
    free(r);
}
