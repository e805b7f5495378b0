/*
 * Allocation failure on demand, for tests: SQLite's fault injection,
 * carried over.
 *
 * Code that must survive running out of memory (profile writing, the
 * result files, the `cbench` command) allocates through cb_fault_malloc
 * and its siblings instead of malloc. In an ordinary build they are
 * malloc and nothing more. In a test build (CB_FAULTS, see fault.c) a
 * test arms a countdown, cb_fault_arm(n): the nth allocation made through
 * these functions from then on fails, returning NULL with errno ENOMEM as
 * malloc would. Walking n = 1, 2, 3, ... until an operation completes
 * without reaching the countdown visits every allocation site the
 * operation has, in order, and each must end in an error the caller sees,
 * never a crash, a silent loss or a half-written file.
 *
 * What this cannot reach: allocations inside libraries that take no
 * allocator (libdw, libelf, glibc's own fopen, scandir, regcomp). zlib
 * and protobuf-c take one; their callers give them cb_fault_malloc.
 *
 * Not for signal handlers or the malloc interposer: the countdown is an
 * atomic, but malloc is not async-signal-safe, and the interposer must not
 * recurse into itself.
 */
#ifndef CB_BASE_FAULT_H
#define CB_BASE_FAULT_H

#include <stdbool.h>
#include <stddef.h>

/* true when the allocation about to be made is the one to fail: an armed
 * countdown reached it. Counts one allocation. Always false in an
 * ordinary build. For sites that allocate inside a library call (a
 * call that would fail with ENOMEM itself) and have no wrapper below. */
bool cb_fault_check(void);

/* malloc, calloc, realloc, strdup, strndup, asprintf, each failing as
 * the original does (NULL, or -1 for asprintf, with errno ENOMEM) when
 * cb_fault_check() says so. cb_fault_realloc leaves p untouched then. */
void *cb_fault_malloc(size_t n);
void *cb_fault_calloc(size_t n, size_t size);
void *cb_fault_realloc(void *p, size_t n);
char *cb_fault_strdup(const char *s);
char *cb_fault_strndup(const char *s, size_t n);
int cb_fault_asprintf(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Whether this build has the countdown (CB_FAULTS). A test of fault
 * paths checks it first, so that it cannot pass by testing nothing. */
bool cb_fault_enabled(void);

/*
 * Arms the countdown: the nth allocation from now (n >= 1) fails, and,
 * when `persist`, every one after it too (memory that stays exhausted);
 * n <= 0 disarms. Resets the counts below. Does nothing in an ordinary
 * build. Test builds also arm it from the environment when a process
 * starts: CBENCH_FAULT_AT=n, CBENCH_FAULT_PERSIST=1; such a process
 * prints "cbench-fault: allocation N of the countdown failed" on stderr
 * when it fires, and "cbench-fault: C allocations checked, F failed" at
 * its exit, for the script that drives it.
 */
void cb_fault_arm(long n, bool persist);

/* Since the last cb_fault_arm: allocations checked, and how many failed. */
long cb_fault_checked(void);
long cb_fault_failed(void);

#endif
