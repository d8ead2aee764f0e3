/* The task's table mapping beyond which tables are selected (DMS table-mapping JSON, parsed by mapping_rules.c):
 * source filters of selection rules, transformation rules and table-settings rules, as plain structs. The config
 * owns one struct lt_mapping; copies of a config (tables joining a running task, reloads) share it, so a table is
 * filtered, renamed and segmented the same way whichever path loads it. Every rule keeps its rule-id and rule-name,
 * so that an error about it can name it. */
#ifndef LOGTAP_MAPPING_H
#define LOGTAP_MAPPING_H

#include <stdbool.h>
#include <stdint.h>

/* How a rule is named in messages: "rule 3 (\"name\")". */
struct lt_rule_ref {
    char *id;            /* rule-id as given */
    char *name;          /* rule-name as given */
    int64_t num;         /* rule-id as a number: rules apply in this order */
};

/* ---- source filters (selection rules) ---- */

enum lt_filter_op {
    LT_FOP_EQ,
    LT_FOP_NOTEQ,
    LT_FOP_LTE,          /* also DMS's "ste" */
    LT_FOP_GTE,
    LT_FOP_BETWEEN,      /* start-value <= x <= end-value */
    LT_FOP_NOTBETWEEN,
    LT_FOP_NULL,
    LT_FOP_NOTNULL,
};

struct lt_filter_cond {
    enum lt_filter_op op;
    char *value;         /* value, or start-value for (not)between; NULL for (not)null */
    char *end_value;     /* end-value for (not)between */
};

/* One DMS filter: conditions on one column, ORed. */
struct lt_filter_spec {
    char *column;
    int nconds;
    struct lt_filter_cond *conds;
};

/* The filters of one selection rule, ANDed; DMS allows them only on an exact table name. */
struct lt_table_filter {
    struct lt_rule_ref ref;
    char *schema, *table;
    int nfilters;
    struct lt_filter_spec *filters;
};

/* ---- transformation rules ---- */

enum lt_tr_action {
    LT_TR_RENAME,
    LT_TR_REMOVE_COLUMN,
    LT_TR_ADD_COLUMN,
    LT_TR_CONVERT_LOWERCASE,
    LT_TR_CONVERT_UPPERCASE,
    LT_TR_ADD_PREFIX,
    LT_TR_REMOVE_PREFIX,
    LT_TR_REPLACE_PREFIX,
    LT_TR_ADD_SUFFIX,
    LT_TR_REMOVE_SUFFIX,
    LT_TR_REPLACE_SUFFIX,
    LT_TR_CHANGE_DATA_TYPE,
    LT_TR_DEFINE_PRIMARY_KEY,
};

enum lt_tr_target { LT_TRT_SCHEMA, LT_TRT_TABLE, LT_TRT_COLUMN };

/* DMS's data types (the "data-type" object of add-column and change-data-type). */
enum lt_dms_type {
    LT_DT_STRING, LT_DT_WSTRING, LT_DT_CLOB, LT_DT_NCLOB,
    LT_DT_BOOLEAN, LT_DT_BYTES, LT_DT_BLOB,
    LT_DT_DATE, LT_DT_TIME, LT_DT_DATETIME,
    LT_DT_INT1, LT_DT_INT2, LT_DT_INT4, LT_DT_INT8,
    LT_DT_NUMERIC, LT_DT_REAL4, LT_DT_REAL8,
    LT_DT_UINT1, LT_DT_UINT2, LT_DT_UINT4, LT_DT_UINT8,
};

struct lt_data_type {
    enum lt_dms_type type;
    int length;          /* string types: declared length, 0 when not given */
    int precision;       /* numeric: digits; datetime/time: fraction digits (-1: not given) */
    int scale;           /* numeric */
};

struct lt_transform_rule {
    struct lt_rule_ref ref;
    enum lt_tr_action action;
    enum lt_tr_target target;
    char *schema_pattern;  /* object-locator patterns, matched against source names */
    char *table_pattern;   /* NULL for schema rules */
    char *column_pattern;  /* column rules (NULL for add-column: it names no source column) */
    char *value;           /* new name, prefix, suffix, or the added column's name */
    char *old_value;       /* replace-prefix / replace-suffix */
    char *expression;      /* add-column */
    bool has_data_type;
    struct lt_data_type data_type;
    int npk;               /* define-primary-key: its columns (source names) */
    char **pk_columns;
};

/* ---- table-settings rules ---- */

enum lt_parallel_type { LT_PL_NONE, LT_PL_RANGES, LT_PL_PARTITIONS_AUTO, LT_PL_PARTITIONS_LIST };

struct lt_table_settings {
    struct lt_rule_ref ref;
    char *schema, *table;  /* exact names (DMS refuses wildcards here) */
    enum lt_parallel_type type;
    int ncolumns;          /* ranges */
    char **columns;
    int nboundaries;
    char ***boundaries;    /* nboundaries arrays of ncolumns values */
    int nsegment_names;    /* ranges: sub-folder names, one per segment (nboundaries + 1), or none */
    char **segment_names;
    int npartitions;       /* partitions-list */
    char **partitions;
};

struct lt_mapping {
    int nfilters;
    struct lt_table_filter *filters;
    int ntransforms;           /* sorted by rule-id */
    struct lt_transform_rule *transforms;
    int nsettings;
    struct lt_table_settings *settings;
    bool wants_views;          /* a selection rule's table-type is view or all */
};

/* The filter of a source table, or NULL. */
const struct lt_table_filter *lt_mapping_filter(const struct lt_mapping *m, const char *schema, const char *table);

/* The table-settings rule of a source table, or NULL. */
const struct lt_table_settings *lt_mapping_settings(const struct lt_mapping *m, const char *schema,
                                                    const char *table);

/* The define-primary-key rule for a source table (the last by rule-id when several match), or NULL. */
const struct lt_transform_rule *lt_mapping_primary_key(const struct lt_mapping *m, const char *schema,
                                                       const char *table);

/* Whether any transformation rule matches the source table (its files then differ from the source's). */
bool lt_mapping_transforms_table(const struct lt_mapping *m, const char *schema, const char *table);

void lt_mapping_free(struct lt_mapping *m);

/* DMS's name of an action, a filter operator and a data type. */
const char *lt_tr_action_name(enum lt_tr_action a);
const char *lt_filter_op_name(enum lt_filter_op op);
const char *lt_dms_type_name(enum lt_dms_type t);

#endif
