/*
 * The threads and threadcreate profiles (model at the top of threadprof.c).
 */
#ifndef CB_THREADPROF_H
#define CB_THREADPROF_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

/* The signal that asks a thread for its stack. Real-time, so it queues
 * and no libc or common library uses it; documented in
 * docs/THREAD_PROFILING.md. */
#define CB_THREADS_SIGNAL (SIGRTMIN + 7)

/* Creation stacks are noted as pthread_create's interposer creates
 * threads (interpose/thread_events.h), under ids from 1.
 *
 * Copies creation stack `id` into pcs (at most max); returns its depth,
 * 0 when unknown. */
int cb_threadprof_create_stack(uint32_t id, uint64_t *pcs, int max);

/* Prints creation stack `id` in full, one frame per line (function, then
 * file:line indented), from pthread_create's caller: for an assertion's
 * message. 0, or -1 with errno and message set (ENOENT: unknown id). */
int cb_threadprof_print_create_stack(uint32_t id, FILE *out);

/* "threads" or "threadcreate" (cbench_write_profile checked the name). */
int cb_threadprof_write(const char *name, FILE *out, int debug);

/* How long a threads profile waits for all threads to answer, in
 * milliseconds (default 100; <= 0 restores it). */
void cb_threadprof_set_timeout_ms(int ms);

#endif
