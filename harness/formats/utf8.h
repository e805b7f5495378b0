/*
 * UTF-8, as the writers need it: every file and event they write is valid
 * UTF-8, whatever bytes a test's name or output held, so each writer
 * decodes its input one code point at a time and replaces what is not
 * UTF-8 with U+FFFD.
 */
#ifndef CB_FORMATS_UTF8_H
#define CB_FORMATS_UTF8_H

#include <stddef.h>
#include <stdint.h>

#include "formats/buf.h"

/*
 * Decodes the UTF-8 sequence at s[0..n), n > 0: stores the code point in
 * *cp and returns the bytes it took. Overlong forms, surrogates, values
 * past U+10FFFF and truncated sequences are invalid: *cp = U+FFFD and 1
 * is returned, so the caller resumes at the next byte.
 */
size_t cb_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Appends code point cp (<= U+10FFFF, not a surrogate) as UTF-8. */
void cb_utf8_put(cb_buf *b, uint32_t cp);

#endif
