/* The `_logtap_unchanged` column: the names of a change's columns whose value the source did not send (unchanged
 * TOAST values, columns outside a key tuple), comma-separated. A name holding a comma, starting with a double
 * quote, or empty is written in double quotes with its quotes doubled (as RFC 4180 quotes a field),
 * so every list reads back to exactly its names; ordinary names are written as they are. */
#ifndef LOGTAP_UNCHANGED_LIST_H
#define LOGTAP_UNCHANGED_LIST_H

#include <stdbool.h>
#include <stddef.h>

/* Writes one name's item (preceded by a comma unless first) at out, or only measures it when out is NULL;
 * returns its length in bytes. */
size_t lt_unchanged_item(char *out, const char *name, bool first);

/* Reads the next name of the list [*p, end) into name (cap bytes, NUL-terminated; a list's names are never
 * longer than the list) and moves *p past it. Returns 1 with a name, 0 at the end, -1 when the list is malformed
 * (an unterminated quote, text after a closing quote). */
int lt_unchanged_next(const char **p, const char *end, char *name, size_t cap, size_t *len);

#endif
