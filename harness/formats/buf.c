/*
 * The growable buffer (see buf.h). It doubles its capacity as it grows,
 * from 256 bytes, so building a file of n bytes costs O(n) copies.
 *
 * Runs in ordinary context only (between tests, in the command), never in
 * a signal handler or the allocator, so it may allocate and take the
 * once-lock that makes the C locale.
 */
#include "formats/buf.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fault.h"

static bool reserve(cb_buf *b, size_t more)
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
    char *p = cb_fault_realloc(b->p, cap);
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
    if (!reserve(b, n))
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

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void make_c_locale(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

locale_t cb_buf_c_locale(void)
{
    pthread_once(&c_locale_once, make_c_locale);
    return c_locale;
}

void cb_buf_printf(cb_buf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    locale_t c = cb_buf_c_locale();
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
    } else if (reserve(b, (size_t)n)) {
        va_start(ap, fmt);
        vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b->n += (size_t)n;
    }
    if (c)
        uselocale(old);
}

char *cb_buf_take(cb_buf *b)
{
    char *p = b->failed ? NULL : b->p;
    if (b->failed)
        free(b->p);
    else if (!p)
        p = cb_fault_calloc(1, 1);
    memset(b, 0, sizeof b[0]);
    if (!p)
        errno = ENOMEM;
    return p;
}

void cb_buf_free(cb_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof b[0]);
}
