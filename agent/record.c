/* Table schemas of the change record: allocation, copying, comparison; and the commit-time text form. */
#include "agent/record.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const type_names[] = {
    [LT_TYPE_BOOL] = "bool",           [LT_TYPE_INT16] = "int16",   [LT_TYPE_INT32] = "int32",
    [LT_TYPE_INT64] = "int64",         [LT_TYPE_FLOAT32] = "float32", [LT_TYPE_FLOAT64] = "float64",
    [LT_TYPE_DECIMAL] = "decimal",     [LT_TYPE_TEXT] = "text",     [LT_TYPE_BYTES] = "bytes",
    [LT_TYPE_DATE] = "date",           [LT_TYPE_TIME] = "time",     [LT_TYPE_TIMESTAMP] = "timestamp",
    [LT_TYPE_TIMESTAMPTZ] = "timestamptz", [LT_TYPE_JSON] = "json", [LT_TYPE_UUID] = "uuid",
};

const char *lt_type_name(enum lt_type type)
{
    if ((unsigned)type < sizeof type_names / sizeof type_names[0] && type_names[type])
        return type_names[type];
    return "unknown";
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

struct lt_table_schema *lt_schema_new(const char *schema_name, const char *table_name, int ncols)
{
    struct lt_table_schema *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->schema_name = strdup(schema_name);
    s->table_name = strdup(table_name);
    s->ncols = ncols;
    s->cols = calloc(ncols > 0 ? (size_t)ncols : 1, sizeof *s->cols);
    if (!s->schema_name || !s->table_name || !s->cols) {
        lt_schema_free(s);
        return NULL;
    }
    return s;
}

void lt_schema_set_column(struct lt_table_schema *schema, int i, const char *name, enum lt_type type,
                          int precision, int scale, bool is_key, bool nullable, const char *source_type)
{
    struct lt_column *c = &schema->cols[i];
    free(c->name);
    free(c->source_type);
    c->name = dup_or_null(name);
    c->type = type;
    c->precision = precision;
    c->scale = scale;
    c->is_key = is_key;
    c->nullable = nullable;
    c->source_type = dup_or_null(source_type);
}

struct lt_table_schema *lt_schema_copy(const struct lt_table_schema *src)
{
    struct lt_table_schema *s = lt_schema_new(src->schema_name, src->table_name, src->ncols);
    if (!s)
        return NULL;
    for (int i = 0; i < src->ncols; i++) {
        const struct lt_column *c = &src->cols[i];
        lt_schema_set_column(s, i, c->name, c->type, c->precision, c->scale, c->is_key, c->nullable,
                             c->source_type);
        if (c->origin)
            lt_column_set_origin(&s->cols[i], c->origin, c->converted);
    }
    if (src->origin_schema)
        lt_schema_set_origin(s, src->origin_schema, src->origin_table);
    return s;
}

void lt_schema_set_origin(struct lt_table_schema *schema, const char *origin_schema, const char *origin_table)
{
    free(schema->origin_schema);
    free(schema->origin_table);
    schema->origin_schema = dup_or_null(origin_schema);
    schema->origin_table = dup_or_null(origin_table);
}

void lt_column_set_origin(struct lt_column *c, const char *origin, bool converted)
{
    free(c->origin);
    c->origin = dup_or_null(origin);
    c->converted = converted;
}

void lt_schema_free(struct lt_table_schema *schema)
{
    if (!schema)
        return;
    for (int i = 0; schema->cols && i < schema->ncols; i++) {
        free(schema->cols[i].name);
        free(schema->cols[i].source_type);
        free(schema->cols[i].origin);
    }
    free(schema->cols);
    free(schema->origin_schema);
    free(schema->origin_table);
    free(schema->schema_name);
    free(schema->table_name);
    free(schema);
}

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

bool lt_schema_equal(const struct lt_table_schema *a, const struct lt_table_schema *b)
{
    if (a->ncols != b->ncols || !str_eq(a->schema_name, b->schema_name) || !str_eq(a->table_name, b->table_name) ||
        !str_eq(a->origin_schema, b->origin_schema) || !str_eq(a->origin_table, b->origin_table))
        return false;
    for (int i = 0; i < a->ncols; i++) {
        const struct lt_column *x = &a->cols[i], *y = &b->cols[i];
        if (!str_eq(x->name, y->name) || x->type != y->type || x->precision != y->precision ||
            x->scale != y->scale || x->is_key != y->is_key || !str_eq(x->source_type, y->source_type) ||
            !str_eq(x->origin, y->origin) || x->converted != y->converted)
            return false;
    }
    return true;
}

void lt_format_timestamp_us(int64_t us, char out[32])
{
    int64_t secs = us / 1000000, frac = us % 1000000;
    if (frac < 0) {
        frac += 1000000;
        secs -= 1;
    }
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, 32, "%04d-%02d-%02d %02d:%02d:%02d.%06d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
}
