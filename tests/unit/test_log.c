/* Log lines stay one line: control characters in messages (names, server text) are escaped. */
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

int main(void)
{
    RUN(test_escape_controls);
    return unit_report();
}
