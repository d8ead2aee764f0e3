/* The proleptic Gregorian calendar as day counts since 1970-01-01: the one conversion between civil dates and
 * days that the time parser, the typed values, the binlog decoder and the Parquet writer share. Pure, no I/O. */
#ifndef LOGTAP_CALENDAR_H
#define LOGTAP_CALENDAR_H

#include <stdbool.h>
#include <stdint.h>

/* Days from 1970-01-01 to y-m-d (m in 1..12, d in 1..31; any year, negative ones too). */
int64_t lt_days_from_civil(int64_t y, int m, int d);

/* The civil date of a day count since 1970-01-01; the inverse of lt_days_from_civil. */
void lt_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

bool lt_is_leap_year(int64_t y);

/* Days in month m (1..12) of year y. */
int lt_days_in_month(int64_t y, int m);

#endif
