/* Serialising file schemas to JSON and back with cJSON (see schema_json.h). */
#include "agent/schema_json.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

char *lt_schema_to_json(const struct lt_table_schema *schema, const struct lt_file_columns *extra)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *cols = cJSON_CreateArray();
    if (!root || !cols) {
        cJSON_Delete(root);
        cJSON_Delete(cols);
        return NULL;
    }
    cJSON_AddStringToObject(root, "schema", schema->schema_name);
    cJSON_AddStringToObject(root, "table", schema->table_name);
    if (schema->origin_schema) { /* a mapped table: the source table its files come from */
        cJSON_AddStringToObject(root, "origin_schema", schema->origin_schema);
        cJSON_AddStringToObject(root, "origin_table", schema->origin_table);
    }
    cJSON_AddItemToObject(root, "columns", cols);
    for (int i = 0; i < schema->ncols; i++) {
        const struct lt_column *c = &schema->cols[i];
        cJSON *o = cJSON_CreateObject();
        if (!o)
            break;
        cJSON_AddStringToObject(o, "name", c->name);
        cJSON_AddStringToObject(o, "type", lt_type_name(c->type));
        if (c->type == LT_TYPE_DECIMAL) {
            cJSON_AddNumberToObject(o, "precision", c->precision);
            cJSON_AddNumberToObject(o, "scale", c->scale);
        }
        cJSON_AddBoolToObject(o, "key", c->is_key);
        cJSON_AddBoolToObject(o, "nullable", c->nullable);
        if (c->source_type)
            cJSON_AddStringToObject(o, "source_type", c->source_type);
        if (c->origin) { /* a mapped table: the source column, "" for a computed one */
            cJSON_AddStringToObject(o, "origin", c->origin);
            if (c->converted)
                cJSON_AddBoolToObject(o, "converted", true);
        }
        cJSON_AddItemToArray(cols, o);
    }
    if (extra) {
        cJSON_AddBoolToObject(root, "op", extra->op);
        if (extra->ts_column)
            cJSON_AddStringToObject(root, "ts_column", extra->ts_column);
        cJSON_AddBoolToObject(root, "unchanged", extra->unchanged);
        if (extra->cdc_ops)
            cJSON_AddStringToObject(root, "cdc_ops", extra->cdc_ops);
        if (extra->no_pos) /* only then: files of earlier logtaps (and most files) have it */
            cJSON_AddBoolToObject(root, "pos", false);
        if (extra->nosup)
            cJSON_AddStringToObject(root, "nosup", extra->nosup);
    }
    char *out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return out;
}

static const char *str_or_null(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int lt_schema_from_json(const char *json, struct lt_table_schema **schema, struct lt_file_columns *extra,
                        struct lt_error *err)
{
    *schema = NULL;
    memset(extra, 0, sizeof *extra);
    cJSON *root = json ? cJSON_Parse(json) : NULL;
    const cJSON *cols = root ? cJSON_GetObjectItemCaseSensitive(root, "columns") : NULL;
    if (!cJSON_IsArray(cols) || !str_or_null(root, "schema") || !str_or_null(root, "table")) {
        cJSON_Delete(root);
        return lt_fail(err, LT_ERR_RUNTIME, "state store: a file's recorded schema is not valid JSON");
    }
    int n = cJSON_GetArraySize(cols);
    struct lt_table_schema *s = lt_schema_new(str_or_null(root, "schema"), str_or_null(root, "table"), n);
    if (!s) {
        cJSON_Delete(root);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        const cJSON *c = cJSON_GetArrayItem(cols, i);
        const char *name = str_or_null(c, "name"), *type = str_or_null(c, "type");
        enum lt_type t = LT_TYPE_TEXT;
        for (int k = LT_TYPE_BOOL; type && k <= LT_TYPE_UUID; k++)
            if (strcmp(type, lt_type_name((enum lt_type)k)) == 0)
                t = (enum lt_type)k;
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(c, "precision");
        const cJSON *sc = cJSON_GetObjectItemCaseSensitive(c, "scale");
        lt_schema_set_column(s, i, name ? name : "", t, cJSON_IsNumber(p) ? p->valueint : 0,
                             cJSON_IsNumber(sc) ? sc->valueint : 0,
                             cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "key")),
                             !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(c, "nullable")),
                             str_or_null(c, "source_type"));
        if (str_or_null(c, "origin"))
            lt_column_set_origin(&s->cols[i], str_or_null(c, "origin"),
                                 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "converted")));
    }
    if (str_or_null(root, "origin_schema") && str_or_null(root, "origin_table"))
        lt_schema_set_origin(s, str_or_null(root, "origin_schema"), str_or_null(root, "origin_table"));
    extra->op = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "op"));
    extra->unchanged = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "unchanged"));
    const char *ops = str_or_null(root, "cdc_ops");
    extra->cdc_ops = !ops ? NULL : !strcmp(ops, "I") ? "I" : !strcmp(ops, "IU") ? "IU" : "?";
    const char *ts = str_or_null(root, "ts_column");
    extra->ts_column = ts ? strdup(ts) : NULL;
    extra->no_pos = cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(root, "pos"));
    const char *nosup = str_or_null(root, "nosup");
    extra->nosup = nosup ? strdup(nosup) : NULL;
    cJSON_Delete(root);
    *schema = s;
    return LT_OK;
}

const char *lt_cdc_ops_letters(enum lt_cdc_ops ops)
{
    return ops == LT_CDC_INSERTS_ONLY ? "I" : ops == LT_CDC_INSERTS_AND_UPDATES ? "IU" : NULL;
}

void lt_file_columns_free(struct lt_file_columns *extra)
{
    free(extra->ts_column);
    extra->ts_column = NULL;
    free(extra->nosup);
    extra->nosup = NULL;
}

int lt_file_columns_check(const struct lt_table_schema *schema, const struct lt_file_columns *extra,
                          char warning[256], struct lt_error *err)
{
    const char *added[4] = {extra->no_pos ? NULL : "_logtap_pos", extra->no_pos ? NULL : "_logtap_unchanged",
                            extra->op ? "Op" : NULL, extra->ts_column};
    const char *why[4] = {"the change-order column", "the unchanged-columns column", "the operation column",
                          "target.TimestampColumnName"};
    if (warning)
        warning[0] = '\0';
    for (int i = 0; i < schema->ncols; i++) {
        for (int k = 0; k < 4; k++) {
            if (!added[k])
                continue;
            if (strcmp(schema->cols[i].name, added[k]) == 0)
                return lt_fail(err, LT_ERR_CONFIG,
                               "table %s.%s has a column named \"%s\", the name of %s logtap adds to its files: "
                               "%s, or exclude the table in table_mappings",
                               schema->schema_name, schema->table_name, added[k], why[k],
                               k == 3 ? "choose another TimestampColumnName" : "rename the column");
            if (warning && !warning[0] && strcasecmp(schema->cols[i].name, added[k]) == 0)
                snprintf(warning, 256,
                         "table %s.%s: column \"%s\" and %s \"%s\" differ only in case; readers that ignore "
                         "case (Athena, Hive) see two columns of one name",
                         schema->schema_name, schema->table_name, schema->cols[i].name, why[k], added[k]);
        }
    }
    return LT_OK;
}
