/* libFuzzer target for what a user types or a file holds as short text: times (--as-of), positions and
 * checkpoints of both sources (--until, --as-of, status), and _logtap_unchanged lists. The first byte picks the
 * parser. Every parser must return an answer or a clear error without reading past its input; a time that
 * parses prints as a time that parses back to the same instant; a checkpoint that is accepted is accepted again
 * in its canonical form, unchanged. Build like fuzz_parquet_reader.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/source.h"
#include "agent/unchanged_list.h"
#include "agent/utc_time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 600)
        return 0;
    char text[601];
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    struct lt_error err = {0};
    switch (data[0] % 4) {
    case 0: {
        int64_t us, back;
        if (lt_utc_time_parse(text, &us, &err) == LT_OK) {
            char out[LT_UTC_TIME_MAX];
            lt_utc_time_format(us, out);
            if (lt_utc_time_parse(out, &back, &err) != LT_OK || back != us) {
                fprintf(stderr, "time %s -> %s does not parse back\n", text, out);
                abort();
            }
        }
        break;
    }
    case 1:
    case 2: {
        const struct logtap_source_ops *ops = data[0] % 4 == 1 ? &lt_postgres_source : &lt_mysql_source;
        char cp[LT_CHECKPOINT_MAX], again[LT_CHECKPOINT_MAX], pos[LT_POS_MAX + 1];
        if (ops->checkpoint_check && ops->checkpoint_check(text, cp, &err) == LT_OK) {
            if (ops->checkpoint_check(cp, again, &err) != LT_OK || strcmp(cp, again) != 0) {
                fprintf(stderr, "checkpoint %s -> %s is not stable\n", text, cp);
                abort();
            }
            int cmp = 1;
            if (ops->checkpoint_compare && (ops->checkpoint_compare(cp, again, &cmp, &err) != LT_OK || cmp != 0)) {
                fprintf(stderr, "checkpoint %s does not equal itself\n", cp);
                abort();
            }
        }
        if (ops->position_bound)
            ops->position_bound(text, pos, &err);
        break;
    }
    default: {
        const char *p = text, *end = text + strlen(text);
        char name[64];
        size_t len;
        while (lt_unchanged_next(&p, end, name, sizeof name, &len) == 1)
            if (len >= sizeof name || strlen(name) != len)
                abort();
        break;
    }
    }
    return 0;
}
