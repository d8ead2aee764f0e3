/* MySQL/MariaDB column type codes and the notes value decoders raise, shared by the binlog row decoder, the
 * binary JSON decoder and the full load. */
#ifndef LOGTAP_MYSQL_TYPE_CODES_H
#define LOGTAP_MYSQL_TYPE_CODES_H

/* Column type codes as they appear in TABLE_MAP events (the server's enum_field_types). */
enum lt_mysql_type {
    LT_MYSQL_TYPE_DECIMAL = 0,
    LT_MYSQL_TYPE_TINY = 1,
    LT_MYSQL_TYPE_SHORT = 2,
    LT_MYSQL_TYPE_LONG = 3,
    LT_MYSQL_TYPE_FLOAT = 4,
    LT_MYSQL_TYPE_DOUBLE = 5,
    LT_MYSQL_TYPE_NULL = 6,
    LT_MYSQL_TYPE_TIMESTAMP = 7,
    LT_MYSQL_TYPE_LONGLONG = 8,
    LT_MYSQL_TYPE_INT24 = 9,
    LT_MYSQL_TYPE_DATE = 10,
    LT_MYSQL_TYPE_TIME = 11,
    LT_MYSQL_TYPE_DATETIME = 12,
    LT_MYSQL_TYPE_YEAR = 13,
    LT_MYSQL_TYPE_NEWDATE = 14,
    LT_MYSQL_TYPE_VARCHAR = 15,
    LT_MYSQL_TYPE_BIT = 16,
    LT_MYSQL_TYPE_TIMESTAMP2 = 17,
    LT_MYSQL_TYPE_DATETIME2 = 18,
    LT_MYSQL_TYPE_TIME2 = 19,
    LT_MYSQL_TYPE_JSON = 245,
    LT_MYSQL_TYPE_NEWDECIMAL = 246,
    LT_MYSQL_TYPE_ENUM = 247,
    LT_MYSQL_TYPE_SET = 248,
    LT_MYSQL_TYPE_TINY_BLOB = 249,
    LT_MYSQL_TYPE_MEDIUM_BLOB = 250,
    LT_MYSQL_TYPE_LONG_BLOB = 251,
    LT_MYSQL_TYPE_BLOB = 252,
    LT_MYSQL_TYPE_VAR_STRING = 253,
    LT_MYSQL_TYPE_STRING = 254,
    LT_MYSQL_TYPE_GEOMETRY = 255,
};

/* Notes a decoder raises (bit flags) about values it had to change. */
#define LT_BINLOG_NOTE_ZERO_DATE 1u   /* a zero / partly-zero DATE, DATETIME or TIMESTAMP was written as NULL */

#endif
