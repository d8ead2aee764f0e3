/* Filling and prefixing struct lt_error messages. */
#include "agent/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int lt_fail(struct lt_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

int lt_fail_errno(struct lt_error *err, int errnum, const char *fmt, ...)
{
    int code;
    switch (errnum) {
    case ENOSPC:
    case EDQUOT:
    case EROFS:
    case EACCES:
    case EPERM:
    case EMFILE:
    case ENFILE:
        code = LT_ERR_PERSISTENT;
        break;
    default:
        code = LT_ERR_RUNTIME;
    }
    if (err) {
        char what[sizeof err->msg];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        snprintf(err->msg, sizeof err->msg, "%s: %s", what, strerror(errnum));
        err->code = code;
    }
    return code;
}

int lt_error_prefix(struct lt_error *err, const char *fmt, ...)
{
    if (!err)
        return LT_ERR_RUNTIME;
    char prefix[512], old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%s%s", prefix, old);
    return err->code;
}

void lt_error_clear(struct lt_error *err)
{
    if (err) {
        err->code = LT_OK;
        err->msg[0] = '\0';
    }
}
