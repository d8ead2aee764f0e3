/* Points in a task's change history given on the command line, checked before anything connects: `merge --as-of`
 * (a UTC time or a position) and `replicate --until` ("now" or a checkpoint). Positions are parsed by the task's
 * source plug-in (its position operations, agent/source.h); bad input is LT_ERR_CONFIG with a message naming the
 * forms the task takes, and saying so when the text is another engine's position. */
#ifndef LOGTAP_CLI_POSITION_H
#define LOGTAP_CLI_POSITION_H

#include <stdint.h>

#include "agent/error.h"
#include "agent/record.h"
#include "agent/source.h"

/* What a point includes: the rows with pos <= pos (when pos is not ""), committed at or before time_us (when it
 * is not 0). Exactly one of the two is set. */
struct lt_as_of {
    char pos[LT_POS_MAX + 1];
    int64_t time_us;
};

/* --as-of: a UTC time (lt_utc_time_parse), a checkpoint, or a _logtap_pos value. */
int lt_cli_parse_as_of(const struct logtap_source_ops *source, const char *text, struct lt_as_of *out,
                       struct lt_error *err);

/* --until: "now" (copied as is) or a checkpoint (canonical form). */
int lt_cli_parse_until(const struct logtap_source_ops *source, const char *text, char out[LT_CHECKPOINT_MAX],
                       struct lt_error *err);

#endif
