/* Errors are values: a function that can fail fills a struct lt_error and returns its code; the caller decides
 * whether to print it. Codes double as process exit codes (0 ok, 1 runtime failure, 2 usage/config error). */
#ifndef LOGTAP_ERROR_H
#define LOGTAP_ERROR_H

enum lt_status {
    LT_OK = 0,
    LT_ERR_RUNTIME = 1,
    LT_ERR_CONFIG = 2,
    LT_ERR_FATAL = 3,   /* a runtime failure that retrying cannot fix (exits 1, like LT_ERR_RUNTIME) */
    LT_ERR_PERSISTENT = 4, /* a runtime failure that retrying will not fix by itself soon: no space, a read-only or
                            * forbidden path, too many open files, a password or privilege the server refuses;
                            * a running task tries a few times, then ends (exits 1) */
};

struct lt_error {
    int code;
    char msg[1024];
};

/* Sets err (when not NULL) and returns code, so a failing path can `return lt_fail(err, ...)`. */
int lt_fail(struct lt_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* lt_fail for a failed system call: the message gets ": " and strerror(errnum) appended, and the code is
 * LT_ERR_PERSISTENT for the errors an operator must fix (ENOSPC, EDQUOT, EROFS, EACCES, EPERM, EMFILE, ENFILE),
 * LT_ERR_RUNTIME otherwise. */
int lt_fail_errno(struct lt_error *err, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Whether an error's code means a failure at run time (exit 1), of any kind. */
static inline int lt_exit_code(int code)
{
    return code == LT_ERR_FATAL || code == LT_ERR_PERSISTENT ? LT_ERR_RUNTIME : code;
}

/* Prefixes the message already in err with more context ("loading public.t: " + old message). */
int lt_error_prefix(struct lt_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void lt_error_clear(struct lt_error *err);

#endif
