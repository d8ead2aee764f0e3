/* The _logtap_unchanged list: ordinary names as they are, names with commas or quotes quoted, every list read back
 * to exactly its names; malformed lists refused. */
#include <string.h>

#include "agent/unchanged_list.h"
#include "unit.h"

static void encode(const char *const *names, int n, char *out)
{
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        size_t need = lt_unchanged_item(NULL, names[i], i == 0);
        CHECK_INT((int)lt_unchanged_item(out + len, names[i], i == 0), (int)need);
        len += need;
    }
    out[len] = '\0';
}

static void test_encoding(void)
{
    char out[512];
    const char *plain[] = {"big", "note", "sp ace"};
    encode(plain, 3, out);
    CHECK_STR(out, "big,note,sp ace"); /* unchanged from the earlier format */
    const char *hostile[] = {"a", "b", "a,b", "q\"x", "\"lead", ""};
    encode(hostile, 6, out);
    CHECK_STR(out, "a,b,\"a,b\",q\"x,\"\"\"lead\",\"\""); /* a quote inside a name needs no quoting */
}

static void test_round_trip(void)
{
    const char *cases[][6] = {
        {"a", "b", "a,b", NULL},
        {"x", "", "y", NULL},
        {"a,b", NULL},
        {"\"", ",", "\",\"", "x y", NULL},
        {"one", NULL},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int n = 0;
        while (cases[c][n])
            n++;
        char out[512];
        encode(cases[c], n, out);
        const char *p = out, *end = out + strlen(out);
        char name[64];
        size_t len;
        for (int i = 0; i < n; i++) {
            CHECK_INT(lt_unchanged_next(&p, end, name, sizeof name, &len), 1);
            CHECK_STR(name, cases[c][i]);
            CHECK_INT((int)len, (int)strlen(cases[c][i]));
        }
        CHECK_INT(lt_unchanged_next(&p, end, name, sizeof name, &len), 0);
    }
}

static void test_malformed(void)
{
    const char *bad[] = {"\"open", "\"a\"b", "x,\"y"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *p = bad[i], *end = bad[i] + strlen(bad[i]);
        char name[64];
        size_t len;
        int got;
        while ((got = lt_unchanged_next(&p, end, name, sizeof name, &len)) == 1)
            ;
        CHECK_INT(got, -1);
    }
}

int main(void)
{
    RUN(test_encoding);
    RUN(test_round_trip);
    RUN(test_malformed);
    return unit_report();
}
