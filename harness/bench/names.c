/*
 * Benchmark names: the displayed name of a function, and the unique,
 * printable names of sub-benchmarks (Go's testing/match.go: rewrite and
 * unique).
 *
 * rewrite() walks the name as UTF-8: Go's white-space runes become '_';
 * C0 and C1 control characters and DEL are escaped as Go's
 * strconv.QuoteRune escapes them ("\a", "\x01", "\u0080"); a byte that is
 * not valid UTF-8 becomes U+FFFD, as Go's range loop reads it. Other
 * runes are kept (Go also escapes the rest of Unicode's non-printable
 * runes; names rarely hold them).
 *
 * Names are the harness's own allocations, not the benchmark's: they are
 * made between cb_own_begin and end, so allocs/op never counts
 * them.
 */
#include "bench/names.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/own.h"

static char *internal_malloc(size_t n)
{
    cb_own_begin();
    char *p = malloc(n);
    cb_own_end();
    return p;
}

void cb_bench_names_init(cb_bench_names *n)
{
    cb_hmap_init(&n->seen);
}

void cb_bench_names_free(cb_bench_names *n)
{
    cb_own_begin();
    cb_hmap_free(&n->seen);
    cb_own_end();
}

char *cb_bench_names_display(const char *function, char *buf, size_t len)
{
    static const char prefix[] = "Benchmark";
    size_t plen = sizeof prefix - 1;
    if (len == 0)
        return buf;
    if (strncmp(function, prefix, plen) == 0 && !islower((unsigned char)function[plen])) {
        snprintf(buf, len, "%s", function);
        return buf;
    }
    if (strncasecmp(function, "benchmark_", 10) == 0)
        function += 10;
    else if (strncasecmp(function, "bench_", 6) == 0)
        function += 6;
    if (!function[0])
        snprintf(buf, len, "%s", prefix);
    else
        snprintf(buf, len, "%s%c%s", prefix, toupper((unsigned char)function[0]), function + 1);
    return buf;
}

/* The length of the UTF-8 sequence that byte c starts; 0 if none. */
static size_t sequence_length(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c < 0xe0)
        return 2;
    if (c >= 0xe0 && c < 0xf0)
        return 3;
    if (c >= 0xf0 && c < 0xf5)
        return 4;
    return 0;
}

/* Decodes one UTF-8 rune at s; returns its length, or 1 with U+FFFD for a
 * byte that does not start a valid sequence. */
static size_t decode_rune(const unsigned char *s, uint32_t *rune)
{
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    size_t len = sequence_length(s[0]);
    if (len == 1) {
        *rune = s[0];
        return 1;
    }
    uint32_t r = len ? s[0] & (0x7f >> len) : 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            len = 0;
            break;
        }
        r = r << 6 | (s[i] & 0x3f);
    }
    if (!len || r < min[len] || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) {
        *rune = 0xfffd;
        return 1;
    }
    *rune = r;
    return len;
}

/* Go's testing.isSpace: not Unicode's Z class, the runes Go lists. */
static bool go_space(uint32_t r)
{
    static const uint32_t listed[] = {'\t', '\n',   '\v',   '\f',   '\r',   ' ',    0x85,
                                      0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000};
    for (size_t i = 0; i < sizeof listed / sizeof listed[0]; i++) {
        if (r == listed[i])
            return true;
    }
    return r >= 0x2000 && r <= 0x200a;
}

static size_t encode_rune(uint32_t r, char *out)
{
    if (r < 0x80) {
        out[0] = (char)r;
        return 1;
    }
    if (r < 0x800) {
        out[0] = (char)(0xc0 | r >> 6);
        out[1] = (char)(0x80 | (r & 0x3f));
        return 2;
    }
    if (r < 0x10000) {
        out[0] = (char)(0xe0 | r >> 12);
        out[1] = (char)(0x80 | (r >> 6 & 0x3f));
        out[2] = (char)(0x80 | (r & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | r >> 18);
    out[1] = (char)(0x80 | (r >> 12 & 0x3f));
    out[2] = (char)(0x80 | (r >> 6 & 0x3f));
    out[3] = (char)(0x80 | (r & 0x3f));
    return 4;
}

/* Writes the rewritten `sub` at out, which has room for 4 bytes per input
 * byte; returns the length written. */
static size_t rewrite(const char *sub, char *out)
{
    const unsigned char *s = (const unsigned char *)sub;
    size_t n = 0;
    while (*s) {
        uint32_t r;
        s += decode_rune(s, &r);
        if (go_space(r))
            out[n++] = '_';
        else if (r == '\a')
            n += (size_t)sprintf(out + n, "\\a");
        else if (r == '\b')
            n += (size_t)sprintf(out + n, "\\b");
        else if (r < 0x20 || r == 0x7f)
            n += (size_t)sprintf(out + n, "\\x%02x", (unsigned)r);
        else if (r >= 0x80 && r < 0xa0)
            n += (size_t)sprintf(out + n, "\\u%04x", (unsigned)r);
        else
            n += encode_rune(r, out + n);
    }
    out[n] = '\0';
    return n;
}

/* Go's matcher.unique: the first use of a name keeps it; later uses (and
 * an empty sub name, even the first) get "#NN" with the count so far. */
char *cb_bench_names_sub(cb_bench_names *names, const char *parent, const char *sub)
{
    size_t plen = strlen(parent), slen = strlen(sub);
    /* Room for the rewrite, and for a few "#NN" suffixes. */
    size_t cap = plen + 1 + 4 * slen + 64;
    char *name = internal_malloc(cap);
    if (!name)
        return NULL;
    memcpy(name, parent, plen);
    name[plen] = '/';
    size_t len = plen + 1 + rewrite(sub, name + plen + 1);
    bool empty = len == plen + 1;
    cb_own_begin();
    for (;;) {
        uint64_t *count = cb_hmap_get(&names->seen, name, len);
        if (!empty && !count) {
            bool inserted;
            if (!(count = cb_hmap_put(&names->seen, name, len, &inserted, NULL)))
                break;
            *count = 1;
            cb_own_end();
            return name;
        }
        uint64_t next = count ? *count : 0;
        if (!count) {
            bool inserted;
            if (!(count = cb_hmap_put(&names->seen, name, len, &inserted, NULL)))
                break;
        }
        *count = next + 1;
        if (len + 24 > cap) {
            char *grown = realloc(name, cap *= 2);
            if (!grown)
                break;
            name = grown;
        }
        len += (size_t)sprintf(name + len, "#%02llu", (unsigned long long)next);
        empty = false;
    }
    free(name);
    cb_own_end();
    return NULL;
}
