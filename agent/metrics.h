/* Prometheus text exposition format (version 0.0.4), built in memory and written atomically to a file, for
 * node_exporter's textfile collector: the text goes to a temp file in the same folder (its name does not end in
 * .prom, so the collector never reads it half written), which is then renamed over the file. Label values and help
 * texts are escaped as the format says (backslash, double quote in label values, line feed); a byte that is not
 * UTF-8 becomes U+FFFD, which the format requires. */
#ifndef LOGTAP_METRICS_H
#define LOGTAP_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/error.h"

struct lt_metrics;

/* An empty exposition; NULL when out of memory. */
struct lt_metrics *lt_metrics_new(void);
void lt_metrics_free(struct lt_metrics *m);
/* Empties it for the next round (keeps its memory). */
void lt_metrics_reset(struct lt_metrics *m);

/* Starts a metric family: its # HELP and # TYPE lines. type: "counter", "gauge" or "untyped". Every sample of the
 * family must follow before the next family starts (the format wants a family's samples together). */
void lt_metrics_family(struct lt_metrics *m, const char *name, const char *type, const char *help);
/* A sample of the current family: labels as name/value pairs ending with NULL (NULL or {NULL} for none); a pair
 * whose value is NULL is left out. Values print as integers when they are whole, NaN and +Inf/-Inf as the format
 * spells them. */
void lt_metrics_sample(struct lt_metrics *m, const char *name, const char *const *labels, double value);

/* The text so far (NUL-terminated); NULL when memory ran out while building it. */
const char *lt_metrics_text(const struct lt_metrics *m, size_t *len);

/* Writes the text to path atomically (temp file beside it, then rename; no fsync: the file is re-written often and
 * a crash loses nothing that matters). LT_ERR_RUNTIME (or LT_ERR_PERSISTENT for permissions, a full disk) with
 * the path and the reason. */
int lt_metrics_write_file(const struct lt_metrics *m, const char *path, struct lt_error *err);

/* Appends the escaped label value (or help text, when help is true: quotes stay) of in to out, at most n bytes
 * with the NUL; returns the length it needs (as snprintf does). */
size_t lt_metrics_escape(const char *in, bool help, char *out, size_t n);

#endif
