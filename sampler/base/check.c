/*
 * The failure of a CB_CHECK (check.h): one write(2) of the message, then
 * abort(). No stdio, no allocation, no lock: the check may have failed in
 * a signal handler or inside the allocator.
 */
#include "base/check.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Appends s to buf (of size cap) from *at, cut if it does not fit. */
static void append(char *buf, size_t cap, size_t *at, const char *s)
{
    size_t n = strlen(s);
    if (n > cap - *at)
        n = cap - *at;
    memcpy(buf + *at, s, n);
    *at += n;
}

void cb_check_failed(const char *file, int line, const char *cond)
{
    char buf[512], digits[16];
    size_t at = 0;
    int d = (int)sizeof digits - 1;
    unsigned v = line > 0 ? (unsigned)line : 0;
    digits[d] = '\0';
    do {
        digits[--d] = (char)('0' + v % 10);
        v /= 10;
    } while (v && d > 0);
    append(buf, sizeof buf, &at, "cbench: check failed: ");
    append(buf, sizeof buf, &at, file);
    append(buf, sizeof buf, &at, ":");
    append(buf, sizeof buf, &at, digits + d);
    append(buf, sizeof buf, &at, ": ");
    append(buf, sizeof buf, &at, cond);
    append(buf, sizeof buf, &at, "\n");
    ssize_t ignored = write(STDERR_FILENO, buf, at);
    (void)ignored;
    abort();
}
