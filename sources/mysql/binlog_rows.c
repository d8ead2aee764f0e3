/* Row images of a rows event to canonical text values: see binlog_rows.h for the layout. */
#include "sources/mysql/binlog_rows.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t popcount_bitmap(const uint8_t *bm, uint32_t ncols)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < ncols; i++)
        k += (bm[i / 8] >> (i % 8)) & 1;
    return k;
}

struct lt_table_schema *lt_binlog_table_map_schema(const struct lt_binlog_table_map *tm)
{
    struct lt_table_schema *schema = lt_schema_new(tm->db ? tm->db : "", tm->table ? tm->table : "", (int)tm->ncols);
    if (!schema)
        return NULL;
    for (uint32_t i = 0; i < tm->ncols; i++) {
        const struct lt_binlog_column *col = &tm->cols[i];
        char name[32], source_type[64];
        if (!col->name)
            snprintf(name, sizeof name, "col%u", i + 1);
        lt_binlog_column_source_type(col, source_type, sizeof source_type);
        int precision, scale;
        enum lt_type type = lt_binlog_column_canonical_type(col, &precision, &scale);
        lt_schema_set_column(schema, (int)i, col->name ? col->name : name, type, precision, scale, col->is_key,
                             col->nullable, source_type);
    }
    return schema;
}

int lt_binlog_rows_begin(struct lt_binlog_row_cursor *c, const struct lt_binlog_rows_event *ev,
                         const struct lt_binlog_table_map *tm, struct lt_error *err)
{
    memset(c, 0, sizeof *c);
    if (ev->compressed)
        return lt_fail(err, LT_ERR_RUNTIME, "rows event at binlog offset %" PRIu64 " is still compressed (call "
                       "lt_binlog_event_decompress first)", ev->rows_offset);
    if (ev->table_id != tm->table_id)
        return lt_fail(err, LT_ERR_RUNTIME, "rows event at binlog offset %" PRIu64 " is for table id %" PRIu64
                       " but the table map is for %" PRIu64, ev->rows_offset, ev->table_id, tm->table_id);
    if (ev->ncols != tm->ncols)
        return lt_fail(err, LT_ERR_RUNTIME, "rows event at binlog offset %" PRIu64 " has %u columns but the table "
                       "map of %s.%s has %u", ev->rows_offset, ev->ncols, tm->db, tm->table, tm->ncols);
    c->ev = ev;
    c->tm = tm;
    c->n_present = popcount_bitmap(ev->present, ev->ncols);
    c->n_present_after = ev->present_after ? popcount_bitmap(ev->present_after, ev->ncols) : 0;
    return LT_OK;
}

/* Decodes one image at c->pos; value k's text offset goes to s->offs[slot + k], its state to vals[k] (when set). */
static int decode_image(struct lt_binlog_row_cursor *c, const uint8_t *present, uint32_t npresent,
                        struct lt_my_scratch *s, struct lt_value *vals, size_t slot, struct lt_error *err)
{
    const struct lt_binlog_rows_event *ev = c->ev;
    const uint8_t *p = ev->rows;
    size_t n = ev->rows_len;
    size_t nb = (npresent + 7) / 8;
    if (nb > n - c->pos)
        return lt_fail(err, LT_ERR_RUNTIME, "rows event at binlog offset %" PRIu64 ", row %u: null bitmap truncated",
                       ev->rows_offset + c->pos, c->row_index + 1);
    const uint8_t *nulls = p + c->pos;
    c->pos += nb;
    uint32_t k = 0;
    for (uint32_t i = 0; i < ev->ncols; i++) {
        const struct lt_binlog_column *col = &c->tm->cols[i];
        struct lt_value v = {NULL, 0, LT_VALUE_UNCHANGED};
        s->offs[slot + i] = UINT32_MAX;
        if ((present[i / 8] >> (i % 8)) & 1) {
            bool is_null = (nulls[k / 8] >> (k % 8)) & 1;
            k++;
            if (is_null) {
                v.state = LT_VALUE_NULL;
            } else {
                struct lt_error sub; /* not zero-filled: its 1 KB message per value was a hot spot */
                lt_error_clear(&sub);
                size_t size, start = s->len;
                bool zero = false;
                if (lt_binlog_value_size(col, p + c->pos, n - c->pos, &size, &sub) ||
                    lt_binlog_value_to_text(col, p + c->pos, size, s, &zero, &c->notes, &sub))
                    return lt_fail(err, LT_ERR_RUNTIME, "rows event at binlog offset %" PRIu64 " (%s.%s), row %u, "
                                   "column %u (%s): %s", ev->rows_offset + c->pos, c->tm->db, c->tm->table,
                                   c->row_index + 1, i + 1, lt_mysql_type_name(col->type), sub.msg);
                c->pos += size;
                if (zero) {
                    v.state = LT_VALUE_NULL;
                } else {
                    if (s->len - start > UINT32_MAX || start >= UINT32_MAX)
                        return lt_fail(err, LT_ERR_RUNTIME, "row value larger than 4 GiB");
                    v.state = LT_VALUE_PRESENT;
                    v.len = (uint32_t)(s->len - start);
                    s->offs[slot + i] = (uint32_t)start;
                }
            }
        }
        if (vals)
            vals[i] = v;
    }
    return LT_OK;
}

static void fix_pointers(const struct lt_my_scratch *s, struct lt_value *vals, size_t slot, uint32_t ncols)
{
    if (!vals)
        return;
    for (uint32_t i = 0; i < ncols; i++)
        vals[i].data = vals[i].state == LT_VALUE_PRESENT ? s->data + s->offs[slot + i] : NULL;
}

int lt_binlog_rows_next(struct lt_binlog_row_cursor *c, struct lt_my_scratch *s, struct lt_value *before,
                        struct lt_value *after, bool *done, struct lt_error *err)
{
    const struct lt_binlog_rows_event *ev = c->ev;
    *done = false;
    c->notes = 0;
    if (c->pos >= ev->rows_len) {
        *done = true;
        return LT_OK;
    }
    size_t need = 2 * (size_t)ev->ncols;
    if (s->offs_cap < need) {
        uint32_t *o = realloc(s->offs, need * sizeof *o);
        if (!o)
            return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        s->offs = o;
        s->offs_cap = need;
    }
    s->len = 0;
    int rc = lt_my_scratch_reserve(s, 1, err); /* so an empty value's pointer is never NULL + 0 */
    if (rc)
        return rc;
    size_t start = c->pos;
    if (ev->op == 'I') {
        rc = decode_image(c, ev->present, c->n_present, s, after, 0, err);
    } else if (ev->op == 'D') {
        rc = decode_image(c, ev->present, c->n_present, s, before, 0, err);
    } else {
        rc = decode_image(c, ev->present, c->n_present, s, before, 0, err);
        if (!rc)
            rc = decode_image(c, ev->present_after, c->n_present_after, s, after, ev->ncols, err);
    }
    if (rc)
        return rc;
    if (c->pos == start) /* no column present in any image: the row takes no bytes and would come back forever */
        return lt_fail(err, LT_ERR_RUNTIME, "rows event at binlog offset %" PRIu64 ", row %u: no column is present in "
                       "its image", ev->rows_offset + c->pos, c->row_index + 1);
    if (ev->op == 'I') {
        fix_pointers(s, after, 0, ev->ncols);
    } else if (ev->op == 'D') {
        fix_pointers(s, before, 0, ev->ncols);
    } else {
        fix_pointers(s, before, 0, ev->ncols);
        fix_pointers(s, after, ev->ncols, ev->ncols);
    }
    c->row_index++;
    return LT_OK;
}
