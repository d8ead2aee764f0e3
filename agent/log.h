/* Logging for the top of the program: timestamped lines on stderr. Deep code returns errors instead. */
#ifndef LOGTAP_LOG_H
#define LOGTAP_LOG_H

void lt_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lt_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lt_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Quiet mode drops info lines (warnings and errors still print). */
void lt_log_set_quiet(int quiet);

#endif
