/* The registry of source, target and object-store plug-ins: maps config values to their ops tables. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "agent/object_store.h"
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

const struct logtap_target_ops *lt_target_for_file(const char *path)
{
    static const struct logtap_target_ops *const targets[] = {&lt_csv_target, &lt_csv_gzip_target,
                                                               &lt_parquet_target};
    const struct logtap_target_ops *best = NULL;
    size_t best_len = 0, len = strlen(path);
    for (size_t i = 0; i < sizeof targets / sizeof *targets; i++) {
        size_t n = strlen(targets[i]->extension);
        if (n > best_len && len > n && path[len - n - 1] == '.' && strcmp(path + len - n, targets[i]->extension) == 0) {
            best = targets[i];
            best_len = n;
        }
    }
    return best;
}

bool lt_path_is_uri(const char *path)
{
    const char *p = path;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '+' ||
           *p == '-' || *p == '.')
        p++;
    return p > path && strncmp(p, "://", 3) == 0;
}

const struct logtap_store_ops *lt_store_for(const char *path)
{
    static const struct logtap_store_ops *const stores[] = {&lt_s3_store};
    for (size_t i = 0; i < sizeof stores / sizeof *stores; i++) {
        size_t n = strlen(stores[i]->scheme);
        if (strncmp(path, stores[i]->scheme, n) == 0 && strncmp(path + n, "://", 3) == 0)
            return stores[i];
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
    for (int i = 0; i < t->nparts && t->part_names; i++)
        free(t->part_names[i]);
    free(t->part_names);
    t->part_names = NULL;
    t->part_layout = LT_PARTS_PLAIN;
    t->nparts = 0;
}

int lt_table_refs_add(struct lt_table_refs *refs, const char *schema, const char *table, const char *source_id,
                      struct lt_error *err)
{
    if (refs->n == refs->cap) {
        int cap = refs->cap ? refs->cap * 2 : 16;
        struct lt_table_ref *t = realloc(refs->t, (size_t)cap * sizeof *t);
        if (!t)
            return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        refs->t = t;
        refs->cap = cap;
    }
    struct lt_table_ref *r = &refs->t[refs->n];
    r->schema = strdup(schema);
    r->table = strdup(table);
    snprintf(r->source_id, sizeof r->source_id, "%s", source_id ? source_id : "");
    if (!r->schema || !r->table) {
        free(r->schema);
        free(r->table);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    refs->n++;
    return LT_OK;
}

void lt_table_refs_free(struct lt_table_refs *refs)
{
    for (int i = 0; i < refs->n; i++) {
        free(refs->t[i].schema);
        free(refs->t[i].table);
    }
    free(refs->t);
    memset(refs, 0, sizeof *refs);
}
