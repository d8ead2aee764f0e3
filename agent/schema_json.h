/* A file's columns as JSON, as the manifest records them for every file: the table's schema plus which extra
 * columns the file has (Op, the commit-time column, _logtap_unchanged; _logtap_pos is always there). Readers (the
 * merge) use it to find each column of any file, whatever the table's schema is now. */
#ifndef LOGTAP_SCHEMA_JSON_H
#define LOGTAP_SCHEMA_JSON_H

#include <stdbool.h>

#include "agent/config.h"
#include "agent/error.h"
#include "agent/record.h"

struct lt_file_columns {
    bool op;
    char *ts_column;     /* NULL when absent */
    bool unchanged;
    const char *cdc_ops; /* CDC files: NULL when they hold every change (I, U, D); else which ones (CdcInsertsOnly:
                          * "I", CdcInsertsAndUpdates: "IU"; a static string, "?" for one not known) */
};

/* The cdc_ops of a config's setting (NULL for every change). */
const char *lt_cdc_ops_letters(enum lt_cdc_ops ops);

/* Returns a malloc'd JSON text: {"schema","table","columns":[{"name","type","precision","scale","key",
 * "nullable","source_type"}...],"op":bool,"ts_column":..,"unchanged":bool[,"cdc_ops":"I"|"IU"]}, or NULL when out
 * of memory. */
char *lt_schema_to_json(const struct lt_table_schema *schema, const struct lt_file_columns *extra);

/* Parses what lt_schema_to_json wrote. */
int lt_schema_from_json(const char *json, struct lt_table_schema **schema, struct lt_file_columns *extra,
                        struct lt_error *err);
void lt_file_columns_free(struct lt_file_columns *extra);

/* LT_ERR_CONFIG when a table column has the name of a column logtap adds to its files (Op, the commit-time
 * column, _logtap_pos, _logtap_unchanged): the file would have two columns of one name. A name that differs only
 * in case is allowed (case-insensitive readers such as Athena see them as one: the message of *warning says so,
 * when warning is not NULL). */
int lt_file_columns_check(const struct lt_table_schema *schema, const struct lt_file_columns *extra,
                          char warning[256], struct lt_error *err);

#endif
