/* The closest valid name to a misspelt one (see did_you_mean.h): Levenshtein distance on lower-cased bytes. */
#include "agent/did_you_mean.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define NAME_MAX_LEN 64

static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > NAME_MAX_LEN || lb > NAME_MAX_LEN)
        return (size_t)-1;
    size_t row[NAME_MAX_LEN + 1];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]) ? 0 : 1;
            size_t best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *lt_closest_name(const char *word, const char *const *candidates)
{
    size_t limit = 1 + strlen(word) / 4, best = (size_t)-1;
    const char *found = NULL;
    for (int i = 0; candidates[i]; i++) {
        size_t d = distance(word, candidates[i]);
        if (d <= limit && d < best) {
            best = d;
            found = candidates[i];
        }
    }
    return found;
}

void lt_did_you_mean(const char *word, const char *const *candidates, char *out, size_t outlen)
{
    const char *c = lt_closest_name(word, candidates);
    if (c)
        snprintf(out, outlen, "; did you mean %s?", c);
    else if (outlen)
        out[0] = '\0';
}
