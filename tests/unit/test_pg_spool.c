/* The spool of streamed transactions: interleaved transactions read back in their own order, subtransaction and
 * whole aborts, records bigger than the write buffer and the read window, files gone after reading back. */
#include <stdlib.h>
#include <string.h>

#include "sources/postgres/pg_spool.h"
#include "unit.h"

static void put(struct lt_pg_spool *sp, uint32_t xid, uint32_t sub, const char *text)
{
    struct lt_error err = {0};
    CHECK_INT(lt_pg_spool_append(sp, xid, sub, (const uint8_t *)text, strlen(text), &err), LT_OK);
}

/* Reads xid back and returns its messages joined by '|'. */
static char *read_back(struct lt_pg_spool *sp, uint32_t xid)
{
    static char out[4096];
    struct lt_error err = {0};
    out[0] = '\0';
    CHECK_INT(lt_pg_spool_replay_begin(sp, xid, &err), LT_OK);
    const uint8_t *m;
    size_t n;
    int got;
    while ((got = lt_pg_spool_replay_next(sp, &m, &n, &err)) == 1) {
        if (out[0])
            strcat(out, "|");
        strncat(out, (const char *)m, n);
    }
    CHECK_INT(got, 0);
    return out;
}

static void test_interleaved_and_aborts(void)
{
    struct lt_pg_spool *sp;
    struct lt_error err = {0};
    CHECK_INT(lt_pg_spool_open(&sp, unit_tmpdir("pg_spool"), &err), LT_OK);
    put(sp, 100, 100, "a1");
    put(sp, 200, 200, "b1");
    put(sp, 100, 101, "a-sub1");   /* savepoint s1 */
    put(sp, 100, 102, "a-sub2");   /* savepoint s2 inside s1 */
    put(sp, 200, 201, "b-sub");
    put(sp, 100, 102, "a-sub2b");
    CHECK_INT(lt_pg_spool_count(sp), 2);
    /* ROLLBACK TO s2: a-sub2 and a-sub2b go */
    CHECK_INT(lt_pg_spool_abort(sp, 100, 102, &err), LT_OK);
    put(sp, 100, 101, "a-sub1b");
    put(sp, 100, 100, "a2");
    /* ROLLBACK TO s1 in b: b-sub goes */
    CHECK_INT(lt_pg_spool_abort(sp, 200, 201, &err), LT_OK);
    put(sp, 200, 200, "b2");
    /* an abort of a subtransaction that spooled nothing, and of a transaction never seen */
    CHECK_INT(lt_pg_spool_abort(sp, 100, 999, &err), LT_OK);
    CHECK_INT(lt_pg_spool_abort(sp, 300, 300, &err), LT_OK);
    CHECK_STR(read_back(sp, 100), "a1|a-sub1|a-sub1b|a2");
    CHECK_INT(lt_pg_spool_count(sp), 1); /* read back: gone */
    put(sp, 400, 400, "c1");
    CHECK_INT(lt_pg_spool_abort(sp, 400, 400, &err), LT_OK); /* the whole transaction */
    CHECK_STR(read_back(sp, 400), "");
    CHECK_STR(read_back(sp, 200), "b1|b2");
    CHECK_INT(lt_pg_spool_count(sp), 0);
    CHECK_STR(read_back(sp, 500), ""); /* never spooled */
    lt_pg_spool_close(sp);
}

static void test_big_records(void)
{
    struct lt_pg_spool *sp;
    struct lt_error err = {0};
    CHECK_INT(lt_pg_spool_open(&sp, unit_tmpdir("pg_spool_big"), &err), LT_OK);
    size_t sizes[] = {10, 70 * 1024, 3, 3 * 1024 * 1024, 65536 - 8, 65536 - 7, 1};
    int n = (int)(sizeof sizes / sizeof sizes[0]);
    uint8_t *buf = malloc(3 * 1024 * 1024);
    for (int i = 0; i < n; i++) {
        memset(buf, 'a' + i, sizes[i]);
        CHECK_INT(lt_pg_spool_append(sp, 7, 7, buf, sizes[i], &err), LT_OK);
    }
    for (int r = 0; r < 2000; r++) /* many small ones across window borders */
        CHECK_INT(lt_pg_spool_append(sp, 7, 7, (const uint8_t *)"xyz", 3, &err), LT_OK);
    CHECK(lt_pg_spool_bytes(sp) > 3 * 1024 * 1024);
    CHECK_INT(lt_pg_spool_replay_begin(sp, 7, &err), LT_OK);
    const uint8_t *m;
    size_t len;
    for (int i = 0; i < n; i++) {
        CHECK_INT(lt_pg_spool_replay_next(sp, &m, &len, &err), 1);
        CHECK_INT((long long)len, (long long)sizes[i]);
        CHECK(len == 0 || (m[0] == 'a' + i && m[len - 1] == 'a' + i));
    }
    int small = 0;
    while (lt_pg_spool_replay_next(sp, &m, &len, &err) == 1)
        small += len == 3 && memcmp(m, "xyz", 3) == 0;
    CHECK_INT(small, 2000);
    CHECK_INT(lt_pg_spool_count(sp), 0);
    free(buf);
    lt_pg_spool_close(sp);
}

int main(void)
{
    RUN(test_interleaved_and_aborts);
    RUN(test_big_records);
    return unit_report();
}
