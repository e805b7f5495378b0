/*
 * XML text (see xml.h), decoded one code point at a time.
 */
#include "formats/xml.h"

#include <stdint.h>
#include <string.h>

#include "formats/utf8.h"

void cb_xml_put(cb_buf *b, const char *s, bool attribute)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t n = strlen((const char *)p);
    while (n > 0) {
        uint32_t c;
        size_t used = cb_utf8_decode(p, n, &c);
        p += used, n -= used;
        switch (c) {
        case '&': cb_buf_puts(b, "&amp;"); continue;
        case '<': cb_buf_puts(b, "&lt;"); continue;
        case '>': cb_buf_puts(b, "&gt;"); continue;
        case '"': cb_buf_puts(b, attribute ? "&quot;" : "\""); continue;
        case '\'': cb_buf_puts(b, attribute ? "&#39;" : "'"); continue;
        case '\r': cb_buf_puts(b, "&#13;"); continue;
        case '\t': cb_buf_puts(b, attribute ? "&#9;" : "\t"); continue;
        case '\n': cb_buf_puts(b, attribute ? "&#10;" : "\n"); continue;
        }
        if (c < 0x20 || c == 0xFFFE || c == 0xFFFF)
            continue;
        cb_utf8_put(b, c);
    }
}
