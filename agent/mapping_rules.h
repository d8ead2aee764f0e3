/* Parsing DMS table-mapping rules (table_mappings.rules) into the config's selection rules and its struct
 * lt_mapping. Each rule is either taken with DMS's meaning or refused (LT_ERR_CONFIG, exit 2) with a message naming
 * its rule-id and rule-name and saying why; agent/dms_rules.c lists which is which. */
#ifndef LOGTAP_MAPPING_RULES_H
#define LOGTAP_MAPPING_RULES_H

#include "agent/config.h"
#include "agent/error.h"
#include "agent/mapping.h"

struct cJSON;

/* Parses the "table_mappings" object of a task config into cfg->rules, cfg->nrules and cfg->mapping (NULL when
 * there is nothing beyond selection). cfg->migration_type and cfg->source.engine are already set. */
int lt_mapping_parse(const struct cJSON *table_mappings, struct lt_task_config *cfg, struct lt_error *err);

/* "rule 3 (\"name\")" for messages. */
void lt_rule_ref_format(const struct lt_rule_ref *r, char *out, size_t n);

/* Fails with LT_ERR_CONFIG: "table mapping rule 3 (\"name\"): <message>". */
int lt_rule_fail(struct lt_error *err, const struct lt_rule_ref *r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
