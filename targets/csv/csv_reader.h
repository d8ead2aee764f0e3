/* Reading back the CSV files logtap writes (for the merge): RFC 4180 records with the task's delimiters, where an
 * unquoted field equal to CsvNullValue is NULL and a quoted one never is. libcsv cannot report whether a field was
 * quoted, which is exactly what tells NULL from text here, so this small reader does the parsing itself.
 * Streams the file through a fixed buffer; a record may be any size (its bytes are kept in a growable buffer). */
#ifndef LOGTAP_CSV_READER_H
#define LOGTAP_CSV_READER_H

#include <stdbool.h>

#include "agent/error.h"
#include "agent/record.h"
#include "agent/target.h"

struct lt_csv_reader;

int lt_csv_reader_open(const char *path, const char *delimiter, const char *row_delimiter, const char *null_value,
                       struct lt_csv_reader **out, struct lt_error *err);
/* Next record: returns 1 with *vals and *nvals (valid until the next call), 0 at the end, -1 on error. */
int lt_csv_reader_next(struct lt_csv_reader *r, const struct lt_value **vals, int *nvals, struct lt_error *err);
void lt_csv_reader_close(struct lt_csv_reader *r);
/* An unquoted field equal to nosup (a file written with UseCsvNoSupValue: a column the source did not send) reads
 * as LT_VALUE_UNCHANGED; a quoted one never does. */
void lt_csv_reader_set_nosup(struct lt_csv_reader *r, const char *nosup);

/* The CSV target's reader side (agent/target.h): the task's delimiters and null value, the header record skipped
 * when the files have one (AddColumnName), every record checked to have the manifest's number of fields. */
int lt_csv_target_reader_open(struct lt_target_reader **r, const char *path, const struct lt_target_config *cfg,
                              int ncols, const char *nosup, struct lt_error *err);
int lt_csv_target_reader_next(struct lt_target_reader *r, const struct lt_value **vals, struct lt_error *err);
void lt_csv_target_reader_close(struct lt_target_reader *r);

#endif
