/* A growable text buffer for building requests (canonical requests, URLs, headers, XML bodies): one allocation
 * per request at most, never per row. Growth failures are sticky (oom), so a caller appends many pieces and checks
 * once; the text is always NUL-terminated while not oom. */
#ifndef LOGTAP_S3_STRBUF_H
#define LOGTAP_S3_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct strbuf {
    char *s;
    size_t len, cap;
    bool oom;
};

void sb_append(struct strbuf *b, const char *s, size_t n);
void sb_puts(struct strbuf *b, const char *s);
void sb_putc(struct strbuf *b, char c);
void sb_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_reset(struct strbuf *b);   /* empty, keeps the memory */
void sb_free(struct strbuf *b);
/* The text ("" when empty or oom). */
const char *sb_str(const struct strbuf *b);

#endif
