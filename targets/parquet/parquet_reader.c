/* Flat Parquet reader (see parquet_reader.h).
 *
 * File layout read:  "PAR1" | column chunks ... | FileMetaData | u32le metadata length | "PAR1"
 * Column chunk:      [dictionary page] data page*  each page = PageHeader (thrift compact) + body
 * Data page v1 body (compressed as a whole): [u32le length + RLE-hybrid definition levels] values
 * Data page v2 body: repetition levels | definition levels (both uncompressed, lengths in the header) | values
 *                    (compressed when is_compressed)
 * Values: PLAIN, or one bit-width byte + RLE-hybrid dictionary indices, or (booleans) u32le length + RLE hybrid. */
#include "targets/parquet/parquet_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "targets/parquet/byte_buffer.h"
#include "targets/parquet/parquet_codec.h"
#include "targets/parquet/parquet_meta.h"
#include "targets/parquet/parquet_rle.h"
#include "targets/parquet/parquet_values.h"
#include "targets/parquet/thrift_compact.h"

#define MAX_PAGE_BYTES ((size_t)1 << 30)

struct rcol {
    struct pq_column_type t;
    const char *name;
    bool optional;
    int codec;
    /* the column chunk of the current row group */
    struct byte_buffer chunk;
    size_t pos;
    /* dictionary */
    bool has_dict;
    struct byte_buffer dict;      /* decompressed dictionary page */
    struct byte_buffer dict_ents; /* uint32 offset, uint32 length per entry */
    uint32_t dict_count;
    /* current data page */
    struct byte_buffer page;      /* decompressed values (and v1 levels) */
    struct byte_buffer levels;    /* v2 definition levels */
    uint32_t page_left;
    struct pq_rle_decoder def;
    int encoding;
    const uint8_t *vp, *vend;
    uint64_t bool_bit;
    struct pq_rle_decoder vals;   /* dictionary indices or RLE booleans */
};

struct lt_parquet_reader {
    int fd;                       /* -1 for memory */
    const uint8_t *mem;
    uint64_t file_size;
    struct byte_buffer footer;
    struct pq_file_meta fm;
    struct lt_table_schema *schema;
    int ncols;
    struct rcol *cols;
    int rg;                       /* index of the current row group, -1 before the first */
    int64_t rg_rows_left;
    struct lt_value *values;
    uint32_t *text_off;
    struct byte_buffer text;
    struct byte_buffer scratch;
    char created_by[256];
};

/* ---- input ---- */

static int read_at(struct lt_parquet_reader *r, uint64_t off, size_t len, uint8_t *dst, struct lt_error *err)
{
    if (off > r->file_size || len > r->file_size - off)
        return lt_fail(err, LT_ERR_RUNTIME, "parquet: read past the end of the file (offset %llu, %zu bytes)",
                       (unsigned long long)off, len);
    if (r->fd < 0) {
        if (len)
            memcpy(dst, r->mem + off, len);
        return LT_OK;
    }
    while (len > 0) {
        ssize_t n = pread(r->fd, dst, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return lt_fail(err, LT_ERR_RUNTIME, "parquet: reading the file: %s", n < 0 ? strerror(errno) : "short read");
        dst += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return LT_OK;
}

static int corrupt(struct lt_error *err, const char *what)
{
    return lt_fail(err, LT_ERR_RUNTIME, "parquet: malformed file: %s", what);
}

static int col_fail(struct lt_error *err, const struct rcol *c, const char *what)
{
    return lt_fail(err, LT_ERR_RUNTIME, "parquet: column \"%s\": %s", c->name, what);
}

static const char *encoding_name(int e)
{
    switch (e) {
    case PQ_ENC_PLAIN: return "PLAIN";
    case PQ_ENC_PLAIN_DICTIONARY: return "PLAIN_DICTIONARY";
    case PQ_ENC_RLE: return "RLE";
    case PQ_ENC_BIT_PACKED: return "BIT_PACKED";
    case PQ_ENC_DELTA_BINARY_PACKED: return "DELTA_BINARY_PACKED";
    case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY: return "DELTA_LENGTH_BYTE_ARRAY";
    case PQ_ENC_DELTA_BYTE_ARRAY: return "DELTA_BYTE_ARRAY";
    case PQ_ENC_RLE_DICTIONARY: return "RLE_DICTIONARY";
    case PQ_ENC_BYTE_STREAM_SPLIT: return "BYTE_STREAM_SPLIT";
    default: return "unknown";
    }
}

/* ---- opening: footer and schema ---- */

static int build_schema(struct lt_parquet_reader *r, struct lt_error *err)
{
    const struct pq_file_meta *fm = &r->fm;
    if (fm->nschema < 1)
        return corrupt(err, "empty schema");
    const struct pq_schema_element *root = &fm->schema[0];
    if (root->has_type)
        return corrupt(err, "schema root is not a group");
    int n = fm->nschema - 1;
    for (int i = 1; i < fm->nschema; i++) {
        const struct pq_schema_element *se = &fm->schema[i];
        if (!se->has_type || se->num_children > 0)
            return lt_fail(err, LT_ERR_RUNTIME, "parquet: nested column \"%.*s\" is not supported (flat files only)",
                           (int)se->name.len, (const char *)se->name.p);
        if (se->has_repetition && se->repetition == PQ_REPEATED)
            return lt_fail(err, LT_ERR_RUNTIME,
                           "parquet: repeated column \"%.*s\" is not supported (flat files only)", (int)se->name.len,
                           (const char *)se->name.p);
    }
    if (root->num_children != n)
        return corrupt(err, "schema root's child count does not match its elements");
    r->ncols = n;
    r->schema = lt_schema_new("", "", n);
    r->cols = calloc((size_t)n + 1, sizeof *r->cols);
    r->values = calloc((size_t)n + 1, sizeof *r->values);
    r->text_off = calloc((size_t)n + 1, sizeof *r->text_off);
    if (!r->schema || !r->cols || !r->values || !r->text_off)
        return lt_fail(err, LT_ERR_RUNTIME, "parquet: out of memory");
    for (int i = 0; i < n; i++) {
        const struct pq_schema_element *se = &fm->schema[i + 1];
        struct rcol *c = &r->cols[i];
        char name[1024];
        snprintf(name, sizeof name, "%.*s", (int)(se->name.len < 1000 ? se->name.len : 1000), (const char *)se->name.p);
        const char *why = "";
        if (pq_type_from_schema(se, &c->t, &why) < 0)
            return lt_fail(err, LT_ERR_RUNTIME, "parquet: column \"%s\": %s", name, why);
        c->optional = !se->has_repetition || se->repetition == PQ_OPTIONAL;
        lt_schema_set_column(r->schema, i, name, c->t.lt, c->t.precision, c->t.scale, false, c->optional, NULL);
        c->name = r->schema->cols[i].name;
        if (!c->name)
            return lt_fail(err, LT_ERR_RUNTIME, "parquet: out of memory");
    }
    return LT_OK;
}

static int open_common(struct lt_parquet_reader *r, struct lt_error *err)
{
    uint8_t tail[8], head[4];
    r->rg = -1;
    if (r->file_size < 12)
        return corrupt(err, "file too small to be Parquet");
    if (read_at(r, 0, 4, head, err) || read_at(r, r->file_size - 8, 8, tail, err))
        return LT_ERR_RUNTIME;
    if (memcmp(tail + 4, "PARE", 4) == 0)
        return lt_fail(err, LT_ERR_RUNTIME, "parquet: encrypted files are not supported");
    if (memcmp(head, "PAR1", 4) != 0 || memcmp(tail + 4, "PAR1", 4) != 0)
        return corrupt(err, "missing PAR1 magic");
    uint32_t mlen = (uint32_t)tail[0] | (uint32_t)tail[1] << 8 | (uint32_t)tail[2] << 16 | (uint32_t)tail[3] << 24;
    if ((uint64_t)mlen > r->file_size - 12)
        return corrupt(err, "footer length larger than the file");
    if (!bb_reserve(&r->footer, mlen + 1))
        return lt_fail(err, LT_ERR_RUNTIME, "parquet: out of memory");
    if (read_at(r, r->file_size - 8 - mlen, mlen, r->footer.data, err))
        return LT_ERR_RUNTIME;
    r->footer.len = mlen;
    struct tc_reader tr;
    tc_reader_init(&tr, r->footer.data, mlen);
    if (!pq_decode_file_meta(&tr, &r->fm))
        return lt_fail(err, LT_ERR_RUNTIME, "parquet: malformed footer: %s", tr.error ? tr.error : "?");
    if (r->fm.encrypted)
        return lt_fail(err, LT_ERR_RUNTIME, "parquet: encrypted files are not supported");
    snprintf(r->created_by, sizeof r->created_by, "%.*s", (int)(r->fm.created_by.len < 250 ? r->fm.created_by.len : 250),
             r->fm.created_by.p ? (const char *)r->fm.created_by.p : "");
    return build_schema(r, err);
}

int lt_parquet_reader_open(const char *path, struct lt_parquet_reader **out, struct lt_error *err)
{
    *out = NULL;
    struct lt_parquet_reader *r = calloc(1, sizeof *r);
    if (!r)
        return lt_fail(err, LT_ERR_RUNTIME, "parquet: out of memory");
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        int e = errno;
        free(r);
        return lt_fail(err, LT_ERR_RUNTIME, "parquet: cannot open %s: %s", path, strerror(e));
    }
    struct stat st;
    if (fstat(r->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        lt_parquet_reader_close(r);
        return lt_fail(err, LT_ERR_RUNTIME, "parquet: %s is not a regular file", path);
    }
    r->file_size = (uint64_t)st.st_size;
    int rc = open_common(r, err);
    if (rc) {
        lt_error_prefix(err, "%s: ", path);
        lt_parquet_reader_close(r);
        return rc;
    }
    *out = r;
    return LT_OK;
}

int lt_parquet_reader_open_mem(const void *data, size_t len, struct lt_parquet_reader **out, struct lt_error *err)
{
    *out = NULL;
    struct lt_parquet_reader *r = calloc(1, sizeof *r);
    if (!r)
        return lt_fail(err, LT_ERR_RUNTIME, "parquet: out of memory");
    r->fd = -1;
    r->mem = data;
    r->file_size = len;
    int rc = open_common(r, err);
    if (rc) {
        lt_parquet_reader_close(r);
        return rc;
    }
    *out = r;
    return LT_OK;
}

const struct lt_table_schema *lt_parquet_reader_schema(const struct lt_parquet_reader *r)
{
    return r->schema;
}

int64_t lt_parquet_reader_num_rows(const struct lt_parquet_reader *r)
{
    return r->fm.num_rows;
}

int lt_parquet_reader_row_groups(const struct lt_parquet_reader *r)
{
    return r->fm.nrow_groups;
}

const char *lt_parquet_reader_created_by(const struct lt_parquet_reader *r)
{
    return r->created_by;
}

void lt_parquet_reader_close(struct lt_parquet_reader *r)
{
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd);
    for (int i = 0; r->cols && i < r->ncols; i++) {
        struct rcol *c = &r->cols[i];
        bb_free(&c->chunk);
        bb_free(&c->dict);
        bb_free(&c->dict_ents);
        bb_free(&c->page);
        bb_free(&c->levels);
    }
    free(r->cols);
    free(r->values);
    free(r->text_off);
    bb_free(&r->text);
    bb_free(&r->scratch);
    bb_free(&r->footer);
    pq_file_meta_free(&r->fm);
    lt_schema_free(r->schema);
    free(r);
}

/* ---- row groups ---- */

static int fixed_width(const struct rcol *c)
{
    switch (c->t.physical) {
    case PQ_INT32:
    case PQ_FLOAT: return 4;
    case PQ_INT64:
    case PQ_DOUBLE: return 8;
    case PQ_INT96: return 12;
    case PQ_FIXED_LEN_BYTE_ARRAY: return c->t.type_length;
    default: return 0;
    }
}

static int load_chunk(struct lt_parquet_reader *r, struct rcol *c, const struct pq_column_chunk *cc,
                      struct lt_error *err)
{
    const struct pq_column_meta *m = &cc->meta;
    if (cc->encrypted)
        return lt_fail(err, LT_ERR_RUNTIME, "parquet: encrypted columns are not supported");
    if (!cc->has_meta)
        return col_fail(err, c, "column chunk without metadata");
    if (cc->file_path.p && cc->file_path.len > 0)
        return col_fail(err, c, "column chunks in other files are not supported");
    if (m->type != c->t.physical)
        return col_fail(err, c, "column chunk type differs from the schema");
    if (!pq_codec_supported(m->codec))
        return lt_fail(err, LT_ERR_RUNTIME, "parquet: column \"%s\": compression codec %s is not supported",
                       c->name, pq_codec_name(m->codec));
    int64_t start = m->data_page_offset;
    if (m->has_dictionary_page_offset && m->dictionary_page_offset > 0 && m->dictionary_page_offset < start)
        start = m->dictionary_page_offset;
    int64_t len = m->total_compressed_size;
    uint64_t data_end = r->file_size - 8 - r->footer.len;
    if (start < 4 || len <= 0 || (uint64_t)start > data_end || (uint64_t)len > data_end - (uint64_t)start)
        return col_fail(err, c, "column chunk lies outside the file's data");
    bb_reset(&c->chunk);
    if (!bb_reserve(&c->chunk, (size_t)len))
        return lt_fail(err, LT_ERR_RUNTIME, "parquet: out of memory");
    if (read_at(r, (uint64_t)start, (size_t)len, c->chunk.data, err))
        return LT_ERR_RUNTIME;
    c->chunk.len = (size_t)len;
    c->pos = 0;
    c->codec = m->codec;
    c->has_dict = false;
    c->dict_count = 0;
    c->page_left = 0;
    return LT_OK;
}

static int next_row_group(struct lt_parquet_reader *r, struct lt_error *err)
{
    for (;;) {
        r->rg++;
        if (r->rg >= r->fm.nrow_groups)
            return 0;
        const struct pq_row_group *rg = &r->fm.row_groups[r->rg];
        if (rg->num_rows < 0)
            return corrupt(err, "negative row count") ? -1 : -1;
        if (rg->num_rows == 0)
            continue;
        if (rg->ncolumns != r->ncols) {
            corrupt(err, "row group column count differs from the schema");
            return -1;
        }
        /* Column chunks do not overlap: together they fit in the file (bounds the memory of a row group). */
        uint64_t total = 0;
        for (int i = 0; i < r->ncols; i++) {
            int64_t n = rg->columns[i].meta.total_compressed_size;
            total += n > 0 ? (uint64_t)n : 0;
            if (total > r->file_size) {
                corrupt(err, "a row group's column chunks are larger than the file");
                return -1;
            }
        }
        for (int i = 0; i < r->ncols; i++)
            if (load_chunk(r, &r->cols[i], &rg->columns[i], err))
                return -1;
        r->rg_rows_left = rg->num_rows;
        return 1;
    }
}

/* ---- pages ---- */

static int load_dictionary(struct rcol *c, const struct pq_page_header *ph, struct lt_error *err)
{
    if (c->has_dict)
        return col_fail(err, c, "second dictionary page in a column chunk");
    if (!ph->has_dictionary)
        return col_fail(err, c, "dictionary page without its header");
    int enc = ph->dictionary.encoding;
    if (enc != PQ_ENC_PLAIN && enc != PQ_ENC_PLAIN_DICTIONARY)
        return lt_fail(err, LT_ERR_RUNTIME, "parquet: column \"%s\": dictionary encoding %s is not supported",
                       c->name, encoding_name(enc));
    if (ph->dictionary.num_values < 0)
        return col_fail(err, c, "negative dictionary size");
    uint32_t n = (uint32_t)ph->dictionary.num_values;
    if (c->t.physical == PQ_BOOLEAN)
        return col_fail(err, c, "dictionary for a BOOLEAN column");
    const uint8_t *p = c->dict.data, *end = c->dict.data + c->dict.len;
    int width = fixed_width(c);
    if (width > 0 && (uint64_t)n * (uint64_t)width > c->dict.len)
        return col_fail(err, c, "dictionary page shorter than its values");
    if (width == 0 && (uint64_t)n * 4 > c->dict.len)
        return col_fail(err, c, "dictionary page shorter than its values");
    bb_reset(&c->dict_ents);
    if (!bb_reserve(&c->dict_ents, (size_t)n * 8 + 8))
        return lt_fail(err, LT_ERR_RUNTIME, "parquet: out of memory");
    for (uint32_t i = 0; i < n; i++) {
        uint32_t len;
        if (width > 0) {
            len = (uint32_t)width;
        } else {
            if (end - p < 4)
                return col_fail(err, c, "dictionary value runs past its page");
            len = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
            p += 4;
        }
        if ((size_t)(end - p) < len)
            return col_fail(err, c, "dictionary value runs past its page");
        uint32_t ent[2] = {(uint32_t)(p - c->dict.data), len};
        bb_append(&c->dict_ents, ent, 8);
        p += len;
    }
    c->dict_count = n;
    c->has_dict = true;
    return LT_OK;
}

static uint32_t u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Sets up the value decoder for values in [p, end) with the page's encoding. */
static int start_values(struct rcol *c, int enc, const uint8_t *p, const uint8_t *end, struct lt_error *err)
{
    c->encoding = enc;
    c->vp = p;
    c->vend = end;
    c->bool_bit = 0;
    switch (enc) {
    case PQ_ENC_PLAIN:
        return LT_OK;
    case PQ_ENC_PLAIN_DICTIONARY:
    case PQ_ENC_RLE_DICTIONARY:
        if (!c->has_dict)
            return col_fail(err, c, "dictionary-encoded page without a dictionary page");
        if (p >= end) {
            /* a page of nulls only may have no index bytes at all */
            pq_rle_init(&c->vals, p, 0, 0);
            return LT_OK;
        }
        if (p[0] > 32)
            return col_fail(err, c, "dictionary index bit width above 32");
        if (p[0] == 0 && c->dict_count > 1)
            return col_fail(err, c, "dictionary index bit width 0 with more than one dictionary entry");
        pq_rle_init(&c->vals, p + 1, (size_t)(end - p - 1), p[0]);
        return LT_OK;
    case PQ_ENC_RLE:
        if (c->t.physical != PQ_BOOLEAN)
            return col_fail(err, c, "RLE value encoding on a non-BOOLEAN column");
        if (end - p < 4 || u32le(p) > (size_t)(end - p - 4))
            return col_fail(err, c, "RLE boolean length runs past its page");
        pq_rle_init(&c->vals, p + 4, u32le(p), 1);
        return LT_OK;
    default:
        return lt_fail(err, LT_ERR_RUNTIME, "parquet: column \"%s\": value encoding %s is not supported", c->name,
                       encoding_name(enc));
    }
}

static int next_page(struct lt_parquet_reader *r, struct rcol *c, struct lt_error *err)
{
    (void)r;
    for (;;) {
        if (c->pos >= c->chunk.len)
            return col_fail(err, c, "column chunk ends before the row group's rows");
        struct tc_reader tr;
        struct pq_page_header ph;
        tc_reader_init(&tr, c->chunk.data + c->pos, c->chunk.len - c->pos);
        if (!pq_decode_page_header(&tr, &ph))
            return lt_fail(err, LT_ERR_RUNTIME, "parquet: column \"%s\": malformed page header: %s", c->name,
                           tr.error ? tr.error : "?");
        c->pos = (size_t)(tr.p - c->chunk.data);
        if (ph.compressed_page_size < 0 || ph.uncompressed_page_size < 0)
            return col_fail(err, c, "negative page size");
        if ((size_t)ph.compressed_page_size > c->chunk.len - c->pos)
            return col_fail(err, c, "page runs past its column chunk");
        if ((size_t)ph.uncompressed_page_size > MAX_PAGE_BYTES)
            return col_fail(err, c, "page larger than 1 GiB");
        const uint8_t *body = c->chunk.data + c->pos;
        size_t blen = (size_t)ph.compressed_page_size, ulen = (size_t)ph.uncompressed_page_size;
        c->pos += blen;
        if (ph.has_crc && (uint32_t)crc32(0L, body, (uInt)blen) != (uint32_t)ph.crc)
            return col_fail(err, c, "page checksum mismatch");
        const char *why = "";
        if (ph.type == PQ_PAGE_DICTIONARY) {
            if (pq_decompress(c->codec, body, blen, ulen, &c->dict, &why) < 0)
                return col_fail(err, c, why);
            int rc = load_dictionary(c, &ph, err);
            if (rc)
                return rc;
            continue;
        }
        if (ph.type == PQ_PAGE_DATA) {
            if (!ph.has_data)
                return col_fail(err, c, "data page without its header");
            if (ph.data.num_values < 0)
                return col_fail(err, c, "negative value count");
            if (pq_decompress(c->codec, body, blen, ulen, &c->page, &why) < 0)
                return col_fail(err, c, why);
            const uint8_t *p = c->page.data, *end = c->page.data + c->page.len;
            if (c->optional) {
                if (ph.data.def_encoding != PQ_ENC_RLE)
                    return lt_fail(err, LT_ERR_RUNTIME,
                                   "parquet: column \"%s\": definition level encoding %s is not supported", c->name,
                                   encoding_name(ph.data.def_encoding));
                if (end - p < 4 || u32le(p) > (size_t)(end - p - 4))
                    return col_fail(err, c, "definition levels run past their page");
                pq_rle_init(&c->def, p + 4, u32le(p), 1);
                p += 4 + u32le(p);
            }
            int rc = start_values(c, ph.data.encoding, p, end, err);
            if (rc)
                return rc;
            c->page_left = (uint32_t)ph.data.num_values;
        } else if (ph.type == PQ_PAGE_DATA_V2) {
            const struct pq_data_page_header_v2 *h = &ph.data_v2;
            if (!ph.has_data_v2)
                return col_fail(err, c, "data page v2 without its header");
            if (h->num_values < 0 || h->def_len < 0 || h->rep_len < 0 || h->num_nulls < 0 ||
                h->num_nulls > h->num_values)
                return col_fail(err, c, "negative sizes in a data page v2 header");
            /* A flat column has no repetition levels; some writers still store an (all-zero) section: skip it. */
            size_t lv = (size_t)h->rep_len + (size_t)h->def_len;
            if (lv > blen || lv > ulen)
                return col_fail(err, c, "levels run past their page");
            body += h->rep_len;
            blen -= (size_t)h->rep_len;
            ulen -= (size_t)h->rep_len;
            if (!c->optional && h->num_nulls > 0)
                return col_fail(err, c, "REQUIRED column page with nulls");
            bb_reset(&c->levels);
            bb_append(&c->levels, body, (size_t)h->def_len);
            if (c->levels.oom)
                return lt_fail(err, LT_ERR_RUNTIME, "parquet: out of memory");
            const uint8_t *vb = body + h->def_len;
            size_t vlen = blen - (size_t)h->def_len, vulen = ulen - (size_t)h->def_len;
            int codec = h->is_compressed ? c->codec : PQ_CODEC_UNCOMPRESSED;
            if (vlen == 0 && vulen == 0) {
                bb_reset(&c->page);
                bb_reserve(&c->page, 1);
            } else if (pq_decompress(codec, vb, vlen, vulen, &c->page, &why) < 0) {
                return col_fail(err, c, why);
            }
            if (c->optional)
                pq_rle_init(&c->def, c->levels.data, c->levels.len, 1);
            int rc = start_values(c, h->encoding, c->page.data, c->page.data + c->page.len, err);
            if (rc)
                return rc;
            c->page_left = (uint32_t)h->num_values;
        } else {
            continue; /* index pages and unknown page types carry no rows */
        }
        if (c->page_left > 0)
            return LT_OK;
    }
}

/* The next non-null value's PLAIN bytes. */
static int next_value(struct rcol *c, const uint8_t **v, uint32_t *len, uint8_t *boolbyte, struct lt_error *err)
{
    if (c->encoding == PQ_ENC_PLAIN_DICTIONARY || c->encoding == PQ_ENC_RLE_DICTIONARY) {
        uint32_t idx;
        if (pq_rle_next(&c->vals, &idx) < 0)
            return col_fail(err, c, "dictionary indices end before the page's values");
        if (idx >= c->dict_count)
            return col_fail(err, c, "dictionary index out of range");
        uint32_t ent[2];
        memcpy(ent, c->dict_ents.data + (size_t)idx * 8, 8);
        *v = c->dict.data + ent[0];
        *len = ent[1];
        return LT_OK;
    }
    if (c->t.physical == PQ_BOOLEAN) {
        uint32_t bit;
        if (c->encoding == PQ_ENC_RLE) {
            if (pq_rle_next(&c->vals, &bit) < 0)
                return col_fail(err, c, "boolean values end before the page's values");
        } else {
            uint64_t byte = c->bool_bit >> 3;
            if (byte >= (uint64_t)(c->vend - c->vp))
                return col_fail(err, c, "boolean values end before the page's values");
            bit = (c->vp[byte] >> (c->bool_bit & 7)) & 1;
            c->bool_bit++;
        }
        *boolbyte = (uint8_t)bit;
        *v = boolbyte;
        *len = 1;
        return LT_OK;
    }
    size_t avail = (size_t)(c->vend - c->vp);
    int width = fixed_width(c);
    uint32_t n;
    if (width > 0) {
        n = (uint32_t)width;
    } else {
        if (avail < 4)
            return col_fail(err, c, "values end before the page's value count");
        n = u32le(c->vp);
        c->vp += 4;
        avail -= 4;
    }
    if (n > avail)
        return col_fail(err, c, "value runs past its page");
    *v = c->vp;
    *len = n;
    c->vp += n;
    return LT_OK;
}

int lt_parquet_reader_next(struct lt_parquet_reader *r, const struct lt_value **vals, struct lt_error *err)
{
    while (r->rg_rows_left == 0) {
        if (r->rg >= 0) {
            for (int i = 0; i < r->ncols; i++)
                if (r->cols[i].page_left > 0) {
                    col_fail(err, &r->cols[i], "more values than the row group's rows");
                    return -1;
                }
        }
        int rc = next_row_group(r, err);
        if (rc <= 0)
            return rc;
    }
    bb_reset(&r->text);
    for (int i = 0; i < r->ncols; i++) {
        struct rcol *c = &r->cols[i];
        if (c->page_left == 0 && next_page(r, c, err))
            return -1;
        c->page_left--;
        bool present = true;
        if (c->optional) {
            uint32_t level;
            if (pq_rle_next(&c->def, &level) < 0) {
                col_fail(err, c, "definition levels end before the page's values");
                return -1;
            }
            if (level > 1) {
                col_fail(err, c, "definition level above 1 in a flat column");
                return -1;
            }
            present = level == 1;
        }
        r->values[i].state = present ? LT_VALUE_PRESENT : LT_VALUE_NULL;
        r->text_off[i] = (uint32_t)r->text.len;
        if (!present)
            continue;
        const uint8_t *v;
        uint32_t len;
        uint8_t boolbyte;
        if (next_value(c, &v, &len, &boolbyte, err))
            return -1;
        const char *why = "";
        if (pq_format_value(&c->t, v, len, &r->text, &why) < 0) {
            col_fail(err, c, why);
            return -1;
        }
        if (r->text.len > UINT32_MAX) {
            col_fail(err, c, "row text larger than 4 GiB");
            return -1;
        }
    }
    if (r->text.oom || !bb_reserve(&r->text, 1)) {
        lt_fail(err, LT_ERR_RUNTIME, "parquet: out of memory");
        return -1;
    }
    for (int i = 0; i < r->ncols; i++) {
        uint32_t end = i + 1 < r->ncols ? r->text_off[i + 1] : (uint32_t)r->text.len;
        r->values[i].data = r->values[i].state == LT_VALUE_PRESENT ? (const char *)r->text.data + r->text_off[i] : NULL;
        r->values[i].len = r->values[i].state == LT_VALUE_PRESENT ? end - r->text_off[i] : 0;
    }
    r->rg_rows_left--;
    *vals = r->values;
    return 1;
}

/* The target's reader is the Parquet reader itself. */
int lt_parquet_target_reader_open(struct lt_target_reader **out, const char *path, const struct lt_target_config *cfg,
                                  int ncols, const char *nosup, struct lt_error *err)
{
    (void)cfg;
    (void)nosup;
    struct lt_parquet_reader *r;
    if (lt_parquet_reader_open(path, &r, err))
        return LT_ERR_RUNTIME;
    if (lt_parquet_reader_schema(r)->ncols != ncols) {
        int rc = lt_fail(err, LT_ERR_RUNTIME, "%s has %d columns, the manifest says %d", path,
                         lt_parquet_reader_schema(r)->ncols, ncols);
        lt_parquet_reader_close(r);
        return rc;
    }
    *out = (struct lt_target_reader *)r;
    return LT_OK;
}

int lt_parquet_target_reader_next(struct lt_target_reader *r, const struct lt_value **vals, struct lt_error *err)
{
    return lt_parquet_reader_next((struct lt_parquet_reader *)r, vals, err);
}

void lt_parquet_target_reader_close(struct lt_target_reader *r)
{
    lt_parquet_reader_close((struct lt_parquet_reader *)r);
}
