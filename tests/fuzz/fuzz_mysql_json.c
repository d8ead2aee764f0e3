/* libFuzzer target for MySQL binary JSON to text (sources/mysql/mysql_json.h): the whole input is one binary JSON
 * value as a JSON column holds it, decoded from an exact-size heap copy so ASan sees any read past it.
 * Asserts: no read outside the document, no unbounded output (the decoder caps a document's text), a clean error on
 * bad input; text it produces is one well-formed JSON value (cJSON parses all of it); decoding appends to what the
 * buffer already holds and gives the same text there as in an empty buffer; a zero date it reports became null.
 * Build like fuzz_parquet_reader.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sources/mysql/mysql_json.h"
#include "sources/mysql/mysql_type_codes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *doc = malloc(size ? size : 1);
    if (!doc)
        return 0;
    if (size)
        memcpy(doc, data, size);
    struct lt_my_scratch s = {0}, t = {0};
    s.limit = t.limit = 64u << 20;
    struct lt_error err = {0};
    unsigned notes = 0, notes2 = 0;
    int rc = lt_mysql_json_to_text(doc, size, &s, &notes, &err);
    if (rc != LT_OK) {
        if (!err.msg[0])
            abort();
        goto out;
    }
    /* valid JSON, all of it */
    char *text = malloc(s.len + 1);
    if (!text)
        goto out;
    memcpy(text, s.data, s.len);
    text[s.len] = '\0';
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithOpts(text, &end, 1);
    if (!j || strlen(text) != s.len) {
        fprintf(stderr, "binary JSON decoded to text that is not one JSON value (%s):\n%.*s\n",
                strlen(text) != s.len ? "a NUL inside" : "cJSON refuses it", (int)(s.len > 2000 ? 2000 : s.len),
                text);
        abort();
    }
    cJSON_Delete(j);
    if ((notes & LT_BINLOG_NOTE_ZERO_DATE) && !strstr(text, "null"))
        abort();
    free(text);
    /* appending after other text gives the same text */
    if (lt_my_scratch_append(&t, "prefix", 6, &err) != LT_OK)
        abort();
    if (lt_mysql_json_to_text(doc, size, &t, &notes2, &err) != LT_OK || t.len != 6 + s.len ||
        memcmp(t.data, "prefix", 6) != 0 || memcmp(t.data + 6, s.data, s.len) != 0 || notes2 != notes) {
        fprintf(stderr, "decoding after other text differs\n");
        abort();
    }
out:
    lt_my_scratch_free(&s);
    lt_my_scratch_free(&t);
    free(doc);
    return 0;
}
