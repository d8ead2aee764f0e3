/* Log lines on stderr (see log.h), one write per line so threads do not interleave. */
#include "agent/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "agent/utf8.h"

static enum lt_log_level min_level = LT_LOG_INFO;
static enum lt_log_format log_format = LT_LOG_TEXT;
static char task_name[64];

void lt_log_set_level(enum lt_log_level level)
{
    min_level = level;
}

void lt_log_set_quiet(int q)
{
    if (q && min_level < LT_LOG_WARN)
        min_level = LT_LOG_WARN;
}

void lt_log_set_format(enum lt_log_format format)
{
    log_format = format;
}

enum lt_log_format lt_log_get_format(void)
{
    return log_format;
}

void lt_log_set_task(const char *task)
{
    snprintf(task_name, sizeof task_name, "%s", task ? task : "");
}

bool lt_log_enabled(enum lt_log_level level)
{
    return level >= min_level;
}

static const char *const level_names[] = {"debug", "info", "warn", "error"};
static const char *const level_text[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};

const char *lt_log_level_name(enum lt_log_level level)
{
    return level >= LT_LOG_DEBUG && level <= LT_LOG_ERROR ? level_names[level] : "?";
}

bool lt_log_parse_level(const char *text, enum lt_log_level *out)
{
    for (int i = LT_LOG_DEBUG; i <= LT_LOG_ERROR; i++)
        if (!strcasecmp(text, level_names[i])) {
            *out = (enum lt_log_level)i;
            return true;
        }
    if (!strcasecmp(text, "warning")) {
        *out = LT_LOG_WARN;
        return true;
    }
    return false;
}

bool lt_log_parse_format(const char *text, enum lt_log_format *out)
{
    if (!strcasecmp(text, "text") || !strcasecmp(text, "json")) {
        *out = !strcasecmp(text, "json") ? LT_LOG_JSON : LT_LOG_TEXT;
        return true;
    }
    return false;
}

size_t lt_escape_controls(const char *in, char *out, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (n == 0)
        return 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && o + 1 < n; p++) {
        if (*p >= 0x20 && *p != 0x7f) {
            out[o++] = (char)*p;
            continue;
        }
        char esc = *p == '\n' ? 'n' : *p == '\r' ? 'r' : *p == '\t' ? 't' : 0;
        size_t need = esc ? 2 : 4;
        if (o + need + 1 > n)
            break;
        out[o++] = '\\';
        if (esc) {
            out[o++] = esc;
        } else {
            out[o++] = 'x';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    out[o] = '\0';
    return o;
}

bool lt_json_append_string(char *out, size_t n, size_t *len, const char *in)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = *len;
    if (n == 0 || o + 3 > n) /* room for "" and the NUL */
        return false;
    out[o++] = '"';
    bool whole = true;
    const unsigned char *p = (const unsigned char *)in;
    while (*p) {
        char esc[8];
        size_t k = 0;
        int seq = 1;
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            esc[k++] = '\\';
            esc[k++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            char short_esc = c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : c == '\b' ? 'b' : c == '\f' ? 'f' : 0;
            esc[k++] = '\\';
            if (short_esc) {
                esc[k++] = short_esc;
            } else {
                memcpy(esc + k, "u00", 3);
                k += 3;
                esc[k++] = hex[c >> 4];
                esc[k++] = hex[c & 15];
            }
        } else if (c >= 0x80 && (seq = lt_utf8_sequence(p)) == 0) {
            /* not UTF-8: the byte's value, as text, so nothing is lost and the line stays valid JSON */
            memcpy(esc, "\\\\x", 3);
            k = 3;
            esc[k++] = hex[c >> 4];
            esc[k++] = hex[c & 15];
            seq = 1;
        } else {
            k = (size_t)seq;
            memcpy(esc, p, k);
        }
        if (o + k + 2 > n) { /* the closing quote and the NUL must fit */
            whole = false;
            break;
        }
        memcpy(out + o, esc, k);
        o += k;
        p += seq;
    }
    out[o++] = '"';
    out[o] = '\0';
    *len = o;
    return whole;
}

static size_t append_raw(char *out, size_t n, size_t o, const char *s)
{
    size_t l = strlen(s);
    if (o + l + 1 > n)
        l = o + 1 < n ? n - o - 1 : 0;
    memcpy(out + o, s, l);
    out[o + l] = '\0';
    return o + l;
}

size_t lt_log_format_line(char *out, size_t n, enum lt_log_format format, int64_t time_us, enum lt_log_level level,
                          const char *task, const char *schema, const char *table, const char *msg)
{
    if (n < 64)
        return 0;
    time_t secs = (time_t)(time_us / 1000000);
    int us = (int)(time_us % 1000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t o;
    n--; /* the newline always fits */
    if (format == LT_LOG_TEXT) {
        o = (size_t)snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %s ", tm.tm_year + 1900, tm.tm_mon + 1,
                             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us / 1000, level_text[level]);
        /* one line per message: a name or a server message holding a newline cannot forge another log line */
        o += lt_escape_controls(msg, out + o, n - o);
    } else {
        o = (size_t)snprintf(out, n, "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%06dZ\",\"level\":\"%s\"",
                             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us,
                             level_names[level]);
        /* the fields first, the message last: a message too long for the line is what gets cut */
        const char *keys[3] = {",\"task\":", ",\"schema\":", ",\"table\":"};
        const char *vals[3] = {task, schema, table};
        for (int i = 0; i < 3; i++) {
            if (!vals[i] || !vals[i][0])
                continue;
            o = append_raw(out, n, o, keys[i]);
            lt_json_append_string(out, n - 1, &o, vals[i]);
        }
        o = append_raw(out, n, o, ",\"message\":");
        lt_json_append_string(out, n - 1, &o, msg);
        o = append_raw(out, n, o, "}");
    }
    out[o++] = '\n';
    out[o] = '\0';
    return o;
}

static void log_line(enum lt_log_level level, const char *schema, const char *table, const char *fmt, va_list ap)
{
    char msg[4096], line[16384];
    vsnprintf(msg, sizeof msg, fmt, ap);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    size_t n = lt_log_format_line(line, sizeof line, log_format, (int64_t)tv.tv_sec * 1000000 + tv.tv_usec, level,
                                  task_name, schema, table, msg);
    ssize_t w = write(STDERR_FILENO, line, n);
    (void)w;
}

#define LOG_AT(level)                                                                                               \
    do {                                                                                                            \
        if (!lt_log_enabled(level))                                                                                 \
            return;                                                                                                 \
        va_list ap;                                                                                                 \
        va_start(ap, fmt);                                                                                          \
        log_line(level, NULL, NULL, fmt, ap);                                                                       \
        va_end(ap);                                                                                                 \
    } while (0)

void lt_log_debug(const char *fmt, ...)
{
    LOG_AT(LT_LOG_DEBUG);
}

void lt_log_info(const char *fmt, ...)
{
    LOG_AT(LT_LOG_INFO);
}

void lt_log_warn(const char *fmt, ...)
{
    LOG_AT(LT_LOG_WARN);
}

void lt_log_error(const char *fmt, ...)
{
    LOG_AT(LT_LOG_ERROR);
}

void lt_log_at(enum lt_log_level level, const char *fmt, ...)
{
    if (!lt_log_enabled(level))
        return;
    va_list ap;
    va_start(ap, fmt);
    log_line(level, NULL, NULL, fmt, ap);
    va_end(ap);
}

void lt_log_table(enum lt_log_level level, const char *schema, const char *table, const char *fmt, ...)
{
    if (!lt_log_enabled(level))
        return;
    va_list ap;
    va_start(ap, fmt);
    log_line(level, schema, table, fmt, ap);
    va_end(ap);
}

void lt_log_message(enum lt_log_level level, const char *fmt, ...)
{
    if (!lt_log_enabled(level))
        return;
    va_list ap;
    va_start(ap, fmt);
    if (log_format == LT_LOG_JSON) {
        log_line(level, NULL, NULL, fmt, ap);
    } else {
        char msg[4096], line[4200];
        vsnprintf(msg, sizeof msg, fmt, ap);
        size_t n = lt_escape_controls(msg, line, sizeof line - 1);
        line[n++] = '\n';
        ssize_t w = write(STDERR_FILENO, line, n);
        (void)w;
    }
    va_end(ap);
}
