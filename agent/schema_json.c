/* Serialising table schemas to JSON with cJSON (see schema_json.h). */
#include "agent/schema_json.h"

#include <cjson/cJSON.h>

char *lt_schema_to_json(const struct lt_table_schema *schema)
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
        cJSON_AddItemToArray(cols, o);
    }
    char *out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return out;
}
