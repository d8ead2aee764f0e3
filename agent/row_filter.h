/* A DMS source filter compiled for one table's columns: evaluated on row images of the change stream, and written
 * as the SQL condition the full load reads with, the two comparing values the same way (typed_value.h).
 *
 * DMS's meaning: the conditions of one filter (one column) are ORed, the filters of a rule ANDed; a NULL value
 * satisfies only the null operator (notnull, and every comparison, are false for it, as in SQL). between and
 * notbetween include their bounds in the range. */
#ifndef LOGTAP_ROW_FILTER_H
#define LOGTAP_ROW_FILTER_H

#include "agent/error.h"
#include "agent/mapping.h"
#include "agent/record.h"
#include "agent/typed_value.h"

struct lt_row_filter;

/* Compiles spec for schema: every filter's column must exist and have a comparable type for the operators used,
 * every value must be a value of that type. LT_ERR_CONFIG naming the rule otherwise. */
int lt_row_filter_compile(const struct lt_table_filter *spec, const struct lt_table_schema *schema,
                          struct lt_row_filter **out, struct lt_error *err);
void lt_row_filter_free(struct lt_row_filter *f);

enum lt_filter_result {
    LT_FILTER_OUT = 0,      /* the row is not selected */
    LT_FILTER_IN = 1,       /* it is */
    LT_FILTER_UNKNOWN = 2,  /* a value it depends on is not in the image (not sent by the source) */
};

/* Evaluates the filter on a row image (vals in schema order). A value marked unchanged is taken from `fallback`
 * (another image of the same row, may be NULL); when it is unchanged there too, it is unknown. */
enum lt_filter_result lt_row_filter_eval(const struct lt_row_filter *f, const struct lt_value *vals,
                                         const struct lt_value *fallback);

/* Whether column i is one the filter reads. */
bool lt_row_filter_reads(const struct lt_row_filter *f, int col);

/* The rule the filter comes from. */
const struct lt_rule_ref *lt_row_filter_rule(const struct lt_row_filter *f);

/* The SQL condition, for a WHERE clause (malloc'd, parenthesized). */
int lt_row_filter_sql(const struct lt_row_filter *f, enum lt_sql_dialect d, char **out, struct lt_error *err);

/* For a table of a source: the compiled filter of its rule in cfg's mapping, or *out NULL when it has none. */
struct lt_task_config;
int lt_row_filter_for(const struct lt_task_config *cfg, const struct lt_table_schema *schema,
                      struct lt_row_filter **out, struct lt_error *err);

/* The full-load condition of a source table: its filter's SQL, or *out NULL when it has none. */
int lt_row_filter_where(const struct lt_task_config *cfg, const struct lt_table_schema *schema,
                        enum lt_sql_dialect d, char **out, struct lt_error *err);

#endif

/* What the change stream writes for a change of a filtered table: the filter's selection of the table, replayed
 * from the files, stays the filtered table. An INSERT (or a DELETE) is kept when the new (the old) row is selected;
 * an UPDATE of a row that stays selected stays an UPDATE, one that enters the selection is written as an INSERT of
 * the new row, one that leaves it as a DELETE (of the old row when the source sent it whole, else of the new one:
 * the key is the same), one that stays out is dropped. When the old row's filter columns are not in the change
 * (PostgreSQL sends them only with REPLICA IDENTITY FULL, or when they are key columns), an UPDATE whose new row is
 * selected stays an UPDATE, and one whose new row is not becomes a DELETE: the merge applies an UPDATE of a row it
 * does not hold as an INSERT and a DELETE of one it does not hold as nothing, so the replay is the same. A DELETE
 * whose old row cannot be judged is kept. */
enum lt_filter_write {
    LT_FW_DROP,
    LT_FW_AS_IS,
    LT_FW_INSERT,      /* the new row, as I */
    LT_FW_DELETE_OLD,  /* the old row, as D */
    LT_FW_DELETE_NEW,  /* the new row, as D */
};

/* op 'I', 'U' or 'D'; vals: the row of the change (new row for I/U, old row for D); old: the old row of a U when
 * the source sent one (values it did not send marked unchanged), else NULL. */
enum lt_filter_write lt_row_filter_change(const struct lt_row_filter *f, const struct lt_table_schema *schema,
                                          char op, const struct lt_value *vals, const struct lt_value *old);
