/* The unit-test harness behind unit.h. */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int unit_passed, unit_failed;

bool unit_check(bool ok, const char *expr, const char *file, int line)
{
    if (ok) {
        unit_passed++;
    } else {
        unit_failed++;
        fprintf(stderr, "%s:%d: check failed: %s\n", file, line, expr);
    }
    return ok;
}

bool unit_check_int(long long a, long long b, const char *expr, const char *file, int line)
{
    if (a == b)
        return unit_check(true, expr, file, line);
    unit_failed++;
    fprintf(stderr, "%s:%d: %s is %lld, expected %lld\n", file, line, expr, a, b);
    return false;
}

bool unit_check_str(const char *a, const char *b, const char *expr, const char *file, int line)
{
    if (a && b && strcmp(a, b) == 0)
        return unit_check(true, expr, file, line);
    unit_failed++;
    fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", file, line, expr, a ? a : "(null)",
            b ? b : "(null)");
    return false;
}

bool unit_check_mem(const void *a, size_t alen, const void *b, size_t blen, const char *expr, const char *file,
                    int line)
{
    if (alen == blen && (alen == 0 || memcmp(a, b, alen) == 0))
        return unit_check(true, expr, file, line);
    unit_failed++;
    fprintf(stderr, "%s:%d: %s: %zu bytes \"%.*s\", expected %zu bytes \"%.*s\"\n", file, line, expr, alen,
            (int)alen, (const char *)a, blen, (int)blen, (const char *)b);
    return false;
}

void unit_run(const char *name, void (*fn)(void))
{
    int before = unit_failed;
    fn();
    printf("%-50s %s\n", name, unit_failed == before ? "ok" : "FAILED");
    fflush(stdout);
}

static int datasets_missing;

int unit_report(void)
{
    printf("%d passed, %d failed\n", unit_passed, unit_failed);
    if (unit_failed)
        return 1;
    if (datasets_missing) {
        /* what this test is for was not checked: say so (ctest's SKIP_RETURN_CODE), never pass on nothing */
        printf("skipped: %d dataset%s of ../shared absent\n", datasets_missing, datasets_missing > 1 ? "s" : "");
        return 77;
    }
    return 0;
}

static void remove_tree(const char *path)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", path);
}

const char *unit_tmpdir(const char *name)
{
    static char paths[16][4096];
    static int next;
    const char *base = getenv("LOGTAP_TEST_TMP");
    char *out = paths[next++ % 16];
    snprintf(out, 4096, "%s/%s.%d", base && *base ? base : "/tmp", name, (int)getpid());
    if (base && *base)
        mkdir(base, 0755);
    remove_tree(out);
    if (mkdir(out, 0755) != 0 && errno != EEXIST) {
        perror(out);
        exit(1);
    }
    return out;
}

const char *unit_dataset(const char *relpath)
{
    static char paths[16][4096];
    static int next;
    const char *shared = getenv("LOGTAP_SHARED");
    char *out = paths[next++ % 16];
    snprintf(out, 4096, "%s/datasets/%s", shared && *shared ? shared : "../shared", relpath);
    if (access(out, R_OK) != 0) {
        printf("skip: %s is absent (the shared datasets are not beside this checkout)\n", out);
        datasets_missing++;
        return NULL;
    }
    return out;
}

unsigned char *unit_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            unsigned char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
            } else {
                buf = nb;
            }
        }
    }
    fclose(f);
    if (buf)
        *len = n;
    return buf;
}
