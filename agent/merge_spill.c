/* Spill records of the merge (see merge_spill.h). */
#include "agent/merge_spill.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int lt_spill_codec_init(struct lt_spill_codec *c, int ncols, struct lt_error *err)
{
    memset(c, 0, sizeof *c);
    c->ncols = ncols;
    c->vals = calloc((size_t)ncols + 1, sizeof *c->vals);
    if (!c->vals)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    return LT_OK;
}

void lt_spill_codec_free(struct lt_spill_codec *c)
{
    free(c->buf);
    free(c->vals);
    memset(c, 0, sizeof *c);
}

static size_t varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static char *put_varint(char *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (char)(0x80 | (v & 0x7f));
        v >>= 7;
    }
    *p++ = (char)v;
    return p;
}

/* Reads a varint below 2^32; returns NULL when it runs past end or is too long. */
static const char *get_varint(const char *p, const char *end, uint32_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; p < end && shift <= 28; shift += 7) {
        unsigned char b = (unsigned char)*p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            if (v > UINT32_MAX)
                return NULL;
            *out = (uint32_t)v;
            return p;
        }
    }
    return NULL;
}


/* The bytes a value carries: NULL and unchanged values carry none (their length field is not meaningful). */
static uint32_t carried(const struct lt_value *v)
{
    return v->state == LT_VALUE_NULL || v->state == LT_VALUE_UNCHANGED ? 0 : v->len;
}

static int reserve(struct lt_spill_codec *c, uint64_t n, struct lt_error *err)
{
    if (n <= c->cap)
        return LT_OK;
    /* grow by half for small records, exactly for a big one: a 100 MB value must not cost 200 MB */
    uint64_t cap = c->cap + c->cap / 2;
    if (cap < n)
        cap = n;
    if (cap < 4096)
        cap = 4096;
    char *p = realloc(c->buf, cap);
    if (!p)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory (a spill record of %llu bytes)", (unsigned long long)n);
    c->buf = p;
    c->cap = cap;
    return LT_OK;
}

uint64_t lt_spill_row_size(const struct lt_row *row, int ncols)
{
    uint64_t n = 4 + 3 + strlen(row->pos) + varint_size((uint64_t)ncols);
    for (int i = 0; i < ncols; i++)
        n += 1 + varint_size(carried(&row->vals[i])) + carried(&row->vals[i]);
    return n;
}

int lt_spill_write(struct lt_spill_codec *c, FILE *f, int kind, const struct lt_row *row, struct lt_error *err)
{
    uint64_t n = lt_spill_row_size(row, c->ncols);
    if (n - 4 > UINT32_MAX)
        return lt_fail(err, LT_ERR_RUNTIME, "merge: a row of %llu bytes is too big to spill", (unsigned long long)n);
    if (reserve(c, n, err))
        return LT_ERR_RUNTIME;
    char *p = c->buf;
    uint32_t body = (uint32_t)(n - 4);
    memcpy(p, &body, 4);
    p += 4;
    size_t pl = strlen(row->pos);
    *p++ = (char)kind;
    *p++ = row->op;
    *p++ = (char)pl;
    memcpy(p, row->pos, pl);
    p = put_varint(p + pl, (uint64_t)c->ncols);
    for (int i = 0; i < c->ncols; i++) {
        const struct lt_value *v = &row->vals[i];
        uint32_t l = carried(v);
        *p++ = (char)v->state;
        p = put_varint(p, l);
        if (l)
            memcpy(p, v->data, l);
        p += l;
    }
    if (fwrite(c->buf, 1, (size_t)n, f) != (size_t)n)
        return lt_fail(err, LT_ERR_RUNTIME, "merge: writing a spill file: %s", strerror(errno));
    return LT_OK;
}

int lt_spill_decode(struct lt_spill_codec *c, const char *body, size_t len, int *kind, struct lt_row *row,
                    struct lt_error *err)
{
    const char *p = body, *end = body + len;
    uint32_t nc;
    if (len < 3 || (size_t)(unsigned char)p[2] > LT_POS_MAX || (size_t)(unsigned char)p[2] + 3 > len)
        goto damaged;
    *kind = (unsigned char)p[0];
    row->op = p[1];
    size_t pl = (unsigned char)p[2];
    memcpy(row->pos, p + 3, pl);
    row->pos[pl] = '\0';
    p += 3 + pl;
    if (!(p = get_varint(p, end, &nc)) || nc != (uint32_t)c->ncols)
        goto damaged;
    for (int i = 0; i < c->ncols; i++) {
        uint32_t l;
        if (p >= end)
            goto damaged;
        c->vals[i].state = (uint8_t)*p++;
        if (!(p = get_varint(p, end, &l)) || (size_t)(end - p) < l)
            goto damaged;
        c->vals[i].data = p;
        c->vals[i].len = l;
        p += l;
    }
    if (p != end)
        goto damaged;
    row->nvals = c->ncols;
    row->vals = c->vals;
    return 1;
damaged:
    lt_fail(err, LT_ERR_RUNTIME, "merge: a spill file is damaged");
    return -1;
}

int lt_spill_read(struct lt_spill_codec *c, FILE *f, int *kind, struct lt_row *row, struct lt_error *err)
{
    uint32_t body;
    size_t got = fread(&body, 1, 4, f);
    if (got == 0 && feof(f))
        return 0;
    if (got != 4) {
        lt_fail(err, LT_ERR_RUNTIME, "merge: a spill file is damaged");
        return -1;
    }
    if (reserve(c, body, err))
        return -1;
    if (fread(c->buf, 1, body, f) != body) {
        lt_fail(err, LT_ERR_RUNTIME, "merge: a spill file is damaged");
        return -1;
    }
    return lt_spill_decode(c, c->buf, body, kind, row, err);
}
