/* Tests of transformation rules on schemas and rows (agent/table_transform.c, agent/mapping_expr.c,
 * agent/type_convert.c, agent/load_segments.c): the files' schema (names, removed, converted and added columns,
 * keys, origins), an untouched table staying an identity, rows mapped (copies, conversions, constants, expressions
 * with SQLite's semantics, commit-time and operation headers, NULL and unchanged operands), what is refused (naming
 * the rule), exact conversions and constants, define-primary-key, and the SQL of range segments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config.h"
#include "agent/load_segments.h"
#include "agent/mapping.h"
#include "agent/table_transform.h"
#include "agent/type_convert.h"
#include "tests/unit/unit.h"

static struct lt_error err;

static int parse(const char *rules, struct lt_task_config *cfg)
{
    char json[16384];
    snprintf(json, sizeof json,
             "{\"task\": \"t\", \"source\": {\"engine\": \"postgres\", \"conninfo\": \"dbname=x\"},"
             " \"target\": {\"path\": \"/lake\"}, \"table_mappings\": {\"rules\": [{\"rule-type\":\"selection\","
             "\"rule-id\":\"1\",\"rule-name\":\"all\",\"object-locator\":{\"schema-name\":\"%%\",\"table-name\":\"%%\"},"
             "\"rule-action\":\"include\"}%s%s]}}",
             *rules ? "," : "", rules);
    lt_error_clear(&err);
    int rc = lt_config_parse(json, strlen(json), "/etc", cfg, &err);
    if (rc)
        fprintf(stderr, "  config: %s\n", err.msg);
    return rc;
}

static struct lt_table_schema *people(void)
{
    struct lt_table_schema *s = lt_schema_new("hr", "People", 7);
    lt_schema_set_column(s, 0, "id", LT_TYPE_INT32, 0, 0, true, false, "integer");
    lt_schema_set_column(s, 1, "first", LT_TYPE_TEXT, 0, 0, false, true, "text");
    lt_schema_set_column(s, 2, "last", LT_TYPE_TEXT, 0, 0, false, true, "character varying(20)");
    lt_schema_set_column(s, 3, "pay", LT_TYPE_DECIMAL, 8, 2, false, true, "numeric(8,2)");
    lt_schema_set_column(s, 4, "born", LT_TYPE_DATE, 0, 0, false, true, "date");
    lt_schema_set_column(s, 5, "at", LT_TYPE_TIMESTAMPTZ, 0, 0, false, true, "timestamp with time zone");
    lt_schema_set_column(s, 6, "blob", LT_TYPE_BYTES, 0, 0, false, true, "bytea");
    return s;
}

#define R(id, action, target, loc, more)                                                                             \
    "{\"rule-type\":\"transformation\",\"rule-id\":\"" id "\",\"rule-name\":\"r" id "\",\"rule-action\":\"" action    \
    "\",\"rule-target\":\"" target "\",\"object-locator\":{" loc "}" more "}"
#define T_LOC "\"schema-name\":\"hr\",\"table-name\":\"People\""
#define C_LOC(c) "\"schema-name\":\"hr\",\"table-name\":\"People\",\"column-name\":\"" c "\""
#define ADD(id, name, expr, type) R(id, "add-column", "column", T_LOC, ",\"value\":\"" name "\",\"expression\":\"" expr "\",\"data-type\":" type)

static const char *value_text(const struct lt_value *v, char *buf, size_t n)
{
    if (v->state == LT_VALUE_NULL)
        return "NULL";
    if (v->state == LT_VALUE_UNCHANGED)
        return "UNCHANGED";
    snprintf(buf, n, "%.*s", (int)v->len, v->data);
    return buf;
}

/* Maps a row of people (strings; NULL pointer = SQL NULL, "\x01" = unchanged) and returns its values joined by | */
static char *map_row(const struct lt_table_map *m, char op, const char *const *in, struct lt_map_scratch *scratch)
{
    struct lt_value v[7];
    for (int i = 0; i < 7; i++) {
        if (!in[i])
            v[i] = (struct lt_value){.state = LT_VALUE_NULL};
        else if (!strcmp(in[i], "\x01"))
            v[i] = (struct lt_value){.state = LT_VALUE_UNCHANGED};
        else
            v[i] = (struct lt_value){.data = in[i], .len = (uint32_t)strlen(in[i]), .state = LT_VALUE_PRESENT};
    }
    struct lt_row row = {.op = op, .commit_ts_us = 1706702400123456LL, .nvals = 7, .vals = v};
    snprintf(row.pos, sizeof row.pos, "p");
    struct lt_row out;
    const struct lt_row *r = lt_table_map_row(m, &row, scratch, &out, &err);
    static char text[2048];
    text[0] = '\0';
    for (int i = 0; r && i < r->nvals; i++) {
        char b[512];
        size_t n = strlen(text);
        snprintf(text + n, sizeof text - n, "%s%s", i ? "|" : "", value_text(&r->vals[i], b, sizeof b));
    }
    return text;
}

static void test_schema_and_rows(void)
{
    struct lt_task_config cfg;
    const char *rules =
        R("2", "rename", "schema", "\"schema-name\":\"h_\"", ",\"value\":\"staff\"") ","
        R("3", "convert-lowercase", "table", "\"schema-name\":\"%\",\"table-name\":\"%\"", "") ","
        R("4", "rename", "column", C_LOC("first"), ",\"value\":\"given\"") ","
        R("5", "add-prefix", "column", C_LOC("[lb]%"), ",\"value\":\"x_\"") ","
        R("6", "remove-column", "column", C_LOC("blob"), "") ","
        R("7", "change-data-type", "column", C_LOC("pay"), ",\"data-type\":{\"type\":\"numeric\",\"precision\":12,\"scale\":4}") ","
        R("8", "change-data-type", "column", C_LOC("born"), ",\"data-type\":{\"type\":\"datetime\"}") ","
        R("9", "change-data-type", "column", C_LOC("at"), ",\"data-type\":{\"type\":\"datetime\"}") ","
        R("10", "change-data-type", "column", C_LOC("id"), ",\"data-type\":{\"type\":\"string\"}") ","
        ADD("11", "full", "$first || ' ' || upper($last)", "{\"type\":\"string\",\"length\":40}") ","
        ADD("12", "op", "$AR_H_OPERATION", "{\"type\":\"string\"}") ","
        ADD("13", "ts", "$AR_H_COMMIT_TIMESTAMP", "{\"type\":\"datetime\",\"precision\":3}") ","
        ADD("14", "k", "7", "{\"type\":\"numeric\",\"precision\":5,\"scale\":2}") ","
        ADD("15", "src", "$AR_M_SOURCE_SCHEMA || '.' || $AR_M_SOURCE_TABLE_NAME", "{\"type\":\"string\"}") ","
        ADD("16", "flag", "operation_indicator('D', 'U', 'I')", "{\"type\":\"string\"}") ","
        ADD("17", "copy", "$pay", "{\"type\":\"numeric\",\"precision\":9,\"scale\":3}") ","
        ADD("18", "nothing", "", "{\"type\":\"int4\"}");
    if (!CHECK_INT(parse(rules, &cfg), LT_OK))
        return;
    /* rule 18 has an empty expression: DMS's add-column without one */
    free(cfg.mapping->transforms[cfg.mapping->ntransforms - 1].expression);
    cfg.mapping->transforms[cfg.mapping->ntransforms - 1].expression = NULL;
    struct lt_table_schema *src = people();
    struct lt_table_map *m;
    if (!CHECK_INT(lt_table_map_build(&cfg, src, &m, &err), LT_OK)) {
        fprintf(stderr, "  %s\n", err.msg);
        lt_schema_free(src);
        lt_config_free(&cfg);
        return;
    }
    const struct lt_table_schema *o = lt_table_map_schema(m);
    CHECK(!lt_table_map_identity(m));
    CHECK_STR(o->schema_name, "staff");
    CHECK_STR(o->table_name, "people");
    CHECK_STR(o->origin_schema, "hr");
    CHECK_STR(o->origin_table, "People");
    char names[512] = "";
    for (int i = 0; i < o->ncols; i++) {
        size_t n = strlen(names);
        snprintf(names + n, sizeof names - n, "%s%s:%s%s", i ? "," : "", o->cols[i].name, lt_type_name(o->cols[i].type),
                 o->cols[i].is_key ? "*" : "");
    }
    CHECK_STR(names, "id:text*,given:text,x_last:text,pay:decimal,x_born:timestamp,at:timestamp,full:text,op:text,"
                     "ts:timestamp,k:decimal,src:text,flag:text,copy:decimal,nothing:int32");
    CHECK_STR(o->cols[3].source_type, "numeric(12,4)");
    CHECK_INT(o->cols[3].precision, 12);
    CHECK_STR(o->cols[2].origin, "last");
    CHECK(!o->cols[0].converted && o->cols[3].converted && o->cols[4].converted);
    CHECK_STR(o->cols[6].origin, "");
    struct lt_map_scratch sc = {0};
    CHECK_STR(map_row(m, 'I', (const char *[]){"1", "Ada", "Love'lace", "12.5", "1815-12-10", "2024-01-31 12:00:00+00", "\\x00"}, &sc),
              "1|Ada|Love'lace|12.5000|1815-12-10 00:00:00|2024-01-31 12:00:00|Ada LOVE'LACE|INSERT|2024-01-31 12:00:00.123|"
              "7.00|hr.People|I|12.500|NULL");
    CHECK_STR(map_row(m, 'U', (const char *[]){"2", "Alan", NULL, NULL, "0044-03-15 BC", "infinity", NULL}, &sc),
              "2|Alan|NULL|NULL|0044-03-15 00:00:00 BC|infinity|NULL|UPDATE|2024-01-31 12:00:00.123|7.00|hr.People|U|NULL|NULL");
    CHECK_STR(map_row(m, 'D', (const char *[]){"3", "\x01", "Hopper", "-0.5", NULL, NULL, NULL}, &sc),
              "3|UNCHANGED|Hopper|-0.5000|NULL|NULL|UNCHANGED|DELETE|2024-01-31 12:00:00.123|7.00|hr.People|D|-0.500|NULL");
    /* many rows through one scratch: values stay right whatever the buffer does */
    char big[3000];
    memset(big, 'b', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    for (int i = 0; i < 50; i++)
        map_row(m, 'I', (const char *[]){"4", big, big, "1", NULL, NULL, NULL}, &sc);
    const char *r = map_row(m, 'I', (const char *[]){"5", "x", "y", "1", NULL, NULL, NULL}, &sc);
    CHECK(strstr(r, "|x Y|") != NULL);
    lt_map_scratch_free(&sc);
    lt_table_map_free(m);
    /* a table no rule touches is the identity: the row itself comes back */
    struct lt_table_schema *other = lt_schema_new("sales", "orders", 1);
    lt_schema_set_column(other, 0, "id", LT_TYPE_INT32, 0, 0, true, false, "integer");
    CHECK_INT(lt_table_map_build(&cfg, other, &m, &err), LT_OK);
    CHECK(lt_table_map_identity(m));
    CHECK(lt_table_map_schema(m)->origin_schema == NULL);
    CHECK(lt_schema_equal(lt_table_map_schema(m), other));
    struct lt_value v = {.data = "1", .len = 1, .state = LT_VALUE_PRESENT};
    struct lt_row row = {.op = 'I', .nvals = 1, .vals = &v}, out;
    CHECK(lt_table_map_row(m, &row, &sc, &out, &err) == &row);
    lt_table_map_free(m);
    lt_schema_free(other);
    lt_schema_free(src);
    lt_config_free(&cfg);
}

/* SQLite's functions on text. */
static void test_functions(void)
{
    struct {
        const char *expr, *want;
    } cases[] = {
        {"lower($first) || upper('é-a')", "ada\xc3\xa9-A"},
        {"trim('  x  ')", "x"},
        {"ltrim('xxaxx', 'x')", "axx"},
        {"rtrim('xxaxx', 'x')", "xxa"},
        {"trim('ééaé', 'é')", "a"},
        {"replace('abcabc', 'b', 'XY')", "aXYcaXYc"},
        {"replace('abc', '', 'X')", "abc"},
        {"substr('héllo', 2, 3)", "éll"},
        {"substr('hello', -3)", "llo"},
        {"substr('hello', 0, 2)", "h"},
        {"substr('hello', 3, -2)", "he"},
        {"substr('hello', 2)", "ello"},
        {"substr('hello', 10)", ""},
        {"coalesce($last, $first, 'z')", "Ada"},
        {"ifnull($last, 'none')", "none"},
        {"'it''s' || 42 || $id", "it's427"},
        {"$first || $last", "NULL"},
        {"upper($last)", "NULL"},
        {"(('a') || ('b'))", "ab"},
    };
    struct lt_table_schema *src = people();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char rules[512];
        snprintf(rules, sizeof rules, ADD("5", "x", "%s", "{\"type\":\"string\"}"), cases[i].expr);
        struct lt_task_config cfg;
        struct lt_table_map *m;
        if (parse(rules, &cfg) || !CHECK_INT(lt_table_map_build(&cfg, src, &m, &err), LT_OK)) {
            fprintf(stderr, "  %s: %s\n", cases[i].expr, err.msg);
            lt_config_free(&cfg);
            continue;
        }
        struct lt_map_scratch sc = {0};
        const char *r = map_row(m, 'I', (const char *[]){"7", "Ada", NULL, NULL, NULL, NULL, NULL}, &sc);
        const char *last = strrchr(r, '|');
        if (!CHECK_STR(last ? last + 1 : r, cases[i].want))
            fprintf(stderr, "  for %s\n", cases[i].expr);
        lt_map_scratch_free(&sc);
        lt_table_map_free(m);
        lt_config_free(&cfg);
    }
    lt_schema_free(src);
}

static void expect_refused(const char *rules, const char *frag, int line)
{
    struct lt_task_config cfg;
    struct lt_table_schema *src = people();
    struct lt_table_map *m = NULL;
    if (parse(rules, &cfg) == LT_OK) {
        int rc = lt_table_map_build(&cfg, src, &m, &err);
        unit_check_int(rc, LT_ERR_CONFIG, "refused", __FILE__, line);
        if (!unit_check(strstr(err.msg, "rule-id 5, rule-name \"r5\"") && strstr(err.msg, frag), "names the rule and why",
                        __FILE__, line))
            fprintf(stderr, "  message: %s (wanted %s)\n", err.msg, frag);
        CHECK(m == NULL);
    }
    lt_config_free(&cfg);
    lt_schema_free(src);
}
#define REFUSED(rules, frag) expect_refused(rules, frag, __LINE__)

static void test_refused(void)
{
    REFUSED(ADD("5", "x", "$id + 1", "{\"type\":\"int8\"}"), "not supported");
    REFUSED(ADD("5", "x", "CASE WHEN $id THEN 1 END", "{\"type\":\"string\"}"), "not supported");
    REFUSED(ADD("5", "x", "hash_sha256($first)", "{\"type\":\"string\"}"), "function hash_sha256 is not supported");
    REFUSED(ADD("5", "x", "$pay || 'x'", "{\"type\":\"string\"}"), "column pay (numeric(8,2)) has no text form");
    REFUSED(ADD("5", "x", "1.5 || 'x'", "{\"type\":\"string\"}"), "floating-point");
    REFUSED(ADD("5", "x", "1.5", "{\"type\":\"string\"}"), "floating-point");
    REFUSED(ADD("5", "x", "$nope", "{\"type\":\"string\"}"), "no column nope");
    REFUSED(ADD("5", "x", "$AR_H_STREAM_POSITION", "{\"type\":\"string\"}"), "AR_H_STREAM_POSITION is not supported");
    REFUSED(ADD("5", "x", "'a", "{\"type\":\"string\"}"), "no closing quote");
    REFUSED(ADD("5", "x", "substr($first, $id)", "{\"type\":\"string\"}"), "positions must be whole-number literals");
    REFUSED(ADD("5", "x", "upper($first, 'x')", "{\"type\":\"string\"}"), "wrong number of arguments");
    REFUSED(ADD("5", "x", "$first || 'a'", "{\"type\":\"int4\"}"), "must be a string type");
    REFUSED(ADD("5", "x", "'abc'", "{\"type\":\"int4\"}"), "whole number");
    REFUSED(ADD("5", "x", "123456", "{\"type\":\"numeric\",\"precision\":5,\"scale\":2}"), "does not fit");
    REFUSED(ADD("5", "x", "$last", "{\"type\":\"int8\"}"), "could change values");
    REFUSED(ADD("5", "x", "$AR_H_OPERATION", "{\"type\":\"int8\"}"), "must be a string type");
    REFUSED(ADD("5", "x", "$AR_H_TIMESTAMP", "{\"type\":\"date\"}"), "a commit time is a datetime");
    REFUSED(ADD("5", "last", "'x'", "{\"type\":\"string\"}"), "two columns");
    REFUSED(R("5", "remove-column", "column", C_LOC("id"), ""), "key column");
    REFUSED(R("5", "rename", "column", C_LOC("first"), ",\"value\":\"last\""), "two columns");
    REFUSED(R("5", "change-data-type", "column", C_LOC("pay"), ",\"data-type\":{\"type\":\"numeric\",\"precision\":4,\"scale\":2}"),
            "may not fit");
    REFUSED(R("5", "change-data-type", "column", C_LOC("at"), ",\"data-type\":{\"type\":\"date\"}"), "drop the time");
    REFUSED(R("5", "change-data-type", "column", C_LOC("blob"), ",\"data-type\":{\"type\":\"string\"}"), "bytes");
    REFUSED(R("5", "change-data-type", "column", C_LOC("id"), ",\"data-type\":{\"type\":\"int2\"}"), "could change values");
    REFUSED(R("5", "change-data-type", "column", C_LOC("id"), ",\"data-type\":{\"type\":\"uint4\"}"), "fit");
    REFUSED(R("4", "change-data-type", "column", C_LOC("id"), ",\"data-type\":{\"type\":\"int8\"}") ","
            R("5", "change-data-type", "column", C_LOC("%"), ",\"data-type\":{\"type\":\"string\"}"), "one type per column");
}

static void test_conversions(void)
{
    struct lt_column c = {.name = "c"};
    struct lt_conv cv;
    const char *why;
    struct {
        enum lt_type from;
        int p, s;
        enum lt_dms_type to;
        int tp, ts;
        bool ok;
    } plan[] = {
        {LT_TYPE_INT16, 0, 0, LT_DT_INT2, -1, 0, true},     {LT_TYPE_INT32, 0, 0, LT_DT_INT2, -1, 0, false},
        {LT_TYPE_INT32, 0, 0, LT_DT_INT8, -1, 0, true},     {LT_TYPE_INT64, 0, 0, LT_DT_REAL8, -1, 0, false},
        {LT_TYPE_INT32, 0, 0, LT_DT_REAL8, -1, 0, true},    {LT_TYPE_INT32, 0, 0, LT_DT_NUMERIC, 10, 0, true},
        {LT_TYPE_INT32, 0, 0, LT_DT_NUMERIC, 11, 2, false}, {LT_TYPE_INT64, 0, 0, LT_DT_NUMERIC, 21, 2, true},
        {LT_TYPE_DECIMAL, 8, 2, LT_DT_NUMERIC, 8, 3, false}, {LT_TYPE_DECIMAL, 8, 2, LT_DT_NUMERIC, 9, 3, true},
        {LT_TYPE_DECIMAL, 0, 0, LT_DT_NUMERIC, 38, 10, false}, {LT_TYPE_FLOAT32, 0, 0, LT_DT_REAL8, -1, 0, false},
        {LT_TYPE_TEXT, 0, 0, LT_DT_INT4, -1, 0, false},     {LT_TYPE_UUID, 0, 0, LT_DT_WSTRING, -1, 0, true},
        {LT_TYPE_BOOL, 0, 0, LT_DT_STRING, -1, 0, false},   {LT_TYPE_BOOL, 0, 0, LT_DT_BOOLEAN, -1, 0, true},
        {LT_TYPE_TIMESTAMP, 0, 0, LT_DT_DATETIME, 3, 0, false}, {LT_TYPE_DATE, 0, 0, LT_DT_DATETIME, 0, 0, true},
    };
    for (size_t i = 0; i < sizeof plan / sizeof plan[0]; i++) {
        c.type = plan[i].from;
        c.precision = plan[i].p;
        c.scale = plan[i].s;
        struct lt_data_type dt = {.type = plan[i].to, .precision = plan[i].tp, .scale = plan[i].ts};
        why = NULL;
        if (!CHECK_INT(lt_conv_plan(&c, &dt, &cv, &why), plan[i].ok))
            fprintf(stderr, "  case %zu: %s\n", i, why ? why : "");
    }
    struct lt_text_buf b = {0};
    size_t off, len;
    struct lt_conv rescale = {.op = LT_CONV_RESCALE, .scale = 3};
    const char *in[] = {"12", "-1.5", "0.125", "NaN", NULL};
    const char *want[] = {"12.000", "-1.500", "0.125", "NaN"};
    for (int i = 0; in[i]; i++) {
        b.len = 0;
        lt_conv_apply(&rescale, in[i], strlen(in[i]), &b, &off, &len);
        CHECK_MEM(b.p + off, len, want[i], strlen(want[i]));
    }
    struct lt_conv tz = {.op = LT_CONV_TSTZ_TO_TS};
    b.len = 0;
    lt_conv_apply(&tz, "0044-03-15 10:00:00+00 BC", 25, &b, &off, &len);
    CHECK_MEM(b.p + off, len, "0044-03-15 10:00:00 BC", 22);
    lt_text_buf_free(&b);
    struct {
        enum lt_dms_type t;
        int p, s;
        const char *in, *want;
    } consts[] = {
        {LT_DT_INT1, -1, 0, "-128", "-128"}, {LT_DT_INT1, -1, 0, "128", NULL}, {LT_DT_UINT8, -1, 0, "18446744073709551615", "18446744073709551615"},
        {LT_DT_UINT8, -1, 0, "-1", NULL}, {LT_DT_NUMERIC, 5, 2, "1.5", "1.50"}, {LT_DT_NUMERIC, 5, 2, "1.555", NULL},
        {LT_DT_REAL8, -1, 0, "0.1", "0.1"}, {LT_DT_REAL4, -1, 0, "0.1", "0.1"}, {LT_DT_BOOLEAN, -1, 0, "TRUE", "t"},
        {LT_DT_DATETIME, -1, 0, "2024-01-01 10:00:00.500", "2024-01-01 10:00:00.5"},
        {LT_DT_DATETIME, 0, 0, "2024-01-01 10:00:00.5", NULL}, {LT_DT_DATETIME, 3, 0, "2024-01-01", "2024-01-01 00:00:00.000"},
        {LT_DT_BYTES, -1, 0, "x", NULL},
    };
    for (size_t i = 0; i < sizeof consts / sizeof consts[0]; i++) {
        struct lt_data_type dt = {.type = consts[i].t, .precision = consts[i].p, .scale = consts[i].s};
        why = NULL;
        char *got = lt_conv_constant(&dt, consts[i].in, &why);
        if (consts[i].want ? !CHECK(got && !strcmp(got, consts[i].want)) : !CHECK(!got && why))
            fprintf(stderr, "  case %zu: got %s (%s)\n", i, got ? got : "NULL", why ? why : "");
        free(got);
    }
}

static void test_primary_key_and_segments(void)
{
    struct lt_task_config cfg;
    CHECK_INT(parse(R("5", "define-primary-key", "table", T_LOC, ",\"primary-key-def\":{\"name\":\"k\",\"columns\":[\"last\",\"first\"]}"), &cfg),
              LT_OK);
    struct lt_table_schema *s = people();
    CHECK_INT(lt_mapping_apply_key(&cfg, s, &err), LT_OK);
    CHECK(!s->cols[0].is_key && s->cols[1].is_key && s->cols[2].is_key && !s->cols[3].is_key);
    struct lt_table_schema *other = lt_schema_new("hr", "other", 1);
    lt_schema_set_column(other, 0, "id", LT_TYPE_INT32, 0, 0, true, false, "integer");
    CHECK_INT(lt_mapping_apply_key(&cfg, other, &err), LT_OK);
    CHECK(other->cols[0].is_key);
    lt_schema_free(other);
    lt_config_free(&cfg);
    /* the SQL of range segments */
    char *cols[] = {"last", "id"}, *b1[] = {"K", "10"}, *b2[] = {"S", "5"}, **bounds[] = {b1, b2};
    struct lt_table_settings ts = {.ref = {.id = "5", .name = "r5"}, .type = LT_PL_RANGES, .ncolumns = 2, .columns = cols,
                                   .nboundaries = 2, .boundaries = bounds};
    s->cols[2].nullable = false;
    char **conds;
    int n;
    CHECK_INT(lt_segments_ranges(&ts, s, LT_SQL_POSTGRES, &conds, &n, &err), LT_OK);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_STR(conds[0], "((\"last\" COLLATE \"C\" < E'K') OR (\"last\" COLLATE \"C\" = E'K' AND \"id\" < 10))");
        CHECK_STR(conds[1], "NOT ((\"last\" COLLATE \"C\" < E'K') OR (\"last\" COLLATE \"C\" = E'K' AND \"id\" < 10)) AND "
                            "((\"last\" COLLATE \"C\" < E'S') OR (\"last\" COLLATE \"C\" = E'S' AND \"id\" < 5))");
        CHECK_STR(conds[2], "NOT ((\"last\" COLLATE \"C\" < E'S') OR (\"last\" COLLATE \"C\" = E'S' AND \"id\" < 5))");
        for (int i = 0; i < n; i++)
            free(conds[i]);
        free(conds);
    }
    s->cols[2].nullable = true;
    CHECK_INT(lt_segments_ranges(&ts, s, LT_SQL_MYSQL, &conds, &n, &err), LT_ERR_CONFIG);
    CHECK(strstr(err.msg, "rule-id 5, rule-name \"r5\"") && strstr(err.msg, "can be NULL"));
    lt_schema_free(s);
}

int main(void)
{
    RUN(test_schema_and_rows);
    RUN(test_functions);
    RUN(test_refused);
    RUN(test_conversions);
    RUN(test_primary_key_and_segments);
    return unit_report();
}
