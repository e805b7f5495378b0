/*
 * CB_CHECK(cond): an invariant that a comment states, checked in test
 * builds.
 *
 * The sampler's comments carry its invariants (a block's header has the
 * magic and only known flags, a thread's own-work depth never goes below
 * zero, a deferral is left as often as it is entered); CB_CHECK states
 * each one where it must hold. It is compiled in when CBENCH_CHECKS is
 * defined: the CMake option of that name, which the sanitizer builds turn
 * on. Otherwise it compiles to nothing and `cond` is not evaluated (it is
 * still parsed, so a variable used only in a check is not "unused").
 *
 * A failed check writes "cbench: check failed: FILE:LINE: COND" to
 * standard error with write(2) and calls abort(): both async-signal-safe,
 * and nothing is allocated nor locked, so a check may stand in a signal
 * handler and inside the malloc interposer. Checks are for cbench's own
 * invariants only: bad input from a program is an error return, never a
 * check.
 */
#ifndef CB_BASE_CHECK_H
#define CB_BASE_CHECK_H

#ifdef CBENCH_CHECKS
#define CB_CHECK(cond)                                                                             \
    (__builtin_expect(!!(cond), 1) ? (void)0 : cb_check_failed(__FILE__, __LINE__, #cond))
#else
#define CB_CHECK(cond) ((void)sizeof(!(cond)))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Reports the failed check and aborts. Async-signal-safe. */
void cb_check_failed(const char *file, int line, const char *cond) __attribute__((noreturn, cold));

#ifdef __cplusplus
}
#endif

#endif
