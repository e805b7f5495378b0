/*
 * cbench/assert.h: resource assertions for tests.
 *
 * Each macro runs a statement and checks what it cost, from cbench's
 * exact counters (not sampled): allocations, bytes, heap growth, leaked
 * blocks, lock waiting, threads left running. "BELOW" is strict: the
 * measured value must be less than the limit. The statement may be an
 * expression, a call or a `{ block }` (commas inside it are fine).
 *
 *     ASSERT_NO_ALLOCS(wc_tokenize(text, n, count_word, &letters));
 *     ASSERT_ALLOCS_BELOW(64, { wc_map *m = wc_map_new(); wc_map_free(m); });
 *
 * Counts are process-wide: work the statement hands to other threads
 * (a thread pool, threads it starts) counts; cbench's own allocations and
 * threads do not. Scopes nest, and each reports what happened inside it.
 *
 * A failure names the culprits: the measured value, the limit, and the
 * call sites that allocated (or leaked, or waited) the most, each with a
 * short stack of function, file:line. To know them, every allocation (or
 * contended lock acquisition) is recorded with its stack while a scope
 * runs; code outside any scope pays nothing. docs/ASSERTIONS.md has the
 * details and an example.
 *
 * They fail through cmocka, so they work in any cmocka test, under the
 * cbench plugin or not: the message goes into cmocka's output for the
 * test and the test fails. Called where no cmocka test is running (a
 * plain program, a benchmark), a failing assertion prints its message
 * to stderr and calls abort(), as assert() does: this is the only place
 * cbench aborts, and only because the caller asked for the check.
 *
 * Like cmocka's assertions, call them on the test's own thread, and do
 * not leave the statement by return, break, goto or a failing cmocka
 * assertion (longjmp): the scope would not end (docs/ASSERTIONS.md says
 * when cbench notices and releases it).
 *
 * Built with ASan (CBENCH_SANITIZE=address), the malloc family and the
 * pthread locks are ASan's, cbench's heap and lock counters stay at zero,
 * and the heap and lock assertions always pass.
 */
#ifndef CBENCH_ASSERT_H
#define CBENCH_ASSERT_H

#include <stdint.h>

#ifndef CBENCH_API
#define CBENCH_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Allocation calls (malloc, calloc, realloc, aligned forms, C++ new)
 * made while stmt runs. */
#define ASSERT_ALLOCS_BELOW(limit, ...)                                                            \
    CBENCH_ASSERT_(CBENCH_ASSERT_ALLOCS_, "ASSERT_ALLOCS_BELOW(" #limit ", " #__VA_ARGS__ ")",     \
                   (limit), __VA_ARGS__)

#define ASSERT_NO_ALLOCS(...)                                                                      \
    CBENCH_ASSERT_(CBENCH_ASSERT_NO_ALLOCS_, "ASSERT_NO_ALLOCS(" #__VA_ARGS__ ")", 1, __VA_ARGS__)

/* Allocations per run of stmt, averaged over `runs` runs after one
 * warm-up run that is not counted, in whole allocations (rounded down),
 * as Go's testing.AllocsPerRun. */
#define ASSERT_ALLOCS_PER_RUN_BELOW(limit, runs, ...)                                              \
    CBENCH_ASSERT_PER_RUN_(__COUNTER__, "ASSERT_ALLOCS_PER_RUN_BELOW(" #limit ", " #runs ", "      \
                                        #__VA_ARGS__ ")",                                          \
                           (limit), (runs), __VA_ARGS__)

/* Bytes requested by the allocations stmt made. */
#define ASSERT_ALLOC_BYTES_BELOW(limit, ...)                                                       \
    CBENCH_ASSERT_(CBENCH_ASSERT_ALLOC_BYTES_,                                                     \
                   "ASSERT_ALLOC_BYTES_BELOW(" #limit ", " #__VA_ARGS__ ")", (limit), __VA_ARGS__)

/* How far live heap bytes rose above their level at the start, at their
 * highest while stmt ran. */
#define ASSERT_PEAK_MEMORY_BELOW(limit, ...)                                                       \
    CBENCH_ASSERT_(CBENCH_ASSERT_PEAK_MEMORY_,                                                     \
                   "ASSERT_PEAK_MEMORY_BELOW(" #limit ", " #__VA_ARGS__ ")", (limit), __VA_ARGS__)

/* Blocks stmt allocated that are still live when it ends. */
#define ASSERT_NO_LEAKS(...)                                                                       \
    CBENCH_ASSERT_(CBENCH_ASSERT_NO_LEAKS_, "ASSERT_NO_LEAKS(" #__VA_ARGS__ ")", 1, __VA_ARGS__)

/* Nanoseconds threads spent waiting to acquire contended pthread mutexes
 * and rwlocks while stmt ran. */
#define ASSERT_MUTEX_DELAY_BELOW(limit_ns, ...)                                                    \
    CBENCH_ASSERT_(CBENCH_ASSERT_MUTEX_DELAY_,                                                     \
                   "ASSERT_MUTEX_DELAY_BELOW(" #limit_ns ", " #__VA_ARGS__ ")", (limit_ns),        \
                   __VA_ARGS__)

/* Acquisitions of pthread mutexes and rwlocks that had to wait. */
#define ASSERT_CONTENTIONS_BELOW(limit, ...)                                                       \
    CBENCH_ASSERT_(CBENCH_ASSERT_CONTENTIONS_,                                                     \
                   "ASSERT_CONTENTIONS_BELOW(" #limit ", " #__VA_ARGS__ ")", (limit), __VA_ARGS__)

/* Threads stmt started (pthread_create) that are still running after it. */
#define ASSERT_NO_THREAD_LEAKS(...)                                                                \
    CBENCH_ASSERT_(CBENCH_ASSERT_NO_THREAD_LEAKS_, "ASSERT_NO_THREAD_LEAKS(" #__VA_ARGS__ ")", 1,  \
                   __VA_ARGS__)

/* ---- what the macros expand to; not for direct use ---------------------- */

enum {
    CBENCH_ASSERT_ALLOCS_,
    CBENCH_ASSERT_NO_ALLOCS_,
    CBENCH_ASSERT_ALLOCS_PER_RUN_,
    CBENCH_ASSERT_ALLOC_BYTES_,
    CBENCH_ASSERT_PEAK_MEMORY_,
    CBENCH_ASSERT_NO_LEAKS_,
    CBENCH_ASSERT_MUTEX_DELAY_,
    CBENCH_ASSERT_CONTENTIONS_,
    CBENCH_ASSERT_NO_THREAD_LEAKS_,
};

/* A scope's state, on the caller's stack. */
typedef struct cbench_assert_scope {
    uint64_t opaque_[48];
} cbench_assert_scope;

CBENCH_API void cbench_assert_begin_(cbench_assert_scope *s, int kind, const char *text,
                                     const char *file, int line);
/* Checks measured < limit (per run for ASSERT_ALLOCS_PER_RUN_BELOW) and
 * fails with the culprits otherwise. */
CBENCH_API void cbench_assert_end_(cbench_assert_scope *s, int64_t limit, int64_t runs);

#define CBENCH_ASSERT_CAT2_(a, b) a##b
#define CBENCH_ASSERT_CAT_(a, b) CBENCH_ASSERT_CAT2_(a, b)

#define CBENCH_ASSERT_(kind, text, limit, ...)                                                     \
    CBENCH_ASSERT_IN_(CBENCH_ASSERT_CAT_(cbench_assert_scope_, __COUNTER__), kind, text, limit,    \
                      __VA_ARGS__)

#define CBENCH_ASSERT_IN_(s, kind, text, limit, ...)                                               \
    do {                                                                                           \
        cbench_assert_scope s;                                                                     \
        cbench_assert_begin_(&s, kind, text, __FILE__, __LINE__);                                  \
        __VA_ARGS__;                                                                               \
        cbench_assert_end_(&s, (int64_t)(limit), 1);                                               \
    } while (0)

#define CBENCH_ASSERT_PER_RUN_(n, text, limit, runs, ...)                                          \
    CBENCH_ASSERT_PER_RUN_IN_(n, text, limit, runs, __VA_ARGS__)

/* The warm-up run first, outside the scope, as testing.AllocsPerRun. */
#define CBENCH_ASSERT_PER_RUN_IN_(n, text, limit, runs, ...)                                       \
    do {                                                                                           \
        const int64_t cbench_assert_runs_##n = (int64_t)(runs);                                    \
        cbench_assert_scope cbench_assert_scope_##n;                                               \
        if (cbench_assert_runs_##n > 0) {                                                          \
            __VA_ARGS__;                                                                           \
        }                                                                                          \
        cbench_assert_begin_(&cbench_assert_scope_##n, CBENCH_ASSERT_ALLOCS_PER_RUN_, text,        \
                             __FILE__, __LINE__);                                                  \
        for (int64_t cbench_assert_i_##n = 0; cbench_assert_i_##n < cbench_assert_runs_##n;        \
             cbench_assert_i_##n++) {                                                              \
            __VA_ARGS__;                                                                           \
        }                                                                                          \
        cbench_assert_end_(&cbench_assert_scope_##n, (int64_t)(limit), cbench_assert_runs_##n);    \
    } while (0)

#ifdef __cplusplus
}
#endif

#endif
