/* Values between logtap's canonical text form (agent/record.h) and Parquet physical values.
 *
 * Mapping (writer):          canonical type      physical (logical / converted)
 *   bool                     t/f/1/0/true/false  BOOLEAN
 *   int16 / int32 / int64    digits              INT32 (INTEGER 16|32 signed) / INT64 (INTEGER 64 signed)
 *   float32 / float64        incl NaN, ±Infinity FLOAT / DOUBLE
 *   decimal(p,s) p<=9/18/38  digits              INT32 / INT64 / FIXED_LEN_BYTE_ARRAY(minimal) (DECIMAL)
 *   decimal(0,_) or p>38     digits              BYTE_ARRAY (STRING), kept exact
 *   text                     bytes               BYTE_ARRAY (STRING)
 *   bytes                    \x hex              BYTE_ARRAY
 *   date                     Y-M-D[ BC], ±inf    INT32 (DATE), ±infinity as INT32 max/min
 *   time                     [-]H:M:S[.f]        INT64 (TIME micros, not UTC-adjusted)
 *   timestamp                Y-M-D H:M:S[.f]     INT64 (TIMESTAMP micros|millis, not UTC-adjusted)
 *   timestamptz              ... ±HH[:MM[:SS]]   INT64 (TIMESTAMP micros|millis, UTC-adjusted)
 *   json                     bytes               BYTE_ARRAY (JSON)
 *   uuid                     8-4-4-4-12 hex      FIXED_LEN_BYTE_ARRAY(16) (UUID)
 * The reader maps any flat column of another writer back to the nearest canonical type and prints the canonical
 * text (PostgreSQL's output forms). */
#ifndef LOGTAP_PARQUET_VALUES_H
#define LOGTAP_PARQUET_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/record.h"
#include "targets/parquet/byte_buffer.h"
#include "targets/parquet/parquet_meta.h"

struct pq_column_type {
    /* Parquet side */
    int physical;           /* enum pq_physical */
    int type_length;        /* FIXED_LEN_BYTE_ARRAY only */
    struct pq_logical logical;
    int converted;          /* enum pq_converted, or -1 */
    /* canonical side */
    enum lt_type lt;
    int precision, scale;   /* decimals */
    int unit;               /* enum pq_time_unit for TIME / TIMESTAMP */
    bool is_unsigned;       /* unsigned INTEGER annotations of other writers */
    bool decimal_as_text;   /* numeric without usable precision, stored as STRING */
};

/* The Parquet column type for a canonical column. */
void pq_type_for_column(enum lt_type lt, int precision, int scale, bool timestamp_millis,
                        struct pq_column_type *out);
/* The canonical type for a Parquet leaf column of any writer; returns 0, or -1 with *why for unsupported ones. */
int pq_type_from_schema(const struct pq_schema_element *se, struct pq_column_type *out, const char **why);

/* Bytes of the smallest two's-complement integer that holds every decimal of this precision (1..38). */
int pq_decimal_bytes(int precision);

/* One parsed value: its PLAIN bytes (fixed-width values little-endian; FIXED_LEN_BYTE_ARRAY and BYTE_ARRAY
 * contents as they are) plus the numeric value for statistics. */
struct pq_parsed {
    uint8_t fixed[16];
    const uint8_t *ext;     /* BYTE_ARRAY contents in the caller's text, when in_ext */
    size_t scratch_off;     /* contents in the scratch buffer, when in_scratch */
    uint32_t len;
    bool in_ext, in_scratch;
    bool b;
    int64_t i;
    double d;
    __int128 dec;
};

/* Parses canonical text into a physical value. Returns 0, or -1 when the text does not parse or does not fit. */
int pq_parse_value(const struct pq_column_type *t, const char *s, size_t len, struct pq_parsed *out,
                   struct byte_buffer *scratch);

/* Appends the canonical text of one PLAIN-encoded value (for BOOLEAN: one byte 0/1; for BYTE_ARRAY: contents
 * without the length prefix). Returns 0, or -1 with *why. */
int pq_format_value(const struct pq_column_type *t, const uint8_t *v, uint32_t len, struct byte_buffer *out,
                    const char **why);

#endif
