/*
 * Trace JSON output (model in sink.h). Async-signal-safe throughout.
 */
#include "trace/sink.h"

#include <errno.h>
#include <string.h>

void cb_sink_init(cb_trace_sink *s, char *buf, size_t cap, int (*flush)(cb_trace_sink *),
                  void *arg)
{
    memset(s, 0, sizeof *s);
    s->buf = buf;
    s->cap = cap;
    s->flush = flush;
    s->arg = arg;
    s->first = true;
}

int cb_sink_flush(cb_trace_sink *s)
{
    if (!s->len)
        return s->err ? -1 : 0;
    if (s->err) {
        s->len = 0;
        return -1;
    }
    size_t n = s->len;
    int rc = s->flush(s);
    if (rc == 0)
        s->bytes += n;
    else if (!s->err)
        s->err = errno ? errno : EIO;
    s->len = 0;
    return rc;
}

void cb_sink_raw_slow(cb_trace_sink *s, const char *p, size_t n)
{
    while (n) {
        if (s->len == s->cap && cb_sink_flush(s) != 0 && s->len == s->cap)
            return;
        size_t room = s->cap - s->len, k = n < room ? n : room;
        memcpy(s->buf + s->len, p, k);
        s->len += k;
        p += k;
        n -= k;
    }
}

void cb_sink_u64(cb_trace_sink *s, uint64_t v)
{
    char d[24];
    int i = sizeof d;
    do {
        d[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    cb_sink_raw(s, d + i, sizeof d - (size_t)i);
}

void cb_sink_i64(cb_trace_sink *s, int64_t v)
{
    if (v < 0) {
        cb_sink_raw(s, "-", 1);
        cb_sink_u64(s, (uint64_t)0 - (uint64_t)v);
        return;
    }
    cb_sink_u64(s, (uint64_t)v);
}

void cb_sink_hex(cb_trace_sink *s, uint64_t v)
{
    char d[20];
    int i = sizeof d;
    d[--i] = '"';
    do {
        d[--i] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    d[--i] = 'x';
    d[--i] = '0';
    d[--i] = '"';
    cb_sink_raw(s, d + i, sizeof d - (size_t)i);
}

void cb_sink_us(cb_trace_sink *s, uint64_t ns)
{
    cb_sink_u64(s, ns / 1000);
    char frac[4] = {'.', (char)('0' + ns / 100 % 10), (char)('0' + ns / 10 % 10),
                    (char)('0' + ns % 10)};
    cb_sink_raw(s, frac, 4);
}

void cb_sink_double(cb_trace_sink *s, double v)
{
    if (!(v == v) || v > 9.2e18 || v < -9.2e18) {
        /* NaN or beyond int64: JSON has no NaN; the integer part would
         * overflow. Written as 0 rather than invalid JSON. */
        cb_sink_raw(s, "0", 1);
        return;
    }
    if (v < 0) {
        cb_sink_raw(s, "-", 1);
        v = -v;
    }
    uint64_t whole = (uint64_t)v;
    uint64_t frac = (uint64_t)((v - (double)whole) * 1e6 + 0.5);
    if (frac >= 1000000) {
        whole++;
        frac -= 1000000;
    }
    cb_sink_u64(s, whole);
    if (!frac)
        return;
    char d[7];
    d[0] = '.';
    for (int i = 6; i >= 1; i--, frac /= 10)
        d[i] = (char)('0' + frac % 10);
    int n = 7;
    while (d[n - 1] == '0')
        n--;
    cb_sink_raw(s, d, (size_t)n);
}

/* The length of the valid UTF-8 sequence at p (n bytes available), or 0. */
static size_t utf8_length(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    size_t len;
    unsigned min;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, min = 0x10000;
    else
        return 0;
    if (n < len)
        return 0;
    unsigned cp = c & (0x3f >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

void cb_sink_str(cb_trace_sink *s, const char *str, size_t n, const char *suffix)
{
    const unsigned char *p = (const unsigned char *)str;
    cb_sink_raw(s, "\"", 1);
    size_t run = 0; /* bytes copied as they are, pending */
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            run++, i++;
            continue;
        }
        size_t len = c >= 0x80 ? utf8_length(p + i, n - i) : 0;
        if (len) {
            run += len, i += len;
            continue;
        }
        cb_sink_raw(s, (const char *)p + i - run, run);
        run = 0;
        char esc[7] = {'\\', 0};
        size_t k = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\t': esc[1] = 't'; break;
        case '\r': esc[1] = 'r'; break;
        default:
            if (c < 0x20 || c == 0x7f) {
                memcpy(esc + 1, "u00", 3);
                esc[4] = "0123456789abcdef"[c >> 4];
                esc[5] = "0123456789abcdef"[c & 15];
                k = 6;
            } else {
                memcpy(esc, "\xef\xbf\xbd", 3); /* U+FFFD for an invalid byte */
                k = 3;
            }
        }
        cb_sink_raw(s, esc, k);
        i++;
    }
    cb_sink_raw(s, (const char *)p + n - run, run);
    if (suffix)
        cb_sink_lit(s, suffix);
    cb_sink_raw(s, "\"", 1);
}

void cb_sink_event_begin(cb_trace_sink *s)
{
    if (s->first)
        cb_sink_raw(s, "{", 1);
    else
        cb_sink_raw(s, ",\n{", 3);
    s->first = false;
}

void cb_sink_event_end(cb_trace_sink *s)
{
    cb_sink_raw(s, "}", 1);
    s->events++;
    if (s->cap - s->len < CB_SINK_SLACK)
        cb_sink_flush(s);
}
