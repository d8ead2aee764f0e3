/* The one memory policy: allocation failure is not handled, it stops the process with a message (as redis does).
 * Every crash is safe - the state store and the files' temp-and-rename make a run that stops anywhere resume where
 * it was durable - so an "out of memory" branch in every caller would only be untested code. */
#ifndef LOGTAP_XMALLOC_H
#define LOGTAP_XMALLOC_H

#include <stddef.h>

/* Like malloc, calloc, realloc, strdup and strndup, but never NULL: on failure they print one line to stderr and
 * abort(). A size of 0 gives a valid (freeable) pointer. */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
