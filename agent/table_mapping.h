/* DMS table-mapping selection rules: which source tables a task captures. Patterns use DMS wildcards:
 * % (any run of characters), _ (one character), [_] (a literal underscore), [abc] (a set), [a-d] (a range). */
#ifndef LOGTAP_TABLE_MAPPING_H
#define LOGTAP_TABLE_MAPPING_H

#include <stdbool.h>

#include "agent/config.h"

/* True when pattern matches name entirely. */
bool lt_pattern_match(const char *pattern, const char *name);

/* False (with *why set to a static message) when pattern has an unterminated or empty bracket. */
bool lt_pattern_valid(const char *pattern, char **why);

bool lt_rules_have_include(const struct lt_selection_rule *rules, int nrules);

/* A table is selected when an include rule matches it and no exclude rule does. An "explicit" rule matches
 * names literally. Rules match tables unless their table-type says view (views only) or all. */
bool lt_rules_select(const struct lt_selection_rule *rules, int nrules, const char *schema, const char *table);

/* The same for a view (is_view) or a table. */
bool lt_rules_select_kind(const struct lt_selection_rule *rules, int nrules, const char *schema, const char *table,
                          bool is_view);

/* True when pattern names `name` without a wildcard: no %, each _ taken as itself, each [x] a one-character
 * class (so "order_items" and "order[_]items" name order_items, while "order%" and "ord[ae]rs" match by
 * wildcard). */
bool lt_pattern_names(const char *pattern, const char *name);

/* True when the table is selected and an include (or explicit) rule that matches it names the table without a
 * wildcard in its table-name (the schema-name may be one): the user asked for this table by name, so a table
 * logtap cannot capture is an error rather than something to skip. */
bool lt_rules_name_explicitly(const struct lt_selection_rule *rules, int nrules, const char *schema,
                              const char *table);

#endif
