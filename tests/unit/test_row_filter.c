/* Tests of typed comparisons (agent/typed_value.c) and DMS source filters (agent/row_filter.c): values compared as
 * the source compares them (numbers as numbers, decimals exactly, float4 in its own width, dates and times as
 * times, BC dates, infinities and NaN in PostgreSQL's places, text by bytes, character(n) without its padding), the
 * operators with NULL and unchanged values, ORed conditions and ANDed filters, values refused for their column's
 * type naming the rule, the SQL for PostgreSQL and MySQL (never the value's text pasted unescaped), and what the
 * change stream writes for an UPDATE that moves a row across the filter. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/mapping.h"
#include "agent/row_filter.h"
#include "agent/typed_value.h"
#include "tests/unit/unit.h"

static int cmp_text(enum lt_cmp_kind k, const char *a, const char *b)
{
    struct lt_typed x, y;
    bool ok = lt_typed_from_text(k, a, strlen(a), &x) && lt_typed_from_text(k, b, strlen(b), &y);
    if (!CHECK(ok)) {
        fprintf(stderr, "  cannot read %s or %s\n", a, b);
        return 99;
    }
    return lt_typed_compare(k, &x, &y);
}

#define LESS(k, a, b) CHECK_INT(cmp_text(k, a, b), -1)
#define SAME(k, a, b) CHECK_INT(cmp_text(k, a, b), 0)

static void test_compare(void)
{
    LESS(LT_CMP_INT, "9", "10");
    LESS(LT_CMP_INT, "-10", "-9");
    LESS(LT_CMP_INT, "-9223372036854775808", "9223372036854775807");
    LESS(LT_CMP_DECIMAL, "9.99", "10");
    LESS(LT_CMP_DECIMAL, "-10.5", "-10.25");
    SAME(LT_CMP_DECIMAL, "1.50", "1.5");
    SAME(LT_CMP_DECIMAL, "-0.00", "0");
    LESS(LT_CMP_DECIMAL, "0.000000000000000000000000000001", "0.00000000000000000000000000001");
    LESS(LT_CMP_DECIMAL, "99999999999999999999999999999999999", "100000000000000000000000000000000000");
    LESS(LT_CMP_DECIMAL, "-Infinity", "-99999999");
    LESS(LT_CMP_DECIMAL, "99999999", "Infinity");
    LESS(LT_CMP_DECIMAL, "Infinity", "NaN");
    SAME(LT_CMP_DECIMAL, "NaN", "NaN");
    LESS(LT_CMP_FLOAT64, "1e-300", "2.5");
    LESS(LT_CMP_FLOAT64, "Infinity", "NaN");
    LESS(LT_CMP_FLOAT64, "-Infinity", "-1e308");
    SAME(LT_CMP_FLOAT32, "0.1", "0.100000001"); /* one float4 value */
    LESS(LT_CMP_FLOAT64, "0.1", "0.100000001");
    LESS(LT_CMP_TEXT, "B", "a");                /* bytes: upper case first */
    LESS(LT_CMP_TEXT, "ab", "abc");
    LESS(LT_CMP_TEXT, "z", "\xc3\xa9");         /* é after every ASCII letter */
    SAME(LT_CMP_BPCHAR, "ab   ", "ab");
    LESS(LT_CMP_BOOL, "f", "t");
    LESS(LT_CMP_DATE, "2023-12-31", "2024-01-01");
    LESS(LT_CMP_DATE, "0044-03-15 BC", "0001-01-01");
    LESS(LT_CMP_DATE, "0045-03-15 BC", "0044-03-15 BC");
    LESS(LT_CMP_DATE, "-infinity", "0100-01-01 BC");
    LESS(LT_CMP_DATE, "9999-12-31", "infinity");
    LESS(LT_CMP_DATE, "9999-12-31", "10000-01-01");
    LESS(LT_CMP_TIMESTAMP, "2024-01-01 23:59:59.999999", "2024-01-02 00:00:00");
    LESS(LT_CMP_TIMESTAMP, "2024-01-01 10:00:00", "2024-01-01 10:00:00.5");
    SAME(LT_CMP_TIMESTAMP, "2024-01-01 10:00:00.5", "2024-01-01 10:00:00.500000");
    SAME(LT_CMP_TIMESTAMPTZ, "2024-01-01 10:00:00+00", "2024-01-01 10:00:00+00:00");
    LESS(LT_CMP_TIMESTAMPTZ, "2024-01-01 10:00:00+00", "2024-01-01 10:00:01+00");
    LESS(LT_CMP_TIME, "09:59:59.999999", "10:00:00");
    LESS(LT_CMP_TIME, "23:59:59", "24:00:00");
    LESS(LT_CMP_DURATION, "-838:59:59", "-01:00:00");
    LESS(LT_CMP_DURATION, "-00:00:01", "00:00:00");
    LESS(LT_CMP_DURATION, "99:00:00", "100:00:00");
}

static void test_literals(void)
{
    const char *why = NULL;
    struct {
        enum lt_cmp_kind k;
        const char *in, *canon;
    } good[] = {
        {LT_CMP_INT, "+0042", "42"},
        {LT_CMP_DECIMAL, "-0012.3400", "-12.34"},
        {LT_CMP_DECIMAL, ".5", "0.5"},
        {LT_CMP_DECIMAL, "-0.0", "0"},
        {LT_CMP_FLOAT32, "0.1", "0.100000001"},
        {LT_CMP_FLOAT64, "1e3", "1000"},
        {LT_CMP_BPCHAR, "ab  ", "ab"},
        {LT_CMP_UUID, "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
        {LT_CMP_BOOL, "TRUE", "t"},
        {LT_CMP_DATE, "2002-01-01", "2002-01-01"},
        {LT_CMP_TIMESTAMP, "2002-01-01", "2002-01-01 00:00:00.000000"},
        {LT_CMP_TIMESTAMP, "2002-01-01 10:11:12.5", "2002-01-01 10:11:12.500000"},
        {LT_CMP_TIMESTAMPTZ, "2002-01-01 10:00:00+02:00", "2002-01-01 08:00:00.000000"},
        {LT_CMP_TIMESTAMPTZ, "2002-01-01T00:30:00-01:00", "2002-01-01 01:30:00.000000"},
        {LT_CMP_TIME, "10:11:12", "10:11:12.000000"},
        {LT_CMP_DURATION, "-100:00:00.25", "-100:00:00.250000"},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char *c = lt_typed_literal(good[i].k, good[i].in, &why);
        if (!CHECK(c != NULL) || !CHECK_STR(c, good[i].canon))
            fprintf(stderr, "  for %s (%s)\n", good[i].in, c ? "" : why);
        struct lt_typed t;
        CHECK(c && lt_typed_from_text(good[i].k, c, strlen(c), &t));
        free(c);
    }
    struct {
        enum lt_cmp_kind k;
        const char *in;
    } bad[] = {
        {LT_CMP_INT, "10.5"}, {LT_CMP_INT, "99999999999999999999"}, {LT_CMP_INT, ""}, {LT_CMP_INT, "1; DROP"},
        {LT_CMP_DECIMAL, "1e5"}, {LT_CMP_DECIMAL, "NaN"}, {LT_CMP_DECIMAL, "."}, {LT_CMP_FLOAT64, "nan"},
        {LT_CMP_FLOAT64, "inf"}, {LT_CMP_FLOAT64, "0x10"}, {LT_CMP_FLOAT32, "1e39"}, {LT_CMP_UUID, "abc"},
        {LT_CMP_BOOL, "yes"}, {LT_CMP_DATE, "2002-1-1"}, {LT_CMP_DATE, "2002-02-30"},
        {LT_CMP_DATE, "2002-01-01 10:00:00"}, {LT_CMP_TIMESTAMP, "2002-01-01 10:00:00+02"},
        {LT_CMP_TIMESTAMP, "yesterday"}, {LT_CMP_TIME, "25:00:00"}, {LT_CMP_DURATION, "839:00:00"},
        {LT_CMP_TEXT, "\xff\xfe"}, {LT_CMP_NONE, "x"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        char *c = lt_typed_literal(bad[i].k, bad[i].in, &why);
        if (!CHECK(c == NULL && why != NULL))
            fprintf(stderr, "  %s was taken as %s\n", bad[i].in, c);
        free(c);
    }
}

static struct lt_table_schema *shop_schema(void)
{
    struct lt_table_schema *s = lt_schema_new("shop", "orders", 7);
    lt_schema_set_column(s, 0, "id", LT_TYPE_INT64, 0, 0, true, false, "bigint");
    lt_schema_set_column(s, 1, "dept", LT_TYPE_TEXT, 0, 0, false, true, "text");
    lt_schema_set_column(s, 2, "amount", LT_TYPE_DECIMAL, 10, 2, false, true, "numeric(10,2)");
    lt_schema_set_column(s, 3, "day", LT_TYPE_DATE, 0, 0, false, true, "date");
    lt_schema_set_column(s, 4, "doc", LT_TYPE_JSON, 0, 0, false, true, "jsonb");
    lt_schema_set_column(s, 5, "code", LT_TYPE_TEXT, 0, 0, false, true, "character(4)");
    lt_schema_set_column(s, 6, "at", LT_TYPE_TIMESTAMPTZ, 0, 0, false, true, "timestamp with time zone");
    return s;
}

/* A filter from "column|op|value[|end]" strings, one filter per distinct column (conditions of a column ORed). */
static struct lt_table_filter *make_filter(const char *const *conds)
{
    struct lt_table_filter *tf = calloc(1, sizeof *tf);
    tf->ref.id = strdup("7");
    tf->ref.name = strdup("only tech");
    tf->ref.num = 7;
    tf->schema = strdup("shop");
    tf->table = strdup("orders");
    tf->filters = calloc(8, sizeof *tf->filters);
    for (int i = 0; conds[i]; i++) {
        char *copy = strdup(conds[i]);
        char *col = strtok(copy, "|"), *op = strtok(NULL, "|"), *v = strtok(NULL, "|"), *e = strtok(NULL, "|");
        struct lt_filter_spec *s = NULL;
        for (int k = 0; k < tf->nfilters; k++)
            if (!strcmp(tf->filters[k].column, col))
                s = &tf->filters[k];
        if (!s) {
            s = &tf->filters[tf->nfilters++];
            s->column = strdup(col);
            s->conds = calloc(8, sizeof *s->conds);
        }
        static const char *const ops[] = {"eq", "noteq", "lte", "gte", "between", "notbetween", "null", "notnull"};
        for (int k = 0; k < 8; k++)
            if (!strcmp(op, ops[k]))
                s->conds[s->nconds].op = (enum lt_filter_op)k;
        s->conds[s->nconds].value = v ? strdup(v) : NULL;
        s->conds[s->nconds].end_value = e ? strdup(e) : NULL;
        s->nconds++;
        free(copy);
    }
    return tf;
}

static void free_filter(struct lt_table_filter *tf)
{
    struct lt_mapping m = {.nfilters = 1};
    m.filters = tf;
    /* lt_mapping_free frees the array and the struct: give it a heap copy */
    struct lt_mapping *h = malloc(sizeof *h);
    *h = m;
    lt_mapping_free(h);
}

/* Values from strings: NULL pointer = SQL NULL, "\x01" = unchanged. */
static void fill(struct lt_value *v, const char *const *s, int n)
{
    for (int i = 0; i < n; i++) {
        if (!s[i])
            v[i] = (struct lt_value){.state = LT_VALUE_NULL};
        else if (!strcmp(s[i], "\x01"))
            v[i] = (struct lt_value){.state = LT_VALUE_UNCHANGED};
        else
            v[i] = (struct lt_value){.data = s[i], .len = (uint32_t)strlen(s[i]), .state = LT_VALUE_PRESENT};
    }
}

static enum lt_filter_result eval_row(const struct lt_row_filter *f, const char *const *row)
{
    struct lt_value v[7];
    fill(v, row, 7);
    return lt_row_filter_eval(f, v, NULL);
}

static void test_eval(void)
{
    struct lt_table_schema *s = shop_schema();
    struct lt_error err = {0};
    /* (dept = tech) AND (amount <= 10 OR amount between 50 and 75 OR amount >= 100) */
    struct lt_table_filter *tf = make_filter((const char *const[]){
        "dept|eq|tech", "amount|lte|10", "amount|between|50|75", "amount|gte|100", NULL});
    struct lt_row_filter *f;
    CHECK_INT(lt_row_filter_compile(tf, s, &f, &err), LT_OK);
    CHECK_INT(eval_row(f, (const char *[]){"1", "tech", "9.99", NULL, NULL, NULL, NULL}), LT_FILTER_IN);
    CHECK_INT(eval_row(f, (const char *[]){"1", "tech", "10.00", NULL, NULL, NULL, NULL}), LT_FILTER_IN);
    CHECK_INT(eval_row(f, (const char *[]){"1", "tech", "10.01", NULL, NULL, NULL, NULL}), LT_FILTER_OUT);
    CHECK_INT(eval_row(f, (const char *[]){"1", "tech", "50", NULL, NULL, NULL, NULL}), LT_FILTER_IN);
    CHECK_INT(eval_row(f, (const char *[]){"1", "tech", "75.00", NULL, NULL, NULL, NULL}), LT_FILTER_IN);
    CHECK_INT(eval_row(f, (const char *[]){"1", "tech", "75.01", NULL, NULL, NULL, NULL}), LT_FILTER_OUT);
    CHECK_INT(eval_row(f, (const char *[]){"1", "tech", "100", NULL, NULL, NULL, NULL}), LT_FILTER_IN);
    CHECK_INT(eval_row(f, (const char *[]){"1", "Tech", "100", NULL, NULL, NULL, NULL}), LT_FILTER_OUT);
    CHECK_INT(eval_row(f, (const char *[]){"1", NULL, "100", NULL, NULL, NULL, NULL}), LT_FILTER_OUT);
    CHECK_INT(eval_row(f, (const char *[]){"1", "tech", NULL, NULL, NULL, NULL, NULL}), LT_FILTER_OUT);
    CHECK_INT(eval_row(f, (const char *[]){"1", "\x01", "100", NULL, NULL, NULL, NULL}), LT_FILTER_UNKNOWN);
    CHECK_INT(eval_row(f, (const char *[]){"1", "\x01", "20", NULL, NULL, NULL, NULL}), LT_FILTER_OUT);
    /* an unchanged value comes from the other image */
    struct lt_value now[7], before[7];
    fill(now, (const char *[]){"1", "\x01", "20", NULL, NULL, NULL, NULL}, 7);
    fill(before, (const char *[]){"1", "tech", "100", NULL, NULL, NULL, NULL}, 7);
    now[2] = before[2];
    CHECK_INT(lt_row_filter_eval(f, now, before), LT_FILTER_IN);
    lt_row_filter_free(f);
    free_filter(tf);

    /* negative operators, NULL tests, a padded character(n), a date, a time zone */
    tf = make_filter((const char *const[]){"dept|notnull", "amount|noteq|0", "code|eq|AB", "day|gte|2024-02-29",
                                           "at|lte|2024-01-01 02:00:00+02:00", NULL});
    CHECK_INT(lt_row_filter_compile(tf, s, &f, &err), LT_OK);
    CHECK_INT(eval_row(f, (const char *[]){"1", "x", "1", "2024-02-29", NULL, "AB  ", "2024-01-01 00:00:00+00"}),
              LT_FILTER_IN);
    CHECK_INT(eval_row(f, (const char *[]){"1", "x", "1", "2024-02-29", NULL, "AB  ", "2024-01-01 00:00:00.000001+00"}),
              LT_FILTER_OUT);
    CHECK_INT(eval_row(f, (const char *[]){"1", "x", "0.00", "2024-02-29", NULL, "AB  ", "2023-01-01 00:00:00+00"}),
              LT_FILTER_OUT);
    CHECK_INT(eval_row(f, (const char *[]){"1", "x", NULL, "2024-02-29", NULL, "AB  ", "2023-01-01 00:00:00+00"}),
              LT_FILTER_OUT); /* NULL <> 0 is not true */
    CHECK_INT(eval_row(f, (const char *[]){"1", NULL, "1", "2024-02-29", NULL, "AB", "2023-01-01 00:00:00+00"}),
              LT_FILTER_OUT);
    CHECK_INT(eval_row(f, (const char *[]){"1", "x", "1", "2024-02-28", NULL, "AB", "2023-01-01 00:00:00+00"}),
              LT_FILTER_OUT);
    CHECK_INT(eval_row(f, (const char *[]){"1", "x", "1", "0044-03-15 BC", NULL, "AB", "2023-01-01 00:00:00+00"}),
              LT_FILTER_OUT);
    lt_row_filter_free(f);
    free_filter(tf);

    tf = make_filter((const char *const[]){"doc|null", NULL});
    CHECK_INT(lt_row_filter_compile(tf, s, &f, &err), LT_OK);
    CHECK_INT(eval_row(f, (const char *[]){"1", "x", "1", NULL, NULL, NULL, NULL}), LT_FILTER_IN);
    CHECK_INT(eval_row(f, (const char *[]){"1", "x", "1", NULL, "{}", NULL, NULL}), LT_FILTER_OUT);
    lt_row_filter_free(f);
    free_filter(tf);
    lt_schema_free(s);
}

static void expect_refused(const char *const *conds, const char *frag)
{
    struct lt_table_schema *s = shop_schema();
    struct lt_table_filter *tf = make_filter(conds);
    struct lt_row_filter *f = NULL;
    struct lt_error err = {0};
    CHECK_INT(lt_row_filter_compile(tf, s, &f, &err), LT_ERR_CONFIG);
    CHECK(f == NULL);
    if (!CHECK(strstr(err.msg, "rule-id 7, rule-name \"only tech\"") && strstr(err.msg, frag)))
        fprintf(stderr, "  message: %s (wanted %s)\n", err.msg, frag);
    free_filter(tf);
    lt_schema_free(s);
}

static void test_refused(void)
{
    expect_refused((const char *const[]){"nosuch|eq|1", NULL}, "has no column nosuch");
    expect_refused((const char *const[]){"doc|eq|{}", NULL}, "type jsonb");
    expect_refused((const char *const[]){"id|gte|1.5", NULL}, "whole number");
    expect_refused((const char *const[]){"amount|gte|ten", NULL}, "decimal");
    expect_refused((const char *const[]){"day|gte|01/02/2024", NULL}, "YYYY-MM-DD");
    expect_refused((const char *const[]){"at|between|2024-01-01|tomorrow", NULL}, "date-time");
}

static void test_sql(void)
{
    struct lt_table_schema *s = shop_schema();
    struct lt_error err = {0};
    struct lt_table_filter *tf = make_filter((const char *const[]){
        "dept|eq|it's \\ \"x\"", "dept|null", "amount|notbetween|1.50|2", "day|gte|2024-02-29",
        "at|lte|2024-01-01 02:00:00+02:00", "code|noteq|AB", NULL});
    struct lt_row_filter *f;
    CHECK_INT(lt_row_filter_compile(tf, s, &f, &err), LT_OK);
    char *sql = NULL;
    CHECK_INT(lt_row_filter_sql(f, LT_SQL_POSTGRES, &sql, &err), LT_OK);
    CHECK_STR(sql, "((\"dept\" COLLATE \"C\" = E'it\\x27s \\x5C \\x22x\\x22' OR \"dept\" IS NULL) AND (\"amount\" NOT "
                   "BETWEEN 1.5 AND 2) AND (\"day\" >= '2024-02-29'::date) AND (\"at\" <= '2024-01-01 "
                   "00:00:00.000000+00'::timestamptz) AND ((\"code\")::text COLLATE \"C\" <> E'AB'))");
    free(sql);
    CHECK_INT(lt_row_filter_sql(f, LT_SQL_MYSQL, &sql, &err), LT_OK);
    CHECK_STR(sql, "((CAST(CONVERT(`dept` USING utf8mb4) AS BINARY) = X'69742773205C20227822' OR `dept` IS NULL) "
                   "AND (`amount` NOT BETWEEN 1.5 AND 2) AND (`day` >= CAST('2024-02-29' AS DATE)) AND (`at` <= "
                   "CAST('2024-01-01 00:00:00.000000' AS DATETIME(6))) AND (`code` <> X'4142'))");
    free(sql);
    lt_row_filter_free(f);
    free_filter(tf);
    /* float4 in MySQL: the double of the float4 value, so MySQL's double comparison matches float4's */
    char *lit = lt_typed_literal(LT_CMP_FLOAT32, "0.1", &(const char *){NULL});
    char *my = lt_sql_literal(LT_SQL_MYSQL, LT_CMP_FLOAT32, lit);
    CHECK_STR(my, "1.00000001490116119e-01");
    char *pg = lt_sql_literal(LT_SQL_POSTGRES, LT_CMP_FLOAT32, lit);
    CHECK_STR(pg, "'0.100000001'::real");
    free(lit);
    free(my);
    free(pg);
    char *id = lt_sql_ident(LT_SQL_POSTGRES, "we\"ird");
    CHECK_STR(id, "\"we\"\"ird\"");
    free(id);
    id = lt_sql_ident(LT_SQL_MYSQL, "we`ird");
    CHECK_STR(id, "`we``ird`");
    free(id);
    lt_schema_free(s);
}

static void test_change(void)
{
    struct lt_table_schema *s = shop_schema();
    struct lt_error err = {0};
    struct lt_table_filter *tf = make_filter((const char *const[]){"dept|eq|tech", NULL});
    struct lt_row_filter *f;
    CHECK_INT(lt_row_filter_compile(tf, s, &f, &err), LT_OK);
    struct lt_value in[7], out[7], key_only[7], unchanged_dept[7];
    fill(in, (const char *[]){"1", "tech", "1", NULL, NULL, NULL, NULL}, 7);
    fill(out, (const char *[]){"1", "ops", "1", NULL, NULL, NULL, NULL}, 7);
    fill(key_only, (const char *[]){"1", "\x01", "\x01", "\x01", "\x01", "\x01", "\x01"}, 7);
    fill(unchanged_dept, (const char *[]){"1", "\x01", "2", NULL, NULL, NULL, NULL}, 7);
    CHECK_INT(lt_row_filter_change(f, s, 'I', in, NULL), LT_FW_AS_IS);
    CHECK_INT(lt_row_filter_change(f, s, 'I', out, NULL), LT_FW_DROP);
    CHECK_INT(lt_row_filter_change(f, s, 'D', in, NULL), LT_FW_AS_IS);
    CHECK_INT(lt_row_filter_change(f, s, 'D', out, NULL), LT_FW_DROP);
    CHECK_INT(lt_row_filter_change(f, s, 'D', key_only, NULL), LT_FW_AS_IS);
    /* with the old row (MySQL, REPLICA IDENTITY FULL) */
    CHECK_INT(lt_row_filter_change(f, s, 'U', in, in), LT_FW_AS_IS);
    CHECK_INT(lt_row_filter_change(f, s, 'U', in, out), LT_FW_INSERT);
    CHECK_INT(lt_row_filter_change(f, s, 'U', out, in), LT_FW_DELETE_OLD);
    CHECK_INT(lt_row_filter_change(f, s, 'U', out, out), LT_FW_DROP);
    /* without it (PostgreSQL's default replica identity): what the merge replays the same */
    CHECK_INT(lt_row_filter_change(f, s, 'U', in, NULL), LT_FW_AS_IS);
    CHECK_INT(lt_row_filter_change(f, s, 'U', out, NULL), LT_FW_DELETE_NEW);
    CHECK_INT(lt_row_filter_change(f, s, 'U', out, key_only), LT_FW_DELETE_NEW);
    /* an unchanged filter column: the old row says */
    CHECK_INT(lt_row_filter_change(f, s, 'U', unchanged_dept, in), LT_FW_AS_IS);
    CHECK_INT(lt_row_filter_change(f, s, 'U', unchanged_dept, out), LT_FW_DROP);
    lt_row_filter_free(f);
    free_filter(tf);
    /* a filter on the key: the old row's key is the new one's when no old row came */
    tf = make_filter((const char *const[]){"id|lte|5", NULL});
    CHECK_INT(lt_row_filter_compile(tf, s, &f, &err), LT_OK);
    CHECK_INT(lt_row_filter_change(f, s, 'U', out, NULL), LT_FW_AS_IS);
    struct lt_value big[7];
    fill(big, (const char *[]){"9", "ops", "1", NULL, NULL, NULL, NULL}, 7);
    CHECK_INT(lt_row_filter_change(f, s, 'U', big, NULL), LT_FW_DROP);
    lt_row_filter_free(f);
    free_filter(tf);
    lt_schema_free(s);
}

int main(void)
{
    RUN(test_compare);
    RUN(test_literals);
    RUN(test_eval);
    RUN(test_refused);
    RUN(test_sql);
    RUN(test_change);
    return unit_report();
}
