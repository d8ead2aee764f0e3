/* UTF-8 validation, one sequence at a time, for writers whose formats must be valid UTF-8 whatever the source's
 * text holds (JSON log lines, Prometheus label values). */
#ifndef LOGTAP_UTF8_H
#define LOGTAP_UTF8_H

/* The length (1-4) of the valid UTF-8 sequence starting at p, or 0 when the byte there does not start one: a stray
 * continuation byte, a sequence cut short (a NUL ends the text), an overlong form, a surrogate, or a code point
 * past U+10FFFF. */
int lt_utf8_sequence(const unsigned char *p);

#endif
