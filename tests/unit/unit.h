/* A tiny unit-test harness: CHECK-style assertions that count and report instead of aborting, helpers for
 * temp dirs and for the shared datasets (tests skip, saying so, when ../shared is absent). */
#ifndef LOGTAP_UNIT_H
#define LOGTAP_UNIT_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

extern int unit_passed, unit_failed;

#define CHECK(cond) unit_check((cond), #cond, __FILE__, __LINE__)
#define CHECK_INT(a, b) unit_check_int((long long)(a), (long long)(b), #a, __FILE__, __LINE__)
#define CHECK_STR(a, b) unit_check_str((a), (b), #a, __FILE__, __LINE__)
#define CHECK_MEM(a, alen, b, blen) unit_check_mem((a), (alen), (b), (blen), #a, __FILE__, __LINE__)

bool unit_check(bool ok, const char *expr, const char *file, int line);
bool unit_check_int(long long a, long long b, const char *expr, const char *file, int line);
bool unit_check_str(const char *a, const char *b, const char *expr, const char *file, int line);
bool unit_check_mem(const void *a, size_t alen, const void *b, size_t blen, const char *expr, const char *file,
                    int line);

/* Runs one test function, printing its name. */
#define RUN(fn) unit_run(#fn, fn)
void unit_run(const char *name, void (*fn)(void));

/* Prints "N passed, N failed" and returns the process exit code: 1 on a failure, else 77 (skipped) when a
 * dataset the test needs was absent, else 0. */
int unit_report(void);

/* A fresh empty directory for this test (under LOGTAP_TEST_TMP or /tmp); the caller must not free it. */
const char *unit_tmpdir(const char *name);

/* The path of a file under ../shared/datasets, or NULL (after printing a skip note) when it is absent. */
const char *unit_dataset(const char *relpath);

/* Reads a whole file into a malloc'd buffer; returns NULL on failure. */
unsigned char *unit_read_file(const char *path, size_t *len);

#endif
