/* "Did you mean ...?" for config errors: the valid name closest to a misspelt one (case-insensitive edit
 * distance), so "CdcInsertOnly" points at "CdcInsertsOnly". */
#ifndef LOGTAP_DID_YOU_MEAN_H
#define LOGTAP_DID_YOU_MEAN_H

#include <stddef.h>

/* The candidate closest to word (NULL-terminated list), or NULL when none is close enough to be a likely typo:
 * an edit distance of at most 1 + strlen(word) / 4, ties going to the first candidate. */
const char *lt_closest_name(const char *word, const char *const *candidates);

/* Writes "; did you mean X?" to out when a close candidate exists, else an empty string. */
void lt_did_you_mean(const char *word, const char *const *candidates, char *out, size_t outlen);

#endif
