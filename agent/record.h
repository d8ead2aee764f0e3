/* The change record: what every source produces and every target consumes.
 *
 * A record is one row image tagged I, U or D, with its table's schema, its commit time, and a position string.
 * Values travel in their canonical text form (README, "Files": PostgreSQL's own text output for PostgreSQL
 * sources, the documented text forms for MySQL/MariaDB), so the CSV target writes them as they are and the Parquet
 * target parses each into its typed physical value once. A value is either NULL, "unchanged" (an unchanged TOAST
 * column the source did not send), or present.
 *
 * Positions are fixed-width strings whose byte order is the change order; each source defines its format. */
#ifndef LOGTAP_RECORD_H
#define LOGTAP_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lt_type {
    LT_TYPE_BOOL,
    LT_TYPE_INT16,
    LT_TYPE_INT32,
    LT_TYPE_INT64,
    LT_TYPE_FLOAT32,
    LT_TYPE_FLOAT64,
    LT_TYPE_DECIMAL,    /* precision/scale in the column; precision 0 means unconstrained */
    LT_TYPE_TEXT,       /* also every type without a canonical counterpart (arrays, ranges, enums, ...) */
    LT_TYPE_BYTES,      /* text form: \x followed by lowercase hex */
    LT_TYPE_DATE,       /* YYYY-MM-DD */
    LT_TYPE_TIME,       /* HH:MM:SS[.ffffff] */
    LT_TYPE_TIMESTAMP,  /* YYYY-MM-DD HH:MM:SS[.ffffff] */
    LT_TYPE_TIMESTAMPTZ,/* YYYY-MM-DD HH:MM:SS[.ffffff]+00 (UTC) */
    LT_TYPE_JSON,
    LT_TYPE_UUID,
};

const char *lt_type_name(enum lt_type type);

struct lt_column {
    char *name;
    enum lt_type type;
    int precision;      /* decimal precision, or 0 */
    int scale;          /* decimal scale */
    bool is_key;        /* part of the primary key / replica identity */
    bool nullable;
    char *source_type;  /* the source's own type name, e.g. "character varying(20)" */
    /* A table the table mapping changes (renames, columns removed, added or converted): where the column comes
     * from. NULL for tables without mapping; "" for a column an add-column rule computes. */
    char *origin;
    bool converted;     /* its values are not the source column's text (change-data-type) */
};

struct lt_table_schema {
    char *schema_name;
    char *table_name;
    int ncols;
    struct lt_column *cols;
    char *origin_schema;  /* a table the table mapping changes: the source table's names (NULL otherwise) */
    char *origin_table;
};

struct lt_table_schema *lt_schema_new(const char *schema_name, const char *table_name, int ncols);
struct lt_table_schema *lt_schema_copy(const struct lt_table_schema *src);
void lt_schema_free(struct lt_table_schema *schema);
/* Sets column i; strings are copied. */
void lt_schema_set_column(struct lt_table_schema *schema, int i, const char *name, enum lt_type type,
                          int precision, int scale, bool is_key, bool nullable, const char *source_type);
bool lt_schema_equal(const struct lt_table_schema *a, const struct lt_table_schema *b);
/* Sets the origin of a mapped table and column (strings copied; NULL clears). */
void lt_schema_set_origin(struct lt_table_schema *schema, const char *origin_schema, const char *origin_table);
void lt_column_set_origin(struct lt_column *c, const char *origin, bool converted);

enum lt_value_state {
    LT_VALUE_NULL = 0,
    LT_VALUE_PRESENT = 1,
    LT_VALUE_UNCHANGED = 2,
};

struct lt_value {
    const char *data;   /* canonical text, not NUL-terminated; valid until the producer's next record */
    uint32_t len;
    uint8_t state;      /* enum lt_value_state */
};

#define LT_POS_MAX 40

struct lt_row {
    char op;                     /* 'I', 'U' or 'D' */
    int64_t commit_ts_us;        /* microseconds since 1970-01-01 UTC */
    char pos[LT_POS_MAX + 1];    /* NUL-terminated, fixed width per source */
    int nvals;
    const struct lt_value *vals; /* one per schema column, in schema order */
    const struct lt_table_schema *schema; /* the row's table, for files holding rows of several tables
                                           * (transaction files); NULL elsewhere */
};

/* Formats microseconds since the epoch as "YYYY-MM-DD HH:MM:SS.ffffff" (26 characters + NUL). */
void lt_format_timestamp_us(int64_t us, char out[32]);

#endif
