/* Logging for the top of the program: one line per message on stderr, as text ("<time> INFO  message") or as one
 * JSON object per line (--log-format json), filtered by level (--log-level). Deep code returns errors instead;
 * what the sources' client libraries have to say (libpq notices, MariaDB warnings) comes through here too. */
#ifndef LOGTAP_LOG_H
#define LOGTAP_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lt_log_level { LT_LOG_DEBUG, LT_LOG_INFO, LT_LOG_WARN, LT_LOG_ERROR };
enum lt_log_format { LT_LOG_TEXT, LT_LOG_JSON };

void lt_log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lt_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lt_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lt_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lt_log_at(enum lt_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line about one table: the message as it reads (it names the table itself), plus, in JSON, "schema" and
 * "table" fields. */
void lt_log_table(enum lt_log_level level, const char *schema, const char *table, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A message for the person at the terminal (usage and config errors): bare text in text mode, as today; a log line
 * in JSON mode, so that every line on stderr is JSON. */
void lt_log_message(enum lt_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Whether a level is printed (so that a caller can skip building an expensive message). */
bool lt_log_enabled(enum lt_log_level level);

/* Settings, made once at start before any thread runs. Quiet mode is level warn. */
void lt_log_set_level(enum lt_log_level level);
void lt_log_set_quiet(int quiet);
void lt_log_set_format(enum lt_log_format format);
enum lt_log_format lt_log_get_format(void);
/* The task every line names in JSON ("task" field); NULL or "" for none. */
void lt_log_set_task(const char *task);
/* "debug", "info", "warn" (or "warning"), "error" / "text", "json"; false on anything else. */
bool lt_log_parse_level(const char *text, enum lt_log_level *out);
bool lt_log_parse_format(const char *text, enum lt_log_format *out);
const char *lt_log_level_name(enum lt_log_level level);

/* Copies in to out (n bytes, NUL-terminated) with control characters escaped (\n, \r, \t, \xNN), so text from
 * the source (names, server messages) stays on one line; returns the length written. Every text log line goes
 * through it. */
size_t lt_escape_controls(const char *in, char *out, size_t n);

/* Appends the JSON string literal of in (quotes included) to out at *len, never past n - 1 bytes (a string that
 * does not fit is cut at a character boundary, still closed): quotes, backslashes and control characters are
 * escaped (\n, \r, \t, \b, \f, \u00XX, and \u007f), UTF-8 stays as it is, and a byte that is not part of valid UTF-8
 * becomes the four characters \xNN (written \\xNN), so the line is valid JSON whatever the text. Returns false when
 * it was cut. No allocation. */
bool lt_json_append_string(char *out, size_t n, size_t *len, const char *in);

/* One log line, newline included, in out (n bytes); returns its length. time_us: microseconds since 1970 (UTC);
 * task, schema, table: NULL or "" when absent. Text: "2024-01-31T12:00:00.123Z INFO  message"; JSON:
 * {"time":"2024-01-31T12:00:00.123456Z","level":"info","task":..,"schema":..,"table":..,"message":..}. No
 * allocation: the JSON formatter writes straight into out. */
size_t lt_log_format_line(char *out, size_t n, enum lt_log_format format, int64_t time_us, enum lt_log_level level,
                          const char *task, const char *schema, const char *table, const char *msg);

#endif
