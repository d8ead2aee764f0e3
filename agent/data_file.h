/* Reading one data file logtap wrote (load, CDC or snapshot; CSV or Parquet) as change rows in the columns of a
 * given schema: columns are matched by name, a column the file lacks is NULL (a column added later), a column the
 * schema lacks is skipped (a column dropped later), and _logtap_unchanged (or, in a CSV file written with
 * UseCsvNoSupValue, an unquoted CsvNoSupValue) becomes the UNCHANGED state. A file without _logtap_pos
 * (target.LogtapColumns false) gives rows with an empty pos: their order is the file's. */
#ifndef LOGTAP_DATA_FILE_H
#define LOGTAP_DATA_FILE_H

#include "agent/config.h"
#include "agent/error.h"
#include "agent/record.h"
#include "agent/schema_json.h"

struct lt_data_file;

/* file_schema_json: the manifest's record of the file's columns; out_schema: the columns rows are wanted in. */
int lt_data_file_open(const char *path, const char *file_schema_json, const struct lt_table_schema *out_schema,
                      const struct lt_target_config *cfg, struct lt_data_file **out, struct lt_error *err);
/* Next row: 1 with *row filled (op 'I' when the file has no Op column; commit_ts_us 0 without a time column),
 * 0 at the end, -1 on error. Row data is valid until the next call. */
int lt_data_file_next(struct lt_data_file *f, struct lt_row *row, struct lt_error *err);
void lt_data_file_close(struct lt_data_file *f);

#endif
