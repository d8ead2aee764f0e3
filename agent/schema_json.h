/* A table schema as JSON, as the manifest records it for every file (so a reader knows each file's columns). */
#ifndef LOGTAP_SCHEMA_JSON_H
#define LOGTAP_SCHEMA_JSON_H

#include "agent/record.h"

/* Returns a malloc'd JSON text: {"schema":..,"table":..,"columns":[{"name","type","precision","scale","key",
 * "nullable","source_type"}...]}, or NULL when out of memory. */
char *lt_schema_to_json(const struct lt_table_schema *schema);

#endif
