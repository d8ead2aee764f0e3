/* Reading the small XML documents S3 answers with (errors, list results, multipart upload ids): find an element by
 * name, take its text with XML's entities decoded. Not a general XML parser: S3's answers are flat lists of
 * elements without mixed content, and that is all this reads. Pure functions, unit-tested (test_s3_xml.c). */
#ifndef LOGTAP_S3_XML_H
#define LOGTAP_S3_XML_H

#include <stdbool.h>
#include <stddef.h>

/* The next element named name at or after *at (before end): its content in [*inner, *inner + *len), and *at moves
 * past its end tag; false when there is none. A self-closing element (<Name/>) has empty content. */
bool lt_xml_next(const char **at, const char *end, const char *name, const char **inner, size_t *len);

/* The decoded text of the first element named name inside [doc, doc + n), into out (always NUL-terminated; false
 * when the element is missing or its text does not fit). */
bool lt_xml_text(const char *doc, size_t n, const char *name, char *out, size_t outlen);

/* Decodes &amp; &lt; &gt; &quot; &apos; &#N; &#xN; of [s, s + n) into out; false when it does not fit or an
 * entity is malformed. */
bool lt_xml_decode(const char *s, size_t n, char *out, size_t outlen);

#endif
