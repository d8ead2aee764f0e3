/* Tests of DMS selection rules (agent/table_mapping.c): the wildcards % and _, the classes [_], [ab] and [a-d],
 * pattern validation, and how include, exclude and explicit rules combine. */
#include <string.h>

#include "agent/table_mapping.h"
#include "tests/unit/unit.h"

#define MATCH(p, n) CHECK(lt_pattern_match((p), (n)))
#define NO_MATCH(p, n) CHECK(!lt_pattern_match((p), (n)))

static void test_literal(void)
{
    MATCH("orders", "orders");
    NO_MATCH("orders", "order");
    NO_MATCH("order", "orders");
    NO_MATCH("orders", "Orders"); /* names are compared exactly, as the source spells them */
    NO_MATCH("a", "");
    MATCH("caf\xc3\xa9", "caf\xc3\xa9");
}

static void test_percent(void)
{
    MATCH("%", "orders");
    MATCH("%", "");
    MATCH("%%", "x");
    MATCH("ord%", "orders");
    MATCH("ord%", "ord");
    MATCH("%ers", "orders");
    MATCH("%der%", "orders");
    MATCH("o%s", "os");
    MATCH("o%r%s", "orders");
    NO_MATCH("o%x%s", "orders");
    NO_MATCH("ord%", "or");
    NO_MATCH("%ers", "ordersx");
    /* Backtracking: the first "ab" is not the one that lets the rest match. */
    MATCH("%ab%abc", "xabyabzabc");
    MATCH("%a%b%c%", "aXbYc");
    NO_MATCH("%a%b%c%", "cba");
    MATCH("%aaa", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    NO_MATCH("%aaab", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
}

static void test_underscore(void)
{
    MATCH("_", "a");
    MATCH("_", "_");
    NO_MATCH("_", "");
    NO_MATCH("_", "ab");
    MATCH("t_1", "tx1");
    MATCH("t_1", "t_1");
    MATCH("___", "abc");
    NO_MATCH("___", "ab");
    MATCH("%_", "a");
    NO_MATCH("%_", "");
    MATCH("_%_", "ab");
    NO_MATCH("_%_", "a");
    /* _ stands for one character, also a multi-byte UTF-8 one. */
    MATCH("caf_", "caf\xc3\xa9");
    MATCH("_t", "\xe2\x82\xact");
    MATCH("__", "\xf0\x9f\x98\x80x");
    NO_MATCH("__", "\xf0\x9f\x98\x80");
    MATCH("%_", "a\xc3\xa9");
    NO_MATCH("%___", "a\xc3\xa9");
    MATCH("%__", "a\xc3\xa9");
}

static void test_classes(void)
{
    /* [_] is a literal underscore. */
    MATCH("t[_]1", "t_1");
    NO_MATCH("t[_]1", "tx1");
    MATCH("tmp[_]%", "tmp_orders");
    NO_MATCH("tmp[_]%", "tmporders");
    NO_MATCH("tmp[_]%", "tmpxorders");
    /* Sets. */
    MATCH("[ab]x", "ax");
    MATCH("[ab]x", "bx");
    NO_MATCH("[ab]x", "cx");
    NO_MATCH("[ab]x", "x");
    NO_MATCH("[ab]x", "abx");
    /* Ranges. */
    MATCH("t[a-d]", "ta");
    MATCH("t[a-d]", "tc");
    MATCH("t[a-d]", "td");
    NO_MATCH("t[a-d]", "te");
    NO_MATCH("t[a-d]", "tA");
    MATCH("p[0-9][0-9]", "p07");
    NO_MATCH("p[0-9][0-9]", "p7");
    MATCH("[a-cx-z]", "y");
    NO_MATCH("[a-cx-z]", "m");
    /* A '-' at the end of a class is literal. */
    MATCH("[a-]", "-");
    MATCH("[a-]", "a");
    NO_MATCH("[a-]", "b");
    /* Classes with %. */
    MATCH("%[0-9]", "sales2024");
    NO_MATCH("%[0-9]", "sales");
    MATCH("[s]%[_]log", "stock_log");
    MATCH("%[_]%", "a_b");
    NO_MATCH("%[_]%", "ab");
}

static void test_valid(void)
{
    char *why = NULL;
    CHECK(lt_pattern_valid("%", &why));
    CHECK(lt_pattern_valid("t[_]%", &why));
    CHECK(lt_pattern_valid("[a-d][xy]", &why));
    CHECK(lt_pattern_valid("a]b", &why)); /* a lone ] is an ordinary character */
    why = NULL;
    CHECK(!lt_pattern_valid("tab[le", &why));
    CHECK(why != NULL && strstr(why, "]") != NULL);
    why = NULL;
    CHECK(!lt_pattern_valid("[", &why));
    CHECK(why != NULL);
    why = NULL;
    CHECK(!lt_pattern_valid("[a][", &why));
    CHECK(why != NULL);
    why = NULL;
    CHECK(!lt_pattern_valid("x[]", &why));
    CHECK(why != NULL && strstr(why, "empty") != NULL);
    why = NULL;
    CHECK(!lt_pattern_valid("", &why));
    CHECK(why != NULL);
    /* Matching an invalid pattern must still be safe (no read past the end). */
    (void)lt_pattern_match("a[", "ab");
    (void)lt_pattern_match("[", "x");
    (void)lt_pattern_match("[a-", "a");
    (void)lt_pattern_match("%[a", "bbb");
}

static struct lt_selection_rule rule(const char *schema, const char *table, const char *action)
{
    struct lt_selection_rule r;
    r.schema_pattern = (char *)schema;
    r.table_pattern = (char *)table;
    r.include = strcmp(action, "exclude") != 0;
    r.explicit_only = strcmp(action, "explicit") == 0;
    return r;
}

static void test_rules(void)
{
    struct lt_selection_rule rules[4];

    rules[0] = rule("public", "%", "include");
    CHECK(lt_rules_have_include(rules, 1));
    CHECK(lt_rules_select(rules, 1, "public", "orders"));
    CHECK(!lt_rules_select(rules, 1, "private", "orders"));
    CHECK(!lt_rules_select(rules, 0, "public", "orders"));

    /* Exclude wins over include, whatever the rule order. */
    rules[1] = rule("public", "tmp[_]%", "exclude");
    CHECK(lt_rules_select(rules, 2, "public", "orders"));
    CHECK(lt_rules_select(rules, 2, "public", "tmporders"));
    CHECK(!lt_rules_select(rules, 2, "public", "tmp_orders"));
    struct lt_selection_rule swapped[2] = {rules[1], rules[0]};
    CHECK(!lt_rules_select(swapped, 2, "public", "tmp_orders"));
    CHECK(lt_rules_select(swapped, 2, "public", "orders"));

    /* Exclude alone selects nothing. */
    CHECK(!lt_rules_have_include(&rules[1], 1));
    CHECK(!lt_rules_select(&rules[1], 1, "public", "orders"));
    CHECK(!lt_rules_select(&rules[1], 1, "public", "tmp_x"));

    /* Explicit rules match names literally: % and _ are ordinary characters there. */
    rules[0] = rule("audit", "log_%", "explicit");
    CHECK(lt_rules_have_include(rules, 1));
    CHECK(lt_rules_select(rules, 1, "audit", "log_%"));
    CHECK(!lt_rules_select(rules, 1, "audit", "log_2024"));
    CHECK(!lt_rules_select(rules, 1, "audit", "logx%"));

    /* Several includes: a table matched by any is in; an exclude on one schema only. */
    rules[0] = rule("sales", "%", "include");
    rules[1] = rule("hr", "employees", "explicit");
    rules[2] = rule("sales", "%[_]old", "exclude");
    rules[3] = rule("s_les", "orders", "include");
    CHECK(lt_rules_select(rules, 4, "sales", "orders"));
    CHECK(lt_rules_select(rules, 4, "sales", "orders_new"));
    CHECK(!lt_rules_select(rules, 4, "sales", "orders_old"));
    CHECK(lt_rules_select(rules, 4, "hr", "employees"));
    CHECK(!lt_rules_select(rules, 4, "hr", "salaries"));
    CHECK(lt_rules_select(rules, 4, "sxles", "orders"));
    CHECK(!lt_rules_select(rules, 4, "sxles", "items"));
    CHECK(!lt_rules_select(rules, 4, "other", "orders"));

    /* An exclude also removes what an explicit rule named. */
    rules[0] = rule("hr", "employees", "explicit");
    rules[1] = rule("hr", "%", "exclude");
    CHECK(!lt_rules_select(rules, 2, "hr", "employees"));
}

/* A table named without a wildcard (explicitly) vs matched by one: check refuses what logtap cannot capture when
 * it was named, and only warns when a wildcard caught it. */
static void test_named_explicitly(void)
{
    CHECK(lt_pattern_names("orders", "orders"));
    CHECK(lt_pattern_names("order_items", "order_items")); /* _ taken as itself */
    CHECK(lt_pattern_names("order[_]items", "order_items"));
    CHECK(lt_pattern_names("ord[e]rs", "orders"));
    CHECK(!lt_pattern_names("order_items", "orderXitems")); /* matched, but by the _ wildcard */
    CHECK(!lt_pattern_names("ord%", "orders"));
    CHECK(!lt_pattern_names("%", "orders"));
    CHECK(!lt_pattern_names("ord[ae]rs", "orders"));
    CHECK(!lt_pattern_names("ord[a-e]rs", "orders"));
    CHECK(!lt_pattern_names("orders", "orders2"));
    CHECK(!lt_pattern_names("orders2", "orders"));
    CHECK(!lt_pattern_names("[", "["));

    struct lt_selection_rule rules[3];
    rules[0] = rule("public", "%", "include");
    rules[1] = rule("%", "sessions", "include");
    CHECK(!lt_rules_name_explicitly(rules, 1, "public", "sessions"));
    CHECK(lt_rules_name_explicitly(rules, 2, "public", "sessions")); /* a wildcard schema still names the table */
    CHECK(!lt_rules_name_explicitly(rules, 2, "public", "orders"));
    rules[2] = rule("public", "sessions", "exclude");
    CHECK(!lt_rules_name_explicitly(rules, 3, "public", "sessions")); /* not selected at all */
    rules[0] = rule("audit", "log_%", "explicit");
    CHECK(lt_rules_name_explicitly(rules, 1, "audit", "log_%"));
    CHECK(!lt_rules_name_explicitly(rules, 1, "audit", "log_1"));
}

int main(void)
{
    RUN(test_literal);
    RUN(test_percent);
    RUN(test_underscore);
    RUN(test_classes);
    RUN(test_valid);
    RUN(test_rules);
    RUN(test_named_explicitly);
    return unit_report();
}
