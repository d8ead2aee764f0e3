/* The rows of a WRITE/UPDATE/DELETE_ROWS event (v1 or v2), decoded with their TABLE_MAP into canonical text values.
 *
 * Row images follow the event's column bitmaps (binlog_event.h):
 *
 *   row    := image (UPDATE: before-image then after-image)
 *   image  := null_bitmap[(popcount(present)+7)/8] value...   one null bit per PRESENT column, in column order
 *             (bit k of the bitmap = the k-th present column); then, for each present non-NULL column, its value
 *             in the column's pack format (binlog_types.h)
 *
 * WRITE rows carry one after-image, DELETE rows one before-image, UPDATE rows both. Columns absent from an image
 * (binlog_row_image=MINIMAL or NOBLOB) are reported as LT_VALUE_UNCHANGED.
 *
 * Values are written into the caller's scratch buffer, which is reset at each row: a row's lt_value pointers stay
 * valid until the next call. No allocation happens per row once the scratch buffer has grown to the largest row. */
#ifndef LOGTAP_BINLOG_ROWS_H
#define LOGTAP_BINLOG_ROWS_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/error.h"
#include "agent/record.h"
#include "sources/mysql/binlog_event.h"
#include "sources/mysql/binlog_types.h"

/* The change-record schema of a table map: names from the COLUMN_NAME metadata (else "col1", "col2", ...: the
 * caller should then take the names from information_schema), canonical types (lt_binlog_column_canonical_type),
 * keys from the primary-key metadata, nullability, and MySQL type names as source_type. NULL when out of memory. */
struct lt_table_schema *lt_binlog_table_map_schema(const struct lt_binlog_table_map *tm);

struct lt_binlog_row_cursor {
    const struct lt_binlog_rows_event *ev;
    const struct lt_binlog_table_map *tm;
    size_t pos;            /* next row's offset in ev->rows */
    uint32_t row_index;    /* rows returned so far */
    uint32_t n_present, n_present_after;
    unsigned notes;        /* LT_BINLOG_NOTE_* raised by the last row returned */
};

/* Starts reading the rows of ev with its table map tm (table ids and column counts must match). */
int lt_binlog_rows_begin(struct lt_binlog_row_cursor *c, const struct lt_binlog_rows_event *ev,
                         const struct lt_binlog_table_map *tm, struct lt_error *err);

/* Decodes the next row. `before` and `after` are arrays of tm->ncols values: WRITE fills `after`, DELETE fills
 * `before`, UPDATE fills both (either may be NULL when the caller does not want that image; the row is still
 * validated). Sets *done at the end of the event (and returns LT_OK). Fails on malformed rows, naming the binlog
 * offset, row and column. */
int lt_binlog_rows_next(struct lt_binlog_row_cursor *c, struct lt_my_scratch *s, struct lt_value *before,
                        struct lt_value *after, bool *done, struct lt_error *err);

#endif
