/*
 * Stack capture in user context for the allocation and lock samplers, at
 * a cost that allows recording every allocation and every lock event.
 *
 * The walker follows the DWARF rules of cfi.h, which it caches by return
 * address in a table shared by all threads (lock-free: an entry is a
 * return address and a packed rule, checked against each other). Each
 * step loads the return address and, where the frame saved it, rbp.
 *
 * Most allocations and waits come back to the same call site with the
 * same stack, so each thread also memoizes its last stacks. A walk is a
 * deterministic function of the registers it starts from and of the
 * stack words it loads and uses; an entry keeps those (start registers,
 * each used word's address and value) with the frames they gave, and is
 * reused when all of them are equal again, which a few independent loads
 * check. A saved rbp that no later frame uses as its frame base is not
 * part of the check, so a caller keeping a loop variable in rbp does not
 * defeat the memo.
 *
 * What the walker cannot express (cfi.h: PLT stubs, stack-realigning
 * functions, signal frames, code without CFI) is walked by libunwind
 * (cb_unwind_from) instead, as is everything on other architectures.
 * Code unloaded by dlclose may leave rules for addresses a later object
 * reuses: dlclose, which libcbench interposes, empties the table and
 * invalidates the memos.
 *
 * Not for signal handlers: the memo is per thread and not reentrant.
 * Allocates only on a thread's first walk (its memo, as cbench's own).
 */
#ifndef CB_STACKWALK_H
#define CB_STACKWALK_H

#include <stdint.h>

/* As cb_unwind_from (unwind.h): writes the frames from `marker` on (at
 * most max), `marker` being among the first few frames above the caller;
 * returns the depth, or 0 when marker was not found.
 *
 * When the stack is memoized, *word points to a word kept with it (0
 * when the stack was just memoized) in which the caller may keep what it
 * derives from the stack, to find it again without looking at the
 * frames; else *word is NULL. The heap profiler (allocation markers) and
 * the lock profiles (markers in the interposed lock functions: a mutex
 * record for an unlock, a block record for a wait) keep their record's
 * index there; a marker belongs to one of them, the others leave the
 * word alone. */
int cb_stackwalk_from(uintptr_t marker, uint64_t *pcs, int max, uint64_t **word);

/* Code was unloaded: forget every rule and memoized stack. */
void cb_stackwalk_flush(void);

/* Since the process started: walks made (calls the memo did not answer),
 * and of those, walks handed to libunwind. */
void cb_stackwalk_counts(uint64_t *walked, uint64_t *fell_back);

#endif
