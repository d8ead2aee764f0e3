/* PostgreSQL built-in type OIDs (from pg_type.dat; stable across versions) mapped to canonical types. */
#include "sources/postgres/pg_types.h"

enum {
    PG_BOOL = 16, PG_BYTEA = 17, PG_NAME = 19, PG_INT8 = 20, PG_INT2 = 21, PG_INT4 = 23, PG_TEXT = 25,
    PG_JSON = 114, PG_FLOAT4 = 700, PG_FLOAT8 = 701, PG_BPCHAR = 1042, PG_VARCHAR = 1043, PG_DATE = 1082,
    PG_TIME = 1083, PG_TIMESTAMP = 1114, PG_TIMESTAMPTZ = 1184, PG_NUMERIC = 1700, PG_UUID = 2950,
    PG_JSONB = 3802,
};

enum lt_type lt_pg_canonical_type(uint32_t type_oid, int32_t typmod, int *precision, int *scale)
{
    *precision = 0;
    *scale = 0;
    switch (type_oid) {
    case PG_BOOL: return LT_TYPE_BOOL;
    case PG_INT2: return LT_TYPE_INT16;
    case PG_INT4: return LT_TYPE_INT32;
    case PG_INT8: return LT_TYPE_INT64;
    case PG_FLOAT4: return LT_TYPE_FLOAT32;
    case PG_FLOAT8: return LT_TYPE_FLOAT64;
    case PG_NUMERIC:
        /* typmod = ((precision << 16) | scale) + VARHDRSZ; -1 when unconstrained */
        if (typmod >= 4) {
            *precision = ((typmod - 4) >> 16) & 0xffff;
            *scale = (typmod - 4) & 0x7ff;
            if (*scale > *precision) { /* negative-scale numerics (PG15) travel as text */
                *precision = *scale = 0;
            }
        }
        return LT_TYPE_DECIMAL;
    case PG_TEXT: case PG_VARCHAR: case PG_BPCHAR: case PG_NAME: return LT_TYPE_TEXT;
    case PG_BYTEA: return LT_TYPE_BYTES;
    case PG_DATE: return LT_TYPE_DATE;
    case PG_TIME: return LT_TYPE_TIME;
    case PG_TIMESTAMP: return LT_TYPE_TIMESTAMP;
    case PG_TIMESTAMPTZ: return LT_TYPE_TIMESTAMPTZ;
    case PG_JSON: case PG_JSONB: return LT_TYPE_JSON;
    case PG_UUID: return LT_TYPE_UUID;
    default: return LT_TYPE_TEXT;
    }
}
