/* Tests of the durable file sink (agent/file_sink.c) with the real CSV target on real folders: LOAD file numbering
 * in 8 hex digits and rollover at max_bytes, temp names while a file is open and none left after closing, what
 * on_file reports, named (CDC) files in subfolders, abort, and removal of earlier LOAD and temp files. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/file_crc.h"
#include "agent/file_sink.h"
#include "tests/unit/unit.h"

static struct lt_error err;
static struct lt_target_config cfg;
static struct lt_table_schema *schema;

/* What on_file saw. */
struct seen {
    int n;
    char relpath[32][256];
    int64_t rows[32], bytes[32], first_ts[32], last_ts[32];
    uint32_t crc[32];
    char first_pos[32][LT_POS_MAX + 1], last_pos[32][LT_POS_MAX + 1];
    int fail_at; /* return an error for the file with this 1-based number (0 = never) */
};

static int on_file(void *ctx, const struct lt_sink_file_info *info, struct lt_error *e)
{
    struct seen *s = ctx;
    int i = s->n++;
    if (i < 32) {
        snprintf(s->relpath[i], sizeof s->relpath[i], "%s", info->relpath);
        s->rows[i] = info->rows;
        s->bytes[i] = info->bytes;
        s->crc[i] = info->crc32;
        s->first_ts[i] = info->first_ts_us;
        s->last_ts[i] = info->last_ts_us;
        snprintf(s->first_pos[i], sizeof s->first_pos[i], "%s", info->first_pos);
        snprintf(s->last_pos[i], sizeof s->last_pos[i], "%s", info->last_pos);
    }
    if (s->fail_at == s->n)
        return lt_fail(e, LT_ERR_RUNTIME, "manifest refused %s", info->relpath);
    return LT_OK;
}

static struct lt_sink_options options(const char *root, uint64_t max_bytes, struct seen *seen)
{
    struct lt_sink_options o;
    memset(&o, 0, sizeof o);
    o.target = &lt_csv_target;
    o.cfg = &cfg;
    o.root = root;
    o.table_dir = "public/orders";
    o.layout.schema = schema;
    o.max_bytes = max_bytes;
    o.on_file = seen ? on_file : NULL;
    o.ctx = seen;
    return o;
}

/* Row i: value "value%03d", position "%010d", commit time 1000 * i. Each CSV line is 24 bytes. */
static struct lt_value row_value;
static char row_text[32];
static struct lt_row make_row(int i)
{
    struct lt_row r;
    memset(&r, 0, sizeof r);
    r.op = 'I';
    r.commit_ts_us = 1000LL * i;
    snprintf(r.pos, sizeof r.pos, "%010d", i);
    snprintf(row_text, sizeof row_text, "value%03d", i);
    row_value.data = row_text;
    row_value.len = (uint32_t)strlen(row_text);
    row_value.state = LT_VALUE_PRESENT;
    r.vals = &row_value;
    r.nvals = 1;
    return r;
}
#define LINE_LEN 20 /* "value001,0000000001\n" */

static bool exists(const char *dir, const char *name)
{
    char p[4400];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    struct stat sb;
    return stat(p, &sb) == 0;
}

static void touch(const char *dir, const char *name)
{
    char p[4400];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs("x", f);
        fclose(f);
    }
}

/* Names in dir, sorted, joined with spaces. */
static const char *listing(const char *dir)
{
    static char out[4096];
    char names[64][256];
    int n = 0;
    DIR *d = opendir(dir);
    out[0] = '\0';
    if (!d)
        return "(missing)";
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(names[n++], 256, "%s", e->d_name);
    }
    closedir(d);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char t[256];
            memcpy(t, names[j], 256);
            memcpy(names[j], names[j - 1], 256);
            memcpy(names[j - 1], t, 256);
        }
    size_t len = 0;
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, sizeof out - len, "%s%s", i ? " " : "", names[i]);
    return out;
}

static void test_one_row_per_file(void)
{
    const char *root = unit_tmpdir("sink_each");
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/public/orders", root);
    static struct seen seen;
    memset(&seen, 0, sizeof seen);
    struct lt_sink_options o = options(root, 1, &seen);
    struct lt_file_sink *s;
    CHECK_INT(lt_sink_open(&s, &o, &err), LT_OK);
    CHECK(!lt_sink_is_open(s));
    CHECK_INT(lt_sink_size(s), 0);
    for (int i = 1; i <= 17; i++) {
        struct lt_row r = make_row(i);
        CHECK_INT(lt_sink_write_load_row(s, &r, &err), LT_OK);
        CHECK(!lt_sink_is_open(s)); /* max_bytes 1: every row fills its file */
    }
    CHECK_INT(lt_sink_close_file(s, &err), LT_OK); /* nothing open: a no-op */
    lt_sink_free(s);
    CHECK_STR(listing(dir), "LOAD00000001.csv LOAD00000002.csv LOAD00000003.csv LOAD00000004.csv LOAD00000005.csv "
                            "LOAD00000006.csv LOAD00000007.csv LOAD00000008.csv LOAD00000009.csv LOAD0000000A.csv "
                            "LOAD0000000B.csv LOAD0000000C.csv LOAD0000000D.csv LOAD0000000E.csv LOAD0000000F.csv "
                            "LOAD00000010.csv LOAD00000011.csv");
    CHECK_INT(seen.n, 17);
    CHECK_STR(seen.relpath[0], "public/orders/LOAD00000001.csv");
    CHECK_STR(seen.relpath[8], "public/orders/LOAD00000009.csv");
    CHECK_STR(seen.relpath[9], "public/orders/LOAD0000000A.csv");
    CHECK_STR(seen.relpath[16], "public/orders/LOAD00000011.csv");
    CHECK_INT(seen.rows[9], 1);
    CHECK_INT(seen.bytes[9], LINE_LEN);
    CHECK_STR(seen.first_pos[9], "0000000010");
    CHECK_STR(seen.last_pos[9], "0000000010");
    CHECK_INT(seen.first_ts[9], 10000);
    CHECK_INT(seen.last_ts[9], 10000);
    char p[4400];
    snprintf(p, sizeof p, "%s/LOAD0000000A.csv", dir);
    size_t len = 0;
    unsigned char *data = unit_read_file(p, &len);
    if (CHECK(data != NULL))
        CHECK_MEM(data, len, "value010,0000000010\n", LINE_LEN);
    free(data);
}

static void test_rollover_at_size(void)
{
    const char *root = unit_tmpdir("sink_roll");
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/public/orders", root);
    static struct seen seen;
    memset(&seen, 0, sizeof seen);
    /* 3 lines (60 bytes) reach 50: a file holds 3 rows. */
    struct lt_sink_options o = options(root, 50, &seen);
    struct lt_file_sink *s;
    CHECK_INT(lt_sink_open(&s, &o, &err), LT_OK);
    struct lt_row r = make_row(1);
    CHECK_INT(lt_sink_write_load_row(s, &r, &err), LT_OK);
    /* While open: only the temp file exists. */
    CHECK(lt_sink_is_open(s));
    CHECK_INT(lt_sink_size(s), LINE_LEN);
    CHECK_STR(listing(dir), ".LOAD00000001.csv.tmp");
    for (int i = 2; i <= 8; i++) {
        r = make_row(i);
        CHECK_INT(lt_sink_write_load_row(s, &r, &err), LT_OK);
    }
    CHECK_STR(listing(dir), ".LOAD00000003.csv.tmp LOAD00000001.csv LOAD00000002.csv");
    CHECK_INT(seen.n, 2);
    CHECK_INT(lt_sink_close_file(s, &err), LT_OK);
    CHECK(!lt_sink_is_open(s));
    CHECK_STR(listing(dir), "LOAD00000001.csv LOAD00000002.csv LOAD00000003.csv");
    CHECK_INT(seen.n, 3);
    CHECK_INT(seen.rows[0], 3);
    CHECK_INT(seen.rows[1], 3);
    CHECK_INT(seen.rows[2], 2);
    CHECK_INT(seen.bytes[0], 3 * LINE_LEN);
    CHECK_INT(seen.bytes[2], 2 * LINE_LEN);
    CHECK_STR(seen.first_pos[1], "0000000004");
    CHECK_STR(seen.last_pos[1], "0000000006");
    CHECK_INT(seen.first_ts[1], 4000);
    CHECK_INT(seen.last_ts[1], 6000);
    CHECK_STR(seen.first_pos[2], "0000000007");
    CHECK_STR(seen.last_pos[2], "0000000008");
    /* the CRC-32 taken as the bytes went out is the file's */
    for (int i = 0; i < 3; i++) {
        char f[4400];
        snprintf(f, sizeof f, "%s/LOAD0000000%d.csv", dir, i + 1);
        uint32_t crc = 0;
        CHECK_INT(lt_file_crc32(f, &crc, &err), LT_OK);
        CHECK_INT(seen.crc[i], crc);
    }

    /* More rows continue the numbering in the same sink. */
    r = make_row(9);
    CHECK_INT(lt_sink_write_load_row(s, &r, &err), LT_OK);
    CHECK_INT(lt_sink_close_file(s, &err), LT_OK);
    CHECK(exists(dir, "LOAD00000004.csv"));
    CHECK_INT(seen.rows[3], 1);
    lt_sink_free(s);

    char p[4400];
    snprintf(p, sizeof p, "%s/LOAD00000002.csv", dir);
    size_t len = 0;
    unsigned char *data = unit_read_file(p, &len);
    if (CHECK(data != NULL))
        CHECK_MEM(data, len, "value004,0000000004\nvalue005,0000000005\nvalue006,0000000006\n", 3 * LINE_LEN);
    free(data);
}

static void test_no_limit_and_header(void)
{
    const char *root = unit_tmpdir("sink_nolimit");
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/public/orders", root);
    cfg.add_column_name = true;
    struct lt_sink_options o = options(root, 0, NULL); /* no callback, no limit */
    struct lt_file_sink *s;
    CHECK_INT(lt_sink_open(&s, &o, &err), LT_OK);
    for (int i = 1; i <= 500; i++) {
        struct lt_row r = make_row(i);
        CHECK_INT(lt_sink_write_load_row(s, &r, &err), LT_OK);
    }
    CHECK_INT(lt_sink_size(s), 500 * LINE_LEN + strlen("c0,_logtap_pos\n"));
    CHECK_INT(lt_sink_close_file(s, &err), LT_OK);
    lt_sink_free(s);
    cfg.add_column_name = false;
    CHECK_STR(listing(dir), "LOAD00000001.csv");
    char p[4400];
    snprintf(p, sizeof p, "%s/LOAD00000001.csv", dir);
    size_t len = 0;
    unsigned char *data = unit_read_file(p, &len);
    if (CHECK(data != NULL)) {
        CHECK_INT(len, 500 * LINE_LEN + 15);
        CHECK(memcmp(data, "c0,_logtap_pos\nvalue001,", 24) == 0);
    }
    free(data);
}

static void test_named_files(void)
{
    const char *root = unit_tmpdir("sink_named");
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/public/orders", root);
    static struct seen seen;
    memset(&seen, 0, sizeof seen);
    struct lt_sink_options o = options(root, 1, &seen);
    struct lt_file_sink *s;
    CHECK_INT(lt_sink_open(&s, &o, &err), LT_OK);

    struct lt_row r = make_row(1);
    lt_error_clear(&err);
    CHECK_INT(lt_sink_write_row(s, &r, &err), LT_ERR_RUNTIME); /* nothing open */
    CHECK(err.msg[0] != '\0');

    CHECK_INT(lt_sink_begin_file(s, "2024/01/31/20240131-120000000.csv", &err), LT_OK);
    CHECK(lt_sink_is_open(s));
    CHECK(exists(dir, "2024/01/31/.20240131-120000000.csv.tmp"));
    lt_error_clear(&err);
    CHECK_INT(lt_sink_begin_file(s, "other.csv", &err), LT_ERR_RUNTIME); /* one at a time */
    /* No rollover for named files, even past max_bytes. */
    for (int i = 1; i <= 3; i++) {
        r = make_row(i);
        CHECK_INT(lt_sink_write_row(s, &r, &err), LT_OK);
    }
    CHECK(lt_sink_is_open(s));
    CHECK_INT(lt_sink_size(s), 3 * LINE_LEN);
    CHECK_INT(lt_sink_close_file(s, &err), LT_OK);
    CHECK_STR(listing(dir), "2024");
    char sub[4400];
    snprintf(sub, sizeof sub, "%s/2024/01/31", dir);
    CHECK_STR(listing(sub), "20240131-120000000.csv");
    CHECK_INT(seen.n, 1);
    CHECK_STR(seen.relpath[0], "public/orders/2024/01/31/20240131-120000000.csv");
    CHECK_INT(seen.rows[0], 3);
    CHECK_STR(seen.first_pos[0], "0000000001");
    CHECK_STR(seen.last_pos[0], "0000000003");
    CHECK_INT(seen.first_ts[0], 1000);
    CHECK_INT(seen.last_ts[0], 3000);

    /* A file with no rows is still a file. */
    CHECK_INT(lt_sink_begin_file(s, "20240131-120001000.csv", &err), LT_OK);
    CHECK_INT(lt_sink_close_file(s, &err), LT_OK);
    CHECK(exists(dir, "20240131-120001000.csv"));
    CHECK_INT(seen.n, 2);
    CHECK_INT(seen.rows[1], 0);
    CHECK_INT(seen.bytes[1], 0);

    /* Rewriting a file of the same name replaces it (restart after a crash). */
    CHECK_INT(lt_sink_begin_file(s, "20240131-120001000.csv", &err), LT_OK);
    r = make_row(4);
    CHECK_INT(lt_sink_write_row(s, &r, &err), LT_OK);
    CHECK_INT(lt_sink_close_file(s, &err), LT_OK);
    CHECK_INT(seen.bytes[2], LINE_LEN);
    lt_sink_free(s);
}

static void test_abort_and_free(void)
{
    const char *root = unit_tmpdir("sink_abort");
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/public/orders", root);
    static struct seen seen;
    memset(&seen, 0, sizeof seen);
    struct lt_sink_options o = options(root, 1000, &seen);
    struct lt_file_sink *s;
    CHECK_INT(lt_sink_open(&s, &o, &err), LT_OK);
    struct lt_row r = make_row(1);
    CHECK_INT(lt_sink_write_load_row(s, &r, &err), LT_OK);
    CHECK(exists(dir, ".LOAD00000001.csv.tmp"));
    lt_sink_abort(s);
    CHECK(!lt_sink_is_open(s));
    CHECK_INT(lt_sink_size(s), 0);
    CHECK_STR(listing(dir), "");
    CHECK_INT(seen.n, 0);
    lt_sink_abort(s); /* twice is harmless */

    /* The sink goes on after an abort. */
    CHECK_INT(lt_sink_begin_file(s, "x.csv", &err), LT_OK);
    CHECK_INT(lt_sink_write_row(s, &r, &err), LT_OK);
    /* Freeing with a file open aborts it. */
    lt_sink_free(s);
    CHECK_STR(listing(dir), "");
    CHECK_INT(seen.n, 0);
    lt_sink_free(NULL);
}

static void test_write_errors(void)
{
    const char *root = unit_tmpdir("sink_errors");
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/public/orders", root);
    static struct seen seen;
    memset(&seen, 0, sizeof seen);
    struct lt_sink_options o = options(root, 1, &seen);
    struct lt_file_sink *s;
    CHECK_INT(lt_sink_open(&s, &o, &err), LT_OK);
    /* A row with the wrong number of values is refused by the target. */
    struct lt_row r = make_row(1);
    r.nvals = 2;
    lt_error_clear(&err);
    CHECK_INT(lt_sink_write_load_row(s, &r, &err), LT_ERR_RUNTIME);
    lt_sink_abort(s);
    CHECK_STR(listing(dir), "");

    /* on_file failing is reported by close (the file itself is durable by then). */
    seen.fail_at = 1;
    r = make_row(2);
    lt_error_clear(&err);
    CHECK_INT(lt_sink_write_load_row(s, &r, &err), LT_ERR_RUNTIME);
    CHECK(strstr(err.msg, "manifest refused public/orders/LOAD0000000") != NULL);
    lt_sink_free(s);

    /* The table folder cannot be created under a file. */
    touch(root, "blocker");
    o.table_dir = "blocker/orders";
    CHECK_INT(lt_sink_open(&s, &o, &err), LT_OK);
    lt_error_clear(&err);
    CHECK_INT(lt_sink_begin_file(s, "a.csv", &err), LT_ERR_RUNTIME);
    CHECK(err.msg[0] != '\0');
    CHECK(!lt_sink_is_open(s));
    lt_sink_free(s);
}

static void test_remove_files(void)
{
    const char *root = unit_tmpdir("sink_remove");
    struct lt_place place;
    CHECK_INT(lt_place_open(&place, root, NULL, NULL, &err), LT_OK);
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/public/orders", root);
    CHECK_INT(lt_mkdir_p(dir, &err), LT_OK);
    CHECK_INT(lt_mkdir_p(dir, &err), LT_OK); /* existing folders are fine */
    static const char *const names[] = {
        "LOAD00000001.csv", "LOAD0000000A.csv", "LOAD00000010.parquet", ".LOAD00000002.csv.tmp",
        ".LOAD0000000B.parquet.tmp", "20240131-120000000.csv", ".20240131-120000000.csv.tmp", "LOADME.txt",
        "LOAD0000000g.csv", "load00000001.csv", "LOAD00000001", "XLOAD00000001.csv", ".LOAD00000003.csv",
        "notes.tmp",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        touch(dir, names[i]);
    CHECK_INT(lt_sink_remove_load_files(&place, "public/orders", &err), LT_OK);
    CHECK_STR(listing(dir), ".20240131-120000000.csv.tmp .LOAD00000003.csv 20240131-120000000.csv LOAD00000001 "
                            "LOAD0000000g.csv LOADME.txt XLOAD00000001.csv load00000001.csv notes.tmp");

    /* CDC temp files go with remove_cdc_temp_files; a load's temp file (a load running beside the stream) and
     * everything else stay. */
    touch(dir, ".LOAD00000004.csv.tmp");
    CHECK_INT(lt_sink_remove_cdc_temp_files(&place, "public/orders", &err), LT_OK);
    CHECK_STR(listing(dir), ".LOAD00000003.csv .LOAD00000004.csv.tmp 20240131-120000000.csv LOAD00000001 "
                            "LOAD0000000g.csv LOADME.txt XLOAD00000001.csv load00000001.csv notes.tmp");

    /* A table folder that does not exist yet has nothing to remove. */
    CHECK_INT(lt_sink_remove_load_files(&place, "public/nothing", &err), LT_OK);
    CHECK_INT(lt_sink_remove_cdc_temp_files(&place, "nowhere/at_all", &err), LT_OK);

    CHECK_INT(lt_fsync_dir(dir, &err), LT_OK);
    lt_error_clear(&err);
    CHECK_INT(lt_fsync_dir("/nonexistent/dir/for/logtap", &err), LT_ERR_RUNTIME);
    CHECK(err.msg[0] != '\0');
    lt_place_close(&place);
}

/* A full load that is interrupted and restarted: the leftovers are removed, and the new files take the same
 * names from LOAD00000001 on. */
static void test_restart(void)
{
    const char *root = unit_tmpdir("sink_restart");
    struct lt_place place;
    CHECK_INT(lt_place_open(&place, root, NULL, NULL, &err), LT_OK);
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/public/orders", root);
    struct lt_sink_options o = options(root, 50, NULL);
    struct lt_file_sink *s;
    CHECK_INT(lt_sink_open(&s, &o, &err), LT_OK);
    for (int i = 1; i <= 10; i++) {
        struct lt_row r = make_row(i);
        CHECK_INT(lt_sink_write_load_row(s, &r, &err), LT_OK);
    }
    CHECK_INT(lt_sink_close_file(s, &err), LT_OK);
    lt_sink_free(s);
    /* A crash left a temp file of the next file behind. */
    touch(dir, ".LOAD00000005.csv.tmp");
    CHECK_STR(listing(dir), ".LOAD00000005.csv.tmp LOAD00000001.csv LOAD00000002.csv LOAD00000003.csv LOAD00000004.csv");

    CHECK_INT(lt_sink_remove_load_files(&place, "public/orders", &err), LT_OK);
    CHECK_STR(listing(dir), "");
    CHECK_INT(lt_sink_open(&s, &o, &err), LT_OK);
    for (int i = 1; i <= 4; i++) {
        struct lt_row r = make_row(i);
        CHECK_INT(lt_sink_write_load_row(s, &r, &err), LT_OK);
    }
    CHECK_INT(lt_sink_close_file(s, &err), LT_OK);
    lt_sink_free(s);
    CHECK_STR(listing(dir), "LOAD00000001.csv LOAD00000002.csv");
    lt_place_close(&place);
}

int main(void)
{
    memset(&cfg, 0, sizeof cfg);
    cfg.csv_delimiter = ",";
    cfg.csv_row_delimiter = "\n";
    cfg.csv_null_value = "NULL";
    cfg.format = LT_FORMAT_CSV;
    schema = lt_schema_new("public", "orders", 1);
    lt_schema_set_column(schema, 0, "c0", LT_TYPE_TEXT, 0, 0, true, false, "text");
    RUN(test_one_row_per_file);
    RUN(test_rollover_at_size);
    RUN(test_no_limit_and_header);
    RUN(test_named_files);
    RUN(test_abort_and_free);
    RUN(test_write_errors);
    RUN(test_remove_files);
    RUN(test_restart);
    lt_schema_free(schema);
    return unit_report();
}
