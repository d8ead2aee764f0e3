/* The Parquet target: turns change rows into one Parquet file through an output (agent/target.h, agent/file_out.h).
 *
 * File layout written:  "PAR1" | row group* | FileMetaData (thrift compact) | u32le footer length | "PAR1"
 * Each row group holds one column chunk per column, in column order; a chunk is an optional dictionary page
 * (PLAIN-encoded values) followed by data pages (v1, or v2 when ParquetVersion is 2.0). Data pages carry
 * definition levels (RLE hybrid, bit width 1) for OPTIONAL columns, then the values: PLAIN, or dictionary
 * indices (one bit-width byte + RLE hybrid). A column chunk starts with a dictionary, and drops it (parquet_dict.h)
 * once its first values show that the dictionary would not be smaller than PLAIN: the values buffered so far are
 * rewritten PLAIN and no dictionary page is written (so nearly unique columns are not hashed value by value). A
 * column also falls back to PLAIN for the rest of a row group when its dictionary grows past dict_page_size_limit.
 *
 * Memory: one row group's compressed pages plus each column's current page and dictionary; buffers are reused
 * across pages and row groups, nothing is allocated per value. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/target.h"
#include "agent/unchanged_list.h"
#include "agent/version.h"
#include "targets/parquet/byte_buffer.h"
#include "targets/parquet/parquet_codec.h"
#include "targets/parquet/parquet_dict.h"
#include "targets/parquet/parquet_meta.h"
#include "targets/parquet/parquet_reader.h"
#include "targets/parquet/parquet_rle.h"
#include "targets/parquet/parquet_values.h"
#include "targets/parquet/thrift_compact.h"

/* Row groups are bounded by memory, not by the number of files written at once: the row groups being built share
 * one budget of value bytes (a writer's column chunks, compressed, and its pages stay below its share), so eight
 * parts of a table written at once hold what one would. A writer's share is the budget over the writers open now,
 * between a floor (row groups much smaller than this cost size and speed) and a ceiling. */
#define ROW_GROUP_BUDGET_BYTES (64u * 1024 * 1024)
#define ROW_GROUP_MIN_BYTES (4u * 1024 * 1024)
#define ROW_GROUP_MAX_BYTES (128u * 1024 * 1024)
#define DEFAULT_PAGE_SIZE (1024 * 1024)
#define DEFAULT_DICT_LIMIT (1024 * 1024)
#define STATS_MAX_BYTES 4096
/* A column chunk decides whether its dictionary pays off after this many values, or this many PLAIN bytes. */
#define DICT_PROBE_VALUES 20000
#define DICT_PROBE_BYTES (256 * 1024)
/* Bytes kept free in front of a page's PLAIN values, so that short definition levels (a page without nulls needs
 * at most 10 bytes in a v1 page) can be put there and the page compressed without copying its values. */
#define VALUES_HEADROOM 16

enum col_source { SRC_OP, SRC_TS, SRC_TABLE, SRC_POS, SRC_UNCHANGED };
enum stat_kind { STAT_INT, STAT_FLOAT, STAT_DEC128, STAT_BYTES };

struct wcol {
    char *name;
    enum col_source src;
    int table_index;
    struct pq_column_type t;
    bool optional;
    enum stat_kind stat_kind;

    /* current page */
    struct byte_buffer levels;  /* uint32 definition level per value (OPTIONAL columns), only once the page has
                                 * a null: until then every level is 1 and page_values counts them */
    struct byte_buffer values;  /* VALUES_HEADROOM free bytes, then the PLAIN-encoded non-null values (plain
                                 * pages) */
    struct byte_buffer indices; /* uint32 dictionary index per non-null value (dictionary pages) */
    uint32_t page_values, page_nulls, bool_bits;

    /* dictionary of the current row group */
    bool dict_allowed, dict_on;
    bool dict_decided;          /* the probe of this chunk's first values has run */
    int dict_bw;                /* bit width of the indices, for page size estimates */
    struct pq_dict dict;
    uint64_t probe_values, probe_plain_bytes; /* values added while the dictionary was on, their PLAIN size */

    /* column chunk of the current row group */
    struct byte_buffer chunk;
    int64_t chunk_uncompressed, chunk_values, chunk_nulls;
    bool used_dict_pages, used_plain_pages;

    /* statistics of the current row group */
    bool has_minmax, minmax_too_long;
    uint64_t kmin, kmax; /* byte arrays: the first 8 bytes of bmin / bmax, big-endian, zero-padded */
    int64_t imin, imax;
    double dmin, dmax;
    __int128 decmin, decmax;
    struct byte_buffer bmin, bmax;
};

struct rg_meta {
    struct pq_column_chunk *cols;
    uint8_t *stats_blob;
    int64_t num_rows, total_byte_size, file_offset, total_compressed_size;
};

struct lt_target_writer {
    struct lt_out *out;
    int codec;
    enum lt_parquet_encoding encoding;
    bool v2, stats;
    uint64_t page_size, dict_limit;
    int64_t rg_length;
    int ncols, ntable;
    struct wcol *cols;
    struct pq_parsed *parsed;   /* one per table column, for the row being written */
    char **table_names;         /* for _logtap_unchanged */
    int *table_col;             /* table column index -> index in cols */
    struct byte_buffer scratch, page_buf, comp_buf, hdr_buf;
    struct pq_compressor *compressor;
    uint64_t offset;
    int64_t rg_rows;
    uint64_t rg_bytes;
    int64_t total_rows;
    struct rg_meta *rgs;
    int nrgs, cap_rgs;
    bool counted;               /* counted in open_writers */
};

static atomic_int open_writers;

/* This writer's share of the row-group budget. */
static uint64_t row_group_limit(void)
{
    int n = atomic_load_explicit(&open_writers, memory_order_relaxed);
    uint64_t share = ROW_GROUP_BUDGET_BYTES / (uint64_t)(n > 1 ? n : 1);
    if (share < ROW_GROUP_MIN_BYTES)
        return ROW_GROUP_MIN_BYTES;
    return share > ROW_GROUP_MAX_BYTES ? ROW_GROUP_MAX_BYTES : share;
}

/* ---- output ---- */

static int write_all(struct lt_target_writer *w, const void *p, size_t n, struct lt_error *err)
{
    if (lt_out_write(w->out, p, n, err))
        return LT_ERR_RUNTIME;
    w->offset += (uint64_t)n;
    return LT_OK;
}

static int oom(struct lt_error *err)
{
    return lt_fail(err, LT_ERR_RUNTIME, "parquet writer: out of memory");
}

/* ---- statistics ---- */

static void stats_reset(struct wcol *c)
{
    c->has_minmax = false;
    c->minmax_too_long = false;
    bb_reset(&c->bmin);
    bb_reset(&c->bmax);
}

static int bytes_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int r = n ? memcmp(a, b, n) : 0;
    if (r)
        return r;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

/* The first 8 bytes of a byte string as a big-endian number, zero-padded: when two keys differ they order the
 * strings as memcmp-then-length does; when they are equal the strings must be compared in full. */
static inline uint64_t prefix_key(const uint8_t *p, uint32_t len)
{
    uint64_t k = 0;
    if (len >= 8) {
        memcpy(&k, p, 8);
        return __builtin_bswap64(k);
    }
    for (uint32_t i = 0; i < len; i++)
        k |= (uint64_t)p[i] << (56 - 8 * i);
    return k;
}

static void stats_update(struct wcol *c, const uint8_t *p, uint32_t len, const struct pq_parsed *pv)
{
    switch (c->stat_kind) {
    case STAT_INT:
        if (!c->has_minmax || pv->i < c->imin)
            c->imin = pv->i;
        if (!c->has_minmax || pv->i > c->imax)
            c->imax = pv->i;
        break;
    case STAT_FLOAT:
        if (isnan(pv->d))
            return; /* NaN takes no part in min/max */
        if (!c->has_minmax || pv->d < c->dmin)
            c->dmin = pv->d;
        if (!c->has_minmax || pv->d > c->dmax)
            c->dmax = pv->d;
        break;
    case STAT_DEC128:
        if (!c->has_minmax || pv->dec < c->decmin)
            c->decmin = pv->dec;
        if (!c->has_minmax || pv->dec > c->decmax)
            c->decmax = pv->dec;
        break;
    case STAT_BYTES: {
        if (len > STATS_MAX_BYTES) {
            c->minmax_too_long = true;
            return;
        }
        uint64_t k = prefix_key(p, len);
        if (!c->has_minmax ||
            k < c->kmin || (k == c->kmin && bytes_cmp(p, len, c->bmin.data, c->bmin.len) < 0)) {
            bb_reset(&c->bmin);
            bb_append(&c->bmin, p, len);
            bb_reserve(&c->bmin, 1);
            c->kmin = k;
        }
        if (!c->has_minmax ||
            k > c->kmax || (k == c->kmax && bytes_cmp(p, len, c->bmax.data, c->bmax.len) > 0)) {
            bb_reset(&c->bmax);
            bb_append(&c->bmax, p, len);
            bb_reserve(&c->bmax, 1);
            c->kmax = k;
        }
        break;
    }
    }
    c->has_minmax = true;
}

/* Encodes min (which=0) or max (which=1) in the column's PLAIN form into dst (at most 16 bytes for fixed types,
 * or the byte-array contents). Returns the length; *src points at the bytes. */
static uint32_t stats_value(const struct wcol *c, int which, uint8_t fixed[16], const uint8_t **src)
{
    *src = fixed;
    switch (c->stat_kind) {
    case STAT_INT: {
        int64_t v = which ? c->imax : c->imin;
        int n = c->t.physical == PQ_BOOLEAN ? 1 : c->t.physical == PQ_INT32 ? 4 : 8;
        for (int i = 0; i < n; i++)
            fixed[i] = (uint8_t)((uint64_t)v >> (8 * i));
        return (uint32_t)n;
    }
    case STAT_FLOAT: {
        double d = which ? c->dmax : c->dmin;
        if (d == 0)
            d = which ? 0.0 : -0.0; /* min -0.0, max +0.0, as the format asks */
        if (c->t.physical == PQ_FLOAT) {
            float f = (float)d;
            uint32_t bits;
            memcpy(&bits, &f, 4);
            for (int i = 0; i < 4; i++)
                fixed[i] = (uint8_t)(bits >> (8 * i));
            return 4;
        }
        uint64_t bits;
        memcpy(&bits, &d, 8);
        for (int i = 0; i < 8; i++)
            fixed[i] = (uint8_t)(bits >> (8 * i));
        return 8;
    }
    case STAT_DEC128: {
        unsigned __int128 u = (unsigned __int128)(which ? c->decmax : c->decmin);
        int n = c->t.type_length;
        for (int k = 0; k < n; k++)
            fixed[n - 1 - k] = (uint8_t)(u >> (8 * k));
        return (uint32_t)n;
    }
    case STAT_BYTES:
    default:
        *src = which ? c->bmax.data : c->bmin.data;
        return (uint32_t)(which ? c->bmax.len : c->bmin.len);
    }
}

/* ---- dictionary ---- */

static void dict_reset(struct wcol *c)
{
    pq_dict_clear(&c->dict);
    c->dict_on = c->dict_allowed;
    c->dict_decided = false;
    c->dict_bw = 1;
    c->probe_values = c->probe_plain_bytes = 0;
}

/* ---- pages ---- */

static inline size_t values_len(const struct wcol *c)
{
    return c->values.len - VALUES_HEADROOM;
}

static inline void values_reset(struct wcol *c)
{
    c->values.len = VALUES_HEADROOM; /* reserved when the column was added */
}

static uint64_t page_estimate(const struct wcol *c)
{
    uint64_t est = values_len(c) + c->page_values / 8;
    if (c->dict_on)
        est += (uint64_t)(c->indices.len / 4) * (uint64_t)c->dict_bw / 8;
    return est;
}

static void note_encoding(struct pq_column_meta *m, int enc)
{
    for (int i = 0; i < m->n_encodings; i++)
        if (m->encodings[i] == enc)
            return;
    if (m->n_encodings < PQ_MAX_ENCODINGS)
        m->encodings[m->n_encodings++] = enc;
}

static int data_page_encoding(const struct lt_target_writer *w)
{
    return w->encoding == LT_ENC_PLAIN_DICTIONARY ? PQ_ENC_PLAIN_DICTIONARY : PQ_ENC_RLE_DICTIONARY;
}

/* Appends the current page's definition levels (RLE hybrid, bit width 1): one run of 1s when it has no null. */
static void encode_levels(const struct wcol *c, struct byte_buffer *out)
{
    if (c->page_nulls == 0)
        pq_rle_encode_run(1, c->page_values, 1, out);
    else
        pq_rle_encode((const uint32_t *)c->levels.data, c->levels.len / 4, 1, out);
}

static int flush_page(struct lt_target_writer *w, struct wcol *c, struct lt_error *err)
{
    if (c->page_values == 0)
        return LT_OK;
    struct byte_buffer *body = &w->page_buf;
    bb_reset(body);
    size_t def_len = 0;
    if (c->optional) {
        size_t at = body->len;
        if (!w->v2)
            bb_u32le(body, 0);
        size_t start = body->len;
        encode_levels(c, body);
        if (!w->v2 && !body->oom) {
            uint32_t n = (uint32_t)(body->len - start);
            for (int i = 0; i < 4; i++)
                body->data[at + (size_t)i] = (uint8_t)(n >> (8 * i));
        }
        def_len = body->len;
    }
    size_t values_start = body->len;
    const uint8_t *page;  /* the page body: levels then values */
    size_t page_len;
    if (c->dict_on) {
        int bw = c->dict_bw;
        bb_byte(body, (uint8_t)bw);
        pq_rle_encode((const uint32_t *)c->indices.data, c->indices.len / 4, bw, body);
        page = body->data;
        page_len = body->len;
    } else if (body->len <= VALUES_HEADROOM && !body->oom) {
        /* the levels fit in front of the values: no copy of the values */
        uint8_t *at = c->values.data + VALUES_HEADROOM - body->len;
        if (body->len)
            memcpy(at, body->data, body->len);
        page = at;
        page_len = body->len + values_len(c);
    } else {
        bb_append(body, c->values.data + VALUES_HEADROOM, values_len(c));
        page = body->data;
        page_len = body->len;
    }
    if (body->oom)
        return oom(err);
    const char *why = "";
    size_t comp_from = w->v2 ? values_start : 0;
    const uint8_t *payload = page + comp_from;
    size_t payload_len = page_len - comp_from;
    if (w->codec != PQ_CODEC_UNCOMPRESSED) {
        if (pq_compress(w->compressor, w->codec, payload, payload_len, &w->comp_buf, &why) < 0)
            return lt_fail(err, LT_ERR_RUNTIME, "parquet writer: %s", why);
        payload = w->comp_buf.data;
        payload_len = w->comp_buf.len;
    }
    if (page_len > INT32_MAX || comp_from + payload_len > INT32_MAX)
        return lt_fail(err, LT_ERR_RUNTIME, "parquet writer: page too large");

    struct pq_page_header ph;
    memset(&ph, 0, sizeof ph);
    int enc = c->dict_on ? data_page_encoding(w) : PQ_ENC_PLAIN;
    ph.uncompressed_page_size = (int32_t)page_len;
    ph.compressed_page_size = (int32_t)(comp_from + payload_len);
    if (w->v2) {
        ph.type = PQ_PAGE_DATA_V2;
        ph.has_data_v2 = true;
        ph.data_v2.num_values = (int32_t)c->page_values;
        ph.data_v2.num_nulls = (int32_t)c->page_nulls;
        ph.data_v2.num_rows = (int32_t)c->page_values;
        ph.data_v2.encoding = enc;
        ph.data_v2.def_len = (int32_t)def_len;
        ph.data_v2.rep_len = 0;
        ph.data_v2.is_compressed = w->codec != PQ_CODEC_UNCOMPRESSED;
    } else {
        ph.type = PQ_PAGE_DATA;
        ph.has_data = true;
        ph.data.num_values = (int32_t)c->page_values;
        ph.data.encoding = enc;
        ph.data.def_encoding = PQ_ENC_RLE;
        ph.data.rep_encoding = PQ_ENC_RLE;
    }
    struct tc_writer tw;
    bb_reset(&w->hdr_buf);
    tc_writer_init(&tw, &w->hdr_buf);
    pq_encode_page_header(&tw, &ph);
    bb_append(&c->chunk, w->hdr_buf.data, w->hdr_buf.len);
    if (w->v2)
        bb_append(&c->chunk, page, comp_from);
    bb_append(&c->chunk, payload, payload_len);
    if (c->chunk.oom || w->hdr_buf.oom)
        return oom(err);
    c->chunk_uncompressed += (int64_t)(w->hdr_buf.len + page_len);
    c->chunk_values += c->page_values;
    if (c->dict_on)
        c->used_dict_pages = true;
    else
        c->used_plain_pages = true;
    bb_reset(&c->levels);
    values_reset(c);
    bb_reset(&c->indices);
    c->page_values = c->page_nulls = c->bool_bits = 0;
    return LT_OK;
}

/* ---- values ---- */

static int append_null(struct lt_target_writer *w, struct wcol *c, struct lt_error *err)
{
    if (c->page_nulls == 0 && c->page_values > 0) {
        /* the page's first null: write out the 1s its levels have been until now */
        if (!bb_reserve(&c->levels, (size_t)c->page_values * 4))
            return oom(err);
        uint32_t *lv = (uint32_t *)(c->levels.data + c->levels.len);
        for (uint32_t i = 0; i < c->page_values; i++)
            lv[i] = 1;
        c->levels.len += (size_t)c->page_values * 4;
    }
    uint32_t zero = 0;
    bb_append(&c->levels, &zero, 4);
    c->page_values++;
    c->page_nulls++;
    c->chunk_nulls++;
    w->rg_bytes += 1;
    if (c->levels.oom)
        return oom(err);
    if (page_estimate(c) >= w->page_size)
        return flush_page(w, c, err);
    return LT_OK;
}

/* Gives up the dictionary of c's column chunk, which does not pay off. While no dictionary-encoded page of the
 * chunk has gone out, every value of the chunk is in the current page: its indices are rewritten as PLAIN values
 * and the chunk gets no dictionary page at all. Otherwise the current page goes out dictionary-encoded, like when
 * the dictionary overflows, and the rest of the chunk is PLAIN. */
static int dict_abandon(struct lt_target_writer *w, struct wcol *c, struct lt_error *err)
{
    if (c->used_dict_pages) {
        int rc = flush_page(w, c, err);
        c->dict_on = false;
        return rc;
    }
    size_t n = c->indices.len / 4;
    if (!bb_reserve(&c->values, (size_t)c->probe_plain_bytes))
        return oom(err);
    bool prefix = c->t.physical == PQ_BYTE_ARRAY;
    for (size_t i = 0; i < n; i++) {
        uint32_t idx;
        const uint8_t *p;
        uint32_t len;
        memcpy(&idx, c->indices.data + i * 4, 4);
        pq_dict_entry(&c->dict, idx, &p, &len);
        if (prefix)
            bb_u32le(&c->values, len);
        bb_append(&c->values, p, len);
    }
    if (c->values.oom)
        return oom(err);
    bb_reset(&c->indices);
    pq_dict_clear(&c->dict);
    c->dict_on = false;
    return LT_OK;
}

static int append_value(struct lt_target_writer *w, struct wcol *c, const uint8_t *p, uint32_t len,
                        const struct pq_parsed *pv, struct lt_error *err)
{
    if (c->optional && c->page_nulls > 0) {
        uint32_t one = 1;
        bb_append(&c->levels, &one, 4);
    }
    if (c->dict_on) {
        uint32_t idx;
        int added = pq_dict_index(&c->dict, p, len, &idx);
        if (added < 0)
            return oom(err);
        if (added) {
            /* a dictionary-encoded chunk's statistics are those of its distinct values */
            if (w->stats)
                stats_update(c, p, len, pv);
            c->dict_bw = pq_dict_index_bit_width(c->dict.count);
        }
        bb_append(&c->indices, &idx, 4);
        c->probe_values++;
        c->probe_plain_bytes += len + (c->t.physical == PQ_BYTE_ARRAY ? 4 : 0);
    } else {
        if (w->stats)
            stats_update(c, p, len, pv);
        if (c->t.physical == PQ_BOOLEAN) {
            if (c->bool_bits % 8 == 0)
                bb_byte(&c->values, 0);
            if (p[0] && !c->values.oom)
                c->values.data[c->values.len - 1] |= (uint8_t)(1u << (c->bool_bits % 8));
            c->bool_bits++;
        } else {
            if (c->t.physical == PQ_BYTE_ARRAY)
                bb_u32le(&c->values, len);
            bb_append(&c->values, p, len);
        }
    }
    if (c->levels.oom || c->values.oom || c->indices.oom)
        return oom(err);
    c->page_values++;
    w->rg_bytes += len + 4;
    if (c->dict_on) {
        if (c->dict.data.len > w->dict_limit) {
            /* The dictionary is full: this page ends as a dictionary page, the rest of the row group is PLAIN. */
            int rc = flush_page(w, c, err);
            c->dict_on = false;
            return rc;
        }
        if (!c->dict_decided &&
            (c->probe_values >= DICT_PROBE_VALUES || c->probe_plain_bytes >= DICT_PROBE_BYTES)) {
            c->dict_decided = true;
            if (!pq_dict_pays_off(c->probe_values, c->probe_plain_bytes, c->dict.count, c->dict.data.len)) {
                int rc = dict_abandon(w, c, err);
                if (rc)
                    return rc;
            }
        }
    }
    if (page_estimate(c) >= w->page_size)
        return flush_page(w, c, err);
    return LT_OK;
}

/* ---- row groups ---- */

static void chunk_reset(struct wcol *c)
{
    bb_reset(&c->chunk);
    c->chunk_uncompressed = c->chunk_values = c->chunk_nulls = 0;
    c->used_dict_pages = c->used_plain_pages = false;
    dict_reset(c);
    stats_reset(c);
}

static int flush_row_group(struct lt_target_writer *w, struct lt_error *err)
{
    if (w->rg_rows == 0)
        return LT_OK;
    for (int i = 0; i < w->ncols; i++) {
        int rc = flush_page(w, &w->cols[i], err);
        if (rc)
            return rc;
    }
    if (w->nrgs == w->cap_rgs) {
        int cap = w->cap_rgs ? w->cap_rgs * 2 : 8;
        struct rg_meta *r = realloc(w->rgs, (size_t)cap * sizeof *r);
        if (!r)
            return oom(err);
        w->rgs = r;
        w->cap_rgs = cap;
    }
    struct rg_meta *rg = &w->rgs[w->nrgs];
    memset(rg, 0, sizeof *rg);
    rg->cols = calloc((size_t)w->ncols, sizeof *rg->cols);
    size_t blob = 0;
    for (int i = 0; i < w->ncols; i++)
        blob += 32 + 2 * (w->cols[i].bmin.len + w->cols[i].bmax.len);
    rg->stats_blob = malloc(blob);
    if (!rg->cols || !rg->stats_blob) {
        free(rg->cols);
        free(rg->stats_blob);
        return oom(err);
    }
    w->nrgs++;
    size_t blob_used = 0;
    rg->num_rows = w->rg_rows;
    rg->file_offset = (int64_t)w->offset;
    for (int i = 0; i < w->ncols; i++) {
        struct wcol *c = &w->cols[i];
        struct pq_column_chunk *cc = &rg->cols[i];
        struct pq_column_meta *m = &cc->meta;
        int64_t start = (int64_t)w->offset;
        int64_t total_unc = c->chunk_uncompressed, total_comp = (int64_t)c->chunk.len;
        m->type = c->t.physical;
        if (c->optional || !w->v2)
            note_encoding(m, PQ_ENC_RLE);
        if (c->used_dict_pages) {
            const char *why = "";
            if (pq_compress(w->compressor, w->codec, c->dict.data.data, c->dict.data.len, &w->comp_buf, &why) < 0)
                return lt_fail(err, LT_ERR_RUNTIME, "parquet writer: %s", why);
            if (c->dict.data.len > INT32_MAX || w->comp_buf.len > INT32_MAX)
                return lt_fail(err, LT_ERR_RUNTIME, "parquet writer: dictionary page too large");
            struct pq_page_header ph;
            memset(&ph, 0, sizeof ph);
            ph.type = PQ_PAGE_DICTIONARY;
            ph.uncompressed_page_size = (int32_t)c->dict.data.len;
            ph.compressed_page_size = (int32_t)w->comp_buf.len;
            ph.has_dictionary = true;
            ph.dictionary.num_values = (int32_t)c->dict.count;
            ph.dictionary.encoding =
                w->encoding == LT_ENC_PLAIN_DICTIONARY ? PQ_ENC_PLAIN_DICTIONARY : PQ_ENC_PLAIN;
            struct tc_writer tw;
            bb_reset(&w->hdr_buf);
            tc_writer_init(&tw, &w->hdr_buf);
            pq_encode_page_header(&tw, &ph);
            if (w->hdr_buf.oom)
                return oom(err);
            m->has_dictionary_page_offset = true;
            m->dictionary_page_offset = start;
            int rc = write_all(w, w->hdr_buf.data, w->hdr_buf.len, err);
            if (!rc)
                rc = write_all(w, w->comp_buf.data, w->comp_buf.len, err);
            if (rc)
                return rc;
            total_unc += (int64_t)(w->hdr_buf.len + c->dict.data.len);
            total_comp += (int64_t)(w->hdr_buf.len + w->comp_buf.len);
            note_encoding(m, ph.dictionary.encoding);
            note_encoding(m, data_page_encoding(w));
        }
        if (c->used_plain_pages)
            note_encoding(m, PQ_ENC_PLAIN);
        m->data_page_offset = (int64_t)w->offset;
        int rc = write_all(w, c->chunk.data, c->chunk.len, err);
        if (rc)
            return rc;
        m->path_len = 1;
        m->path0.p = (const uint8_t *)c->name;
        m->path0.len = (uint32_t)strlen(c->name);
        m->codec = w->codec;
        m->num_values = c->chunk_values;
        m->total_uncompressed_size = total_unc;
        m->total_compressed_size = total_comp;
        cc->file_offset = start;
        cc->has_meta = true;
        if (w->stats) {
            m->stats.present = true;
            m->stats.has_null_count = true;
            m->stats.null_count = c->chunk_nulls;
            if (c->has_minmax && !c->minmax_too_long) {
                for (int which = 0; which < 2; which++) {
                    uint8_t fixed[16];
                    const uint8_t *src;
                    uint32_t n = stats_value(c, which, fixed, &src);
                    uint8_t *dst = rg->stats_blob + blob_used;
                    if (n)
                        memcpy(dst, src, n);
                    blob_used += n;
                    struct pq_bytes b = {dst, n};
                    if (which)
                        m->stats.max_value = b;
                    else
                        m->stats.min_value = b;
                }
            }
        }
        rg->total_byte_size += total_unc;
        rg->total_compressed_size += total_comp;
        chunk_reset(c);
    }
    w->total_rows += w->rg_rows;
    w->rg_rows = 0;
    w->rg_bytes = 0;
    return LT_OK;
}

/* ---- the target interface ---- */

static void free_writer(struct lt_target_writer *w)
{
    if (!w)
        return;
    if (w->counted)
        atomic_fetch_sub(&open_writers, 1);
    for (int i = 0; w->cols && i < w->ncols; i++) {
        struct wcol *c = &w->cols[i];
        free(c->name);
        bb_free(&c->levels);
        bb_free(&c->values);
        bb_free(&c->indices);
        pq_dict_free(&c->dict);
        bb_free(&c->chunk);
        bb_free(&c->bmin);
        bb_free(&c->bmax);
    }
    free(w->cols);
    for (int i = 0; w->table_names && i < w->ntable; i++)
        free(w->table_names[i]);
    free(w->table_names);
    free(w->table_col);
    free(w->parsed);
    bb_free(&w->scratch);
    bb_free(&w->page_buf);
    bb_free(&w->comp_buf);
    bb_free(&w->hdr_buf);
    pq_compressor_free(w->compressor);
    for (int i = 0; i < w->nrgs; i++) {
        free(w->rgs[i].cols);
        free(w->rgs[i].stats_blob);
    }
    free(w->rgs);
    free(w);
}

static int codec_for(enum lt_compression c)
{
    switch (c) {
    case LT_COMPRESS_GZIP: return PQ_CODEC_GZIP;
    case LT_COMPRESS_SNAPPY: return PQ_CODEC_SNAPPY;
    case LT_COMPRESS_ZSTD: return PQ_CODEC_ZSTD;
    case LT_COMPRESS_NONE:
    default: return PQ_CODEC_UNCOMPRESSED;
    }
}

static bool add_column(struct lt_target_writer *w, const char *name, enum col_source src, int table_index,
                       enum lt_type lt, int precision, int scale, bool optional, bool ts_millis)
{
    struct wcol *c = &w->cols[w->ncols];
    c->name = strdup(name ? name : "");
    if (!c->name)
        return false;
    w->ncols++;
    c->src = src;
    c->table_index = table_index;
    c->optional = optional;
    pq_type_for_column(lt, precision, scale, ts_millis, &c->t);
    switch (c->t.physical) {
    case PQ_FLOAT:
    case PQ_DOUBLE: c->stat_kind = STAT_FLOAT; break;
    case PQ_BYTE_ARRAY: c->stat_kind = STAT_BYTES; break;
    case PQ_FIXED_LEN_BYTE_ARRAY: c->stat_kind = c->t.lt == LT_TYPE_DECIMAL ? STAT_DEC128 : STAT_BYTES; break;
    default: c->stat_kind = STAT_INT; break;
    }
    c->dict_allowed = w->encoding != LT_ENC_PLAIN && c->t.physical != PQ_BOOLEAN;
    pq_dict_init(&c->dict, c->t.physical == PQ_BYTE_ARRAY);
    dict_reset(c);
    if (!bb_reserve(&c->values, VALUES_HEADROOM))
        return false;
    values_reset(c);
    return true;
}

static int parquet_open(struct lt_target_writer **out, struct lt_out *o, const struct lt_target_config *cfg,
                        const struct lt_file_layout *layout, struct lt_error *err)
{
    *out = NULL;
    const struct lt_table_schema *schema = layout->schema;
    int ntable = schema ? schema->ncols : 0;
    struct lt_target_writer *w = calloc(1, sizeof *w);
    if (!w)
        return oom(err);
    w->out = o;
    w->counted = true;
    atomic_fetch_add(&open_writers, 1);
    w->codec = codec_for(cfg->compression);
    w->encoding = cfg->encoding;
    w->v2 = cfg->parquet_v2;
    w->stats = cfg->enable_statistics;
    w->page_size = cfg->data_page_size > 0 ? (uint64_t)cfg->data_page_size : DEFAULT_PAGE_SIZE;
    w->dict_limit = cfg->dict_page_size_limit > 0 ? (uint64_t)cfg->dict_page_size_limit : DEFAULT_DICT_LIMIT;
    w->rg_length = cfg->row_group_length > 0 ? cfg->row_group_length : 0;
    w->ntable = ntable;
    w->cols = calloc((size_t)ntable + 4, sizeof *w->cols);
    w->parsed = calloc((size_t)ntable + 1, sizeof *w->parsed);
    w->table_names = calloc((size_t)ntable + 1, sizeof *w->table_names);
    w->table_col = calloc((size_t)ntable + 1, sizeof *w->table_col);
    w->compressor = pq_compressor_new();
    if (!w->cols || !w->parsed || !w->table_names || !w->table_col || !w->compressor) {
        free_writer(w);
        return oom(err);
    }
    bool ok = true;
    if (layout->with_op)
        ok = ok && add_column(w, "Op", SRC_OP, -1, LT_TYPE_TEXT, 0, 0, false, false);
    if (layout->ts_column)
        ok = ok && add_column(w, layout->ts_column, SRC_TS, -1, LT_TYPE_TEXT, 0, 0, false, false);
    for (int i = 0; ok && i < ntable; i++) {
        const struct lt_column *col = &schema->cols[i];
        w->table_col[i] = w->ncols;
        ok = add_column(w, col->name, SRC_TABLE, i, col->type, col->precision, col->scale, true,
                        cfg->parquet_timestamp_ms);
        w->table_names[i] = strdup(col->name ? col->name : "");
        ok = ok && w->table_names[i];
    }
    if (!layout->no_pos)
        ok = ok && add_column(w, LT_POS_COLUMN, SRC_POS, -1, LT_TYPE_TEXT, 0, 0, false, false);
    if (layout->with_unchanged)
        ok = ok && add_column(w, LT_UNCHANGED_COLUMN, SRC_UNCHANGED, -1, LT_TYPE_TEXT, 0, 0, false, false);
    if (!ok) {
        free_writer(w);
        return oom(err);
    }
    int rc = write_all(w, "PAR1", 4, err);
    if (rc) {
        free_writer(w);
        return rc;
    }
    *out = w;
    return LT_OK;
}

static int value_error(struct lt_target_writer *w, int ti, const struct lt_value *v, struct lt_error *err)
{
    const struct wcol *c = &w->cols[w->table_col[ti]];
    int shown = v->len > 200 ? 200 : (int)v->len;
    return lt_fail(err, LT_ERR_RUNTIME, "parquet: column \"%s\" (%s): cannot store value \"%.*s\"%s",
                   c->name, lt_type_name(c->t.lt), shown, v->data ? v->data : "",
                   v->len > 200 ? "..." : "");
}

static int parquet_write_row(struct lt_target_writer *w, const struct lt_row *row, struct lt_error *err)
{
    if (row->nvals != w->ntable)
        return lt_fail(err, LT_ERR_RUNTIME, "parquet: row has %d values, the file's table has %d columns",
                       row->nvals, w->ntable);
    bb_reset(&w->scratch);
    if (!bb_reserve(&w->scratch, 1)) /* a buffer even when nothing lands in it */
        return oom(err);
    /* Parse every value before appending any, so a bad value leaves the file as it was. */
    for (int i = 0; i < w->ntable; i++) {
        const struct lt_value *v = &row->vals[i];
        if (v->state != LT_VALUE_PRESENT)
            continue;
        const struct wcol *c = &w->cols[w->table_col[i]];
        if (pq_parse_value(&c->t, v->data ? v->data : "", v->len, &w->parsed[i], &w->scratch) < 0)
            return value_error(w, i, v, err);
    }
    size_t unchanged_off = w->scratch.len;
    bool first = true;
    for (int i = 0; i < w->ntable; i++) {
        if (row->vals[i].state != LT_VALUE_UNCHANGED)
            continue;
        size_t n = lt_unchanged_item(NULL, w->table_names[i], first);
        if (bb_reserve(&w->scratch, n)) {
            lt_unchanged_item((char *)w->scratch.data + w->scratch.len, w->table_names[i], first);
            w->scratch.len += n;
        }
        first = false;
    }
    if (w->scratch.oom)
        return oom(err);
    size_t unchanged_len = w->scratch.len - unchanged_off;

    for (int k = 0; k < w->ncols; k++) {
        struct wcol *c = &w->cols[k];
        static const struct pq_parsed pv; /* the extra columns are byte arrays: their statistics need no number */
        int rc;
        char ts[32];
        switch (c->src) {
        case SRC_OP:
            rc = append_value(w, c, (const uint8_t *)&row->op, 1, &pv, err);
            break;
        case SRC_TS:
            lt_format_timestamp_us(row->commit_ts_us, ts);
            rc = append_value(w, c, (const uint8_t *)ts, (uint32_t)strlen(ts), &pv, err);
            break;
        case SRC_POS:
            rc = append_value(w, c, (const uint8_t *)row->pos, (uint32_t)strnlen(row->pos, LT_POS_MAX), &pv, err);
            break;
        case SRC_UNCHANGED:
            rc = append_value(w, c, w->scratch.data + unchanged_off, (uint32_t)unchanged_len, &pv, err);
            break;
        case SRC_TABLE:
        default: {
            const struct lt_value *v = &row->vals[c->table_index];
            if (v->state != LT_VALUE_PRESENT) {
                rc = append_null(w, c, err);
                break;
            }
            const struct pq_parsed *p = &w->parsed[c->table_index];
            const uint8_t *bytes = p->in_ext ? p->ext : p->in_scratch ? w->scratch.data + p->scratch_off
                                                                      : p->fixed;
            rc = append_value(w, c, bytes, p->len, p, err);
            break;
        }
        }
        if (rc)
            return rc;
    }
    w->rg_rows++;
    if ((w->rg_length > 0 && w->rg_rows >= w->rg_length) || w->rg_bytes >= row_group_limit())
        return flush_row_group(w, err);
    return LT_OK;
}

static uint64_t parquet_size(const struct lt_target_writer *w)
{
    uint64_t n = w->offset;
    for (int i = 0; i < w->ncols; i++) {
        const struct wcol *c = &w->cols[i];
        n += c->chunk.len + c->dict.data.len + page_estimate(c);
    }
    return n;
}

static int write_footer(struct lt_target_writer *w, struct lt_error *err)
{
    struct pq_file_meta fm;
    memset(&fm, 0, sizeof fm);
    fm.version = w->v2 ? 2 : 1;
    fm.nschema = w->ncols + 1;
    fm.schema = calloc((size_t)fm.nschema, sizeof *fm.schema);
    struct pq_row_group *rgs = calloc((size_t)w->nrgs + 1, sizeof *rgs);
    if (!fm.schema || !rgs) {
        free(fm.schema);
        free(rgs);
        return oom(err);
    }
    static const char root[] = "schema";
    fm.schema[0].name = (struct pq_bytes){(const uint8_t *)root, sizeof root - 1};
    fm.schema[0].num_children = w->ncols;
    for (int i = 0; i < w->ncols; i++) {
        const struct wcol *c = &w->cols[i];
        struct pq_schema_element *se = &fm.schema[i + 1];
        se->has_type = true;
        se->type = c->t.physical;
        se->type_length = c->t.type_length;
        se->has_repetition = true;
        se->repetition = c->optional ? PQ_OPTIONAL : PQ_REQUIRED;
        se->name = (struct pq_bytes){(const uint8_t *)c->name, (uint32_t)strlen(c->name)};
        if (c->t.converted >= 0) {
            se->has_converted = true;
            se->converted = c->t.converted;
            se->scale = c->t.scale;
            se->precision = c->t.precision;
        }
        se->logical = c->t.logical;
    }
    fm.num_rows = w->total_rows;
    fm.nrow_groups = w->nrgs;
    fm.row_groups = rgs;
    for (int g = 0; g < w->nrgs; g++) {
        rgs[g].ncolumns = w->ncols;
        rgs[g].columns = w->rgs[g].cols;
        rgs[g].num_rows = w->rgs[g].num_rows;
        rgs[g].total_byte_size = w->rgs[g].total_byte_size;
        rgs[g].file_offset = w->rgs[g].file_offset;
        rgs[g].total_compressed_size = w->rgs[g].total_compressed_size;
        rgs[g].ordinal = (int16_t)(g < INT16_MAX ? g : INT16_MAX);
    }
    static const char created_by[] = "logtap version " LOGTAP_VERSION;
    fm.created_by = (struct pq_bytes){(const uint8_t *)created_by, sizeof created_by - 1};
    fm.ncolumn_orders = w->ncols;

    struct tc_writer tw;
    bb_reset(&w->hdr_buf);
    tc_writer_init(&tw, &w->hdr_buf);
    pq_encode_file_meta(&tw, &fm);
    free(fm.schema);
    free(rgs);
    if (w->hdr_buf.oom || w->hdr_buf.len > UINT32_MAX)
        return oom(err);
    bb_u32le(&w->hdr_buf, (uint32_t)w->hdr_buf.len);
    bb_append(&w->hdr_buf, "PAR1", 4);
    if (w->hdr_buf.oom)
        return oom(err);
    return write_all(w, w->hdr_buf.data, w->hdr_buf.len, err);
}

static int parquet_finish(struct lt_target_writer *w, struct lt_error *err)
{
    int rc = flush_row_group(w, err);
    if (!rc)
        rc = write_footer(w, err);
    free_writer(w);
    return rc;
}

static void parquet_discard(struct lt_target_writer *w)
{
    free_writer(w);
}

const struct logtap_target_ops lt_parquet_target = {
    .name = "parquet",
    .extension = "parquet",
    .open = parquet_open,
    .write_row = parquet_write_row,
    .size = parquet_size,
    .finish = parquet_finish,
    .discard = parquet_discard,
    .reader_open = lt_parquet_target_reader_open,
    .reader_next = lt_parquet_target_reader_next,
    .reader_close = lt_parquet_target_reader_close,
};
