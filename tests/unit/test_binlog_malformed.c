/* Malformed binlog input must be an error, never a crash (run under ASan/UBSan): every event of the real dataset
 * files is (1) cut short at every length, (2) re-framed with its body truncated at every length (event_size and
 * CRC32 patched so the parser reaches the body), and (3) corrupted byte by byte (CRC patched); each mutant is
 * parsed, its table map decoded, and its rows decoded against the table map in force. Each mutant lives in an
 * exactly sized heap block so any overread is caught. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "sources/mysql/binlog_event.h"
#include "sources/mysql/binlog_rows.h"
#include "tests/unit/unit.h"

static uint8_t *load_file(const char *path, size_t *len)
{
    gzFile f = gzopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        int r = gzread(f, buf + n, (unsigned)(cap - n));
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    gzclose(f);
    *len = n;
    return buf;
}

static struct lt_my_scratch S, Z;
static struct lt_value before[4096], after[4096];
static long mutants, refused;

/* Parses one (possibly mutated) event with a copy of the reader state, then decodes what it holds. */
static void try_event(const struct lt_binlog_reader *rd0, const uint8_t *p, size_t n,
                      const struct lt_binlog_table_map *current)
{
    struct lt_binlog_reader rd = *rd0;
    uint8_t *copy = malloc(n ? n : 1);
    if (n)
        memcpy(copy, p, n);
    struct lt_binlog_event ev;
    struct lt_error err = {0};
    mutants++;
    if (lt_binlog_parse_event(&rd, copy, n, 0, &ev, &err)) {
        refused++;
        CHECK(err.msg[0] != 0);
        free(copy);
        return;
    }
    if (ev.h.type == LT_BINLOG_TABLE_MAP_EVENT) {
        struct lt_binlog_table_map tm = {0};
        if (lt_binlog_table_map_decode(&ev, &tm, &err) == 0)
            lt_binlog_table_map_free(&tm);
        else
            refused++;
    } else if (lt_binlog_event_decompress(&ev, &Z, &err)) {
        refused++;
    } else if (current && lt_binlog_event_is_rows(ev.h.type)) {
        struct lt_binlog_table_map tm = *current;
        tm.table_id = ev.u.rows.table_id; /* decode against the map in force even if the id byte was hit */
        struct lt_binlog_row_cursor c;
        if (lt_binlog_rows_begin(&c, &ev.u.rows, &tm, &err) == 0) {
            for (int guard = 0; guard < 100000; guard++) {
                bool done;
                if (lt_binlog_rows_next(&c, &S, before, after, &done, &err)) {
                    refused++;
                    CHECK(strstr(err.msg, "binlog offset") != NULL || strstr(err.msg, "limit") != NULL);
                    break;
                }
                if (done)
                    break;
            }
        } else {
            refused++;
        }
    }
    free(copy);
}

/* Patches event_size and the trailing CRC32 (when present) of an event image of n bytes. */
static void reframe(uint8_t *e, size_t n, bool crc, bool fde_in_use_rule)
{
    e[9] = (uint8_t)n;
    e[10] = (uint8_t)(n >> 8);
    e[11] = (uint8_t)(n >> 16);
    e[12] = (uint8_t)(n >> 24);
    if (crc && n >= 23) {
        uint8_t flags = e[17];
        if (fde_in_use_rule)
            e[17] &= (uint8_t)~1;
        uint32_t c = (uint32_t)crc32(0, e, (uInt)(n - 4));
        e[17] = flags;
        e[n - 4] = (uint8_t)c;
        e[n - 3] = (uint8_t)(c >> 8);
        e[n - 2] = (uint8_t)(c >> 16);
        e[n - 1] = (uint8_t)(c >> 24);
    }
}

static void mutate_file(const char *rel, size_t max_events)
{
    char path[256];
    snprintf(path, sizeof path, "mysql-binlogs/%s", rel);
    const char *full = unit_dataset(path);
    if (!full)
        return;
    size_t len = 0;
    uint8_t *buf = load_file(full, &len);
    if (!CHECK(buf != NULL))
        return;
    struct lt_binlog_reader rd;
    lt_binlog_reader_init(&rd);
    struct lt_binlog_table_map current = {0};
    bool have_map = false;
    size_t pos = 4, nev = 0;
    long before_mutants = mutants;
    uint8_t *work = malloc(len);
    long accepted_cut = 0;
    while (pos < len && nev < max_events) {
        size_t size = lt_le32(buf + pos + 9);
        if (!CHECK(size >= 19 && size <= len - pos))
            break;
        const uint8_t *e = buf + pos;
        uint8_t type = e[4];
        bool crc = rd.fmt.seen && rd.fmt.checksum_alg == LT_BINLOG_CHECKSUM_CRC32;
        bool fde = type == LT_BINLOG_FORMAT_DESCRIPTION_EVENT;
        if (fde) /* the FDE's own trailing field decides; MySQL 5.6+ files here carry one */
            crc = size > 19 + 57 + 5 && (e[size - 5] == 1);
        /* (1) cut short: must always be refused */
        for (size_t cut = 0; cut < size; cut++) {
            struct lt_binlog_reader r2 = rd;
            uint8_t *copy = malloc(cut ? cut : 1);
            memcpy(copy, e, cut);
            struct lt_binlog_event ev;
            struct lt_error err = {0};
            if (lt_binlog_parse_event(&r2, copy, cut, pos, &ev, &err) == 0)
                accepted_cut++;
            free(copy);
        }
        /* (2) body truncated at every length, re-framed */
        size_t tail = crc ? 4 : 0;
        for (size_t k = 0; k + 19 + tail < size; k++) {
            size_t n = 19 + k + tail;
            memcpy(work, e, 19 + k);
            if (tail)
                memset(work + 19 + k, 0, 4);
            reframe(work, n, crc, fde);
            try_event(&rd, work, n, have_map ? &current : NULL);
        }
        /* (3) every body byte corrupted a few ways (at most 1500 positions an event) */
        size_t limit = size - tail;
        size_t step = limit > 1500 ? limit / 1500 : 1;
        static const uint8_t xors[] = {0xff, 0x80, 0x01};
        for (size_t i = 4; i < limit; i += step) {
            for (int m = 0; m < 5; m++) {
                memcpy(work, e, size);
                if (m < 3)
                    work[i] ^= xors[m];
                else
                    work[i] = m == 3 ? 0x00 : 0xfe;
                if (i >= 9 && i < 13)
                    continue; /* event_size itself: covered by (1) and (2) */
                reframe(work, size, crc, fde);
                try_event(&rd, work, size, have_map ? &current : NULL);
            }
        }
        /* advance with the real event */
        struct lt_binlog_event ev;
        struct lt_error err = {0};
        if (!CHECK_INT(lt_binlog_parse_event(&rd, e, size, pos, &ev, &err), 0)) {
            printf("  %s\n", err.msg);
            break;
        }
        if (ev.h.type == LT_BINLOG_TABLE_MAP_EVENT)
            have_map = lt_binlog_table_map_decode(&ev, &current, &err) == 0;
        pos += size;
        nev++;
    }
    CHECK_INT(accepted_cut, 0); /* a cut-short event is always refused */
    printf("  %s: %zu events, %ld mutants\n", rel, nev, mutants - before_mutants);
    lt_binlog_table_map_free(&current);
    free(work);
    free(buf);
}

static void test_mutate_canal_51(void) { mutate_file("canal/mysql-bin.000001", 120); }
static void test_mutate_canal_57(void) { mutate_file("canal/tsdb/mysql-bin.000003", 1000); }
static void test_mutate_go_mysql(void) { mutate_file("go-mysql/tcb-eval002c-bin.003320", 1000); }
static void test_mutate_crc32(void) { mutate_file("mysql-binlog-connector-java/mysql-bin.checksum-crc32", 1000); }
static void test_mutate_none(void) { mutate_file("mysql-binlog-connector-java/mysql-bin.checksum-none", 120); }
static void test_mutate_sakila(void) { mutate_file("mysql-binlog-connector-java/mysql-bin.sakila.gz", 80); }

/* Header-level garbage: sizes below the header, absurd sizes, random bytes. */
static void test_garbage(void)
{
    struct lt_binlog_reader rd;
    lt_binlog_reader_init(&rd);
    uint8_t b[64];
    struct lt_binlog_event ev;
    struct lt_error err = {0};
    uint32_t seed = 12345;
    for (int i = 0; i < 20000; i++) {
        for (size_t k = 0; k < sizeof b; k++) {
            seed = seed * 1103515245u + 12345u;
            b[k] = (uint8_t)(seed >> 16);
        }
        size_t n = 1 + (seed >> 8) % sizeof b;
        if (i % 3 == 0) { /* plausible size */
            b[9] = (uint8_t)n;
            b[10] = b[11] = b[12] = 0;
        }
        uint8_t *copy = malloc(n);
        memcpy(copy, b, n);
        (void)lt_binlog_parse_event(&rd, copy, n, 0, &ev, &err);
        free(copy);
    }
    /* an empty file, a file of only the magic, a magic with 3 stray bytes */
    size_t pos = 0;
    bool done;
    CHECK(lt_binlog_file_next(&rd, (const uint8_t *)"", 0, &pos, &ev, &done, &err) != 0);
    pos = 0;
    CHECK_INT(lt_binlog_file_next(&rd, (const uint8_t *)"\xfe" "bin", 4, &pos, &ev, &done, &err), 0);
    CHECK(done);
    pos = 0;
    CHECK(lt_binlog_file_next(&rd, (const uint8_t *)"\xfe" "bin\x01\x02\x03", 7, &pos, &ev, &done, &err) != 0);
    CHECK(strstr(err.msg, "truncated") != NULL);
}

int main(void)
{
    RUN(test_garbage);
    RUN(test_mutate_canal_51);
    RUN(test_mutate_canal_57);
    RUN(test_mutate_go_mysql);
    RUN(test_mutate_crc32);
    RUN(test_mutate_none);
    RUN(test_mutate_sakila);
    printf("%ld mutants, %ld refused\n", mutants, refused);
    lt_my_scratch_free(&S);
    lt_my_scratch_free(&Z);
    return unit_report();
}
