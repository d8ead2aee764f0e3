/* Tests of the SQLite state store (state/state_store.c) on real files: creation with parent folders and schema
 * migration (also from a version-1 store), reopening, refusal of another task's or engine's store, stable table ids,
 * the full-load life cycle, manifest upserts, load files dropped by a restarted load, CDC batches committed
 * atomically, task facts, per-table statistics, and concurrent use from several threads. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state/state_store.h"
#include "tests/unit/unit.h"

static struct lt_error err;
static const char *tmpdir;

static const char *path_in(const char *rel)
{
    static char bufs[4][4200];
    static int next;
    char *p = bufs[next++ % 4];
    snprintf(p, 4200, "%s/%s", tmpdir, rel);
    return p;
}

static bool file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* Runs a query on the store file directly and returns its first column as an integer (-1 on error). */
static long long query_int(const char *db_path, const char *sql)
{
    sqlite3 *db;
    long long v = -1;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
            if (sqlite3_step(s) == SQLITE_ROW)
                v = sqlite3_column_int64(s, 0);
            sqlite3_finalize(s);
        }
    }
    sqlite3_close(db);
    return v;
}

static int exec_sql(const char *db_path, const char *sql)
{
    sqlite3 *db;
    int rc = sqlite3_open(db_path, &db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

/* Collects each_table's output. */
struct tables {
    int n;
    struct lt_table_status t[16];
    int stop_after; /* return 1 from the callback after this many (0 = never) */
};

static int collect(void *ctx, const struct lt_table_status *t)
{
    struct tables *ts = ctx;
    if (ts->n < 16)
        ts->t[ts->n] = *t;
    ts->n++;
    return ts->stop_after && ts->n >= ts->stop_after ? 7 : 0;
}

static const struct lt_table_status *find_table(struct tables *ts, int64_t id)
{
    for (int i = 0; i < ts->n && i < 16; i++)
        if (ts->t[i].id == id)
            return &ts->t[i];
    return NULL;
}

static void list_tables(struct lt_state *st, struct tables *ts)
{
    memset(ts, 0, sizeof *ts);
    CHECK_INT(lt_state_each_table(st, collect, ts, &err), LT_OK);
}

static struct lt_manifest_file load_file(int64_t table_id, const char *path, int64_t rows, int64_t bytes)
{
    struct lt_manifest_file f;
    memset(&f, 0, sizeof f);
    f.table_id = table_id;
    f.kind = LT_FILE_LOAD;
    f.path = path;
    f.rows = rows;
    f.bytes = bytes;
    f.first_pos = "0000000001";
    f.last_pos = "0000000001";
    f.schema_json = "{\"columns\": []}";
    return f;
}

static void test_open_creates_and_migrates(void)
{
    const char *db = path_in("new/deeper/still/task.db");
    CHECK(!file_exists(path_in("new")));
    struct lt_state *st = NULL;
    lt_error_clear(&err);
    CHECK_INT(lt_state_open(db, "shop", "postgres", &st, &err), LT_OK);
    CHECK(st != NULL);
    if (!st)
        return;
    CHECK(file_exists(db));
    int version = lt_state_schema_version(st);
    CHECK(version >= 2);
    char v[64];
    CHECK_INT(lt_state_get_meta(st, "task", v, sizeof v, &err), LT_OK);
    CHECK_STR(v, "shop");
    CHECK_INT(lt_state_get_meta(st, "engine", v, sizeof v, &err), LT_OK);
    CHECK_STR(v, "postgres");
    lt_state_close(st);
    CHECK_INT(query_int(db, "PRAGMA user_version"), version);
    CHECK_INT(query_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('meta', 'tables', 'files', 'events')"), 4);
    CHECK_INT(query_int(db, "SELECT COUNT(*) FROM tables"), 0);

    /* Reopening does not migrate again and keeps the version. */
    CHECK_INT(lt_state_open(db, "shop", "postgres", &st, &err), LT_OK);
    if (st) {
        CHECK_INT(lt_state_schema_version(st), version);
        lt_state_close(st);
    }
    /* A relative-looking file name in an existing folder works too; closing NULL is harmless. */
    lt_state_close(NULL);
}

static void test_open_refuses_other_task(void)
{
    const char *db = path_in("owned.db");
    struct lt_state *st = NULL;
    CHECK_INT(lt_state_open(db, "shop", "postgres", &st, &err), LT_OK);
    lt_state_close(st);

    st = (struct lt_state *)1;
    lt_error_clear(&err);
    CHECK_INT(lt_state_open(db, "other", "postgres", &st, &err), LT_ERR_CONFIG);
    CHECK(st == NULL);
    CHECK(strstr(err.msg, "shop") != NULL);
    CHECK(strstr(err.msg, "other") != NULL);

    lt_error_clear(&err);
    CHECK_INT(lt_state_open(db, "shop", "mysql", &st, &err), LT_ERR_CONFIG);
    CHECK(st == NULL);
    CHECK(strstr(err.msg, "postgres") != NULL);
    CHECK(strstr(err.msg, "mysql") != NULL);

    /* The refused opens changed nothing. */
    CHECK_INT(lt_state_open(db, "shop", "postgres", &st, &err), LT_OK);
    lt_state_close(st);
}

static void test_open_errors(void)
{
    struct lt_state *st = (struct lt_state *)1;
    lt_error_clear(&err);
    CHECK(lt_state_open_existing(path_in("does/not/exist.db"), &st, &err) != LT_OK);
    CHECK(st == NULL);
    CHECK(err.msg[0] != '\0');
    CHECK(!file_exists(path_in("does")));

    /* A parent that is a file cannot become a folder. */
    FILE *f = fopen(path_in("plainfile"), "w");
    if (f)
        fclose(f);
    st = (struct lt_state *)1;
    lt_error_clear(&err);
    CHECK_INT(lt_state_open(path_in("plainfile/sub/x.db"), "t", "postgres", &st, &err), LT_ERR_RUNTIME);
    CHECK(st == NULL);

    /* A store from a newer logtap is refused, not downgraded. */
    const char *db = path_in("future.db");
    CHECK_INT(exec_sql(db, "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); PRAGMA user_version = 999;"),
              SQLITE_OK);
    lt_error_clear(&err);
    CHECK_INT(lt_state_open(db, "t", "postgres", &st, &err), LT_ERR_RUNTIME);
    CHECK(st == NULL);
    CHECK(strstr(err.msg, "999") != NULL);
    lt_error_clear(&err);
    CHECK(lt_state_open_existing(db, &st, &err) != LT_OK);
    CHECK(st == NULL);
    CHECK_INT(query_int(db, "PRAGMA user_version"), 999);

    /* Not a database at all. */
    f = fopen(path_in("garbage.db"), "w");
    if (f) {
        fputs("this is not an SQLite database, just some text that is long enough to have a header.....", f);
        fclose(f);
    }
    lt_error_clear(&err);
    CHECK(lt_state_open(path_in("garbage.db"), "t", "postgres", &st, &err) != LT_OK);
    CHECK(st == NULL);
}

static void test_table_ids(void)
{
    const char *db = path_in("ids.db");
    struct lt_state *st;
    if (!CHECK_INT(lt_state_open(db, "ids", "mysql", &st, &err), LT_OK))
        return;
    int64_t a = 0, b = 0, c = 0, d = 0, a2 = 0;
    CHECK_INT(lt_state_table_id(st, "public", "orders", &a, &err), LT_OK);
    CHECK_INT(lt_state_table_id(st, "public", "items", &b, &err), LT_OK);
    CHECK_INT(lt_state_table_id(st, "ab", "c", &c, &err), LT_OK);
    CHECK_INT(lt_state_table_id(st, "a", "bc", &d, &err), LT_OK);
    CHECK_INT(lt_state_table_id(st, "public", "orders", &a2, &err), LT_OK);
    CHECK(a > 0 && b > 0 && c > 0 && d > 0);
    CHECK(a != b && a != c && a != d && b != c && b != d && c != d);
    CHECK_INT(a2, a);
    int64_t u = 0;
    CHECK_INT(lt_state_table_id(st, "caf\xc3\xa9", "it's \"quoted\"", &u, &err), LT_OK);
    lt_state_close(st);

    /* Stable across reopening, also through open_existing. */
    if (!CHECK_INT(lt_state_open_existing(db, &st, &err), LT_OK))
        return;
    int64_t again = 0;
    CHECK_INT(lt_state_table_id(st, "public", "items", &again, &err), LT_OK);
    CHECK_INT(again, b);
    CHECK_INT(lt_state_table_id(st, "caf\xc3\xa9", "it's \"quoted\"", &again, &err), LT_OK);
    CHECK_INT(again, u);
    struct tables ts;
    list_tables(st, &ts);
    CHECK_INT(ts.n, 5);
    /* Ordered by schema, then table. */
    CHECK_STR(ts.t[0].schema_name, "a");
    CHECK_STR(ts.t[1].schema_name, "ab");
    CHECK_STR(ts.t[2].schema_name, "caf\xc3\xa9");
    CHECK_STR(ts.t[2].table_name, "it's \"quoted\"");
    CHECK_STR(ts.t[3].table_name, "items");
    CHECK_STR(ts.t[4].table_name, "orders");
    CHECK_STR(ts.t[4].state, "pending");
    lt_state_close(st);
}

static void test_load_life_cycle(void)
{
    const char *db = path_in("life.db");
    struct lt_state *st;
    if (!CHECK_INT(lt_state_open(db, "life", "postgres", &st, &err), LT_OK))
        return;
    int64_t t1, t2;
    CHECK_INT(lt_state_table_id(st, "s", "t1", &t1, &err), LT_OK);
    CHECK_INT(lt_state_table_id(st, "s", "t2", &t2, &err), LT_OK);

    struct tables ts;
    list_tables(st, &ts);
    const struct lt_table_status *s1 = find_table(&ts, t1);
    CHECK(s1 && !strcmp(s1->state, "pending") && s1->full_load_started[0] == '\0');

    CHECK_INT(lt_state_begin_table_load(st, t1, "00000000/00000001:00000000000000000000", "{}", &err), LT_OK);
    list_tables(st, &ts);
    s1 = find_table(&ts, t1);
    if (CHECK(s1 != NULL)) {
        CHECK_STR(s1->state, "loading");
        CHECK(s1->full_load_started[0] != '\0');
        CHECK(s1->full_load_finished[0] == '\0');
        CHECK_STR(s1->load_pos, "00000000/00000001:00000000000000000000");
        CHECK_STR(s1->capture, "all");
        CHECK(!s1->reload_requested);
    }
    /* a reload request, the capture mode and the source's id are kept; a new load clears the request */
    CHECK_INT(lt_state_request_reload(st, t1, &err), LT_OK);
    CHECK_INT(lt_state_set_table_capture(st, t2, "inserts", &err), LT_OK);
    CHECK_INT(lt_state_set_table_source_id(st, t2, "16384", &err), LT_OK);
    list_tables(st, &ts);
    s1 = find_table(&ts, t1);
    const struct lt_table_status *s2x = find_table(&ts, t2);
    if (CHECK(s1 && s2x)) {
        CHECK(s1->reload_requested);
        CHECK_STR(s2x->capture, "inserts");
        CHECK_STR(s2x->source_id, "16384");
    }

    CHECK_INT(lt_state_finish_table_load(st, t1, 12345, &err), LT_OK);
    CHECK_INT(lt_state_fail_table_load(st, t2, "permission denied for table t2", &err), LT_OK);
    list_tables(st, &ts);
    s1 = find_table(&ts, t1);
    const struct lt_table_status *s2 = find_table(&ts, t2);
    if (CHECK(s1 && s2)) {
        CHECK_STR(s1->state, "loaded");
        CHECK_INT(s1->full_load_rows, 12345);
        CHECK(s1->full_load_finished[0] != '\0');
        CHECK(strcmp(s1->full_load_finished, s1->full_load_started) >= 0);
        CHECK_STR(s2->state, "failed");
        CHECK_STR(s2->last_error, "permission denied for table t2");
    }

    /* A restarted load resets the counters and the error. */
    CHECK_INT(lt_state_begin_table_load(st, t2, "00000000/00000001:00000000000000000000", "{}", &err), LT_OK);
    CHECK_INT(lt_state_begin_table_load(st, t1, "00000000/00000001:00000000000000000000", "{}", &err), LT_OK);
    list_tables(st, &ts);
    s1 = find_table(&ts, t1);
    s2 = find_table(&ts, t2);
    if (CHECK(s1 && s2)) {
        CHECK_STR(s1->state, "loading");
        CHECK(!s1->reload_requested);
        CHECK_INT(s1->full_load_rows, 0);
        CHECK(s1->full_load_finished[0] == '\0');
        CHECK_STR(s2->state, "loading");
        CHECK_STR(s2->last_error, "");
    }
    lt_state_close(st);

    /* State survives reopening. */
    if (!CHECK_INT(lt_state_open(db, "life", "postgres", &st, &err), LT_OK))
        return;
    CHECK_INT(lt_state_finish_table_load(st, t2, 7, &err), LT_OK);
    list_tables(st, &ts);
    s1 = find_table(&ts, t1);
    s2 = find_table(&ts, t2);
    CHECK(s1 && !strcmp(s1->state, "loading"));
    CHECK(s2 && !strcmp(s2->state, "loaded") && s2->full_load_rows == 7);
    lt_state_close(st);
}

static void test_manifest(void)
{
    const char *db = path_in("manifest.db");
    struct lt_state *st;
    if (!CHECK_INT(lt_state_open(db, "m", "postgres", &st, &err), LT_OK))
        return;
    int64_t t1, t2;
    CHECK_INT(lt_state_table_id(st, "s", "a", &t1, &err), LT_OK);
    CHECK_INT(lt_state_table_id(st, "s", "b", &t2, &err), LT_OK);
    CHECK_INT(lt_state_begin_table_load(st, t1, "00000000/00000001:00000000000000000000", "{}", &err), LT_OK);

    struct lt_manifest_file f1 = load_file(t1, "s/a/LOAD00000001.csv", 10, 100);
    struct lt_manifest_file f2 = load_file(t1, "s/a/LOAD00000002.csv", 20, 250);
    struct lt_manifest_file g1 = load_file(t2, "s/b/LOAD00000001.csv", 5, 40);
    CHECK_INT(lt_state_add_file(st, &f1, &err), LT_OK);
    CHECK_INT(lt_state_add_file(st, &f2, &err), LT_OK);
    CHECK_INT(lt_state_add_file(st, &g1, &err), LT_OK);
    struct tables ts;
    list_tables(st, &ts);
    const struct lt_table_status *s1 = find_table(&ts, t1), *s2 = find_table(&ts, t2);
    if (CHECK(s1 && s2)) {
        CHECK_INT(s1->files, 2);
        CHECK_INT(s1->bytes, 350);
        CHECK_INT(s2->files, 1);
        CHECK_INT(s2->bytes, 40);
    }

    /* The same path again replaces its row (a rewritten file replaces its half-written twin). */
    f2.rows = 21;
    f2.bytes = 260;
    f2.last_pos = "0000000002";
    CHECK_INT(lt_state_add_file(st, &f2, &err), LT_OK);
    list_tables(st, &ts);
    s1 = find_table(&ts, t1);
    if (CHECK(s1)) {
        CHECK_INT(s1->files, 2);
        CHECK_INT(s1->bytes, 360);
    }
    CHECK_INT(query_int(db, "SELECT rows FROM files WHERE path = 's/a/LOAD00000002.csv'"), 21);
    CHECK_INT(query_int(db, "SELECT COUNT(*) FROM files"), 3);

    /* NULL positions and schema are allowed. */
    struct lt_manifest_file f3 = load_file(t1, "s/a/LOAD00000003.csv", 0, 0);
    f3.first_pos = f3.last_pos = NULL;
    f3.schema_json = NULL;
    CHECK_INT(lt_state_add_file(st, &f3, &err), LT_OK);

    /* A CDC file for t1. */
    struct lt_manifest_file c1 = load_file(t1, "s/a/20240131-120000000.csv", 3, 33);
    c1.kind = LT_FILE_CDC;
    c1.commit_ts_first_us = 1706702400000000LL;
    c1.commit_ts_last_us = 1706702401000000LL;
    CHECK_INT(lt_state_add_file(st, &c1, &err), LT_OK);
    char last[256];
    CHECK_INT(lt_state_last_cdc_file(st, t1, last, sizeof last, &err), LT_OK);
    CHECK_STR(last, "s/a/20240131-120000000.csv");
    CHECK_INT(lt_state_last_cdc_file(st, t2, last, sizeof last, &err), LT_OK);
    CHECK_STR(last, "");
    /* The newest CDC file is the newest name, whatever its date partition folder (DDMMYYYY folders do not sort). */
    int64_t t3;
    CHECK_INT(lt_state_table_id(st, "s", "c", &t3, &err), LT_OK);
    struct lt_manifest_file p1 = load_file(t3, "dms/s/c/01_02_2024/20240201-000001000.csv", 1, 10);
    struct lt_manifest_file p2 = load_file(t3, "dms/s/c/31_01_2024/20240131-235959000.csv", 1, 10);
    p1.kind = p2.kind = LT_FILE_CDC;
    CHECK_INT(lt_state_add_file(st, &p2, &err), LT_OK);
    CHECK_INT(lt_state_add_file(st, &p1, &err), LT_OK);
    CHECK_INT(lt_state_last_cdc_file(st, t3, last, sizeof last, &err), LT_OK);
    CHECK_STR(last, "dms/s/c/01_02_2024/20240201-000001000.csv");

    /* Restarting t1's load drops its load files, keeps its CDC files and the other table's files. */
    CHECK_INT(lt_state_begin_table_load(st, t1, "00000000/00000001:00000000000000000000", "{}", &err), LT_OK);
    list_tables(st, &ts);
    s1 = find_table(&ts, t1);
    s2 = find_table(&ts, t2);
    if (CHECK(s1 && s2)) {
        CHECK_INT(s1->files, 1);
        CHECK_INT(s1->bytes, 33);
        CHECK_INT(s2->files, 1);
        CHECK_INT(s2->bytes, 40);
    }
    CHECK_INT(query_int(db, "SELECT COUNT(*) FROM files WHERE path LIKE 's/a/LOAD%'"), 0);

    /* A file for a table that does not exist is refused (foreign key). */
    struct lt_manifest_file bad = load_file(99999, "s/zz/LOAD00000001.csv", 1, 1);
    lt_error_clear(&err);
    CHECK_INT(lt_state_add_file(st, &bad, &err), LT_ERR_RUNTIME);
    CHECK(err.msg[0] != '\0');
    lt_state_close(st);
}

static void test_meta(void)
{
    const char *db = path_in("meta.db");
    struct lt_state *st;
    if (!CHECK_INT(lt_state_open(db, "meta", "postgres", &st, &err), LT_OK))
        return;
    char v[32];
    strcpy(v, "garbage");
    CHECK_INT(lt_state_get_meta(st, "snapshot_pos", v, sizeof v, &err), LT_OK);
    CHECK_STR(v, "");
    CHECK_INT(lt_state_set_meta(st, "snapshot_pos", "0/16B374D8", &err), LT_OK);
    CHECK_INT(lt_state_get_meta(st, "snapshot_pos", v, sizeof v, &err), LT_OK);
    CHECK_STR(v, "0/16B374D8");
    CHECK_INT(lt_state_set_meta(st, "snapshot_pos", "0/20000000", &err), LT_OK);
    CHECK_INT(lt_state_get_meta(st, "snapshot_pos", v, sizeof v, &err), LT_OK);
    CHECK_STR(v, "0/20000000");
    CHECK_INT(lt_state_set_meta(st, "empty", "", &err), LT_OK);
    CHECK_INT(lt_state_get_meta(st, "empty", v, sizeof v, &err), LT_OK);
    CHECK_STR(v, "");
    /* A value longer than the caller's buffer is cut, NUL-terminated. */
    CHECK_INT(lt_state_set_meta(st, "long", "0123456789012345678901234567890123456789", &err), LT_OK);
    CHECK_INT(lt_state_get_meta(st, "long", v, 8, &err), LT_OK);
    CHECK_STR(v, "0123456");
    lt_state_close(st);

    if (!CHECK_INT(lt_state_open_existing(db, &st, &err), LT_OK))
        return;
    CHECK_INT(lt_state_get_meta(st, "snapshot_pos", v, sizeof v, &err), LT_OK);
    CHECK_STR(v, "0/20000000");
    CHECK_INT(lt_state_get_meta(st, "task", v, sizeof v, &err), LT_OK);
    CHECK_STR(v, "meta");
    lt_state_close(st);
}

static void test_cdc_batch(void)
{
    const char *db = path_in("cdc.db");
    struct lt_state *st;
    if (!CHECK_INT(lt_state_open(db, "cdc", "postgres", &st, &err), LT_OK))
        return;
    int64_t t1, t2;
    CHECK_INT(lt_state_table_id(st, "s", "a", &t1, &err), LT_OK);
    CHECK_INT(lt_state_table_id(st, "s", "b", &t2, &err), LT_OK);

    struct lt_manifest_file files[2] = {load_file(t1, "s/a/20240101-000000000.csv", 4, 400),
                                        load_file(t2, "s/b/20240101-000000000.csv", 2, 200)};
    files[0].kind = files[1].kind = LT_FILE_CDC;
    struct lt_table_delta stats[2] = {{t1, 2, 1, 1, 0, 0}, {t2, 0, 0, 0, 1, 0}};
    struct lt_table_event events[1] = {{t2, "000000000100/00000001", 1704067200000000LL}};
    struct lt_cdc_batch b = {files, 2, stats, 2, events, 1, "000000000100/00000002", 1704067201000000LL,
                             1704067200500000LL, "txn_last_file", "CDC_TXN-20240101000000500.csv"};
    CHECK_INT(lt_state_commit_cdc_batch(st, &b, &err), LT_OK);
    char v[64];
    CHECK_INT(lt_state_get_meta(st, "txn_last_file", v, sizeof v, &err), LT_OK);
    CHECK_STR(v, "CDC_TXN-20240101000000500.csv"); /* a meta value recorded with the checkpoint */
    CHECK_INT(lt_state_get_meta(st, "checkpoint", v, sizeof v, &err), LT_OK);
    CHECK_STR(v, "000000000100/00000002");
    CHECK_INT(lt_state_get_meta(st, "checkpoint_time_us", v, sizeof v, &err), LT_OK);
    CHECK_STR(v, "1704067201000000");
    CHECK_INT(lt_state_get_meta(st, "last_commit_ts_us", v, sizeof v, &err), LT_OK);
    CHECK_STR(v, "1704067200500000");

    /* A second batch: statistics add up, the same event is not recorded twice, no checkpoint keeps the old one. */
    struct lt_manifest_file more = load_file(t1, "s/a/20240101-000001000.csv", 1, 50);
    more.kind = LT_FILE_CDC;
    struct lt_table_delta more_stats = {t1, 1, 0, 0, 0, 1};
    struct lt_cdc_batch b2 = {&more, 1, &more_stats, 1, events, 1, NULL, 0, 0, NULL, NULL};
    CHECK_INT(lt_state_commit_cdc_batch(st, &b2, &err), LT_OK);
    CHECK_INT(lt_state_get_meta(st, "checkpoint", v, sizeof v, &err), LT_OK);
    CHECK_STR(v, "000000000100/00000002");
    struct tables ts;
    list_tables(st, &ts);
    const struct lt_table_status *s1 = find_table(&ts, t1), *s2 = find_table(&ts, t2);
    if (CHECK(s1 && s2)) {
        CHECK_INT(s1->inserts, 3);
        CHECK_INT(s1->updates, 1);
        CHECK_INT(s1->deletes, 1);
        CHECK_INT(s1->ddls, 1);
        CHECK_INT(s1->files, 2);
        CHECK_INT(s1->bytes, 450);
        CHECK_INT(s2->truncates, 1);
        CHECK_INT(s2->files, 1);
    }
    CHECK_INT(query_int(db, "SELECT COUNT(*) FROM events"), 1);
    char last[256];
    CHECK_INT(lt_state_last_cdc_file(st, t1, last, sizeof last, &err), LT_OK);
    CHECK_STR(last, "s/a/20240101-000001000.csv");

    /* A batch that fails half-way (its second file names no table) leaves nothing behind. */
    struct lt_manifest_file bad[2] = {load_file(t1, "s/a/20240101-000002000.csv", 1, 1),
                                      load_file(424242, "s/x/20240101-000002000.csv", 1, 1)};
    bad[0].kind = bad[1].kind = LT_FILE_CDC;
    struct lt_cdc_batch b3 = {bad, 2, &more_stats, 1, NULL, 0, "000000000200/00000001", 5, 5, NULL, NULL};
    lt_error_clear(&err);
    CHECK_INT(lt_state_commit_cdc_batch(st, &b3, &err), LT_ERR_RUNTIME);
    CHECK_INT(lt_state_get_meta(st, "checkpoint", v, sizeof v, &err), LT_OK);
    CHECK_STR(v, "000000000100/00000002");
    CHECK_INT(query_int(db, "SELECT COUNT(*) FROM files WHERE path = 's/a/20240101-000002000.csv'"), 0);
    list_tables(st, &ts);
    s1 = find_table(&ts, t1);
    CHECK(s1 && s1->inserts == 3);

    /* The store still works after the rollback. */
    CHECK_INT(lt_state_commit_cdc_batch(st, &b2, &err), LT_OK);
    list_tables(st, &ts);
    s1 = find_table(&ts, t1);
    CHECK(s1 && s1->inserts == 4 && s1->files == 2);
    lt_state_close(st);
}

static void test_each_table_stops(void)
{
    const char *db = path_in("stop.db");
    struct lt_state *st;
    if (!CHECK_INT(lt_state_open(db, "stop", "postgres", &st, &err), LT_OK))
        return;
    int64_t id;
    for (int i = 0; i < 5; i++) {
        char name[16];
        snprintf(name, sizeof name, "t%d", i);
        CHECK_INT(lt_state_table_id(st, "s", name, &id, &err), LT_OK);
    }
    struct tables ts;
    memset(&ts, 0, sizeof ts);
    ts.stop_after = 2;
    CHECK_INT(lt_state_each_table(st, collect, &ts, &err), 7);
    CHECK_INT(ts.n, 2);
    /* An empty store calls nothing. */
    lt_state_close(st);
    if (!CHECK_INT(lt_state_open(path_in("empty.db"), "e", "postgres", &st, &err), LT_OK))
        return;
    list_tables(st, &ts);
    CHECK_INT(ts.n, 0);
    lt_state_close(st);
}

/* The version-1 schema, as released: a store written by that version must migrate forward with its data. */
static const char v1_schema[] =
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE tables (id INTEGER PRIMARY KEY, schema_name TEXT NOT NULL, table_name TEXT NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'pending', full_load_rows INTEGER NOT NULL DEFAULT 0, full_load_started TEXT,"
    "  full_load_finished TEXT, inserts INTEGER NOT NULL DEFAULT 0, updates INTEGER NOT NULL DEFAULT 0,"
    "  deletes INTEGER NOT NULL DEFAULT 0, truncates INTEGER NOT NULL DEFAULT 0, ddls INTEGER NOT NULL DEFAULT 0,"
    "  last_error TEXT, UNIQUE (schema_name, table_name));"
    "CREATE TABLE files (id INTEGER PRIMARY KEY, table_id INTEGER NOT NULL REFERENCES tables(id),"
    "  kind TEXT NOT NULL CHECK (kind IN ('load', 'cdc')), path TEXT NOT NULL UNIQUE, rows INTEGER NOT NULL,"
    "  bytes INTEGER NOT NULL, first_pos TEXT, last_pos TEXT, schema_json TEXT,"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));"
    "CREATE INDEX files_by_table ON files (table_id, kind, last_pos);"
    "INSERT INTO meta VALUES ('task', 'old'), ('engine', 'postgres'), ('snapshot_pos', '0/1');"
    "INSERT INTO tables (id, schema_name, table_name, state, full_load_rows) VALUES (5, 'public', 'kept', 'loaded', 9);"
    "INSERT INTO files (table_id, kind, path, rows, bytes) VALUES (5, 'load', 'public/kept/LOAD00000001.csv', 9, 90);"
    "PRAGMA user_version = 1;";

static void test_migrate_from_v1(void)
{
    const char *db = path_in("v1.db");
    CHECK_INT(exec_sql(db, v1_schema), SQLITE_OK);
    struct lt_state *st;
    lt_error_clear(&err);
    if (!CHECK_INT(lt_state_open(db, "old", "postgres", &st, &err), LT_OK)) {
        fprintf(stderr, "  %s\n", err.msg);
        return;
    }
    CHECK(lt_state_schema_version(st) >= 2);
    int64_t id = 0;
    CHECK_INT(lt_state_table_id(st, "public", "kept", &id, &err), LT_OK);
    CHECK_INT(id, 5);
    char v[32];
    CHECK_INT(lt_state_get_meta(st, "snapshot_pos", v, sizeof v, &err), LT_OK);
    CHECK_STR(v, "0/1");
    struct tables ts;
    list_tables(st, &ts);
    CHECK_INT(ts.n, 1);
    CHECK(ts.n == 1 && ts.t[0].files == 1 && ts.t[0].bytes == 90 && ts.t[0].full_load_rows == 9);
    /* What version 2 added works on the migrated store. */
    struct lt_manifest_file f = load_file(5, "public/kept/20240101-000000000.csv", 1, 10);
    f.kind = LT_FILE_CDC;
    f.commit_ts_first_us = 11;
    f.commit_ts_last_us = 12;
    struct lt_table_event e = {5, "p1", 11};
    struct lt_cdc_batch b = {&f, 1, NULL, 0, &e, 1, "p1", 1, 11, NULL, NULL};
    CHECK_INT(lt_state_commit_cdc_batch(st, &b, &err), LT_OK);
    lt_state_close(st);
    CHECK_INT(query_int(db, "SELECT commit_ts_last_us FROM files WHERE kind = 'cdc'"), 12);
    CHECK_INT(query_int(db, "SELECT COUNT(*) FROM events"), 1);
}

/* Several threads share one store. */
struct worker {
    struct lt_state *st;
    int index;
    int64_t ids[40];
    int failures;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    struct lt_error e;
    for (int i = 0; i < 40; i++) {
        char name[16], key[32];
        snprintf(name, sizeof name, "t%02d", i);
        if (lt_state_table_id(w->st, "shared", name, &w->ids[i], &e))
            w->failures++;
        snprintf(key, sizeof key, "w%d.%d", w->index, i);
        if (lt_state_set_meta(w->st, key, name, &e))
            w->failures++;
    }
    return NULL;
}

static void test_threads(void)
{
    const char *db = path_in("threads.db");
    struct lt_state *st;
    if (!CHECK_INT(lt_state_open(db, "threads", "postgres", &st, &err), LT_OK))
        return;
    enum { NT = 4 };
    struct worker w[NT];
    pthread_t th[NT];
    for (int i = 0; i < NT; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].st = st;
        w[i].index = i;
        pthread_create(&th[i], NULL, work, &w[i]);
    }
    for (int i = 0; i < NT; i++)
        pthread_join(th[i], NULL);
    int mismatches = 0, failures = 0;
    for (int i = 0; i < NT; i++) {
        failures += w[i].failures;
        for (int j = 0; j < 40; j++)
            mismatches += w[i].ids[j] != w[0].ids[j];
    }
    CHECK_INT(failures, 0);
    CHECK_INT(mismatches, 0);
    struct tables ts;
    list_tables(st, &ts);
    CHECK_INT(ts.n, 40);
    char v[16];
    CHECK_INT(lt_state_get_meta(st, "w3.39", v, sizeof v, &err), LT_OK);
    CHECK_STR(v, "t39");
    lt_state_close(st);
}

int main(void)
{
    tmpdir = unit_tmpdir("state_store");
    RUN(test_open_creates_and_migrates);
    RUN(test_open_refuses_other_task);
    RUN(test_open_errors);
    RUN(test_table_ids);
    RUN(test_load_life_cycle);
    RUN(test_manifest);
    RUN(test_meta);
    RUN(test_cdc_batch);
    RUN(test_each_table_stops);
    RUN(test_migrate_from_v1);
    RUN(test_threads);
    return unit_report();
}
