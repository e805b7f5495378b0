/*
 * The growable buffer the result files and events are built in, with the
 * JSON encoding of strings and numbers and the UTF-8 decoder the writers
 * share.
 *
 * A buffer that fails to grow remembers it and ignores later additions,
 * so a writer appends freely and checks `failed` once. Numbers are
 * formatted and read in the C locale whatever setlocale() the program
 * under test called: a decimal comma would make invalid JSON and
 * benchmark lines no tool reads.
 */
#include "formats/json.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool buf_reserve(cb_buf *b, size_t more)
{
    if (b->failed)
        return false;
    if (b->cap - b->n > more)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->n <= more) {
        if (cap > SIZE_MAX / 2) {
            b->failed = true;
            return false;
        }
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void cb_buf_add(cb_buf *b, const void *data, size_t n)
{
    if (!buf_reserve(b, n))
        return;
    if (n)
        memcpy(b->p + b->n, data, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void cb_buf_putc(cb_buf *b, char c)
{
    cb_buf_add(b, &c, 1);
}

void cb_buf_puts(cb_buf *b, const char *s)
{
    if (s)
        cb_buf_add(b, s, strlen(s));
}

/* The C locale object, made once; (locale_t)0 if it cannot be made, in
 * which case the program's locale is used. */
static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void make_c_locale(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

static locale_t get_c_locale(void)
{
    pthread_once(&c_locale_once, make_c_locale);
    return c_locale;
}

void cb_buf_printf(cb_buf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    locale_t c = get_c_locale();
    locale_t old = c ? uselocale(c) : (locale_t)0;
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
    } else if ((size_t)n < sizeof small) {
        cb_buf_add(b, small, (size_t)n);
    } else if (buf_reserve(b, (size_t)n)) {
        va_start(ap, fmt);
        vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b->n += (size_t)n;
    }
    if (c)
        uselocale(old);
}

double cb_strtod_c(const char *s, char **end)
{
    locale_t c = get_c_locale();
    return c ? strtod_l(s, end, c) : strtod(s, end);
}

size_t cb_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2, v = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, v = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    if (n < len)
        goto invalid;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            goto invalid;
        v = v << 6 | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        goto invalid;
    *cp = v;
    return len;
invalid:
    *cp = 0xFFFD;
    return 1;
}

void cb_buf_utf8(cb_buf *b, uint32_t cp)
{
    char s[4];
    if (cp < 0x80) {
        s[0] = (char)cp;
        cb_buf_add(b, s, 1);
    } else if (cp < 0x800) {
        s[0] = (char)(0xC0 | cp >> 6);
        s[1] = (char)(0x80 | (cp & 0x3F));
        cb_buf_add(b, s, 2);
    } else if (cp < 0x10000) {
        s[0] = (char)(0xE0 | cp >> 12);
        s[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        s[2] = (char)(0x80 | (cp & 0x3F));
        cb_buf_add(b, s, 3);
    } else {
        s[0] = (char)(0xF0 | cp >> 18);
        s[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        s[2] = (char)(0x80 | (cp >> 6 & 0x3F));
        s[3] = (char)(0x80 | (cp & 0x3F));
        cb_buf_add(b, s, 4);
    }
}

void cb_buf_json_string(cb_buf *b, const char *s)
{
    if (!s) {
        cb_buf_puts(b, "null");
        return;
    }
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    cb_buf_putc(b, '"');
    while (n > 0) {
        /* Copy the run of bytes that need no escape in one go. */
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
                cb_buf_utf8(b, cp);
        }
    }
    cb_buf_putc(b, '"');
}

void cb_buf_json_number(cb_buf *b, double v)
{
    if (!isfinite(v)) {
        cb_buf_puts(b, "null");
        return;
    }
    /* The shortest %.*g that reads back as v: 17 digits always do. */
    char s[40];
    locale_t c = get_c_locale();
    locale_t old = c ? uselocale(c) : (locale_t)0;
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(s, sizeof s, "%.*g", prec, v);
        if (cb_strtod_c(s, NULL) == v)
            break;
    }
    if (c)
        uselocale(old);
    cb_buf_puts(b, s);
}

char *cb_buf_take(cb_buf *b)
{
    char *p = b->failed ? NULL : b->p;
    if (b->failed)
        free(b->p);
    else if (!p)
        p = calloc(1, 1);
    memset(b, 0, sizeof b[0]);
    return p;
}

void cb_buf_free(cb_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof b[0]);
}
