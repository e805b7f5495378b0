/*
 * Names of tests and benchmarks as folder names under the outdir. Any
 * byte may occur in a test's name ('/' in every sub-benchmark), but a
 * path component must not hold '/' or NUL, must not be "." or "..", and
 * must stay under NAME_MAX. Percent-encoding keeps the mapping one to
 * one for all names up to the length limit, so two tests never share a
 * folder, and the hash suffix keeps longer names apart with high
 * probability. The output is plain ASCII whatever the input.
 */
#include "formats/safename.h"

#include <ctype.h>
#include <stdbool.h>

#include <stdint.h>
#include <string.h>

#define SAFE_NAME_MAX 200
#define HASH_SUFFIX_LEN 9 /* "~" and 8 hex digits */

static bool is_plain(unsigned char c, size_t pos)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return true;
    if (c != '\0' && strchr("_+=,-", c))
        return true;
    return c == '.' && pos > 0;
}

/* 32-bit FNV-1a. */
static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

char *cb_safename_encode(const char *name, char *buf, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    if (!buf || len == 0)
        return buf;
    if (!name || !*name)
        name = NULL;
    size_t limit = len - 1 < SAFE_NAME_MAX ? len - 1 : SAFE_NAME_MAX;
    /* Encode everything that fits in `limit`; remember where the text
     * stood when it last left room for the suffix. */
    size_t n = 0, cut = 0;
    bool overflow = false;
    if (!name) {
        strncpy(buf, "%00", limit);
        buf[limit < 3 ? limit : 3] = '\0';
        return buf;
    }
    for (size_t i = 0; name[i]; i++) {
        unsigned char c = (unsigned char)name[i];
        size_t need = is_plain(c, i) ? 1 : 3;
        if (n + need > limit) {
            overflow = true;
            break;
        }
        if (need == 1) {
            buf[n++] = (char)c;
        } else {
            buf[n++] = '%';
            buf[n++] = hex[c >> 4];
            buf[n++] = hex[c & 15];
        }
        if (n + HASH_SUFFIX_LEN <= limit)
            cut = n;
    }
    if (!overflow) {
        buf[n] = '\0';
        return buf;
    }
    if (limit < HASH_SUFFIX_LEN) { /* no room for the hash: just cut */
        buf[n] = '\0';
        return buf;
    }
    static const char lower[] = "0123456789abcdef";
    uint32_t h = fnv1a(name);
    buf[cut++] = '~';
    for (int shift = 28; shift >= 0; shift -= 4)
        buf[cut++] = lower[(h >> shift) & 15];
    buf[cut] = '\0';
    return buf;
}

bool cb_safename_is_safe(const char *name)
{
    size_t n = strlen(name);
    if (!n || n > 255)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (is_plain(c, i) || c == '~')
            continue;
        if (c != '%' || !isxdigit((unsigned char)name[i + 1]) ||
            !isxdigit((unsigned char)name[i + 2]))
            return false;
        i += 2;
    }
    return true;
}
