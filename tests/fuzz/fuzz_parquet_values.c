/* libFuzzer target for the text <-> Parquet value conversion: the first byte picks a canonical type (and for
 * decimals a precision and scale), the rest is the text. Whatever parses must print as canonical text that parses
 * back to the same physical value (NaN payloads aside). Build like fuzz_parquet_reader.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "targets/parquet/parquet_values.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    enum lt_type type = (enum lt_type)(data[0] % (LT_TYPE_UUID + 1));
    int precision = 1 + data[1] % 38, scale = data[1] / 38 % (precision + 1);
    struct pq_column_type t;
    pq_type_for_column(type, precision, scale, data[0] & 0x80, &t);
    const char *text = (const char *)data + 2;
    size_t len = size - 2;
    struct byte_buffer scratch = {0}, out = {0}, scratch2 = {0};
    struct pq_parsed a, b;
    if (pq_parse_value(&t, text, len, &a, &scratch) == 0) {
        const uint8_t *abytes = a.in_ext ? a.ext : a.in_scratch ? scratch.data + a.scratch_off : a.fixed;
        const char *why = "";
        if (pq_format_value(&t, abytes, a.len, &out, &why) != 0) {
            fprintf(stderr, "format failed: %s\n", why);
            abort();
        }
        if (pq_parse_value(&t, (const char *)out.data, out.len, &b, &scratch2) != 0) {
            fprintf(stderr, "canonical text does not parse: %.*s\n", (int)out.len, (const char *)out.data);
            abort();
        }
        const uint8_t *bbytes = b.in_ext ? b.ext : b.in_scratch ? scratch2.data + b.scratch_off : b.fixed;
        bool nan = (type == LT_TYPE_FLOAT32 || type == LT_TYPE_FLOAT64) && isnan(a.d);
        if (!nan && (a.len != b.len || (a.len && memcmp(abytes, bbytes, a.len) != 0))) {
            fprintf(stderr, "round trip changed the value: %.*s\n", (int)out.len, (const char *)out.data);
            abort();
        }
    }
    bb_free(&scratch);
    bb_free(&scratch2);
    bb_free(&out);
    return 0;
}
