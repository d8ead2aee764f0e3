/* Tests of path escaping (agent/path_escape.c): no source name can produce ".", "..", a '/', a hidden file, or a
 * component over 255 bytes; ordinary names and UTF-8 stay readable; long names are cut with a hash so distinct
 * names stay distinct. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/path_escape.h"
#include "tests/unit/unit.h"

static const char *esc(const char *name)
{
    static char out[LT_PATH_COMPONENT_MAX];
    lt_path_escape_component(name, out);
    return out;
}

/* Every escaped component: non-empty, at most 255 bytes, no '/', no NUL inside, not starting with '.'. */
static void check_safe(const char *out)
{
    size_t n = strlen(out);
    CHECK(n > 0);
    CHECK(n <= 255);
    CHECK(strchr(out, '/') == NULL);
    CHECK(out[0] != '.');
    CHECK(strcmp(out, ".") != 0 && strcmp(out, "..") != 0);
}

static void test_plain_names(void)
{
    CHECK_STR(esc("orders"), "orders");
    CHECK_STR(esc("Order_Items-2024.v2"), "Order_Items-2024.v2");
    CHECK_STR(esc("a.b"), "a.b");
    CHECK_STR(esc("x."), "x.");
    CHECK_STR(esc("0"), "0");
}

static void test_dots(void)
{
    CHECK_STR(esc("."), "%2E");
    CHECK_STR(esc(".."), "%2E.");
    CHECK_STR(esc("..."), "%2E..");
    CHECK_STR(esc(".hidden"), "%2Ehidden");
    check_safe(esc("."));
    check_safe(esc(".."));
}

static void test_separators(void)
{
    CHECK_STR(esc("a/b"), "a%2Fb");
    CHECK_STR(esc("/"), "%2F");
    CHECK_STR(esc("../../x"), "%2E.%2F..%2Fx");
    CHECK_STR(esc("..\\..\\x"), "%2E.%5C..%5Cx");
    check_safe(esc("../../etc/passwd"));
    CHECK_STR(esc(""), "%");
}

static void test_special_bytes(void)
{
    CHECK_STR(esc("100%"), "100%25");
    CHECK_STR(esc("%2E"), "%252E"); /* an escape-looking name cannot collide with an escaped one */
    CHECK_STR(esc("my table"), "my%20table");
    CHECK_STR(esc("tab\there"), "tab%09here");
    CHECK_STR(esc("nl\nx"), "nl%0Ax");
    CHECK_STR(esc("\x01\x7f"), "%01%7F");
    CHECK_STR(esc("a:b*c?\"<>|"), "a%3Ab%2Ac%3F%22%3C%3E%7C");
    CHECK_STR(esc("~x"), "%7Ex");
    /* UTF-8 bytes are kept as they are. */
    CHECK_STR(esc("caf\xc3\xa9"), "caf\xc3\xa9");
    CHECK_STR(esc("\xe6\x97\xa5\xe6\x9c\xac"), "\xe6\x97\xa5\xe6\x9c\xac");
    CHECK_STR(esc("\xf0\x9f\x98\x80 x"), "\xf0\x9f\x98\x80%20x");
}

static void test_table_dir(void)
{
    char out[600];
    lt_path_table_dir("public", "orders", out, sizeof out);
    CHECK_STR(out, "public/orders");
    lt_path_table_dir("..", "../x", out, sizeof out);
    CHECK_STR(out, "%2E./%2E.%2Fx");
    lt_path_table_dir("", "a b", out, sizeof out);
    CHECK_STR(out, "%/a%20b");
}

/* Fills buf with n copies of c (plus NUL). */
static char *repeat(char *buf, char c, size_t n)
{
    memset(buf, c, n);
    buf[n] = '\0';
    return buf;
}

static void test_long_names(void)
{
    char name[4096], a[LT_PATH_COMPONENT_MAX], b[LT_PATH_COMPONENT_MAX];

    /* 240 escaped bytes fit as they are; 241 are cut and hashed. */
    lt_path_escape_component(repeat(name, 'x', 240), a);
    CHECK_STR(a, name);
    lt_path_escape_component(repeat(name, 'x', 241), a);
    check_safe(a);
    CHECK(strlen(a) <= 240);
    CHECK(strchr(a, '~') != NULL);
    CHECK(strncmp(a, name, 200) == 0);

    /* Names that differ only after the cut stay distinct. */
    repeat(name, 'y', 1000);
    lt_path_escape_component(name, a);
    name[999] = 'z';
    lt_path_escape_component(name, b);
    check_safe(a);
    check_safe(b);
    CHECK(strcmp(a, b) != 0);
    /* ... and escaping is deterministic. */
    char c[LT_PATH_COMPONENT_MAX];
    lt_path_escape_component(name, c);
    CHECK_STR(c, b);

    /* Many distinct long names give many distinct results. */
    enum { N = 300 };
    static char outs[N][LT_PATH_COMPONENT_MAX];
    for (int i = 0; i < N; i++) {
        repeat(name, 'q', 500);
        snprintf(name + 490, 11, "%010d", i);
        lt_path_escape_component(name, outs[i]);
        check_safe(outs[i]);
    }
    int dups = 0;
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            dups += strcmp(outs[i], outs[j]) == 0;
    CHECK_INT(dups, 0);

    /* A long name of bytes that all need escaping: the cut never splits a %XX. */
    for (size_t fill = 0; fill < 4; fill++) {
        repeat(name, ' ', 200);
        memset(name, 'a', fill);
        lt_path_escape_component(name, a);
        check_safe(a);
        const char *tilde = strrchr(a, '~');
        CHECK(tilde != NULL);
        if (!tilde)
            continue;
        size_t body = (size_t)(tilde - a);
        CHECK(body >= fill);
        CHECK((body - fill) % 3 == 0);
        for (size_t i = fill; i < body; i += 3)
            CHECK(a[i] == '%' && a[i + 1] == '2' && a[i + 2] == '0');
        CHECK_INT(strlen(tilde), 9); /* '~' and 8 hex digits */
    }

    /* A long UTF-8 name: the cut never splits a character. */
    for (size_t shift = 0; shift < 3; shift++) {
        size_t n = 0;
        for (size_t i = 0; i < shift; i++)
            name[n++] = 'a';
        while (n < 900) {
            memcpy(name + n, "\xe2\x82\xac", 3); /* U+20AC, 3 bytes */
            n += 3;
        }
        name[n] = '\0';
        lt_path_escape_component(name, a);
        check_safe(a);
        const char *tilde = strrchr(a, '~');
        CHECK(tilde != NULL);
        if (!tilde)
            continue;
        size_t body = (size_t)(tilde - a) - shift;
        CHECK_INT(body % 3, 0);
        for (size_t i = shift; i < shift + body; i += 3)
            CHECK(memcmp(a + i, "\xe2\x82\xac", 3) == 0);
    }

    /* Long names starting with '.' or holding '/' are still safe. */
    repeat(name, '/', 3000);
    name[0] = '.';
    lt_path_escape_component(name, a);
    check_safe(a);
    repeat(name, '.', 3000);
    lt_path_escape_component(name, a);
    check_safe(a);
    CHECK(strncmp(a, "%2E..", 5) == 0);
}

static int compare_names(const void *x, const void *y)
{
    return strcmp((const char *)x, (const char *)y);
}

/* Every single-byte name and every two-byte name is safe, and distinct names give distinct components. */
static void test_all_short_names(void)
{
    static char outs[256 * 256][8];
    int n = 0;
    char name[3] = {0, 0, 0};
    char out[LT_PATH_COMPONENT_MAX];
    for (int c1 = 1; c1 < 256; c1++) {
        name[0] = (char)c1;
        name[1] = 0;
        lt_path_escape_component(name, out);
        check_safe(out);
        snprintf(outs[n++], 8, "%s", out);
        for (int c2 = 1; c2 < 256; c2++) {
            name[1] = (char)c2;
            lt_path_escape_component(name, out);
            if (strlen(out) > 6 || strchr(out, '/') || out[0] == '.')
                check_safe(out);
            snprintf(outs[n++], 8, "%s", out);
        }
    }
    /* Sort and look for neighbours that are equal. */
    qsort(outs, (size_t)n, sizeof outs[0], compare_names);
    int dups = 0;
    for (int i = 1; i < n; i++)
        dups += strcmp(outs[i - 1], outs[i]) == 0;
    CHECK_INT(dups, 0);
}

int main(void)
{
    RUN(test_plain_names);
    RUN(test_dots);
    RUN(test_separators);
    RUN(test_special_bytes);
    RUN(test_table_dir);
    RUN(test_long_names);
    RUN(test_all_short_names);
    return unit_report();
}
