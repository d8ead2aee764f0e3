/* Every DMS table-mapping rule type, rule action and rule option, and what logtap does with it: implemented with
 * DMS's meaning, implemented for some forms and refused for the others, or refused. The rule parser
 * (mapping_rules.c) refuses from this table, and the README's "Coming from DMS" rules table is checked against it
 * by a unit test, so the two cannot drift. */
#ifndef LOGTAP_DMS_RULES_H
#define LOGTAP_DMS_RULES_H

#include <stdbool.h>

#include "agent/dms_settings.h"

struct lt_dms_rule {
    const char *type;     /* rule-type: "selection", "transformation", "table-settings", ... */
    const char *what;     /* the rule-action, or an option of the rule ("filters", "parallel-load"...); NULL for a
                           * rule type refused whole */
    enum lt_dms_status status; /* LT_DMS_IMPLEMENTED, LT_DMS_PARTIAL or LT_DMS_REFUSED */
    const char *why;      /* refused: why (the config error says it) */
};

/* The table, ending with a {NULL} entry. */
extern const struct lt_dms_rule lt_dms_rules[];

/* The entry of a rule type and action/option, NULL when DMS has none such. With what NULL: the entry of a rule
 * type refused whole, if any. */
const struct lt_dms_rule *lt_dms_rule_find(const char *type, const char *what);

/* Whether DMS has this rule type at all. */
bool lt_dms_rule_type_known(const char *type);

#endif
