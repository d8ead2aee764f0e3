/* Tests of the CSV reader (targets/csv/csv_reader.c) on byte vectors: quoting, NULL against quoted text, embedded
 * delimiters and line breaks, custom delimiters, records across buffer refills; and of .csv.gz files: what the
 * gzip CSV writer wrote reads back row for row, several gzip members read as one file, and truncated or corrupt
 * gzip data is a clear error. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "agent/target.h"
#include "targets/csv/csv_reader.h"
#include "unit.h"

static const char *tmpdir;

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f)
        return;
    CHECK_INT(fwrite(data, 1, n, f), n);
    fclose(f);
}

/* Reads every record of path into "a|b|<NULL>\n" text (fields joined by '|', NULL as <NULL>), or "ERROR: msg". */
static char *read_all(const char *path, const char *delim, const char *rowdelim, const char *null)
{
    struct lt_error err = {0};
    struct lt_csv_reader *r;
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    out[0] = '\0';
    if (lt_csv_reader_open(path, delim, rowdelim, null, &r, &err)) {
        snprintf(out, cap, "ERROR: %s", err.msg);
        return out;
    }
    const struct lt_value *vals;
    int n, rc;
    while ((rc = lt_csv_reader_next(r, &vals, &n, &err)) == 1) {
        for (int i = 0; i < n; i++) {
            const char *text = vals[i].state == LT_VALUE_NULL ? "<NULL>" : vals[i].data;
            size_t tl = vals[i].state == LT_VALUE_NULL ? 6 : vals[i].len;
            if (len + tl + 4 > cap) {
                cap = 2 * (len + tl + 4);
                out = realloc(out, cap);
            }
            if (i)
                out[len++] = '|';
            memcpy(out + len, text, tl);
            len += tl;
        }
        out[len++] = '\n';
        out[len] = '\0';
    }
    if (rc < 0)
        snprintf(out, cap, "ERROR: %s", err.msg);
    lt_csv_reader_close(r);
    return out;
}

static void expect_read(const char *bytes, const char *delim, const char *rowdelim, const char *null,
                        const char *want, int line)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/in.csv", tmpdir);
    write_bytes(path, bytes, strlen(bytes));
    char *got = read_all(path, delim, rowdelim, null);
    unit_check_str(got, want, "records", __FILE__, line);
    free(got);
}
#define EXPECT_READ(bytes, d, rd, null, want) expect_read((bytes), (d), (rd), (null), (want), __LINE__)

static void test_records(void)
{
    EXPECT_READ("a,b,c\n1,,3\n", ",", "\n", "NULL", "a|b|c\n1||3\n");
    EXPECT_READ("NULL,\"NULL\",\"\"\n", ",", "\n", "NULL", "<NULL>|NULL|\n");
    EXPECT_READ("\"a,b\",\"say \"\"hi\"\"\",\"line\nbreak\"\n", ",", "\n", "NULL", "a,b|say \"hi\"|line\nbreak\n");
    EXPECT_READ("x|y\r\n\"p|q\"|\\N\r\n", "|", "\r\n", "\\N", "x|y\np|q|<NULL>\n");
    EXPECT_READ("a::b;c::d;", "::", ";", "NULL", "a|b\nc|d\n");
    EXPECT_READ("", ",", "\n", "NULL", "");
}

/* A file whose first record is empty: its one value is empty text (or NULL when the null value is empty) and
 * points into the reader's record buffer, not at NULL + 0 (found by fuzz_csv_reader under clang's UBSan). */
static void test_empty_first_record(void)
{
    EXPECT_READ("\n\nx\n", ",", "\n", "NULL", "\n\nx\n");
    EXPECT_READ("\n,\n", ",", "\n", "", "<NULL>\n<NULL>|<NULL>\n");
    char path[4200];
    snprintf(path, sizeof path, "%s/in.csv", tmpdir);
    write_bytes(path, "\n", 1);
    struct lt_error err = {0};
    struct lt_csv_reader *r;
    const struct lt_value *vals;
    int n;
    CHECK_INT(lt_csv_reader_open(path, ",", "\n", "NULL", &r, &err), 0);
    CHECK_INT(lt_csv_reader_next(r, &vals, &n, &err), 1);
    CHECK_INT(n, 1);
    CHECK_INT(vals[0].state, LT_VALUE_PRESENT);
    CHECK_INT(vals[0].len, 0);
    CHECK(vals[0].data != NULL);
    CHECK_INT(lt_csv_reader_next(r, &vals, &n, &err), 0);
    lt_csv_reader_close(r);
}

/* Delimiters of 16 bytes and more (the task config allows 63): the reader used to cut them to 15 bytes without a
 * word, so a file written with "<end-of-record>\n" read back as twice the records (found by fuzz_csv_reader). */
static void test_long_delimiters(void)
{
    EXPECT_READ("1<field-separator>x<end-of-record>\n2<field-separator>NULL<end-of-record>\n", "<field-separator>",
                "<end-of-record>\n", "NULL", "1|x\n2|<NULL>\n");
    char d63[64];
    memset(d63, '~', 63);
    d63[63] = '\0';
    char bytes[200];
    snprintf(bytes, sizeof bytes, "a%sb\n", d63);
    EXPECT_READ(bytes, d63, "\n", "", "a|b\n");
    /* longer than the config allows: refused, not cut */
    char d64[65];
    memset(d64, '~', 64);
    d64[64] = '\0';
    char path[4200];
    snprintf(path, sizeof path, "%s/in.csv", tmpdir);
    write_bytes(path, "a,b\n", 4);
    char *got = read_all(path, d64, "\n", "");
    CHECK(strncmp(got, "ERROR: ", 7) == 0 && strstr(got, "limited to 63 bytes") != NULL);
    free(got);
}

/* A record far longer than the read buffer, and many records across refills. */
static void test_long_records(void)
{
    size_t big = 700 * 1000;
    char *bytes = malloc(big + 64);
    size_t n = 0;
    bytes[n++] = '"';
    for (size_t i = 0; i < big; i++)
        bytes[n++] = (char)('a' + i % 26);
    memcpy(bytes + n, "\",z\n", 5);
    char path[4200];
    snprintf(path, sizeof path, "%s/long.csv", tmpdir);
    write_bytes(path, bytes, n + 4);
    char *got = read_all(path, ",", "\n", "NULL");
    CHECK_INT(strlen(got), big + 3);
    CHECK(got[0] == 'a' && got[big - 1] == (char)('a' + (big - 1) % 26) && strcmp(got + big, "|z\n") == 0);
    free(got);
    free(bytes);
}

static struct lt_target_config gzip_config(void)
{
    struct lt_target_config c;
    memset(&c, 0, sizeof c);
    c.csv_delimiter = ",";
    c.csv_row_delimiter = "\n";
    c.csv_null_value = "NULL";
    c.compression = LT_COMPRESS_GZIP;
    return c;
}

/* 300k rows through the gzip writer (several deflate blocks and buffer flushes) read back exactly; the file is
 * gzip (its magic bytes) and smaller than its text. */
static void test_gzip_writer_round_trip(void)
{
    struct lt_target_config cfg = gzip_config();
    struct lt_table_schema *s = lt_schema_new("public", "t", 3);
    lt_schema_set_column(s, 0, "id", LT_TYPE_INT64, 0, 0, true, false, "bigint");
    lt_schema_set_column(s, 1, "name", LT_TYPE_TEXT, 0, 0, false, true, "text");
    lt_schema_set_column(s, 2, "note", LT_TYPE_TEXT, 0, 0, false, true, "text");
    struct lt_file_layout layout = {.schema = s, .with_op = true};
    char path[4200];
    snprintf(path, sizeof path, "%s/rows.csv.gz", tmpdir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    struct lt_error err = {0};
    struct lt_target_writer *w;
    struct lt_out out;
    lt_out_init(&out, fd);
    CHECK_INT(lt_csv_gzip_target.open(&w, &out, &cfg, &layout, &err), LT_OK);
    CHECK_STR(lt_csv_gzip_target.extension, "csv.gz");
    const int nrows = 300000;
    size_t text_bytes = 0;
    for (int i = 0; i < nrows; i++) {
        char id[24], name[48];
        snprintf(id, sizeof id, "%d", i);
        snprintf(name, sizeof name, "name, %d \"q\"", i * 7);
        struct lt_value v[3] = {{id, (uint32_t)strlen(id), LT_VALUE_PRESENT},
                                {name, (uint32_t)strlen(name), LT_VALUE_PRESENT},
                                {NULL, 0, i % 3 ? LT_VALUE_NULL : LT_VALUE_PRESENT}};
        if (!(i % 3))
            v[2].data = "";
        struct lt_row r = {.op = 'I', .nvals = 3, .vals = v};
        snprintf(r.pos, sizeof r.pos, "%020d", i);
        if (lt_csv_gzip_target.write_row(w, &r, &err) != LT_OK) {
            CHECK_STR(err.msg, "");
            break;
        }
        text_bytes += strlen(id) + strlen(name) + 40;
    }
    CHECK_INT(lt_csv_gzip_target.finish(w, &err), LT_OK);
    close(fd);
    size_t len;
    unsigned char *data = unit_read_file(path, &len);
    CHECK(data && len > 2 && data[0] == 0x1f && data[1] == 0x8b);
    CHECK(len < text_bytes / 3);
    free(data);

    struct lt_csv_reader *r;
    CHECK_INT(lt_csv_reader_open(path, ",", "\n", "NULL", &r, &err), LT_OK);
    const struct lt_value *vals;
    int n, rc, rows = 0;
    bool same = true;
    while ((rc = lt_csv_reader_next(r, &vals, &n, &err)) == 1) {
        char id[24], name[48], pos[24];
        snprintf(id, sizeof id, "%d", rows);
        snprintf(name, sizeof name, "name, %d \"q\"", rows * 7);
        snprintf(pos, sizeof pos, "%020d", rows);
        same = same && n == 5 && vals[0].len == 1 && vals[0].data[0] == 'I' && vals[1].len == strlen(id) &&
               !memcmp(vals[1].data, id, vals[1].len) && vals[2].len == strlen(name) &&
               !memcmp(vals[2].data, name, vals[2].len) &&
               vals[3].state == (rows % 3 ? LT_VALUE_NULL : LT_VALUE_PRESENT) && vals[4].len == 20 &&
               !memcmp(vals[4].data, pos, 20);
        rows++;
    }
    CHECK_INT(rc, 0);
    CHECK_INT(rows, nrows);
    CHECK(same);
    lt_csv_reader_close(r);
    lt_schema_free(s);
}

/* Compresses text as one gzip member (zlib's own gzip framing) into out; returns its length. */
static size_t gzip_member(const char *text, unsigned char *out, size_t cap)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    z.next_in = (Bytef *)text;
    z.avail_in = (uInt)strlen(text);
    z.next_out = out;
    z.avail_out = (uInt)cap;
    deflate(&z, Z_FINISH);
    size_t n = cap - z.avail_out;
    deflateEnd(&z);
    return n;
}

static void test_gzip_members_and_damage(void)
{
    unsigned char buf[1024];
    size_t a = gzip_member("1,one\n2,two\n", buf, sizeof buf);
    size_t b = gzip_member("3,\"th\nree\"\n", buf + a, sizeof buf - a);
    char path[4200];
    snprintf(path, sizeof path, "%s/members.csv.gz", tmpdir);
    write_bytes(path, buf, a + b);
    char *got = read_all(path, ",", "\n", "NULL");
    CHECK_STR(got, "1|one\n2|two\n3|th\nree\n");
    free(got);

    /* cut inside the second member */
    write_bytes(path, buf, a + b - 5);
    got = read_all(path, ",", "\n", "NULL");
    CHECK(strstr(got, "ERROR: ") == got && strstr(got, "ends early"));
    free(got);

    /* a damaged deflate stream */
    unsigned char bad[1024];
    memcpy(bad, buf, a);
    for (size_t i = 10; i < a - 8; i++)
        bad[i] ^= 0x5a;
    write_bytes(path, bad, a);
    got = read_all(path, ",", "\n", "NULL");
    CHECK(strstr(got, "ERROR: ") == got);
    free(got);

    /* not gzip at all */
    write_bytes(path, "plain,text\n", 11);
    got = read_all(path, ",", "\n", "NULL");
    CHECK(strstr(got, "ERROR: ") == got && strstr(got, "not valid gzip"));
    free(got);
}

/* The reader side of the target plug-ins: a file's name picks its target (the longest extension that ends it), and
 * the CSV target's reader skips the header record (AddColumnName) and refuses a record with another number of
 * fields than the manifest's, the header included. */
static void test_target_reader_side(void)
{
    CHECK(lt_target_for_file("a/b.csv") == &lt_csv_target);
    CHECK(lt_target_for_file("a/b.csv.gz") == &lt_csv_gzip_target);
    CHECK(lt_target_for_file("a/b.parquet") == &lt_parquet_target);
    CHECK(lt_target_for_file("a/b.gz") == NULL);
    CHECK(lt_target_for_file("a/bcsv") == NULL);
    CHECK(lt_target_for_file("csv") == NULL);
    char path[4200];
    snprintf(path, sizeof path, "%s/side.csv", tmpdir);
    write_bytes(path, "id,name\n1,NULL\n2,x,y\n", 21);
    struct lt_target_config cfg = {.csv_delimiter = ",", .csv_row_delimiter = "\n", .csv_null_value = "NULL",
                                   .add_column_name = true};
    const struct logtap_target_ops *t = lt_target_for_file(path);
    struct lt_target_reader *r;
    struct lt_error err = {0};
    const struct lt_value *vals;
    CHECK_INT(t->reader_open(&r, path, &cfg, 2, NULL, &err), LT_OK);
    CHECK_INT(t->reader_next(r, &vals, &err), 1);
    CHECK(vals[0].len == 1 && vals[0].data[0] == '1');
    CHECK_INT(vals[1].state, LT_VALUE_NULL);
    CHECK_INT(t->reader_next(r, &vals, &err), -1);
    CHECK_STR(err.msg, "a record has 3 fields, expected 2");
    t->reader_close(r);
    CHECK_INT(t->reader_open(&r, path, &cfg, 3, NULL, &err), LT_OK);
    CHECK_INT(t->reader_next(r, &vals, &err), -1);
    CHECK_STR(err.msg, "a record has 2 fields, expected 3");
    t->reader_close(r);
}

int main(void)
{
    tmpdir = unit_tmpdir("csv_reader");
    RUN(test_target_reader_side);
    RUN(test_records);
    RUN(test_long_delimiters);
    RUN(test_empty_first_record);
    RUN(test_long_records);
    RUN(test_gzip_writer_round_trip);
    RUN(test_gzip_members_and_damage);
    return unit_report();
}
