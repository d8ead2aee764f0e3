/* MySQL 5.7+/8.0 binary JSON (column type JSON, 245, in row events) to JSON text.
 *
 * Layout (all integers little-endian; "small" forms use 2-byte offsets/counts, "large" forms 4-byte):
 *   document   := type:1 value
 *   type       := 0x00 small object | 0x01 large object | 0x02 small array | 0x03 large array | 0x04 literal
 *                 | 0x05 int16 | 0x06 uint16 | 0x07 int32 | 0x08 uint32 | 0x09 int64 | 0x0a uint64
 *                 | 0x0b double | 0x0c string | 0x0f opaque
 *   object     := count size key-entry{count} value-entry{count} keys... values...
 *   array      := count size value-entry{count} values...
 *   key-entry  := offset(2|4) length(2)               offsets are from the start of the object/array (after its
 *   value-entry:= type:1 offset-or-inline(2|4)         type byte); literals, int16 and uint16 (and, in large
 *                                                      containers, int32 and uint32) are stored inline
 *   literal    := 0x00 null | 0x01 true | 0x02 false
 *   string     := length (7 bits a byte, low group first, high bit = more) bytes
 *   opaque     := field-type:1 length (as for string) bytes; DATE/TIME/DATETIME/TIMESTAMP hold an 8-byte packed
 *                 temporal value, NEWDECIMAL holds precision:1 scale:1 + binary decimal; any other field type is
 *                 written like MySQL does, as the string "base64:typeNN:<base64 of the bytes>".
 *
 * Text follows MySQL's own rendering: `{"k": v, "k2": [1, 2]}` (", " and ": " separators), doubles as the
 * shortest round-trip text, temporal values as quoted strings with 6 fraction digits. A zero date inside a
 * document becomes JSON null and raises LT_BINLOG_NOTE_ZERO_DATE. An empty value (length 0, what MySQL writes for
 * a JSON NULL that is not SQL NULL in some versions) is written as `null`. Nesting is limited (LT_MYSQL_JSON_MAX_DEPTH)
 * so hostile input cannot exhaust the stack. */
#ifndef LOGTAP_MYSQL_JSON_H
#define LOGTAP_MYSQL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/error.h"
#include "sources/mysql/mysql_text.h"

#define LT_MYSQL_JSON_MAX_DEPTH 100

/* Appends the JSON text of the binary document (n bytes at p) to s; *notes gets LT_BINLOG_NOTE_* bits. */
int lt_mysql_json_to_text(const uint8_t *p, size_t n, struct lt_my_scratch *s, unsigned *notes,
                          struct lt_error *err);

#endif
