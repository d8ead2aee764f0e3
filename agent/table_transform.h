/* DMS transformation rules applied to one source table: the files' schema (schema and table renamed, columns
 * renamed, removed, converted and added, in rule-id order) and, per row, the files' values, computed without
 * allocating (a per-writer scratch reused for every row). Object-locator patterns match the source's names (DMS:
 * "schema-name, table-name and column-name refer to objects in the source"); when several name rules match one
 * object, each applies in turn in rule-id order (a convert-lowercase of every table then an add-prefix gives a
 * lowercase name with the prefix). A table no rule changes passes through untouched: its files are exactly those
 * of a task without transformation rules. */
#ifndef LOGTAP_TABLE_TRANSFORM_H
#define LOGTAP_TABLE_TRANSFORM_H

#include "agent/config.h"
#include "agent/error.h"
#include "agent/mapping.h"
#include "agent/record.h"
#include "agent/type_convert.h"

struct lt_table_map;

/* The names a source table's files have (malloc'd; the source's when no rule renames them). */
void lt_mapping_target_names(const struct lt_mapping *m, const char *schema, const char *table, char **out_schema,
                             char **out_table);

/* Compiles the rules of cfg's mapping for one source table. LT_ERR_CONFIG naming the rule when a rule cannot be
 * applied to it (a column it names is missing, a conversion that is not exact, an expression logtap cannot
 * evaluate, two columns or a key column lost...). */
int lt_table_map_build(const struct lt_task_config *cfg, const struct lt_table_schema *src, struct lt_table_map **out,
                       struct lt_error *err);
void lt_table_map_free(struct lt_table_map *m);

/* The files' schema (the source's, unchanged, when the map is an identity). */
const struct lt_table_schema *lt_table_map_schema(const struct lt_table_map *m);
bool lt_table_map_identity(const struct lt_table_map *m);

/* What one writer reuses from row to row. */
struct lt_map_scratch {
    struct lt_value *vals;
    size_t *offs;
    int cap;
    struct lt_text_buf buf;
};
void lt_map_scratch_free(struct lt_map_scratch *s);

/* The row as the files hold it: `in` itself for an identity map, else *out (valid until the scratch's next use). */
const struct lt_row *lt_table_map_row(const struct lt_table_map *m, const struct lt_row *in, struct lt_map_scratch *s,
                                      struct lt_row *out, struct lt_error *err);

/* define-primary-key, for sources: marks the key columns a rule defines for this source table (the others are no
 * longer key). LT_ERR_CONFIG naming the rule when a column is missing. No-op without such a rule. */
int lt_mapping_apply_key(const struct lt_task_config *cfg, struct lt_table_schema *schema, struct lt_error *err);

#endif
