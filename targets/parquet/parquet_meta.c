/* Encoding and decoding of Parquet's Thrift structures (field ids listed in parquet_meta.h). Decoders accept
 * fields in any order, skip the ones they do not know, and check each field's wire type. */
#include "targets/parquet/parquet_meta.h"

#include <stdlib.h>
#include <string.h>

/* ---- encoding ---- */

static void encode_statistics(struct tc_writer *w, int16_t id, const struct pq_statistics *s)
{
    tc_field_struct_begin(w, id);
    if (s->legacy_max.p)
        tc_field_binary(w, 1, s->legacy_max.p, s->legacy_max.len);
    if (s->legacy_min.p)
        tc_field_binary(w, 2, s->legacy_min.p, s->legacy_min.len);
    if (s->has_null_count)
        tc_field_i64(w, 3, s->null_count);
    if (s->max_value.p)
        tc_field_binary(w, 5, s->max_value.p, s->max_value.len);
    if (s->min_value.p)
        tc_field_binary(w, 6, s->min_value.p, s->min_value.len);
    tc_struct_end(w);
}

static void encode_time_unit(struct tc_writer *w, int unit)
{
    tc_field_struct_begin(w, 2);
    tc_field_struct_begin(w, (int16_t)unit);
    tc_struct_end(w);
    tc_struct_end(w);
}

static void encode_logical(struct tc_writer *w, const struct pq_logical *lt)
{
    tc_field_struct_begin(w, 10);
    tc_field_struct_begin(w, (int16_t)lt->kind);
    switch (lt->kind) {
    case PQ_LT_DECIMAL:
        tc_field_i32(w, 1, lt->scale);
        tc_field_i32(w, 2, lt->precision);
        break;
    case PQ_LT_TIME:
    case PQ_LT_TIMESTAMP:
        tc_field_bool(w, 1, lt->utc);
        encode_time_unit(w, lt->unit);
        break;
    case PQ_LT_INTEGER:
        tc_field_i8(w, 1, (int8_t)lt->bit_width);
        tc_field_bool(w, 2, lt->is_signed);
        break;
    default:
        break;
    }
    tc_struct_end(w);
    tc_struct_end(w);
}

static void encode_schema_element(struct tc_writer *w, const struct pq_schema_element *se)
{
    tc_struct_begin(w);
    if (se->has_type)
        tc_field_i32(w, 1, se->type);
    if (se->has_type && se->type == PQ_FIXED_LEN_BYTE_ARRAY)
        tc_field_i32(w, 2, se->type_length);
    if (se->has_repetition)
        tc_field_i32(w, 3, se->repetition);
    tc_field_binary(w, 4, se->name.p, se->name.len);
    if (!se->has_type)
        tc_field_i32(w, 5, se->num_children);
    if (se->has_converted)
        tc_field_i32(w, 6, se->converted);
    if (se->has_converted && se->converted == PQ_CT_DECIMAL) {
        tc_field_i32(w, 7, se->scale);
        tc_field_i32(w, 8, se->precision);
    }
    if (se->logical.kind != PQ_LT_NONE)
        encode_logical(w, &se->logical);
    tc_struct_end(w);
}

static void encode_column_chunk(struct tc_writer *w, const struct pq_column_chunk *cc)
{
    const struct pq_column_meta *m = &cc->meta;
    tc_struct_begin(w);
    tc_field_i64(w, 2, cc->file_offset);
    tc_field_struct_begin(w, 3);
    tc_field_i32(w, 1, m->type);
    tc_field_list_begin(w, 2, TC_I32, (uint32_t)m->n_encodings);
    for (int i = 0; i < m->n_encodings; i++)
        tc_elem_i32(w, m->encodings[i]);
    tc_field_list_begin(w, 3, TC_BINARY, 1);
    tc_elem_binary(w, m->path0.p, m->path0.len);
    tc_field_i32(w, 4, m->codec);
    tc_field_i64(w, 5, m->num_values);
    tc_field_i64(w, 6, m->total_uncompressed_size);
    tc_field_i64(w, 7, m->total_compressed_size);
    tc_field_i64(w, 9, m->data_page_offset);
    if (m->has_dictionary_page_offset)
        tc_field_i64(w, 11, m->dictionary_page_offset);
    if (m->stats.present)
        encode_statistics(w, 12, &m->stats);
    tc_struct_end(w);
    tc_struct_end(w);
}

void pq_encode_file_meta(struct tc_writer *w, const struct pq_file_meta *fm)
{
    tc_struct_begin(w);
    tc_field_i32(w, 1, fm->version);
    tc_field_list_begin(w, 2, TC_STRUCT, (uint32_t)fm->nschema);
    for (int i = 0; i < fm->nschema; i++)
        encode_schema_element(w, &fm->schema[i]);
    tc_field_i64(w, 3, fm->num_rows);
    tc_field_list_begin(w, 4, TC_STRUCT, (uint32_t)fm->nrow_groups);
    for (int g = 0; g < fm->nrow_groups; g++) {
        const struct pq_row_group *rg = &fm->row_groups[g];
        tc_struct_begin(w);
        tc_field_list_begin(w, 1, TC_STRUCT, (uint32_t)rg->ncolumns);
        for (int c = 0; c < rg->ncolumns; c++)
            encode_column_chunk(w, &rg->columns[c]);
        tc_field_i64(w, 2, rg->total_byte_size);
        tc_field_i64(w, 3, rg->num_rows);
        tc_field_i64(w, 5, rg->file_offset);
        tc_field_i64(w, 6, rg->total_compressed_size);
        tc_field_i16(w, 7, rg->ordinal);
        tc_struct_end(w);
    }
    if (fm->nkv > 0) {
        tc_field_list_begin(w, 5, TC_STRUCT, (uint32_t)fm->nkv);
        for (int i = 0; i < fm->nkv; i++) {
            tc_struct_begin(w);
            tc_field_binary(w, 1, fm->kv[i].key.p, fm->kv[i].key.len);
            if (fm->kv[i].value.p)
                tc_field_binary(w, 2, fm->kv[i].value.p, fm->kv[i].value.len);
            tc_struct_end(w);
        }
    }
    if (fm->created_by.p)
        tc_field_binary(w, 6, fm->created_by.p, fm->created_by.len);
    if (fm->ncolumn_orders > 0) {
        tc_field_list_begin(w, 7, TC_STRUCT, (uint32_t)fm->ncolumn_orders);
        for (int i = 0; i < fm->ncolumn_orders; i++) {
            tc_struct_begin(w);          /* ColumnOrder union */
            tc_field_struct_begin(w, 1); /* TYPE_ORDER: TypeDefinedOrder {} */
            tc_struct_end(w);
            tc_struct_end(w);
        }
    }
    tc_struct_end(w);
}

void pq_encode_page_header(struct tc_writer *w, const struct pq_page_header *ph)
{
    tc_struct_begin(w);
    tc_field_i32(w, 1, ph->type);
    tc_field_i32(w, 2, ph->uncompressed_page_size);
    tc_field_i32(w, 3, ph->compressed_page_size);
    if (ph->has_crc)
        tc_field_i32(w, 4, ph->crc);
    if (ph->has_data) {
        const struct pq_data_page_header *d = &ph->data;
        tc_field_struct_begin(w, 5);
        tc_field_i32(w, 1, d->num_values);
        tc_field_i32(w, 2, d->encoding);
        tc_field_i32(w, 3, d->def_encoding);
        tc_field_i32(w, 4, d->rep_encoding);
        if (d->stats.present)
            encode_statistics(w, 5, &d->stats);
        tc_struct_end(w);
    }
    if (ph->has_dictionary) {
        tc_field_struct_begin(w, 7);
        tc_field_i32(w, 1, ph->dictionary.num_values);
        tc_field_i32(w, 2, ph->dictionary.encoding);
        if (ph->dictionary.is_sorted)
            tc_field_bool(w, 3, true);
        tc_struct_end(w);
    }
    if (ph->has_data_v2) {
        const struct pq_data_page_header_v2 *d = &ph->data_v2;
        tc_field_struct_begin(w, 8);
        tc_field_i32(w, 1, d->num_values);
        tc_field_i32(w, 2, d->num_nulls);
        tc_field_i32(w, 3, d->num_rows);
        tc_field_i32(w, 4, d->encoding);
        tc_field_i32(w, 5, d->def_len);
        tc_field_i32(w, 6, d->rep_len);
        tc_field_bool(w, 7, d->is_compressed);
        if (d->stats.present)
            encode_statistics(w, 8, &d->stats);
        tc_struct_end(w);
    }
    tc_struct_end(w);
}

/* ---- decoding ---- */

/* Iterates the fields of a struct: `for (FIELDS(r, f)) { switch (f.id) ... }`. The loop stops at the stop byte
 * or on error (check r->error afterwards). */
#define STRUCT_FIELDS(r, f, last) \
    int16_t last = 0;             \
    tc_read_field((r), &last, &(f)) && (f).type != TC_STOP;

static bool expect(struct tc_reader *r, const struct tc_field *f, enum tc_type t)
{
    if (f->type == t)
        return true;
    if (t == TC_BOOL_TRUE && f->type == TC_BOOL_FALSE)
        return true;
    return tc_fail(r, "thrift field has an unexpected type");
}

static bool read_binary_field(struct tc_reader *r, const struct tc_field *f, struct pq_bytes *out)
{
    if (!expect(r, f, TC_BINARY))
        return false;
    return tc_read_binary(r, &out->p, &out->len);
}

static bool read_bool_field(struct tc_reader *r, const struct tc_field *f, bool *out)
{
    if (f->type != TC_BOOL_TRUE && f->type != TC_BOOL_FALSE)
        return tc_fail(r, "thrift field has an unexpected type (expected bool)");
    *out = f->bool_value;
    return true;
}

static bool decode_statistics(struct tc_reader *r, struct pq_statistics *s)
{
    struct tc_field f;
    memset(s, 0, sizeof *s);
    s->present = true;
    if (!tc_struct_enter(r))
        return false;
    for (STRUCT_FIELDS(r, f, last)) {
        bool ok;
        switch (f.id) {
        case 1: ok = read_binary_field(r, &f, &s->legacy_max); break;
        case 2: ok = read_binary_field(r, &f, &s->legacy_min); break;
        case 3: ok = tc_read_i64_field(r, &f, &s->null_count); s->has_null_count = ok; break;
        case 5: ok = read_binary_field(r, &f, &s->max_value); break;
        case 6: ok = read_binary_field(r, &f, &s->min_value); break;
        default: ok = tc_skip(r, f.type); break;
        }
        if (!ok)
            return false;
    }
    tc_struct_leave(r);
    return !r->error;
}

/* A union: one struct-typed field whose id says which member. Returns the id (0 when empty). */
static bool decode_time_unit(struct tc_reader *r, int *unit)
{
    struct tc_field f;
    *unit = 0;
    if (!tc_struct_enter(r))
        return false;
    for (STRUCT_FIELDS(r, f, last)) {
        if (f.type == TC_STRUCT && f.id >= 1 && f.id <= 3)
            *unit = f.id;
        if (!tc_skip(r, f.type))
            return false;
    }
    tc_struct_leave(r);
    return !r->error;
}

static bool decode_logical_member(struct tc_reader *r, int kind, struct pq_logical *lt)
{
    struct tc_field f;
    if (!tc_struct_enter(r))
        return false;
    for (STRUCT_FIELDS(r, f, last)) {
        bool ok = true;
        if (kind == PQ_LT_DECIMAL && f.id == 1)
            ok = tc_read_int_field(r, &f, &lt->scale);
        else if (kind == PQ_LT_DECIMAL && f.id == 2)
            ok = tc_read_int_field(r, &f, &lt->precision);
        else if ((kind == PQ_LT_TIME || kind == PQ_LT_TIMESTAMP) && f.id == 1)
            ok = read_bool_field(r, &f, &lt->utc);
        else if ((kind == PQ_LT_TIME || kind == PQ_LT_TIMESTAMP) && f.id == 2)
            ok = expect(r, &f, TC_STRUCT) && decode_time_unit(r, &lt->unit);
        else if (kind == PQ_LT_INTEGER && f.id == 1) {
            int32_t bw = 0;
            ok = tc_read_int_field(r, &f, &bw);
            lt->bit_width = bw;
        } else if (kind == PQ_LT_INTEGER && f.id == 2)
            ok = read_bool_field(r, &f, &lt->is_signed);
        else
            ok = tc_skip(r, f.type);
        if (!ok)
            return false;
    }
    tc_struct_leave(r);
    return !r->error;
}

static bool decode_logical(struct tc_reader *r, struct pq_logical *lt)
{
    struct tc_field f;
    memset(lt, 0, sizeof *lt);
    if (!tc_struct_enter(r))
        return false;
    for (STRUCT_FIELDS(r, f, last)) {
        bool ok;
        if (f.type == TC_STRUCT) {
            int kind = (f.id >= 1 && f.id <= 15 && f.id != 9) ? f.id : PQ_LT_OTHER;
            lt->kind = kind;
            ok = decode_logical_member(r, kind, lt);
        } else {
            ok = tc_skip(r, f.type);
        }
        if (!ok)
            return false;
    }
    tc_struct_leave(r);
    return !r->error;
}

static bool decode_schema_element(struct tc_reader *r, struct pq_schema_element *se)
{
    struct tc_field f;
    bool has_name = false;
    memset(se, 0, sizeof *se);
    if (!tc_struct_enter(r))
        return false;
    for (STRUCT_FIELDS(r, f, last)) {
        bool ok;
        switch (f.id) {
        case 1: ok = tc_read_int_field(r, &f, &se->type); se->has_type = ok; break;
        case 2: ok = tc_read_int_field(r, &f, &se->type_length); break;
        case 3: ok = tc_read_int_field(r, &f, &se->repetition); se->has_repetition = ok; break;
        case 4: ok = read_binary_field(r, &f, &se->name); has_name = ok; break;
        case 5: ok = tc_read_int_field(r, &f, &se->num_children); break;
        case 6: ok = tc_read_int_field(r, &f, &se->converted); se->has_converted = ok; break;
        case 7: ok = tc_read_int_field(r, &f, &se->scale); break;
        case 8: ok = tc_read_int_field(r, &f, &se->precision); break;
        case 10: ok = expect(r, &f, TC_STRUCT) && decode_logical(r, &se->logical); break;
        default: ok = tc_skip(r, f.type); break;
        }
        if (!ok)
            return false;
    }
    tc_struct_leave(r);
    if (!r->error && !has_name)
        return tc_fail(r, "schema element without a name");
    return !r->error;
}

static bool decode_column_meta(struct tc_reader *r, struct pq_column_meta *m)
{
    struct tc_field f;
    enum tc_type et;
    uint32_t n;
    memset(m, 0, sizeof *m);
    m->type = -1;
    if (!tc_struct_enter(r))
        return false;
    for (STRUCT_FIELDS(r, f, last)) {
        bool ok = true;
        switch (f.id) {
        case 1: ok = tc_read_int_field(r, &f, &m->type); break;
        case 2:
            ok = expect(r, &f, TC_LIST) && tc_read_list(r, &et, &n);
            for (uint32_t i = 0; ok && i < n; i++) {
                int32_t e;
                if (et != TC_I32) {
                    ok = tc_fail(r, "column encodings are not a list of i32");
                    break;
                }
                ok = tc_read_i32(r, &e);
                if (ok && m->n_encodings < PQ_MAX_ENCODINGS)
                    m->encodings[m->n_encodings++] = e;
            }
            break;
        case 3:
            ok = expect(r, &f, TC_LIST) && tc_read_list(r, &et, &n);
            for (uint32_t i = 0; ok && i < n; i++) {
                struct pq_bytes b;
                if (et != TC_BINARY) {
                    ok = tc_fail(r, "column path is not a list of strings");
                    break;
                }
                ok = tc_read_binary(r, &b.p, &b.len);
                if (ok && i == 0)
                    m->path0 = b;
            }
            m->path_len = (int)n;
            break;
        case 4: ok = tc_read_int_field(r, &f, &m->codec); break;
        case 5: ok = tc_read_i64_field(r, &f, &m->num_values); break;
        case 6: ok = tc_read_i64_field(r, &f, &m->total_uncompressed_size); break;
        case 7: ok = tc_read_i64_field(r, &f, &m->total_compressed_size); break;
        case 9: ok = tc_read_i64_field(r, &f, &m->data_page_offset); break;
        case 11:
            ok = tc_read_i64_field(r, &f, &m->dictionary_page_offset);
            m->has_dictionary_page_offset = ok;
            break;
        case 12: ok = expect(r, &f, TC_STRUCT) && decode_statistics(r, &m->stats); break;
        default: ok = tc_skip(r, f.type); break;
        }
        if (!ok)
            return false;
    }
    tc_struct_leave(r);
    return !r->error;
}

static bool decode_column_chunk(struct tc_reader *r, struct pq_column_chunk *cc)
{
    struct tc_field f;
    memset(cc, 0, sizeof *cc);
    if (!tc_struct_enter(r))
        return false;
    for (STRUCT_FIELDS(r, f, last)) {
        bool ok;
        switch (f.id) {
        case 1: ok = read_binary_field(r, &f, &cc->file_path); break;
        case 2: ok = tc_read_i64_field(r, &f, &cc->file_offset); break;
        case 3: ok = expect(r, &f, TC_STRUCT) && decode_column_meta(r, &cc->meta); cc->has_meta = ok; break;
        case 8:
        case 9: cc->encrypted = true; ok = tc_skip(r, f.type); break;
        default: ok = tc_skip(r, f.type); break;
        }
        if (!ok)
            return false;
    }
    tc_struct_leave(r);
    return !r->error;
}

/* Reads a list<struct> header and allocates n zeroed elements of size sz (n is bounded by the bytes left). */
static bool read_struct_list(struct tc_reader *r, const struct tc_field *f, size_t sz, void **out, int *count)
{
    enum tc_type et;
    uint32_t n;
    if (!expect(r, f, TC_LIST) || !tc_read_list(r, &et, &n))
        return false;
    if (et != TC_STRUCT)
        return tc_fail(r, "expected a list of structs");
    if (*out)
        return tc_fail(r, "list field given twice");
    *out = calloc(n ? n : 1, sz);
    if (!*out)
        return tc_fail(r, "out of memory decoding parquet metadata");
    *count = (int)n;
    return true;
}

static bool decode_row_group(struct tc_reader *r, struct pq_row_group *rg)
{
    struct tc_field f;
    if (!tc_struct_enter(r))
        return false;
    for (STRUCT_FIELDS(r, f, last)) {
        bool ok;
        switch (f.id) {
        case 1: {
            void *arr = rg->columns;
            int n = 0;
            ok = read_struct_list(r, &f, sizeof *rg->columns, &arr, &n);
            if (!ok)
                break;
            rg->columns = arr;
            for (int i = 0; ok && i < n; i++) {
                ok = decode_column_chunk(r, &rg->columns[i]);
                if (ok)
                    rg->ncolumns = i + 1;
            }
            break;
        }
        case 2: ok = tc_read_i64_field(r, &f, &rg->total_byte_size); break;
        case 3: ok = tc_read_i64_field(r, &f, &rg->num_rows); break;
        case 5: ok = tc_read_i64_field(r, &f, &rg->file_offset); break;
        case 6: ok = tc_read_i64_field(r, &f, &rg->total_compressed_size); break;
        case 7: {
            int32_t o = 0;
            ok = tc_read_int_field(r, &f, &o);
            rg->ordinal = (int16_t)o;
            break;
        }
        default: ok = tc_skip(r, f.type); break;
        }
        if (!ok)
            return false;
    }
    tc_struct_leave(r);
    return !r->error;
}

static bool decode_key_value(struct tc_reader *r, struct pq_key_value *kv)
{
    struct tc_field f;
    if (!tc_struct_enter(r))
        return false;
    for (STRUCT_FIELDS(r, f, last)) {
        bool ok;
        switch (f.id) {
        case 1: ok = read_binary_field(r, &f, &kv->key); break;
        case 2: ok = read_binary_field(r, &f, &kv->value); break;
        default: ok = tc_skip(r, f.type); break;
        }
        if (!ok)
            return false;
    }
    tc_struct_leave(r);
    return !r->error;
}

bool pq_decode_file_meta(struct tc_reader *r, struct pq_file_meta *fm)
{
    struct tc_field f;
    memset(fm, 0, sizeof *fm);
    if (!tc_struct_enter(r))
        return false;
    for (STRUCT_FIELDS(r, f, last)) {
        bool ok = true;
        void *arr;
        int n = 0;
        switch (f.id) {
        case 1: ok = tc_read_int_field(r, &f, &fm->version); break;
        case 2:
            arr = fm->schema;
            ok = read_struct_list(r, &f, sizeof *fm->schema, &arr, &n);
            if (!ok)
                break;
            fm->schema = arr;
            for (int i = 0; ok && i < n; i++) {
                ok = decode_schema_element(r, &fm->schema[i]);
                if (ok)
                    fm->nschema = i + 1;
            }
            break;
        case 3: ok = tc_read_i64_field(r, &f, &fm->num_rows); break;
        case 4:
            arr = fm->row_groups;
            ok = read_struct_list(r, &f, sizeof *fm->row_groups, &arr, &n);
            if (!ok)
                break;
            fm->row_groups = arr;
            fm->nrow_groups = n; /* zeroed elements: safe to free even if decoding stops early */
            for (int i = 0; ok && i < n; i++)
                ok = decode_row_group(r, &fm->row_groups[i]);
            break;
        case 5:
            arr = fm->kv;
            ok = read_struct_list(r, &f, sizeof *fm->kv, &arr, &n);
            if (!ok)
                break;
            fm->kv = arr;
            fm->nkv = n;
            for (int i = 0; ok && i < n; i++)
                ok = decode_key_value(r, &fm->kv[i]);
            break;
        case 6: ok = read_binary_field(r, &f, &fm->created_by); break;
        case 7: {
            enum tc_type et;
            uint32_t cnt;
            ok = expect(r, &f, TC_LIST) && tc_read_list(r, &et, &cnt);
            for (uint32_t i = 0; ok && i < cnt; i++)
                ok = tc_skip_elem(r, et);
            fm->ncolumn_orders = (int)cnt;
            break;
        }
        case 8: fm->encrypted = true; ok = tc_skip(r, f.type); break;
        default: ok = tc_skip(r, f.type); break;
        }
        if (!ok)
            return false;
    }
    tc_struct_leave(r);
    return !r->error;
}

void pq_file_meta_free(struct pq_file_meta *fm)
{
    for (int i = 0; fm->row_groups && i < fm->nrow_groups; i++)
        free(fm->row_groups[i].columns);
    free(fm->row_groups);
    free(fm->schema);
    free(fm->kv);
    memset(fm, 0, sizeof *fm);
}

static bool decode_data_page_header(struct tc_reader *r, struct pq_data_page_header *d)
{
    struct tc_field f;
    if (!tc_struct_enter(r))
        return false;
    for (STRUCT_FIELDS(r, f, last)) {
        bool ok;
        switch (f.id) {
        case 1: ok = tc_read_int_field(r, &f, &d->num_values); break;
        case 2: ok = tc_read_int_field(r, &f, &d->encoding); break;
        case 3: ok = tc_read_int_field(r, &f, &d->def_encoding); break;
        case 4: ok = tc_read_int_field(r, &f, &d->rep_encoding); break;
        case 5: ok = expect(r, &f, TC_STRUCT) && decode_statistics(r, &d->stats); break;
        default: ok = tc_skip(r, f.type); break;
        }
        if (!ok)
            return false;
    }
    tc_struct_leave(r);
    return !r->error;
}

static bool decode_data_page_header_v2(struct tc_reader *r, struct pq_data_page_header_v2 *d)
{
    struct tc_field f;
    d->is_compressed = true;
    if (!tc_struct_enter(r))
        return false;
    for (STRUCT_FIELDS(r, f, last)) {
        bool ok;
        switch (f.id) {
        case 1: ok = tc_read_int_field(r, &f, &d->num_values); break;
        case 2: ok = tc_read_int_field(r, &f, &d->num_nulls); break;
        case 3: ok = tc_read_int_field(r, &f, &d->num_rows); break;
        case 4: ok = tc_read_int_field(r, &f, &d->encoding); break;
        case 5: ok = tc_read_int_field(r, &f, &d->def_len); break;
        case 6: ok = tc_read_int_field(r, &f, &d->rep_len); break;
        case 7: ok = read_bool_field(r, &f, &d->is_compressed); break;
        case 8: ok = expect(r, &f, TC_STRUCT) && decode_statistics(r, &d->stats); break;
        default: ok = tc_skip(r, f.type); break;
        }
        if (!ok)
            return false;
    }
    tc_struct_leave(r);
    return !r->error;
}

static bool decode_dictionary_page_header(struct tc_reader *r, struct pq_dictionary_page_header *d)
{
    struct tc_field f;
    if (!tc_struct_enter(r))
        return false;
    for (STRUCT_FIELDS(r, f, last)) {
        bool ok;
        switch (f.id) {
        case 1: ok = tc_read_int_field(r, &f, &d->num_values); break;
        case 2: ok = tc_read_int_field(r, &f, &d->encoding); break;
        case 3: ok = read_bool_field(r, &f, &d->is_sorted); break;
        default: ok = tc_skip(r, f.type); break;
        }
        if (!ok)
            return false;
    }
    tc_struct_leave(r);
    return !r->error;
}

bool pq_decode_page_header(struct tc_reader *r, struct pq_page_header *ph)
{
    struct tc_field f;
    memset(ph, 0, sizeof *ph);
    ph->type = -1;
    if (!tc_struct_enter(r))
        return false;
    for (STRUCT_FIELDS(r, f, last)) {
        bool ok;
        switch (f.id) {
        case 1: ok = tc_read_int_field(r, &f, &ph->type); break;
        case 2: ok = tc_read_int_field(r, &f, &ph->uncompressed_page_size); break;
        case 3: ok = tc_read_int_field(r, &f, &ph->compressed_page_size); break;
        case 4: ok = tc_read_int_field(r, &f, &ph->crc); ph->has_crc = ok; break;
        case 5: ok = expect(r, &f, TC_STRUCT) && decode_data_page_header(r, &ph->data); ph->has_data = ok; break;
        case 7:
            ok = expect(r, &f, TC_STRUCT) && decode_dictionary_page_header(r, &ph->dictionary);
            ph->has_dictionary = ok;
            break;
        case 8:
            ok = expect(r, &f, TC_STRUCT) && decode_data_page_header_v2(r, &ph->data_v2);
            ph->has_data_v2 = ok;
            break;
        default: ok = tc_skip(r, f.type); break;
        }
        if (!ok)
            return false;
    }
    tc_struct_leave(r);
    return !r->error;
}
