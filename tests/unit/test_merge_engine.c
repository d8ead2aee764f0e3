/* The merge engine and its spill records: records read back to the same rows; a merge past a tiny budget (spilled
 * to partitions, split again, the base read once through the Bloom filter) gives the same rows as in memory, for
 * updates with unchanged (TOAST) columns over base rows, deletes, key changes and chains of them across partitions,
 * TRUNCATE, and tables without a key (deletes too); a row bigger than the budget allows fails, naming its size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/merge_engine.h"
#include "agent/merge_spill.h"
#include "unit.h"

#define NCOLS 3
#define MAX_ROWS 40000

/* A row under construction: op, position and up to NCOLS values ("\x01" marks unchanged, NULL a NULL). */
struct trow {
    char op;
    char pos[LT_POS_MAX + 1];
    char *val[NCOLS];
    bool unchanged[NCOLS];
};

struct tstream {
    struct trow *rows;
    int n, next;
    struct lt_value vals[NCOLS];
};

static int tstream_next(void *ctx, struct lt_row *row, struct lt_error *err)
{
    (void)err;
    struct tstream *s = ctx;
    if (s->next == s->n)
        return 0;
    struct trow *t = &s->rows[s->next++];
    memset(row, 0, sizeof *row);
    row->op = t->op;
    snprintf(row->pos, sizeof row->pos, "%s", t->pos);
    for (int i = 0; i < NCOLS; i++) {
        s->vals[i] = (struct lt_value){.state = t->unchanged[i] ? LT_VALUE_UNCHANGED
                                                : t->val[i]     ? LT_VALUE_PRESENT
                                                                : LT_VALUE_NULL,
                                       .data = t->val[i], .len = t->val[i] ? (uint32_t)strlen(t->val[i]) : 0};
    }
    row->nvals = NCOLS;
    row->vals = s->vals;
    return 1;
}

struct rows {
    struct trow *r;
    int n;
};

static struct trow *add(struct rows *rs, char op, int tx, int seq, const char *a, const char *b, const char *c)
{
    struct trow *t = &rs->r[rs->n++];
    memset(t, 0, sizeof *t);
    t->op = op;
    snprintf(t->pos, sizeof t->pos, "%010d:%010d", tx, seq);
    const char *v[NCOLS] = {a, b, c};
    for (int i = 0; i < NCOLS; i++) {
        if (v[i] && strcmp(v[i], "?") == 0)
            t->unchanged[i] = true;
        else if (v[i])
            t->val[i] = strdup(v[i]);
    }
    return t;
}

static void free_rows(struct rows *rs)
{
    for (int i = 0; i < rs->n; i++)
        for (int c = 0; c < NCOLS; c++)
            free(rs->r[i].val[c]);
    free(rs->r);
}

/* Output rows as text lines, sorted: the engine's row order differs between memory and spill. */
struct out {
    char **lines;
    int n, cap;
};

static int collect(void *ctx, const struct lt_row *row, struct lt_error *err)
{
    (void)err;
    struct out *o = ctx;
    char line[4096];
    size_t len = (size_t)snprintf(line, sizeof line, "%s", row->pos);
    for (int i = 0; i < row->nvals; i++) {
        const struct lt_value *v = &row->vals[i];
        if (v->state == LT_VALUE_PRESENT)
            len += (size_t)snprintf(line + len, sizeof line - len, "|%.*s", (int)(v->len > 200 ? 200 : v->len),
                                    v->data);
        else
            len += (size_t)snprintf(line + len, sizeof line - len, "|<%d>", v->state);
    }
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 256;
        o->lines = realloc(o->lines, (size_t)o->cap * sizeof *o->lines);
    }
    o->lines[o->n++] = strdup(line);
    return 0;
}

static int cmp_line(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Merges base + changes with a budget; returns the sorted output joined by newlines (caller frees). */
static char *run_merge(bool keyed, struct rows *base, struct rows *changes, const char *const *truncates, int nt,
                       uint64_t budget, bool hints, struct lt_merge_stats *stats, int *rc)
{
    struct lt_table_schema *schema = lt_schema_new("public", "t", NCOLS);
    lt_schema_set_column(schema, 0, "id", LT_TYPE_INT32, 0, 0, keyed, false, "int");
    lt_schema_set_column(schema, 1, "v", LT_TYPE_TEXT, 0, 0, false, true, "text");
    lt_schema_set_column(schema, 2, "big", LT_TYPE_TEXT, 0, 0, false, true, "text");
    struct tstream bs = {.rows = base->r, .n = base->n}, cs = {.rows = changes->r, .n = changes->n};
    struct lt_merge_input in = {
        .schema = schema,
        .base = {.next = tstream_next, .ctx = &bs},
        .changes = {.next = tstream_next, .ctx = &cs},
        .truncates = truncates,
        .ntruncates = nt,
        .memory_limit = budget,
        .spill_dir = unit_tmpdir("merge_engine"),
        .changes_rows = hints ? changes->n : 0,
        .changes_bytes = hints ? (int64_t)changes->n * 40 : 0,
    };
    struct out o = {0};
    struct lt_error err = {0};
    *rc = lt_merge_table(&in, collect, &o, stats, &err);
    if (*rc)
        printf("  merge failed: %s\n", err.msg);
    qsort(o.lines, (size_t)o.n, sizeof *o.lines, cmp_line);
    size_t total = 1;
    for (int i = 0; i < o.n; i++)
        total += strlen(o.lines[i]) + 1;
    char *s = malloc(total), *p = s;
    *p = '\0';
    for (int i = 0; i < o.n; i++) {
        p += sprintf(p, "%s\n", o.lines[i]);
        free(o.lines[i]);
    }
    free(o.lines);
    lt_schema_free(schema);
    return s;
}

static void test_spill_record_round_trip(void)
{
    struct lt_spill_codec c;
    struct lt_error err = {0};
    CHECK_INT(lt_spill_codec_init(&c, 4, &err), 0);
    char big[300];
    memset(big, 'x', sizeof big);
    struct lt_value v[4] = {{.data = "42", .len = 2, .state = LT_VALUE_PRESENT},
                            {.data = "garbage", .len = 7, .state = LT_VALUE_NULL}, /* a NULL carries no bytes */
                            {.data = big, .len = sizeof big, .state = LT_VALUE_PRESENT},
                            {.state = LT_VALUE_UNCHANGED}};
    struct lt_row row = {.op = 'U', .nvals = 4, .vals = v};
    snprintf(row.pos, sizeof row.pos, "0000000001:0000000007");
    const char *dir = unit_tmpdir("merge_spill");
    char path[4200];
    snprintf(path, sizeof path, "%s/spill", dir);
    FILE *f = fopen(path, "w+b");
    CHECK(f != NULL);
    CHECK_INT(lt_spill_write(&c, f, 1, &row, &err), 0);
    CHECK_INT(lt_spill_write(&c, f, 0, &row, &err), 0);
    /* the record: 4-byte length, 3 header bytes + position, ncols, 4 x (state, length, bytes) */
    CHECK_INT(ftell(f), 2 * (long)lt_spill_row_size(&row, 4));
    CHECK_INT(lt_spill_row_size(&row, 4), 4 + 3 + 21 + 1 + (1 + 1 + 2) + (1 + 1) + (1 + 2 + 300) + (1 + 1));
    rewind(f);
    struct lt_row back;
    int kind = -1;
    CHECK_INT(lt_spill_read(&c, f, &kind, &back, &err), 1);
    CHECK_INT(kind, 1);
    CHECK_INT(back.op, 'U');
    CHECK_STR(back.pos, "0000000001:0000000007");
    CHECK_MEM(back.vals[0].data, back.vals[0].len, "42", 2);
    CHECK_INT(back.vals[1].state, LT_VALUE_NULL);
    CHECK_INT(back.vals[1].len, 0);
    CHECK_MEM(back.vals[2].data, back.vals[2].len, big, sizeof big);
    CHECK_INT(back.vals[3].state, LT_VALUE_UNCHANGED);
    CHECK_INT(lt_spill_read(&c, f, &kind, &back, &err), 1);
    CHECK_INT(kind, 0);
    CHECK_INT(lt_spill_read(&c, f, &kind, &back, &err), 0);
    fclose(f);
    /* damaged bodies are refused, never read past */
    char body[64];
    size_t n = 0;
    body[n++] = 0;
    body[n++] = 'I';
    body[n++] = 1;
    body[n++] = '7';
    body[n++] = 4; /* ncols */
    body[n++] = LT_VALUE_PRESENT;
    body[n++] = 50; /* a length past the end */
    CHECK_INT(lt_spill_decode(&c, body, n, &kind, &back, &err), -1);
    body[4] = 3; /* wrong column count */
    CHECK_INT(lt_spill_decode(&c, body, 5, &kind, &back, &err), -1);
    body[2] = 60; /* position longer than the body */
    CHECK_INT(lt_spill_decode(&c, body, 5, &kind, &back, &err), -1);
    lt_spill_codec_free(&c);
}

static char *num(char *buf, int i)
{
    sprintf(buf, "%d", i);
    return buf;
}

/* A keyed workload: N base rows; updates with the big column unchanged, deletes, inserts, key changes (D + I in
 * one transaction, the I's columns unchanged) and chains of them (k -> k' -> k''), in several transactions. */
static void keyed_workload(struct rows *base, struct rows *ch, int n)
{
    char a[32], b[64], c[64];
    for (int i = 1; i <= n; i++) {
        sprintf(b, "v%d", i);
        sprintf(c, "toast-of-%d", i);
        add(base, 'I', 0, i, num(a, i), b, c);
    }
    int tx = 1, seq = 1;
    for (int i = 1; i <= n; i += 3) { /* a third updated, the big column unchanged */
        sprintf(b, "u%d", i);
        add(ch, 'U', tx, seq++, num(a, i), b, "?");
    }
    tx++, seq = 1;
    for (int i = 2; i <= n; i += 10) /* deletes */
        add(ch, 'D', tx, seq++, num(a, i), "?", "?");
    tx++, seq = 1;
    for (int i = 3; i <= n; i += 20) { /* key changes of base rows: i -> n + i */
        add(ch, 'D', tx, seq++, num(a, i), "?", "?");
        add(ch, 'I', tx, seq++, num(a, n + i), "?", "?");
    }
    tx++, seq = 1;
    for (int i = 3; i <= n; i += 40) { /* chains: n + i -> 2n + i, then a column changed, then -> 3n + i */
        add(ch, 'D', tx, seq++, num(a, n + i), "?", "?");
        add(ch, 'I', tx, seq++, num(a, 2 * n + i), "?", "?");
        sprintf(b, "chained%d", i);
        add(ch, 'U', tx, seq++, num(a, 2 * n + i), b, "?");
        add(ch, 'D', tx, seq++, num(a, 2 * n + i), "?", "?");
        add(ch, 'I', tx, seq++, num(a, 3 * n + i), "?", "?");
    }
    tx++, seq = 1;
    for (int i = 1; i <= n / 5; i++) { /* new rows, some updated after */
        sprintf(b, "new%d", i);
        add(ch, 'I', tx, seq++, num(a, 10 * n + i), b, "fresh");
        if (i % 7 == 0)
            add(ch, 'U', tx, seq++, num(a, 10 * n + i), "newer", "?");
    }
}

static void test_keyed_spill_equals_memory(void)
{
    const int n = 3000;
    struct rows base = {.r = calloc(MAX_ROWS, sizeof(struct trow))}, ch = {.r = calloc(MAX_ROWS, sizeof(struct trow))};
    keyed_workload(&base, &ch, n);
    struct lt_merge_stats mem, sp, sph;
    int rc1, rc2, rc3;
    char *in_memory = run_merge(true, &base, &ch, NULL, 0, 1ULL << 30, false, &mem, &rc1);
    char *spilled = run_merge(true, &base, &ch, NULL, 0, 64 * 1024, false, &sp, &rc2);
    char *sized = run_merge(true, &base, &ch, NULL, 0, 1 << 20, true, &sph, &rc3);
    CHECK_INT(rc1, 0);
    CHECK_INT(rc2, 0);
    CHECK_INT(rc3, 0);
    CHECK_INT(mem.partitions, 1);
    CHECK(sp.partitions > 1);
    CHECK(sph.partitions > 1);
    CHECK_INT(mem.unresolved, 0);
    CHECK_INT(sp.unresolved, 0);
    CHECK_INT(sph.unresolved, 0);
    CHECK_INT(sp.rows_out, mem.rows_out);
    CHECK_INT(sp.changes, mem.changes);
    CHECK_STR(spilled, in_memory);
    CHECK_STR(sized, in_memory);
    /* a few rows checked by value: an update keeps the base's unchanged column, a key change carries the old row,
     * a chain of two key changes carries it through, a deleted row is gone */
    CHECK(strstr(in_memory, "|1|u1|toast-of-1\n") != NULL);
    CHECK(strstr(in_memory, "|3023|v23|toast-of-23\n") != NULL);
    CHECK(strstr(in_memory, "|9003|chained3|toast-of-3\n") != NULL);
    CHECK(strstr(in_memory, "|2|v2|") == NULL);
    CHECK(strstr(in_memory, "|3|v3|") == NULL);
    free(in_memory);
    free(spilled);
    free(sized);
    free_rows(&base);
    free_rows(&ch);
}

static void test_truncate_spilled(void)
{
    struct rows base = {.r = calloc(MAX_ROWS, sizeof(struct trow))}, ch = {.r = calloc(MAX_ROWS, sizeof(struct trow))};
    keyed_workload(&base, &ch, 1000);
    const char *truncates[] = {"0000000004:0000000000"}; /* after the chains, before the new rows */
    struct lt_merge_stats mem, sp;
    int rc1, rc2;
    char *in_memory = run_merge(true, &base, &ch, truncates, 1, 1ULL << 30, false, &mem, &rc1);
    char *spilled = run_merge(true, &base, &ch, truncates, 1, 64 * 1024, true, &sp, &rc2);
    CHECK_INT(rc1 | rc2, 0);
    CHECK(sp.partitions > 1);
    CHECK_INT(mem.rows_out, 225); /* only the rows inserted after the TRUNCATE (200) and the chains ending after it */
    CHECK_STR(spilled, in_memory);
    free(in_memory);
    free(spilled);
    free_rows(&base);
    free_rows(&ch);
}

/* Without a key: whole rows with counts; deletes of base rows (one of two copies), of rows inserted earlier, and
 * of rows never seen, spilled or not. */
static void test_keyless_spill_equals_memory(void)
{
    struct rows base = {.r = calloc(MAX_ROWS, sizeof(struct trow))}, ch = {.r = calloc(MAX_ROWS, sizeof(struct trow))};
    char a[32], b[32];
    for (int i = 1; i <= 2000; i++) {
        add(&base, 'I', 0, i, num(a, i % 1500), "x", NULL); /* 500 rows twice */
    }
    int seq = 1;
    for (int i = 0; i < 1500; i += 4)
        add(&ch, 'D', 1, seq++, num(a, i), "x", NULL);
    for (int i = 0; i < 800; i++) {
        sprintf(b, "n%d", i % 300);
        add(&ch, 'I', 2, seq++, num(a, i), b, NULL);
        if (i % 5 == 0)
            add(&ch, 'D', 2, seq++, num(a, i), b, NULL);
    }
    struct lt_merge_stats mem, sp;
    int rc1, rc2;
    char *in_memory = run_merge(false, &base, &ch, NULL, 0, 1ULL << 30, false, &mem, &rc1);
    char *spilled = run_merge(false, &base, &ch, NULL, 0, 64 * 1024, false, &sp, &rc2);
    CHECK_INT(rc1 | rc2, 0);
    CHECK(sp.partitions > 1);
    CHECK_INT(sp.rows_out, mem.rows_out);
    CHECK_STR(spilled, in_memory);
    free(in_memory);
    free(spilled);
    free_rows(&base);
    free_rows(&ch);
}

/* A row bigger than a quarter of the budget fails with its size; the same row passes with a budget four times it. */
static void test_row_bigger_than_budget(void)
{
    struct rows base = {.r = calloc(16, sizeof(struct trow))}, ch = {.r = calloc(16, sizeof(struct trow))};
    char *big = malloc(100001);
    memset(big, 'b', 100000);
    big[100000] = '\0';
    add(&base, 'I', 0, 1, "1", "a", "b");
    add(&ch, 'U', 1, 1, "1", "c", big);
    struct lt_table_schema *schema = lt_schema_new("public", "t", NCOLS);
    lt_schema_set_column(schema, 0, "id", LT_TYPE_INT32, 0, 0, true, false, "int");
    lt_schema_set_column(schema, 1, "v", LT_TYPE_TEXT, 0, 0, false, true, "text");
    lt_schema_set_column(schema, 2, "big", LT_TYPE_TEXT, 0, 0, false, true, "text");
    struct tstream bs = {.rows = base.r, .n = base.n}, cs = {.rows = ch.r, .n = ch.n};
    struct lt_merge_input in = {.schema = schema, .base = {.next = tstream_next, .ctx = &bs},
                                .changes = {.next = tstream_next, .ctx = &cs}, .memory_limit = 256 * 1024,
                                .spill_dir = unit_tmpdir("merge_engine")};
    struct out o = {0};
    struct lt_error err = {0};
    struct lt_merge_stats st;
    CHECK(lt_merge_table(&in, collect, &o, &st, &err) != 0);
    CHECK(strstr(err.msg, "a row of 100002 bytes") != NULL);
    CHECK(strstr(err.msg, "memory_limit_mb") != NULL);
    CHECK_INT(o.n, 0);
    bs.next = cs.next = 0;
    in.memory_limit = 4 * 100002;
    CHECK_INT(lt_merge_table(&in, collect, &o, &st, &err), 0);
    CHECK_INT(o.n, 1);
    for (int i = 0; i < o.n; i++)
        free(o.lines[i]);
    free(o.lines);
    free(big);
    lt_schema_free(schema);
    free_rows(&base);
    free_rows(&ch);
}

int main(void)
{
    RUN(test_spill_record_round_trip);
    RUN(test_keyed_spill_equals_memory);
    RUN(test_truncate_spilled);
    RUN(test_keyless_spill_equals_memory);
    RUN(test_row_bigger_than_budget);
    return unit_report();
}
