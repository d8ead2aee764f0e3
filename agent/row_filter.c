/* DMS source filters compiled per table (see row_filter.h). */
#include "agent/row_filter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config.h"
#include "agent/mapping_rules.h"

struct compiled_cond {
    enum lt_filter_op op;
    char *a_text, *b_text;       /* canonical literals */
    struct lt_typed a, b;        /* pointing into them */
};

struct compiled_filter {
    int col;
    enum lt_cmp_kind kind;
    int nconds;
    struct compiled_cond *conds;
};

struct lt_row_filter {
    const struct lt_table_filter *spec;
    const struct lt_table_schema *schema; /* for the SQL: names and source types (compile-time copy) */
    struct lt_table_schema *own;
    int n;
    struct compiled_filter *f;
};

void lt_row_filter_free(struct lt_row_filter *f)
{
    if (!f)
        return;
    for (int i = 0; i < f->n; i++) {
        for (int k = 0; k < f->f[i].nconds; k++) {
            free(f->f[i].conds[k].a_text);
            free(f->f[i].conds[k].b_text);
        }
        free(f->f[i].conds);
    }
    free(f->f);
    lt_schema_free(f->own);
    free(f);
}

static bool compares(enum lt_filter_op op)
{
    return op != LT_FOP_NULL && op != LT_FOP_NOTNULL;
}

int lt_row_filter_compile(const struct lt_table_filter *spec, const struct lt_table_schema *schema,
                          struct lt_row_filter **out, struct lt_error *err)
{
    *out = NULL;
    struct lt_row_filter *f = calloc(1, sizeof *f);
    if (!f || !(f->f = calloc((size_t)spec->nfilters + 1, sizeof *f->f)) || !(f->own = lt_schema_copy(schema))) {
        lt_row_filter_free(f);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    f->spec = spec;
    f->schema = f->own;
    for (int i = 0; i < spec->nfilters; i++) {
        const struct lt_filter_spec *s = &spec->filters[i];
        struct compiled_filter *cf = &f->f[f->n++];
        cf->col = -1;
        for (int c = 0; c < schema->ncols; c++)
            if (!strcmp(schema->cols[c].name, s->column))
                cf->col = c;
        if (cf->col < 0) {
            lt_row_filter_free(f);
            return lt_rule_fail(err, &spec->ref, "filters[%d]: %s.%s has no column %s", i, schema->schema_name,
                                schema->table_name, s->column);
        }
        const struct lt_column *col = &schema->cols[cf->col];
        cf->kind = lt_cmp_kind_of(col);
        if (!(cf->conds = calloc((size_t)s->nconds, sizeof *cf->conds))) {
            lt_row_filter_free(f);
            return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        }
        for (int k = 0; k < s->nconds; k++) {
            struct compiled_cond *cc = &cf->conds[cf->nconds++];
            cc->op = s->conds[k].op;
            if (!compares(cc->op))
                continue;
            if (cf->kind == LT_CMP_NONE) {
                int rc = lt_rule_fail(err, &spec->ref, "filters[%d]: column %s of %s.%s is of type %s, which logtap "
                                      "cannot compare as the source does (only the null and notnull operators take "
                                      "it)", i, s->column, schema->schema_name, schema->table_name,
                                      col->source_type ? col->source_type : lt_type_name(col->type));
                lt_row_filter_free(f);
                return rc;
            }
            const char *why = NULL;
            const char *texts[2] = {s->conds[k].value, s->conds[k].end_value};
            char **canon[2] = {&cc->a_text, &cc->b_text};
            struct lt_typed *typed[2] = {&cc->a, &cc->b};
            for (int v = 0; v < 2 && texts[v]; v++) {
                if (!(*canon[v] = lt_typed_literal(cf->kind, texts[v], &why))) {
                    int rc = why ? lt_rule_fail(err, &spec->ref, "filters[%d]: value \"%s\" for column %s (%s) %s", i,
                                                texts[v], s->column,
                                                col->source_type ? col->source_type : lt_type_name(col->type), why)
                                 : lt_fail(err, LT_ERR_RUNTIME, "out of memory");
                    lt_row_filter_free(f);
                    return rc;
                }
                lt_typed_from_text(cf->kind, *canon[v], strlen(*canon[v]), typed[v]);
            }
        }
    }
    *out = f;
    return LT_OK;
}

bool lt_row_filter_reads(const struct lt_row_filter *f, int col)
{
    for (int i = 0; f && i < f->n; i++)
        if (f->f[i].col == col)
            return true;
    return false;
}

const struct lt_rule_ref *lt_row_filter_rule(const struct lt_row_filter *f)
{
    return &f->spec->ref;
}

/* One condition on a present, typed value. */
static bool cond_true(const struct compiled_filter *cf, const struct compiled_cond *cc, const struct lt_typed *v)
{
    switch (cc->op) {
    case LT_FOP_EQ: return lt_typed_compare(cf->kind, v, &cc->a) == 0;
    case LT_FOP_NOTEQ: return lt_typed_compare(cf->kind, v, &cc->a) != 0;
    case LT_FOP_LTE: return lt_typed_compare(cf->kind, v, &cc->a) <= 0;
    case LT_FOP_GTE: return lt_typed_compare(cf->kind, v, &cc->a) >= 0;
    case LT_FOP_BETWEEN:
        return lt_typed_compare(cf->kind, v, &cc->a) >= 0 && lt_typed_compare(cf->kind, v, &cc->b) <= 0;
    case LT_FOP_NOTBETWEEN:
        return lt_typed_compare(cf->kind, v, &cc->a) < 0 || lt_typed_compare(cf->kind, v, &cc->b) > 0;
    case LT_FOP_NULL: return false;
    case LT_FOP_NOTNULL: return true;
    }
    return false;
}

enum lt_filter_result lt_row_filter_eval(const struct lt_row_filter *f, const struct lt_value *vals,
                                         const struct lt_value *fallback)
{
    enum lt_filter_result result = LT_FILTER_IN;
    for (int i = 0; i < f->n; i++) {
        const struct compiled_filter *cf = &f->f[i];
        const struct lt_value *v = &vals[cf->col];
        if (v->state == LT_VALUE_UNCHANGED && fallback)
            v = &fallback[cf->col];
        if (v->state == LT_VALUE_UNCHANGED) {
            result = LT_FILTER_UNKNOWN;
            continue;
        }
        bool any = false;
        if (v->state == LT_VALUE_NULL) {
            for (int k = 0; k < cf->nconds && !any; k++)
                any = cf->conds[k].op == LT_FOP_NULL;
        } else {
            struct lt_typed t;
            bool typed = cf->kind == LT_CMP_NONE || lt_typed_from_text(cf->kind, v->data, v->len, &t);
            if (!typed) { /* not in the form the source writes: cannot say */
                result = LT_FILTER_UNKNOWN;
                continue;
            }
            for (int k = 0; k < cf->nconds && !any; k++)
                any = cond_true(cf, &cf->conds[k], &t);
        }
        if (!any)
            return LT_FILTER_OUT;
    }
    return result;
}

/* ---- SQL ---- */

struct buf {
    char *p;
    size_t len, cap;
    bool oom;
};

static void put(struct buf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

static void put_owned(struct buf *b, char *s)
{
    if (!s)
        b->oom = true;
    else
        put(b, s);
    free(s);
}

int lt_row_filter_sql(const struct lt_row_filter *f, enum lt_sql_dialect d, char **out, struct lt_error *err)
{
    struct buf b = {0};
    put(&b, "(");
    for (int i = 0; i < f->n; i++) {
        const struct compiled_filter *cf = &f->f[i];
        const struct lt_column *col = &f->schema->cols[cf->col];
        char *c = lt_sql_column(d, cf->kind, col);
        char *plain = lt_sql_ident(d, col->name);
        put(&b, i ? " AND (" : "(");
        for (int k = 0; k < cf->nconds; k++) {
            const struct compiled_cond *cc = &cf->conds[k];
            if (k)
                put(&b, " OR ");
            if (!c || !plain) {
                b.oom = true;
                break;
            }
            static const char *const ops[] = {" = ", " <> ", " <= ", " >= "};
            switch (cc->op) {
            case LT_FOP_EQ:
            case LT_FOP_NOTEQ:
            case LT_FOP_LTE:
            case LT_FOP_GTE:
                put(&b, c);
                put(&b, ops[cc->op]);
                put_owned(&b, lt_sql_literal(d, cf->kind, cc->a_text));
                break;
            case LT_FOP_BETWEEN:
            case LT_FOP_NOTBETWEEN:
                put(&b, c);
                put(&b, cc->op == LT_FOP_BETWEEN ? " BETWEEN " : " NOT BETWEEN ");
                put_owned(&b, lt_sql_literal(d, cf->kind, cc->a_text));
                put(&b, " AND ");
                put_owned(&b, lt_sql_literal(d, cf->kind, cc->b_text));
                break;
            case LT_FOP_NULL:
            case LT_FOP_NOTNULL:
                put(&b, plain);
                put(&b, cc->op == LT_FOP_NULL ? " IS NULL" : " IS NOT NULL");
                break;
            }
        }
        put(&b, ")");
        free(c);
        free(plain);
    }
    put(&b, ")");
    if (b.oom) {
        free(b.p);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    *out = b.p;
    return LT_OK;
}

int lt_row_filter_for(const struct lt_task_config *cfg, const struct lt_table_schema *schema,
                      struct lt_row_filter **out, struct lt_error *err)
{
    *out = NULL;
    const struct lt_table_filter *spec = lt_mapping_filter(cfg->mapping, schema->schema_name, schema->table_name);
    return spec ? lt_row_filter_compile(spec, schema, out, err) : LT_OK;
}

int lt_row_filter_where(const struct lt_task_config *cfg, const struct lt_table_schema *schema,
                        enum lt_sql_dialect d, char **out, struct lt_error *err)
{
    struct lt_row_filter *f;
    *out = NULL;
    int rc = lt_row_filter_for(cfg, schema, &f, err);
    if (rc || !f)
        return rc;
    rc = lt_row_filter_sql(f, d, out, err);
    lt_row_filter_free(f);
    return rc;
}

/* The old row's verdict when the source sent no old row: its key columns are the new row's (the key did not
 * change, or the source would have sent the old key), the rest unknown. */
static enum lt_filter_result old_without_image(const struct lt_row_filter *f, const struct lt_table_schema *schema,
                                               const struct lt_value *vals)
{
    for (int i = 0; i < f->n; i++)
        if (!schema->cols[f->f[i].col].is_key)
            return LT_FILTER_UNKNOWN;
    return lt_row_filter_eval(f, vals, NULL);
}

static bool whole(const struct lt_value *vals, int n)
{
    for (int i = 0; i < n; i++)
        if (vals[i].state == LT_VALUE_UNCHANGED)
            return false;
    return true;
}

enum lt_filter_write lt_row_filter_change(const struct lt_row_filter *f, const struct lt_table_schema *schema,
                                          char op, const struct lt_value *vals, const struct lt_value *old)
{
    if (op == 'I')
        return lt_row_filter_eval(f, vals, NULL) == LT_FILTER_OUT ? LT_FW_DROP : LT_FW_AS_IS;
    if (op == 'D')
        return lt_row_filter_eval(f, vals, NULL) == LT_FILTER_OUT ? LT_FW_DROP : LT_FW_AS_IS;
    enum lt_filter_result now = lt_row_filter_eval(f, vals, old);
    enum lt_filter_result before = old ? lt_row_filter_eval(f, old, NULL) : old_without_image(f, schema, vals);
    if (now == LT_FILTER_IN || now == LT_FILTER_UNKNOWN)
        return before == LT_FILTER_OUT && now == LT_FILTER_IN ? LT_FW_INSERT : LT_FW_AS_IS;
    if (before == LT_FILTER_OUT)
        return LT_FW_DROP;
    return old && whole(old, schema->ncols) ? LT_FW_DELETE_OLD : LT_FW_DELETE_NEW;
}
