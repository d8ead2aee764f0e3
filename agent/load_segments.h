/* DMS table-settings parallel-load for a table's full load: the conditions of its segments (type ranges), and
 * what a table's selection rules say of its load (load-order). Sources turn the segments into their parts
 * (lt_source_table.part_sql) and the full load writes each segment's files where DMS does.
 *
 * ranges: DMS's segments, each an upper bound of the columns' values in order (lexicographic, like a multi-column
 * index): segment 1 holds the rows below the first boundary, segment k those at or above boundary k-1 and below
 * boundary k, the last one those at or above the last boundary. Values compare as the filters compare them
 * (typed_value.h). DMS leaves rows with a NULL in a range column out of every segment; logtap never drops rows, so
 * it takes only NOT NULL columns (and, as DMS, no floating-point ones). */
#ifndef LOGTAP_LOAD_SEGMENTS_H
#define LOGTAP_LOAD_SEGMENTS_H

#include "agent/config.h"
#include "agent/error.h"
#include "agent/mapping.h"
#include "agent/record.h"
#include "agent/typed_value.h"

/* The WHERE condition of each of the nboundaries + 1 segments of a ranges rule (malloc'd array of malloc'd
 * strings, *n of them). LT_ERR_CONFIG naming the rule when a column is missing, nullable, of a type that cannot
 * bound ranges, or a value is not one of its type. */
int lt_segments_ranges(const struct lt_table_settings *ts, const struct lt_table_schema *schema,
                       enum lt_sql_dialect d, char ***conds, int *n, struct lt_error *err);

/* DMS's load-order of a table: the highest of the include rules that select it (0 when none says). */
int lt_load_order_of(const struct lt_task_config *cfg, const char *schema, const char *table);

#endif
