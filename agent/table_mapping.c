/* Matching schema and table names against DMS selection rules (see table_mapping.h for the wildcard syntax). */
#include "agent/table_mapping.h"

#include <string.h>

/* Matches one bracket class at p (p points after '['); sets *next past ']'. */
static bool match_class(const char *p, char c, const char **next)
{
    bool matched = false;
    const char *q = p;
    while (*q && *q != ']') {
        if (q[1] == '-' && q[2] && q[2] != ']') {
            if (c >= q[0] && c <= q[2])
                matched = true;
            q += 3;
        } else {
            if (c == *q)
                matched = true;
            q++;
        }
    }
    *next = *q == ']' ? q + 1 : q;
    return matched;
}

bool lt_pattern_match(const char *pattern, const char *name)
{
    const char *p = pattern, *n = name;
    const char *star_p = NULL, *star_n = NULL;
    while (*n) {
        if (*p == '%') {
            star_p = ++p;
            star_n = n;
            continue;
        }
        if (*p == '_') {
            p++;
            n++;
            while (((unsigned char)*n & 0xC0) == 0x80) /* _ is one character of a UTF-8 name, not one byte */
                n++;
            continue;
        }
        if (*p == '[') {
            const char *next;
            if (match_class(p + 1, *n, &next)) {
                p = next;
                n++;
                continue;
            }
        } else if (*p && *p == *n) {
            p++;
            n++;
            continue;
        }
        if (!star_p)
            return false;
        p = star_p;
        n = ++star_n;
    }
    while (*p == '%')
        p++;
    return *p == '\0';
}

bool lt_pattern_valid(const char *pattern, char **why)
{
    for (const char *p = pattern; *p; p++) {
        if (*p != '[')
            continue;
        const char *close = strchr(p + 1, ']');
        if (!close) {
            *why = "a [ in a name pattern has no matching ]";
            return false;
        }
        if (close == p + 1) {
            *why = "a name pattern has an empty [] class";
            return false;
        }
        p = close;
    }
    if (!*pattern) {
        *why = "a name pattern is empty";
        return false;
    }
    return true;
}

bool lt_rules_have_include(const struct lt_selection_rule *rules, int nrules)
{
    for (int i = 0; i < nrules; i++)
        if (rules[i].include)
            return true;
    return false;
}

static bool rule_matches(const struct lt_selection_rule *r, const char *schema, const char *table)
{
    if (r->explicit_only)
        return strcmp(r->schema_pattern, schema) == 0 && strcmp(r->table_pattern, table) == 0;
    return lt_pattern_match(r->schema_pattern, schema) && lt_pattern_match(r->table_pattern, table);
}

bool lt_rules_select(const struct lt_selection_rule *rules, int nrules, const char *schema, const char *table)
{
    return lt_rules_select_kind(rules, nrules, schema, table, false);
}

bool lt_rules_select_kind(const struct lt_selection_rule *rules, int nrules, const char *schema, const char *table,
                          bool is_view)
{
    bool included = false;
    for (int i = 0; i < nrules; i++) {
        bool kind = rules[i].kinds == LT_KINDS_ALL || (rules[i].kinds == LT_KINDS_VIEWS) == is_view;
        if (!kind || !rule_matches(&rules[i], schema, table))
            continue;
        if (!rules[i].include)
            return false;
        included = true;
    }
    return included;
}

bool lt_pattern_names(const char *pattern, const char *name)
{
    const char *p = pattern, *n = name;
    while (*p) {
        char c;
        if (*p == '%')
            return false;
        if (*p == '[') {
            if (!p[1] || p[2] != ']')
                return false; /* a set or a range matches by wildcard */
            c = p[1];
            p += 3;
        } else {
            c = *p++;
        }
        if (*n != c)
            return false;
        n++;
    }
    return *n == '\0';
}

bool lt_rules_name_explicitly(const struct lt_selection_rule *rules, int nrules, const char *schema,
                              const char *table)
{
    if (!lt_rules_select(rules, nrules, schema, table))
        return false;
    for (int i = 0; i < nrules; i++)
        if (rules[i].include && rule_matches(&rules[i], schema, table) &&
            (rules[i].explicit_only || lt_pattern_names(rules[i].table_pattern, table)))
            return true;
    return false;
}
