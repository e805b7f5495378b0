/*
 * jansson for the command's readers (see json_load.h).
 *
 * Why jansson and not a reader of our own: the command reads events from
 * any binary and results.json files from anywhere, so its reader must
 * survive anything; a well-kept library that Debian ships (libjansson-dev)
 * carries that burden. Measured on this project's machine (2026-12-06, 2 cores, Xeon): a 270-byte
 * record event in 3.9 us (the hand-written reader it replaced: 3.0 us),
 * a 6.3 MB results.json of 20000 records in 100 ms (80 ms), so nothing a
 * run would notice. What it does differently: invalid UTF-8, "\u0000"
 * and lone surrogate escapes make the whole text malformed instead of
 * being replaced by U+FFFD; cbench's writers produce none of them. It
 * limits nesting to 2048 levels, so hostile input cannot exhaust the
 * stack.
 *
 * The writers stay hand-written (harness/formats/): they run inside every
 * test binary, where the program's locale must not reach the numbers.
 */
#include "json_load.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/fault.h"

static pthread_once_t alloc_once = PTHREAD_ONCE_INIT;

/* Whether an allocation failed in the parse under way on this thread:
 * jansson does not always say so (json_error_code is often "unknown"
 * then), and a text that could not be held is not a malformed one. */
static __thread bool alloc_failed;

static void *json_alloc(size_t n)
{
    void *p = cb_fault_malloc(n);
    if (!p)
        alloc_failed = true;
    return p;
}

/* Test builds fail jansson's allocations on demand, like cbench's own. */
static void use_fault_allocator(void)
{
    json_set_alloc_funcs(json_alloc, free);
}

json_t *cb_json_load_buffer(const char *text, size_t len, char *why, size_t whylen)
{
    pthread_once(&alloc_once, use_fault_allocator);
    json_error_t error;
    alloc_failed = false;
    json_t *root = text ? json_loadb(text, len, 0, &error) : NULL;
    if (root && !alloc_failed)
        return root;
    json_decref(root);
    if (alloc_failed || (text && json_error_code(&error) == json_error_out_of_memory)) {
        errno = ENOMEM;
        if (why && whylen)
            snprintf(why, whylen, "out of memory");
        return NULL;
    }
    errno = EINVAL;
    if (why && whylen)
        snprintf(why, whylen, "malformed JSON: %s at byte %d", text ? error.text : "no text",
                 text ? error.position : 0);
    return NULL;
}
