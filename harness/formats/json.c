/*
 * JSON strings and numbers for the writers (see json.h).
 *
 * A string is copied in runs of bytes that need no escape, and decoded
 * one code point at a time only where one might: plain ASCII, the bulk of
 * names and output, costs one comparison per byte. A number is printed
 * with the fewest significant digits (1 to 17) that strtod reads back as
 * the same double; 17 always suffice for IEEE 754 binary64.
 */
#include "formats/json.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/utf8.h"

void cb_json_put_string(cb_buf *b, const char *s)
{
    if (!s) {
        cb_buf_puts(b, "null");
        return;
    }
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    cb_buf_putc(b, '"');
    while (n > 0) {
        size_t run = 0;
        while (run < n && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\')
            run++;
        cb_buf_add(b, p, run);
        p += run, n -= run;
        if (n == 0)
            break;
        uint32_t cp;
        size_t used = cb_utf8_decode(p, n, &cp);
        p += used, n -= used;
        switch (cp) {
        case '"': cb_buf_puts(b, "\\\""); break;
        case '\\': cb_buf_puts(b, "\\\\"); break;
        case '\n': cb_buf_puts(b, "\\n"); break;
        case '\r': cb_buf_puts(b, "\\r"); break;
        case '\t': cb_buf_puts(b, "\\t"); break;
        case '\b': cb_buf_puts(b, "\\b"); break;
        case '\f': cb_buf_puts(b, "\\f"); break;
        default:
            if (cp < 0x20)
                cb_buf_printf(b, "\\u%04x", (unsigned)cp);
            else
                cb_utf8_put(b, cp);
        }
    }
    cb_buf_putc(b, '"');
}

void cb_json_put_number(cb_buf *b, double v)
{
    if (!isfinite(v)) {
        cb_buf_puts(b, "null");
        return;
    }
    if (v == 0 && signbit(v)) {
        cb_buf_puts(b, "-0.0");
        return;
    }
    char s[40];
    locale_t c = cb_buf_c_locale();
    locale_t old = c ? uselocale(c) : (locale_t)0;
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(s, sizeof s, "%.*g", prec, v);
        if (strtod(s, NULL) == v)
            break;
    }
    if (c)
        uselocale(old);
    cb_buf_puts(b, s);
}
