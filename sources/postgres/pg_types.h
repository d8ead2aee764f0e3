/* PostgreSQL types to logtap's canonical types (README, "Parquet" and "Files"), by built-in type OID of the column's base
 * type (domains resolve to their base type). Everything without a canonical counterpart travels as text. */
#ifndef LOGTAP_PG_TYPES_H
#define LOGTAP_PG_TYPES_H

#include <stdint.h>

#include "agent/record.h"

/* Maps a type OID and typmod; for numeric, fills precision and scale (0/0 when unconstrained). */
enum lt_type lt_pg_canonical_type(uint32_t type_oid, int32_t typmod, int *precision, int *scale);

#endif
