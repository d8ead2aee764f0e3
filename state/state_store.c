/* The SQLite state store (see state_store.h): schema migrations, tables, manifest, statistics, task facts. */
#include "state/state_store.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct lt_state {
    sqlite3 *db;
    pthread_mutex_t lock;
};

/* Migration i brings the schema from version i to i+1. Append only; never edit a released step. */
static const char *const migrations[] = {
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE tables ("
    "  id INTEGER PRIMARY KEY,"
    "  schema_name TEXT NOT NULL,"
    "  table_name TEXT NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'pending',"
    "  full_load_rows INTEGER NOT NULL DEFAULT 0,"
    "  full_load_started TEXT,"
    "  full_load_finished TEXT,"
    "  inserts INTEGER NOT NULL DEFAULT 0,"
    "  updates INTEGER NOT NULL DEFAULT 0,"
    "  deletes INTEGER NOT NULL DEFAULT 0,"
    "  truncates INTEGER NOT NULL DEFAULT 0,"
    "  ddls INTEGER NOT NULL DEFAULT 0,"
    "  last_error TEXT,"
    "  UNIQUE (schema_name, table_name));"
    "CREATE TABLE files ("
    "  id INTEGER PRIMARY KEY,"
    "  table_id INTEGER NOT NULL REFERENCES tables(id),"
    "  kind TEXT NOT NULL CHECK (kind IN ('load', 'cdc')),"
    "  path TEXT NOT NULL UNIQUE,"
    "  rows INTEGER NOT NULL,"
    "  bytes INTEGER NOT NULL,"
    "  first_pos TEXT,"
    "  last_pos TEXT,"
    "  schema_json TEXT,"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));"
    "CREATE INDEX files_by_table ON files (table_id, kind, last_pos);",
    /* 2: CDC. Table-level events the merge needs besides rows (TRUNCATE), recorded with the batch that saw them. */
    "CREATE TABLE events ("
    "  id INTEGER PRIMARY KEY,"
    "  table_id INTEGER NOT NULL REFERENCES tables(id),"
    "  kind TEXT NOT NULL CHECK (kind IN ('truncate')),"
    "  pos TEXT NOT NULL,"
    "  commit_ts_us INTEGER NOT NULL,"
    "  UNIQUE (table_id, kind, pos));"
    "ALTER TABLE files ADD COLUMN commit_ts_first_us INTEGER;"
    "ALTER TABLE files ADD COLUMN commit_ts_last_us INTEGER;",
    /* 3: point-in-time snapshots written by the merge. */
    "CREATE TABLE snapshots ("
    "  id INTEGER PRIMARY KEY,"
    "  table_id INTEGER NOT NULL REFERENCES tables(id),"
    "  name TEXT NOT NULL,"
    "  path TEXT NOT NULL,"
    "  pos TEXT NOT NULL,"
    "  commit_ts_us INTEGER NOT NULL,"
    "  rows INTEGER NOT NULL,"
    "  bytes INTEGER NOT NULL,"
    "  schema_json TEXT NOT NULL,"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),"
    "  UNIQUE (table_id, name));",
    /* 4: the task's life: where each table's current load sits in the change order (changes at or before it are
     * inside the load), what is captured of it, a reload asked for by `logtap reload`, the source's identity of
     * the table (PostgreSQL: its OID) so a table dropped and created again is noticed, and the columns of its
     * load (an empty table has no file to tell them). */
    ("ALTER TABLE tables ADD COLUMN load_pos TEXT;"
     "ALTER TABLE tables ADD COLUMN capture TEXT NOT NULL DEFAULT 'all';"
     "ALTER TABLE tables ADD COLUMN reload_requested INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE tables ADD COLUMN source_id TEXT;"
     "ALTER TABLE tables ADD COLUMN load_schema_json TEXT;"),
    /* 5: each file's and snapshot part's content checksum (CRC-32), checked by the merge before it reads one */
    ("ALTER TABLE files ADD COLUMN crc32 INTEGER;"
     "ALTER TABLE snapshots ADD COLUMN crc32 INTEGER;"),
};

static const int schema_version = (int)(sizeof migrations / sizeof migrations[0]);

static int add_file_locked(struct lt_state *st, const struct lt_manifest_file *f, struct lt_error *err);

static int db_error(struct lt_state *st, struct lt_error *err, const char *what)
{
    /* a full or read-only filesystem, or a file the process may not write, will not fix itself */
    int e = sqlite3_errcode(st->db) & 0xff;
    int code = e == SQLITE_FULL || e == SQLITE_READONLY || e == SQLITE_PERM || e == SQLITE_CANTOPEN
                   ? LT_ERR_PERSISTENT
                   : LT_ERR_RUNTIME;
    return lt_fail(err, code, "state store: %s: %s", what, sqlite3_errmsg(st->db));
}

static int exec(struct lt_state *st, const char *sql, struct lt_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        lt_fail(err, LT_ERR_RUNTIME, "state store: %s", msg ? msg : sqlite3_errmsg(st->db));
        sqlite3_free(msg);
        return LT_ERR_RUNTIME;
    }
    return LT_OK;
}

static int mkdir_parents(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return 0;
}

/* Brings the schema to schema_version in one transaction (one commit, however many versions it moves). */
static int migrate(struct lt_state *st, struct lt_error *err)
{
    int version = lt_state_schema_version(st);
    if (version > schema_version)
        return lt_fail(err, LT_ERR_RUNTIME,
                       "state store: schema version %d is newer than this logtap understands (%d); upgrade logtap",
                       version, schema_version);
    if (version == schema_version)
        return LT_OK;
    if (exec(st, "BEGIN IMMEDIATE", err))
        return LT_ERR_RUNTIME;
    version = lt_state_schema_version(st); /* another process may have migrated it meanwhile */
    for (int v = version; v < schema_version; v++) {
        if (exec(st, migrations[v], err)) {
            exec(st, "ROLLBACK", NULL);
            return lt_error_prefix(err, "migrating to schema version %d: ", v + 1);
        }
    }
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", schema_version);
    if (exec(st, sql, err) || exec(st, "COMMIT", err)) {
        exec(st, "ROLLBACK", NULL);
        return LT_ERR_RUNTIME;
    }
    return LT_OK;
}

static int open_db(const char *path, int flags, struct lt_state **out, struct lt_error *err)
{
    struct lt_state *st = calloc(1, sizeof *st);
    if (!st)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    pthread_mutex_init(&st->lock, NULL);
    if (sqlite3_open_v2(path, &st->db, flags | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
        lt_fail(err, LT_ERR_RUNTIME, "state store: cannot open %s: %s", path,
                st->db ? sqlite3_errmsg(st->db) : "out of memory");
        lt_state_close(st);
        return LT_ERR_RUNTIME;
    }
    sqlite3_busy_timeout(st->db, 10000);
    *out = st;
    return LT_OK;
}

int lt_state_open(const char *path, const char *task, const char *engine, struct lt_state **out,
                  struct lt_error *err)
{
    *out = NULL;
    if (mkdir_parents(path) != 0)
        return lt_fail(err, LT_ERR_RUNTIME, "state store: cannot create the directory of %s: %s", path,
                       strerror(errno));
    struct lt_state *st;
    if (open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &st, err))
        return LT_ERR_RUNTIME;
    if (exec(st, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;", err) ||
        migrate(st, err)) {
        lt_state_close(st);
        return lt_error_prefix(err, "%s: ", path);
    }
    char have[256];
    const char *const keys[2] = {"task", "engine"};
    const char *const want[2] = {task, engine};
    for (int i = 0; i < 2; i++) {
        if (lt_state_get_meta(st, keys[i], have, sizeof have, err)) {
            lt_state_close(st);
            return LT_ERR_RUNTIME;
        }
        if (!*have) {
            if (lt_state_set_meta(st, keys[i], want[i], err)) {
                lt_state_close(st);
                return LT_ERR_RUNTIME;
            }
        } else if (strcmp(have, want[i]) != 0) {
            lt_state_close(st);
            return lt_fail(err, LT_ERR_CONFIG, "state store %s belongs to %s \"%s\", not \"%s\"; use another state path",
                           path, keys[i], have, want[i]);
        }
    }
    *out = st;
    return LT_OK;
}

int lt_state_open_existing(const char *path, struct lt_state **out, struct lt_error *err)
{
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return lt_fail(err, LT_ERR_RUNTIME, "state store %s does not exist yet (no load has run for this task)", path);
    struct lt_state *st;
    if (open_db(path, SQLITE_OPEN_READWRITE, &st, err))
        return LT_ERR_RUNTIME;
    if (lt_state_schema_version(st) > schema_version) {
        lt_state_close(st);
        return lt_fail(err, LT_ERR_RUNTIME, "state store %s has a newer schema than this logtap understands", path);
    }
    if (migrate(st, err)) {
        lt_state_close(st);
        return LT_ERR_RUNTIME;
    }
    *out = st;
    return LT_OK;
}

void lt_state_close(struct lt_state *st)
{
    if (!st)
        return;
    sqlite3_close(st->db);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

int lt_state_schema_version(struct lt_state *st)
{
    sqlite3_stmt *s;
    int v = -1;
    if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK) {
        if (sqlite3_step(s) == SQLITE_ROW)
            v = sqlite3_column_int(s, 0);
        sqlite3_finalize(s);
    }
    return v;
}

/* Runs one statement with text/int64 parameters given as a format: 't' text, 'i' int64. */
static int run(struct lt_state *st, struct lt_error *err, const char *sql, const char *fmt, ...)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return db_error(st, err, "prepare");
    va_list ap;
    va_start(ap, fmt);
    for (int i = 0; fmt && fmt[i]; i++) {
        if (fmt[i] == 't') {
            const char *v = va_arg(ap, const char *);
            if (v)
                sqlite3_bind_text(s, i + 1, v, -1, SQLITE_TRANSIENT);
            else
                sqlite3_bind_null(s, i + 1);
        } else {
            sqlite3_bind_int64(s, i + 1, va_arg(ap, int64_t));
        }
    }
    va_end(ap);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return db_error(st, err, "write");
    return LT_OK;
}

int lt_state_find_table(struct lt_state *st, const char *schema, const char *table, int64_t *id, struct lt_error *err)
{
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *s = NULL;
    int rc = LT_OK;
    *id = 0;
    if (sqlite3_prepare_v2(st->db, "SELECT id FROM tables WHERE schema_name = ? AND table_name = ?", -1, &s, NULL) !=
        SQLITE_OK) {
        rc = db_error(st, err, "prepare");
    } else {
        sqlite3_bind_text(s, 1, schema, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, table, -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW)
            *id = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

int lt_state_table_id(struct lt_state *st, const char *schema, const char *table, int64_t *id, struct lt_error *err)
{
    pthread_mutex_lock(&st->lock);
    int rc = run(st, err, "INSERT INTO tables (schema_name, table_name) VALUES (?, ?) ON CONFLICT DO NOTHING", "tt",
                 schema, table);
    sqlite3_stmt *s = NULL;
    if (!rc && sqlite3_prepare_v2(st->db, "SELECT id FROM tables WHERE schema_name = ? AND table_name = ?", -1, &s,
                                  NULL) != SQLITE_OK)
        rc = db_error(st, err, "prepare");
    if (!rc) {
        sqlite3_bind_text(s, 1, schema, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, table, -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW)
            *id = sqlite3_column_int64(s, 0);
        else
            rc = db_error(st, err, "table lookup");
    }
    sqlite3_finalize(s);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

/* Runs fn inside BEGIN IMMEDIATE ... COMMIT under the store's lock. */
static int in_transaction(struct lt_state *st, struct lt_error *err, int (*fn)(struct lt_state *, void *, struct lt_error *),
                          void *arg)
{
    pthread_mutex_lock(&st->lock);
    int rc = exec(st, "BEGIN IMMEDIATE", err);
    if (!rc) {
        rc = fn(st, arg, err);
        if (rc)
            exec(st, "ROLLBACK", NULL);
        else
            rc = exec(st, "COMMIT", err);
    }
    pthread_mutex_unlock(&st->lock);
    return rc;
}

struct begin_load_args {
    int64_t id;
    const char *load_pos;
    const char *schema_json;
};

static int begin_load_tx(struct lt_state *st, void *arg, struct lt_error *err)
{
    const struct begin_load_args *a = arg;
    int rc = run(st, err, "DELETE FROM files WHERE table_id = ? AND kind = 'load'", "i", a->id);
    if (!rc)
        rc = run(st, err,
                 "UPDATE tables SET state = 'loading', full_load_rows = 0, last_error = NULL, load_pos = ?,"
                 " load_schema_json = ?, reload_requested = 0,"
                 " full_load_started = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), full_load_finished = NULL WHERE id = ?",
                 "tti", a->load_pos, a->schema_json, a->id);
    return rc;
}

int lt_state_begin_table_load(struct lt_state *st, int64_t table_id, const char *load_pos, const char *schema_json,
                              struct lt_error *err)
{
    struct begin_load_args a = {table_id, load_pos, schema_json};
    return in_transaction(st, err, begin_load_tx, &a);
}

int lt_state_set_table_state(struct lt_state *st, int64_t table_id, const char *state, const char *note,
                             struct lt_error *err)
{
    pthread_mutex_lock(&st->lock);
    /* a table gone from the source has nothing to reload */
    int rc = run(st, err,
                 "UPDATE tables SET state = ?1, last_error = ?2,"
                 " reload_requested = CASE WHEN ?1 = 'dropped' THEN 0 ELSE reload_requested END WHERE id = ?3",
                 "tti", state, note, table_id);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

int lt_state_get_load_schema(struct lt_state *st, int64_t table_id, char **out, struct lt_error *err)
{
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *s;
    int rc = LT_OK;
    *out = NULL;
    if (sqlite3_prepare_v2(st->db, "SELECT load_schema_json FROM tables WHERE id = ?", -1, &s, NULL) != SQLITE_OK) {
        rc = db_error(st, err, "prepare");
    } else {
        sqlite3_bind_int64(s, 1, table_id);
        if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) &&
            !(*out = strdup((const char *)sqlite3_column_text(s, 0))))
            rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        sqlite3_finalize(s);
    }
    pthread_mutex_unlock(&st->lock);
    return rc;
}

int lt_state_set_table_capture(struct lt_state *st, int64_t table_id, const char *capture, struct lt_error *err)
{
    pthread_mutex_lock(&st->lock);
    int rc = run(st, err, "UPDATE tables SET capture = ? WHERE id = ?", "ti", capture, table_id);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

int lt_state_set_table_source_id(struct lt_state *st, int64_t table_id, const char *source_id, struct lt_error *err)
{
    pthread_mutex_lock(&st->lock);
    int rc = run(st, err, "UPDATE tables SET source_id = ? WHERE id = ?", "ti", source_id, table_id);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

int lt_state_request_reload(struct lt_state *st, int64_t table_id, struct lt_error *err)
{
    pthread_mutex_lock(&st->lock);
    int rc = run(st, err, "UPDATE tables SET reload_requested = 1 WHERE id = ?", "i", table_id);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

int lt_state_finish_table_load(struct lt_state *st, int64_t table_id, int64_t rows, struct lt_error *err)
{
    pthread_mutex_lock(&st->lock);
    int rc = run(st, err,
                 "UPDATE tables SET state = 'loaded', full_load_rows = ?,"
                 " full_load_finished = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?",
                 "ii", rows, table_id);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

struct fail_load_args {
    int64_t id;
    const char *message;
};

static int fail_load_tx(struct lt_state *st, void *arg, struct lt_error *err)
{
    const struct fail_load_args *a = arg;
    int rc = run(st, err, "DELETE FROM files WHERE table_id = ? AND kind = 'load'", "i", a->id);
    return rc ? rc
              : run(st, err, "UPDATE tables SET state = 'failed', last_error = ? WHERE id = ?", "ti", a->message, a->id);
}

int lt_state_fail_table_load(struct lt_state *st, int64_t table_id, const char *message, struct lt_error *err)
{
    struct fail_load_args a = {table_id, message};
    return in_transaction(st, err, fail_load_tx, &a);
}

int lt_state_add_file(struct lt_state *st, const struct lt_manifest_file *f, struct lt_error *err)
{
    pthread_mutex_lock(&st->lock);
    int rc = add_file_locked(st, f, err);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

static int add_file_locked(struct lt_state *st, const struct lt_manifest_file *f, struct lt_error *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO files (table_id, kind, path, rows, bytes, first_pos, last_pos, schema_json,"
                           " commit_ts_first_us, commit_ts_last_us, crc32) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                           " ON CONFLICT (path) DO UPDATE SET table_id = excluded.table_id, kind = excluded.kind,"
                           " rows = excluded.rows, bytes = excluded.bytes, first_pos = excluded.first_pos,"
                           " last_pos = excluded.last_pos, schema_json = excluded.schema_json,"
                           " commit_ts_first_us = excluded.commit_ts_first_us,"
                           " commit_ts_last_us = excluded.commit_ts_last_us, crc32 = excluded.crc32",
                           -1, &s, NULL) != SQLITE_OK)
        return db_error(st, err, "prepare");
    sqlite3_bind_int64(s, 1, f->table_id);
    sqlite3_bind_text(s, 2, f->kind == LT_FILE_LOAD ? "load" : "cdc", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, f->path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, f->rows);
    sqlite3_bind_int64(s, 5, f->bytes);
    sqlite3_bind_text(s, 6, f->first_pos, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, f->last_pos, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, f->schema_json, -1, SQLITE_STATIC);
    if (f->kind == LT_FILE_CDC) {
        sqlite3_bind_int64(s, 9, f->commit_ts_first_us);
        sqlite3_bind_int64(s, 10, f->commit_ts_last_us);
    }
    if (f->has_crc32)
        sqlite3_bind_int64(s, 11, (int64_t)f->crc32);
    int rc = sqlite3_step(s) == SQLITE_DONE ? LT_OK : db_error(st, err, "recording a file in the manifest");
    sqlite3_finalize(s);
    return rc;
}

struct batch_args {
    const struct lt_cdc_batch *b;
};

static int commit_batch_tx(struct lt_state *st, void *arg, struct lt_error *err)
{
    const struct lt_cdc_batch *b = ((struct batch_args *)arg)->b;
    for (int i = 0; i < b->nfiles; i++)
        if (add_file_locked(st, &b->files[i], err))
            return LT_ERR_RUNTIME;
    for (int i = 0; i < b->nstats; i++) {
        const struct lt_table_delta *d = &b->stats[i];
        if (run(st, err, "UPDATE tables SET inserts = inserts + ?, updates = updates + ?, deletes = deletes + ?,"
                         " truncates = truncates + ?, ddls = ddls + ? WHERE id = ?",
                "iiiiii", d->inserts, d->updates, d->deletes, d->truncates, d->ddls, d->table_id))
            return LT_ERR_RUNTIME;
    }
    for (int i = 0; i < b->nevents; i++) {
        const struct lt_table_event *e = &b->events[i];
        if (run(st, err, "INSERT INTO events (table_id, kind, pos, commit_ts_us) VALUES (?, 'truncate', ?, ?)"
                         " ON CONFLICT DO NOTHING",
                "iti", e->table_id, e->pos, e->commit_ts_us))
            return LT_ERR_RUNTIME;
    }
    if (b->checkpoint) {
        char now[32];
        snprintf(now, sizeof now, "%lld", (long long)b->checkpoint_time_us);
        if (run(st, err, "INSERT INTO meta (key, value) VALUES ('checkpoint', ?)"
                         " ON CONFLICT (key) DO UPDATE SET value = excluded.value", "t", b->checkpoint) ||
            run(st, err, "INSERT INTO meta (key, value) VALUES ('checkpoint_time_us', ?)"
                         " ON CONFLICT (key) DO UPDATE SET value = excluded.value", "t", now))
            return LT_ERR_RUNTIME;
        if (b->last_commit_ts_us &&
            run(st, err, "INSERT INTO meta (key, value) VALUES ('last_commit_ts_us', ?)"
                         " ON CONFLICT (key) DO UPDATE SET value = excluded.value", "i", b->last_commit_ts_us))
            return LT_ERR_RUNTIME;
    }
    if (b->meta_key && run(st, err, "INSERT INTO meta (key, value) VALUES (?, ?)"
                                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value", "tt", b->meta_key,
                           b->meta_value ? b->meta_value : ""))
        return LT_ERR_RUNTIME;
    return LT_OK;
}

int lt_state_commit_cdc_batch(struct lt_state *st, const struct lt_cdc_batch *batch, struct lt_error *err)
{
    struct batch_args a = {batch};
    return in_transaction(st, err, commit_batch_tx, &a);
}

int lt_state_last_cdc_file(struct lt_state *st, int64_t table_id, char *out, size_t outlen, struct lt_error *err)
{
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *s;
    int rc = LT_OK;
    out[0] = '\0';
    /* the newest name, whatever folder it is in (date partitions such as DD/MM/YYYY do not sort by time): the
     * file name after the last '/' (rtrim of every character but '/' leaves the folder part) */
    if (sqlite3_prepare_v2(st->db,
                           "SELECT path FROM files WHERE table_id = ? AND kind = 'cdc' "
                           "ORDER BY substr(path, length(rtrim(path, replace(path, '/', ''))) + 1) DESC LIMIT 1",
                           -1, &s, NULL) != SQLITE_OK) {
        rc = db_error(st, err, "prepare");
    } else {
        sqlite3_bind_int64(s, 1, table_id);
        if (sqlite3_step(s) == SQLITE_ROW)
            snprintf(out, outlen, "%s", (const char *)sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
    }
    pthread_mutex_unlock(&st->lock);
    return rc;
}

int lt_state_set_meta(struct lt_state *st, const char *key, const char *value, struct lt_error *err)
{
    pthread_mutex_lock(&st->lock);
    int rc = run(st, err, "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                 "tt", key, value);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

int lt_state_get_meta(struct lt_state *st, const char *key, char *out, size_t outlen, struct lt_error *err)
{
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *s;
    int rc = LT_OK;
    out[0] = '\0';
    if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = ?", -1, &s, NULL) != SQLITE_OK) {
        rc = db_error(st, err, "prepare");
    } else {
        sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW)
            snprintf(out, outlen, "%s", (const char *)sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
    }
    pthread_mutex_unlock(&st->lock);
    return rc;
}

static void copy_col(char *dst, size_t n, sqlite3_stmt *s, int col)
{
    const unsigned char *v = sqlite3_column_text(s, col);
    snprintf(dst, n, "%s", v ? (const char *)v : "");
}

#define TABLE_STATUS_SQL                                                                                           \
    "SELECT t.id, t.schema_name, t.table_name, t.state, t.full_load_rows, t.inserts, t.updates,"                   \
    " t.deletes, t.truncates, t.ddls, COUNT(f.id), COALESCE(SUM(f.bytes), 0),"                                     \
    " t.full_load_started, t.full_load_finished, t.last_error, t.load_pos, t.capture,"                             \
    " t.reload_requested, t.source_id"                                                                             \
    " FROM tables t LEFT JOIN files f ON f.table_id = t.id"

static void fill_table_status(sqlite3_stmt *s, struct lt_table_status *t);

int lt_state_get_table(struct lt_state *st, int64_t table_id, struct lt_table_status *out, struct lt_error *err)
{
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *s;
    int rc = LT_OK;
    if (sqlite3_prepare_v2(st->db, TABLE_STATUS_SQL " WHERE t.id = ? GROUP BY t.id", -1, &s, NULL) != SQLITE_OK) {
        pthread_mutex_unlock(&st->lock);
        return db_error(st, err, "prepare");
    }
    sqlite3_bind_int64(s, 1, table_id);
    int step = sqlite3_step(s);
    if (step == SQLITE_ROW)
        fill_table_status(s, out);
    else
        rc = step == SQLITE_DONE ? lt_fail(err, LT_ERR_RUNTIME, "state store: no table %lld", (long long)table_id)
                                 : db_error(st, err, "reading a table");
    sqlite3_finalize(s);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

/* Calls fn for the tables a query of TABLE_STATUS_SQL's columns returns. */
static int each_table_of(struct lt_state *st, const char *sql, int (*fn)(void *ctx, const struct lt_table_status *t),
                         void *ctx, struct lt_error *err)
{
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *s;
    int rc = LT_OK;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
        pthread_mutex_unlock(&st->lock);
        return db_error(st, err, "prepare");
    }
    int step;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        struct lt_table_status t;
        fill_table_status(s, &t);
        if ((rc = fn(ctx, &t)))
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = db_error(st, err, "reading tables");
    sqlite3_finalize(s);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

int lt_state_each_table(struct lt_state *st, int (*fn)(void *ctx, const struct lt_table_status *t), void *ctx,
                        struct lt_error *err)
{
    return each_table_of(st, TABLE_STATUS_SQL " GROUP BY t.id ORDER BY t.schema_name, t.table_name", fn, ctx, err);
}

static void fill_table_status(sqlite3_stmt *s, struct lt_table_status *t)
{
    memset(t, 0, sizeof *t);
    t->id = sqlite3_column_int64(s, 0);
    copy_col(t->schema_name, sizeof t->schema_name, s, 1);
    copy_col(t->table_name, sizeof t->table_name, s, 2);
    copy_col(t->state, sizeof t->state, s, 3);
    t->full_load_rows = sqlite3_column_int64(s, 4);
    t->inserts = sqlite3_column_int64(s, 5);
    t->updates = sqlite3_column_int64(s, 6);
    t->deletes = sqlite3_column_int64(s, 7);
    t->truncates = sqlite3_column_int64(s, 8);
    t->ddls = sqlite3_column_int64(s, 9);
    t->files = sqlite3_column_int64(s, 10);
    t->bytes = sqlite3_column_int64(s, 11);
    copy_col(t->full_load_started, sizeof t->full_load_started, s, 12);
    copy_col(t->full_load_finished, sizeof t->full_load_finished, s, 13);
    copy_col(t->last_error, sizeof t->last_error, s, 14);
    copy_col(t->load_pos, sizeof t->load_pos, s, 15);
    copy_col(t->capture, sizeof t->capture, s, 16);
    t->reload_requested = sqlite3_column_int(s, 17) != 0;
    copy_col(t->source_id, sizeof t->source_id, s, 18);
}

int lt_state_each_table_to_load(struct lt_state *st, int (*fn)(void *ctx, const struct lt_table_status *t), void *ctx,
                                struct lt_error *err)
{
    return each_table_of(st,
                         TABLE_STATUS_SQL " WHERE t.state IN ('pending', 'failed', 'loading') OR t.reload_requested"
                                          " GROUP BY t.id ORDER BY t.id",
                         fn, ctx, err);
}

static void fill_file_row(sqlite3_stmt *s, struct lt_manifest_file *f)
{
    memset(f, 0, sizeof *f);
    f->table_id = sqlite3_column_int64(s, 0);
    f->kind = strcmp((const char *)sqlite3_column_text(s, 1), "load") == 0 ? LT_FILE_LOAD : LT_FILE_CDC;
    f->path = (const char *)sqlite3_column_text(s, 2);
    f->rows = sqlite3_column_int64(s, 3);
    f->bytes = sqlite3_column_int64(s, 4);
    f->first_pos = (const char *)sqlite3_column_text(s, 5);
    f->last_pos = (const char *)sqlite3_column_text(s, 6);
    f->schema_json = (const char *)sqlite3_column_text(s, 7);
    f->commit_ts_first_us = sqlite3_column_int64(s, 8);
    f->commit_ts_last_us = sqlite3_column_int64(s, 9);
    f->has_crc32 = sqlite3_column_type(s, 10) != SQLITE_NULL;
    f->crc32 = (uint32_t)sqlite3_column_int64(s, 10);
}

int lt_state_each_file(struct lt_state *st, int64_t table_id, enum lt_file_kind kind, const char *after_pos,
                       int (*fn)(void *ctx, const struct lt_manifest_file *f), void *ctx, struct lt_error *err)
{
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *s;
    int rc = LT_OK;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT table_id, kind, path, rows, bytes, first_pos, last_pos, schema_json,"
                           " COALESCE(commit_ts_first_us, 0), COALESCE(commit_ts_last_us, 0), crc32 FROM files"
                           " WHERE table_id = ? AND kind = ? AND (? IS NULL OR last_pos > ?)"
                           " ORDER BY first_pos, path",
                           -1, &s, NULL) != SQLITE_OK) {
        pthread_mutex_unlock(&st->lock);
        return db_error(st, err, "prepare");
    }
    sqlite3_bind_int64(s, 1, table_id);
    sqlite3_bind_text(s, 2, kind == LT_FILE_LOAD ? "load" : "cdc", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, after_pos, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 4, after_pos, -1, SQLITE_TRANSIENT);
    int step;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        struct lt_manifest_file f;
        fill_file_row(s, &f);
        if ((rc = fn(ctx, &f)))
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = db_error(st, err, "reading the manifest");
    sqlite3_finalize(s);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

int lt_state_each_event(struct lt_state *st, int64_t table_id, const char *after_pos,
                        int (*fn)(void *ctx, const char *pos, int64_t commit_ts_us), void *ctx, struct lt_error *err)
{
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *s;
    int rc = LT_OK;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT pos, commit_ts_us FROM events WHERE table_id = ? AND kind = 'truncate'"
                           " AND (? IS NULL OR pos > ?) ORDER BY pos",
                           -1, &s, NULL) != SQLITE_OK) {
        pthread_mutex_unlock(&st->lock);
        return db_error(st, err, "prepare");
    }
    sqlite3_bind_int64(s, 1, table_id);
    sqlite3_bind_text(s, 2, after_pos, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 3, after_pos, -1, SQLITE_TRANSIENT);
    int step;
    while ((step = sqlite3_step(s)) == SQLITE_ROW)
        if ((rc = fn(ctx, (const char *)sqlite3_column_text(s, 0), sqlite3_column_int64(s, 1))))
            break;
    if (!rc && step != SQLITE_DONE)
        rc = db_error(st, err, "reading events");
    sqlite3_finalize(s);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

int lt_state_add_snapshot(struct lt_state *st, const struct lt_snapshot_record *r, struct lt_error *err)
{
    pthread_mutex_lock(&st->lock);
    int rc = run(st, err,
                 "INSERT INTO snapshots (table_id, name, path, pos, commit_ts_us, rows, bytes, schema_json, crc32)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?, ?, CASE WHEN ? THEN ? END) ON CONFLICT (table_id, name) DO UPDATE"
                 " SET path = excluded.path, pos = excluded.pos, commit_ts_us = excluded.commit_ts_us,"
                 " rows = excluded.rows, bytes = excluded.bytes, schema_json = excluded.schema_json,"
                 " crc32 = excluded.crc32, created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
                 "itttiiitii", r->table_id, r->name, r->path, r->pos, r->commit_ts_us, r->rows, r->bytes, r->schema_json,
                 (int64_t)r->has_crc32, (int64_t)r->crc32);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

int lt_state_delete_snapshot(struct lt_state *st, int64_t id, struct lt_error *err)
{
    pthread_mutex_lock(&st->lock);
    int rc = run(st, err, "DELETE FROM snapshots WHERE id = ?", "i", id);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

int lt_state_each_snapshot(struct lt_state *st, int64_t table_id,
                           int (*fn)(void *ctx, const struct lt_snapshot_record *r), void *ctx, struct lt_error *err)
{
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *s;
    int rc = LT_OK;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT id, table_id, name, path, pos, commit_ts_us, rows, bytes, schema_json, crc32"
                           " FROM snapshots"
                           " WHERE table_id = ? ORDER BY pos DESC, name DESC",
                           -1, &s, NULL) != SQLITE_OK) {
        pthread_mutex_unlock(&st->lock);
        return db_error(st, err, "prepare");
    }
    sqlite3_bind_int64(s, 1, table_id);
    int step;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        struct lt_snapshot_record r = {
            .id = sqlite3_column_int64(s, 0), .table_id = sqlite3_column_int64(s, 1),
            .name = (const char *)sqlite3_column_text(s, 2), .path = (const char *)sqlite3_column_text(s, 3),
            .pos = (const char *)sqlite3_column_text(s, 4), .commit_ts_us = sqlite3_column_int64(s, 5),
            .rows = sqlite3_column_int64(s, 6), .bytes = sqlite3_column_int64(s, 7),
            .schema_json = (const char *)sqlite3_column_text(s, 8),
            .has_crc32 = sqlite3_column_type(s, 9) != SQLITE_NULL, .crc32 = (uint32_t)sqlite3_column_int64(s, 9),
        };
        if ((rc = fn(ctx, &r)))
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = db_error(st, err, "reading snapshots");
    sqlite3_finalize(s);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

struct table_collect {
    struct lt_table_status *t;
    int n, cap;
};

static int collect_table_status(void *arg, const struct lt_table_status *t)
{
    struct table_collect *c = arg;
    if (c->n == c->cap) {
        int cap = c->cap ? c->cap * 2 : 16;
        struct lt_table_status *x = realloc(c->t, (size_t)cap * sizeof *x);
        if (!x)
            return LT_ERR_RUNTIME;
        c->t = x;
        c->cap = cap;
    }
    c->t[c->n++] = *t;
    return LT_OK;
}

int lt_state_list_tables(struct lt_state *st, struct lt_table_status **out, int *n, struct lt_error *err)
{
    struct table_collect c = {0};
    int rc = lt_state_each_table(st, collect_table_status, &c, err);
    if (rc) {
        free(c.t);
        if (!err->msg[0])
            lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        return LT_ERR_RUNTIME;
    }
    *out = c.t;
    *n = c.n;
    return LT_OK;
}
