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
 *
 * libunwind takes pthread locks of its own: every call into it runs as
 * cbench's own work (base/own.h), so the lock interposer passes them
 * straight to glibc. Stack capture depends on the ground floor (base/)
 * alone; the samplers above it call in here.
 */
#ifndef CB_UNWIND_H
#define CB_UNWIND_H

#include <stdbool.h>
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

/* Non-zero while this thread may hold the loader's list lock because it
 * runs dl_iterate_phdr (and its callback): the handler then walks it with
 * frame pointers only (see the top of this file). Raised and lowered
 * around the real function by its interposer (loader.c); read by
 * cb_unwind_signal. */
extern __thread int cb_unwind_in_loader __attribute__((tls_model("initial-exec")));

#endif
