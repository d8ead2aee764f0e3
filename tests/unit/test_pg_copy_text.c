/* Tests of PostgreSQL COPY text-row parsing (sources/postgres/pg_copy_text.c): \N, every backslash escape, octal
 * and \x hex escapes, empty fields, field-count errors, zero-column rows and the trailing newline. Rows are parsed
 * from exact-size heap copies so ASan catches any read past the row. */
#include <stdlib.h>
#include <string.h>

#include "sources/postgres/pg_copy_text.h"
#include "tests/unit/unit.h"

static struct lt_error err;
static char *row_copy;

/* Parses text (len bytes) as a row of nvals fields; the copy stays alive until the next call. */
static int parse(const char *text, size_t len, struct lt_value *vals, int nvals)
{
    free(row_copy);
    row_copy = malloc(len ? len : 1);
    memcpy(row_copy, text, len);
    memset(vals, 0xAB, sizeof *vals * (size_t)(nvals > 0 ? nvals : 1));
    lt_error_clear(&err);
    return lt_pg_copy_parse_row(row_copy, len, vals, nvals, &err);
}
#define PARSE(lit, vals, n) parse((lit), sizeof(lit) - 1, (vals), (n))

static void check_value(const struct lt_value *v, const char *want, size_t want_len, int line)
{
    if (!unit_check_int(v->state, LT_VALUE_PRESENT, "value state", __FILE__, line))
        return;
    unit_check_mem(v->data, v->len, want, want_len, "value", __FILE__, line);
}
#define VALUE(v, lit) check_value(&(v), (lit), sizeof(lit) - 1, __LINE__)
#define IS_NULL(v) CHECK_INT((v).state, LT_VALUE_NULL)

static void test_plain_fields(void)
{
    struct lt_value v[4];
    CHECK_INT(PARSE("1\tabc\t\\N\thello world\n", v, 4), LT_OK);
    VALUE(v[0], "1");
    VALUE(v[1], "abc");
    IS_NULL(v[2]);
    VALUE(v[3], "hello world");
    /* Values point into the row buffer: no copies. */
    CHECK(v[1].data >= row_copy && v[1].data < row_copy + 22);

    /* Without the trailing newline. */
    CHECK_INT(PARSE("1\tabc\t\\N\tx", v, 4), LT_OK);
    VALUE(v[3], "x");
    IS_NULL(v[2]);

    /* Only one trailing newline is the row end. */
    CHECK_INT(PARSE("\\N\n", v, 1), LT_OK);
    IS_NULL(v[0]);
    CHECK_INT(PARSE("\\N", v, 1), LT_OK);
    IS_NULL(v[0]);
    CHECK_INT(PARSE("\\N\t\\N\n", v, 2), LT_OK);
    IS_NULL(v[0]);
    IS_NULL(v[1]);

    /* UTF-8 passes through. */
    CHECK_INT(PARSE("caf\xc3\xa9\t\xe2\x82\xac\n", v, 2), LT_OK);
    VALUE(v[0], "caf\xc3\xa9");
    VALUE(v[1], "\xe2\x82\xac");
}

static void test_null_lookalikes(void)
{
    struct lt_value v[5];
    /* \\N is a backslash and an N; \N inside a longer field is just N; N alone is text. */
    CHECK_INT(PARSE("\\\\N\ta\\N\t\\Nb\tN\t\\n\n", v, 5), LT_OK);
    VALUE(v[0], "\\N");
    VALUE(v[1], "aN");
    VALUE(v[2], "Nb");
    VALUE(v[3], "N");
    VALUE(v[4], "\n");
}

static void test_escapes(void)
{
    struct lt_value v[8];
    CHECK_INT(PARSE("a\\\\b\t\\t\t\\n\t\\r\t\\b\t\\f\t\\v\tx\\ty\\nz\n", v, 8), LT_OK);
    VALUE(v[0], "a\\b");
    VALUE(v[1], "\t");
    VALUE(v[2], "\n");
    VALUE(v[3], "\r");
    VALUE(v[4], "\b");
    VALUE(v[5], "\f");
    VALUE(v[6], "\v");
    VALUE(v[7], "x\ty\nz");

    /* Any other escaped character stands for itself. */
    CHECK_INT(PARSE("\\q\\.\\\"\\'\t\\\\\\\\\n", v, 2), LT_OK);
    VALUE(v[0], "q.\"'");
    VALUE(v[1], "\\\\");

    /* A backslash as the last byte of a field (only possible in malformed input) stays a backslash. */
    CHECK_INT(PARSE("abc\\\tx\\", v, 2), LT_OK);
    VALUE(v[0], "abc\\");
    VALUE(v[1], "x\\");
}

static void test_octal(void)
{
    struct lt_value v[8];
    CHECK_INT(PARSE("\\101\t\\1011\t\\7\t\\01x\t\\377\t\\777\t\\0\t\\12\\15\n", v, 8), LT_OK);
    VALUE(v[0], "A");
    VALUE(v[1], "A1");
    VALUE(v[2], "\007");
    VALUE(v[3], "\001x");
    VALUE(v[4], "\377");
    VALUE(v[5], "\377"); /* PostgreSQL keeps the low 8 bits */
    VALUE(v[6], "\0");
    VALUE(v[7], "\n\r");
    /* 8 and 9 are not octal digits. */
    CHECK_INT(PARSE("\\18\t\\8\n", v, 2), LT_OK);
    VALUE(v[0], "\0018");
    VALUE(v[1], "8");
}

static void test_hex(void)
{
    struct lt_value v[7];
    CHECK_INT(PARSE("\\x41\t\\x4\t\\x4g\t\\xAbC\t\\xg\t\\x\t\\xff\\x00\n", v, 7), LT_OK);
    VALUE(v[0], "A");
    VALUE(v[1], "\004");
    VALUE(v[2], "\004g");
    VALUE(v[3], "\253C");
    VALUE(v[4], "xg"); /* \x without hex digits is an x, as PostgreSQL reads it */
    VALUE(v[5], "x");
    VALUE(v[6], "\377\0");
    /* A \x at the very end of the row. */
    CHECK_INT(PARSE("a\\x", v, 1), LT_OK);
    VALUE(v[0], "ax");
    CHECK_INT(PARSE("a\\x4", v, 1), LT_OK);
    VALUE(v[0], "a\004");
    /* bytea's hex output is text to COPY: \\x followed by digits is a backslash, then x and the digits. */
    CHECK_INT(PARSE("\\\\x0102\n", v, 1), LT_OK);
    VALUE(v[0], "\\x0102");
}

static void test_empty_fields(void)
{
    struct lt_value v[3];
    CHECK_INT(PARSE("\t\t\n", v, 3), LT_OK);
    VALUE(v[0], "");
    VALUE(v[1], "");
    VALUE(v[2], "");
    CHECK_INT(PARSE("\n", v, 1), LT_OK);
    VALUE(v[0], "");
    CHECK_INT(PARSE("", v, 1), LT_OK);
    VALUE(v[0], "");
    CHECK_INT(PARSE("a\t\t\\N", v, 3), LT_OK);
    VALUE(v[0], "a");
    VALUE(v[1], "");
    IS_NULL(v[2]);
}

static void test_wrong_field_count(void)
{
    struct lt_value v[4];
    CHECK_INT(PARSE("a\tb\n", v, 3), LT_ERR_RUNTIME);
    CHECK(strstr(err.msg, "2") != NULL && strstr(err.msg, "3") != NULL);
    CHECK_INT(PARSE("a\tb\tc\n", v, 2), LT_ERR_RUNTIME);
    CHECK_INT(PARSE("a\tb\n", v, 1), LT_ERR_RUNTIME);
    CHECK_INT(PARSE("\t\n", v, 1), LT_ERR_RUNTIME);
    CHECK_INT(PARSE("\n", v, 2), LT_ERR_RUNTIME);
    CHECK_INT(PARSE("", v, 4), LT_ERR_RUNTIME);
    CHECK(err.msg[0] != '\0');
}

static void test_zero_columns(void)
{
    struct lt_value v[1];
    CHECK_INT(PARSE("\n", v, 0), LT_OK);
    CHECK_INT(PARSE("", v, 0), LT_OK);
    CHECK_INT(PARSE("x\n", v, 0), LT_ERR_RUNTIME);
    CHECK_INT(PARSE("\t\n", v, 0), LT_ERR_RUNTIME);
    CHECK_INT(PARSE("\\N\n", v, 0), LT_ERR_RUNTIME);
}

/* Every 3-byte row over an alphabet of the interesting bytes parses without error or over-read, and each field's
 * unescaped length never exceeds its escaped length. */
static void test_exhaustive_short_rows(void)
{
    static const char alphabet[] = "\\\tNx07a\n";
    const size_t k = sizeof alphabet - 1;
    struct lt_value v[4];
    int bad = 0;
    for (size_t a = 0; a < k; a++)
        for (size_t b = 0; b < k; b++)
            for (size_t c = 0; c < k; c++)
                for (size_t d = 0; d < k; d++) {
                    char row[4] = {alphabet[a], alphabet[b], alphabet[c], alphabet[d]};
                    for (int nvals = 0; nvals <= 4; nvals++) {
                        int rc = parse(row, 4, v, nvals);
                        if (rc == LT_OK) {
                            for (int i = 0; i < nvals; i++)
                                if (v[i].state == LT_VALUE_PRESENT &&
                                    (v[i].data < row_copy || v[i].data + v[i].len > row_copy + 4))
                                    bad++;
                        } else if (rc != LT_ERR_RUNTIME) {
                            bad++;
                        }
                    }
                }
    CHECK_INT(bad, 0);
}

int main(void)
{
    RUN(test_plain_fields);
    RUN(test_null_lookalikes);
    RUN(test_escapes);
    RUN(test_octal);
    RUN(test_hex);
    RUN(test_empty_fields);
    RUN(test_wrong_field_count);
    RUN(test_zero_columns);
    RUN(test_exhaustive_short_rows);
    free(row_copy);
    return unit_report();
}
