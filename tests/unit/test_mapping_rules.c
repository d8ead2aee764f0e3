/* Tests of DMS table-mapping rule parsing (agent/mapping_rules.c, agent/dms_rules.c): every rule type, action and
 * option of the table is accepted in a valid form and, where partly supported or refused, refused (exit-2 config
 * error naming the rule's id and name); filters' forms; rule-ids; table-settings; table-type; load-order; rule-id
 * order of transformations and wildcards in their object-locators; and the README's "Coming from DMS" rules table,
 * which must list exactly the table's entries with the same status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config.h"
#include "agent/dms_rules.h"
#include "agent/load_segments.h"
#include "agent/mapping.h"
#include "agent/table_transform.h"
#include "tests/unit/unit.h"

static struct lt_error err;

#define SEL "{\"rule-type\":\"selection\",\"rule-id\":\"1\",\"rule-name\":\"all\",\"object-locator\":{\"schema-name\":\"s\",\"table-name\":\"%\"},\"rule-action\":\"include\"}"
#define TR(action, target, loc, more)                                                                              \
    "{\"rule-type\":\"transformation\",\"rule-id\":\"5\",\"rule-name\":\"five\",\"rule-action\":\"" action           \
    "\",\"rule-target\":\"" target "\",\"object-locator\":{" loc "}" more "}"
#define TS(more)                                                                                                     \
    "{\"rule-type\":\"table-settings\",\"rule-id\":\"5\",\"rule-name\":\"five\",\"object-locator\":{\"schema-name\":" \
    "\"s\",\"table-name\":\"t\"}" more "}"
#define LOC_T "\"schema-name\":\"s\",\"table-name\":\"t\""
#define LOC_C "\"schema-name\":\"s\",\"table-name\":\"t\",\"column-name\":\"c\""

static int parse(const char *engine, const char *mtype, const char *rules, struct lt_task_config *cfg)
{
    char json[8192];
    const char *source = !strcmp(engine, "mysql")
                             ? "{\"engine\": \"mysql\", \"host\": \"h\", \"user\": \"u\", \"database\": \"s\", \"server_id\": 5}"
                             : "{\"engine\": \"postgres\", \"conninfo\": \"dbname=x\"}";
    snprintf(json, sizeof json,
             "{\"task\": \"t\", \"migration_type\": \"%s\", \"source\": %s, \"target\": {\"path\": \"/lake\"},"
             " \"table_mappings\": {\"rules\": [%s]}}",
             mtype, source, rules);
    lt_error_clear(&err);
    return lt_config_parse(json, strlen(json), "/etc", cfg, &err);
}

static void expect_ok(const char *engine, const char *mtype, const char *rules, int line)
{
    struct lt_task_config cfg;
    if (!unit_check_int(parse(engine, mtype, rules, &cfg), LT_OK, "accepted", __FILE__, line))
        fprintf(stderr, "  %s\n  -> %s\n", rules, err.msg);
    lt_config_free(&cfg);
}

/* Refused with exit 2, the message naming rule-id 5 "five" (or the given fragment) and saying frag. */
static void expect_refused(const char *engine, const char *mtype, const char *rules, const char *who, const char *frag,
                           int line)
{
    struct lt_task_config cfg;
    int rc = parse(engine, mtype, rules, &cfg);
    unit_check_int(rc, LT_ERR_CONFIG, "refused", __FILE__, line);
    if (!unit_check(strstr(err.msg, who) != NULL, "names the rule", __FILE__, line))
        fprintf(stderr, "  \"%s\" lacks \"%s\"\n", err.msg, who);
    if (frag && !unit_check(strstr(err.msg, frag) != NULL, "says why", __FILE__, line))
        fprintf(stderr, "  \"%s\" lacks \"%s\"\n", err.msg, frag);
    lt_config_free(&cfg);
}

#define OK(rules) expect_ok("postgres", "full-load", SEL "," rules, __LINE__)
#define OK_MY(rules) expect_ok("mysql", "full-load", SEL "," rules, __LINE__)
#define REFUSED(rules, frag) expect_refused("postgres", "full-load", SEL "," rules, "rule-id 5, rule-name \"five\"", frag, __LINE__)
#define REFUSED_MY(rules, frag) expect_refused("mysql", "full-load", SEL "," rules, "rule-id 5, rule-name \"five\"", frag, __LINE__)

/* A valid sample for each implemented or partly implemented entry of lt_dms_rules, and a refused one for each
 * partly implemented or refused entry: a new entry without samples here fails the test. */
struct sample {
    const char *type, *what;
    const char *ok;       /* accepted (NULL for refused entries) */
    const char *refused;  /* refused, naming rule-id 5 "five" (NULL for fully implemented ones) */
    const char *why;
};

static const struct sample samples[] = {
    {"selection", "include", "{\"rule-type\":\"selection\",\"rule-id\":\"5\",\"rule-name\":\"five\",\"object-locator\":{" LOC_T "},\"rule-action\":\"include\"}", NULL, NULL},
    {"selection", "exclude", "{\"rule-type\":\"selection\",\"rule-id\":\"5\",\"rule-name\":\"five\",\"object-locator\":{" LOC_T "},\"rule-action\":\"exclude\"}", NULL, NULL},
    {"selection", "explicit", "{\"rule-type\":\"selection\",\"rule-id\":\"5\",\"rule-name\":\"five\",\"object-locator\":{" LOC_T "},\"rule-action\":\"explicit\"}", NULL, NULL},
    {"selection", "filters",
     "{\"rule-type\":\"selection\",\"rule-id\":\"5\",\"rule-name\":\"five\",\"object-locator\":{" LOC_T "},\"rule-action\":\"include\","
     "\"filters\":[{\"filter-type\":\"source\",\"column-name\":\"c\",\"filter-conditions\":[{\"filter-operator\":\"ste\",\"value\":\"3\"},"
     "{\"filter-operator\":\"between\",\"start-value\":\"5\",\"end-value\":\"7\"},{\"filter-operator\":\"null\"}]}]}",
     NULL, NULL},
    {"selection", "table-type",
     "{\"rule-type\":\"selection\",\"rule-id\":\"5\",\"rule-name\":\"five\",\"object-locator\":{" LOC_T ",\"table-type\":\"view\"},\"rule-action\":\"include\"}",
     "{\"rule-type\":\"selection\",\"rule-id\":\"5\",\"rule-name\":\"five\",\"object-locator\":{" LOC_T ",\"table-type\":\"materialized\"},\"rule-action\":\"include\"}",
     "must be table, view or all"},
    {"selection", "load-order",
     "{\"rule-type\":\"selection\",\"rule-id\":\"5\",\"rule-name\":\"five\",\"object-locator\":{" LOC_T "},\"rule-action\":\"include\",\"load-order\":\"2\"}", NULL, NULL},
    {"transformation", "rename", TR("rename", "table", LOC_T, ",\"value\":\"t2\""),
     TR("rename", "table-tablespace", LOC_T, ",\"value\":\"x\""), "tablespaces"},
    {"transformation", "remove-column", TR("remove-column", "column", LOC_C, ""), NULL, NULL},
    {"transformation", "add-column",
     TR("add-column", "column", LOC_T, ",\"value\":\"n\",\"expression\":\"upper($c)||'x'\",\"data-type\":{\"type\":\"string\",\"length\":9}"),
     TR("add-column", "column", LOC_T, ",\"value\":\"n\",\"expression\":\"$AR_H_COMMIT_TIMESTAMP\",\"data-type\":{\"type\":\"datetime\",\"precision\":7}"),
     "microsecond"},
    {"transformation", "convert-lowercase", TR("convert-lowercase", "schema", "\"schema-name\":\"S%\"", ""), NULL, NULL},
    {"transformation", "convert-uppercase", TR("convert-uppercase", "column", LOC_C, ""), NULL, NULL},
    {"transformation", "add-prefix", TR("add-prefix", "table", LOC_T, ",\"value\":\"p_\""), NULL, NULL},
    {"transformation", "remove-prefix", TR("remove-prefix", "table", LOC_T, ",\"value\":\"p_\""), NULL, NULL},
    {"transformation", "replace-prefix", TR("replace-prefix", "column", LOC_C, ",\"value\":\"n_\",\"old-value\":\"o_\""), NULL, NULL},
    {"transformation", "add-suffix", TR("add-suffix", "schema", "\"schema-name\":\"s\"", ",\"value\":\"_x\""), NULL, NULL},
    {"transformation", "remove-suffix", TR("remove-suffix", "table", LOC_T, ",\"value\":\"_x\""), NULL, NULL},
    {"transformation", "replace-suffix", TR("replace-suffix", "table", LOC_T, ",\"value\":\"_n\",\"old-value\":\"_o\""), NULL, NULL},
    {"transformation", "change-data-type", TR("change-data-type", "column", LOC_C, ",\"data-type\":{\"type\":\"int8\"}"),
     TR("change-data-type", "column", LOC_C, ",\"data-type\":{\"type\":\"datetime\",\"precision\":9}"), "microsecond"},
    {"transformation", "define-primary-key",
     TR("define-primary-key", "table", LOC_T, ",\"primary-key-def\":{\"name\":\"k\",\"columns\":[\"c\"]}"),
     TR("define-primary-key", "table", LOC_T, ",\"primary-key-def\":{\"name\":\"k\",\"origin\":\"unique-index\",\"columns\":[\"c\"]}"),
     "unique index"},
    {"transformation", "add-before-image-columns", NULL,
     TR("add-before-image-columns", "column", LOC_T, ",\"before-image-def\":{\"column-prefix\":\"BI_\"}"), "before images"},
    {"transformation", "data-masking-digits-mask", NULL, TR("data-masking-digits-mask", "column", LOC_C, ""), "mask"},
    {"transformation", "data-masking-digits-randomize", NULL, TR("data-masking-digits-randomize", "column", LOC_C, ""), "mask"},
    {"transformation", "data-masking-hash-mask", NULL, TR("data-masking-hash-mask", "column", LOC_C, ""), "mask"},
    {"table-settings", "parallel-load",
     TS(",\"parallel-load\":{\"type\":\"ranges\",\"columns\":[\"c\"],\"boundaries\":[[\"1\"],[\"9\"]],\"segment-names\":[\"a\",\"b\",\"c\"]}"),
     TS(",\"parallel-load\":{\"type\":\"subpartitions-auto\"}"), "Oracle"},
    {"table-settings", "lob-settings", NULL, TS(",\"lob-settings\":{\"mode\":\"limited\",\"bulk-max-size\":\"16\"}"), "LOB"},
    {"post-processing", NULL, NULL,
     "{\"rule-type\":\"post-processing\",\"rule-id\":\"5\",\"rule-name\":\"five\",\"rule-action\":\"add-tag\",\"object-locator\":{" LOC_T "}}",
     "object tags"},
};

static void test_every_rule(void)
{
    int covered[64] = {0};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        const struct sample *s = &samples[i];
        const struct lt_dms_rule *d = lt_dms_rule_find(s->type, s->what);
        if (!CHECK(d != NULL)) {
            fprintf(stderr, "  no table entry %s %s\n", s->type, s->what ? s->what : "");
            continue;
        }
        covered[d - lt_dms_rules]++;
        char rules[4096];
        if (s->ok) {
            snprintf(rules, sizeof rules, "%s,%s", SEL, s->ok);
            expect_ok("postgres", "full-load", rules, __LINE__);
            CHECK(d->status != LT_DMS_REFUSED);
        } else {
            CHECK_INT(d->status, LT_DMS_REFUSED);
        }
        if (s->refused) {
            snprintf(rules, sizeof rules, "%s,%s", SEL, s->refused);
            expect_refused("postgres", "full-load", rules, "rule-id 5, rule-name \"five\"", s->why, __LINE__);
            CHECK(d->status != LT_DMS_IMPLEMENTED);
        } else {
            CHECK_INT(d->status, LT_DMS_IMPLEMENTED);
        }
    }
    for (const struct lt_dms_rule *d = lt_dms_rules; d->type; d++)
        if (!CHECK_INT(covered[d - lt_dms_rules], 1))
            fprintf(stderr, "  no sample for %s %s\n", d->type, d->what ? d->what : "");
}

static void test_rule_ids(void)
{
    expect_refused("postgres", "full-load",
                   "{\"rule-type\":\"selection\",\"rule-id\":\"one\",\"rule-name\":\"x\",\"object-locator\":{" LOC_T "},\"rule-action\":\"include\"}",
                   "rules[0] (rule-name \"x\")", "rule-id must be a number", __LINE__);
    expect_refused("postgres", "full-load", SEL ",{\"rule-type\":\"selection\",\"rule-id\":1,\"rule-name\":\"dup\",\"object-locator\":{" LOC_T "},\"rule-action\":\"exclude\"}",
                   "rule-id 1, rule-name \"dup\"", "used by another rule", __LINE__);
    expect_refused("postgres", "full-load", SEL ",{\"rule-type\":\"selection\",\"rule-id\":\"5\",\"object-locator\":{" LOC_T "},\"rule-action\":\"exclude\"}",
                   "rule-id 5", "rule-name", __LINE__);
    REFUSED("{\"rule-type\":\"filtering\",\"rule-id\":\"5\",\"rule-name\":\"five\"}", "not a DMS rule type");
    REFUSED("{\"rule-type\":\"selection\",\"rule-id\":\"5\",\"rule-name\":\"five\",\"object-locator\":{" LOC_T "},\"rule-action\":\"copy\"}",
            "not a selection action");
    REFUSED(TR("rename", "table", LOC_T, ",\"value\":\"x\",\"bogus\":1"), "bogus (rule-id 5, rule-name \"five\"): unknown key");
    REFUSED(TR("rename", "column", LOC_T, ",\"value\":\"x\""), "column-name (rule-id 5, rule-name \"five\"): missing");
    REFUSED(TR("rename", "schema", LOC_T, ",\"value\":\"x\""), "object-locator.table-name (rule-id 5, rule-name \"five\"): unknown key");
    REFUSED(TR("remove-column", "table", LOC_T, ""), "does not apply to rule-target table");
    REFUSED(TR("rename", "table", LOC_T, ""), "rules[1].value (rule-id 5, rule-name \"five\"): missing");
    REFUSED(TR("remove-column", "column", LOC_C, ",\"value\":\"x\""), "takes no value");
    REFUSED(TR("replace-prefix", "table", LOC_T, ",\"value\":\"x\""), "old-value (rule-id 5, rule-name \"five\"): missing");
    REFUSED(TR("rename", "column", LOC_C, ",\"value\":\"x\",\"expression\":\"1\""), "only in add-column");
    REFUSED(TR("add-column", "column", LOC_T, ",\"value\":\"n\""), "add-column needs one");
    REFUSED(TR("add-column", "column", LOC_T, ",\"value\":\"n\",\"data-type\":{\"type\":\"varchar2\"}"), "not a DMS data type");
    REFUSED(TR("add-column", "column", LOC_T, ",\"value\":\"n\",\"data-type\":{\"type\":\"numeric\"}"), "precision");
    REFUSED(TR("add-column", "column", LOC_T, ",\"value\":\"n\",\"data-type\":{\"type\":\"int4\",\"length\":3}"), "length");
    REFUSED(TR("define-primary-key", "table", LOC_T, ",\"primary-key-def\":{\"name\":\"k\",\"columns\":[]}"), "non-empty array");
}

static void test_filters(void)
{
#define FILTERED(loc, action, filters)                                                                               \
    "{\"rule-type\":\"selection\",\"rule-id\":\"5\",\"rule-name\":\"five\",\"object-locator\":{" loc                 \
    "},\"rule-action\":\"" action "\",\"filters\":[" filters "]}"
#define F(col, conds) "{\"filter-type\":\"source\",\"column-name\":\"" col "\",\"filter-conditions\":[" conds "]}"
    struct lt_task_config cfg;
    CHECK_INT(parse("postgres", "full-load", SEL "," FILTERED("\"schema-name\":\"s\",\"table-name\":\"my[_]t\"", "include",
                    F("a", "{\"filter-operator\":\"eq\",\"value\":\"x\"},{\"filter-operator\":\"gte\",\"value\":\"y\"}") ","
                    F("b", "{\"filter-operator\":\"notbetween\",\"start-value\":\"1\",\"end-value\":\"2\"}")), &cfg), LT_OK);
    const struct lt_table_filter *f = lt_mapping_filter(cfg.mapping, "s", "my_t");
    if (CHECK(f != NULL)) {
        CHECK_INT(f->nfilters, 2);
        CHECK_STR(f->filters[0].column, "a");
        CHECK_INT(f->filters[0].nconds, 2);
        CHECK_INT(f->filters[0].conds[1].op, LT_FOP_GTE);
        CHECK_INT(f->filters[1].conds[0].op, LT_FOP_NOTBETWEEN);
        CHECK_STR(f->filters[1].conds[0].end_value, "2");
        CHECK_STR(f->ref.name, "five");
    }
    lt_config_free(&cfg);
    REFUSED(FILTERED(LOC_T, "include", F("a", "{\"filter-operator\":\"noteq\",\"value\":\"1\"},{\"filter-operator\":\"null\"}")),
            "negative operator");
    REFUSED(FILTERED(LOC_T, "exclude", F("a", "{\"filter-operator\":\"null\"}")), "only with rule-action include");
    REFUSED(FILTERED("\"schema-name\":\"s\",\"table-name\":\"t%\"", "include", F("a", "{\"filter-operator\":\"null\"}")), "wildcards");
    REFUSED(FILTERED(LOC_T, "include", F("a", "{\"filter-operator\":\"null\"}") "," F("a", "{\"filter-operator\":\"notnull\"}")),
            "already has a filter");
    REFUSED(FILTERED(LOC_T, "include", F("a", "{\"filter-operator\":\"between\",\"value\":\"1\"}")), "start-value and end-value");
    REFUSED(FILTERED(LOC_T, "include", F("a", "{\"filter-operator\":\"null\",\"value\":\"1\"}")), "takes no value");
    REFUSED(FILTERED(LOC_T, "include", F("a", "{\"filter-operator\":\"eq\",\"value\":1}")), "a string");
    REFUSED(FILTERED(LOC_T, "include", F("a", "{\"filter-operator\":\"gt\",\"value\":\"1\"}")), "did you mean gte?");
    REFUSED(FILTERED(LOC_T, "include", "{\"filter-type\":\"target\",\"column-name\":\"a\",\"filter-conditions\":[]}"), "\"source\"");
    REFUSED(FILTERED(LOC_T, "include", F("a", "")), "non-empty");
}

static void test_table_settings_and_kinds(void)
{
    struct lt_task_config cfg;
    CHECK_INT(parse("mysql", "full-load", SEL "," TS(",\"parallel-load\":{\"type\":\"partitions-list\",\"partitions\":[\"p1\",\"p2\"]}"), &cfg), LT_OK);
    const struct lt_table_settings *ts = lt_mapping_settings(cfg.mapping, "s", "t");
    CHECK(ts && ts->type == LT_PL_PARTITIONS_LIST && ts->npartitions == 2);
    lt_config_free(&cfg);
    OK_MY(TS(",\"parallel-load\":{\"type\":\"partitions-auto\"}"));
    OK(TS(",\"parallel-load\":{\"type\":\"none\"}"));
    REFUSED(TS(",\"parallel-load\":{\"type\":\"partitions-auto\"}"), "only by ranges");
    REFUSED_MY(TS(",\"parallel-load\":{\"type\":\"partitions-list\"}"), "parallel-load.partitions (rule-id 5, rule-name \"five\"): must be a non-empty array");
    REFUSED(TS(",\"parallel-load\":{\"type\":\"ranges\",\"columns\":[\"c\"],\"boundaries\":[[\"1\",\"2\"]]}"), "2 values for 1 columns");
    REFUSED(TS(",\"parallel-load\":{\"type\":\"ranges\",\"columns\":[\"c\"],\"boundaries\":[[\"1\"]],\"segment-names\":[\"a\"]}"),
            "2 segments; 1 names");
    REFUSED(TS(",\"parallel-load\":{\"type\":\"ranges\",\"columns\":[\"c\"],\"boundaries\":[[\"1\"]],\"segment-names\":[\"a\",\"../b\"]}"),
            "not a folder name");
    REFUSED(TS(",\"parallel-load\":{\"type\":\"partitions-auto\",\"number-of-partitions\":4}"), "MongoDB");
    REFUSED(TS(""), "no parallel-load");
    expect_refused("postgres", "full-load", SEL ",{\"rule-type\":\"table-settings\",\"rule-id\":\"5\",\"rule-name\":\"five\","
                   "\"object-locator\":{\"schema-name\":\"s\",\"table-name\":\"%\"},\"parallel-load\":{\"type\":\"none\"}}",
                   "rule-id 5, rule-name \"five\"", "exact schema and table name required", __LINE__);
    /* table-type */
    CHECK_INT(parse("postgres", "full-load", SEL ",{\"rule-type\":\"selection\",\"rule-id\":\"5\",\"rule-name\":\"five\","
                    "\"object-locator\":{\"schema-name\":\"s\",\"table-name\":\"v%\",\"table-type\":\"all\"},\"rule-action\":\"include\"}", &cfg),
              LT_OK);
    CHECK(cfg.mapping && cfg.mapping->wants_views);
    CHECK_INT(cfg.rules[1].kinds, LT_KINDS_ALL);
    lt_config_free(&cfg);
    expect_refused("postgres", "cdc", SEL ",{\"rule-type\":\"selection\",\"rule-id\":\"5\",\"rule-name\":\"five\","
                   "\"object-locator\":{" LOC_T ",\"table-type\":\"view\"},\"rule-action\":\"include\"}",
                   "rule-id 5, rule-name \"five\"", "full-load tasks only", __LINE__);
    /* load-order */
    CHECK_INT(parse("postgres", "full-load", SEL ",{\"rule-type\":\"selection\",\"rule-id\":\"5\",\"rule-name\":\"five\","
                    "\"object-locator\":{" LOC_T "},\"rule-action\":\"include\",\"load-order\":7}", &cfg), LT_OK);
    CHECK_INT(lt_load_order_of(&cfg, "s", "t"), 7);
    CHECK_INT(lt_load_order_of(&cfg, "s", "other"), 0);
    lt_config_free(&cfg);
    REFUSED("{\"rule-type\":\"selection\",\"rule-id\":\"5\",\"rule-name\":\"five\",\"object-locator\":{" LOC_T "},"
            "\"rule-action\":\"exclude\",\"load-order\":1}", "exclude rule loads nothing");
    REFUSED("{\"rule-type\":\"selection\",\"rule-id\":\"5\",\"rule-name\":\"five\",\"object-locator\":{" LOC_T "},"
            "\"rule-action\":\"include\",\"load-order\":\"-1\"}", "between");
}

/* Transformations apply in rule-id order, whatever the order of the array; patterns are DMS wildcards. */
static void test_precedence_and_wildcards(void)
{
    struct lt_task_config cfg;
    const char *rules =
        "{\"rule-type\":\"transformation\",\"rule-id\":\"30\",\"rule-name\":\"prefix\",\"rule-action\":\"add-prefix\","
        "\"rule-target\":\"table\",\"object-locator\":{\"schema-name\":\"s\",\"table-name\":\"%\"},\"value\":\"P_\"},"
        "{\"rule-type\":\"transformation\",\"rule-id\":\"2\",\"rule-name\":\"upper\",\"rule-action\":\"convert-uppercase\","
        "\"rule-target\":\"table\",\"object-locator\":{\"schema-name\":\"s\",\"table-name\":\"ord[e]r_\"}},"
        "{\"rule-type\":\"transformation\",\"rule-id\":\"10\",\"rule-name\":\"rename\",\"rule-action\":\"rename\","
        "\"rule-target\":\"table\",\"object-locator\":{\"schema-name\":\"s\",\"table-name\":\"items\"},\"value\":\"lines\"},"
        "{\"rule-type\":\"transformation\",\"rule-id\":\"20\",\"rule-name\":\"suffix\",\"rule-action\":\"replace-suffix\","
        "\"rule-target\":\"table\",\"object-locator\":{\"schema-name\":\"s\",\"table-name\":\"%\"},\"value\":\"_v2\",\"old-value\":\"S\"},"
        "{\"rule-type\":\"transformation\",\"rule-id\":\"40\",\"rule-name\":\"schema\",\"rule-action\":\"add-suffix\","
        "\"rule-target\":\"schema\",\"object-locator\":{\"schema-name\":\"[rs]\"},\"value\":\"_raw\"}";
    char json[4096];
    snprintf(json, sizeof json, "%s,%s", SEL, rules);
    CHECK_INT(parse("postgres", "full-load", json, &cfg), LT_OK);
    CHECK_INT(cfg.mapping->ntransforms, 5);
    CHECK_STR(cfg.mapping->transforms[0].ref.id, "2");
    CHECK_STR(cfg.mapping->transforms[4].ref.id, "40");
    struct {
        const char *table, *want;
    } cases[] = {
        {"orders", "P_ORDER_v2"},  /* upper (2), then _S replaced (20), then the prefix (30) */
        {"ordxrs", "P_ordxrs"},    /* [e] does not match x */
        {"items", "P_lines"},      /* rename (10) then prefix (30) */
        {"x", "P_x"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *s = NULL, *t = NULL;
        lt_mapping_target_names(cfg.mapping, "s", cases[i].table, &s, &t);
        CHECK_STR(s, "s_raw");
        if (!CHECK_STR(t, cases[i].want))
            fprintf(stderr, "  for %s\n", cases[i].table);
        free(s);
        free(t);
    }
    char *s = NULL, *t = NULL;
    lt_mapping_target_names(cfg.mapping, "q", "x", &s, &t);
    CHECK_STR(s, "q");
    free(s);
    free(t);
    lt_config_free(&cfg);
}

/* The README's "Coming from DMS" rules table lists every entry of lt_dms_rules, once, with its status. */
static void test_readme_rules_table(void)
{
    const char *src = getenv("LOGTAP_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/README.md", src && *src ? src : "..");
    size_t len;
    char *text = (char *)unit_read_file(path, &len);
    if (!CHECK(text != NULL)) {
        fprintf(stderr, "  cannot read %s (set LOGTAP_SOURCE_DIR)\n", path);
        return;
    }
    char *sec = strstr(text, "\n## Coming from DMS");
    sec = sec ? strstr(sec, "\n| rule-type | action or option | logtap | notes |") : NULL;
    CHECK(sec != NULL);
    char *end = sec ? strstr(sec + 1, "\n\n") : NULL;
    if (end)
        *end = '\0';
    int seen[64] = {0}, rows = 0;
    for (char *line = sec; line && *line;) {
        char *nl = strchr(line + 1, '\n');
        if (nl)
            *nl = '\0';
        if (line[0] == '\n')
            line++;
        char type[64], what[64], status[64];
        if (sscanf(line, "| `%63[a-z-]` | `%63[a-z-]` | %63[^|]|", type, what, status) == 3 ||
            (sscanf(line, "| `%63[a-z-]` | (any) | %63[^|]|", type, status) == 2 && (what[0] = '\0', 1))) {
            size_t n = strlen(status);
            while (n && status[n - 1] == ' ')
                status[--n] = '\0';
            rows++;
            const struct lt_dms_rule *d = lt_dms_rule_find(type, what[0] ? what : NULL);
            if (!CHECK(d != NULL)) {
                fprintf(stderr, "  README lists %s %s, which the parser's table does not\n", type, what);
            } else {
                if (!CHECK_STR(status, lt_dms_status_name(d->status)))
                    fprintf(stderr, "  for %s %s\n", type, what);
                CHECK_INT(seen[d - lt_dms_rules]++, 0);
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    for (const struct lt_dms_rule *d = lt_dms_rules; d->type; d++)
        if (!CHECK_INT(seen[d - lt_dms_rules], 1))
            fprintf(stderr, "  README's rules table lacks %s %s\n", d->type, d->what ? d->what : "");
    CHECK(rows >= 26);
    free(text);
}

int main(void)
{
    RUN(test_every_rule);
    RUN(test_rule_ids);
    RUN(test_filters);
    RUN(test_table_settings_and_kinds);
    RUN(test_precedence_and_wildcards);
    RUN(test_readme_rules_table);
    return unit_report();
}
