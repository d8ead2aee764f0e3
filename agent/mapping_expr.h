/* The expressions of DMS add-column rules: the subset of DMS's (SQLite) expression language that has one exact
 * meaning for files, parsed once per table and evaluated per row without allocating (into a reused buffer).
 *
 * Supported: 'text' literals ('' for a quote), whole-number literals, NULL, source columns ($name), the headers
 * $AR_H_OPERATION (INSERT, UPDATE or DELETE; INSERT for full-load rows), $AR_H_COMMIT_TIMESTAMP and $AR_H_TIMESTAMP
 * (the change's commit time, UTC, "YYYY-MM-DD HH:MM:SS.ffffff"; for full-load rows the time of the load's snapshot;
 * PostgreSQL and MySQL give logtap no other time for a change), $AR_M_SOURCE_SCHEMA and $AR_M_SOURCE_TABLE_NAME;
 * the || operator; and SQLite's upper, lower (ASCII letters, as SQLite's built-ins), trim, ltrim, rtrim, replace,
 * substr (characters; constant positions), coalesce, ifnull, and DMS's operation_indicator(d, u, i). A NULL operand
 * gives NULL as in SQLite. In a text context a column must be text or an integer (whose SQLite text is logtap's);
 * a whole expression that is one column copies its value whatever its type. Anything else (arithmetic, CASE,
 * comparisons, date functions, hashes, other headers) is refused with the rule's id and name. */
#ifndef LOGTAP_MAPPING_EXPR_H
#define LOGTAP_MAPPING_EXPR_H

#include "agent/error.h"
#include "agent/mapping.h"
#include "agent/record.h"
#include "agent/type_convert.h"

struct lt_expr;

/* What a whole expression is, for checking it against the added column's data type. */
enum lt_expr_shape {
    LT_SHAPE_TEXT,       /* any text-valued expression */
    LT_SHAPE_NULL,       /* NULL */
    LT_SHAPE_LITERAL,    /* one literal: its text in lt_expr_literal */
    LT_SHAPE_COLUMN,     /* one source column: lt_expr_column */
    LT_SHAPE_TIME,       /* a commit-time header */
};

/* Parses and binds text to the source table's columns. */
int lt_expr_compile(const char *text, const struct lt_table_schema *src, const struct lt_rule_ref *ref,
                    struct lt_expr **out, struct lt_error *err);
void lt_expr_free(struct lt_expr *e);

enum lt_expr_shape lt_expr_shape_of(const struct lt_expr *e);
const char *lt_expr_literal(const struct lt_expr *e);
int lt_expr_column(const struct lt_expr *e);

/* Evaluates for one row into buf; *state NULL, present (text at *off, *len in buf) or unchanged (a source column
 * it reads was not sent). `fraction` is the number of fraction digits of commit times (6 unless the column's
 * datetime precision says less). */
void lt_expr_eval(const struct lt_expr *e, const struct lt_row *row, int fraction, struct lt_text_buf *buf,
                  uint8_t *state, size_t *off, size_t *len);

#endif
