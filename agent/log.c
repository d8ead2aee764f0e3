/* Timestamped log lines on stderr, one write per line so threads do not interleave. */
#include "agent/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int quiet;

void lt_log_set_quiet(int q)
{
    quiet = q;
}

static void log_line(const char *level, const char *fmt, va_list ap)
{
    char line[4096];
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %s ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000), level);
    n += vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    if (n > (int)sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    (void)w;
}

void lt_log_info(const char *fmt, ...)
{
    if (quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_line("INFO ", fmt, ap);
    va_end(ap);
}

void lt_log_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_line("WARN ", fmt, ap);
    va_end(ap);
}

void lt_log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_line("ERROR", fmt, ap);
    va_end(ap);
}
