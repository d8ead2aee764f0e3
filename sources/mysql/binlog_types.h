/* MySQL/MariaDB column values as they sit in a row event, turned into logtap's canonical text (README, "MySQL / MariaDB source").
 *
 * A row image stores each present, non-NULL column back to back in the column's binary "pack" format; nothing
 * says how long a value is, so the type code and the per-column metadata from the TABLE_MAP event decide:
 *
 *   type (code)              metadata (from the table map)        value bytes in the row image
 *   TINY(1) SHORT(2)         -                                    1 / 2 / 3 / 4 / 8 bytes little-endian integer
 *   INT24(9) LONG(3) LONGLONG(8)
 *   FLOAT(4) DOUBLE(5)       pack length (4 / 8)                  IEEE 754 little-endian
 *   NEWDECIMAL(246)          precision << 8 | scale               MySQL binary decimal (9 digits per 4 bytes, BE,
 *                                                                 sign bit flipped, negative = all bytes inverted)
 *   YEAR(13)                 -                                    1 byte, year - 1900 (0 = year 0000)
 *   DATE(10) NEWDATE(14)     -                                    3 bytes LE: day 5 bits, month 4, year 15
 *   TIME(11)                 -                                    3 bytes LE signed, [-]HHMMSS as a decimal number
 *   DATETIME(12)             -                                    8 bytes LE, YYYYMMDDHHMMSS as a decimal number
 *   TIMESTAMP(7)             -                                    4 bytes LE seconds since the epoch (UTC)
 *   TIMESTAMP2(17)           fsp                                  4 bytes BE seconds + (fsp+1)/2 bytes BE fraction
 *   DATETIME2(18)            fsp                                  5 bytes BE packed (sign 1, year*13+month 17, day 5,
 *                                                                 hour 5, minute 6, second 6) + fraction
 *   TIME2(19)                fsp                                  3 bytes BE packed (sign 1, unused 1, hour 10,
 *                                                                 minute 6, second 6), offset 0x800000, + fraction
 *   BIT(16)                  number of bits (wire: bits%8, bytes) ceil(bits / 8) bytes big-endian
 *   VARCHAR(15) VAR_STRING(253) max length in bytes               1-byte length if max < 256 else 2-byte, then bytes
 *   STRING(254)              max length in bytes, or ENUM/SET     CHAR: 1 or 2 byte length + bytes; ENUM: 1-2 byte
 *                            pack length (wire: real type byte    index; SET: 1-8 byte bitmask (real type 247/248)
 *                            with length bits 8-9 folded in, then
 *                            length low byte)
 *   ENUM(247) SET(248)       pack length                          as above
 *   BLOB(252) GEOMETRY(255)  length-prefix size (1-4)             LE length, then bytes
 *   JSON(245)                length-prefix size (1-4)             LE length, then MySQL binary JSON (mysql_json.h)
 *
 * Canonical text: integers and DECIMAL as plain digits; FLOAT/DOUBLE as the shortest text that reads back to the
 * same value; DATE YYYY-MM-DD; DATETIME YYYY-MM-DD HH:MM:SS[.f...] (fsp digits); TIMESTAMP in UTC with "+00:00";
 * TIME [-]HH:MM:SS[.f...] (hours may have 3 digits); YEAR as 4 digits (year 0 as "0000", what the server's SELECT
 * shows; mariadb-binlog/mysqlbinlog print the stored byte + 1900, i.e. "1900", for it: checked); BIT as an
 * unsigned integer; ENUM as its label and SET as labels joined by commas (numbers when the labels are unknown);
 * character strings as UTF-8 (latin1 converted); binary strings, BLOB and GEOMETRY as \x + lowercase hex.
 * Zero and partly-zero dates (0000-00-00, 2024-00-10, TIMESTAMP 0) have no canonical form, nor have the year 0000 and
 * the days past a month's end that ALLOW_INVALID_DATES stores (2024-02-30): they become NULL and the decoder raises
 * LT_BINLOG_NOTE_ZERO_DATE so the caller can log it. BINARY(n) values are stored without their
 * trailing zero bytes and are padded back to n (what SELECT returns).
 *
 * What the table map alone cannot tell (servers without optional metadata: MySQL < 8.0, MariaDB < 10.5, or
 * binlog_row_metadata=NO_LOG, MariaDB's default) must come from the caller (information_schema): signedness
 * (numbers read as signed otherwise), charsets (text passed through byte for byte otherwise, so a BLOB reads as
 * text), ENUM/SET labels (numbers otherwise). Character sets other than latin1, ASCII, UTF-8 and binary (ucs2,
 * utf16, gbk, ...) are passed through unconverted. MariaDB's pre-10.1 microsecond temporal columns
 * (mysql56_temporal_format=OFF) are logged as TIME/DATETIME/TIMESTAMP with a wider value and no metadata, so they
 * cannot be told apart here and decode wrongly: the caller must refuse such columns. */
#ifndef LOGTAP_BINLOG_TYPES_H
#define LOGTAP_BINLOG_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/error.h"
#include "agent/record.h"
#include "sources/mysql/mysql_bytes.h"
#include "sources/mysql/mysql_text.h"
#include "sources/mysql/mysql_type_codes.h"


/* Collation id 63: the "binary" character set (bytes, not text). */
#define LT_MYSQL_CHARSET_BINARY 63

/* One column as the table map describes it, plus what the optional metadata (or the caller) adds. Strings point
 * into the owning table map's memory, or into caller memory that must outlive the table map when the caller
 * fills them in itself (e.g. from information_schema, for servers that send no optional metadata). */
struct lt_binlog_column {
    uint8_t type;         /* real type: for STRING the metadata's real type (STRING, ENUM or SET) */
    uint8_t wire_type;    /* the type byte exactly as in the table map */
    uint16_t meta;        /* decoded metadata (see the table above); for STRING: max length in bytes */
    bool nullable;
    bool is_unsigned;     /* from SIGNEDNESS metadata; without it numbers are read as signed */
    uint16_t charset;     /* collation id from the charset metadata; 0 = unknown (text is passed through) */
    const char *name;     /* NULL when the table map carries no column names */
    uint16_t name_len;
    uint32_t nlabels;     /* ENUM/SET labels (NULL/0 when unknown: values are written as numbers) */
    const char *const *labels;
    const uint16_t *label_lens;
    uint8_t geometry_type;/* from GEOMETRY_TYPE metadata: 0 GEOMETRY, 1 POINT, ... */
    bool is_key;          /* listed in the primary-key metadata */
    uint16_t key_part;    /* its 1-based position in the primary key (0 = not a key column) */
    uint32_t key_prefix;  /* prefix length of a key part, 0 = whole column */
};


/* True when a date has canonical text: year 1-9999, month 1-12, day 1 to the month's last (proleptic Gregorian).
 * The dates MySQL stores without one (see the top of this file) become NULL, in the binlog and in the full load. */
bool lt_mysql_date_is_canonical(unsigned year, unsigned month, unsigned day);

/* The server's name for a type code ("INT", "VARCHAR", ...), for messages. */
const char *lt_mysql_type_name(uint8_t type);

/* Decodes the 0-2 metadata bytes of a column of wire type `type` at p; *used is how many bytes it took.
 * Fills col->type, col->wire_type and col->meta. Fails on an unknown type or when n is too short. */
int lt_binlog_column_read_meta(struct lt_binlog_column *col, uint8_t type, const uint8_t *p, size_t n, size_t *used,
                               struct lt_error *err);

/* True for the types the SIGNEDNESS metadata has a bit for (integers, DECIMAL, FLOAT, DOUBLE). */
bool lt_mysql_type_is_numeric(uint8_t type);
/* True for the types the (column) charset metadata covers: CHAR, VARCHAR, TEXT/BLOB and GEOMETRY (real type, so
 * not ENUM/SET; GEOMETRY counts, as mariadb-binlog --print-table-metadata confirms). */
bool lt_mysql_type_is_character(uint8_t type);

/* Canonical type (agent/record.h) of a column; precision/scale are set for DECIMAL, else 0. */
enum lt_type lt_binlog_column_canonical_type(const struct lt_binlog_column *col, int *precision, int *scale);

/* The column's type as MySQL names it (COLUMN_TYPE style: "int unsigned", "decimal(10,4)", "datetime(6)",
 * "varchar(300)" - lengths in characters when the charset is known, else in bytes -, "mediumtext", "point"). */
void lt_binlog_column_source_type(const struct lt_binlog_column *col, char *out, size_t size);

/* Size in bytes of one non-NULL value of col at p (n bytes available); fails when it would run past n. */
int lt_binlog_value_size(const struct lt_binlog_column *col, const uint8_t *p, size_t n, size_t *size,
                         struct lt_error *err);

/* Appends the canonical text of the value at p (exactly `size` bytes as lt_binlog_value_size said) to s.
 * *is_null is set when the value has no canonical form and must be written as NULL (zero dates: *notes gets
 * LT_BINLOG_NOTE_ZERO_DATE). */
int lt_binlog_value_to_text(const struct lt_binlog_column *col, const uint8_t *p, size_t size,
                            struct lt_my_scratch *s, bool *is_null, unsigned *notes, struct lt_error *err);

/* True for the latin1 collations (MySQL's latin1 is Windows-1252). */
bool lt_mysql_charset_is_latin1(unsigned collation_id);
/* Converts latin1 bytes to UTF-8 into out (room for 3 * n bytes); returns the UTF-8 length. */
size_t lt_binlog_latin1_to_utf8_buf(const uint8_t *p, size_t n, char *out);

/* Reads a length-encoded ("packed") integer: < 251 one byte; 252 + 2 bytes; 253 + 3; 254 + 8. Returns false when
 * truncated or the first byte is 251 (NULL marker) / 255. */
bool lt_binlog_read_packed(const uint8_t *p, size_t n, uint64_t *v, size_t *used);

#endif
