/* Times on the command line and in `status`: a strict parser of ISO 8601 / RFC 3339 date-times (an offset is
 * converted to UTC; none means UTC, the zone of every time logtap writes) and the one form logtap prints times in,
 * RFC 3339 UTC with microseconds ("2024-01-31T12:00:00.123456Z"). */
#ifndef LOGTAP_UTC_TIME_H
#define LOGTAP_UTC_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/error.h"

#define LT_UTC_TIME_MAX 32

/* Parses "YYYY-MM-DD" (midnight UTC) or "YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]]" followed by nothing (UTC), "Z",
 * or an offset "+HH", "+HHMM", "+HH:MM" (or "-..."), into microseconds since 1970-01-01 UTC (a fraction finer
 * than a microsecond is cut: every change logtap keeps has a whole microsecond as its time). Anything else,
 * impossible dates and times included, is LT_ERR_CONFIG with a message saying what is wrong. */
int lt_utc_time_parse(const char *text, int64_t *us, struct lt_error *err);

/* The time column of logtap's files and PostgreSQL's timestamptz text in a UTC session: "YYYY-MM-DD
 * HH:MM:SS[.ffffff]" (UTC; digits after the sixth of the fraction and whatever follows, such as "+00", are ignored)
 * of len bytes to microseconds since 1970; false when it does not start like that. Lenient where lt_utc_time_parse
 * is strict: it reads what logtap and the database wrote, not what a user typed. */
bool lt_utc_time_parse_column(const char *s, size_t len, int64_t *us);

/* Whether text starts like a date ("YYYY-MM-DD..."), so that it is meant as a time, not as a position. */
bool lt_utc_time_looks_like_date(const char *text);

/* "2024-01-31T12:00:00.123456Z" */
void lt_utc_time_format(int64_t us, char out[LT_UTC_TIME_MAX]);

#endif
