/* The table of DMS table-mapping rules (see dms_rules.h). Sources: the DMS user guide's "Selection rules and
 * actions", "Using source filters", "Transformation rules and actions", "Using transformation rule expressions"
 * and "Table and collection settings rules and operations". */
#include "agent/dms_rules.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

const struct lt_dms_rule lt_dms_rules[] = {
    {"selection", "include", LT_DMS_IMPLEMENTED, NULL},
    {"selection", "exclude", LT_DMS_IMPLEMENTED, NULL},
    {"selection", "explicit", LT_DMS_IMPLEMENTED, NULL},
    {"selection", "filters", LT_DMS_IMPLEMENTED, NULL},
    {"selection", "table-type", LT_DMS_PARTIAL, NULL},
    {"selection", "load-order", LT_DMS_IMPLEMENTED, NULL},
    {"transformation", "rename", LT_DMS_PARTIAL, NULL},
    {"transformation", "remove-column", LT_DMS_IMPLEMENTED, NULL},
    {"transformation", "add-column", LT_DMS_PARTIAL, NULL},
    {"transformation", "convert-lowercase", LT_DMS_IMPLEMENTED, NULL},
    {"transformation", "convert-uppercase", LT_DMS_IMPLEMENTED, NULL},
    {"transformation", "add-prefix", LT_DMS_IMPLEMENTED, NULL},
    {"transformation", "remove-prefix", LT_DMS_IMPLEMENTED, NULL},
    {"transformation", "replace-prefix", LT_DMS_IMPLEMENTED, NULL},
    {"transformation", "add-suffix", LT_DMS_IMPLEMENTED, NULL},
    {"transformation", "remove-suffix", LT_DMS_IMPLEMENTED, NULL},
    {"transformation", "replace-suffix", LT_DMS_IMPLEMENTED, NULL},
    {"transformation", "change-data-type", LT_DMS_PARTIAL, NULL},
    {"transformation", "define-primary-key", LT_DMS_PARTIAL, NULL},
    {"transformation", "add-before-image-columns", LT_DMS_REFUSED,
     "before-image columns are for DMS's streaming targets (Kinesis, Kafka); logtap writes no before images"},
    {"transformation", "data-masking-digits-mask", LT_DMS_REFUSED, "logtap does not mask data"},
    {"transformation", "data-masking-digits-randomize", LT_DMS_REFUSED, "logtap does not mask data"},
    {"transformation", "data-masking-hash-mask", LT_DMS_REFUSED, "logtap does not mask data"},
    {"table-settings", "parallel-load", LT_DMS_PARTIAL, NULL},
    {"table-settings", "lob-settings", LT_DMS_REFUSED,
     "logtap has no LOB modes: every LOB value is written whole, as DMS's unlimited mode would"},
    {"post-processing", NULL, LT_DMS_REFUSED, "post-processing rules tag S3 objects; logtap writes no object tags"},
    {NULL, NULL, LT_DMS_REFUSED, NULL},
};

const struct lt_dms_rule *lt_dms_rule_find(const char *type, const char *what)
{
    for (const struct lt_dms_rule *r = lt_dms_rules; r->type; r++) {
        if (strcmp(r->type, type) != 0)
            continue;
        if ((!what && !r->what) || (what && r->what && strcmp(r->what, what) == 0))
            return r;
    }
    return NULL;
}

bool lt_dms_rule_type_known(const char *type)
{
    for (const struct lt_dms_rule *r = lt_dms_rules; r->type; r++)
        if (strcmp(r->type, type) == 0)
            return true;
    return false;
}
