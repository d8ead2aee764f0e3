/* Segments of a parallel full load and load-order (see load_segments.h). */
#include "agent/load_segments.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/mapping_rules.h"
#include "agent/table_mapping.h"

struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
};

static void put(struct sbuf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (!s)
        b->oom = true;
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

/* "(c1 < v1) OR (c1 = v1 AND c2 < v2) OR ...": the row is below the boundary. */
static void below(struct sbuf *b, char **cols, char **lits, int n)
{
    put(b, "(");
    for (int k = 0; k < n; k++) {
        put(b, k ? " OR (" : "(");
        for (int j = 0; j < k; j++) {
            put(b, cols[j]);
            put(b, " = ");
            put(b, lits[j]);
            put(b, " AND ");
        }
        put(b, cols[k]);
        put(b, " < ");
        put(b, lits[k]);
        put(b, ")");
    }
    put(b, ")");
}

int lt_segments_ranges(const struct lt_table_settings *ts, const struct lt_table_schema *schema,
                       enum lt_sql_dialect d, char ***conds, int *n, struct lt_error *err)
{
    *conds = NULL;
    *n = 0;
    int nc = ts->ncolumns, nb = ts->nboundaries, rc = LT_OK;
    char **cols = calloc((size_t)nc, sizeof *cols);
    enum lt_cmp_kind *kinds = calloc((size_t)nc, sizeof *kinds);
    char ***lits = calloc((size_t)nb, sizeof *lits);
    char **out = calloc((size_t)nb + 1, sizeof *out);
    if (!cols || !kinds || !lits || !out) {
        rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        goto done;
    }
    for (int j = 0; j < nc && !rc; j++) {
        const struct lt_column *c = NULL;
        for (int i = 0; i < schema->ncols; i++)
            if (!strcmp(schema->cols[i].name, ts->columns[j]))
                c = &schema->cols[i];
        if (!c) {
            rc = lt_rule_fail(err, &ts->ref, "parallel-load.columns: %s.%s has no column %s", schema->schema_name,
                              schema->table_name, ts->columns[j]);
            break;
        }
        kinds[j] = lt_cmp_kind_of(c);
        if (kinds[j] == LT_CMP_NONE || kinds[j] == LT_CMP_FLOAT32 || kinds[j] == LT_CMP_FLOAT64)
            rc = lt_rule_fail(err, &ts->ref, "parallel-load.columns: %s (%s) cannot bound segments (DMS: no DOUBLE, "
                              "FLOAT or LOB columns)", c->name, c->source_type ? c->source_type : lt_type_name(c->type));
        else if (c->nullable)
            rc = lt_rule_fail(err, &ts->ref, "parallel-load.columns: %s can be NULL: DMS loads no row with a NULL in "
                              "a range column; logtap does not drop rows, so it takes NOT NULL columns only", c->name);
        else if (!(cols[j] = lt_sql_column(d, kinds[j], c)))
            rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    for (int k = 0; k < nb && !rc; k++) {
        if (!(lits[k] = calloc((size_t)nc, sizeof *lits[k]))) {
            rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
            break;
        }
        for (int j = 0; j < nc && !rc; j++) {
            const char *why = NULL;
            char *canon = lt_typed_literal(kinds[j], ts->boundaries[k][j], &why);
            if (!canon) {
                rc = why ? lt_rule_fail(err, &ts->ref, "parallel-load.boundaries[%d]: %s for column %s %s", k,
                                        ts->boundaries[k][j], ts->columns[j], why)
                         : lt_fail(err, LT_ERR_RUNTIME, "out of memory");
                break;
            }
            lits[k][j] = lt_sql_literal(d, kinds[j], canon);
            free(canon);
            if (!lits[k][j])
                rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        }
    }
    for (int s = 0; s <= nb && !rc; s++) {
        struct sbuf b = {0};
        if (s > 0) { /* at or above the previous boundary */
            put(&b, "NOT ");
            below(&b, cols, lits[s - 1], nc);
        }
        if (s < nb) {
            if (s > 0)
                put(&b, " AND ");
            below(&b, cols, lits[s], nc);
        }
        if (b.oom) {
            free(b.p);
            rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
            break;
        }
        out[s] = b.p;
    }
done:
    for (int j = 0; cols && j < nc; j++)
        free(cols[j]);
    free(cols);
    free(kinds);
    for (int k = 0; lits && k < nb; k++) {
        for (int j = 0; lits[k] && j < nc; j++)
            free(lits[k][j]);
        free(lits[k]);
    }
    free(lits);
    if (rc) {
        for (int s = 0; out && s <= nb; s++)
            free(out[s]);
        free(out);
        return rc;
    }
    *conds = out;
    *n = nb + 1;
    return LT_OK;
}

int lt_load_order_of(const struct lt_task_config *cfg, const char *schema, const char *table)
{
    int order = 0;
    for (int i = 0; i < cfg->nrules; i++) {
        const struct lt_selection_rule *r = &cfg->rules[i];
        if (!r->include || r->load_order <= order)
            continue;
        bool match = r->explicit_only ? !strcmp(r->schema_pattern, schema) && !strcmp(r->table_pattern, table)
                                      : lt_pattern_match(r->schema_pattern, schema) && lt_pattern_match(r->table_pattern, table);
        if (match)
            order = r->load_order;
    }
    return order;
}
