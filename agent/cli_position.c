/* Command-line points (--as-of, --until): times here, positions through the source plug-in (see cli_position.h). */
#include "agent/cli_position.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "agent/utc_time.h"

/* Appends to err a note naming another engine whose source takes text (as a position, or as a checkpoint). */
static void note_other_engine(const struct logtap_source_ops *source, const char *text, bool checkpoint,
                              struct lt_error *err)
{
    for (int i = 0; lt_source_at(i); i++) {
        const struct logtap_source_ops *other = lt_source_at(i);
        if (other == source)
            continue;
        char pos[LT_POS_MAX + 1], cp[LT_CHECKPOINT_MAX];
        int rc = checkpoint ? other->checkpoint_check(text, cp, NULL) : other->position_bound(text, pos, NULL);
        if (rc == LT_OK) {
            size_t n = strlen(err->msg);
            snprintf(err->msg + n, sizeof err->msg - n, " (that is a %s position, and this task's source is %s)",
                     other->name, source->name);
            return;
        }
    }
}

/* "12:00", "12:00:00.5Z"...: a time of day without its date. */
static bool time_without_date(const char *t)
{
    int n = 0;
    while (n < 2 && t[n] >= '0' && t[n] <= '9')
        n++;
    return n > 0 && t[n] == ':' && t[n + 1] >= '0' && t[n + 1] <= '9';
}

int lt_cli_parse_as_of(const struct logtap_source_ops *source, const char *text, struct lt_as_of *out,
                       struct lt_error *err)
{
    memset(out, 0, sizeof *out);
    if (!text || !text[0])
        return lt_fail(err, LT_ERR_CONFIG, "--as-of needs a UTC time (2024-01-31T12:00:00Z) or a position");
    if (lt_utc_time_looks_like_date(text)) {
        struct lt_error terr = {0};
        if (lt_utc_time_parse(text, &out->time_us, &terr) == LT_OK) {
            if (out->time_us <= 0)
                return lt_fail(err, LT_ERR_CONFIG, "--as-of \"%s\": no change of any task is that old", text);
            return LT_OK;
        }
        out->time_us = 0;
        if (source->position_bound(text, out->pos, NULL) == LT_OK) /* a binlog file named like a date */
            return LT_OK;
        *err = terr;
        return lt_error_prefix(err, "--as-of: ");
    }
    if (source->position_bound(text, out->pos, err) == LT_OK)
        return LT_OK;
    out->pos[0] = '\0';
    if (time_without_date(text))
        return lt_fail(err, LT_ERR_CONFIG, "--as-of \"%s\" is a time without a date: give the date too, in UTC, like "
                       "2024-01-31T12:00:00Z", text);
    note_other_engine(source, text, false, err);
    size_t n = strlen(err->msg);
    snprintf(err->msg + n, sizeof err->msg - n, "; or a UTC time like 2024-01-31T12:00:00Z (a date alone is midnight "
             "UTC)");
    err->code = LT_ERR_CONFIG;
    return lt_error_prefix(err, "--as-of: ");
}

int lt_cli_parse_until(const struct logtap_source_ops *source, const char *text, char out[LT_CHECKPOINT_MAX],
                       struct lt_error *err)
{
    if (text && strcmp(text, "now") == 0) {
        snprintf(out, LT_CHECKPOINT_MAX, "now");
        return LT_OK;
    }
    if (source->checkpoint_check(text, out, err) == LT_OK)
        return LT_OK;
    if (text && text[0])
        note_other_engine(source, text, true, err);
    size_t n = strlen(err->msg);
    snprintf(err->msg + n, sizeof err->msg - n, "; or now (the source's position when replicate starts)");
    err->code = LT_ERR_CONFIG;
    return lt_error_prefix(err, "--until: ");
}
