/* DMS's date partitions of CDC files (DatePartitionEnabled, DatePartitionSequence, DatePartitionDelimiter,
 * DatePartitionTimezone): the folder of a commit time, e.g. "2024/01/31" (YYYYMMDD, SLASH) or "31-01-2024"
 * (DDMMYYYY, DASH), and the wall-clock time in the zone that names the CDC files.
 *
 * Time zones come from the C library's tz database (/usr/share/zoneinfo, or TZDIR): the zone is set as the
 * process's TZ once, by lt_zone_activate before any thread starts, and read with localtime_r after that. A process
 * runs one task, so one zone. Names that are not a zone file are refused (glibc would silently use UTC). */
#ifndef LOGTAP_DATE_PARTITION_H
#define LOGTAP_DATE_PARTITION_H

#include <stddef.h>
#include <stdint.h>

#include "agent/config.h"
#include "agent/error.h"

/* LT_ERR_CONFIG unless zone names a time zone of the tz database ("UTC", "Europe/Paris", "America/New_York"...):
 * letters, digits, "_", "-", "+" and "/" between names, no "." component, and a TZif file for it. */
int lt_zone_check(const char *zone, struct lt_error *err);

/* Makes zone (NULL or "UTC": none) the one lt_zone_wall_ms uses. Call before starting threads: it sets TZ. */
int lt_zone_activate(const char *zone, struct lt_error *err);

/* The wall-clock time in zone at the instant utc_ms, as milliseconds since 1970 read as if it were UTC (so
 * gmtime_r of it gives the local fields). zone NULL: utc_ms. The zone must be the activated one. */
int lt_zone_wall_ms(const char *zone, int64_t utc_ms, int64_t *wall_ms, struct lt_error *err);

/* The partition folder of a wall-clock time (from lt_zone_wall_ms), for the config's sequence and delimiter,
 * e.g. "2024/01/31/09"; out needs 32 bytes. */
void lt_date_partition_folder(enum lt_date_sequence seq, enum lt_date_delimiter delim, int64_t wall_ms, char *out,
                              size_t outlen);

/* The zone a config's CDC file names and partitions use: its DatePartitionTimezone when DatePartitionEnabled,
 * else NULL (UTC). */
const char *lt_date_partition_zone(const struct lt_target_config *t);

#endif
