/* Transformation rules compiled per source table (see table_transform.h). */
#include "agent/table_transform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/mapping_expr.h"
#include "agent/mapping_rules.h"
#include "agent/table_mapping.h"

enum out_kind { OC_COPY, OC_CONV, OC_NULL, OC_CONST, OC_EXPR, OC_TIME };

struct out_col {
    enum out_kind kind;
    int src;                 /* OC_COPY, OC_CONV: the source column */
    struct lt_conv conv;
    char *constant;          /* OC_CONST */
    struct lt_expr *expr;    /* OC_EXPR */
    int fraction;            /* OC_EXPR, OC_TIME: fraction digits of commit times */
    const struct lt_transform_rule *named_by; /* the rule that gave it its name, if one did */
};

struct lt_table_map {
    bool identity;
    struct lt_table_schema *out;
    struct out_col *cols;
};

/* ---- names ---- */

static bool is_name_action(enum lt_tr_action a)
{
    return a == LT_TR_RENAME || a == LT_TR_CONVERT_LOWERCASE || a == LT_TR_CONVERT_UPPERCASE ||
           a == LT_TR_ADD_PREFIX || a == LT_TR_REMOVE_PREFIX || a == LT_TR_REPLACE_PREFIX || a == LT_TR_ADD_SUFFIX ||
           a == LT_TR_REMOVE_SUFFIX || a == LT_TR_REPLACE_SUFFIX;
}

/* One name rule applied to a name (malloc'd result; the name itself when the rule does not change it). */
static char *apply_name(const struct lt_transform_rule *r, const char *name)
{
    size_t n = strlen(name), v = r->value ? strlen(r->value) : 0, o = r->old_value ? strlen(r->old_value) : 0;
    char *out = malloc(n + v + 2);
    if (!out)
        return NULL;
    switch (r->action) {
    case LT_TR_RENAME: strcpy(out, r->value); break;
    case LT_TR_CONVERT_LOWERCASE:
    case LT_TR_CONVERT_UPPERCASE:
        for (size_t i = 0; i <= n; i++) { /* ASCII letters, as DMS's own examples; other characters kept */
            char c = name[i];
            out[i] = r->action == LT_TR_CONVERT_LOWERCASE ? (c >= 'A' && c <= 'Z' ? c + 32 : c)
                                                          : (c >= 'a' && c <= 'z' ? c - 32 : c);
        }
        break;
    case LT_TR_ADD_PREFIX: snprintf(out, n + v + 2, "%s%s", r->value, name); break;
    case LT_TR_ADD_SUFFIX: snprintf(out, n + v + 2, "%s%s", name, r->value); break;
    case LT_TR_REMOVE_PREFIX:
        strcpy(out, n >= v && !strncmp(name, r->value, v) ? name + v : name);
        break;
    case LT_TR_REMOVE_SUFFIX:
        strcpy(out, name);
        if (n >= v && !strcmp(name + n - v, r->value))
            out[n - v] = '\0';
        break;
    case LT_TR_REPLACE_PREFIX:
        if (n >= o && !strncmp(name, r->old_value, o))
            snprintf(out, n + v + 2, "%s%s", r->value, name + o);
        else
            strcpy(out, name);
        break;
    case LT_TR_REPLACE_SUFFIX:
        if (n >= o && !strcmp(name + n - o, r->old_value))
            snprintf(out, n + v + 2, "%.*s%s", (int)(n - o), name, r->value);
        else
            strcpy(out, name);
        break;
    default: strcpy(out, name); break;
    }
    return out;
}

static bool matches(const struct lt_transform_rule *r, const char *schema, const char *table, const char *column)
{
    if (!lt_pattern_match(r->schema_pattern, schema))
        return false;
    if (r->table_pattern && !lt_pattern_match(r->table_pattern, table))
        return false;
    if (column && r->column_pattern && !lt_pattern_match(r->column_pattern, column))
        return false;
    return true;
}

/* Applies the name rules of a target kind matching an object, in rule-id order; *changed by whether any applied. */
static char *target_name(const struct lt_mapping *m, enum lt_tr_target target, const char *schema, const char *table,
                         const char *column, const char *name, const struct lt_transform_rule **by)
{
    char *cur = strdup(name);
    for (int i = 0; cur && m && i < m->ntransforms; i++) {
        const struct lt_transform_rule *r = &m->transforms[i];
        if (r->target != target || !is_name_action(r->action) || !matches(r, schema, table, column))
            continue;
        char *next = apply_name(r, cur);
        if (by && next && strcmp(next, cur) != 0)
            *by = r;
        free(cur);
        cur = next;
    }
    return cur;
}

void lt_mapping_target_names(const struct lt_mapping *m, const char *schema, const char *table, char **out_schema,
                             char **out_table)
{
    *out_schema = target_name(m, LT_TRT_SCHEMA, schema, table, NULL, schema, NULL);
    *out_table = target_name(m, LT_TRT_TABLE, schema, table, NULL, table, NULL);
}

/* ---- building ---- */

void lt_table_map_free(struct lt_table_map *m)
{
    if (!m)
        return;
    for (int i = 0; m->out && m->cols && i < m->out->ncols; i++) {
        free(m->cols[i].constant);
        lt_expr_free(m->cols[i].expr);
    }
    free(m->cols);
    lt_schema_free(m->out);
    free(m);
}

const struct lt_table_schema *lt_table_map_schema(const struct lt_table_map *m)
{
    return m->out;
}

bool lt_table_map_identity(const struct lt_table_map *m)
{
    return m->identity;
}

static const char *type_text(const struct lt_column *c)
{
    return c->source_type ? c->source_type : lt_type_name(c->type);
}

/* The column an add-column rule adds: its kind and what it needs. */
static int build_added(const struct lt_transform_rule *r, const struct lt_table_schema *src, struct out_col *oc,
                       struct lt_error *err)
{
    const struct lt_data_type *dt = &r->data_type;
    bool string = dt->type == LT_DT_STRING || dt->type == LT_DT_WSTRING || dt->type == LT_DT_CLOB ||
                  dt->type == LT_DT_NCLOB;
    oc->src = -1;
    oc->fraction = dt->type == LT_DT_DATETIME && dt->precision >= 0 ? dt->precision : 6;
    if (!r->expression) { /* DMS adds the column without values */
        oc->kind = OC_NULL;
        return LT_OK;
    }
    int rc = lt_expr_compile(r->expression, src, &r->ref, &oc->expr, err);
    if (rc)
        return rc;
    const char *why = NULL;
    switch (lt_expr_shape_of(oc->expr)) {
    case LT_SHAPE_NULL:
        oc->kind = OC_NULL;
        break;
    case LT_SHAPE_LITERAL:
        if (string && strspn(lt_expr_literal(oc->expr), "-0123456789.") == strlen(lt_expr_literal(oc->expr)) &&
            strchr(lt_expr_literal(oc->expr), '.'))
            return lt_rule_fail(err, &r->ref, "add-column %s: the number %s becomes text as SQLite writes "
                                "floating-point numbers; give it as '%s'", r->value, lt_expr_literal(oc->expr),
                                lt_expr_literal(oc->expr));
        if (!(oc->constant = lt_conv_constant(dt, lt_expr_literal(oc->expr), &why)))
            return why ? lt_rule_fail(err, &r->ref, "add-column %s: %s %s for data type %s", r->value,
                                      lt_expr_literal(oc->expr), why, lt_dms_type_name(dt->type))
                       : lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        oc->kind = OC_CONST;
        break;
    case LT_SHAPE_COLUMN: {
        const struct lt_column *c = &src->cols[lt_expr_column(oc->expr)];
        if (!lt_conv_plan(c, dt, &oc->conv, &why))
            return lt_rule_fail(err, &r->ref, "add-column %s: column %s (%s) as %s: %s", r->value, c->name,
                                type_text(c), lt_dms_type_name(dt->type), why);
        oc->kind = OC_CONV;
        oc->src = lt_expr_column(oc->expr);
        break;
    }
    case LT_SHAPE_TIME:
        if (!string && dt->type != LT_DT_DATETIME)
            return lt_rule_fail(err, &r->ref, "add-column %s: a commit time is a datetime (or string), not %s",
                                r->value, lt_dms_type_name(dt->type));
        oc->kind = OC_TIME;
        break;
    case LT_SHAPE_TEXT:
        if (!string)
            return lt_rule_fail(err, &r->ref, "add-column %s: this expression gives text; its data-type must be a "
                                "string type, not %s", r->value, lt_dms_type_name(dt->type));
        oc->kind = OC_EXPR;
        break;
    }
    return LT_OK;
}

int lt_table_map_build(const struct lt_task_config *cfg, const struct lt_table_schema *src, struct lt_table_map **out,
                       struct lt_error *err)
{
    *out = NULL;
    const struct lt_mapping *mp = cfg->mapping;
    struct lt_table_map *m = calloc(1, sizeof *m);
    if (!m)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    const char *S = src->schema_name, *T = src->table_name;
    int nadd = 0;
    for (int i = 0; mp && i < mp->ntransforms; i++)
        nadd += mp->transforms[i].action == LT_TR_ADD_COLUMN && matches(&mp->transforms[i], S, T, NULL);
    int cap = src->ncols + nadd;
    char *schema_name = NULL, *table_name = NULL;
    lt_mapping_target_names(mp, S, T, &schema_name, &table_name);
    m->cols = calloc(cap > 0 ? (size_t)cap : 1, sizeof *m->cols);
    struct lt_table_schema *o = schema_name && table_name ? lt_schema_new(schema_name, table_name, cap) : NULL;
    m->out = o;
    int rc = LT_OK;
    if (!m->cols || !o) {
        rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        goto out;
    }
    bool changed = strcmp(schema_name, S) != 0 || strcmp(table_name, T) != 0 || nadd > 0;
    if (!*schema_name || !*table_name) {
        rc = lt_fail(err, LT_ERR_CONFIG, "config: table mapping: the rules give %s.%s an empty %s name", S, T,
                     *schema_name ? "table" : "schema");
        goto out;
    }
    int n = 0;
    for (int c = 0; c < src->ncols; c++) {
        const struct lt_column *col = &src->cols[c];
        const struct lt_transform_rule *removed = NULL, *conv_rule = NULL;
        for (int i = 0; mp && i < mp->ntransforms; i++) {
            const struct lt_transform_rule *r = &mp->transforms[i];
            if (r->target != LT_TRT_COLUMN || !r->column_pattern || !matches(r, S, T, col->name))
                continue;
            if (r->action == LT_TR_REMOVE_COLUMN && !removed)
                removed = r;
            if (r->action == LT_TR_CHANGE_DATA_TYPE) {
                if (conv_rule) {
                    rc = lt_rule_fail(err, &r->ref, "change-data-type: column %s of %s.%s gets its type from rule-id "
                                      "%s too; one type per column", col->name, S, T, conv_rule->ref.id);
                    goto out;
                }
                conv_rule = r;
            }
        }
        if (removed) {
            if (col->is_key) {
                rc = lt_rule_fail(err, &removed->ref, "remove-column: %s is a key column of %s.%s: the files would "
                                  "no longer identify rows (define another key with define-primary-key)", col->name,
                                  S, T);
                goto out;
            }
            changed = true;
            continue;
        }
        const struct lt_transform_rule *named_by = NULL;
        char *name = target_name(mp, LT_TRT_COLUMN, S, T, col->name, col->name, &named_by);
        if (!name) {
            rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
            goto out;
        }
        changed |= strcmp(name, col->name) != 0;
        struct out_col *oc = &m->cols[n];
        oc->kind = OC_COPY;
        oc->src = c;
        oc->named_by = named_by;
        if (conv_rule) {
            const char *why = NULL;
            if (!lt_conv_plan(col, &conv_rule->data_type, &oc->conv, &why)) {
                rc = lt_rule_fail(err, &conv_rule->ref, "change-data-type: column %s of %s.%s (%s) to %s: %s",
                                  col->name, S, T, type_text(col), lt_dms_type_name(conv_rule->data_type.type), why);
                free(name);
                goto out;
            }
            enum lt_type t;
            int p, s;
            char st[64];
            lt_dms_type_column(&conv_rule->data_type, &t, &p, &s, st, sizeof st);
            oc->kind = oc->conv.op == LT_CONV_COPY ? OC_COPY : OC_CONV;
            lt_schema_set_column(o, n, name, t, p, s, col->is_key, col->nullable, st);
            lt_column_set_origin(&o->cols[n], col->name, oc->conv.text_changes);
            changed = true;
        } else {
            lt_schema_set_column(o, n, name, col->type, col->precision, col->scale, col->is_key, col->nullable,
                                 col->source_type);
            lt_column_set_origin(&o->cols[n], col->name, false);
        }
        free(name);
        n++;
    }
    for (int i = 0; mp && i < mp->ntransforms; i++) {
        const struct lt_transform_rule *r = &mp->transforms[i];
        if (r->action != LT_TR_ADD_COLUMN || !matches(r, S, T, NULL))
            continue;
        m->cols[n].named_by = r;
        if ((rc = build_added(r, src, &m->cols[n], err)))
            goto out;
        enum lt_type t;
        int p, s;
        char st[64];
        lt_dms_type_column(&r->data_type, &t, &p, &s, st, sizeof st);
        lt_schema_set_column(o, n, r->value, t, p, s, false, true, st);
        lt_column_set_origin(&o->cols[n], "", false);
        n++;
    }
    o->ncols = n;
    for (int a = 0; a < n; a++) {
        if (!*o->cols[a].name) {
            rc = lt_fail(err, LT_ERR_CONFIG, "config: table mapping: the rules leave a column of %s.%s without a "
                         "name", S, T);
            goto out;
        }
        for (int b = 0; b < a; b++)
            if (!strcmp(o->cols[a].name, o->cols[b].name)) {
                const struct lt_transform_rule *by = m->cols[a].named_by ? m->cols[a].named_by : m->cols[b].named_by;
                char what[600];
                snprintf(what, sizeof what, "the rules give two columns of %s.%s the name %s (from %s and %s); DMS "
                         "does not support two columns of one name either", S, T, o->cols[a].name,
                         *o->cols[b].origin ? o->cols[b].origin : "an add-column rule",
                         *o->cols[a].origin ? o->cols[a].origin : "an add-column rule");
                rc = by ? lt_rule_fail(err, &by->ref, "%s", what)
                        : lt_fail(err, LT_ERR_CONFIG, "config: table mapping: %s", what);
                goto out;
            }
    }
    if (!changed) { /* no rule changes this table: the files are the source's, without mapping notes */
        lt_schema_free(o);
        m->out = lt_schema_copy(src);
        m->identity = true;
        if (!m->out)
            rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    } else {
        lt_schema_set_origin(o, S, T);
    }
out:
    free(schema_name);
    free(table_name);
    if (rc) {
        lt_table_map_free(m);
        return rc;
    }
    *out = m;
    return LT_OK;
}

/* ---- rows ---- */

void lt_map_scratch_free(struct lt_map_scratch *s)
{
    free(s->vals);
    free(s->offs);
    lt_text_buf_free(&s->buf);
    memset(s, 0, sizeof *s);
}

const struct lt_row *lt_table_map_row(const struct lt_table_map *m, const struct lt_row *in, struct lt_map_scratch *s,
                                      struct lt_row *out, struct lt_error *err)
{
    if (m->identity)
        return in;
    int n = m->out->ncols;
    if (n > s->cap) {
        struct lt_value *v = realloc(s->vals, (size_t)n * sizeof *v);
        size_t *o = v ? realloc(s->offs, (size_t)n * sizeof *o) : NULL;
        if (v)
            s->vals = v;
        if (!v || !o) {
            lt_fail(err, LT_ERR_RUNTIME, "out of memory");
            return NULL;
        }
        s->offs = o;
        s->cap = n;
    }
    s->buf.len = 0;
    bool in_buf[n > 0 ? n : 1];
    for (int i = 0; i < n; i++) {
        const struct out_col *oc = &m->cols[i];
        struct lt_value *v = &s->vals[i];
        in_buf[i] = false;
        switch (oc->kind) {
        case OC_COPY:
            *v = in->vals[oc->src];
            break;
        case OC_CONV: {
            const struct lt_value *x = &in->vals[oc->src];
            *v = *x;
            if (x->state == LT_VALUE_PRESENT && oc->conv.op != LT_CONV_COPY) {
                size_t off, len;
                lt_conv_apply(&oc->conv, x->data, x->len, &s->buf, &off, &len);
                s->offs[i] = off;
                v->len = (uint32_t)len;
                in_buf[i] = true;
            }
            break;
        }
        case OC_NULL:
            *v = (struct lt_value){.state = LT_VALUE_NULL};
            break;
        case OC_CONST:
            *v = (struct lt_value){.data = oc->constant, .len = (uint32_t)strlen(oc->constant),
                                   .state = LT_VALUE_PRESENT};
            break;
        case OC_TIME: {
            char ts[32];
            lt_format_timestamp_us(in->commit_ts_us, ts);
            size_t len = 19 + (oc->fraction > 0 ? (size_t)oc->fraction + 1 : 0);
            s->offs[i] = lt_text_buf_put(&s->buf, ts, len);
            *v = (struct lt_value){.len = (uint32_t)len, .state = LT_VALUE_PRESENT};
            in_buf[i] = true;
            break;
        }
        case OC_EXPR: {
            uint8_t state;
            size_t off, len;
            lt_expr_eval(oc->expr, in, oc->fraction, &s->buf, &state, &off, &len);
            *v = (struct lt_value){.len = (uint32_t)len, .state = state};
            s->offs[i] = off;
            in_buf[i] = state == LT_VALUE_PRESENT;
            break;
        }
        }
    }
    if (s->buf.oom) {
        lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        return NULL;
    }
    for (int i = 0; i < n; i++) /* the buffer is where it will stay for this row now */
        if (in_buf[i])
            s->vals[i].data = s->buf.p + s->offs[i];
    *out = *in;
    out->nvals = n;
    out->vals = s->vals;
    out->schema = in->schema ? m->out : NULL;
    return out;
}

/* ---- define-primary-key ---- */

int lt_mapping_apply_key(const struct lt_task_config *cfg, struct lt_table_schema *schema, struct lt_error *err)
{
    const struct lt_transform_rule *r = lt_mapping_primary_key(cfg->mapping, schema->schema_name, schema->table_name);
    if (!r)
        return LT_OK;
    for (int k = 0; k < r->npk; k++) {
        bool found = false;
        for (int c = 0; c < schema->ncols; c++)
            found |= !strcmp(schema->cols[c].name, r->pk_columns[k]);
        if (!found)
            return lt_rule_fail(err, &r->ref, "define-primary-key: %s.%s has no column %s", schema->schema_name,
                                schema->table_name, r->pk_columns[k]);
    }
    for (int c = 0; c < schema->ncols; c++) {
        bool key = false;
        for (int k = 0; k < r->npk; k++)
            key |= !strcmp(schema->cols[c].name, r->pk_columns[k]);
        schema->cols[c].is_key = key;
    }
    return LT_OK;
}
