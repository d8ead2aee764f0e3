/* Log lines stay one line: control characters in messages (names, server text) are escaped; in JSON mode every line
 * is one JSON object (parsed back here with cJSON) whatever the text holds. */
#include <cjson/cJSON.h>
#include <string.h>

#include "agent/log.h"
#include "unit.h"

static void test_escape_controls(void)
{
    char out[64];
    CHECK_INT((int)lt_escape_controls("plain é ☃", out, sizeof out), (int)strlen("plain é ☃"));
    CHECK_STR(out, "plain é ☃");
    lt_escape_controls("evil\nINFO  forged\r\tx\x01\x7f", out, sizeof out);
    CHECK_STR(out, "evil\\nINFO  forged\\r\\tx\\x01\\x7f");
    /* never past the buffer, never half an escape */
    char small[6];
    lt_escape_controls("ab\ncd", small, sizeof small);
    CHECK_STR(small, "ab\\nc");
    lt_escape_controls("abc\x01", small, sizeof small);
    CHECK_STR(small, "abc");
    CHECK_INT((int)lt_escape_controls("x", small, 0), 0);
}

static void test_json_string(void)
{
    char out[128];
    size_t n = 0;
    CHECK(lt_json_append_string(out, sizeof out, &n, "a\"b\\c\nd\re\tf\bg\fh\x01i\x7fj"));
    CHECK_STR(out, "\"a\\\"b\\\\c\\nd\\re\\tf\\bg\\fh\\u0001i\\u007fj\"");
    CHECK_INT((int)n, (int)strlen(out));
    /* UTF-8 stays; bytes that are not UTF-8 become the text \xNN (as \\xNN in JSON) */
    n = 0;
    CHECK(lt_json_append_string(out, sizeof out, &n, "é☃😀 \xff \xc3( \xed\xa0\x80 \xe2\x82"));
    CHECK_STR(out, "\"é☃😀 \\\\xff \\\\xc3( \\\\xed\\\\xa0\\\\x80 \\\\xe2\\\\x82\"");
    /* appended after what is there */
    n = 0;
    memcpy(out, "x=", 3);
    n = 2;
    CHECK(lt_json_append_string(out, sizeof out, &n, ""));
    CHECK_STR(out, "x=\"\"");
    /* cut at a character boundary, closed, never past the buffer */
    char small[8];
    n = 0;
    CHECK(!lt_json_append_string(small, sizeof small, &n, "abcdefgh"));
    CHECK_STR(small, "\"abcde\"");
    n = 0;
    CHECK(!lt_json_append_string(small, sizeof small, &n, "ab☃cd"));
    CHECK_STR(small, "\"ab☃\"");
    n = 0;
    CHECK(!lt_json_append_string(small, sizeof small, &n, "a\nbcd"));
    CHECK_STR(small, "\"a\\nbc\"");
    n = 0;
    CHECK(!lt_json_append_string(small, sizeof small, &n, "ab\x01"));
    CHECK_STR(small, "\"ab\"");
    n = 6;
    CHECK(!lt_json_append_string(small, sizeof small, &n, "z"));
    CHECK_INT((int)n, 6);
}

/* Parses a JSON log line: exactly one object, one line, ending in a newline. */
static cJSON *parse_line(const char *line, size_t len)
{
    CHECK(len > 0 && line[len - 1] == '\n');
    CHECK(memchr(line, '\n', len) == line + len - 1);
    CHECK_INT((int)strlen(line), (int)len);
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithOpts(line, &end, false);
    CHECK(o != NULL && cJSON_IsObject(o));
    CHECK(end && *end == '\n' && end[1] == '\0');
    return o;
}

static const char *field(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_json_line(void)
{
    char line[16384];
    const char *msg = "table \"odd\\name\"\nforged line\t\x02 é \xfe";
    size_t n = lt_log_format_line(line, sizeof line, LT_LOG_JSON, 1706702400123456LL, LT_LOG_WARN, "shop",
                                  "public", "we\"ird\n", msg);
    cJSON *o = parse_line(line, n);
    CHECK_STR(field(o, "time"), "2024-01-31T12:00:00.123456Z");
    CHECK_STR(field(o, "level"), "warn");
    CHECK_STR(field(o, "task"), "shop");
    CHECK_STR(field(o, "schema"), "public");
    CHECK_STR(field(o, "table"), "we\"ird\n");
    CHECK_STR(field(o, "message"), "table \"odd\\name\"\nforged line\t\x02 é \\xfe");
    CHECK_INT(cJSON_GetArraySize(o), 6);
    cJSON_Delete(o);
    /* no task or table: no such fields */
    n = lt_log_format_line(line, sizeof line, LT_LOG_JSON, 0, LT_LOG_DEBUG, "", NULL, NULL, "x");
    o = parse_line(line, n);
    CHECK_STR(field(o, "time"), "1970-01-01T00:00:00.000000Z");
    CHECK_STR(field(o, "level"), "debug");
    CHECK(!field(o, "task") && !field(o, "table") && !field(o, "schema"));
    CHECK_INT(cJSON_GetArraySize(o), 3);
    cJSON_Delete(o);
    /* a message longer than the line is cut, and the line is still one JSON object */
    static char big[20000];
    memset(big, '"', sizeof big - 1);
    char shortline[600];
    n = lt_log_format_line(shortline, sizeof shortline, LT_LOG_JSON, 0, LT_LOG_ERROR, "t", "s", "x", big);
    CHECK(n < sizeof shortline);
    o = parse_line(shortline, n);
    CHECK(field(o, "message") && strlen(field(o, "message")) > 200);
    CHECK_STR(field(o, "level"), "error");
    cJSON_Delete(o);
    /* text lines: one line, controls escaped, milliseconds */
    n = lt_log_format_line(line, sizeof line, LT_LOG_TEXT, 1706702400123456LL, LT_LOG_INFO, "shop", "s", "t", msg);
    CHECK_STR(line, "2024-01-31T12:00:00.123Z INFO  table \"odd\\name\"\\nforged line\\t\\x02 é \xfe\n");
}

static void test_levels(void)
{
    enum lt_log_level l;
    enum lt_log_format f;
    CHECK(lt_log_parse_level("debug", &l) && l == LT_LOG_DEBUG);
    CHECK(lt_log_parse_level("WARN", &l) && l == LT_LOG_WARN);
    CHECK(lt_log_parse_level("warning", &l) && l == LT_LOG_WARN);
    CHECK(lt_log_parse_level("error", &l) && l == LT_LOG_ERROR);
    CHECK(!lt_log_parse_level("verbose", &l));
    CHECK(lt_log_parse_format("json", &f) && f == LT_LOG_JSON);
    CHECK(lt_log_parse_format("text", &f) && f == LT_LOG_TEXT);
    CHECK(!lt_log_parse_format("xml", &f));
    lt_log_set_level(LT_LOG_ERROR);
    CHECK(!lt_log_enabled(LT_LOG_WARN) && lt_log_enabled(LT_LOG_ERROR));
    lt_log_set_level(LT_LOG_DEBUG);
    lt_log_set_quiet(1);
    CHECK(!lt_log_enabled(LT_LOG_INFO) && lt_log_enabled(LT_LOG_WARN));
    lt_log_set_level(LT_LOG_INFO);
}

int main(void)
{
    RUN(test_escape_controls);
    RUN(test_json_string);
    RUN(test_json_line);
    RUN(test_levels);
    return unit_report();
}
