/* Tests of the CSV target (targets/csv/csv_writer.c) through its plug-in ops: rows are written to a real file and
 * the bytes compared with what RFC 4180 and the DMS options (CsvDelimiter, CsvRowDelimiter, CsvNullValue,
 * AddColumnName) demand; then files are parsed back with libcsv to prove every value round-trips and NULL stays
 * distinguishable from the empty string. */
#include <csv.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/target.h"
#include "tests/unit/unit.h"

static struct lt_error err;
static const char *tmpdir;

static struct lt_target_config config(const char *delim, const char *rowdelim, const char *null, bool header)
{
    struct lt_target_config c;
    memset(&c, 0, sizeof c);
    c.csv_delimiter = (char *)delim;
    c.csv_row_delimiter = (char *)rowdelim;
    c.csv_null_value = (char *)null;
    c.add_column_name = header;
    return c;
}

static struct lt_value present(const char *s)
{
    struct lt_value v = {s, (uint32_t)strlen(s), LT_VALUE_PRESENT};
    return v;
}

static struct lt_value present_n(const char *s, size_t n)
{
    struct lt_value v = {s, (uint32_t)n, LT_VALUE_PRESENT};
    return v;
}

static const struct lt_value null_value = {NULL, 0, LT_VALUE_NULL};
static const struct lt_value unchanged_value = {NULL, 0, LT_VALUE_UNCHANGED};

static struct lt_row make_row(char op, int64_t ts, const char *pos, const struct lt_value *vals, int n)
{
    struct lt_row r;
    memset(&r, 0, sizeof r);
    r.op = op;
    r.commit_ts_us = ts;
    snprintf(r.pos, sizeof r.pos, "%s", pos);
    r.vals = vals;
    r.nvals = n;
    return r;
}

/* A schema with columns c0, c1, ... (or the given names). */
static struct lt_table_schema *schema_of(int ncols, const char *const *names)
{
    struct lt_table_schema *s = lt_schema_new("public", "t", ncols);
    for (int i = 0; i < ncols; i++) {
        char name[16];
        snprintf(name, sizeof name, "c%d", i);
        lt_schema_set_column(s, i, names ? names[i] : name, LT_TYPE_TEXT, 0, 0, i == 0, true, "text");
    }
    return s;
}

/* One file being written. */
struct out_file {
    char path[4200];
    int fd;
    struct lt_out out;
    struct lt_target_writer *w;
};

static int start(struct out_file *f, const char *name, const struct lt_target_config *cfg,
                 const struct lt_file_layout *layout)
{
    snprintf(f->path, sizeof f->path, "%s/%s", tmpdir, name);
    f->fd = open(f->path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(f->fd >= 0);
    lt_error_clear(&err);
    lt_out_init(&f->out, f->fd);
    int rc = lt_csv_target.open(&f->w, &f->out, cfg, layout, &err);
    CHECK_INT(rc, LT_OK);
    return rc;
}

/* Finishes the file and returns its bytes (malloc'd). */
static unsigned char *finish(struct out_file *f, size_t *len)
{
    uint64_t size = lt_csv_target.size(f->w);
    CHECK_INT(lt_csv_target.finish(f->w, &err), LT_OK);
    close(f->fd);
    unsigned char *data = unit_read_file(f->path, len);
    CHECK(data != NULL);
    if (data)
        CHECK_INT(*len, size);
    return data;
}

/* Writes rows into a file and compares the file's bytes with want. */
static void expect_file(const char *name, const struct lt_target_config *cfg, const struct lt_file_layout *layout,
                        const struct lt_row *rows, int nrows, const char *want, size_t want_len, int line)
{
    struct out_file f;
    if (start(&f, name, cfg, layout))
        return;
    for (int i = 0; i < nrows; i++)
        unit_check_int(lt_csv_target.write_row(f.w, &rows[i], &err), LT_OK, "write_row", __FILE__, line);
    size_t len = 0;
    unsigned char *data = finish(&f, &len);
    if (data)
        unit_check_mem(data, len, want, want_len, name, __FILE__, line);
    free(data);
}
#define EXPECT_FILE(name, cfg, layout, rows, n, want) \
    expect_file((name), (cfg), (layout), (rows), (n), (want), sizeof(want) - 1, __LINE__)

static void test_quoting_default_options(void)
{
    struct lt_target_config cfg = config(",", "\n", "NULL", false);
    struct lt_table_schema *s = schema_of(12, NULL);
    struct lt_file_layout layout = {s, false, NULL, false, false, false};
    struct lt_value v[12] = {
        present("abc"),          present(""),           null_value,           present("NULL"),
        present("a,b"),          present("say \"hi\""), present("line\nbreak"), present("cr\rx"),
        present("null"),         present(" sp "),       present("\""),        present("NULLS"),
    };
    struct lt_row r = make_row('I', 0, "0000000000000001", v, 12);
    EXPECT_FILE("quoting.csv", &cfg, &layout, &r, 1,
                "abc,\"\",NULL,\"NULL\",\"a,b\",\"say \"\"hi\"\"\",\"line\nbreak\",\"cr\rx\",null, sp ,\"\"\"\","
                "NULLS,0000000000000001\n");
    lt_schema_free(s);
}

/* Long values: a byte that forces quotes anywhere in a 16-byte block or in the tail after the last block. */
static void test_quoting_long_values(void)
{
    struct lt_target_config cfg = config(",", "\n", "NULL", false);
    struct lt_table_schema *s = schema_of(1, NULL);
    struct lt_file_layout layout = {s, false, NULL, false, false, false};
    const char specials[] = {',', '"', '\n', '\r'};
    for (size_t len = 1; len <= 40; len++) {
        for (size_t at = 0; at <= len; at++) { /* at == len: no special byte */
            for (size_t k = 0; k < sizeof specials; k++) {
                char text[48], want[128];
                memset(text, 'x', len);
                text[len] = '\0';
                if (at < len)
                    text[at] = specials[k];
                struct lt_value v[1] = {present(text)};
                struct lt_row r = make_row('I', 0, "P", v, 1);
                size_t n = 0;
                if (at < len)
                    want[n++] = '"';
                for (size_t i = 0; i < len; i++) {
                    want[n++] = text[i];
                    if (text[i] == '"')
                        want[n++] = '"';
                }
                if (at < len)
                    want[n++] = '"';
                memcpy(want + n, ",P\n", 3);
                expect_file("long.csv", &cfg, &layout, &r, 1, want, n + 3, __LINE__);
                if (at == len)
                    break;
            }
        }
    }
    lt_schema_free(s);
}

static void test_several_rows(void)
{
    struct lt_target_config cfg = config(",", "\n", "NULL", false);
    struct lt_table_schema *s = schema_of(2, NULL);
    struct lt_file_layout layout = {s, false, NULL, false, false, false};
    struct lt_value v1[2] = {present("1"), present("one")};
    struct lt_value v2[2] = {present("2"), null_value};
    struct lt_value v3[2] = {present("3"), present("")};
    struct lt_row rows[3] = {make_row('I', 0, "p1", v1, 2), make_row('I', 0, "p2", v2, 2),
                             make_row('I', 0, "p,3", v3, 2)};
    EXPECT_FILE("rows.csv", &cfg, &layout, rows, 3, "1,one,p1\n2,NULL,p2\n3,\"\",\"p,3\"\n");
    /* No rows: an empty file. */
    EXPECT_FILE("empty.csv", &cfg, &layout, rows, 0, "");
    lt_schema_free(s);
}

static void test_custom_delimiters(void)
{
    struct lt_table_schema *s = schema_of(5, NULL);
    struct lt_file_layout layout = {s, false, NULL, false, false, false};
    struct lt_value v[5] = {present("a,b"), present("x|y"), present("t\tu"), null_value, present("q\"")};
    struct lt_row r = make_row('I', 0, "P", v, 5);

    struct lt_target_config pipe = config("|", "\n", "NULL", false);
    EXPECT_FILE("pipe.csv", &pipe, &layout, &r, 1, "a,b|\"x|y\"|t\tu|NULL|\"q\"\"\"|P\n");

    struct lt_target_config tab = config("\t", "\r\n", "NULL", false);
    EXPECT_FILE("tab.csv", &tab, &layout, &r, 1, "a,b\tx|y\t\"t\tu\"\tNULL\t\"q\"\"\"\tP\r\n");

    /* A multi-byte delimiter: any of its bytes forces quoting (over-quoting is harmless). */
    struct lt_target_config multi = config("::", "\n", "\\N", false);
    struct lt_value w[5] = {present("a:b"), present("\\N"), null_value, present(""), present("plain")};
    struct lt_row r2 = make_row('I', 0, "P", w, 5);
    EXPECT_FILE("multi.csv", &multi, &layout, &r2, 1, "\"a:b\"::\"\\N\"::\\N::\"\"::plain::P\n");

    /* More special bytes than the vector scan takes (9): the table scan finds them in long values too. */
    struct lt_target_config wide = config("<|;#@!", "\n", "NULL", false);
    struct lt_value x[5] = {present("0123456789abcdef0123#"), present("0123456789abcdef0123"), null_value,
                            present("!"), present("plain")};
    struct lt_row r4 = make_row('I', 0, "P", x, 5);
    EXPECT_FILE("wide.csv", &wide, &layout, &r4, 1,
                "\"0123456789abcdef0123#\"<|;#@!0123456789abcdef0123<|;#@!NULL<|;#@!\"!\"<|;#@!plain<|;#@!P\n");

    /* A row delimiter other than CR/LF: values holding its bytes are quoted. */
    struct lt_target_config semi = config(",", ";", "NULL", false);
    struct lt_value u[5] = {present("a;b"), present("c"), null_value, present("d\ne"), present("")};
    struct lt_row r3 = make_row('I', 0, "P", u, 5);
    EXPECT_FILE("semi.csv", &semi, &layout, &r3, 1, "\"a;b\",c,NULL,\"d\ne\",\"\",P;");
    lt_schema_free(s);
}

static void test_empty_null_value(void)
{
    struct lt_target_config cfg = config(",", "\n", "", false);
    struct lt_table_schema *s = schema_of(4, NULL);
    struct lt_file_layout layout = {s, false, NULL, false, false, false};
    struct lt_value v[4] = {null_value, present(""), present("NULL"), present(" ")};
    struct lt_row r = make_row('I', 0, "P", v, 4);
    EXPECT_FILE("emptynull.csv", &cfg, &layout, &r, 1, ",\"\",NULL, ,P\n");
    lt_schema_free(s);
}

static void test_header_and_layout(void)
{
    static const char *const names[] = {"id", "name", "we,ird", "q\"c"};
    struct lt_table_schema *s = schema_of(4, names);
    struct lt_target_config cfg = config(",", "\n", "NULL", true);

    /* Full load with every extra column. */
    struct lt_file_layout layout = {s, true, "commit_ts", true, false, false};
    struct lt_value v[4] = {present("1"), unchanged_value, present("w"), unchanged_value};
    struct lt_value v2[4] = {present("2"), present("n"), null_value, present("x")};
    struct lt_row rows[2] = {make_row('U', 1706702400123456LL, "0000000016B374D848/0000000001", v, 4),
                             make_row('D', 0, "0000000016B374D848/0000000002", v2, 4)};
    EXPECT_FILE("header.csv", &cfg, &layout, rows, 2,
                "Op,commit_ts,id,name,\"we,ird\",\"q\"\"c\",_logtap_pos,_logtap_unchanged\n"
                "U,2024-01-31 12:00:00.123456,1,NULL,w,NULL,0000000016B374D848/0000000001,\"name,q\"\"c\"\n"
                "D,1970-01-01 00:00:00.000000,2,n,NULL,x,0000000016B374D848/0000000002,\"\"\n");

    /* One unchanged column: its name alone, unquoted. */
    struct lt_value v3[4] = {present("3"), unchanged_value, present(""), present("")};
    struct lt_row r3 = make_row('U', 1000001, "P", v3, 4);
    EXPECT_FILE("unchanged1.csv", &cfg, &layout, &r3, 1,
                "Op,commit_ts,id,name,\"we,ird\",\"q\"\"c\",_logtap_pos,_logtap_unchanged\n"
                "U,1970-01-01 00:00:01.000001,3,NULL,\"\",\"\",P,name\n");

    /* A CDC file whose first row has no unchanged column: an empty (quoted) list. */
    struct lt_row r5 = make_row('I', 0, "P", v2, 4);
    struct lt_target_config nohdr0 = config(",", "\n", "NULL", false);
    EXPECT_FILE("nounchanged.csv", &nohdr0, &layout, &r5, 1, "I,1970-01-01 00:00:00.000000,2,n,NULL,x,P,\"\"\n");

    /* Op only, no timestamp, no unchanged column. */
    struct lt_file_layout op_only = {s, true, NULL, false, false, false};
    struct lt_row r4 = make_row('I', 5, "P", v2, 4);
    EXPECT_FILE("oponly.csv", &cfg, &op_only, &r4, 1,
                "Op,id,name,\"we,ird\",\"q\"\"c\",_logtap_pos\nI,2,n,NULL,x,P\n");

    /* Timestamp only. */
    struct lt_file_layout ts_only = {s, false, "ts", false, false, false};
    EXPECT_FILE("tsonly.csv", &cfg, &ts_only, &r4, 1,
                "ts,id,name,\"we,ird\",\"q\"\"c\",_logtap_pos\n1970-01-01 00:00:00.000005,2,n,NULL,x,P\n");

    /* Commit times before 1970, and a column named like the null value (quoted, so it reads back as a name). */
    static const char *const odd_names[] = {"NULL", "", " x", "Op"};
    struct lt_table_schema *odd = schema_of(4, odd_names);
    struct lt_file_layout odd_layout = {odd, false, "NULL", false, false, false};
    struct lt_row r6 = make_row('I', -1, "P", v2, 4);
    EXPECT_FILE("odd.csv", &cfg, &odd_layout, &r6, 1,
                "\"NULL\",\"NULL\",\"\", x,Op,_logtap_pos\n1969-12-31 23:59:59.999999,2,n,NULL,x,P\n");
    lt_schema_free(odd);

    /* Without AddColumnName there is no header, with the same columns. */
    struct lt_target_config nohdr = config(",", "\n", "NULL", false);
    EXPECT_FILE("nohdr.csv", &nohdr, &op_only, &r4, 1, "I,2,n,NULL,x,P\n");

    /* A header alone (no rows) with a tab delimiter and CRLF rows. */
    struct lt_target_config tab = config("\t", "\r\n", "NULL", true);
    struct lt_file_layout plain = {s, false, NULL, false, false, false};
    EXPECT_FILE("hdronly.csv", &tab, &plain, rows, 0, "id\tname\twe,ird\t\"q\"\"c\"\t_logtap_pos\r\n");
    lt_schema_free(s);
}

static void test_many_unchanged_columns(void)
{
    /* Enough unchanged columns with long names to grow the scratch list several times. */
    enum { N = 60 };
    static char namebuf[N][80];
    const char *names[N];
    for (int i = 0; i < N; i++) {
        snprintf(namebuf[i], sizeof namebuf[i], "column_with_a_rather_long_name_%02d", i);
        names[i] = namebuf[i];
    }
    struct lt_table_schema *s = schema_of(N, names);
    struct lt_target_config cfg = config("|", "\n", "", false);
    struct lt_file_layout layout = {s, false, NULL, true, false, false};
    struct lt_value v[N];
    for (int i = 0; i < N; i++)
        v[i] = (i % 3 == 0) ? present("v") : unchanged_value;
    struct lt_row r = make_row('U', 0, "P", v, N);
    char want[8192];
    size_t n = 0;
    for (int i = 0; i < N; i++)
        n += (size_t)snprintf(want + n, sizeof want - n, "%s|", i % 3 == 0 ? "v" : "");
    n += (size_t)snprintf(want + n, sizeof want - n, "P|");
    bool first = true;
    for (int i = 0; i < N; i++) {
        if (i % 3 == 0)
            continue;
        n += (size_t)snprintf(want + n, sizeof want - n, "%s%s", first ? "" : ",", names[i]);
        first = false;
    }
    n += (size_t)snprintf(want + n, sizeof want - n, "\n");
    struct out_file f;
    if (start(&f, "unchanged_many.csv", &cfg, &layout) == LT_OK) {
        /* Twice, to reuse the grown scratch buffer. */
        CHECK_INT(lt_csv_target.write_row(f.w, &r, &err), LT_OK);
        CHECK_INT(lt_csv_target.write_row(f.w, &r, &err), LT_OK);
        size_t len;
        unsigned char *data = finish(&f, &len);
        if (data) {
            CHECK_INT(len, 2 * n);
            CHECK_MEM(data, n, want, n);
            if (len == 2 * n)
                CHECK_MEM(data + n, n, want, n);
        }
        free(data);
    }
    lt_schema_free(s);
}

static void test_wrong_value_count(void)
{
    struct lt_target_config cfg = config(",", "\n", "NULL", false);
    struct lt_table_schema *s = schema_of(3, NULL);
    struct lt_file_layout layout = {s, false, NULL, false, false, false};
    struct lt_value v[3] = {present("a"), present("b"), present("c")};
    struct out_file f;
    if (start(&f, "wrongcount.csv", &cfg, &layout) == LT_OK) {
        struct lt_row r = make_row('I', 0, "P", v, 2);
        lt_error_clear(&err);
        CHECK_INT(lt_csv_target.write_row(f.w, &r, &err), LT_ERR_RUNTIME);
        CHECK(strstr(err.msg, "public.t") != NULL);
        r.nvals = 4;
        CHECK(lt_csv_target.write_row(f.w, &r, &err) != LT_OK);
        r.nvals = 3;
        CHECK_INT(lt_csv_target.write_row(f.w, &r, &err), LT_OK);
        size_t len;
        unsigned char *data = finish(&f, &len);
        if (data)
            CHECK_MEM(data, len, "a,b,c,P\n", 8);
        free(data);
    }
    lt_schema_free(s);
}

static void test_size_and_large_values(void)
{
    struct lt_target_config cfg = config(",", "\n", "NULL", true);
    struct lt_table_schema *s = schema_of(2, NULL);
    struct lt_file_layout layout = {s, false, NULL, false, false, false};
    struct out_file f;
    if (start(&f, "large.csv", &cfg, &layout))
        return;
    uint64_t expect = strlen("c0,c1,_logtap_pos\n");
    CHECK_INT(lt_csv_target.size(f.w), expect);

    /* Small rows: size grows by exactly each row's length. */
    struct lt_value small[2] = {present("1"), present("x")};
    struct lt_row r = make_row('I', 0, "P", small, 2);
    for (int i = 0; i < 1000; i++) {
        CHECK_INT(lt_csv_target.write_row(f.w, &r, &err), LT_OK);
        expect += 6;
    }
    CHECK_INT(lt_csv_target.size(f.w), expect);

    /* A 600 KB value without quotes, then a quoted 300 KB value of quotes (600 KB once doubled), then a value of
     * exactly the buffer size, then small rows again. */
    size_t big_n = 600 * 1024, quotes_n = 300 * 1024, exact_n = 256 * 1024;
    char *big = malloc(big_n), *quotes = malloc(quotes_n), *exact = malloc(exact_n);
    for (size_t i = 0; i < big_n; i++)
        big[i] = (char)('a' + i % 26);
    memset(quotes, '"', quotes_n);
    memset(exact, 'e', exact_n);
    struct lt_value v1[2] = {present_n(big, big_n), present("y")};
    struct lt_value v2[2] = {present("q"), present_n(quotes, quotes_n)};
    struct lt_value v3[2] = {present_n(exact, exact_n), present_n(exact, exact_n - 3)};
    struct lt_row rows[3] = {make_row('I', 0, "P", v1, 2), make_row('I', 0, "P", v2, 2), make_row('I', 0, "P", v3, 2)};
    uint64_t row_len[3] = {big_n + 5, 2 + 2 + 2 * quotes_n + 3, exact_n + 1 + exact_n - 3 + 3};
    for (int i = 0; i < 3; i++) {
        CHECK_INT(lt_csv_target.write_row(f.w, &rows[i], &err), LT_OK);
        expect += row_len[i];
        CHECK_INT(lt_csv_target.size(f.w), expect);
    }
    for (int i = 0; i < 10; i++) {
        CHECK_INT(lt_csv_target.write_row(f.w, &r, &err), LT_OK);
        expect += 6;
    }
    CHECK_INT(lt_csv_target.size(f.w), expect);
    size_t len;
    unsigned char *data = finish(&f, &len);
    if (data && CHECK_INT(len, expect)) {
        size_t off = strlen("c0,c1,_logtap_pos\n") + 6000;
        CHECK(memcmp(data, "c0,c1,_logtap_pos\n1,x,P\n", 24) == 0);
        CHECK(memcmp(data + off, big, big_n) == 0);
        off += big_n;
        CHECK(memcmp(data + off, ",y,P\nq,\"", 8) == 0);
        off += 8;
        bool all_quotes = true;
        for (size_t i = 0; i < 2 * quotes_n; i++)
            all_quotes &= data[off + i] == '"';
        CHECK(all_quotes);
        off += 2 * quotes_n;
        CHECK(memcmp(data + off, "\",P\n", 4) == 0);
        off += 4;
        CHECK(memcmp(data + off, exact, exact_n) == 0);
        CHECK(data[off + exact_n] == ',');
        CHECK(memcmp(data + off + exact_n + 1, exact, exact_n - 3) == 0);
        off += 2 * exact_n - 2;
        CHECK(memcmp(data + off, ",P\n1,x,P\n", 9) == 0);
        CHECK(memcmp(data + len - 6, "1,x,P\n", 6) == 0);
    }
    free(data);
    free(big);
    free(quotes);
    free(exact);
    lt_schema_free(s);
}

static void test_discard(void)
{
    struct lt_target_config cfg = config(",", "\n", "NULL", true);
    struct lt_table_schema *s = schema_of(1, NULL);
    struct lt_file_layout layout = {s, true, NULL, true, false, false};
    struct out_file f;
    if (start(&f, "discard.csv", &cfg, &layout))
        return;
    struct lt_value v[1] = {unchanged_value};
    struct lt_row r = make_row('U', 0, "P", v, 1);
    CHECK_INT(lt_csv_target.write_row(f.w, &r, &err), LT_OK);
    CHECK(lt_csv_target.size(f.w) > 0);
    lt_csv_target.discard(f.w); /* frees everything; buffered bytes are dropped */
    close(f.fd);
    size_t len = 99;
    unsigned char *data = unit_read_file(f.path, &len);
    CHECK(data != NULL);
    CHECK_INT(len, 0);
    free(data);
    CHECK_STR(lt_csv_target.name, "csv");
    CHECK_STR(lt_csv_target.extension, "csv");
    lt_schema_free(s);
}

/* ---- Parsing files back with libcsv. ---- */

struct parsed {
    /* fields of the current and all rows, flattened: for each field its bytes (or NULL) */
    int nfields, cap;
    char **data;
    size_t *len;
    int *row_of;
    int nrows;
};

static void on_field(void *field, size_t len, void *ctx)
{
    struct parsed *p = ctx;
    if (p->nfields == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 64;
        p->data = realloc(p->data, (size_t)p->cap * sizeof *p->data);
        p->len = realloc(p->len, (size_t)p->cap * sizeof *p->len);
        p->row_of = realloc(p->row_of, (size_t)p->cap * sizeof *p->row_of);
    }
    char *copy = NULL;
    if (field) {
        copy = malloc(len + 1);
        memcpy(copy, field, len);
        copy[len] = '\0';
    }
    p->data[p->nfields] = copy;
    p->len[p->nfields] = len;
    p->row_of[p->nfields] = p->nrows;
    p->nfields++;
}

static void on_row(int c, void *ctx)
{
    (void)c;
    ((struct parsed *)ctx)->nrows++;
}

static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

static void free_parsed(struct parsed *p)
{
    for (int i = 0; i < p->nfields; i++)
        free(p->data[i]);
    free(p->data);
    free(p->len);
    free(p->row_of);
    memset(p, 0, sizeof *p);
}

static int parse_csv(const unsigned char *data, size_t len, char delim, struct parsed *out)
{
    struct csv_parser parser;
    memset(out, 0, sizeof *out);
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_EMPTY_IS_NULL) != 0)
        return -1;
    csv_set_delim(&parser, (unsigned char)delim);
    csv_set_space_func(&parser, no_space); /* libcsv trims spaces and tabs by default; RFC 4180 does not */
    int rc = 0;
    /* Feed in odd-sized pieces to exercise the parser across chunk boundaries. */
    size_t off = 0, piece = 1;
    while (off < len) {
        size_t n = len - off < piece ? len - off : piece;
        if (csv_parse(&parser, data + off, n, on_field, on_row, out) != n) {
            fprintf(stderr, "libcsv: %s\n", csv_strerror(csv_error(&parser)));
            rc = -1;
            break;
        }
        off += n;
        piece = piece * 7 % 65536 + 1;
    }
    if (!rc && csv_fini(&parser, on_field, on_row, out) != 0)
        rc = -1;
    csv_free(&parser);
    return rc;
}

/* Simple deterministic random numbers. */
static uint32_t rng_state = 12345;
static uint32_t rnd(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

/* Writes nrows random rows with CsvNullValue "" and parses them back: every value must come back byte for byte,
 * NULL as libcsv's NULL (empty unquoted) and the empty string as an empty quoted field. */
static void roundtrip(const char *delim, const char *rowdelim, bool header, int line)
{
    enum { NCOLS = 6, NROWS = 400 };
    static const char alphabet[] = "ab ,\"\r\n\t|;xyzNUL\\";
    struct lt_target_config cfg = config(delim, rowdelim, "", header);
    struct lt_table_schema *s = schema_of(NCOLS, NULL);
    struct lt_file_layout layout = {s, true, NULL, false, false, false};
    struct out_file f;
    if (start(&f, "roundtrip.csv", &cfg, &layout))
        return;
    char *store[NROWS][NCOLS];
    size_t lens[NROWS][NCOLS];
    bool nulls[NROWS][NCOLS];
    for (int r = 0; r < NROWS; r++) {
        struct lt_value v[NCOLS];
        for (int c = 0; c < NCOLS; c++) {
            uint32_t kind = rnd() % 10;
            size_t n = kind == 0 ? 0 : kind == 1 ? 1 + rnd() % 4000 : rnd() % 12;
            store[r][c] = malloc(n + 1);
            for (size_t i = 0; i < n; i++)
                store[r][c][i] = (rnd() % 4 == 0) ? (char)(rnd() % 256) : alphabet[rnd() % (sizeof alphabet - 1)];
            lens[r][c] = n;
            nulls[r][c] = rnd() % 7 == 0;
            v[c] = nulls[r][c] ? null_value : present_n(store[r][c], n);
        }
        char pos[32];
        snprintf(pos, sizeof pos, "%020d", r);
        struct lt_row row = make_row("IUD"[r % 3], 0, pos, v, NCOLS);
        unit_check_int(lt_csv_target.write_row(f.w, &row, &err), LT_OK, "write_row", __FILE__, line);
    }
    size_t len;
    unsigned char *data = finish(&f, &len);
    struct parsed p;
    if (data && unit_check_int(parse_csv(data, len, delim[0], &p), 0, "libcsv parse", __FILE__, line)) {
        int first = header ? 1 : 0;
        int per_row = NCOLS + 2;
        unit_check_int(p.nrows, NROWS + first, "rows parsed", __FILE__, line);
        unit_check_int(p.nfields, (NROWS + first) * per_row, "fields parsed", __FILE__, line);
        if (p.nfields == (NROWS + first) * per_row) {
            if (header) {
                unit_check_str(p.data[0], "Op", "header Op", __FILE__, line);
                unit_check_str(p.data[1], "c0", "header c0", __FILE__, line);
                unit_check_str(p.data[per_row - 1], LT_POS_COLUMN, "header pos", __FILE__, line);
            }
            int bad = 0;
            for (int r = 0; r < NROWS; r++) {
                int base = (r + first) * per_row;
                char op[2] = {"IUD"[r % 3], 0};
                char pos[32];
                snprintf(pos, sizeof pos, "%020d", r);
                bad += !(p.data[base] && strcmp(p.data[base], op) == 0);
                bad += !(p.data[base + NCOLS + 1] && strcmp(p.data[base + NCOLS + 1], pos) == 0);
                for (int c = 0; c < NCOLS; c++) {
                    const char *got = p.data[base + 1 + c];
                    if (nulls[r][c])
                        bad += got != NULL;
                    else
                        bad += !(got && p.len[base + 1 + c] == lens[r][c] &&
                                 memcmp(got, store[r][c], lens[r][c]) == 0);
                    bad += p.row_of[base + 1 + c] != r + first;
                }
            }
            unit_check_int(bad, 0, "values that did not round-trip", __FILE__, line);
        }
        free_parsed(&p);
    }
    free(data);
    for (int r = 0; r < NROWS; r++)
        for (int c = 0; c < NCOLS; c++)
            free(store[r][c]);
    lt_schema_free(s);
}

static void test_roundtrip_libcsv(void)
{
    roundtrip(",", "\n", true, __LINE__);
    roundtrip(",", "\r\n", false, __LINE__);
    roundtrip("|", "\n", true, __LINE__);
    roundtrip("\t", "\r\n", true, __LINE__);
    roundtrip(";", "\n", false, __LINE__);
}

/* With the default CsvNullValue "NULL", libcsv reads NULL and "NULL" as the same text; the file's bytes tell
 * them apart: NULL is unquoted, the text is quoted. */
static void test_null_text_distinguishable(void)
{
    struct lt_target_config cfg = config(",", "\n", "NULL", false);
    struct lt_table_schema *s = schema_of(2, NULL);
    struct lt_file_layout layout = {s, false, NULL, false, false, false};
    struct lt_value v[2] = {null_value, present("NULL")};
    struct lt_row r = make_row('I', 0, "P", v, 2);
    EXPECT_FILE("nulltext.csv", &cfg, &layout, &r, 1, "NULL,\"NULL\",P\n");
    struct parsed p;
    const char *bytes = "NULL,\"NULL\",P\n";
    if (CHECK_INT(parse_csv((const unsigned char *)bytes, strlen(bytes), ',', &p), 0)) {
        CHECK_INT(p.nfields, 3);
        if (p.nfields == 3) {
            CHECK_STR(p.data[0], "NULL");
            CHECK_STR(p.data[1], "NULL");
        }
        free_parsed(&p);
    }
    lt_schema_free(s);
}

/* UseCsvNoSupValue + CsvNoSupValue: an unchanged column holds the no-sup value unquoted; text equal to it is
 * quoted (so it reads as text), as is text equal to the null value; NULL stays CsvNullValue; a number column whose
 * digits could equal the no-sup value is quoted too. */
static void test_nosup_value(void)
{
    static const char *const names[] = {"id", "body", "note"};
    struct lt_table_schema *s = schema_of(3, names);
    s->cols[0].type = LT_TYPE_INT32;
    struct lt_target_config cfg = config(",", "\n", "NULL", false);
    cfg.csv_nosup_value = "-";
    struct lt_file_layout layout = {s, true, NULL, true, false, false};
    struct lt_value v[3] = {present("1"), unchanged_value, present("-")};
    struct lt_value v2[3] = {present("2"), null_value, present("NULL")};
    struct lt_row rows[2] = {make_row('U', 0, "P1", v, 3), make_row('I', 0, "P2", v2, 3)};
    EXPECT_FILE("nosup.csv", &cfg, &layout, rows, 2, "U,1,-,\"-\",P1,body\nI,2,NULL,\"NULL\",P2,\"\"\n");
    cfg.csv_nosup_value = "7";
    struct lt_value v3[3] = {present("7"), unchanged_value, present("x")};
    struct lt_row r3 = make_row('U', 0, "P3", v3, 3);
    EXPECT_FILE("nosup_digit.csv", &cfg, &layout, &r3, 1, "U,\"7\",7,x,P3,body\n");
    lt_schema_free(s);
}

/* A transaction file (PreserveTransactions): rows of two tables in one file, each "Op,table,schema,[time,]
 * values...,_logtap_pos,_logtap_unchanged", names quoted like values. */
static void test_txn_rows(void)
{
    static const char *const n1[] = {"id", "body"};
    static const char *const n2[] = {"k"};
    struct lt_table_schema *a = schema_of(2, n1), *b = lt_schema_new("my,schema", "t2", 1);
    lt_schema_set_column(b, 0, n2[0], LT_TYPE_TEXT, 0, 0, true, true, "text");
    struct lt_target_config cfg = config(",", "\n", "NULL", false);
    struct lt_file_layout layout = {NULL, true, "ts", true, true, false};
    struct lt_value va[2] = {present("1"), unchanged_value}, vb[1] = {present("x,y")}, vc[2] = {present("2"), null_value};
    struct lt_row rows[3] = {make_row('U', 1000000, "P1", va, 2), make_row('I', 1000000, "P2", vb, 1),
                             make_row('D', 2000000, "P3", vc, 2)};
    rows[0].schema = a;
    rows[1].schema = b;
    rows[2].schema = a;
    EXPECT_FILE("txn.csv", &cfg, &layout, rows, 3,
                "U,t,public,1970-01-01 00:00:01.000000,1,NULL,P1,body\n"
                "I,t2,\"my,schema\",1970-01-01 00:00:01.000000,\"x,y\",P2,\"\"\n"
                "D,t,public,1970-01-01 00:00:02.000000,2,NULL,P3,\"\"\n");
    lt_schema_free(a);
    lt_schema_free(b);
}

int main(void)
{
    tmpdir = unit_tmpdir("csv_writer");
    RUN(test_quoting_default_options);
    RUN(test_quoting_long_values);
    RUN(test_several_rows);
    RUN(test_custom_delimiters);
    RUN(test_empty_null_value);
    RUN(test_header_and_layout);
    RUN(test_nosup_value);
    RUN(test_txn_rows);
    RUN(test_many_unchanged_columns);
    RUN(test_wrong_value_count);
    RUN(test_size_and_large_values);
    RUN(test_discard);
    RUN(test_roundtrip_libcsv);
    RUN(test_null_text_distinguishable);
    return unit_report();
}
