/* The merge of one table: a base (the previous snapshot or the full load) plus its changes in position order,
 * giving the table's rows as of the last change (README, "Merge"), in a fixed memory budget.
 *
 * Rules: I and U upsert the row of their key, D removes it, a column marked unchanged keeps the previous value
 * (from an earlier change or the base row), TRUNCATE empties the table at its position. A key change arrives as
 * D of the old key then I of the new key in the same transaction; an unchanged column of that I takes the old
 * row's value. Tables without a key use the whole row as identity, with multiset semantics.
 *
 * Memory: when the changes do not fit the budget, they are partitioned by a hash of the key into spill files (one
 * level, sized from the manifest's counts); the base is read once, its rows that no change touches written at once
 * (a Bloom filter over the change keys), the others into their partition; each partition is then merged in memory.
 * The same rows come out, in another order. A row bigger than a quarter of the budget fails the merge. */
#ifndef LOGTAP_MERGE_ENGINE_H
#define LOGTAP_MERGE_ENGINE_H

#include <stdint.h>

#include "agent/error.h"
#include "agent/record.h"

/* A stream of rows: returns 1 with *row, 0 at the end, -1 on error. */
struct lt_row_stream {
    int (*next)(void *ctx, struct lt_row *row, struct lt_error *err);
    void *ctx;
};

/* Where merged rows go. */
typedef int (*lt_merge_emit_fn)(void *ctx, const struct lt_row *row, struct lt_error *err);

struct lt_merge_input {
    const struct lt_table_schema *schema;  /* the output columns; is_key marks the key */
    struct lt_row_stream base;             /* rows of the base, any order */
    struct lt_row_stream changes;          /* I/U/D rows in position order */
    const char *const *truncates;          /* TRUNCATE positions, ascending */
    int ntruncates;
    uint64_t memory_limit;                 /* bytes */
    const char *spill_dir;                 /* where partitions go when needed */
    int64_t changes_rows, changes_bytes;   /* the manifest's counts of the changes (0 when unknown): partitions are
                                            * sized from them up front */
};

struct lt_merge_stats {
    int64_t base_rows, changes, rows_out;
    int partitions;
    int64_t unresolved;                    /* unchanged columns with no earlier value (written as NULL) */
};

int lt_merge_table(const struct lt_merge_input *in, lt_merge_emit_fn emit, void *ctx, struct lt_merge_stats *stats,
                   struct lt_error *err);

#endif
