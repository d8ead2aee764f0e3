/* DMS data types (the "data-type" of change-data-type and add-column) as logtap column types, and the conversions
 * of a column's values to one of them that are exact: the value's meaning kept, only its form changed (widening
 * integers and decimals, a date to a midnight datetime, a UTC timestamptz to a datetime, anything with a text form
 * to string). Conversions that could lose or alter a value (narrowing, float to integer, text to number, ...) are
 * refused, so a file never holds a value the source did not have. */
#ifndef LOGTAP_TYPE_CONVERT_H
#define LOGTAP_TYPE_CONVERT_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/mapping.h"
#include "agent/record.h"

/* A growing text buffer that values are written to by offset (the buffer may move while a row is built). */
struct lt_text_buf {
    char *p;
    size_t len, cap;
    bool oom;
};
/* Makes room for n more bytes (and a NUL); false when out of memory. */
bool lt_text_buf_reserve(struct lt_text_buf *b, size_t n);
/* Appends; returns the offset it wrote at. */
size_t lt_text_buf_put(struct lt_text_buf *b, const char *s, size_t n);
void lt_text_buf_free(struct lt_text_buf *b);

/* The logtap type of a DMS data type, its precision/scale, and a source_type text for it ("numeric(10,2)"). */
void lt_dms_type_column(const struct lt_data_type *dt, enum lt_type *type, int *precision, int *scale,
                        char *source_type, size_t n);

enum lt_conv_op {
    LT_CONV_COPY,        /* the same text */
    LT_CONV_RESCALE,     /* a decimal or an integer written with `scale` fraction digits */
    LT_CONV_DATE_TO_TS,  /* "YYYY-MM-DD" -> "YYYY-MM-DD 00:00:00" */
    LT_CONV_TSTZ_TO_TS,  /* "... +00" -> "..." (the UTC wall time) */
};

struct lt_conv {
    enum lt_conv_op op;
    int scale;
    bool text_changes;   /* the converted text differs from the source's */
};

/* How a value of column `src` becomes a value of data type dt; false with *why when that is not exact. */
bool lt_conv_plan(const struct lt_column *src, const struct lt_data_type *dt, struct lt_conv *out, const char **why);

/* Converts a present value's text; the result is at *off (length *len) in buf. */
void lt_conv_apply(const struct lt_conv *c, const char *s, size_t n, struct lt_text_buf *buf, size_t *off, size_t *len);

/* A constant (from a config) as a value of data type dt, in its canonical text: malloc'd, or NULL with *why. */
char *lt_conv_constant(const struct lt_data_type *dt, const char *text, const char **why);

#endif
