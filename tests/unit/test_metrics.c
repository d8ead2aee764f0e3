/* The Prometheus text exposition writer (agent/metrics.c): families and samples in the format's grammar, label
 * values and help texts escaped (backslash, double quote, line feed; bytes that are not UTF-8 replaced), numbers in
 * the format's spelling, and the file replaced atomically (a temp file beside it, then rename). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/metrics.h"
#include "unit.h"

static void test_escape(void)
{
    char out[64];
    CHECK_INT((int)lt_metrics_escape("a\\b\"c\nd", false, out, sizeof out), 10);
    CHECK_STR(out, "a\\\\b\\\"c\\nd");
    /* help text: quotes stay */
    lt_metrics_escape("say \"hi\"\\\n", true, out, sizeof out);
    CHECK_STR(out, "say \"hi\"\\\\\\n");
    /* UTF-8 stays, anything else becomes U+FFFD */
    lt_metrics_escape("é☃ \xff\xc3(", false, out, sizeof out);
    CHECK_STR(out, "é☃ \xef\xbf\xbd\xef\xbf\xbd(");
    /* the length needed, whatever the room */
    char small[4];
    CHECK_INT((int)lt_metrics_escape("\"\"\"", false, small, sizeof small), 6);
    CHECK_STR(small, "\\\"");  /* never half an escape */
    CHECK_INT((int)lt_metrics_escape("abc", false, NULL, 0), 3);
}

static void test_exposition(void)
{
    struct lt_metrics *m = lt_metrics_new();
    lt_metrics_family(m, "logtap_rows_total", "counter", "Rows \\ per table\nand op");
    const char *l1[] = {"task", "shop", "schema", "pub\"lic", "table", "we\\ird\nname", "op", "insert", NULL};
    lt_metrics_sample(m, "logtap_rows_total", l1, 42);
    const char *l2[] = {"task", "shop", "skipped", NULL, "op", "delete", NULL};
    lt_metrics_sample(m, "logtap_rows_total", l2, 0);
    lt_metrics_family(m, "logtap_lag_seconds", "gauge", "Lag");
    lt_metrics_sample(m, "logtap_lag_seconds", NULL, 0.25);
    const char *none[] = {NULL};
    lt_metrics_sample(m, "logtap_lag_seconds", none, 1e300);
    lt_metrics_sample(m, "logtap_lag_seconds", none, NAN);
    lt_metrics_sample(m, "logtap_lag_seconds", none, -INFINITY);
    lt_metrics_sample(m, "logtap_lag_seconds", none, 1796410133.837548);
    lt_metrics_sample(m, "logtap_lag_seconds", none, 0.1);
    lt_metrics_sample(m, "logtap_lag_seconds", none, -3);
    size_t len;
    const char *text = lt_metrics_text(m, &len);
    CHECK_STR(text, "# HELP logtap_rows_total Rows \\\\ per table\\nand op\n"
                    "# TYPE logtap_rows_total counter\n"
                    "logtap_rows_total{task=\"shop\",schema=\"pub\\\"lic\",table=\"we\\\\ird\\nname\",op=\"insert\"} 42\n"
                    "logtap_rows_total{task=\"shop\",op=\"delete\"} 0\n"
                    "# HELP logtap_lag_seconds Lag\n"
                    "# TYPE logtap_lag_seconds gauge\n"
                    "logtap_lag_seconds 0.25\n"
                    "logtap_lag_seconds 1e+300\n"
                    "logtap_lag_seconds NaN\n"
                    "logtap_lag_seconds -Inf\n"
                    "logtap_lag_seconds 1796410133.837548\n"
                    "logtap_lag_seconds 0.1\n"
                    "logtap_lag_seconds -3\n");
    CHECK_INT((int)len, (int)strlen(text));
    lt_metrics_reset(m);
    CHECK_STR(lt_metrics_text(m, &len), "");
    lt_metrics_free(m);
}

static void test_atomic_file(void)
{
    const char *dir = unit_tmpdir("metrics");
    char path[512], tmp[512];
    snprintf(path, sizeof path, "%s/logtap.prom", dir);
    snprintf(tmp, sizeof tmp, "%s/.logtap.prom.tmp", dir);
    struct lt_metrics *m = lt_metrics_new();
    lt_metrics_family(m, "a", "gauge", "first");
    lt_metrics_sample(m, "a", NULL, 1);
    struct lt_error err = {0};
    CHECK_INT(lt_metrics_write_file(m, path, &err), LT_OK);
    /* a reader holding the old file keeps reading the old file whole: the new one replaces it by rename */
    FILE *old = fopen(path, "r");
    CHECK(old != NULL);
    struct stat before, after;
    CHECK(stat(path, &before) == 0);
    CHECK_INT(before.st_mode & 0777, 0644);
    lt_metrics_reset(m);
    lt_metrics_family(m, "a", "gauge", "second");
    lt_metrics_sample(m, "a", NULL, 2);
    CHECK_INT(lt_metrics_write_file(m, path, &err), LT_OK);
    CHECK(stat(path, &after) == 0);
    CHECK(before.st_ino != after.st_ino);
    char buf[256] = "";
    size_t n = old ? fread(buf, 1, sizeof buf - 1, old) : 0;
    buf[n] = '\0';
    CHECK_STR(buf, "# HELP a first\n# TYPE a gauge\na 1\n");
    if (old)
        fclose(old);
    size_t flen;
    unsigned char *now = unit_read_file(path, &flen);
    CHECK(now && flen == strlen("# HELP a second\n# TYPE a gauge\na 2\n") &&
          !memcmp(now, "# HELP a second\n# TYPE a gauge\na 2\n", flen));
    free(now);
    CHECK(access(tmp, F_OK) != 0); /* no temp file left */
    /* a folder that does not exist: an error naming the path, nothing left behind */
    char bad[600];
    snprintf(bad, sizeof bad, "%s/missing/logtap.prom", dir);
    CHECK(lt_metrics_write_file(m, bad, &err) != LT_OK);
    CHECK(strstr(err.msg, "missing/.logtap.prom.tmp") != NULL);
    /* a read-only folder (when not root, who may write anyway): the old file stays */
    chmod(dir, 0555);
    if (access(dir, W_OK) != 0) {
        CHECK(lt_metrics_write_file(m, path, &err) != LT_OK);
        CHECK_INT(err.code, LT_ERR_PERSISTENT);
    }
    chmod(dir, 0755);
    lt_metrics_free(m);
}

int main(void)
{
    RUN(test_escape);
    RUN(test_exposition);
    RUN(test_atomic_file);
    return unit_report();
}
