/*
 * The allocation-failure countdown (see fault.h).
 *
 * Armed, each check takes the next index from an atomic counter and the
 * one whose index is the armed n fails. A check made while it is
 * disarmed costs one relaxed load and a branch, and only test builds
 * have even that: an ordinary build compiles cb_fault_check to `return
 * false`, so the wrappers are malloc behind one call. Allocation sites
 * that consult it are all on slow paths (writing a profile or a result
 * file, the command), where a call is noise next to the work.
 *
 * Which build has it: the library is compiled once; this file alone is
 * compiled twice, with and without CB_FAULTS, and the test suite links
 * its fault tests against the CB_FAULTS object (cbench_faults in
 * tests/harness/CMakeLists.txt), so libcbench and the `cbench` command as
 * installed carry no countdown and no environment hook.
 *
 * Threads: the counters are atomics, so allocations made by several
 * threads (a CPU profile's reader and the thread stopping it) each count
 * once and exactly one of them fails, in persistent mode every one after.
 */
#include "base/fault.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef CB_FAULTS

static atomic_bool armed;
static atomic_long fail_at; /* the index of the check that fails, from 1 */
static atomic_bool persistent;
static atomic_long checked, failed;
static bool from_env; /* armed by CBENCH_FAULT_AT: report on stderr */

/* write(2), not stdio: the report must not allocate, nor wait for a
 * stdio lock the failing code may hold. */
static void say(const char *text)
{
    size_t len = strlen(text);
    while (len > 0) {
        ssize_t w = write(STDERR_FILENO, text, len);
        if (w <= 0)
            return;
        text += w, len -= (size_t)w;
    }
}

/* Each check takes the next index; exactly one index equals fail_at, so
 * exactly one allocation fails however many threads allocate, and in
 * persistent mode every later one too. */
bool cb_fault_check(void)
{
    if (!atomic_load_explicit(&armed, memory_order_relaxed))
        return false;
    long n = atomic_fetch_add(&checked, 1) + 1;
    long at = atomic_load(&fail_at);
    if (n < at || (n > at && !atomic_load(&persistent)))
        return false;
    atomic_fetch_add(&failed, 1);
    if (from_env && n == at) {
        char text[80];
        snprintf(text, sizeof text, "cbench-fault: allocation %ld of the countdown failed\n", n);
        say(text);
    }
    return true;
}

bool cb_fault_enabled(void)
{
    return true;
}

void cb_fault_arm(long n, bool persist)
{
    atomic_store(&armed, false);
    atomic_store(&checked, 0);
    atomic_store(&failed, 0);
    atomic_store(&persistent, persist);
    atomic_store(&fail_at, n);
    atomic_store(&armed, n > 0);
}

long cb_fault_checked(void)
{
    return atomic_load(&checked);
}

long cb_fault_failed(void)
{
    return atomic_load(&failed);
}

__attribute__((destructor)) static void report_at_exit(void)
{
    if (!from_env)
        return;
    char text[100];
    snprintf(text, sizeof text, "cbench-fault: %ld allocations checked, %ld failed\n",
             cb_fault_checked(), cb_fault_failed());
    say(text);
}

__attribute__((constructor)) static void arm_from_env(void)
{
    const char *at = getenv("CBENCH_FAULT_AT"), *persist = getenv("CBENCH_FAULT_PERSIST");
    long n = at ? strtol(at, NULL, 10) : 0;
    if (n <= 0)
        return;
    from_env = true;
    cb_fault_arm(n, persist && strcmp(persist, "1") == 0);
}

#else

bool cb_fault_check(void)
{
    return false;
}

bool cb_fault_enabled(void)
{
    return false;
}

void cb_fault_arm(long n, bool persist)
{
    (void)n, (void)persist;
}

long cb_fault_checked(void)
{
    return 0;
}

long cb_fault_failed(void)
{
    return 0;
}

#endif

static void *refuse(void)
{
    errno = ENOMEM;
    return NULL;
}

void *cb_fault_malloc(size_t n)
{
    return cb_fault_check() ? refuse() : malloc(n);
}

void *cb_fault_calloc(size_t n, size_t size)
{
    return cb_fault_check() ? refuse() : calloc(n, size);
}

void *cb_fault_realloc(void *p, size_t n)
{
    return cb_fault_check() ? refuse() : realloc(p, n);
}

char *cb_fault_strdup(const char *s)
{
    return cb_fault_check() ? refuse() : strdup(s);
}

char *cb_fault_strndup(const char *s, size_t n)
{
    return cb_fault_check() ? refuse() : strndup(s, n);
}

int cb_fault_asprintf(char **out, const char *fmt, ...)
{
    if (cb_fault_check()) {
        *out = NULL;
        errno = ENOMEM;
        return -1;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(out, fmt, ap);
    va_end(ap);
    if (n < 0)
        *out = NULL;
    return n;
}
