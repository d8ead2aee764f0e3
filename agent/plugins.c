/* The registry of source and target plug-ins: maps config values to their ops tables. */
#include <stdlib.h>
#include <string.h>

#include "agent/source.h"
#include "agent/target.h"

const struct logtap_source_ops *lt_source_for(const struct lt_source_config *cfg)
{
    if (cfg->engine && strcmp(cfg->engine, "postgres") == 0)
        return &lt_postgres_source;
    if (cfg->engine && strcmp(cfg->engine, "mysql") == 0)
        return &lt_mysql_source;
    return NULL;
}

const struct logtap_source_ops *lt_source_at(int i)
{
    static const struct logtap_source_ops *const sources[] = {&lt_postgres_source, &lt_mysql_source};
    return i >= 0 && i < (int)(sizeof sources / sizeof *sources) ? sources[i] : NULL;
}

const struct logtap_target_ops *lt_target_for(const struct lt_target_config *cfg)
{
    switch (cfg->format) {
    case LT_FORMAT_CSV:
        return cfg->compression == LT_COMPRESS_GZIP ? &lt_csv_gzip_target : &lt_csv_target;
    case LT_FORMAT_PARQUET:
        return &lt_parquet_target;
    }
    return NULL;
}

void lt_table_list_free(struct lt_table_list *list)
{
    for (int i = 0; i < list->n; i++) {
        lt_schema_free(list->tables[i].schema);
        free(list->tables[i].copy_sql);
        lt_source_table_free_parts(&list->tables[i]);
    }
    free(list->tables);
    list->tables = NULL;
    list->n = 0;
}

void lt_source_table_free_parts(struct lt_source_table *t)
{
    for (int i = 0; i < t->nparts && t->part_sql; i++)
        free(t->part_sql[i]);
    free(t->part_sql);
    t->part_sql = NULL;
    t->nparts = 0;
}
