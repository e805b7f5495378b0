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
 * frame pointers only.
 */
#ifndef CB_UNWIND_H
#define CB_UNWIND_H

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

/* Per-thread stack bounds for the frame-pointer walker; called when a
 * thread starts (user context). */
void cb_unwind_thread_init(void);

#endif
