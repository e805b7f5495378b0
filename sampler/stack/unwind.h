/*
 * Stack capture from a signal context.
 *
 * cb_unwind_signal() walks the stack that a signal interrupted, starting at
 * the interrupted PC (the leaf, exact) and continuing with return
 * addresses. The signal handler's own frames never appear. Two walkers:
 *
 *  - libunwind (the default and the fallback): DWARF CFI from .eh_frame,
 *    correct for code with or without frame pointers, including libc.
 *    unw_backtrace() walks from the handler through the signal frame with
 *    its per-thread cache of frame shapes (no system call once warm), and
 *    the frames from the interrupted PC on are kept. If that trace does
 *    not reach the interrupted PC, unw_step from the signal's ucontext
 *    (unw_init_local2, UNW_INIT_SIGNAL_FRAME) does the walk, slowly: in
 *    Debian's build it masks signals around every step.
 *  - frame pointers (the fast path, see cb_unwind_set_mode): follows the
 *    saved-RBP chain, a few loads per frame. Each step is checked (inside
 *    the thread's stack, strictly upwards, aligned, return address in
 *    code known at start). When a frame fails a check (typically code
 *    built without frame pointers, such as libc), libunwind walks the
 *    stack and its frames beyond those found are appended. A leaf interrupted in its prologue
 *    or at its return is recognised by its instruction bytes. What no check
 *    can see: a function without a frame pointer that leaves rbp untouched
 *    hides its caller's frame. So this mode is for code built with
 *    -fno-omit-frame-pointer, as cbench's CMake helper builds tests.
 *
 * Both are async-signal-safe as used here: nothing allocates through
 * malloc and no lock the interrupted code could hold is taken. libunwind's
 * per-thread caches are not reentrant, so a thread interrupted inside
 * libunwind's own code (a program that unwinds for itself) is walked with
 * frame pointers only; so is a thread that may hold the loader's list
 * lock (in ld.so's code, inside dl_iterate_phdr, or while the loader
 * changes the list), and one inside a sanitizer's runtime: libunwind
 * would wait there for a mutex whose holder waits for that lock.
 */
#ifndef CB_UNWIND_H
#define CB_UNWIND_H

#include <sched.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdint.h>

enum { CB_MAX_STACK = 64 };

typedef enum cb_unwind_mode {
    CB_UNWIND_LIBUNWIND,
    CB_UNWIND_FRAME_POINTER,
} cb_unwind_mode;

/* Prepares unwinding (caches, executable ranges) in user context before a
 * profile starts. The mode comes from CBENCH_UNWIND ("fp" or "libunwind",
 * default libunwind) unless cb_unwind_set_mode was called. */
void cb_unwind_prepare(void);
void cb_unwind_set_mode(cb_unwind_mode mode);
cb_unwind_mode cb_unwind_mode_in_use(void);

/* Writes at most max PCs, leaf first; returns how many (at least 1 when
 * the context has a PC). Async-signal-safe. */
int cb_unwind_signal(void *ucontext, uint64_t *pcs, int max);

/* Walks this thread's own stack with libunwind's cached trace and writes
 * the frames from `marker` on (at most max): the frames above it are the
 * caller's own (an allocator, a handler). `marker` is looked for among the
 * first few frames; returns 0 when it is not there. User context, or a
 * signal handler under the rules at the top of this file. */
int cb_unwind_from(uintptr_t marker, uint64_t *pcs, int max);

/* Per-thread stack bounds for the frame-pointer walker; called when a
 * thread starts (user context). */
void cb_unwind_thread_init(void);

/* This thread's stack, [lo, hi), found on the first call; false when
 * unknown. User context. */
bool cb_unwind_stack_bounds(uintptr_t *lo, uintptr_t *hi);

/*
 * Deferred samples. Code holding one of cbench's spinlocks runs between
 * cb_defer_enter and cb_defer_leave: a SIGPROF landing there only notes
 * its PC and weight, and the sample is unwound and recorded by
 * cb_defer_leave, from user context, once the lock is released. The stack
 * beyond the deferring code is the same then as at the signal. It was
 * needed while libunwind's lookups could wait for the loader's lock, whose
 * holder could want the interrupted thread's lock; they no longer take it
 * (loader.c), so this is a second line of defence, kept off the
 * allocator's fast path.
 */
extern __thread int cb_defer_depth __attribute__((tls_model("initial-exec")));
extern __thread uint64_t cb_deferred_weight __attribute__((tls_model("initial-exec")));

/* The handler's part: notes the interrupted PC (the first one of the
 * deferral), the weight and the label set. Async-signal-safe. */
void cb_defer_note(uint64_t pc, uint64_t weight, uintptr_t labels, int generation);

void cb_defer_flush(uintptr_t caller);

static inline __attribute__((always_inline)) void cb_defer_enter(void)
{
    cb_defer_depth++;
}

/* `caller`: the deferring code's caller (0 if unknown); the recorded stack
 * is the interrupted PC, then the stack from that caller on. */
static inline __attribute__((always_inline)) void cb_defer_leave(uintptr_t caller)
{
    if (--cb_defer_depth == 0 && __builtin_expect(cb_deferred_weight != 0, 0))
        cb_defer_flush(caller);
}

/* One of cbench's spinlocks, held deferred (never in a signal handler). */
static inline void cb_defer_lock(atomic_flag *f)
{
    cb_defer_enter();
    while (atomic_flag_test_and_set_explicit(f, memory_order_acquire))
        sched_yield();
}

static inline void cb_defer_unlock(atomic_flag *f, uintptr_t caller)
{
    atomic_flag_clear_explicit(f, memory_order_release);
    cb_defer_leave(caller);
}

#endif
