/* Logging for the top of the program: timestamped lines on stderr. Deep code returns errors instead. */
#ifndef LOGTAP_LOG_H
#define LOGTAP_LOG_H

#include <stddef.h>

void lt_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lt_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lt_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Copies in to out (n bytes, NUL-terminated) with control characters escaped (\n, \r, \t, \xNN), so text from
 * the source (names, server messages) stays on one line; returns the length written. Every log line goes through
 * it. */
size_t lt_escape_controls(const char *in, char *out, size_t n);

/* Quiet mode drops info lines (warnings and errors still print). */
void lt_log_set_quiet(int quiet);

#endif
