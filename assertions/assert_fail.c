/*
 * How a resource assertion fails: through cmocka inside a cmocka test,
 * by printing and aborting anywhere else.
 *
 * cmocka's _fail() ends a test by longjmp only while a test (or fixture)
 * runs on the thread; anywhere else it calls exit() with the message
 * still in its buffer, so nothing is printed (cmocka 1.1.5, checked). So
 * cbench must know whether a test is running, and cmocka does not say.
 * What it does do, for exactly the span of each test and fixture, is
 * install its own handler for SIGSEGV, SIGILL, SIGFPE and SIGBUS (to
 * report a crash as the test's failure), and restore the previous ones
 * afterwards. So: a test is running when one of those handlers lies in
 * cmocka's code, that is in the shared libcmocka, or in the object that
 * holds _fail when cmocka is linked statically. A program that installs
 * its own handler for all four inside a test hides the test, and its
 * failing assertions abort rather than fail the test: loud either way.
 *
 * Inside a test the message goes to cm_print_error, which cmocka keeps
 * and prints with the test's result in every output format (standard,
 * TAP, subunit, JUnit XML), then _fail(file, line) adds the location and
 * ends the test. cmocka's standard output prints at most 1 KiB of a
 * message (TAP, subunit and XML print it whole); a longer one is printed
 * once, whole, on stderr where cmocka would print it (its "[  ERROR   ]
 * --- " line), and cmocka gets one line that points at it: before, the
 * whole message and then cmocka's cut copy made about 70 lines of one
 * failure. Outside, the message goes to stderr and abort() ends the
 * process, as assert() would: a check the caller asked for failed where
 * nothing else can report it.
 */
#include <dlfcn.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "assertions.h"

/* What cmocka's standard output prints of a failure message, with room
 * for the location it adds. */
enum { CMOCKA_ROOM = 900 };
#include "cbench/bench.h" /* cmocka.h */

/* Exported by libcmocka 1.1.x though its header does not declare it. */
extern void cm_print_error(const char *const format, ...);

/* Whether `handler` lies in cmocka's code. */
static bool in_cmocka(void *handler)
{
    Dl_info h, f;
    if (!dladdr(handler, &h))
        return false;
    if (h.dli_fname && strstr(h.dli_fname, "libcmocka"))
        return true;
    return dladdr((void *)_fail, &f) && f.dli_fbase == h.dli_fbase;
}

static bool cmocka_test_running(void)
{
    static const int signals[] = {SIGSEGV, SIGILL, SIGFPE, SIGBUS};
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        struct sigaction sa;
        if (sigaction(signals[i], NULL, &sa) != 0)
            continue;
        void *h = (sa.sa_flags & SA_SIGINFO) ? (void *)sa.sa_sigaction : (void *)sa.sa_handler;
        if (h != (void *)SIG_DFL && h != (void *)SIG_IGN && in_cmocka(h))
            return true;
    }
    return false;
}

/* Line by line: cmocka formats each call into a buffer of 1 KiB. */
static void print_lines(const char *message, size_t max)
{
    while (*message && max > 0) {
        const char *eol = strchr(message, '\n');
        size_t len = eol ? (size_t)(eol - message) : strlen(message);
        if (len >= max)
            break;
        cm_print_error("%.*s\n", (int)len, message);
        max -= len + 1;
        message += len + (eol != NULL);
    }
}

/* Whether cmocka prints failure messages whole: its TAP, subunit and XML
 * outputs do; its standard output prints at most 1 KiB of one. */
static bool whole_messages(void)
{
    const char *format = getenv("CMOCKA_MESSAGE_OUTPUT");
    return format && (strcasecmp(format, "tap") == 0 || strcasecmp(format, "subunit") == 0 ||
                      strcasecmp(format, "xml") == 0);
}

/* A message too long for cmocka's standard output goes to stderr whole,
 * as cmocka would print it, and cmocka gets a line saying where it is. */
static void print_to_cmocka(const char *message)
{
    if (whole_messages() || strlen(message) <= CMOCKA_ROOM) {
        print_lines(message, SIZE_MAX);
        return;
    }
    fprintf(stderr, "[  ERROR   ] --- %s", message);
    fflush(stderr);
    cm_print_error("(the message above: too long for cmocka's output)\n");
}

static const char no_memory[] = "resource assertion failed (no memory for its message)\n";

void cb_assert_fail(const char *file, int line, char *message)
{
    if (cmocka_test_running()) {
        /* cmocka's copy of the message is cbench's own too: not counted
         * by any scope still open, and freed by cmocka as any block. */
        cb_own_begin();
        print_to_cmocka(message ? message : no_memory);
        cb_own_end();
        free(message);
        _fail(file, line);
    }
    fprintf(stderr, "%s:%d: %s", file, line, message ? message : no_memory);
    fflush(stderr);
    abort();
}
