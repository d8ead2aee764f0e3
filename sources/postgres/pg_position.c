/* The PostgreSQL source's position operations (see pg_position.h): pure, unit-tested without a server. */
#include "sources/postgres/pg_position.h"

#include <stdint.h>
#include <stdio.h>

#include "sources/postgres/repl_protocol.h"

#define PG_CHECKPOINT_FORM "an LSN like 0/16B3748"
#define PG_POS_FORM "a _logtap_pos value like 00000000/016B3748:00000000000000000001"

static int parse_lsn(const char *text, uint64_t *lsn, struct lt_error *err)
{
    if (!text || !text[0])
        return lt_fail(err, LT_ERR_CONFIG, "an empty position: give %s", PG_CHECKPOINT_FORM);
    if (!lt_pg_lsn_parse(text, lsn))
        return lt_fail(err, LT_ERR_CONFIG, "\"%s\" is not a PostgreSQL LSN: give %s, as `logtap status` prints it",
                       text, PG_CHECKPOINT_FORM);
    return LT_OK;
}

int lt_pg_checkpoint_check(const char *text, char out[LT_CHECKPOINT_MAX], struct lt_error *err)
{
    uint64_t lsn;
    int rc = parse_lsn(text, &lsn, err);
    if (!rc && out)
        lt_pg_lsn_format(lsn, out);
    return rc;
}

int lt_pg_checkpoint_compare(const char *a, const char *b, int *cmp, struct lt_error *err)
{
    uint64_t la, lb;
    int rc;
    if ((rc = parse_lsn(a, &la, err)) || (rc = parse_lsn(b, &lb, err)))
        return rc;
    *cmp = la < lb ? -1 : la > lb;
    return LT_OK;
}

int lt_pg_position_bound(const char *text, char pos[LT_POS_MAX + 1], struct lt_error *err)
{
    uint64_t lsn, seq;
    if (lt_pg_parse_pos(text, &lsn, &seq)) {
        lt_pg_format_pos(lsn, seq, pos);
        return LT_OK;
    }
    if (!text || !lt_pg_lsn_parse(text, &lsn))
        return lt_fail(err, LT_ERR_CONFIG, "\"%s\" is not a PostgreSQL position: give %s, as `logtap status` prints "
                       "it, or %s", text ? text : "", PG_CHECKPOINT_FORM, PG_POS_FORM);
    int rc = parse_lsn(text, &lsn, err);
    if (rc)
        return rc;
    /* commit LSN < lsn (sequence >= 1 sorts after (lsn, 0)), and a full load whose snapshot is at lsn */
    lt_pg_format_pos(lsn, 0, pos);
    return LT_OK;
}

int lt_pg_position_checkpoint(const char *pos, const char *reference, char out[LT_CHECKPOINT_MAX],
                              struct lt_error *err)
{
    (void)reference;
    uint64_t lsn, seq;
    if (!lt_pg_parse_pos(pos, &lsn, &seq))
        return lt_fail(err, LT_ERR_CONFIG, "\"%s\" is not a PostgreSQL _logtap_pos (%s)", pos ? pos : "",
                       PG_POS_FORM);
    if (seq > 0 && lsn == UINT64_MAX)
        return lt_fail(err, LT_ERR_RUNTIME, "\"%s\": no LSN comes after it", pos);
    lt_pg_lsn_format(seq > 0 ? lsn + 1 : lsn, out);
    return LT_OK;
}
