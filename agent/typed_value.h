/* Comparing a column's values as the source compares them: numbers as numbers, dates and times as points in time,
 * text by its bytes (UTF-8, so code point order). Source filters (row_filter.c) and range boundaries use it for the
 * change stream, where values arrive as canonical text (record.h), and to write the same comparisons as SQL for the
 * full load, so that both select the same rows.
 *
 * The comparison of each kind:
 *  - INT: 64-bit integers. DECIMAL: exact decimal (any number of digits; PostgreSQL's NaN above every number, as
 *    PostgreSQL orders them, and its Infinity/-Infinity). FLOAT32/FLOAT64: IEEE values in the column's own width
 *    (a float4 column against 0.1 compares with 0.1 rounded to float4), NaN above every number and equal to itself
 *    (PostgreSQL's order).
 *  - TEXT: bytes (memcmp, then length): PostgreSQL COLLATE "C", MySQL/MariaDB binary. BPCHAR (PostgreSQL
 *    character(n)): the same, trailing spaces ignored, as PostgreSQL compares it. UUID: the 16 bytes (= the order of
 *    the lowercase text). BOOL: false < true.
 *  - DATE, TIMESTAMP, TIMESTAMPTZ (UTC), TIME (time of day), DURATION (MySQL TIME, -838:59:59 to 838:59:59): by
 *    value, to the microsecond; PostgreSQL's BC dates and -infinity/infinity in their places.
 * Columns of other types (bytes, JSON, arrays, ranges, enums of PostgreSQL...) have no such comparison here: only
 * the null and notnull filters take them. */
#ifndef LOGTAP_TYPED_VALUE_H
#define LOGTAP_TYPED_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/record.h"

enum lt_cmp_kind {
    LT_CMP_NONE,
    LT_CMP_INT,
    LT_CMP_DECIMAL,
    LT_CMP_FLOAT32,
    LT_CMP_FLOAT64,
    LT_CMP_TEXT,
    LT_CMP_BPCHAR,
    LT_CMP_UUID,
    LT_CMP_BOOL,
    LT_CMP_DATE,
    LT_CMP_TIMESTAMP,
    LT_CMP_TIMESTAMPTZ,
    LT_CMP_TIME,
    LT_CMP_DURATION,
};

/* The kind a column's values compare as, LT_CMP_NONE when they have none here. */
enum lt_cmp_kind lt_cmp_kind_of(const struct lt_column *c);

/* A value ready to compare: points into the text it was read from (no copy). */
struct lt_typed {
    uint8_t cls;        /* numbers: 0 finite, 1 -infinity, 2 +infinity, 3 NaN */
    bool neg;           /* DECIMAL sign */
    int64_t i;          /* INT, BOOL, TIME, DURATION */
    __int128 t;         /* DATE, TIMESTAMP, TIMESTAMPTZ: an order-preserving key */
    double d;           /* FLOAT64 */
    float f;            /* FLOAT32 */
    const char *p;      /* TEXT, BPCHAR, UUID: the bytes; DECIMAL: the integer digits (no leading zeros) */
    size_t n;
    const char *fp;     /* DECIMAL: the fraction digits (no trailing zeros) */
    size_t fn;
};

/* Reads a value in its canonical text form (as sources send it); false when it is not one of the kind. */
bool lt_typed_from_text(enum lt_cmp_kind k, const char *s, size_t n, struct lt_typed *out);

/* <0, 0, >0. */
int lt_typed_compare(enum lt_cmp_kind k, const struct lt_typed *a, const struct lt_typed *b);

/* A value written in a config (a filter value, a range boundary), read strictly for the kind: *canon gets its
 * canonical text (malloc'd), the form the SQL of lt_sql_literal is written from and the one compared. NULL with
 * *why set when the text is not a value of the kind. */
char *lt_typed_literal(enum lt_cmp_kind k, const char *text, const char **why);

enum lt_sql_dialect { LT_SQL_POSTGRES, LT_SQL_MYSQL };

/* The SQL of a column, as the comparison needs it (PostgreSQL text: COLLATE "C"; MySQL text: its UTF-8 bytes;
 * MySQL BIT: as a number). malloc'd; NULL when out of memory. */
char *lt_sql_column(enum lt_sql_dialect d, enum lt_cmp_kind k, const struct lt_column *c);

/* The SQL of a canonical literal of the kind (from lt_typed_literal): never the literal's text pasted into quotes
 * unchecked (text goes as escaped bytes). malloc'd; NULL when out of memory. */
char *lt_sql_literal(enum lt_sql_dialect d, enum lt_cmp_kind k, const char *canon);

/* A name quoted as an identifier ("x" for PostgreSQL, `x` for MySQL), malloc'd. */
char *lt_sql_ident(enum lt_sql_dialect d, const char *name);

#endif
