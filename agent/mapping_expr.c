/* add-column expressions: parser, binder and evaluator (see mapping_expr.h). */
#include "agent/mapping_expr.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/mapping_rules.h"
#include "agent/typed_value.h"

enum node_kind { N_STR, N_NULL, N_COL, N_OP, N_TIME, N_CONCAT, N_FUNC };
enum fn { F_UPPER, F_LOWER, F_TRIM, F_LTRIM, F_RTRIM, F_REPLACE, F_SUBSTR, F_COALESCE, F_IFNULL, F_OPIND };

struct node {
    enum node_kind k;
    char *text;         /* N_STR: the text (literals and metadata constants) */
    size_t len;
    bool number;        /* N_STR from a number literal */
    bool decimal;       /* ... with a fraction */
    int col;            /* N_COL */
    enum fn fn;         /* N_FUNC */
    int nargs;
    struct node **args;
    long long p1, p2;   /* substr positions */
    bool has_p2;
};

struct lt_expr {
    struct node *root;
};

static void node_free(struct node *n)
{
    if (!n)
        return;
    for (int i = 0; i < n->nargs; i++)
        node_free(n->args[i]);
    free(n->args);
    free(n->text);
    free(n);
}

void lt_expr_free(struct lt_expr *e)
{
    if (e) {
        node_free(e->root);
        free(e);
    }
}

/* ---- parser ---- */

struct parser {
    const char *s, *p;
    const struct lt_table_schema *src;
    const struct lt_rule_ref *ref;
    struct lt_error *err;
    bool failed;
};

static struct node *fail(struct parser *ps, const char *fmt, const char *arg)
{
    if (!ps->failed) {
        char what[300];
        snprintf(what, sizeof what, fmt, arg);
        lt_rule_fail(ps->err, ps->ref, "expression \"%s\": %s", ps->s, what);
        ps->failed = true;
    }
    return NULL;
}

static void skip_ws(struct parser *ps)
{
    while (*ps->p && isspace((unsigned char)*ps->p))
        ps->p++;
}

static struct node *new_node(enum node_kind k)
{
    struct node *n = calloc(1, sizeof *n);
    if (n) {
        n->k = k;
        n->col = -1;
    }
    return n;
}

static struct node *str_node(const char *s, size_t len)
{
    struct node *n = new_node(N_STR);
    if (n && !(n->text = malloc(len + 1))) {
        free(n);
        return NULL;
    }
    if (n) {
        memcpy(n->text, s, len);
        n->text[len] = '\0';
        n->len = len;
    }
    return n;
}

/* Whether a column's canonical text is the text SQLite would see for it. */
static bool text_safe(const struct lt_column *c)
{
    if (c->type == LT_TYPE_INT16 || c->type == LT_TYPE_INT32 || c->type == LT_TYPE_INT64)
        return true;
    enum lt_cmp_kind k = lt_cmp_kind_of(c);
    return k == LT_CMP_TEXT || k == LT_CMP_BPCHAR || c->type == LT_TYPE_UUID;
}

static struct node *parse_concat(struct parser *ps);

static bool text_context_ok(struct parser *ps, const struct node *n)
{
    if (n->k == N_STR && n->decimal) {
        fail(ps, "a number with a fraction (%s) becomes text as SQLite writes floating-point numbers; give it as "
                 "'text'", n->text);
        return false;
    }
    if (n->k == N_COL && !text_safe(&ps->src->cols[n->col])) {
        const struct lt_column *c = &ps->src->cols[n->col];
        char msg[200];
        snprintf(msg, sizeof msg, "column %s (%s) has no text form DMS documents to compute with", c->name,
                 c->source_type ? c->source_type : lt_type_name(c->type));
        fail(ps, "%s", msg);
        return false;
    }
    return true;
}

static struct node *parse_primary(struct parser *ps)
{
    skip_ws(ps);
    const char *p = ps->p;
    if (*p == '\'') {
        /* 'text' with '' for a quote */
        size_t cap = strlen(p), len = 0;
        char *buf = malloc(cap + 1);
        if (!buf)
            return fail(ps, "%s", "out of memory");
        p++;
        for (;;) {
            if (!*p) {
                free(buf);
                return fail(ps, "%s", "a text literal has no closing quote");
            }
            if (*p == '\'' && p[1] == '\'') {
                buf[len++] = '\'';
                p += 2;
            } else if (*p == '\'') {
                p++;
                break;
            } else {
                buf[len++] = *p++;
            }
        }
        ps->p = p;
        struct node *n = str_node(buf, len);
        free(buf);
        return n ? n : fail(ps, "%s", "out of memory");
    }
    if (isdigit((unsigned char)*p) || (*p == '-' && isdigit((unsigned char)p[1]))) {
        const char *start = p;
        if (*p == '-')
            p++;
        while (isdigit((unsigned char)*p))
            p++;
        bool decimal = false;
        if (*p == '.' && isdigit((unsigned char)p[1])) {
            decimal = true;
            p++;
            while (isdigit((unsigned char)*p))
                p++;
        }
        if (isalpha((unsigned char)*p) || *p == '.')
            return fail(ps, "%s", "a number logtap cannot read (only digits, with one point)");
        ps->p = p;
        struct node *n;
        if (decimal) {
            n = str_node(start, (size_t)(p - start));
        } else { /* SQLite's text of an integer: no leading zeros */
            char tmp[40];
            if (p - start > 19)
                return fail(ps, "%s", "an integer literal larger than 64 bits");
            snprintf(tmp, sizeof tmp, "%lld", strtoll(start, NULL, 10));
            n = str_node(tmp, strlen(tmp));
        }
        if (!n)
            return fail(ps, "%s", "out of memory");
        n->number = true;
        n->decimal = decimal;
        return n;
    }
    if (*p == '(') {
        ps->p++;
        struct node *n = parse_concat(ps);
        skip_ws(ps);
        if (!n)
            return NULL;
        if (*ps->p != ')') {
            node_free(n);
            return fail(ps, "%s", "a ( has no matching )");
        }
        ps->p++;
        return n;
    }
    if (*p == '$') {
        const char *start = ++p;
        while (isalnum((unsigned char)*p) || *p == '_')
            p++;
        size_t len = (size_t)(p - start);
        char name[256];
        if (len == 0 || len >= sizeof name)
            return fail(ps, "%s", "$ is not followed by a column or header name");
        memcpy(name, start, len);
        name[len] = '\0';
        ps->p = p;
        if (!strcmp(name, "AR_H_OPERATION"))
            return new_node(N_OP);
        if (!strcmp(name, "AR_H_COMMIT_TIMESTAMP") || !strcmp(name, "AR_H_TIMESTAMP"))
            return new_node(N_TIME);
        if (!strcmp(name, "AR_M_SOURCE_SCHEMA"))
            return str_node(ps->src->schema_name, strlen(ps->src->schema_name));
        if (!strcmp(name, "AR_M_SOURCE_TABLE_NAME"))
            return str_node(ps->src->table_name, strlen(ps->src->table_name));
        if (!strncmp(name, "AR_H_", 5) || !strncmp(name, "AR_M_", 5))
            return fail(ps, "header $%s is not supported (logtap has $AR_H_OPERATION, $AR_H_COMMIT_TIMESTAMP, "
                            "$AR_H_TIMESTAMP, $AR_M_SOURCE_SCHEMA, $AR_M_SOURCE_TABLE_NAME; _logtap_pos orders the "
                            "changes)", name);
        for (int i = 0; i < ps->src->ncols; i++)
            if (!strcmp(ps->src->cols[i].name, name)) {
                struct node *n = new_node(N_COL);
                if (n)
                    n->col = i;
                return n ? n : fail(ps, "%s", "out of memory");
            }
        return fail(ps, "the source table has no column %s", name);
    }
    if (isalpha((unsigned char)*p) || *p == '_') {
        const char *start = p;
        while (isalnum((unsigned char)*p) || *p == '_')
            p++;
        size_t len = (size_t)(p - start);
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(len < 63 ? len : 63), start);
        ps->p = p;
        if (!strcasecmp(name, "NULL"))
            return new_node(N_NULL);
        static const char *const fns[] = {"upper", "lower", "trim", "ltrim", "rtrim", "replace", "substr",
                                          "coalesce", "ifnull", "operation_indicator", NULL};
        int f = -1;
        for (int i = 0; fns[i]; i++)
            if (!strcasecmp(name, fns[i]))
                f = i;
        skip_ws(ps);
        if (f < 0)
            return fail(ps, *ps->p == '(' ? "function %s is not supported (logtap evaluates upper, lower, trim, "
                                            "ltrim, rtrim, replace, substr, coalesce, ifnull, operation_indicator)"
                                          : "%s: a column is written $name; other SQL is not supported",
                        name);
        if (*ps->p != '(')
            return fail(ps, "%s needs its arguments in ( )", name);
        ps->p++;
        struct node *n = new_node(N_FUNC);
        if (!n)
            return fail(ps, "%s", "out of memory");
        n->fn = (enum fn)f;
        n->args = calloc(8, sizeof *n->args);
        skip_ws(ps);
        while (n->args && *ps->p != ')') {
            if (n->nargs == 8) {
                node_free(n);
                return fail(ps, "%s has too many arguments", name);
            }
            struct node *a = parse_concat(ps);
            if (!a) {
                node_free(n);
                return NULL;
            }
            n->args[n->nargs++] = a;
            skip_ws(ps);
            if (*ps->p == ',')
                ps->p++;
            else if (*ps->p != ')') {
                node_free(n);
                return fail(ps, "%s", "expected , or ) in a function's arguments");
            }
        }
        if (!n->args) {
            node_free(n);
            return fail(ps, "%s", "out of memory");
        }
        ps->p++;
        int lo[] = {1, 1, 1, 1, 1, 3, 2, 2, 2, 3}, hi[] = {1, 1, 2, 2, 2, 3, 3, 8, 2, 3};
        if (n->nargs < lo[f] || n->nargs > hi[f]) {
            node_free(n);
            return fail(ps, "%s has the wrong number of arguments", name);
        }
        if (n->fn == F_SUBSTR) { /* constant positions */
            for (int i = 1; i < n->nargs; i++)
                if (n->args[i]->k != N_STR || !n->args[i]->number || n->args[i]->decimal) {
                    node_free(n);
                    return fail(ps, "%s", "substr's positions must be whole-number literals");
                }
            n->p1 = strtoll(n->args[1]->text, NULL, 10);
            n->has_p2 = n->nargs == 3;
            n->p2 = n->has_p2 ? strtoll(n->args[2]->text, NULL, 10) : 0;
        }
        if (n->fn == F_OPIND)
            for (int i = 0; i < 3; i++)
                if (n->args[i]->k != N_STR || n->args[i]->number) {
                    node_free(n);
                    return fail(ps, "%s", "operation_indicator takes three text literals");
                }
        for (int i = 0; i < n->nargs; i++)
            if (!(n->fn == F_SUBSTR && i > 0) && !text_context_ok(ps, n->args[i])) {
                node_free(n);
                return NULL;
            }
        return n;
    }
    if (!*p)
        return fail(ps, "%s", "ends where a value was expected");
    char c[2] = {*p, '\0'};
    return fail(ps, "\"%s\" is not supported (logtap evaluates literals, $columns, headers, || and a few "
                    "functions; no arithmetic, CASE or comparisons)", c);
}

static struct node *parse_concat(struct parser *ps)
{
    struct node *first = parse_primary(ps);
    if (!first)
        return NULL;
    skip_ws(ps);
    if (!(ps->p[0] == '|' && ps->p[1] == '|'))
        return first;
    struct node *n = new_node(N_CONCAT);
    if (!n || !(n->args = calloc(64, sizeof *n->args))) {
        free(n);
        node_free(first);
        return fail(ps, "%s", "out of memory");
    }
    n->args[n->nargs++] = first;
    while (ps->p[0] == '|' && ps->p[1] == '|') {
        ps->p += 2;
        if (n->nargs == 64) {
            node_free(n);
            return fail(ps, "%s", "more than 64 operands of ||");
        }
        struct node *a = parse_primary(ps);
        if (!a) {
            node_free(n);
            return NULL;
        }
        n->args[n->nargs++] = a;
        skip_ws(ps);
    }
    for (int i = 0; i < n->nargs; i++)
        if (!text_context_ok(ps, n->args[i])) {
            node_free(n);
            return NULL;
        }
    return n;
}

int lt_expr_compile(const char *text, const struct lt_table_schema *src, const struct lt_rule_ref *ref,
                    struct lt_expr **out, struct lt_error *err)
{
    *out = NULL;
    struct parser ps = {.s = text, .p = text, .src = src, .ref = ref, .err = err};
    struct node *root = parse_concat(&ps);
    skip_ws(&ps);
    if (root && *ps.p) {
        node_free(root);
        root = fail(&ps, "\"%s\" after the expression is not supported (no arithmetic or comparisons)", ps.p);
    }
    if (!root)
        return ps.failed ? LT_ERR_CONFIG : lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    struct lt_expr *e = calloc(1, sizeof *e);
    if (!e) {
        node_free(root);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    e->root = root;
    *out = e;
    return LT_OK;
}

enum lt_expr_shape lt_expr_shape_of(const struct lt_expr *e)
{
    switch (e->root->k) {
    case N_NULL: return LT_SHAPE_NULL;
    case N_STR: return LT_SHAPE_LITERAL;
    case N_COL: return LT_SHAPE_COLUMN;
    case N_TIME: return LT_SHAPE_TIME;
    default: return LT_SHAPE_TEXT;
    }
}

const char *lt_expr_literal(const struct lt_expr *e)
{
    return e->root->k == N_STR ? e->root->text : NULL;
}

int lt_expr_column(const struct lt_expr *e)
{
    return e->root->col;
}

/* ---- evaluation ---- */

/* A value: NULL, unchanged, or text that is either outside buf (ptr) or in it (at off). */
struct res {
    uint8_t state;
    bool in_buf;
    const char *ptr;
    size_t off, len;
};

static const char *res_data(const struct lt_text_buf *b, const struct res *r)
{
    return r->in_buf ? b->p + r->off : r->ptr;
}

/* Appends a result's text to buf (safe when it lies in buf: the room is made first, offsets stay valid). */
static void put_res(struct lt_text_buf *b, const struct res *r)
{
    if (!r->in_buf) {
        lt_text_buf_put(b, r->ptr, r->len);
        return;
    }
    if (!lt_text_buf_reserve(b, r->len))
        return;
    memmove(b->p + b->len, b->p + r->off, r->len);
    b->len += r->len;
    b->p[b->len] = '\0';
}

static size_t utf8_len(unsigned char c)
{
    return c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
}

/* Whether the character at s (n bytes) is one of set's characters. */
static bool in_set(const char *s, size_t n, const char *set, size_t setlen)
{
    for (size_t i = 0; i < setlen;) {
        size_t k = utf8_len((unsigned char)set[i]);
        if (k == n && !memcmp(set + i, s, n))
            return true;
        i += k;
    }
    return false;
}

static void eval(const struct node *n, const struct lt_row *row, int fraction, struct lt_text_buf *b, struct res *out);

static void eval_func(const struct node *n, const struct lt_row *row, int fraction, struct lt_text_buf *b,
                      struct res *out)
{
    struct res a[8];
    if (n->fn == F_OPIND) {
        const struct node *pick = n->args[row->op == 'D' ? 0 : row->op == 'U' ? 1 : 2];
        *out = (struct res){.state = LT_VALUE_PRESENT, .ptr = pick->text, .len = pick->len};
        return;
    }
    if (n->fn == F_COALESCE || n->fn == F_IFNULL) {
        for (int i = 0; i < n->nargs; i++) {
            eval(n->args[i], row, fraction, b, &a[0]);
            if (a[0].state != LT_VALUE_NULL) {
                *out = a[0];
                return;
            }
        }
        *out = (struct res){.state = LT_VALUE_NULL};
        return;
    }
    int nargs = n->fn == F_SUBSTR ? 1 : n->nargs;
    for (int i = 0; i < nargs; i++) {
        eval(n->args[i], row, fraction, b, &a[i]);
        if (a[i].state != LT_VALUE_PRESENT) {
            *out = (struct res){.state = a[i].state};
            return;
        }
    }
    const char *x = res_data(b, &a[0]);
    size_t xn = a[0].len;
    switch (n->fn) {
    case F_UPPER:
    case F_LOWER: {
        size_t at = b->len;
        put_res(b, &a[0]);
        for (size_t i = 0; i < xn && !b->oom; i++) {
            char c = b->p[at + i];
            b->p[at + i] = (char)(n->fn == F_UPPER ? (c >= 'a' && c <= 'z' ? c - 32 : c)
                                                   : (c >= 'A' && c <= 'Z' ? c + 32 : c));
        }
        *out = (struct res){.state = LT_VALUE_PRESENT, .in_buf = true, .off = at, .len = xn};
        return;
    }
    case F_TRIM:
    case F_LTRIM:
    case F_RTRIM: {
        const char *set = " ";
        size_t setlen = 1;
        if (n->nargs == 2) {
            set = res_data(b, &a[1]);
            setlen = a[1].len;
        }
        size_t lo = 0, hi = xn;
        if (n->fn != F_RTRIM)
            while (lo < hi) {
                size_t k = utf8_len((unsigned char)x[lo]);
                if (lo + k > hi || !in_set(x + lo, k, set, setlen))
                    break;
                lo += k;
            }
        if (n->fn != F_LTRIM)
            while (hi > lo) {
                size_t k = 1;
                while (k < 4 && hi - k > lo && ((unsigned char)x[hi - k] & 0xC0) == 0x80)
                    k++;
                if (!in_set(x + hi - k, k, set, setlen))
                    break;
                hi -= k;
            }
        *out = a[0];
        if (out->in_buf)
            out->off += lo;
        else
            out->ptr += lo;
        out->len = hi - lo;
        return;
    }
    case F_REPLACE: {
        const char *y = res_data(b, &a[1]);
        size_t yn = a[1].len;
        if (yn == 0) {
            *out = a[0];
            return;
        }
        /* the parts of x between the matches, and z for each: built at the end of buf, by offsets */
        size_t at = b->len;
        for (size_t i = 0; i < xn;) {
            x = res_data(b, &a[0]);
            y = res_data(b, &a[1]);
            if (i + yn <= xn && !memcmp(x + i, y, yn)) {
                put_res(b, &a[2]);
                i += yn;
            } else {
                struct res one = a[0];
                if (one.in_buf)
                    one.off += i;
                else
                    one.ptr += i;
                one.len = 1;
                put_res(b, &one);
                i++;
            }
            if (b->oom)
                break;
        }
        *out = (struct res){.state = LT_VALUE_PRESENT, .in_buf = true, .off = at, .len = b->len - at};
        return;
    }
    case F_SUBSTR: {
        /* SQLite's substr on characters: positions from 1, negative from the end, a negative length before */
        long long len = 0;
        for (size_t i = 0; i < xn; i += utf8_len((unsigned char)x[i]))
            len++;
        long long p1 = n->p1, p2 = n->has_p2 ? n->p2 : len + 1;
        bool neg2 = false;
        if (p2 < 0) {
            p2 = -p2;
            neg2 = true;
        }
        if (p1 < 0) {
            p1 += len;
            if (p1 < 0) {
                p2 += p1;
                if (p2 < 0)
                    p2 = 0;
                p1 = 0;
            }
        } else if (p1 > 0) {
            p1--;
        } else if (p2 > 0) {
            p2--;
        }
        if (neg2) {
            p1 -= p2;
            if (p1 < 0) {
                p2 += p1;
                p1 = 0;
            }
        }
        size_t from = 0, to;
        long long c = 0;
        while (from < xn && c < p1) {
            from += utf8_len((unsigned char)x[from]);
            c++;
        }
        to = from;
        c = 0;
        while (to < xn && c < p2) {
            to += utf8_len((unsigned char)x[to]);
            c++;
        }
        if (from > xn)
            from = xn;
        if (to > xn)
            to = xn;
        *out = a[0];
        if (out->in_buf)
            out->off += from;
        else
            out->ptr += from;
        out->len = to - from;
        return;
    }
    default:
        *out = (struct res){.state = LT_VALUE_NULL};
        return;
    }
}

static void eval(const struct node *n, const struct lt_row *row, int fraction, struct lt_text_buf *b, struct res *out)
{
    switch (n->k) {
    case N_STR:
        *out = (struct res){.state = LT_VALUE_PRESENT, .ptr = n->text, .len = n->len};
        return;
    case N_NULL:
        *out = (struct res){.state = LT_VALUE_NULL};
        return;
    case N_COL: {
        const struct lt_value *v = &row->vals[n->col];
        *out = (struct res){.state = v->state, .ptr = v->data, .len = v->len};
        return;
    }
    case N_OP: {
        const char *op = row->op == 'D' ? "DELETE" : row->op == 'U' ? "UPDATE" : "INSERT";
        *out = (struct res){.state = LT_VALUE_PRESENT, .ptr = op, .len = strlen(op)};
        return;
    }
    case N_TIME: {
        char ts[32];
        lt_format_timestamp_us(row->commit_ts_us, ts);
        size_t len = 19 + (fraction > 0 ? (size_t)fraction + 1 : 0); /* "YYYY-MM-DD HH:MM:SS" [.f...] */
        size_t at = lt_text_buf_put(b, ts, len);
        *out = (struct res){.state = LT_VALUE_PRESENT, .in_buf = true, .off = at, .len = len};
        return;
    }
    case N_CONCAT: {
        struct res parts[64];
        uint8_t state = LT_VALUE_PRESENT;
        for (int i = 0; i < n->nargs; i++) {
            eval(n->args[i], row, fraction, b, &parts[i]);
            if (parts[i].state == LT_VALUE_UNCHANGED)
                state = LT_VALUE_UNCHANGED;
            else if (parts[i].state == LT_VALUE_NULL && state == LT_VALUE_PRESENT)
                state = LT_VALUE_NULL;
        }
        if (state != LT_VALUE_PRESENT) {
            *out = (struct res){.state = state};
            return;
        }
        size_t at = b->len;
        for (int i = 0; i < n->nargs; i++)
            put_res(b, &parts[i]);
        *out = (struct res){.state = LT_VALUE_PRESENT, .in_buf = true, .off = at, .len = b->len - at};
        return;
    }
    case N_FUNC:
        eval_func(n, row, fraction, b, out);
        return;
    }
}

void lt_expr_eval(const struct lt_expr *e, const struct lt_row *row, int fraction, struct lt_text_buf *buf,
                  uint8_t *state, size_t *off, size_t *len)
{
    struct res r;
    eval(e->root, row, fraction, buf, &r);
    *state = r.state;
    *off = *len = 0;
    if (r.state != LT_VALUE_PRESENT)
        return;
    if (!r.in_buf) {
        *off = lt_text_buf_put(buf, r.ptr, r.len);
    } else {
        *off = r.off;
    }
    *len = r.len;
}
