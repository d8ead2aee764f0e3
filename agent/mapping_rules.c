/* Parsing of DMS table-mapping rules (see mapping_rules.h): selection rules (with source filters, table-type and
 * load-order), transformation rules and table-settings rules. */
#include "agent/mapping_rules.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/did_you_mean.h"
#include "agent/dms_rules.h"
#include "agent/table_mapping.h"
#include "agent/xmalloc.h"

/* A rule's text, "" for an absent one. */
static char *dup_or_empty(const char *s)
{
    return xstrdup(s ? s : "");
}

void lt_rule_ref_format(const struct lt_rule_ref *r, char *out, size_t n)
{
    if (!r || !r->id)
        snprintf(out, n, "rule");
    else
        snprintf(out, n, "rule-id %s, rule-name \"%s\"", r->id, r->name ? r->name : "");
}

int lt_rule_fail(struct lt_error *err, const struct lt_rule_ref *r, const char *fmt, ...)
{
    char what[700], ref[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    lt_rule_ref_format(r, ref, sizeof ref);
    return lt_fail(err, LT_ERR_CONFIG, "config: table mapping rule (%s): %s", ref, what);
}

/* ---- names ---- */

const char *lt_tr_action_name(enum lt_tr_action a)
{
    static const char *const names[] = {
        "rename", "remove-column", "add-column", "convert-lowercase", "convert-uppercase", "add-prefix",
        "remove-prefix", "replace-prefix", "add-suffix", "remove-suffix", "replace-suffix", "change-data-type",
        "define-primary-key",
    };
    return (unsigned)a < sizeof names / sizeof names[0] ? names[a] : "?";
}

const char *lt_filter_op_name(enum lt_filter_op op)
{
    static const char *const names[] = {"eq", "noteq", "lte", "gte", "between", "notbetween", "null", "notnull"};
    return (unsigned)op < sizeof names / sizeof names[0] ? names[op] : "?";
}

static const char *const dms_type_names[] = {
    "string", "wstring", "clob", "nclob", "boolean", "bytes", "blob", "date", "time", "datetime", "int1", "int2",
    "int4", "int8", "numeric", "real4", "real8", "uint1", "uint2", "uint4", "uint8", NULL,
};

const char *lt_dms_type_name(enum lt_dms_type t)
{
    return (unsigned)t < sizeof dms_type_names / sizeof dms_type_names[0] - 1 ? dms_type_names[t] : "?";
}

/* ---- lookups ---- */

const struct lt_table_filter *lt_mapping_filter(const struct lt_mapping *m, const char *schema, const char *table)
{
    for (int i = 0; m && i < m->nfilters; i++)
        if (!strcmp(m->filters[i].schema, schema) && !strcmp(m->filters[i].table, table))
            return &m->filters[i];
    return NULL;
}

const struct lt_table_settings *lt_mapping_settings(const struct lt_mapping *m, const char *schema,
                                                    const char *table)
{
    for (int i = 0; m && i < m->nsettings; i++)
        if (!strcmp(m->settings[i].schema, schema) && !strcmp(m->settings[i].table, table))
            return &m->settings[i];
    return NULL;
}

static bool transform_matches_table(const struct lt_transform_rule *t, const char *schema, const char *table)
{
    return lt_pattern_match(t->schema_pattern, schema) && (!t->table_pattern || lt_pattern_match(t->table_pattern, table));
}

const struct lt_transform_rule *lt_mapping_primary_key(const struct lt_mapping *m, const char *schema,
                                                       const char *table)
{
    const struct lt_transform_rule *found = NULL;
    for (int i = 0; m && i < m->ntransforms; i++)
        if (m->transforms[i].action == LT_TR_DEFINE_PRIMARY_KEY && transform_matches_table(&m->transforms[i], schema, table))
            found = &m->transforms[i];
    return found;
}

bool lt_mapping_transforms_table(const struct lt_mapping *m, const char *schema, const char *table)
{
    for (int i = 0; m && i < m->ntransforms; i++)
        if (transform_matches_table(&m->transforms[i], schema, table))
            return true;
    return false;
}

static void ref_free(struct lt_rule_ref *r)
{
    free(r->id);
    free(r->name);
}

static void strv_free(char **v, int n)
{
    for (int i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

void lt_mapping_free(struct lt_mapping *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->nfilters; i++) {
        struct lt_table_filter *f = &m->filters[i];
        ref_free(&f->ref);
        free(f->schema);
        free(f->table);
        for (int j = 0; j < f->nfilters; j++) {
            struct lt_filter_spec *s = &f->filters[j];
            free(s->column);
            for (int k = 0; k < s->nconds; k++) {
                free(s->conds[k].value);
                free(s->conds[k].end_value);
            }
            free(s->conds);
        }
        free(f->filters);
    }
    free(m->filters);
    for (int i = 0; i < m->ntransforms; i++) {
        struct lt_transform_rule *t = &m->transforms[i];
        ref_free(&t->ref);
        free(t->schema_pattern);
        free(t->table_pattern);
        free(t->column_pattern);
        free(t->value);
        free(t->old_value);
        free(t->expression);
        strv_free(t->pk_columns, t->npk);
    }
    free(m->transforms);
    for (int i = 0; i < m->nsettings; i++) {
        struct lt_table_settings *s = &m->settings[i];
        ref_free(&s->ref);
        free(s->schema);
        free(s->table);
        strv_free(s->columns, s->ncolumns);
        for (int j = 0; s->boundaries && j < s->nboundaries; j++)
            strv_free(s->boundaries[j], s->ncolumns);
        free(s->boundaries);
        strv_free(s->segment_names, s->nsegment_names);
        strv_free(s->partitions, s->npartitions);
    }
    free(m->settings);
    free(m);
}

/* ---- JSON helpers: every message names the rule ---- */

struct rule_ctx {
    const cJSON *json;
    struct lt_rule_ref *ref;
    struct lt_error *err;
    const struct lt_task_config *cfg;
    int index;            /* in table_mappings.rules */
};

/* "config: table_mappings.rules[i].FIELD (rule-id X, rule-name "Y"): text" from "FIELD: text" (a message whose
 * part before ": " has a space names no field). */
static int pfail(const struct rule_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int pfail(const struct rule_ctx *c, const char *fmt, ...)
{
    char what[800], ref[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    lt_rule_ref_format(c->ref, ref, sizeof ref);
    const char *colon = strstr(what, ": ");
    bool field = colon && memchr(what, ' ', (size_t)(colon - what)) == NULL;
    if (field)
        return lt_fail(c->err, LT_ERR_CONFIG, "config: table_mappings.rules[%d].%.*s (%s): %s", c->index,
                       (int)(colon - what), what, ref, colon + 2);
    return lt_fail(c->err, LT_ERR_CONFIG, "config: table_mappings.rules[%d] (%s): %s", c->index, ref, what);
}

static int check_keys(const struct rule_ctx *c, const cJSON *obj, const char *where, const char *const *allowed)
{
    for (const cJSON *k = obj->child; k; k = k->next) {
        bool ok = false;
        for (int i = 0; allowed[i]; i++)
            ok |= strcmp(k->string, allowed[i]) == 0;
        if (ok)
            continue;
        char hint[128];
        lt_did_you_mean(k->string, allowed, hint, sizeof hint);
        return pfail(c, "%s%s: unknown key%s", where, k->string, hint);
    }
    return LT_OK;
}

/* A string member; required ones missing are errors; *out NULL when absent. */
static int get_str(const struct rule_ctx *c, const cJSON *obj, const char *key, bool required, char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    if (!v || cJSON_IsNull(v))
        return required ? pfail(c, "%s: missing required field", key) : LT_OK;
    if (!cJSON_IsString(v))
        return pfail(c, "%s: must be a string", key);
    *out = dup_or_empty(v->valuestring);
    return LT_OK;
}

/* A whole number given as a JSON number or a string of digits. */
static int get_int(const struct rule_ctx *c, const cJSON *v, const char *key, long long min, long long max,
                   long long *out)
{
    long long n;
    if (cJSON_IsNumber(v) && v->valuedouble == (double)(long long)v->valuedouble) {
        n = (long long)v->valuedouble;
    } else if (cJSON_IsString(v) && *v->valuestring) {
        char *end;
        errno = 0;
        n = strtoll(v->valuestring, &end, 10);
        if (errno || *end)
            return pfail(c, "%s: must be a whole number", key);
    } else {
        return pfail(c, "%s: must be a whole number", key);
    }
    if (n < min || n > max)
        return pfail(c, "%s: must be between %lld and %lld", key, min, max);
    *out = n;
    return LT_OK;
}

/* A non-empty array of strings. */
static int get_strv(const struct rule_ctx *c, const cJSON *v, const char *key, char ***out, int *n)
{
    *out = NULL;
    *n = 0;
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
        return pfail(c, "%s: must be a non-empty array of strings", key);
    int k = cJSON_GetArraySize(v);
    char **a = xcalloc((size_t)k, sizeof *a);
    for (int i = 0; i < k; i++) {
        const cJSON *e = cJSON_GetArrayItem(v, i);
        if (!cJSON_IsString(e)) {
            strv_free(a, i);
            return pfail(c, "%s: must be a non-empty array of strings", key);
        }
        a[i] = dup_or_empty(e->valuestring);
    }
    *out = a;
    *n = k;
    return LT_OK;
}

/* The name a DMS pattern stands for when it has no wildcard ('_' taken as itself, "[x]" as x), else false. */
static bool pattern_exact(const char *pattern, char **out)
{
    size_t n = strlen(pattern);
    char *s = xcalloc(n + 1, 1), *o = s;
    for (const char *p = pattern; *p;) {
        if (*p == '%' || (*p == '[' && (!p[1] || p[2] != ']'))) {
            free(s);
            return false;
        }
        if (*p == '[') {
            *o++ = p[1];
            p += 3;
        } else {
            *o++ = *p++;
        }
    }
    *out = s;
    return true;
}

static int check_pattern(const struct rule_ctx *c, const char *key, const char *pattern)
{
    char *why = NULL;
    if (!lt_pattern_valid(pattern, &why))
        return pfail(c, "object-locator.%s: %s", key, why);
    return LT_OK;
}

/* ---- selection rules ---- */

static int parse_filter_condition(const struct rule_ctx *c, const cJSON *j, int fi, int ci, struct lt_filter_cond *out)
{
    static const char *const keys[] = {"filter-operator", "value", "start-value", "end-value", NULL};
    static const char *const ops[] = {"eq", "noteq", "lte", "ste", "gte", "between", "notbetween", "null", "notnull",
                                      NULL};
    static const enum lt_filter_op op_of[] = {LT_FOP_EQ, LT_FOP_NOTEQ, LT_FOP_LTE, LT_FOP_LTE, LT_FOP_GTE,
                                              LT_FOP_BETWEEN, LT_FOP_NOTBETWEEN, LT_FOP_NULL, LT_FOP_NOTNULL};
    char where[96];
    snprintf(where, sizeof where, "filters[%d].filter-conditions[%d]", fi, ci);
    if (!cJSON_IsObject(j))
        return pfail(c, "%s: must be an object", where);
    char prefix[112];
    snprintf(prefix, sizeof prefix, "%s.", where);
    int rc;
    if ((rc = check_keys(c, j, prefix, keys)))
        return rc;
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(j, "filter-operator");
    if (!cJSON_IsString(op))
        return pfail(c, "%s.filter-operator: missing (one of eq, noteq, lte, ste, gte, between, "
                            "notbetween, null, notnull)", where);
    int found = -1;
    for (int i = 0; ops[i]; i++)
        if (!strcmp(op->valuestring, ops[i]))
            found = i;
    if (found < 0) {
        char hint[96];
        lt_did_you_mean(op->valuestring, ops, hint, sizeof hint);
        return pfail(c, "%s.filter-operator: \"%s\" is not a DMS filter operator (eq, noteq, lte, "
                            "ste, gte, between, notbetween, null, notnull)%s", where, op->valuestring, hint);
    }
    out->op = op_of[found];
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "value");
    const cJSON *sv = cJSON_GetObjectItemCaseSensitive(j, "start-value");
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(j, "end-value");
    bool two = out->op == LT_FOP_BETWEEN || out->op == LT_FOP_NOTBETWEEN;
    bool none = out->op == LT_FOP_NULL || out->op == LT_FOP_NOTNULL;
    if (none && (v || sv || ev))
        return pfail(c, "%s: operator %s takes no value", where, op->valuestring);
    if (two) {
        if (v)
            return pfail(c, "%s: operator %s takes start-value and end-value, not value", where,
                                op->valuestring);
        if (!cJSON_IsString(sv) || !cJSON_IsString(ev))
            return pfail(c, "%s: operator %s needs start-value and end-value (strings)", where,
                                op->valuestring);
        out->value = dup_or_empty(sv->valuestring);
        out->end_value = dup_or_empty(ev->valuestring);
    } else if (!none) {
        if (sv || ev)
            return pfail(c, "%s: operator %s takes value, not start-value/end-value", where,
                                op->valuestring);
        if (!cJSON_IsString(v))
            return pfail(c, "%s: operator %s needs a value (a string, as DMS takes it)", where,
                                op->valuestring);
        out->value = dup_or_empty(v->valuestring);
    }
    return LT_OK;
}

static bool negative_op(enum lt_filter_op op)
{
    return op == LT_FOP_NOTEQ || op == LT_FOP_NOTBETWEEN || op == LT_FOP_NOTNULL;
}

static int parse_filters(const struct rule_ctx *c, const cJSON *filters, const struct lt_selection_rule *sr,
                         struct lt_mapping *m)
{
    if (!cJSON_IsArray(filters))
        return pfail(c, "filters: must be an array");
    int n = cJSON_GetArraySize(filters);
    if (n == 0)
        return LT_OK;
    if (!sr->include || sr->explicit_only)
        return pfail(c, "filters: DMS applies source filters only with rule-action include");
    char *schema = NULL, *table = NULL;
    if (!pattern_exact(sr->schema_pattern, &schema) || !pattern_exact(sr->table_pattern, &table)) {
        free(schema);
        return pfail(c, "filters: need an exact schema-name and table-name (DMS: filters do not "
                            "support wildcards)");
    }
    if (lt_mapping_filter(m, schema, table)) {
        int rc = pfail(c, "filters: %s.%s already has filters in %s rule; give each table's "
                              "filters in one rule", schema, table, lt_mapping_filter(m, schema, table)->ref.id);
        free(schema);
        free(table);
        return rc;
    }
    m->filters = realloc(m->filters, (size_t)(m->nfilters + 1) * sizeof *m->filters);
    if (!m->filters)
        exit(1);
    struct lt_table_filter *tf = &m->filters[m->nfilters++];
    memset(tf, 0, sizeof *tf);
    tf->ref.id = dup_or_empty(c->ref->id);
    tf->ref.name = dup_or_empty(c->ref->name);
    tf->ref.num = c->ref->num;
    tf->schema = schema;
    tf->table = table;
    tf->filters = xcalloc((size_t)n, sizeof *tf->filters);
    for (int i = 0; i < n; i++) {
        static const char *const keys[] = {"filter-type", "column-name", "filter-conditions", NULL};
        const cJSON *f = cJSON_GetArrayItem(filters, i);
        char where[64];
        snprintf(where, sizeof where, "filters[%d]", i);
        if (!cJSON_IsObject(f))
            return pfail(c, "%s: must be an object", where);
        char prefix[72];
        snprintf(prefix, sizeof prefix, "%s.", where);
        int rc = check_keys(c, f, prefix, keys);
        if (rc)
            return rc;
        struct lt_filter_spec *spec = &tf->filters[tf->nfilters++];
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(f, "filter-type");
        if (!cJSON_IsString(type) || strcmp(type->valuestring, "source") != 0)
            return pfail(c, "%s.filter-type: must be \"source\" (the only filter type DMS has)", where);
        const cJSON *col = cJSON_GetObjectItemCaseSensitive(f, "column-name");
        if (!cJSON_IsString(col) || !*col->valuestring)
            return pfail(c, "%s.column-name: must be a column name", where);
        spec->column = dup_or_empty(col->valuestring);
        for (int k = 0; k < i; k++)
            if (!strcmp(tf->filters[k].column, spec->column))
                return pfail(c, "%s: column %s already has a filter (filters[%d]); conditions on "
                                    "one column go in one filter, where they are ORed", where, spec->column, k);
        const cJSON *conds = cJSON_GetObjectItemCaseSensitive(f, "filter-conditions");
        if (!cJSON_IsArray(conds) || cJSON_GetArraySize(conds) == 0)
            return pfail(c, "%s.filter-conditions: must be a non-empty array", where);
        int nc = cJSON_GetArraySize(conds);
        spec->conds = xcalloc((size_t)nc, sizeof *spec->conds);
        for (int k = 0; k < nc; k++) {
            if ((rc = parse_filter_condition(c, cJSON_GetArrayItem(conds, k), i, k, &spec->conds[k])))
                return rc;
            spec->nconds++;
        }
        for (int k = 0; nc > 1 && k < nc; k++)
            if (negative_op(spec->conds[k].op))
                return pfail(c, "%s: a filter with a negative operator (%s) can have only one "
                                    "condition (DMS); put other conditions in another filter", where,
                                    lt_filter_op_name(spec->conds[k].op));
    }
    return LT_OK;
}

static int parse_selection(const struct rule_ctx *c, struct lt_selection_rule *sr, struct lt_mapping *m)
{
    const cJSON *r = c->json;
    char *action = NULL;
    int rc = get_str(c, r, "rule-action", true, &action);
    if (rc)
        return rc;
    if (!strcmp(action, "include") || !strcmp(action, "explicit")) {
        sr->include = true;
        sr->explicit_only = !strcmp(action, "explicit");
    } else if (!strcmp(action, "exclude")) {
        sr->include = false;
    } else {
        rc = pfail(c, "rule-action: \"%s\" is not a selection action (include, exclude, explicit)",
                          action);
    }
    free(action);
    if (rc)
        return rc;
    static const char *const rkeys[] = {"rule-type", "rule-id", "rule-name", "rule-action", "object-locator",
                                        "filters", "load-order", "rule-description", NULL};
    if ((rc = check_keys(c, r, "", rkeys)))
        return rc;
    const cJSON *loc = cJSON_GetObjectItemCaseSensitive(r, "object-locator");
    if (!cJSON_IsObject(loc))
        return pfail(c, "object-locator: missing or not an object");
    static const char *const lkeys[] = {"schema-name", "table-name", "table-type", NULL};
    char *kind = NULL;
    if ((rc = check_keys(c, loc, "object-locator.", lkeys)) ||
        (rc = get_str(c, loc, "schema-name", true, &sr->schema_pattern)) ||
        (rc = get_str(c, loc, "table-name", true, &sr->table_pattern)) ||
        (rc = check_pattern(c, "schema-name", sr->schema_pattern)) ||
        (rc = check_pattern(c, "table-name", sr->table_pattern)) || (rc = get_str(c, loc, "table-type", false, &kind)))
        return rc;
    sr->kinds = LT_KINDS_TABLES;
    if (kind) {
        if (!strcmp(kind, "view"))
            sr->kinds = LT_KINDS_VIEWS;
        else if (!strcmp(kind, "all"))
            sr->kinds = LT_KINDS_ALL;
        else if (strcmp(kind, "table") != 0)
            rc = pfail(c, "object-locator.table-type: \"%s\" must be table, view or all", kind);
        free(kind);
        if (rc)
            return rc;
        if (sr->kinds != LT_KINDS_TABLES && c->cfg->migration_type != LT_MIGRATE_FULL_LOAD)
            return pfail(c, "object-locator.table-type %s: views have no changes to capture, so "
                                "DMS migrates them in full-load tasks only; this task's migration_type is %s",
                                sr->kinds == LT_KINDS_VIEWS ? "view" : "all",
                                lt_migration_type_name(c->cfg->migration_type));
        if (sr->include && sr->kinds != LT_KINDS_TABLES)
            m->wants_views = true;
    }
    const cJSON *lo = cJSON_GetObjectItemCaseSensitive(r, "load-order");
    if (lo) {
        long long n;
        if ((rc = get_int(c, lo, "load-order", 0, 2147483647LL, &n)))
            return rc;
        if (!sr->include)
            return pfail(c, "load-order: an exclude rule loads nothing");
        sr->load_order = (int)n;
    }
    const cJSON *filters = cJSON_GetObjectItemCaseSensitive(r, "filters");
    if (filters && (rc = parse_filters(c, filters, sr, m)))
        return rc;
    return LT_OK;
}

/* ---- transformation rules ---- */

static int parse_data_type(const struct rule_ctx *c, const cJSON *j, struct lt_data_type *dt)
{
    static const char *const keys[] = {"type", "length", "precision", "scale", NULL};
    if (!cJSON_IsObject(j))
        return pfail(c, "data-type: must be an object {\"type\": ...}");
    int rc = check_keys(c, j, "data-type.", keys);
    if (rc)
        return rc;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "type");
    if (!cJSON_IsString(t))
        return pfail(c, "data-type.type: missing (a DMS data type: string, int4, numeric...)");
    int found = -1;
    for (int i = 0; dms_type_names[i]; i++)
        if (!strcasecmp(t->valuestring, dms_type_names[i]))
            found = i;
    if (found < 0 && !strcasecmp(t->valuestring, "byte"))
        found = LT_DT_BYTES;
    if (found < 0) {
        char hint[96];
        lt_did_you_mean(t->valuestring, dms_type_names, hint, sizeof hint);
        return pfail(c, "data-type.type: \"%s\" is not a DMS data type%s", t->valuestring, hint);
    }
    dt->type = (enum lt_dms_type)found;
    dt->length = 0;
    dt->precision = -1;
    dt->scale = 0;
    long long n;
    const cJSON *v;
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "length"))) {
        if ((rc = get_int(c, v, "data-type.length", 1, 1LL << 30, &n)))
            return rc;
        dt->length = (int)n;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "precision"))) {
        if ((rc = get_int(c, v, "data-type.precision", 0, 1000, &n)))
            return rc;
        dt->precision = (int)n;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "scale"))) {
        if ((rc = get_int(c, v, "data-type.scale", 0, 1000, &n)))
            return rc;
        dt->scale = (int)n;
    }
    bool is_string = dt->type <= LT_DT_NCLOB;
    if (dt->length && !is_string && dt->type != LT_DT_BYTES)
        return pfail(c, "data-type.length: only string and bytes types have a length");
    if (dt->type == LT_DT_NUMERIC) {
        if (dt->precision < 1 || dt->precision > 1000)
            return pfail(c, "data-type: numeric needs a precision (1-1000)");
        if (dt->scale > dt->precision)
            return pfail(c, "data-type: numeric's scale is larger than its precision");
    } else if (dt->type == LT_DT_DATETIME || dt->type == LT_DT_TIME) {
        if (dt->precision > 9)
            return pfail(c, "data-type.precision: %s has 0 to 9 fraction digits",
                                lt_dms_type_name(dt->type));
        if (dt->precision > 6)
            return pfail(c, "data-type.precision: logtap keeps times to the microsecond (6 "
                                "fraction digits); %d would write digits the source never had", dt->precision);
        if (cJSON_GetObjectItemCaseSensitive(j, "scale"))
            return pfail(c, "data-type.scale: only numeric has a scale");
    } else if (cJSON_GetObjectItemCaseSensitive(j, "precision") || cJSON_GetObjectItemCaseSensitive(j, "scale")) {
        return pfail(c, "data-type: %s has no precision or scale", lt_dms_type_name(dt->type));
    }
    return LT_OK;
}

static bool action_takes(enum lt_tr_action a, enum lt_tr_target t)
{
    switch (a) {
    case LT_TR_REMOVE_COLUMN:
    case LT_TR_ADD_COLUMN:
    case LT_TR_CHANGE_DATA_TYPE:
        return t == LT_TRT_COLUMN;
    case LT_TR_DEFINE_PRIMARY_KEY:
        return t == LT_TRT_TABLE;
    default:
        return true;
    }
}

static int parse_transformation(const struct rule_ctx *c, struct lt_transform_rule *t)
{
    static const char *const actions[] = {
        "rename", "remove-column", "add-column", "convert-lowercase", "convert-uppercase", "add-prefix",
        "remove-prefix", "replace-prefix", "add-suffix", "remove-suffix", "replace-suffix", "change-data-type",
        "define-primary-key", NULL,
    };
    const cJSON *r = c->json;
    char *action = NULL, *target = NULL;
    int rc = get_str(c, r, "rule-action", true, &action);
    if (rc)
        return rc;
    int found = -1;
    for (int i = 0; actions[i]; i++)
        if (!strcmp(action, actions[i]))
            found = i;
    if (found < 0) {
        const struct lt_dms_rule *d = lt_dms_rule_find("transformation", action);
        if (d && d->status == LT_DMS_REFUSED)
            rc = pfail(c, "transformation rule-action %s is not supported: %s", action, d->why);
        else
            rc = pfail(c, "rule-action: \"%s\" is not a DMS transformation action", action);
        free(action);
        return rc;
    }
    free(action);
    t->action = (enum lt_tr_action)found;
    static const char *const rkeys[] = {"rule-type", "rule-id", "rule-name", "rule-action", "rule-target",
                                        "object-locator", "value", "old-value", "expression", "data-type",
                                        "primary-key-def", "rule-description", NULL};
    if ((rc = check_keys(c, r, "", rkeys)) || (rc = get_str(c, r, "rule-target", true, &target)))
        return rc;
    if (!strcmp(target, "schema"))
        t->target = LT_TRT_SCHEMA;
    else if (!strcmp(target, "table"))
        t->target = LT_TRT_TABLE;
    else if (!strcmp(target, "column"))
        t->target = LT_TRT_COLUMN;
    else if (!strcmp(target, "table-tablespace") || !strcmp(target, "index-tablespace"))
        rc = pfail(c, "rule-target %s: tablespaces are Oracle's; files have none", target);
    else
        rc = pfail(c, "rule-target: \"%s\" must be schema, table or column", target);
    if (!rc && !action_takes(t->action, t->target))
        rc = pfail(c, "rule-action %s does not apply to rule-target %s",
                          lt_tr_action_name(t->action), target);
    free(target);
    if (rc)
        return rc;
    const cJSON *loc = cJSON_GetObjectItemCaseSensitive(r, "object-locator");
    if (!cJSON_IsObject(loc))
        return pfail(c, "object-locator: missing or not an object");
    static const char *const lkeys_schema[] = {"schema-name", NULL};
    static const char *const lkeys_table[] = {"schema-name", "table-name", NULL};
    static const char *const lkeys_column[] = {"schema-name", "table-name", "column-name", NULL};
    const char *const *lkeys = t->target == LT_TRT_SCHEMA  ? lkeys_schema
                               : t->target == LT_TRT_TABLE || t->action == LT_TR_ADD_COLUMN ? lkeys_table
                                                                                             : lkeys_column;
    if ((rc = check_keys(c, loc, "object-locator.", lkeys)) ||
        (rc = get_str(c, loc, "schema-name", true, &t->schema_pattern)) ||
        (rc = check_pattern(c, "schema-name", t->schema_pattern)))
        return rc;
    if (t->target != LT_TRT_SCHEMA &&
        ((rc = get_str(c, loc, "table-name", true, &t->table_pattern)) ||
         (rc = check_pattern(c, "table-name", t->table_pattern))))
        return rc;
    if (t->target == LT_TRT_COLUMN && t->action != LT_TR_ADD_COLUMN &&
        ((rc = get_str(c, loc, "column-name", true, &t->column_pattern)) ||
         (rc = check_pattern(c, "column-name", t->column_pattern))))
        return rc;
    /* the action's own fields */
    bool wants_value = t->action == LT_TR_RENAME || t->action == LT_TR_ADD_COLUMN || t->action == LT_TR_ADD_PREFIX ||
                       t->action == LT_TR_REMOVE_PREFIX || t->action == LT_TR_REPLACE_PREFIX ||
                       t->action == LT_TR_ADD_SUFFIX || t->action == LT_TR_REMOVE_SUFFIX ||
                       t->action == LT_TR_REPLACE_SUFFIX;
    bool wants_old = t->action == LT_TR_REPLACE_PREFIX || t->action == LT_TR_REPLACE_SUFFIX;
    if ((rc = get_str(c, r, "value", wants_value, &t->value)) || (rc = get_str(c, r, "old-value", wants_old, &t->old_value)) ||
        (rc = get_str(c, r, "expression", false, &t->expression)))
        return rc;
    if (!wants_value && t->value)
        return pfail(c, "value: %s takes no value", lt_tr_action_name(t->action));
    if (!wants_old && t->old_value)
        return pfail(c, "old-value: %s takes no old-value", lt_tr_action_name(t->action));
    if (t->value && !*t->value && (t->action == LT_TR_RENAME || t->action == LT_TR_ADD_COLUMN ||
                                   t->action == LT_TR_REMOVE_PREFIX || t->action == LT_TR_REMOVE_SUFFIX))
        return pfail(c, "value: must not be empty");
    if (wants_old && !*t->old_value)
        return pfail(c, "old-value: must not be empty");
    if (t->expression && t->action != LT_TR_ADD_COLUMN)
        return pfail(c, "expression: logtap takes an expression only in add-column rules (it "
                            "does not change an existing column's values)");
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(r, "data-type");
    if (dt) {
        if (t->action != LT_TR_ADD_COLUMN && t->action != LT_TR_CHANGE_DATA_TYPE)
            return pfail(c, "data-type: %s takes no data-type", lt_tr_action_name(t->action));
        if ((rc = parse_data_type(c, dt, &t->data_type)))
            return rc;
        t->has_data_type = true;
    } else if (t->action == LT_TR_ADD_COLUMN || t->action == LT_TR_CHANGE_DATA_TYPE) {
        return pfail(c, "data-type: %s needs one", lt_tr_action_name(t->action));
    }
    const cJSON *pk = cJSON_GetObjectItemCaseSensitive(r, "primary-key-def");
    if (t->action == LT_TR_DEFINE_PRIMARY_KEY) {
        static const char *const pkeys[] = {"name", "origin", "columns", NULL};
        if (!cJSON_IsObject(pk))
            return pfail(c, "primary-key-def: missing or not an object");
        char *name = NULL, *origin = NULL;
        if ((rc = check_keys(c, pk, "primary-key-def.", pkeys)) || (rc = get_str(c, pk, "name", true, &name)) ||
            (rc = get_str(c, pk, "origin", false, &origin))) {
            free(name);
            return rc;
        }
        free(name);
        if (origin && strcmp(origin, "primary-key") != 0)
            rc = !strcmp(origin, "unique-index")
                     ? pfail(c, "primary-key-def.origin unique-index: DMS defines a unique index "
                                    "on a target table; files have no indexes (origin primary-key gives the files' "
                                    "key)")
                     : pfail(c, "primary-key-def.origin: must be primary-key or unique-index");
        free(origin);
        if (rc || (rc = get_strv(c, cJSON_GetObjectItemCaseSensitive(pk, "columns"), "primary-key-def.columns",
                                 &t->pk_columns, &t->npk)))
            return rc;
    } else if (pk) {
        return pfail(c, "primary-key-def: only define-primary-key takes one");
    }
    return LT_OK;
}

/* ---- table-settings rules ---- */

static int parse_parallel_load(const struct rule_ctx *c, const cJSON *pl, struct lt_table_settings *s)
{
    static const char *const keys[] = {"type", "columns", "boundaries", "partitions", "segment-names", NULL};
    if (!cJSON_IsObject(pl))
        return pfail(c, "parallel-load: must be an object");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(pl, "type");
    if (!cJSON_IsString(type))
        return pfail(c, "parallel-load.type: missing (ranges, partitions-auto, partitions-list "
                            "or none)");
    const char *ty = type->valuestring;
    int rc;
    if (!strcmp(ty, "subpartitions-auto") || cJSON_GetObjectItemCaseSensitive(pl, "subpartitions"))
        return pfail(c, "parallel-load: subpartitions are Oracle's (DMS loads them from Oracle "
                            "only)");
    for (const char *const *k = (const char *const[]){"number-of-partitions", "collection-count-from-metadata",
                                                      "max-records-skip-per-page", "batch-size", NULL};
         *k; k++)
        if (cJSON_GetObjectItemCaseSensitive(pl, *k))
            return pfail(c, "parallel-load.%s: a setting of MongoDB and DocumentDB sources", *k);
    if ((rc = check_keys(c, pl, "parallel-load.", keys)))
        return rc;
    bool pg = c->cfg->source.engine && !strcmp(c->cfg->source.engine, "postgres");
    if (!strcmp(ty, "none")) {
        s->type = LT_PL_NONE;
    } else if (!strcmp(ty, "partitions-auto") || !strcmp(ty, "partitions-list")) {
        if (pg)
            return pfail(c, "parallel-load type %s: DMS loads PostgreSQL sources in parallel "
                                "only by ranges", ty);
        s->type = !strcmp(ty, "partitions-auto") ? LT_PL_PARTITIONS_AUTO : LT_PL_PARTITIONS_LIST;
        if (s->type == LT_PL_PARTITIONS_LIST &&
            (rc = get_strv(c, cJSON_GetObjectItemCaseSensitive(pl, "partitions"), "parallel-load.partitions",
                           &s->partitions, &s->npartitions)))
            return rc;
        if (s->type == LT_PL_PARTITIONS_AUTO && cJSON_GetObjectItemCaseSensitive(pl, "partitions"))
            return pfail(c, "parallel-load.partitions: only partitions-list takes a list");
    } else if (!strcmp(ty, "ranges")) {
        s->type = LT_PL_RANGES;
        if ((rc = get_strv(c, cJSON_GetObjectItemCaseSensitive(pl, "columns"), "parallel-load.columns", &s->columns,
                           &s->ncolumns)))
            return rc;
        if (s->ncolumns > 10)
            return pfail(c, "parallel-load.columns: at most 10 columns (DMS)");
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(pl, "boundaries");
        if (!cJSON_IsArray(b) || cJSON_GetArraySize(b) == 0)
            return pfail(c, "parallel-load.boundaries: must be a non-empty array of arrays of "
                                "values, one per column");
        int nb = cJSON_GetArraySize(b);
        s->boundaries = xcalloc((size_t)nb, sizeof *s->boundaries);
        for (int i = 0; i < nb; i++) {
            char **vals;
            int nv;
            char where[64];
            snprintf(where, sizeof where, "parallel-load.boundaries[%d]", i);
            if ((rc = get_strv(c, cJSON_GetArrayItem(b, i), where, &vals, &nv)))
                return rc;
            s->boundaries[s->nboundaries++] = vals;
            if (nv != s->ncolumns) {
                strv_free(vals, nv);
                s->boundaries[--s->nboundaries] = NULL;
                return pfail(c, "%s: has %d values for %d columns", where, nv, s->ncolumns);
            }
        }
        const cJSON *sn = cJSON_GetObjectItemCaseSensitive(pl, "segment-names");
        if (sn) {
            if ((rc = get_strv(c, sn, "parallel-load.segment-names", &s->segment_names, &s->nsegment_names)))
                return rc;
            if (s->nsegment_names != s->nboundaries + 1)
                return pfail(c, "parallel-load.segment-names: %d boundaries make %d segments; %d "
                                    "names given", s->nboundaries, s->nboundaries + 1, s->nsegment_names);
            for (int i = 0; i < s->nsegment_names; i++) {
                const char *n = s->segment_names[i];
                if (!*n || !strcmp(n, ".") || !strcmp(n, "..") || strchr(n, '/') || strchr(n, '\\'))
                    return pfail(c, "parallel-load.segment-names: \"%s\" is not a folder name", n);
                for (int k = 0; k < i; k++)
                    if (!strcmp(n, s->segment_names[k]))
                        return pfail(c, "parallel-load.segment-names: \"%s\" twice", n);
            }
        }
    } else {
        return pfail(c, "parallel-load.type: \"%s\" must be ranges, partitions-auto, "
                            "partitions-list or none", ty);
    }
    if (s->type != LT_PL_RANGES && (cJSON_GetObjectItemCaseSensitive(pl, "columns") ||
                                    cJSON_GetObjectItemCaseSensitive(pl, "boundaries") ||
                                    cJSON_GetObjectItemCaseSensitive(pl, "segment-names")))
        return pfail(c, "parallel-load: columns, boundaries and segment-names go with type ranges");
    if (s->type != LT_PL_PARTITIONS_LIST && cJSON_GetObjectItemCaseSensitive(pl, "partitions"))
        return pfail(c, "parallel-load.partitions: goes with type partitions-list");
    return LT_OK;
}

static int parse_table_settings(const struct rule_ctx *c, struct lt_mapping *m)
{
    const cJSON *r = c->json;
    static const char *const rkeys[] = {"rule-type", "rule-id", "rule-name", "object-locator", "parallel-load",
                                        "lob-settings", "rule-description", "rule-action", NULL};
    int rc = check_keys(c, r, "", rkeys);
    if (rc)
        return rc;
    if (cJSON_GetObjectItemCaseSensitive(r, "rule-action"))
        return pfail(c, "rule-action: table-settings rules have none");
    if (cJSON_GetObjectItemCaseSensitive(r, "lob-settings"))
        return pfail(c, "table-settings lob-settings is not supported: %s",
                            lt_dms_rule_find("table-settings", "lob-settings")->why);
    const cJSON *pl = cJSON_GetObjectItemCaseSensitive(r, "parallel-load");
    if (!pl)
        return pfail(c, "table-settings: no parallel-load (the only table setting logtap has)");
    const cJSON *loc = cJSON_GetObjectItemCaseSensitive(r, "object-locator");
    if (!cJSON_IsObject(loc))
        return pfail(c, "object-locator: missing or not an object");
    static const char *const lkeys[] = {"schema-name", "table-name", NULL};
    char *sp = NULL, *tp = NULL, *schema = NULL, *table = NULL;
    if ((rc = check_keys(c, loc, "object-locator.", lkeys)) || (rc = get_str(c, loc, "schema-name", true, &sp)) ||
        (rc = get_str(c, loc, "table-name", true, &tp))) {
        free(sp);
        return rc;
    }
    bool exact = pattern_exact(sp, &schema) && pattern_exact(tp, &table);
    free(sp);
    free(tp);
    if (!exact) {
        free(schema);
        return pfail(c, "object-locator: exact schema and table name required when using table "
                            "settings rule (DMS)");
    }
    if (lt_mapping_settings(m, schema, table)) {
        rc = pfail(c, "%s.%s already has table settings in rule %s", schema, table,
                          lt_mapping_settings(m, schema, table)->ref.id);
        free(schema);
        free(table);
        return rc;
    }
    m->settings = realloc(m->settings, (size_t)(m->nsettings + 1) * sizeof *m->settings);
    if (!m->settings)
        exit(1);
    struct lt_table_settings *s = &m->settings[m->nsettings++];
    memset(s, 0, sizeof *s);
    s->ref.id = dup_or_empty(c->ref->id);
    s->ref.name = dup_or_empty(c->ref->name);
    s->ref.num = c->ref->num;
    s->schema = schema;
    s->table = table;
    return parse_parallel_load(c, pl, s);
}

/* ---- the rules array ---- */

static int compare_transforms(const void *a, const void *b)
{
    const struct lt_transform_rule *x = a, *y = b;
    return x->ref.num < y->ref.num ? -1 : x->ref.num > y->ref.num;
}

int lt_mapping_parse(const cJSON *tm, struct lt_task_config *cfg, struct lt_error *err)
{
    if (!tm)
        return lt_fail(err, LT_ERR_CONFIG, "config: table_mappings: missing required field");
    if (!cJSON_IsObject(tm))
        return lt_fail(err, LT_ERR_CONFIG, "config: table_mappings: must be an object");
    for (const cJSON *k = tm->child; k; k = k->next)
        if (strcmp(k->string, "rules") != 0)
            return lt_fail(err, LT_ERR_CONFIG, "config: table_mappings.%s: unknown key", k->string);
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(tm, "rules");
    if (!rules)
        return lt_fail(err, LT_ERR_CONFIG, "config: table_mappings.rules: missing required field");
    if (!cJSON_IsArray(rules))
        return lt_fail(err, LT_ERR_CONFIG, "config: table_mappings.rules: must be an array");
    int n = cJSON_GetArraySize(rules);
    cfg->rules = xcalloc((size_t)n + 1, sizeof *cfg->rules);
    struct lt_mapping *m = xcalloc(1, sizeof *m);
    cfg->mapping = m; /* freed with the config, on errors too */
    int64_t *ids = xcalloc((size_t)n + 1, sizeof *ids);
    int rc = LT_OK;
    for (int i = 0; !rc && i < n; i++) {
        const cJSON *r = cJSON_GetArrayItem(rules, i);
        struct lt_rule_ref ref = {0};
        struct rule_ctx c = {.json = r, .ref = &ref, .err = err, .cfg = cfg, .index = i};
        if (!cJSON_IsObject(r)) {
            rc = lt_fail(err, LT_ERR_CONFIG, "config: table_mappings.rules[%d]: must be an object", i);
            break;
        }
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "rule-id");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(r, "rule-name");
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(r, "rule-type");
        char idtext[32];
        if (cJSON_IsNumber(id))
            snprintf(idtext, sizeof idtext, "%.0f", id->valuedouble);
        ref.id = dup_or_empty(cJSON_IsString(id) ? id->valuestring : cJSON_IsNumber(id) ? idtext : NULL);
        ref.name = dup_or_empty(cJSON_IsString(name) ? name->valuestring : NULL);
        char *end = NULL;
        errno = 0;
        ref.num = strtoll(ref.id, &end, 10);
        if (!id || !*ref.id || errno || *end || ref.num < 0 || (cJSON_IsNumber(id) && id->valuedouble != (double)ref.num)) {
            rc = lt_fail(err, LT_ERR_CONFIG, "config: table_mappings.rules[%d]%s%s%s: rule-id must be a number (DMS "
                         "identifies and orders rules by it)", i, ref.name[0] ? " (rule-name \"" : "", ref.name,
                         ref.name[0] ? "\")" : "");
        } else if (!cJSON_IsString(name)) {
            rc = pfail(&c, "rule-name: missing or not a string (DMS requires one)");
        } else if (!cJSON_IsString(type)) {
            rc = pfail(&c, "rule-type: missing or not a string");
        }
        for (int k = 0; !rc && k < i; k++)
            if (ids[k] == ref.num)
                rc = pfail(&c, "rule-id: %s is used by another rule too (rules[%d])", ref.id, k);
        ids[i] = ref.num;
        if (rc) {
            ref_free(&ref);
            break;
        }
        const char *ty = type->valuestring;
        if (!strcmp(ty, "selection")) {
            struct lt_selection_rule *sr = &cfg->rules[cfg->nrules++];
            rc = parse_selection(&c, sr, m);
        } else if (!strcmp(ty, "transformation")) {
            m->transforms = realloc(m->transforms, (size_t)(m->ntransforms + 1) * sizeof *m->transforms);
            if (!m->transforms)
                exit(1);
            struct lt_transform_rule *t = &m->transforms[m->ntransforms++];
            memset(t, 0, sizeof *t);
            t->ref.id = dup_or_empty(ref.id);
            t->ref.name = dup_or_empty(ref.name);
            t->ref.num = ref.num;
            rc = parse_transformation(&c, t);
        } else if (!strcmp(ty, "table-settings")) {
            rc = parse_table_settings(&c, m);
        } else {
            const struct lt_dms_rule *d = lt_dms_rule_find(ty, NULL);
            rc = d ? pfail(&c, "rule-type %s is not supported: %s", ty, d->why)
                   : pfail(&c, "rule-type: \"%s\" is not a DMS rule type (selection, transformation, "
                           "table-settings)", ty);
        }
        ref_free(&ref);
    }
    free(ids);
    if (rc)
        return rc;
    if (cfg->nrules == 0 || !lt_rules_have_include(cfg->rules, cfg->nrules))
        return lt_fail(err, LT_ERR_CONFIG,
                       "config: table_mappings.rules: needs at least one selection rule with rule-action include");
    if (m->ntransforms > 1)
        qsort(m->transforms, (size_t)m->ntransforms, sizeof *m->transforms, compare_transforms);
    if (!m->nfilters && !m->ntransforms && !m->nsettings && !m->wants_views) {
        lt_mapping_free(m);
        cfg->mapping = NULL;
        return LT_OK;
    }
    return LT_OK;
}
