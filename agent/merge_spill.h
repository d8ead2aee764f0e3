/* Spill records of the merge (agent/merge_engine.c): a row of a partition file in a compact binary encoding that
 * is read back without any parsing of CSV text, one buffered write and one read per row.
 *
 * Record: u32 body length | body; body: u8 kind | u8 op | u8 pos length | pos | varint ncols |
 * ncols x (u8 state | varint length | bytes). Values of any state may carry bytes (the engine's internal states). */
#ifndef LOGTAP_MERGE_SPILL_H
#define LOGTAP_MERGE_SPILL_H

#include <stdint.h>
#include <stdio.h>

#include "agent/error.h"
#include "agent/record.h"

struct lt_spill_codec {
    char *buf;                 /* the last record encoded or read; values of a read row point into it */
    size_t cap;
    struct lt_value *vals;     /* ncols values of the last row read */
    int ncols;
};

/* Sets up a codec for rows of ncols columns. */
int lt_spill_codec_init(struct lt_spill_codec *c, int ncols, struct lt_error *err);
void lt_spill_codec_free(struct lt_spill_codec *c);

/* The encoded size of a row (header included). */
uint64_t lt_spill_row_size(const struct lt_row *row, int ncols);

/* Appends one row of the given kind to f. */
int lt_spill_write(struct lt_spill_codec *c, FILE *f, int kind, const struct lt_row *row, struct lt_error *err);

/* Reads the next row of f into *row (values valid until the next read); returns 1, 0 at the end, -1 on error. */
int lt_spill_read(struct lt_spill_codec *c, FILE *f, int *kind, struct lt_row *row, struct lt_error *err);

/* Decodes one record body of len bytes (for tests and readers of a mapped file); returns 1 or -1. */
int lt_spill_decode(struct lt_spill_codec *c, const char *body, size_t len, int *kind, struct lt_row *row,
                    struct lt_error *err);

#endif
