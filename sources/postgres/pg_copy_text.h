/* Parsing one row of PostgreSQL's COPY TO text format:
 *
 *   field TAB field TAB ... field LF
 *   field = \N (NULL) | characters with backslash escapes: \\ \b \f \n \r \t \v \ooo (octal) \xhh (hex),
 *           any other escaped character stands for itself.
 *
 * Fields are unescaped in place (an unescaped field is never longer than its escaped form), so a row costs no
 * allocation: values point into the row buffer. */
#ifndef LOGTAP_PG_COPY_TEXT_H
#define LOGTAP_PG_COPY_TEXT_H

#include <stddef.h>

#include "agent/error.h"
#include "agent/record.h"

/* Splits and unescapes buf[0..len) into exactly nvals values. A row with another field count is an error. */
int lt_pg_copy_parse_row(char *buf, size_t len, struct lt_value *vals, int nvals, struct lt_error *err);

#endif
