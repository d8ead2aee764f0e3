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
 * names literally. */
bool lt_rules_select(const struct lt_selection_rule *rules, int nrules, const char *schema, const char *table);

#endif
