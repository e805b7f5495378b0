/*
 * The functions that bench/run_loop.sh times with cbench and with Google
 * Benchmark. They live in their own file, compiled once and linked into
 * both drivers, so that both time the same machine code through a real
 * call, and no driver's compiler can fold or hoist them into its loop.
 */
#ifndef LOOP_WORK_H
#define LOOP_WORK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { LOOP_SORT_N = 100 };

/* Fills the inputs: 64 bytes to hash, a permutation of 100 ints to sort. */
void loop_work_init(void);

/* A 64-bit hash of 64 bytes (8 words: multiply, rotate, mix). */
uint64_t loop_hash64(void);

/* Copies the permutation into a scratch array and sorts it (insertion
 * sort, in place); returns the middle element. */
int loop_sort100(void);

/* malloc(64), then free: the pointer escapes in between, so the pair is
 * neither folded nor moved. Built with -fno-builtin. */
void loop_malloc_free(void);

#ifdef __cplusplus
}
#endif

#endif
